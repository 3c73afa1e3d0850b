//! The `fetch` capability lent to the component, over ureq.
//!
//! Transport policy lives here: schemes, TLS roots (rustls with the bundled
//! web roots, or a private CA from `--ca-cert`), proxies from the
//! environment, timeouts, the redirect limit, and the progress bar. What the
//! bytes are worth, and whether to try again, is decided in the component.
//! Errors are classified so that a 404, a refused connection, an untrusted
//! certificate and a body cut short each read as what they are, never as a
//! digest mismatch.

use crate::runtime::FetchError;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, Proxy};

/// Downloads smaller than this get no progress bar.
const PROGRESS_THRESHOLD: u64 = 1 << 20;

/// How remote fetches are made.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub connect_timeout: Duration,
    /// Longest wait for any single read (headers or body).
    pub read_timeout: Duration,
    pub max_redirects: u32,
    /// A PEM file of CA certificates to trust instead of the web roots.
    pub ca_cert: Option<PathBuf>,
    /// Show a progress bar for large downloads (when stderr is a terminal).
    pub progress: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_redirects: 5,
            ca_cert: None,
            progress: false,
        }
    }
}

/// Why a fetcher could not be set up (a bad CA file or proxy variable).
#[derive(Debug)]
pub struct SetupError(pub String);

pub struct HttpFetcher {
    /// `None` for verbs that are granted no network.
    agents: Option<Agents>,
    options: FetchOptions,
}

/// One agent per scheme, because each has its own proxy variable.
struct Agents {
    http: Agent,
    https: Agent,
}

impl HttpFetcher {
    pub fn new(options: FetchOptions) -> Result<HttpFetcher, SetupError> {
        let tls = tls_config(options.ca_cert.as_deref())?;
        // `https_only` on the https agent: a redirect from https down to
        // plain http would drop the protection an https URL was chosen for
        // (and the rule that an index over http must be signed).
        let agent = |proxy: Option<Proxy>, https_only: bool| -> Agent {
            Agent::config_builder()
                .https_only(https_only)
                .timeout_connect(Some(options.connect_timeout))
                .timeout_per_read(Some(options.read_timeout))
                .max_redirects(options.max_redirects)
                // Statuses are reported by us, with the code, not as ureq errors.
                .http_status_as_error(false)
                .tls_config(tls.clone())
                .proxy(proxy)
                .build()
                .into()
        };
        let agents = Agents {
            http: agent(
                proxy_from_env(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])?,
                false,
            ),
            https: agent(
                proxy_from_env(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])?,
                true,
            ),
        };
        Ok(HttpFetcher {
            agents: Some(agents),
            options,
        })
    }

    /// A fetcher that refuses every URL.
    pub fn disabled() -> HttpFetcher {
        HttpFetcher {
            agents: None,
            options: FetchOptions::default(),
        }
    }

    pub fn get(&self, url: &str) -> Result<Body, FetchError> {
        let Some(agents) = &self.agents else {
            return Err(FetchError::Transport(
                "this command is not granted network access".into(),
            ));
        };
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        let agent = match scheme.as_deref() {
            Some("http") => &agents.http,
            Some("https") => &agents.https,
            Some(other) => return Err(FetchError::UnsupportedScheme(other.to_string())),
            None => {
                return Err(FetchError::InvalidUrl(format!(
                    "{url} is not an absolute URL"
                )));
            }
        };
        let response = agent.get(url).call().map_err(|e| self.classify(url, e))?;
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
            progress: self.progress_bar(url, announced),
        })
    }

    fn progress_bar(&self, url: &str, announced: Option<u64>) -> Progress {
        if !self.options.progress || !std::io::stderr().is_terminal() {
            return Progress::Off;
        }
        let name = url.rsplit('/').next().unwrap_or(url).to_string();
        match announced {
            Some(total) if total < PROGRESS_THRESHOLD => Progress::Off,
            Some(total) => {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                bar.set_message(name);
                Progress::Bar(bar)
            }
            // Unknown length: a counter, once the download is big enough.
            None => Progress::Pending(name),
        }
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
            ureq::Error::Timeout(which) => FetchError::Timeout(format!("{which} timed out")),
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

/// The trust roots for https: the bundled web roots, or only the CAs in
/// `ca_cert` (as curl's `--cacert` does).
fn tls_config(ca_cert: Option<&Path>) -> Result<TlsConfig, SetupError> {
    let Some(path) = ca_cert else {
        return Ok(TlsConfig::builder().root_certs(RootCerts::WebPki).build());
    };
    let pem = std::fs::read(path)
        .map_err(|e| SetupError(format!("cannot read --ca-cert {}: {e}", path.display())))?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_, _>>()
        .map_err(|e| {
            SetupError(format!(
                "--ca-cert {} is not a PEM certificate file: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(SetupError(format!(
            "--ca-cert {} holds no certificate (expected -----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(TlsConfig::builder()
        .root_certs(RootCerts::new_with_certs(&certs))
        .build())
}

/// The proxy named by the first of `vars` that is set, honouring NO_PROXY.
fn proxy_from_env(vars: &[&str]) -> Result<Option<Proxy>, SetupError> {
    let Some((var, value)) = vars.iter().find_map(|v| {
        std::env::var(v)
            .ok()
            .filter(|x| !x.trim().is_empty())
            .map(|x| (*v, x))
    }) else {
        return Ok(None);
    };
    let uri: ureq::http::Uri = value
        .trim()
        .parse()
        .map_err(|e| SetupError(format!("{var}={value} is not a proxy URL: {e}")))?;
    let scheme = uri.scheme_str().unwrap_or("http");
    let protocol = ureq::ProxyProtocol::try_from(scheme).map_err(|_| {
        SetupError(format!(
            "{var}={value}: the {scheme} proxy scheme is not supported (use http://)"
        ))
    })?;
    let host = uri
        .host()
        .ok_or_else(|| SetupError(format!("{var}={value} names no host")))?;
    let mut builder = Proxy::builder(protocol).host(host);
    if let Some(port) = uri.port_u16() {
        builder = builder.port(port);
    }
    if let Some(auth) = uri
        .authority()
        .map(|a| a.as_str())
        .and_then(|a| a.rsplit_once('@'))
        .map(|(u, _)| u)
    {
        let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
        builder = builder.username(user).password(password);
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
        .map_err(|e| SetupError(format!("{var}={value}: {e}")))
}

fn host_of(url: &str) -> String {
    url.split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(rest))
        .unwrap_or(url)
        .to_string()
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

enum Progress {
    Off,
    /// Unknown length: becomes a counter after PROGRESS_THRESHOLD bytes.
    Pending(String),
    Bar(ProgressBar),
}

/// A response body being streamed to the component.
pub struct Body {
    reader: Box<dyn Read + Send + Sync>,
    announced: Option<u64>,
    received: u64,
    /// An error met after some bytes of a read arrived; reported next time.
    pending: Option<FetchError>,
    progress: Progress,
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
                    self.advance(filled);
                    let e = self.classify_read(e);
                    self.finish_progress();
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
        self.advance(filled);
        if filled == 0 {
            self.finish_progress();
        }
        Ok(buf)
    }

    fn advance(&mut self, n: usize) {
        self.received += n as u64;
        if let Progress::Pending(name) = &self.progress
            && self.received >= PROGRESS_THRESHOLD
        {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{msg} {bytes} {bytes_per_sec}")
                    .expect("valid template"),
            );
            bar.set_message(name.clone());
            self.progress = Progress::Bar(bar);
        }
        if let Progress::Bar(bar) = &self.progress {
            bar.set_position(self.received);
        }
    }

    fn finish_progress(&mut self) {
        if let Progress::Bar(bar) = std::mem::replace(&mut self.progress, Progress::Off) {
            bar.finish_and_clear();
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

impl Drop for Body {
    fn drop(&mut self) {
        self.finish_progress();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_taken_from_urls() {
        assert_eq!(
            host_of("https://a.example:8443/x/y.wasm?q"),
            "a.example:8443"
        );
        assert_eq!(host_of("http://127.0.0.1/"), "127.0.0.1");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let err = tls_config(Some(&path)).unwrap_err();
        assert!(err.0.contains("holds no certificate"), "{}", err.0);
        let err = tls_config(Some(&dir.path().join("missing.pem"))).unwrap_err();
        assert!(err.0.contains("cannot read"), "{}", err.0);
    }
}
