//! Fetching: the `fetch` capability lent to the component.
//!
//! The component asks for URLs and judges the bytes (digests, signatures,
//! retries); everything about transport is decided here, by whatever
//! implements [`Fetch`]. [`HttpFetch`] is the default, over ureq: schemes,
//! TLS roots (rustls with the bundled web roots, or a private CA), proxies
//! from the environment, timeouts, the redirect limit, and progress reports.
//! [`Offline`] refuses every URL. A runtime with its own HTTP stack passes
//! its own implementation to [`InstallerBuilder::fetch`](crate::InstallerBuilder::fetch).
//!
//! Errors are classified so that a 404, a refused connection, an untrusted
//! certificate and a body cut short each read as what they are, never as a
//! digest mismatch.
//!
//! No request goes to a URL that carries credentials (`user:password@host`),
//! and no proxy is taken from one: ureq would send them as Basic
//! authentication to whatever host the URL names, and a URL ends up in
//! messages. The component refuses such URLs first; this is the host's own
//! check, for any component that asks. A URL is shown with them as `***`.

use crate::credentials::is_loopback;
pub use crate::credentials::{Credential, RegistryCredentials};
use crate::error::Error;
use crate::limits::LIMITS;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, Proxy};

/// Why a fetch failed: the WIT `fetch-error` the component imports. The
/// component adds the URL and decides whether to try again
/// ([`FetchError::Connect`], [`FetchError::Timeout`],
/// [`FetchError::Truncated`], [`FetchError::Transport`] and a 5xx are
/// retried; nothing else is).
pub use crate::engine::FetchError;

/// Lends the component the network: a GET per URL it asks for.
///
/// Implementations must be shareable between threads: one [`Installer`]
/// runs calls from many threads at once, each with the same fetcher.
///
/// [`Installer`]: crate::Installer
pub trait Fetch: Send + Sync {
    /// Starts a GET of `url`, following redirects as the implementation
    /// allows. A non-2xx answer is [`FetchError::HttpStatus`].
    fn get(&self, url: &str) -> Result<Box<dyn FetchBody>, FetchError>;

    /// Sends a request `get` cannot make (an OCI registry's API calls),
    /// returning any status with its headers and body. Implementations add
    /// the credentials they hold for the URL's host. The default refuses:
    /// a fetcher that only GETs cannot reach an OCI registry.
    fn send(&self, request: &Request) -> Result<(Head, Box<dyn FetchBody>), FetchError> {
        Err(FetchError::Transport(format!(
            "this fetcher cannot send a {} request to {}",
            request.method.as_str(),
            request.url
        )))
    }

    /// Sends several requests and returns one answer per request, in
    /// their order: each as [`Fetch::send`] gives it, with its body read
    /// whole, a body over `max_body` bytes being that request's
    /// [`FetchError::Protocol`]. The component sends a sparse registry's
    /// files this way, so an implementation may run them side by side; the
    /// default sends them one after another through `send`.
    fn send_all(&self, requests: &[Request], max_body: u64) -> Vec<Result<Answer, FetchError>> {
        requests
            .iter()
            .map(|request| {
                let (head, mut body) = self.send(request)?;
                let bytes = read_whole(body.as_mut(), announced(request, &head), max_body, None)?;
                Ok((head, bytes))
            })
            .collect()
    }
}

/// A response head and its whole body: one answer of [`Fetch::send_all`].
pub type Answer = (Head, Vec<u8>);

/// The length a response's body must have: its announced one, but for a
/// HEAD, whose length is the resource's and which has no body.
fn announced(request: &Request, head: &Head) -> Option<u64> {
    head.length.filter(|_| request.method != Method::Head)
}

/// Reads `body` to its end, refusing more than `max` bytes, and one
/// shorter or longer than `announced`, and (past `until`) giving up as a
/// timeout.
fn read_whole(
    body: &mut dyn FetchBody,
    announced: Option<u64>,
    max: u64,
    until: Option<Instant>,
) -> Result<Vec<u8>, FetchError> {
    if announced.is_some_and(|n| n > max) {
        return Err(too_large(max));
    }
    let mut bytes = Vec::new();
    loop {
        if until.is_some_and(|t| Instant::now() > t) {
            return Err(FetchError::Timeout(format!(
                "the body was not whole in time ({} bytes received)",
                bytes.len()
            )));
        }
        let left = (max + 1).saturating_sub(bytes.len() as u64);
        let chunk = body.read(left.clamp(1, 1 << 20) as usize)?;
        let received = bytes.len() as u64;
        match announced {
            Some(total) if chunk.is_empty() && received < total => {
                return Err(FetchError::Truncated((received, total)));
            }
            Some(total) if received + chunk.len() as u64 > total => {
                return Err(FetchError::Protocol(format!(
                    "the server sent more than the {total} bytes it announced"
                )));
            }
            _ if chunk.is_empty() => return Ok(bytes),
            _ => {}
        }
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > max {
            return Err(too_large(max));
        }
    }
}

fn too_large(max: u64) -> FetchError {
    FetchError::Protocol(format!("the body is larger than the {max} bytes asked for"))
}

/// The methods [`Fetch::send`] makes, a request for it and the head of
/// its response: the WIT `fetch` interface's own `method`, `request` and
/// `response-head`, which the component sends and receives as they are.
pub use crate::engine::{Method, Request, ResponseHead as Head};

impl Method {
    /// The method as HTTP spells it (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
        }
    }
}

/// A response body being received.
pub trait FetchBody: Send {
    /// The length the server announced, if it did.
    fn announced(&self) -> Option<u64>;
    /// Up to `max` further bytes; an empty vector at the end of the body.
    fn read(&mut self, max: usize) -> Result<Vec<u8>, FetchError>;
}

/// A fetcher that refuses every URL: for operations that must not touch the
/// network, and for runtimes that install only from local registries.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

impl Fetch for Offline {
    fn get(&self, _url: &str) -> Result<Box<dyn FetchBody>, FetchError> {
        Err(FetchError::Transport(
            "this command is not granted network access".into(),
        ))
    }
}

/// How a download is going, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The URL being downloaded.
    pub url: String,
    /// Bytes received so far.
    pub received: u64,
    /// The announced length, if any.
    pub total: Option<u64>,
    /// True once, at the end of the body (or when it failed).
    pub done: bool,
}

/// Called with every change of a download's [`Progress`].
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How [`HttpFetch`] makes requests.
#[derive(Clone)]
pub struct HttpOptions {
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
    /// Longest wait for any single read or write, and for a response's
    /// status and headers in all.
    pub read_timeout: Duration,
    /// Redirects followed at most (never from https down to plain http).
    pub max_redirects: u32,
    /// A PEM file of CA certificates to trust instead of the web roots.
    pub ca_cert: Option<PathBuf>,
    /// Told how each download is going.
    pub progress: Option<ProgressFn>,
    /// What to present to OCI registries ([`Fetch::send`] only).
    pub credentials: RegistryCredentials,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_redirects: 5,
            ca_cert: None,
            progress: None,
            credentials: RegistryCredentials::default(),
        }
    }
}

impl std::fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("max_redirects", &self.max_redirects)
            .field("ca_cert", &self.ca_cert)
            .field("progress", &self.progress.is_some())
            .field("credentials", &self.credentials)
            .finish()
    }
}

/// The default fetcher: http and https over ureq, with rustls.
///
/// Proxies come from `HTTPS_PROXY` / `HTTP_PROXY` (each for its scheme),
/// `ALL_PROXY` and `NO_PROXY`, read when it is made.
///
/// ```
/// use wasm_plugin::fetch::{HttpFetch, HttpOptions};
/// use std::time::Duration;
///
/// let fetch = HttpFetch::new(HttpOptions {
///     read_timeout: Duration::from_secs(5),
///     ..HttpOptions::default()
/// })?;
/// # Ok::<(), wasm_plugin::Error>(())
/// ```
pub struct HttpFetch {
    http: Agent,
    https: Agent,
    options: HttpOptions,
    /// Bearer tokens a registry's token service issued, by host and scope.
    tokens: Mutex<HashMap<(String, String), String>>,
    /// How long one body read may collect bytes (`HostLimits`).
    body_read_slice: Duration,
    /// Requests of a batch sent at once, and the time each may take
    /// (`HostLimits`).
    batch_in_flight: usize,
    batch_request: Duration,
    /// The docker config's logins, read when a registry first asks.
    docker_logins: OnceLock<HashMap<String, Credential>>,
}

impl std::fmt::Debug for HttpFetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFetch")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl HttpFetch {
    /// A fetcher with these options. Fails on a CA file that cannot be used,
    /// or a proxy variable that is not a proxy URL or carries credentials.
    pub fn new(options: HttpOptions) -> Result<HttpFetch, Error> {
        let tls = tls_config(options.ca_cert.as_deref()).map_err(Error::usage)?;
        // `https_only` on the https agent: a redirect from https down to
        // plain http would drop the protection an https URL was chosen for
        // (and the rule that an index over http must be signed).
        let agent = |proxy: Option<Proxy>, https_only: bool| -> Agent {
            Agent::config_builder()
                .https_only(https_only)
                .timeout_connect(Some(options.connect_timeout))
                .timeout_per_read(Some(options.read_timeout))
                .timeout_per_write(Some(options.read_timeout))
                // The status line and headers whole, not per read: ureq
                // reads them before the component regains control, so a
                // server trickling them would otherwise hold a call past
                // its deadline (the body is handed back piece by piece).
                .timeout_recv_response(Some(options.read_timeout))
                .max_redirects(options.max_redirects)
                // Statuses are reported by us, with the code, not as ureq errors.
                .http_status_as_error(false)
                // Blob downloads redirect to storage hosts: credentials
                // never follow a redirect (ureq's default, stated here).
                .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
                .tls_config(tls.clone())
                .proxy(proxy)
                .build()
                .into()
        };
        let http_proxy = proxy_from_env(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
            .map_err(Error::usage)?;
        let https_proxy = proxy_from_env(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])
            .map_err(Error::usage)?;
        Ok(HttpFetch {
            http: agent(http_proxy, false),
            https: agent(https_proxy, true),
            options,
            tokens: Mutex::new(HashMap::new()),
            body_read_slice: LIMITS.body_read_slice,
            batch_in_flight: LIMITS.batch_in_flight,
            batch_request: LIMITS.batch_request,
            docker_logins: OnceLock::new(),
        })
    }

    fn classify(&self, url: &str, e: ureq::Error) -> FetchError {
        let host = host_of(url);
        match e {
            ureq::Error::StatusCode(code) => FetchError::HttpStatus(code),
            ureq::Error::BadUri(msg) => FetchError::InvalidUrl(msg),
            ureq::Error::Http(e) => FetchError::InvalidUrl(e.to_string()),
            ureq::Error::HostNotFound => FetchError::Connect(format!("host {host} not found")),
            ureq::Error::ConnectionFailed => {
                FetchError::Connect(format!("cannot connect to {host}"))
            }
            ureq::Error::Timeout(which) => FetchError::Timeout(timeout_words(which)),
            ureq::Error::TooManyRedirects => FetchError::Protocol(format!(
                "more than {} redirects",
                self.options.max_redirects
            )),
            ureq::Error::RequireHttpsOnly(_) => FetchError::Protocol(format!(
                "{host} redirected from https to plain http; refused"
            )),
            ureq::Error::Rustls(e) => tls_error(&host, &e),
            ureq::Error::Tls(msg) => FetchError::Tls(format!("TLS with {host} failed: {msg}")),
            ureq::Error::Protocol(e) => {
                FetchError::Protocol(format!("{host} did not answer with valid HTTP ({e})"))
            }
            ureq::Error::Io(e) => match rustls_cause(&e) {
                Some(e) => tls_error(&host, e),
                None => io_error(&host, e),
            },
            other => FetchError::Transport(other.to_string()),
        }
    }
}

impl HttpFetch {
    fn agent(&self, url: &str) -> Result<&Agent, FetchError> {
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("http") => Ok(&self.http),
            Some("https") => Ok(&self.https),
            Some(other) => Err(FetchError::UnsupportedScheme(other.to_string())),
            None => Err(FetchError::InvalidUrl(format!(
                "{url} is not an absolute URL"
            ))),
        }
    }

    /// One request, with `authorization` if given; any status comes back.
    fn run(
        &self,
        request: &Request,
        authorization: Option<&str>,
    ) -> Result<ureq::http::Response<ureq::Body>, FetchError> {
        refuse_credentials(&request.url)?;
        let agent = self.agent(&request.url)?;
        let method = request.method.as_str();
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        let invalid = |e: ureq::http::Error| FetchError::InvalidUrl(e.to_string());
        let sent = match &request.body {
            Some(body) => agent.run(builder.body(body.clone()).map_err(invalid)?),
            // No body, not an empty one: a GET carries no Content-Length.
            None => agent.run(builder.body(()).map_err(invalid)?),
        };
        sent.map_err(|e| self.classify(&request.url, e))
    }

    /// A token from the registry's token service for this challenge,
    /// presenting `credential` if there is one (the anonymous flow of
    /// public registries otherwise).
    fn bearer_token(
        &self,
        challenge: &BearerChallenge,
        credential: Option<&Credential>,
        registry_url: &str,
    ) -> Result<String, FetchError> {
        let mut url = challenge.realm.clone();
        // The token service may be another host (Docker Hub's is), as in
        // docker; but over plain http only when both it and the registry
        // are on loopback.
        let realm_ok = url.to_ascii_lowercase().starts_with("https://")
            || (may_carry_credentials(&url) && is_loopback(&host_of(registry_url)));
        let credential = credential.filter(|_| realm_ok);
        let mut query = Vec::new();
        if let Some(service) = &challenge.service {
            query.push(("service", service.as_str()));
        }
        if let Some(scope) = &challenge.scope {
            query.push(("scope", scope.as_str()));
        }
        refuse_credentials(&url)?;
        let agent = self.agent(&url)?;
        if !query.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(
                &query
                    .iter()
                    .map(|(k, v)| format!("{k}={}", percent_encode(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
            );
        }
        let mut token_request = agent.get(&url);
        if let Some(credential) = credential {
            token_request = token_request.header("authorization", &credential.header());
        }
        let mut response = token_request.call().map_err(|e| self.classify(&url, e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(FetchError::HttpStatus(status));
        }
        #[derive(serde::Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let bytes = response
            .body_mut()
            .with_config()
            .limit(64 << 10)
            .read_to_vec()
            .map_err(|e| self.classify(&url, e))?;
        let token: Token = serde_json::from_slice(&bytes).map_err(|e| {
            FetchError::Protocol(format!(
                "the token service at {} did not answer with a token ({e})",
                host_of(&url)
            ))
        })?;
        token.token.or(token.access_token).ok_or_else(|| {
            FetchError::Protocol(format!(
                "the token service at {} sent no token",
                host_of(&url)
            ))
        })
    }
}

impl HttpFetch {
    /// What to present to `host`: the options' credentials, else the
    /// docker config's login for it (the config read now, the first time a
    /// registry asks, and never for a run that needs no credentials).
    fn credential_for(&self, host: &str) -> Option<Credential> {
        let credentials = &self.options.credentials;
        credentials.for_host(host).or_else(|| {
            let logins = self.docker_logins.get_or_init(|| {
                credentials
                    .docker_config
                    .as_deref()
                    .map(crate::files::docker_logins)
                    .unwrap_or_default()
            });
            logins.get(&host.to_ascii_lowercase()).cloned()
        })
    }

    /// A token issued earlier for the repository `url` names on `host`
    /// (`/v2/<repository>/...`; a push and a pull scope both cover it).
    fn cached_token(&self, host: &str, url: &str) -> Option<String> {
        let path = url.split_once("://")?.1;
        let path = &path[path.find('/')?..];
        let rest = path.strip_prefix("/v2/")?;
        let end = ["/tags/", "/manifests/", "/blobs/"]
            .iter()
            .filter_map(|marker| rest.find(marker))
            .min()?;
        let wanted = format!("repository:{}:", &rest[..end]);
        let tokens = self.tokens.lock().ok()?;
        tokens
            .iter()
            .filter(|((h, scope), _)| h == host && scope.split(' ').any(|s| s.starts_with(&wanted)))
            .max_by_key(|((_, scope), _)| scope.contains("push"))
            .map(|(_, token)| token.clone())
    }
}

/// What a `WWW-Authenticate: Bearer ...` challenge asks for.
struct BearerChallenge {
    realm: String,
    service: Option<String>,
    scope: Option<String>,
}

fn bearer_challenge(headers: &ureq::http::HeaderMap) -> Option<BearerChallenge> {
    for value in headers.get_all("www-authenticate") {
        let Ok(text) = value.to_str() else { continue };
        let Ok(challenges) = http_auth::parse_challenges(text) else {
            continue;
        };
        for challenge in challenges {
            if !challenge.scheme.eq_ignore_ascii_case("bearer") {
                continue;
            }
            let param = |name: &str| {
                challenge
                    .params
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.to_unescaped())
            };
            if let Some(realm) = param("realm") {
                return Some(BearerChallenge {
                    realm,
                    service: param("service"),
                    scope: param("scope"),
                });
            }
        }
    }
    None
}

/// Credentials go over https, or plain http to a loopback address only.
fn may_carry_credentials(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://") || (lower.starts_with("http://") && is_loopback(&host_of(url)))
}

fn percent_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl Fetch for HttpFetch {
    fn send(&self, request: &Request) -> Result<(Head, Box<dyn FetchBody>), FetchError> {
        if request
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        {
            return Err(FetchError::InvalidUrl(
                "the component may not set Authorization; credentials are the host's".into(),
            ));
        }
        // Authenticate as docker does: a token issued earlier for this
        // repository, else nothing until the registry asks; on a bearer
        // challenge, a token for its scope (presenting the credentials held
        // for the host, if any) and one retry; on a basic challenge, the
        // host's user and password. Only the host asked: a 401 from where a
        // redirect led is returned as it is. Nothing goes over plain http
        // except to loopback.
        let host = host_of(&request.url);
        let allowed = may_carry_credentials(&request.url);
        let cached = self
            .cached_token(&host, &request.url)
            .filter(|_| allowed)
            .map(|token| format!("Bearer {token}"));
        let mut response = self.run(request, cached.as_deref())?;
        let asked_by_host = response.status().as_u16() == 401
            && ureq::ResponseExt::get_uri(&response)
                .authority()
                .is_some_and(|a| a.as_str().eq_ignore_ascii_case(&host));
        if asked_by_host && allowed {
            let credential = self.credential_for(&host);
            let retry = match (bearer_challenge(response.headers()), &credential) {
                // A token service that refuses leaves the registry's 401 to
                // report (or, for a catalog, to mean "not offered").
                (Some(challenge), _) => self
                    .bearer_token(&challenge, credential.as_ref(), &request.url)
                    .ok()
                    .map(|token| {
                        if let Ok(mut tokens) = self.tokens.lock() {
                            let scope = challenge.scope.clone().unwrap_or_default();
                            tokens.insert((host.clone(), scope), token.clone());
                        }
                        format!("Bearer {token}")
                    }),
                (None, Some(credential)) => Some(credential.header()),
                (None, None) => None,
            };
            if let Some(authorization) = retry {
                response = self.run(request, Some(&authorization))?;
            }
        }
        let head = Head {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            length: response.body().content_length(),
        };
        let body = HttpBody {
            announced: head.length,
            reader: Box::new(response.into_body().into_reader()),
            buf: Vec::new(),
            slice: self.body_read_slice,
            url: request.url.clone(),
            received: 0,
            pending: None,
            progress: self
                .options
                .progress
                .clone()
                .filter(|_| request.method == Method::Get),
            done: false,
        };
        Ok((head, Box::new(body)))
    }

    /// The requests on scoped threads, at most `batch_in_flight` at once
    /// (8), sharing this fetcher's agents, so that connections to a host
    /// are kept alive from one request to the next. Each goes through
    /// `send` (credentials and redirects exactly as there) and its body is
    /// read whole within `batch_request` (a minute): a batch holds the
    /// component off until every request has ended.
    fn send_all(&self, requests: &[Request], max_body: u64) -> Vec<Result<Answer, FetchError>> {
        let one = |request: &Request| -> Result<Answer, FetchError> {
            let until = Instant::now() + self.batch_request;
            let (head, mut body) = self.send(request)?;
            let bytes = read_whole(
                body.as_mut(),
                announced(request, &head),
                max_body,
                Some(until),
            )?;
            Ok((head, bytes))
        };
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Option<Result<Answer, FetchError>>>> =
            requests.iter().map(|_| Mutex::new(None)).collect();
        let workers = self.batch_in_flight.clamp(1, requests.len().max(1));
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    // Each worker takes the next request not yet taken, so
                    // a slow answer holds up one worker, not the batch.
                    loop {
                        let k = next.fetch_add(1, Ordering::SeqCst);
                        let Some(request) = requests.get(k) else {
                            break;
                        };
                        let answer = one(request);
                        if let Ok(mut slot) = slots[k].lock() {
                            *slot = Some(answer);
                        }
                    }
                });
            }
        });
        slots
            .into_iter()
            .map(|slot| {
                slot.into_inner().ok().flatten().unwrap_or_else(|| {
                    Err(FetchError::Transport("the request was never sent".into()))
                })
            })
            .collect()
    }

    /// A plain GET: no credentials, ever (indexes and artefacts on any
    /// host; only an OCI registry's API, through `send`, is authenticated).
    fn get(&self, url: &str) -> Result<Box<dyn FetchBody>, FetchError> {
        let request = Request {
            method: Method::Get,
            url: url.to_string(),
            headers: Vec::new(),
            body: None,
        };
        let response = self.run(&request, None)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(FetchError::HttpStatus(status));
        }
        let announced = response.body().content_length();
        Ok(Box::new(HttpBody {
            reader: Box::new(response.into_body().into_reader()),
            buf: Vec::new(),
            slice: self.body_read_slice,
            url: url.to_string(),
            announced,
            received: 0,
            pending: None,
            progress: self.options.progress.clone(),
            done: false,
        }))
    }
}

/// The trust roots for https: the bundled web roots, or only the CAs in
/// `ca_cert` (as curl's `--cacert` does).
fn tls_config(ca_cert: Option<&Path>) -> Result<TlsConfig, String> {
    let Some(path) = ca_cert else {
        return Ok(TlsConfig::builder().root_certs(RootCerts::WebPki).build());
    };
    let pem = crate::files::read_capped(path, "--ca-cert", LIMITS.ca_cert)?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_, _>>()
        .map_err(|e| {
            format!(
                "--ca-cert {} is not a PEM certificate file: {e}",
                path.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!(
            "--ca-cert {} holds no certificate (expected -----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(TlsConfig::builder()
        .root_certs(RootCerts::new_with_certs(&certs))
        .build())
}

/// The proxy named by the first of `vars` that is set, honouring NO_PROXY.
/// A proxy URL with credentials is refused, and never echoed with them.
fn proxy_from_env(vars: &[&str]) -> Result<Option<Proxy>, String> {
    let Some((var, value)) = vars.iter().find_map(|v| {
        std::env::var(v)
            .ok()
            .filter(|x| !x.trim().is_empty())
            .map(|x| (*v, x))
    }) else {
        return Ok(None);
    };
    let value = value.trim();
    let shown = redacted(value);
    if userinfo(value).is_some() {
        return Err(format!(
            "{var}={shown}: the proxy URL carries credentials (user:password@); URLs may not, \
             and wasm-plugin does not authenticate to proxies: name a proxy that needs none"
        ));
    }
    let uri: ureq::http::Uri = value
        .parse()
        .map_err(|e| format!("{var}={shown} is not a proxy URL: {e}"))?;
    let scheme = uri.scheme_str().unwrap_or("http");
    let protocol = ureq::ProxyProtocol::try_from(scheme).map_err(|_| {
        format!("{var}={shown}: the {scheme} proxy scheme is not supported (use http://)")
    })?;
    let host = uri
        .host()
        .ok_or_else(|| format!("{var}={shown} names no host"))?;
    let mut builder = Proxy::builder(protocol).host(host);
    if let Some(port) = uri.port_u16() {
        builder = builder.port(port);
    }
    let no_proxy = ["NO_PROXY", "no_proxy"]
        .iter()
        .find_map(|v| std::env::var(v).ok())
        .unwrap_or_default();
    for entry in no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        builder = builder.no_proxy(entry);
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| format!("{var}={shown}: {e}"))
}

/// The `host[:port]` of a URL (never the credentials before it).
pub(crate) fn host_of(url: &str) -> String {
    let authority = url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(rest))
        .unwrap_or(url);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_string()
}

/// Where the credentials of `[scheme://]user:password@host/...` are: the
/// authority (up to the first `/`, `?` or `#`) up to its last `@`, as ureq
/// reads it.
fn userinfo(url: &str) -> Option<std::ops::Range<usize>> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    authority.rfind('@').map(|at| start..start + at + 1)
}

/// `url` with any credentials replaced by `***`, for messages.
pub(crate) fn redacted(url: &str) -> String {
    match userinfo(url) {
        Some(range) => format!("{}***@{}", &url[..range.start], &url[range.end..]),
        None => url.to_string(),
    }
}

/// Refuses a URL with credentials in it, without repeating them.
fn refuse_credentials(url: &str) -> Result<(), FetchError> {
    match userinfo(url) {
        Some(_) => Err(FetchError::InvalidUrl(
            "the URL carries credentials (user:password@), which are never sent; registry \
             credentials are given with --registry-token-file or by docker login (the docker \
             config)"
                .into(),
        )),
        None => Ok(()),
    }
}

/// The rustls error inside an I/O error, if the handshake failed.
fn rustls_cause(e: &std::io::Error) -> Option<&rustls::Error> {
    e.get_ref()?.downcast_ref::<rustls::Error>()
}

/// Says which host, why, and how to pass a CA when that is the fix.
fn tls_error(host: &str, e: &rustls::Error) -> FetchError {
    use rustls::CertificateError as C;
    let hint = "if it is signed by a private CA, pass that CA's certificate with --ca-cert <pem> \
                (or set WASM_PLUGIN_CA_CERT)";
    let text = match e {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => {
            format!("the certificate of {host} is not signed by a trusted authority; {hint}")
        }
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => {
            format!("the certificate {host} presented is for another host name")
        }
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            format!("the certificate of {host} has expired")
        }
        rustls::Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            format!("the certificate of {host} is not valid yet (check this machine's clock)")
        }
        rustls::Error::InvalidCertificate(C::BadEncoding) => {
            format!("{host} sent a malformed certificate")
        }
        rustls::Error::InvalidCertificate(other) => {
            format!("the certificate of {host} is not trusted ({other:?}); {hint}")
        }
        other => format!("the TLS handshake with {host} failed: {other}"),
    };
    FetchError::Tls(text)
}

fn io_error(host: &str, e: std::io::Error) -> FetchError {
    use std::io::ErrorKind::*;
    // The resolver's failure carries no kind of its own.
    if e.to_string().contains("lookup address") {
        return FetchError::Connect(format!("host {host} not found"));
    }
    match e.kind() {
        ConnectionRefused => FetchError::Connect(format!("{host} refused the connection")),
        HostUnreachable | NetworkUnreachable | AddrNotAvailable => {
            FetchError::Connect(format!("{host}: {e}"))
        }
        TimedOut | WouldBlock => FetchError::Timeout(format!("{host} did not answer in time")),
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
            FetchError::Transport(format!("{host} closed the connection ({e})"))
        }
        InvalidData => FetchError::Protocol(format!("{host} did not answer with valid HTTP ({e})")),
        _ => FetchError::Transport(format!("{host}: {e}")),
    }
}

/// A response body from [`HttpFetch`].
struct HttpBody {
    reader: Box<dyn Read + Send + Sync>,
    /// Where reads land, kept between them (a read returns a copy of what
    /// arrived, not a fresh zeroed buffer of `max` bytes each time).
    buf: Vec<u8>,
    /// How long one read may go on collecting bytes (see `read`).
    slice: Duration,
    url: String,
    announced: Option<u64>,
    received: u64,
    /// An error met after some bytes of a read arrived; reported next time.
    pending: Option<FetchError>,
    progress: Option<ProgressFn>,
    done: bool,
}

impl FetchBody for HttpBody {
    fn announced(&self) -> Option<u64> {
        self.announced
    }

    fn read(&mut self, max: usize) -> Result<Vec<u8>, FetchError> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        let mut buf = std::mem::take(&mut self.buf);
        if buf.len() < max {
            buf.resize(max, 0);
        }
        let result = self.fill(&mut buf[..max]);
        self.buf = buf;
        result
    }
}

impl HttpBody {
    /// Fills `buf` as far as the socket allows, so the component does not
    /// pay a call per small TCP segment; but hands back what arrived once a
    /// read has gone on for `slice`, so that the component (which checks
    /// its deadline and signals only while it runs) is never held here by a
    /// server that trickles: each byte would restart the per-read timeout.
    /// Only the end of the body is empty: every other return holds at least
    /// one byte.
    fn fill(&mut self, buf: &mut [u8]) -> Result<Vec<u8>, FetchError> {
        let started = Instant::now();
        let mut filled = 0;
        while filled < buf.len() {
            match self.reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => {
                    filled += n;
                    if started.elapsed() >= self.slice {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.received += filled as u64;
                    let e = self.classify_read(e);
                    self.report(true);
                    if filled == 0 {
                        return Err(e);
                    }
                    // Deliver what arrived; the error comes with the next read.
                    self.pending = Some(e);
                    return Ok(buf[..filled].to_vec());
                }
            }
        }
        self.received += filled as u64;
        self.report(filled == 0);
        Ok(buf[..filled].to_vec())
    }
}

impl HttpBody {
    fn report(&mut self, done: bool) {
        if self.done {
            return;
        }
        self.done = done;
        if let Some(progress) = &self.progress {
            progress(&Progress {
                url: self.url.clone(),
                received: self.received,
                total: self.announced,
                done,
            });
        }
    }

    fn classify_read(&self, e: std::io::Error) -> FetchError {
        use std::io::ErrorKind::*;
        if let Some(tls) = rustls_cause(&e) {
            return tls_error("the server", tls);
        }
        // ureq reports its own timeouts inside the I/O error.
        if let Some(ureq::Error::Timeout(_)) =
            e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>())
        {
            return FetchError::Timeout(format!(
                "no data for too long after {} bytes",
                self.received
            ));
        }
        match (e.kind(), self.announced) {
            (TimedOut | WouldBlock, _) => FetchError::Timeout(format!(
                "no data for too long after {} bytes",
                self.received
            )),
            (UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe, Some(total)) => {
                FetchError::Truncated((self.received, total))
            }
            (ConnectionReset | ConnectionAborted | BrokenPipe, None) => FetchError::Transport(
                format!("the connection was reset after {} bytes", self.received),
            ),
            _ => FetchError::Transport(e.to_string()),
        }
    }
}

impl Drop for HttpBody {
    fn drop(&mut self) {
        self.report(true);
    }
}

/// Which of ureq's timeouts passed, in words (its own names read as
/// "per read timed out").
fn timeout_words(which: ureq::Timeout) -> String {
    use ureq::Timeout as T;
    match which {
        T::Resolve => "resolving the host name took too long".into(),
        T::Connect => "no connection within the connect timeout".into(),
        T::SendRequest | T::SendBody | T::PerWrite => "sending the request stalled".into(),
        T::Await100 | T::RecvResponse => {
            "no whole response head (status and headers) within the read timeout (--timeout)".into()
        }
        T::RecvBody | T::PerRead => {
            "the server went quiet for longer than the read timeout (--timeout)".into()
        }
        T::Global | T::PerCall => "the whole request took too long".into(),
        other => format!("{other} timed out"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `component --wasi-http` fetches with its own copy of these limits.
    #[test]
    fn the_wasi_http_component_keeps_the_same_transport_limits() {
        use wasm_plugin_fetch_wasi_http as wasi_http;
        let native = HttpOptions::default();
        assert_eq!(native.max_redirects, wasi_http::MAX_REDIRECTS);
        assert_eq!(
            native.connect_timeout.as_secs(),
            wasi_http::CONNECT_TIMEOUT_SECS
        );
        assert_eq!(native.read_timeout.as_secs(), wasi_http::READ_TIMEOUT_SECS);
        assert_eq!(LIMITS.batch_in_flight, wasi_http::MAX_IN_FLIGHT);
    }

    #[test]
    fn hosts_are_taken_from_urls() {
        assert_eq!(
            host_of("https://a.example:8443/x/y.wasm?q"),
            "a.example:8443"
        );
        assert_eq!(host_of("http://127.0.0.1/"), "127.0.0.1");
        assert_eq!(host_of("http://u:secret@h:1/a@b"), "h:1");
    }

    #[test]
    fn credentials_in_urls_are_refused_and_never_shown() {
        for (url, shown) in [
            (
                "http://u:secret@127.0.0.1:1/i.json",
                "http://***@127.0.0.1:1/i.json",
            ),
            ("https://secret@h/", "https://***@h/"),
            ("u:secret@proxy:3128", "***@proxy:3128"),
        ] {
            assert_eq!(redacted(url), shown);
            let Err(FetchError::InvalidUrl(message)) = refuse_credentials(url) else {
                panic!("{url} was not refused")
            };
            assert!(!message.contains("secret"), "{message}");
            assert!(message.contains("--registry-token-file"), "{message}");
        }
        for url in ["https://h/a@b", "https://h/?q=a@b", "http://h#@"] {
            assert_eq!(redacted(url), url);
            refuse_credentials(url).unwrap();
        }
        // Nothing is sent: the request is refused before a connection.
        let fetch = HttpFetch::new(HttpOptions::default()).unwrap();
        let Err(e) = fetch.get("http://u:secret@127.0.0.1:9/index.json") else {
            panic!("fetched")
        };
        assert!(matches!(e, FetchError::InvalidUrl(_)), "{e:?}");
    }

    /// Gives `step` bytes per read, waiting `gap` before each, `total` in all.
    struct Paced {
        left: usize,
        step: usize,
        gap: Duration,
    }

    impl Read for Paced {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            std::thread::sleep(self.gap);
            let n = self.left.min(self.step).min(buf.len());
            buf[..n].fill(7);
            self.left -= n;
            Ok(n)
        }
    }

    fn body(reader: Paced, slice: Duration) -> HttpBody {
        HttpBody {
            reader: Box::new(reader),
            buf: Vec::new(),
            slice,
            url: "http://127.0.0.1/x".into(),
            announced: None,
            received: 0,
            pending: None,
            progress: None,
            done: false,
        }
    }

    #[test]
    fn a_trickled_body_is_handed_back_a_little_at_a_time() {
        // A byte every 20 ms: each read returns once it has gone on for the
        // slice, with what came, so the component regains control.
        let trickle = Paced {
            left: 1000,
            step: 1,
            gap: Duration::from_millis(20),
        };
        let mut body = body(trickle, Duration::from_millis(50));
        for _ in 0..3 {
            let started = Instant::now();
            let got = body.read(1 << 20).unwrap();
            assert!(
                (1..=4).contains(&got.len()),
                "{} bytes in one read",
                got.len()
            );
            assert!(started.elapsed() < Duration::from_millis(500));
        }
    }

    #[test]
    fn a_fast_body_still_fills_the_buffer_and_only_the_end_is_empty() {
        let fast = Paced {
            left: (2 << 20) + 5,
            step: 64 << 10,
            gap: Duration::ZERO,
        };
        let mut body = body(fast, Duration::from_millis(50));
        assert_eq!(body.read(1 << 20).unwrap().len(), 1 << 20);
        assert_eq!(body.read(1 << 20).unwrap().len(), 1 << 20);
        assert_eq!(body.read(1 << 20).unwrap(), vec![7; 5]);
        assert!(body.read(1 << 20).unwrap().is_empty());
        assert_eq!(body.received, (2 << 20) + 5);
    }

    /// Throughput of `HttpFetch` reading a 256 MiB body from a loopback
    /// server: whole buffers (the read before the slice), the slice, and a
    /// return after every socket read. Run by hand:
    /// `cargo test --release -p wasm-plugin --lib body_read_throughput -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn body_read_throughput() {
        use std::io::Write as _;
        const SIZE: usize = 256 << 20;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let chunk = vec![0x5a_u8; 1 << 20];
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                let mut head = [0u8; 4096];
                let _ = stream.read(&mut head);
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\nConnection: close\r\n\r\n"
                );
                for _ in 0..SIZE >> 20 {
                    if stream.write_all(&chunk).is_err() {
                        break;
                    }
                }
            }
        });
        let url = format!("http://{addr}/big");
        for (name, slice) in [
            ("whole buffers", Duration::MAX),
            ("50 ms slice", Duration::from_millis(50)),
            ("every socket read", Duration::ZERO),
        ] {
            let mut fetch = HttpFetch::new(HttpOptions::default()).unwrap();
            fetch.body_read_slice = slice;
            let started = Instant::now();
            let mut body = fetch.get(&url).unwrap();
            let (mut total, mut reads) = (0, 0);
            loop {
                let got = body.read(1 << 20).unwrap();
                if got.is_empty() {
                    break;
                }
                total += got.len();
                reads += 1;
            }
            let secs = started.elapsed().as_secs_f64();
            assert_eq!(total, SIZE);
            println!(
                "{name}: {:.0} MiB/s, {reads} reads, {:.0} KiB a read",
                SIZE as f64 / secs / (1 << 20) as f64,
                total as f64 / reads as f64 / 1024.0
            );
        }
    }

    /// A loopback server answering each request after `delay` with its
    /// path as the body (`/big` with more, `/gone` with a 404), counting
    /// the requests it answers at once.
    fn counting_server(delay: Duration) -> (String, Arc<AtomicUsize>) {
        use std::io::Write as _;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let seen = peak.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (now, peak) = (now.clone(), peak.clone());
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if stream.read(&mut byte).unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let at_once = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(at_once, Ordering::SeqCst);
                    std::thread::sleep(delay);
                    let line = String::from_utf8_lossy(&head).into_owned();
                    let path = line.split(' ').nth(1).unwrap_or("/").to_string();
                    let (status, body) = match path.as_str() {
                        "/big" => (200, vec![b'x'; 100]),
                        "/gone" => (404, b"no".to_vec()),
                        _ => (200, path.into_bytes()),
                    };
                    now.fetch_sub(1, Ordering::SeqCst);
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(&body);
                });
            }
        });
        (base, seen)
    }

    fn get_request(url: String) -> Request {
        Request {
            method: Method::Get,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    #[test]
    fn a_batch_runs_side_by_side_at_most_eight_at_once_and_answers_in_order() {
        let (base, peak) = counting_server(Duration::from_millis(150));
        let fetch = HttpFetch::new(HttpOptions::default()).unwrap();
        let mut requests: Vec<Request> = (0..20)
            .map(|k| get_request(format!("{base}/file{k}")))
            .collect();
        requests[3] = get_request(format!("{base}/big"));
        requests[5] = get_request(format!("{base}/gone"));
        let started = Instant::now();
        let answers = fetch.send_all(&requests, 50);
        assert_eq!(answers.len(), 20);
        for (k, answer) in answers.iter().enumerate() {
            match k {
                3 => assert!(
                    matches!(answer, Err(FetchError::Protocol(m)) if m.contains("50 bytes")),
                    "{answer:?}"
                ),
                5 => assert_eq!(answer.as_ref().unwrap().0.status, 404),
                _ => {
                    let (head, body) = answer.as_ref().unwrap();
                    assert_eq!(head.status, 200);
                    assert_eq!(body, format!("/file{k}").as_bytes());
                }
            }
        }
        let peak = peak.load(Ordering::SeqCst);
        assert!((2..=8).contains(&peak), "{peak} at once");
        // Twenty requests of 150 ms, eight at a time: three rounds, not twenty.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );

        // One at a time when bounded so, still in order.
        let (base, peak) = counting_server(Duration::from_millis(20));
        let mut fetch = HttpFetch::new(HttpOptions::default()).unwrap();
        fetch.batch_in_flight = 1;
        let requests: Vec<Request> = (0..4)
            .map(|k| get_request(format!("{base}/file{k}")))
            .collect();
        let bodies: Vec<Vec<u8>> = fetch
            .send_all(&requests, 1 << 10)
            .into_iter()
            .map(|a| a.unwrap().1)
            .collect();
        assert_eq!(
            bodies,
            [
                &b"/file0"[..],
                &b"/file1"[..],
                &b"/file2"[..],
                &b"/file3"[..]
            ]
        );
        assert_eq!(peak.load(Ordering::SeqCst), 1);
        assert!(fetch.send_all(&[], 1).is_empty());
    }

    #[test]
    fn a_batch_refuses_authorization_from_the_component_as_send_does() {
        let fetch = HttpFetch::new(HttpOptions::default()).unwrap();
        let mut request = get_request("http://127.0.0.1:9/x".into());
        request
            .headers
            .push(("Authorization".into(), "Bearer x".into()));
        let answers = fetch.send_all(&[request], 10);
        assert!(
            matches!(&answers[0], Err(FetchError::InvalidUrl(m)) if m.contains("Authorization")),
            "{answers:?}"
        );
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let err = tls_config(Some(&path)).unwrap_err();
        assert!(err.contains("holds no certificate"), "{err}");
        let err = tls_config(Some(&dir.path().join("missing.pem"))).unwrap_err();
        assert!(err.contains("cannot read"), "{err}");
    }
}
