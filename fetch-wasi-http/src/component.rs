//! The WIT boundary: `fetch` exported, `wasi:http` imported through the
//! `wasip2` bindings. Only conversions live here; the crate root decides.

use crate::{Failure, Received, Scheme, Target};
use std::cell::RefCell;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    self as http, ErrorCode, Fields, IncomingBody, IncomingResponse, Method, OutgoingBody,
    OutgoingRequest, RequestOptions,
};
use wasip2::io::streams::{InputStream, StreamError};

wit_bindgen::generate!({
    path: "../wit",
    world: "fetch-over-wasi-http",
});

use exports::wasm_plugin::installer::fetch::{self as wit, FetchError};

struct Fetch;

export!(Fetch);

impl wit::Guest for Fetch {
    type Body = Body;

    fn get(url: String) -> Result<(wit::Body, Option<u64>), FetchError> {
        let mut url = url;
        for _ in 0..=crate::MAX_REDIRECTS {
            let response = send(&Target::parse(&url).map_err(to_wit)?)?;
            let status = response.status();
            if crate::is_redirect(status) {
                let location = header(&response, "location").into_iter().next();
                let location = location.as_deref().map(String::from_utf8_lossy);
                url = crate::redirect_target(&url, location.as_deref()).map_err(to_wit)?;
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(FetchError::HttpStatus(status));
            }
            let announced = crate::announced_length(&header(&response, "content-length"));
            let body = Body::open(response, announced)?;
            return Ok((wit::Body::new(body), announced));
        }
        Err(FetchError::Protocol(format!(
            "more than {} redirects",
            crate::MAX_REDIRECTS
        )))
    }

    fn send(request: wit::Request) -> Result<(wit::ResponseHead, wit::Body), FetchError> {
        refuse_authorization(&request)?;
        let (head, response) = exchange(&request, None)?;
        let body = Body::open(response, head.length)?;
        Ok((head, wit::Body::new(body)))
    }

    fn send_all(
        requests: Vec<wit::Request>,
        max_body: u64,
    ) -> Vec<Result<(wit::ResponseHead, Vec<u8>), FetchError>> {
        let mut answers = Vec::with_capacity(requests.len());
        for window in requests.chunks(crate::MAX_IN_FLIGHT) {
            // Every request of the window is started before any is waited
            // on, so the runtime has them all in flight at once.
            let started: Vec<_> = window
                .iter()
                .map(|request| {
                    refuse_authorization(request)?;
                    start(&Target::parse(&request.url).map_err(to_wit)?, request)
                })
                .collect();
            for (request, future) in window.iter().zip(started) {
                let answer = future
                    .and_then(|future| exchange(request, Some(future)))
                    .and_then(|(head, response)| whole(request, head, response, max_body));
                answers.push(answer);
            }
        }
        answers
    }
}

/// Credentials are the runtime's: a request carrying its own is refused.
fn refuse_authorization(request: &wit::Request) -> Result<(), FetchError> {
    if request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("authorization"))
    {
        return Err(FetchError::InvalidUrl(
            "the component may not set Authorization; credentials are the runtime's".into(),
        ));
    }
    Ok(())
}

/// `request`'s final response and its head, following redirects for GET
/// and HEAD as `get` does (the rest never do: an upload's 202 Location is
/// the registry's to interpret). `first` is the response to the request
/// already started, if it was.
fn exchange(
    request: &wit::Request,
    first: Option<http::FutureIncomingResponse>,
) -> Result<(wit::ResponseHead, IncomingResponse), FetchError> {
    let follows = matches!(request.method, wit::Method::Get | wit::Method::Head);
    let mut url = request.url.clone();
    let mut first = first;
    for _ in 0..=crate::MAX_REDIRECTS {
        let response = match first.take() {
            Some(future) => wait(future)?,
            None => send_with(&Target::parse(&url).map_err(to_wit)?, request)?,
        };
        let status = response.status();
        if follows && crate::is_redirect(status) {
            let location = header(&response, "location").into_iter().next();
            let location = location.as_deref().map(String::from_utf8_lossy);
            url = crate::redirect_target(&url, location.as_deref()).map_err(to_wit)?;
            continue;
        }
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(k, v)| {
                (
                    k.to_ascii_lowercase(),
                    String::from_utf8_lossy(&v).into_owned(),
                )
            })
            .collect();
        let length = crate::announced_length(&header(&response, "content-length"));
        let head = wit::ResponseHead {
            status,
            headers,
            length,
        };
        return Ok((head, response));
    }
    Err(FetchError::Protocol(format!(
        "more than {} redirects",
        crate::MAX_REDIRECTS
    )))
}

/// A response's body read whole, at most `max` bytes of it (a HEAD's
/// length is the resource's: it has no body to hold to it).
fn whole(
    request: &wit::Request,
    head: wit::ResponseHead,
    response: IncomingResponse,
    max: u64,
) -> Result<(wit::ResponseHead, Vec<u8>), FetchError> {
    use wit::GuestBody as _;
    let too_large =
        || FetchError::Protocol(format!("the body is larger than the {max} bytes asked for"));
    let announced = head
        .length
        .filter(|_| !matches!(request.method, wit::Method::Head));
    if announced.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let body = Body::open(response, announced)?;
    let mut bytes = Vec::new();
    loop {
        let left = (max + 1).saturating_sub(bytes.len() as u64);
        let chunk = body.read(left.clamp(1, 1 << 20) as u32)?;
        if chunk.is_empty() {
            return Ok((head, bytes));
        }
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > max {
            return Err(too_large());
        }
    }
}

/// Sends `request` (its method, headers and body) to `target` and waits
/// for the response head.
fn send_with(target: &Target, request: &wit::Request) -> Result<IncomingResponse, FetchError> {
    wait(start(target, request)?)
}

/// Sends `request` (its method, headers and body) to `target`, not waiting
/// for the answer.
fn start(
    target: &Target,
    request: &wit::Request,
) -> Result<http::FutureIncomingResponse, FetchError> {
    let fields = Fields::new();
    for (name, value) in &request.headers {
        fields
            .append(name, value.as_bytes())
            .map_err(|e| FetchError::InvalidUrl(format!("the header {name}: {e:?}")))?;
    }
    let method = match request.method {
        wit::Method::Get => Method::Get,
        wit::Method::Head => Method::Head,
        wit::Method::Post => Method::Post,
        wit::Method::Put => Method::Put,
        wit::Method::Patch => Method::Patch,
    };
    let outgoing = OutgoingRequest::new(fields);
    prepare(&outgoing, target, &method)?;
    let body = outgoing.body().map_err(|()| {
        FetchError::Transport("the runtime's wasi:http gave no request body".into())
    })?;
    let future = outgoing_handler::handle(outgoing, Some(options())).map_err(failure)?;
    {
        let stream = body
            .write()
            .map_err(|()| FetchError::Transport("the request body cannot be written".into()))?;
        for chunk in request.body.as_deref().unwrap_or_default().chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| FetchError::Transport(format!("sending the request body: {e:?}")))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(failure)?;
    Ok(future)
}

/// Sends a GET and waits for the response head.
fn send(target: &Target) -> Result<IncomingResponse, FetchError> {
    let request = OutgoingRequest::new(Fields::new());
    prepare(&request, target, &Method::Get)?;
    let future = outgoing_handler::handle(request, Some(options())).map_err(failure)?;
    wait(future)
}

/// The request line: method, scheme, host, path.
fn prepare(request: &OutgoingRequest, target: &Target, method: &Method) -> Result<(), FetchError> {
    let scheme = match target.scheme {
        Scheme::Http => http::Scheme::Http,
        Scheme::Https => http::Scheme::Https,
    };
    let refused = |what: &str| FetchError::InvalidUrl(format!("the runtime refused the {what}"));
    request.set_method(method).map_err(|()| refused("method"))?;
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| refused("scheme"))?;
    request
        .set_authority(Some(&target.authority))
        .map_err(|()| refused("host"))?;
    request
        .set_path_with_query(Some(&target.path_with_query))
        .map_err(|()| refused("path"))
}

/// The response head, once the runtime has it.
fn wait(future: http::FutureIncomingResponse) -> Result<IncomingResponse, FetchError> {
    future.subscribe().block();
    match future.get() {
        Some(Ok(Ok(response))) => Ok(response),
        Some(Ok(Err(code))) => Err(failure(code)),
        // Taken already or not ready after block(): the runtime broke the
        // wasi:http contract.
        Some(Err(())) | None => Err(FetchError::Transport(
            "the runtime's wasi:http returned no response".into(),
        )),
    }
}

/// The native host's timeouts. A runtime that does not support an option
/// refuses it; its own defaults then apply.
fn options() -> RequestOptions {
    let options = RequestOptions::new();
    let secs = |s: u64| Some(s * 1_000_000_000);
    let _ = options.set_connect_timeout(secs(crate::CONNECT_TIMEOUT_SECS));
    let _ = options.set_first_byte_timeout(secs(crate::READ_TIMEOUT_SECS));
    let _ = options.set_between_bytes_timeout(secs(crate::READ_TIMEOUT_SECS));
    options
}

fn header(response: &IncomingResponse, name: &str) -> Vec<Vec<u8>> {
    response.headers().get(name)
}

/// A response body being read. Fields drop in order: a wasi:http stream is
/// a child of its body, the body of its response.
pub struct Body {
    stream: InputStream,
    _body: IncomingBody,
    _response: IncomingResponse,
    state: RefCell<State>,
}

struct State {
    count: Received,
    /// Why the body cannot be read further: reported on the next read and
    /// every read after it (an empty read would mean a complete body).
    failed: Option<Failure>,
    ended: bool,
}

impl Body {
    fn open(response: IncomingResponse, announced: Option<u64>) -> Result<Body, FetchError> {
        let lost = || FetchError::Transport("the runtime's wasi:http gave no body".into());
        let body = response.consume().map_err(|()| lost())?;
        let stream = body.stream().map_err(|()| lost())?;
        Ok(Body {
            stream,
            _body: body,
            _response: response,
            state: RefCell::new(State {
                count: Received {
                    announced,
                    received: 0,
                },
                failed: None,
                ended: false,
            }),
        })
    }
}

impl wit::GuestBody for Body {
    fn read(&self, max: u32) -> Result<Vec<u8>, FetchError> {
        let mut state = self.state.borrow_mut();
        if let Some(e) = &state.failed {
            return Err(to_wit(e.clone()));
        }
        let mut buf = Vec::new();
        // Fill the buffer as far as the stream allows, so the installer does
        // not pay a call per small TCP segment. Unlike the native host's
        // read, this loop runs inside the component: every pass returns to
        // Wasm, where a runtime's epoch or fuel interruption can stop it, so
        // a server trickling a byte at a time cannot hold it past a
        // runtime's deadline.
        while !state.ended && buf.len() < max as usize {
            let outcome = match self.stream.blocking_read((max as usize - buf.len()) as u64) {
                Ok(chunk) if chunk.is_empty() && !buf.is_empty() => break,
                Ok(chunk) => state.count.add(chunk.len()).map(|()| chunk),
                Err(StreamError::Closed) => {
                    state.ended = true;
                    state.count.end().map(|()| Vec::new())
                }
                Err(StreamError::LastOperationFailed(e)) => {
                    let cause = http::http_error_code(&e)
                        .map(failure_of)
                        .unwrap_or_else(|| Failure::Transport(first_line(&e.to_debug_string())));
                    Err(state.count.broken(cause))
                }
            };
            match outcome {
                Ok(chunk) => buf.extend_from_slice(&chunk),
                Err(e) => {
                    state.ended = true;
                    state.failed = Some(e.clone());
                    if buf.is_empty() {
                        return Err(to_wit(e));
                    }
                    // Deliver what arrived; the error comes with the next read.
                    break;
                }
            }
        }
        Ok(buf)
    }
}

fn failure(code: ErrorCode) -> FetchError {
    to_wit(failure_of(code))
}

/// The first line of a runtime's error text, within reason: some runtimes
/// append a whole backtrace.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line.to_string(),
    }
}

/// wasi:http's error codes, sorted into the kinds the ureq host reports.
fn failure_of(code: ErrorCode) -> Failure {
    use ErrorCode as E;
    match code {
        E::DnsTimeout | E::DnsError(_) | E::DestinationNotFound => {
            Failure::Connect(format!("the host was not found ({code:?})"))
        }
        E::ConnectionRefused => Failure::Connect("the connection was refused".into()),
        E::DestinationUnavailable
        | E::DestinationIpProhibited
        | E::DestinationIpUnroutable
        | E::ConnectionLimitReached => Failure::Connect(format!("cannot connect ({code:?})")),
        E::ConnectionTimeout => Failure::Timeout("connecting timed out".into()),
        E::ConnectionReadTimeout | E::ConnectionWriteTimeout | E::HttpResponseTimeout => {
            Failure::Timeout(format!("no data for too long ({code:?})"))
        }
        // A connection closed before the response head and an answer that
        // is not HTTP look alike here; the first is worth a retry.
        E::HttpProtocolError => Failure::Transport(
            "the server closed the connection or did not answer with valid HTTP".into(),
        ),
        E::ConnectionTerminated => Failure::Transport("the connection was closed".into()),
        E::TlsProtocolError | E::TlsCertificateError | E::TlsAlertReceived(_) => {
            Failure::Tls(format!("{code:?}"))
        }
        E::HttpRequestUriInvalid | E::HttpRequestUriTooLong => {
            Failure::InvalidUrl(format!("{code:?}"))
        }
        E::HttpResponseIncomplete
        | E::HttpResponseHeaderSectionSize(_)
        | E::HttpResponseHeaderSize(_)
        | E::HttpResponseBodySize(_)
        | E::HttpResponseTrailerSectionSize(_)
        | E::HttpResponseTrailerSize(_)
        | E::HttpResponseTransferCoding(_)
        | E::HttpResponseContentCoding(_)
        | E::LoopDetected => Failure::Protocol(format!("{code:?}")),
        E::HttpRequestDenied => {
            Failure::Connect("the runtime's wasi:http policy denied the request".into())
        }
        E::InternalError(Some(message)) => Failure::Transport(first_line(&message)),
        other => Failure::Transport(format!("{other:?}")),
    }
}

fn to_wit(failure: Failure) -> FetchError {
    match failure {
        Failure::UnsupportedScheme(s) => FetchError::UnsupportedScheme(s),
        Failure::InvalidUrl(s) => FetchError::InvalidUrl(s),
        Failure::Connect(s) => FetchError::Connect(s),
        Failure::HttpStatus(s) => FetchError::HttpStatus(s),
        Failure::Timeout(s) => FetchError::Timeout(s),
        Failure::Truncated {
            received,
            announced,
        } => FetchError::Truncated((received, announced)),
        Failure::Tls(s) => FetchError::Tls(s),
        Failure::Protocol(s) => FetchError::Protocol(s),
        Failure::Transport(s) => FetchError::Transport(s),
    }
}
