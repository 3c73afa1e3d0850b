//! The `fetch` capability lent to the component, over ureq.
//!
//! Transport policy lives here (timeouts, redirect limit, schemes); what the
//! bytes are worth is decided in the component. Errors are classified so that
//! a 404, a refused connection and a body cut short each read as what they
//! are, never as a digest mismatch.

use crate::runtime::FetchError;
use std::io::Read;
use std::time::Duration;

/// Limits on remote fetches.
#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    pub connect_timeout: Duration,
    /// Longest wait for any single read (headers or body).
    pub read_timeout: Duration,
    pub max_redirects: u32,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_redirects: 5,
        }
    }
}

pub struct HttpFetcher {
    /// `None` for verbs that are granted no network.
    agent: Option<ureq::Agent>,
    limits: FetchLimits,
}

impl HttpFetcher {
    pub fn new(limits: FetchLimits) -> HttpFetcher {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(limits.connect_timeout))
            .timeout_per_read(Some(limits.read_timeout))
            .max_redirects(limits.max_redirects)
            // Statuses are reported by us, with the code, not as ureq errors.
            .http_status_as_error(false)
            .build();
        HttpFetcher {
            agent: Some(config.into()),
            limits,
        }
    }

    /// A fetcher that refuses every URL.
    pub fn disabled() -> HttpFetcher {
        HttpFetcher {
            agent: None,
            limits: FetchLimits::default(),
        }
    }

    pub fn get(&self, url: &str) -> Result<Body, FetchError> {
        let Some(agent) = &self.agent else {
            return Err(FetchError::Transport(
                "this command is not granted network access".into(),
            ));
        };
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("http") => {}
            Some(other) => return Err(FetchError::UnsupportedScheme(other.to_string())),
            None => {
                return Err(FetchError::InvalidUrl(format!(
                    "{url} is not an absolute URL"
                )));
            }
        }
        let response = agent.get(url).call().map_err(|e| self.classify(e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(FetchError::HttpStatus(status));
        }
        let announced = response.body().content_length();
        Ok(Body {
            reader: Box::new(response.into_body().into_reader()),
            announced,
            received: 0,
            pending: None,
        })
    }

    fn classify(&self, e: ureq::Error) -> FetchError {
        match e {
            ureq::Error::StatusCode(code) => FetchError::HttpStatus(code),
            ureq::Error::BadUri(msg) => FetchError::InvalidUrl(msg),
            ureq::Error::Http(e) => FetchError::InvalidUrl(e.to_string()),
            ureq::Error::HostNotFound => FetchError::Connect("host not found".into()),
            ureq::Error::ConnectionFailed => FetchError::Connect("connection failed".into()),
            ureq::Error::Timeout(which) => FetchError::Timeout(format!("{which} timed out")),
            ureq::Error::TooManyRedirects => {
                FetchError::Transport(format!("more than {} redirects", self.limits.max_redirects))
            }
            ureq::Error::Io(e) => match e.kind() {
                std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::HostUnreachable
                | std::io::ErrorKind::NetworkUnreachable
                | std::io::ErrorKind::AddrNotAvailable => FetchError::Connect(e.to_string()),
                std::io::ErrorKind::TimedOut => FetchError::Timeout(e.to_string()),
                _ => FetchError::Transport(e.to_string()),
            },
            other => FetchError::Transport(other.to_string()),
        }
    }
}

/// A response body being streamed to the component.
pub struct Body {
    reader: Box<dyn Read + Send + Sync>,
    announced: Option<u64>,
    received: u64,
    /// An error met after some bytes of a read arrived; reported next time.
    pending: Option<FetchError>,
}

impl Body {
    pub fn announced(&self) -> Option<u64> {
        self.announced
    }

    /// Up to `max` bytes; empty at the end of the body.
    pub fn read(&mut self, max: u32) -> Result<Vec<u8>, FetchError> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        let mut buf = vec![0u8; max as usize];
        let mut filled = 0;
        // Fill the buffer as far as the socket allows, so the component does
        // not pay a call per small TCP segment.
        while filled < buf.len() {
            match self.reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.received += filled as u64;
                    let e = self.classify_read(e);
                    if filled == 0 {
                        return Err(e);
                    }
                    // Deliver what arrived; the error comes with the next read.
                    self.pending = Some(e);
                    buf.truncate(filled);
                    return Ok(buf);
                }
            }
        }
        buf.truncate(filled);
        self.received += filled as u64;
        Ok(buf)
    }

    fn classify_read(&self, e: std::io::Error) -> FetchError {
        use std::io::ErrorKind::*;
        match (e.kind(), self.announced) {
            (TimedOut | WouldBlock, _) => FetchError::Timeout(format!(
                "no data for too long after {} bytes",
                self.received
            )),
            (UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe, Some(total)) => {
                FetchError::Truncated((self.received, total))
            }
            _ => FetchError::Transport(e.to_string()),
        }
    }
}
