//! The installer's `fetch` import, implemented on standard
//! `wasi:http/outgoing-handler`.
//!
//! `host/build.rs` composes this component with the installer (and
//! `digest-wasm/`, its `digest` import in WebAssembly), giving a
//! component whose only imports are `wasi:*` interfaces: the wasmtime CLI
//! with `-S http`, jco's preview2-shim, or any WASI 0.2 runtime with wasi:http
//! can run it with no custom host code.
//!
//! It behaves as the native host's ureq transport does, so the installer sees
//! the same `fetch-error`s whichever transport it runs on: at most
//! [`MAX_REDIRECTS`] redirects and never from https down to plain http; a
//! body shorter than its `Content-Length` is `truncated`, a longer one a
//! `protocol` error; connect, first-byte and between-bytes timeouts are asked
//! of the runtime; `send-all` starts up to [`MAX_IN_FLIGHT`] requests before
//! waiting on any. What the runtime decides is its own wasi:http policy:
//! TLS roots, proxies, which hosts may be reached.
//!
//! Where wasi:http cannot tell what ureq can, the kinds differ, and the
//! README says so: a connection closed before the response head and an
//! answer that is not HTTP are both `HttpProtocolError` to a runtime, so both
//! are reported as `transport` (retried) where the native host reports the
//! latter as `protocol`; a runtime that reports TLS failures as internal
//! errors (jco's shim does) gives `transport`, not `tls`.
//!
//! The decisions are plain functions ([`Target::parse`], [`redirect_target`],
//! [`Received`]) tested natively; `component` only converts.

#![deny(missing_docs)]

#[cfg(target_arch = "wasm32")]
mod component;

/// Redirects followed at most, as in the native host.
pub const MAX_REDIRECTS: u32 = 5;
/// Time allowed to connect, in seconds, as in the native host.
pub const CONNECT_TIMEOUT_SECS: u64 = 10;
/// Time allowed for the first byte and between two bytes, in seconds.
pub const READ_TIMEOUT_SECS: u64 = 30;
/// Requests of one `send-all` in flight at once, as in the native host:
/// each window of this many is started before any answer is waited on.
pub const MAX_IN_FLIGHT: usize = 8;

/// Why a fetch failed: one variant per case of the WIT `fetch-error`, whose
/// documentation says what each means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Not `http` or `https`; carries the scheme.
    UnsupportedScheme(String),
    /// The URL cannot be sent.
    InvalidUrl(String),
    /// No connection could be made.
    Connect(String),
    /// A final status other than 2xx.
    HttpStatus(u16),
    /// The runtime gave up waiting.
    Timeout(String),
    /// The body ended before its announced length.
    Truncated {
        /// Bytes received.
        received: u64,
        /// Bytes the response announced.
        announced: u64,
    },
    /// The TLS handshake failed.
    Tls(String),
    /// The answer broke the protocol in a way a retry will not mend.
    Protocol(String),
    /// Anything else the transport reported.
    Transport(String),
}

/// The scheme of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain `http`.
    Http,
    /// `https`.
    Https,
}

/// A URL split the way a wasi:http `outgoing-request` wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// `host[:port]`, without user information.
    pub authority: String,
    /// The path and query, at least `/`.
    pub path_with_query: String,
}

impl Target {
    /// Splits an absolute `http(s)://` URL.
    pub fn parse(url: &str) -> Result<Target, Failure> {
        let uri = fluent_uri::Uri::parse(url)
            .map_err(|e| Failure::InvalidUrl(format!("{url} is not a valid URL ({e})")))?;
        let scheme = match uri.scheme().as_str().to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => return Err(Failure::UnsupportedScheme(other.to_string())),
        };
        let authority = uri
            .authority()
            .filter(|a| !a.host().is_empty())
            .ok_or_else(|| Failure::InvalidUrl(format!("{url} names no host")))?;
        if authority.userinfo().is_some() {
            // Credentials belong to the runtime's transport, not the URL;
            // the URL is not repeated, so neither are they.
            return Err(Failure::InvalidUrl(
                "the URL carries credentials (user:password@); the runtime's wasi:http supplies \
                 authentication"
                    .into(),
            ));
        }
        let mut path_with_query = uri.path().as_str().to_string();
        if path_with_query.is_empty() {
            path_with_query.push('/');
        }
        if let Some(query) = uri.query() {
            path_with_query.push('?');
            path_with_query.push_str(query.as_str());
        }
        Ok(Target {
            scheme,
            authority: authority.as_str().to_string(),
            path_with_query,
        })
    }
}

/// Whether `status` is a redirect this transport follows.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Where a redirect from `from` with this `Location` leads, refusing a step
/// down from https to plain http (as the native host does).
pub fn redirect_target(from: &str, location: Option<&str>) -> Result<String, Failure> {
    let location = location.ok_or_else(|| {
        Failure::Protocol(format!("{from} answered with a redirect but no Location"))
    })?;
    let base = fluent_uri::Uri::parse(from)
        .map_err(|e| Failure::InvalidUrl(format!("{from} is not a valid URL ({e})")))?;
    let reference = fluent_uri::UriRef::parse(location).map_err(|e| {
        Failure::Protocol(format!(
            "{from} redirected to an invalid URL {location:?} ({e})"
        ))
    })?;
    let next = reference
        .resolve_against(&base)
        .map_err(|e| Failure::Protocol(format!("{from} redirected to {location:?}: {e}")))?
        .as_str()
        .to_string();
    let from_https = Target::parse(from)?.scheme == Scheme::Https;
    if from_https && Target::parse(&next)?.scheme == Scheme::Http {
        return Err(Failure::Protocol(format!(
            "{from} redirected from https to plain http ({next}); refused"
        )));
    }
    Ok(next)
}

/// The `Content-Length` a response announced, if it is a single number.
pub fn announced_length(values: &[Vec<u8>]) -> Option<u64> {
    match values {
        [one] => std::str::from_utf8(one).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// Counts a body's bytes against what its response announced.
#[derive(Debug, Clone, Copy)]
pub struct Received {
    /// The response's `Content-Length`, if it gave one.
    pub announced: Option<u64>,
    /// Bytes received so far.
    pub received: u64,
}

impl Received {
    /// Accounts for `n` more bytes; more than announced breaks the protocol.
    pub fn add(&mut self, n: usize) -> Result<(), Failure> {
        self.received += n as u64;
        match self.announced {
            Some(total) if self.received > total => Err(Failure::Protocol(format!(
                "the server sent more than the {total} bytes it announced"
            ))),
            _ => Ok(()),
        }
    }

    /// The body ended: fewer bytes than announced is a truncation.
    pub fn end(&self) -> Result<(), Failure> {
        match self.announced {
            Some(total) if self.received < total => Err(Failure::Truncated {
                received: self.received,
                announced: total,
            }),
            _ => Ok(()),
        }
    }

    /// The stream failed with `cause`: against an announced length it is a
    /// truncation, which the installer reports with both figures.
    pub fn broken(&self, cause: Failure) -> Failure {
        match (self.announced, &cause) {
            (Some(total), Failure::Transport(_) | Failure::Protocol(_))
                if self.received < total =>
            {
                Failure::Truncated {
                    received: self.received,
                    announced: total,
                }
            }
            _ => cause,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_request_parts() {
        let t = Target::parse("http://127.0.0.1:8080/reg/index.json?x=1").unwrap();
        assert_eq!(t.scheme, Scheme::Http);
        assert_eq!(t.authority, "127.0.0.1:8080");
        assert_eq!(t.path_with_query, "/reg/index.json?x=1");
        let t = Target::parse("HTTPS://example.com").unwrap();
        assert_eq!((t.scheme, t.path_with_query.as_str()), (Scheme::Https, "/"));
    }

    #[test]
    fn urls_the_transport_cannot_send_are_refused() {
        assert_eq!(
            Target::parse("ftp://example.com/x"),
            Err(Failure::UnsupportedScheme("ftp".into()))
        );
        assert!(matches!(
            Target::parse("not a url"),
            Err(Failure::InvalidUrl(_))
        ));
        assert!(matches!(
            Target::parse("http:///x"),
            Err(Failure::InvalidUrl(_))
        ));
        assert!(matches!(
            Target::parse("http://user:pw@example.com/"),
            Err(Failure::InvalidUrl(m)) if m.contains("credentials") && !m.contains("pw")
        ));
    }

    #[test]
    fn redirects_resolve_relative_locations() {
        let next = redirect_target("http://h:1/a/b/index.json", Some("../c/index.json"));
        assert_eq!(next.unwrap(), "http://h:1/a/c/index.json");
        let next = redirect_target("http://h/a", Some("https://other/x"));
        assert_eq!(next.unwrap(), "https://other/x");
    }

    #[test]
    fn redirects_never_step_down_to_plain_http() {
        let refused = redirect_target("https://h/a", Some("http://h/a")).unwrap_err();
        assert!(matches!(refused, Failure::Protocol(m) if m.contains("https to plain http")));
        assert!(matches!(
            redirect_target("http://h/a", None),
            Err(Failure::Protocol(m)) if m.contains("no Location")
        ));
        assert!(is_redirect(308) && is_redirect(301) && !is_redirect(304) && !is_redirect(200));
    }

    #[test]
    fn content_length_is_one_number_or_unknown() {
        assert_eq!(announced_length(&[b" 42 ".to_vec()]), Some(42));
        assert_eq!(announced_length(&[]), None);
        assert_eq!(announced_length(&[b"1".to_vec(), b"1".to_vec()]), None);
        assert_eq!(announced_length(&[b"-1".to_vec()]), None);
    }

    #[test]
    fn bodies_are_held_to_their_announced_length() {
        let mut r = Received {
            announced: Some(10),
            received: 0,
        };
        r.add(6).unwrap();
        assert_eq!(
            r.end(),
            Err(Failure::Truncated {
                received: 6,
                announced: 10
            })
        );
        assert_eq!(
            r.broken(Failure::Transport("reset".into())),
            Failure::Truncated {
                received: 6,
                announced: 10
            }
        );
        assert_eq!(
            r.broken(Failure::Timeout("t".into())),
            Failure::Timeout("t".into())
        );
        r.add(4).unwrap();
        r.end().unwrap();
        assert!(matches!(r.add(1), Err(Failure::Protocol(_))));
        let mut unknown = Received {
            announced: None,
            received: 0,
        };
        unknown.add(usize::MAX).unwrap();
        unknown.end().unwrap();
    }
}
