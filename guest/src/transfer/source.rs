//! Reading an artefact's bytes in chunks, from a local file or through the
//! host's fetch capability.
//!
//! The component has no network: remote bytes come from a [`Fetcher`] the
//! host lends (the WIT `fetch` import; tests use their own). A body that ends
//! before the length the server announced is an error here, whatever the
//! host did, because a short artefact must never look like a digest mismatch.
//! No URL with credentials in it is handed to the fetcher, whoever made it
//! (see `location`).

use crate::error::{Error, FetchError, Fetched, Result};
use crate::limits::CHUNK_BYTES;
use crate::sandbox::{self, Links};
use crate::transfer::location::{Location, refuse_credentials};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Waits before the second and third try of a fetch that failed in a way
/// that may pass (see `FetchError::is_transient`): three tries in all.
#[cfg(not(test))]
const BACKOFF: [Duration; 2] = [Duration::from_millis(300), Duration::from_millis(1200)];
#[cfg(test)]
const BACKOFF: [Duration; 2] = [Duration::ZERO, Duration::ZERO];

/// Runs `attempt`, and again (at most three times in all) while it fails
/// with a transient fetch error. Each attempt starts from scratch: a new
/// request, a new stream, a new digest.
pub fn with_retries<T>(mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
    let mut waits = BACKOFF.iter();
    loop {
        match attempt() {
            Err(Error::FetchFailed { cause, .. }) if cause.is_transient() && waits.len() > 0 => {
                std::thread::sleep(*waits.next().expect("checked above"));
            }
            other => return other,
        }
    }
}

/// The whole content at `location`, or `None` if it is larger than `max`
/// bytes (for indexes and signatures, read whole and small). Remote reads
/// are retried.
pub fn read_all(location: &Location, fetcher: &dyn Fetcher, max: u64) -> Result<Option<Vec<u8>>> {
    if let Location::File(path) = location {
        return sandbox::read_at_most(path, max, Links::Follow);
    }
    with_retries(|| {
        let mut source = Source::open(location, fetcher)?;
        if source.announced_len().is_some_and(|n| n > max) {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = source.next_chunk()? {
            bytes.extend_from_slice(chunk);
            if bytes.len() as u64 > max {
                return Ok(None);
            }
        }
        Ok(Some(bytes))
    })
}

/// A response body being received.
pub trait RemoteBody {
    /// Up to `max` further bytes; empty at the end of the body.
    fn read(&mut self, max: u32) -> std::result::Result<Vec<u8>, FetchError>;
}

/// The capability to GET a URL, and to send the requests of an OCI
/// registry's API.
pub trait Fetcher {
    /// The body and, when announced, its length.
    fn get(&self, url: &str)
    -> std::result::Result<(Box<dyn RemoteBody>, Option<u64>), FetchError>;

    /// Any status comes back, with its headers and body. Fetchers that
    /// only GET (tests, `NoNetwork`) refuse.
    fn send(
        &self,
        request: &Request,
    ) -> std::result::Result<(Head, Box<dyn RemoteBody>), FetchError> {
        let scheme = request.url.split(':').next().unwrap_or_default();
        Err(FetchError::UnsupportedScheme(scheme.to_string()))
    }

    /// Sends `requests` and returns one answer per request, in their
    /// order, each body read whole (one over `max_body` bytes is that
    /// request's error, as is one shorter or longer than announced). The
    /// host's import runs them side by side; this default sends them one
    /// after another. Nothing is retried: a caller asks again for what
    /// failed, on its own.
    fn send_all(&self, requests: &[Request], max_body: u64) -> Vec<Answer> {
        requests
            .iter()
            .map(|request| send_whole(self, request, max_body))
            .collect()
    }

    /// A copy of `url` kept from an earlier run whose SHA-256 is `sha256`
    /// (a file a signed one pins by digest, so it needs no asking): only a
    /// cache in front of the network (`http_cache`) has one.
    fn cached(&self, _url: &str, _sha256: &str) -> Option<Vec<u8>> {
        None
    }

    /// Stops answering from a cache for the rest of the run, and says
    /// whether any answer so far came from one: a reader whose files failed
    /// their checks asks again, so that a damaged or tampered cache is
    /// never what decides.
    fn bypass_cache(&self) -> bool {
        false
    }
}

/// One answer of [`Fetcher::send_all`]: the head and the whole body.
pub type Answer = std::result::Result<(Head, Vec<u8>), FetchError>;

/// `request` sent through `fetcher.send` and its body read whole (at most
/// `max` bytes): one request of a batch sent one after another. A fetcher
/// that only GETs (tests, `NoNetwork`) answers a GET through `get`, as the
/// HTTP cache's conditional GET falls back to (validators dropped: the
/// answer is then a 200).
pub fn send_whole<F: Fetcher + ?Sized>(fetcher: &F, request: &Request, max: u64) -> Answer {
    let plain_get = request.method == Method::Get && request.body.is_none();
    let (head, mut body) = match fetcher.send(request) {
        Err(FetchError::UnsupportedScheme(_)) if plain_get => {
            let (body, length) = fetcher.get(&request.url)?;
            let head = Head {
                status: 200,
                headers: Vec::new(),
                length,
            };
            (head, body)
        }
        other => other?,
    };
    // A HEAD's length is the resource's; it has no body.
    let announced = head.length.filter(|_| request.method != Method::Head);
    let bytes = read_whole(body.as_mut(), announced, max)?;
    Ok((head, bytes))
}

/// A body read to its end and held to the length the server announced
/// (short: truncated; long: a broken protocol), at most `max` bytes (more
/// is a `Protocol` error: the caller asked for a small file).
pub fn read_whole(
    body: &mut dyn RemoteBody,
    announced: Option<u64>,
    max: u64,
) -> std::result::Result<Vec<u8>, FetchError> {
    let too_large = || FetchError::Protocol(format!("more than the {max} bytes asked for"));
    if announced.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    loop {
        let chunk = body.read(CHUNK_BYTES as u32)?;
        let received = bytes.len() as u64;
        match announced {
            Some(total) if chunk.is_empty() && received < total => {
                return Err(FetchError::Truncated(received, total));
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
            return Err(too_large());
        }
    }
}

/// The methods of [`Request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
}

/// A request beyond a plain GET (the WIT `request`).
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A response's status and headers (names in lowercase).
#[derive(Debug, Clone)]
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub length: Option<u64>,
}

impl Head {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` and reads the whole answer, at most `max` bytes of it,
/// retrying transient failures and server errors as downloads are.
pub fn exchange(fetcher: &dyn Fetcher, request: &Request, max: u64) -> Result<(Head, Vec<u8>)> {
    with_retries(|| exchange_once(fetcher, request, max))
}

/// `exchange` without retries, for a request that must not be repeated.
pub fn exchange_once(
    fetcher: &dyn Fetcher,
    request: &Request,
    max: u64,
) -> Result<(Head, Vec<u8>)> {
    let failed = |cause| Error::fetch_failed(request.url.clone(), cause);
    refuse_credentials(&request.url)?;
    {
        let (head, mut body) = fetcher.send(request).map_err(failed)?;
        if head.status >= 500 {
            return Err(failed(FetchError::HttpStatus(head.status)));
        }
        // A HEAD's length is the resource's; it has no body.
        if request.method == Method::Head {
            return Ok((head, Vec::new()));
        }
        if head.length.is_some_and(|n| n > max) {
            return Err(Error::TooLarge {
                source: request.url.clone(),
                limit: max,
            });
        }
        let mut bytes = Vec::new();
        loop {
            let chunk = body.read(CHUNK_BYTES as u32).map_err(failed)?;
            if chunk.is_empty() {
                break;
            }
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > max {
                return Err(Error::TooLarge {
                    source: request.url.clone(),
                    limit: max,
                });
            }
        }
        Ok((head, bytes))
    }
}

/// A fetcher for hosts that lend no network.
pub struct NoNetwork;

impl Fetcher for NoNetwork {
    fn get(
        &self,
        url: &str,
    ) -> std::result::Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
        let scheme = url.split(':').next().unwrap_or_default().to_string();
        Err(FetchError::UnsupportedScheme(scheme))
    }
}

/// An open artefact.
pub struct Source {
    shown: String,
    kind: Kind,
    buf: Vec<u8>,
    received: u64,
    limits: SizeLimits,
}

/// What an artefact's length must be.
#[derive(Debug, Clone, Copy, Default)]
struct SizeLimits {
    /// The published length.
    expected: Option<u64>,
    /// The most accepted.
    max: Option<u64>,
}

enum Kind {
    File(sandbox::RegularFile, PathBuf),
    Remote {
        body: Box<dyn RemoteBody>,
        announced: Option<u64>,
    },
}

impl Source {
    /// [`Source::open`] for an artefact at the location its index entry
    /// gives: a failed fetch of a URL is worded as such (a 404 points at
    /// the entry). An OCI blob's location is the registry's, not the
    /// entry's.
    pub fn open_artifact(location: &Location, fetcher: &dyn Fetcher) -> Result<Source> {
        Source::open(location, fetcher).map_err(|e| match location {
            Location::Remote(_) => e.fetching(Fetched::Artifact),
            _ => e,
        })
    }

    pub fn open(location: &Location, fetcher: &dyn Fetcher) -> Result<Source> {
        let kind = match location {
            Location::File(path) => Kind::File(
                sandbox::RegularFile::open(path, Links::Follow)?,
                path.clone(),
            ),
            Location::Remote(url) => {
                refuse_credentials(url)?;
                let (body, announced) = fetcher
                    .get(url)
                    .map_err(|cause| Error::fetch_failed(url.clone(), cause))?;
                Kind::Remote { body, announced }
            }
            Location::Registry(url) => {
                refuse_credentials(url)?;
                let failed = |cause| Error::fetch_failed(url.clone(), cause);
                let request = Request::new(Method::Get, url);
                let (head, body) = fetcher.send(&request).map_err(failed)?;
                if !(200..300).contains(&head.status) {
                    return Err(failed(FetchError::HttpStatus(head.status)));
                }
                Kind::Remote {
                    body,
                    announced: head.length,
                }
            }
        };
        Ok(Source::new(location.display(), kind))
    }

    /// A file in a plugins directory the installer owns: never through a
    /// symbolic link (see `sandbox::Links::Refuse`).
    pub fn open_owned(path: &Path) -> Result<Source> {
        let file = sandbox::RegularFile::open(path, Links::Refuse)?;
        Ok(Source::new(
            path.display().to_string(),
            Kind::File(file, path.to_path_buf()),
        ))
    }

    fn new(shown: String, kind: Kind) -> Source {
        Source {
            shown,
            kind,
            buf: Vec::new(),
            received: 0,
            limits: SizeLimits::default(),
        }
    }

    /// Holds the artefact to a published length and, for a download, a
    /// ceiling: a source that announces another length is refused at once,
    /// one that delivers more (or, at the end, other) than allowed as soon as
    /// it does. The ceiling guards against a server streaming without end; a
    /// local file is the operator's own and has none.
    pub fn limit(&mut self, expected: Option<u64>, max: u64) -> Result<()> {
        let max = matches!(self.kind, Kind::Remote { .. }).then_some(max);
        self.limits = SizeLimits { expected, max };
        match (self.announced_len(), expected, max) {
            (Some(announced), Some(expected), _) if announced != expected => {
                Err(self.size_mismatch(expected, announced))
            }
            (Some(announced), _, Some(max)) if announced > max => Err(self.too_large(max)),
            (_, Some(expected), Some(max)) if expected > max => Err(self.too_large(max)),
            _ => Ok(()),
        }
    }

    fn size_mismatch(&self, expected: u64, actual: u64) -> Error {
        Error::SizeMismatch {
            source: self.shown.clone(),
            expected,
            actual,
        }
    }

    fn too_large(&self, limit: u64) -> Error {
        Error::TooLarge {
            source: self.shown.clone(),
            limit,
        }
    }

    /// Where the bytes come from, for reports.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The length announced in advance, if any.
    pub fn announced_len(&self) -> Option<u64> {
        match &self.kind {
            Kind::File(file, _) => file.len_when_opened(),
            Kind::Remote { announced, .. } => *announced,
        }
    }

    /// The next chunk, or `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>> {
        let n = match &mut self.kind {
            Kind::File(file, path) => {
                self.buf.resize(CHUNK_BYTES, 0);
                file.read(&mut self.buf)
                    .map_err(|e| Error::io(path, "read", &e))?
            }
            Kind::Remote { body, announced } => {
                let failed = |cause| Error::fetch_failed(self.shown.clone(), cause);
                self.buf = body.read(CHUNK_BYTES as u32).map_err(failed)?;
                let n = self.buf.len() as u64;
                match *announced {
                    Some(total) if n == 0 && self.received < total => {
                        return Err(failed(FetchError::Truncated(self.received, total)));
                    }
                    Some(total) if self.received + n > total => {
                        return Err(failed(FetchError::Protocol(format!(
                            "the server sent more than the {total} bytes it announced"
                        ))));
                    }
                    _ => {}
                }
                self.buf.len()
            }
        };
        self.received += n as u64;
        if let Some(expected) = self.limits.expected
            && (self.received > expected || (n == 0 && self.received != expected))
        {
            return Err(self.size_mismatch(expected, self.received));
        }
        if self.limits.max.is_some_and(|max| self.received > max) {
            return Err(self.too_large(self.limits.max.unwrap_or_default()));
        }
        Ok((n > 0).then(|| &self.buf[..n]))
    }
}

#[cfg(test)]
pub mod testing {
    //! A scripted fetcher for unit tests.
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    #[derive(Clone)]
    pub enum Script {
        /// Serve these bytes, announcing this length, in chunks of this size.
        Body(Vec<u8>, Option<u64>, usize),
        /// Fail the GET itself.
        Fail(FetchError),
        /// Serve these bytes then fail.
        CutAfter(Vec<u8>, FetchError),
        /// Answer the first GETs with these scripts, one each, then `Body`.
        Sequence(Vec<Script>, Box<Script>),
    }

    /// Serves scripted answers by URL; 404 for anything else.
    #[derive(Default)]
    pub struct ScriptedFetcher {
        scripts: RefCell<HashMap<String, Script>>,
        calls: RefCell<Vec<String>>,
    }

    impl ScriptedFetcher {
        pub fn serve(&self, url: &str, script: Script) -> &Self {
            self.scripts.borrow_mut().insert(url.to_string(), script);
            self
        }

        pub fn clear(&self) {
            self.scripts.borrow_mut().clear();
        }

        /// URLs fetched so far, in order.
        pub fn calls(&self) -> Vec<String> {
            self.calls.borrow().clone()
        }

        /// The script for this call of `url`, consuming one step of a sequence.
        fn next(&self, url: &str) -> Option<Script> {
            let mut scripts = self.scripts.borrow_mut();
            match scripts.get_mut(url)? {
                Script::Sequence(steps, last) if steps.is_empty() => Some((**last).clone()),
                Script::Sequence(steps, _) => Some(steps.remove(0)),
                other => Some(other.clone()),
            }
        }
    }

    struct Body {
        chunks: Vec<Vec<u8>>,
        then: Option<FetchError>,
    }

    impl RemoteBody for Body {
        fn read(&mut self, _max: u32) -> std::result::Result<Vec<u8>, FetchError> {
            if self.chunks.is_empty() {
                return match self.then.take() {
                    Some(e) => Err(e),
                    None => Ok(Vec::new()),
                };
            }
            Ok(self.chunks.remove(0))
        }
    }

    impl Fetcher for ScriptedFetcher {
        fn get(
            &self,
            url: &str,
        ) -> std::result::Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
            self.calls.borrow_mut().push(url.to_string());
            match self.next(url) {
                None => Err(FetchError::HttpStatus(404)),
                Some(Script::Fail(e)) => Err(e),
                Some(Script::Body(bytes, announced, size)) => Ok((
                    Box::new(Body {
                        chunks: bytes.chunks(size.max(1)).map(<[u8]>::to_vec).collect(),
                        then: None,
                    }),
                    announced,
                )),
                Some(Script::CutAfter(bytes, e)) => Ok((
                    Box::new(Body {
                        chunks: vec![bytes],
                        then: Some(e),
                    }),
                    None,
                )),
                Some(Script::Sequence(..)) => panic!("nested sequences are not supported"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    fn drain(source: &mut Source) -> Result<Vec<u8>> {
        let mut all = Vec::new();
        while let Some(chunk) = source.next_chunk()? {
            all.extend_from_slice(chunk);
        }
        Ok(all)
    }

    fn remote(script: Script) -> Result<Vec<u8>> {
        let fetcher = ScriptedFetcher::default();
        fetcher.serve("http://h/a", script);
        let mut source = Source::open(&Location::Remote("http://h/a".into()), &fetcher)?;
        drain(&mut source)
    }

    #[test]
    fn a_file_is_read_whole_in_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wasm");
        let data: Vec<u8> = (0..CHUNK_BYTES * 2 + 5).map(|i| i as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let mut source = Source::open(&Location::File(path), &NoNetwork).unwrap();
        assert_eq!(source.announced_len(), Some(data.len() as u64));
        assert_eq!(drain(&mut source).unwrap(), data);
    }

    #[test]
    fn a_remote_body_is_read_whole() {
        let data = b"hello plugin".to_vec();
        assert_eq!(
            remote(Script::Body(data.clone(), Some(12), 5)).unwrap(),
            data
        );
        assert_eq!(remote(Script::Body(data.clone(), None, 5)).unwrap(), data);
    }

    #[test]
    fn a_body_shorter_than_announced_is_truncated() {
        let err = remote(Script::Body(b"short".to_vec(), Some(100), 2)).unwrap_err();
        assert_eq!(
            err,
            Error::fetch_failed("http://h/a", FetchError::Truncated(5, 100))
        );
    }

    #[test]
    fn a_body_longer_than_announced_is_refused() {
        let err = remote(Script::Body(b"too long".to_vec(), Some(3), 8)).unwrap_err();
        assert!(matches!(
            err,
            Error::FetchFailed {
                cause: FetchError::Protocol(_),
                ..
            }
        ));
    }

    #[test]
    fn fetch_errors_carry_the_url() {
        let err = remote(Script::Fail(FetchError::HttpStatus(500))).unwrap_err();
        assert_eq!(
            err,
            Error::fetch_failed("http://h/a", FetchError::HttpStatus(500))
        );
        let err = remote(Script::CutAfter(
            b"x".to_vec(),
            FetchError::Transport("reset".into()),
        ))
        .unwrap_err();
        assert!(matches!(
            err,
            Error::FetchFailed {
                cause: FetchError::Transport(_),
                ..
            }
        ));
    }

    #[test]
    fn without_network_remote_locations_fail_as_unsupported() {
        let Err(err) = Source::open(&Location::Remote("https://x/a".into()), &NoNetwork) else {
            panic!()
        };
        assert!(matches!(
            err,
            Error::FetchFailed { cause: FetchError::UnsupportedScheme(s), .. } if s == "https"
        ));
    }

    #[test]
    fn a_url_with_credentials_never_reaches_the_fetcher() {
        let fetcher = ScriptedFetcher::default();
        let url = "http://user:secret@h/a";
        fetcher.serve(url, Script::Body(b"x".to_vec(), None, 1));
        for location in [Location::Remote(url.into()), Location::Registry(url.into())] {
            let Err(err) = Source::open(&location, &fetcher) else {
                panic!("{location:?} was opened")
            };
            assert!(
                matches!(&err, Error::UnsupportedLocation { location, .. } if location == "http://***@h/a"),
                "{err:?}"
            );
        }
        let request = Request::new(Method::Get, url);
        let err = exchange(&fetcher, &request, 100).unwrap_err();
        assert!(
            matches!(&err, Error::UnsupportedLocation { location, .. } if location == "http://***@h/a"),
            "{err:?}"
        );
        assert!(fetcher.calls().is_empty());
    }

    fn limited(script: Script, expected: Option<u64>, max: u64) -> Result<Vec<u8>> {
        let fetcher = ScriptedFetcher::default();
        fetcher.serve("http://h/a", script);
        let mut source = Source::open(&Location::Remote("http://h/a".into()), &fetcher)?;
        source.limit(expected, max)?;
        drain(&mut source)
    }

    #[test]
    fn a_published_size_is_enforced_early_and_at_the_end() {
        let body = b"0123456789".to_vec();
        assert_eq!(
            limited(Script::Body(body.clone(), Some(10), 3), Some(10), 100).unwrap(),
            body
        );
        // Announced otherwise: refused before any byte is read.
        let err = limited(Script::Body(body.clone(), Some(10), 3), Some(12), 100).unwrap_err();
        assert!(
            matches!(
                err,
                Error::SizeMismatch {
                    expected: 12,
                    actual: 10,
                    ..
                }
            ),
            "{err:?}"
        );
        // Not announced, delivers more or fewer.
        let err = limited(Script::Body(body.clone(), None, 3), Some(5), 100).unwrap_err();
        assert!(
            matches!(err, Error::SizeMismatch { expected: 5, .. }),
            "{err:?}"
        );
        let err = limited(Script::Body(body.clone(), None, 3), Some(11), 100).unwrap_err();
        assert!(
            matches!(
                err,
                Error::SizeMismatch {
                    expected: 11,
                    actual: 10,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn a_local_file_has_no_ceiling_but_must_match_its_published_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wasm");
        std::fs::write(&path, vec![1u8; 100]).unwrap();
        let mut source = Source::open(&Location::File(path.clone()), &NoNetwork).unwrap();
        source.limit(None, 10).unwrap();
        assert_eq!(drain(&mut source).unwrap().len(), 100);
        let mut source = Source::open(&Location::File(path), &NoNetwork).unwrap();
        let err = source.limit(Some(99), 1000).unwrap_err();
        assert!(
            matches!(
                err,
                Error::SizeMismatch {
                    expected: 99,
                    actual: 100,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn the_size_ceiling_is_enforced_early_and_while_streaming() {
        let body = vec![7u8; 100];
        let err = limited(Script::Body(body.clone(), Some(100), 10), None, 50).unwrap_err();
        assert!(matches!(err, Error::TooLarge { limit: 50, .. }), "{err:?}");
        let err = limited(Script::Body(body.clone(), None, 10), None, 50).unwrap_err();
        assert!(matches!(err, Error::TooLarge { limit: 50, .. }), "{err:?}");
        assert_eq!(
            limited(Script::Body(body, None, 10), None, 100)
                .unwrap()
                .len(),
            100
        );
    }

    fn fetch_all(fetcher: &ScriptedFetcher) -> Result<Option<Vec<u8>>> {
        read_all(&Location::Remote("http://h/a".into()), fetcher, 1 << 20)
    }

    #[test]
    fn transient_failures_are_retried_up_to_three_tries() {
        let fetcher = ScriptedFetcher::default();
        let ok = Script::Body(b"fine".to_vec(), Some(4), 2);
        fetcher.serve(
            "http://h/a",
            Script::Sequence(
                vec![
                    Script::Fail(FetchError::HttpStatus(503)),
                    Script::CutAfter(b"fi".to_vec(), FetchError::Truncated(2, 4)),
                ],
                Box::new(ok),
            ),
        );
        assert_eq!(fetch_all(&fetcher).unwrap().unwrap(), b"fine");
        assert_eq!(fetcher.calls().len(), 3);

        let fetcher = ScriptedFetcher::default();
        fetcher.serve(
            "http://h/a",
            Script::Fail(FetchError::Connect("refused".into())),
        );
        assert!(fetch_all(&fetcher).is_err());
        assert_eq!(fetcher.calls().len(), 3, "three tries, no more");
    }

    #[test]
    fn client_errors_and_certificates_are_not_retried() {
        for error in [
            FetchError::HttpStatus(404),
            FetchError::HttpStatus(403),
            FetchError::Tls("unknown issuer".into()),
        ] {
            let fetcher = ScriptedFetcher::default();
            fetcher.serve("http://h/a", Script::Fail(error));
            assert!(fetch_all(&fetcher).is_err());
            assert_eq!(fetcher.calls().len(), 1);
        }
    }
}
