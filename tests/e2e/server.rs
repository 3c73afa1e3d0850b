//! A loopback HTTP/1.1 server (plain or TLS) that can misbehave on demand,
//! and a small CONNECT proxy.
//!
//! Deliberately raw (std::net, rustls for TLS): the point is to produce what
//! well-behaved servers never do, like a body cut off mid-way, a reset, a
//! trickle, or bytes that are not HTTP at all, so the client's handling of
//! each can be tested. Each connection gets one response and is closed.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How to answer a path.
#[derive(Clone)]
pub enum Reply {
    /// 200 with these bytes and a correct Content-Length.
    Body(Vec<u8>),
    /// This status with a short text body.
    Status(u16),
    /// Announce all of the bytes, send the first `n`, then close.
    CutAfter(Vec<u8>, usize),
    /// A redirect to another path on this server.
    Redirect(String),
    /// Read the request, then close without a word.
    Drop,
    /// Read the request, say nothing for this long, then close.
    Hang(Duration),
    /// Send half the body, then reset the connection.
    ResetAfter(Vec<u8>, usize),
    /// Answer with bytes that are not HTTP.
    Garbage,
    /// Headers, then one byte of the body every `interval`.
    Trickle(Vec<u8>, Duration),
    /// A status line, then header bytes one every `interval`, never ending
    /// the headers (stops after a thousand, or when the client goes).
    TrickleHead(Duration),
    /// 200 with these bytes, sent `chunk` bytes at a time every `interval`.
    Slow(Vec<u8>, usize, Duration),
    /// Answer the first requests with these replies, one each, then `then`.
    Sequence(Vec<Reply>, Box<Reply>),
    /// 200 with these bytes and extra headers (name, value).
    WithHeaders(Vec<u8>, Vec<(String, String)>),
    /// `reply` to a request whose Authorization is exactly the first
    /// string; 401 with the second as `WWW-Authenticate` to any other.
    Guarded(String, String, Box<Reply>),
    /// 200 with these bytes and an `ETag` (their SHA-256), or 304 Not
    /// Modified when the request's `If-None-Match` names that tag, as a
    /// file server does; each answer's status is logged (`cacheable`).
    Cacheable(Vec<u8>),
}

/// A connection the server can answer on.
trait Conn: Read + Write + Send {
    fn close(&mut self);
    /// Closes with a TCP reset instead of a clean end.
    fn reset(&mut self);
}

fn reset_tcp(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
    let _ = stream.shutdown(Shutdown::Both);
}

impl Conn for TcpStream {
    fn close(&mut self) {
        let _ = self.shutdown(Shutdown::Both);
    }

    fn reset(&mut self) {
        reset_tcp(self);
    }
}

impl Conn for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn close(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
        let _ = self.sock.shutdown(Shutdown::Both);
    }

    fn reset(&mut self) {
        reset_tcp(&self.sock);
    }
}

type Routes = Arc<Mutex<HashMap<String, Reply>>>;
/// Each request's target (path and query) and Authorization header.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

pub struct Server {
    pub base: String,
    routes: Routes,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    seen: Seen,
    flight: Arc<InFlight>,
    answers: Answers,
    stop: Arc<AtomicBool>,
    addr: SocketAddr,
}

/// The statuses `Reply::Cacheable` answered with, by path.
type Answers = Arc<Mutex<Vec<(String, u16)>>>;

/// Requests being answered now (read, answer not yet written), and the
/// most at once so far.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Server {
    pub fn start() -> Server {
        Server::listen(None)
    }

    /// An https server presenting `chain` (PEM, leaf first) with `key` (PEM).
    pub fn start_tls(chain_pem: &str, key_pem: &str) -> Server {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(chain_pem.as_bytes())
                .collect::<Result<_, _>>()
                .expect("certificate PEM");
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key PEM");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate");
        Server::listen(Some(Arc::new(config)))
    }

    fn listen(tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let routes: Routes = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let seen: Seen = Arc::default();
        let flight: Arc<InFlight> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (r, h, s, log) = (routes.clone(), hits.clone(), stop.clone(), seen.clone());
        let f = flight.clone();
        let answers: Answers = Arc::default();
        let a = answers.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (routes, hits, tls, log) = (r.clone(), h.clone(), tls.clone(), log.clone());
                let (flight, answers) = (f.clone(), a.clone());
                thread::spawn(move || match tls {
                    None => serve(stream, &routes, &hits, &log, &flight, &answers),
                    Some(config) => {
                        let conn = rustls::ServerConnection::new(config).expect("TLS session");
                        let conn = rustls::StreamOwned::new(conn, stream);
                        serve(conn, &routes, &hits, &log, &flight, &answers);
                    }
                });
            }
        });
        Server {
            base: format!("{scheme}://{addr}"),
            routes,
            hits,
            seen,
            flight,
            answers,
            stop,
            addr,
        }
    }

    /// The most requests this server was answering at the same time.
    pub fn peak_in_flight(&self) -> usize {
        self.flight.peak.load(Ordering::SeqCst)
    }

    /// Every request so far: its target and its Authorization header.
    pub fn requests(&self) -> Vec<(String, Option<String>)> {
        self.seen.lock().unwrap().clone()
    }

    /// Answers `path` with `reply` from now on; returns its URL.
    pub fn route(&self, path: &str, reply: Reply) -> String {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
        format!("{}{path}", self.base)
    }

    /// The `Reply::Cacheable` answers so far: path and status (200 or 304).
    pub fn cacheable(&self) -> Vec<(String, u16)> {
        self.answers.lock().unwrap().clone()
    }

    /// Requests received for `path` so far.
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl InFlight {
    fn enter(&self) -> impl Drop + '_ {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Leave(self)
    }
}

struct Leave<'a>(&'a InFlight);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve<C: Conn>(
    mut conn: C,
    routes: &Mutex<HashMap<String, Reply>>,
    hits: &Mutex<HashMap<String, usize>>,
    seen: &Mutex<Vec<(String, Option<String>)>>,
    flight: &InFlight,
    answers: &Mutex<Vec<(String, u16)>>,
) {
    let Some(Asked {
        target,
        authorization,
        if_none_match,
    }) = read_request(&mut conn)
    else {
        return;
    };
    // From the request read to the last byte of the answer written.
    let _busy = flight.enter();
    seen.lock()
        .unwrap()
        .push((target.clone(), authorization.clone()));
    // Routed by path; the query is only recorded.
    let path = target.split('?').next().unwrap_or_default().to_string();
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let reply = {
        let mut routes = routes.lock().unwrap();
        match routes.get_mut(&path) {
            Some(Reply::Sequence(steps, then)) if steps.is_empty() => Some((**then).clone()),
            Some(Reply::Sequence(steps, _)) => Some(steps.remove(0)),
            other => other.cloned(),
        }
    };
    let reply = match reply {
        Some(Reply::Guarded(expected, challenge, reply)) => {
            if authorization.as_deref() == Some(expected.as_str()) {
                Some(*reply)
            } else {
                let _ = write!(
                    conn,
                    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: {challenge}\r\n\
                     Content-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = conn.flush();
                conn.close();
                return;
            }
        }
        other => other,
    };
    let _ = match reply {
        None => respond(&mut conn, 404, b"not found", None),
        Some(Reply::WithHeaders(bytes, headers)) => {
            let extra: String = headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}\r\n"))
                .collect();
            write!(
                conn,
                "HTTP/1.1 200 OK\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            )
            .and_then(|()| conn.write_all(&bytes))
        }
        Some(Reply::Guarded(..)) => panic!("nested guards are not supported"),
        Some(Reply::Cacheable(bytes)) => {
            let etag = format!("\"{}\"", crate::util::sha256_hex(&bytes));
            let fresh = if_none_match.as_deref() == Some(etag.as_str());
            let status = if fresh { 304 } else { 200 };
            answers.lock().unwrap().push((path.clone(), status));
            let (reason, body): (&str, &[u8]) = match fresh {
                true => ("Not Modified", b""),
                false => ("OK", &bytes),
            };
            let length = match fresh {
                true => String::new(),
                false => format!("Content-Length: {}\r\n", bytes.len()),
            };
            write!(
                conn,
                "HTTP/1.1 {status} {reason}\r\nETag: {etag}\r\n{length}Connection: close\r\n\r\n"
            )
            .and_then(|()| conn.write_all(body))
        }
        Some(Reply::Body(bytes)) => respond(&mut conn, 200, &bytes, None),
        Some(Reply::Status(code)) => respond(&mut conn, code, b"status", None),
        Some(Reply::CutAfter(bytes, n)) => respond(&mut conn, 200, &bytes[..n], Some(bytes.len())),
        Some(Reply::Redirect(to)) => write!(
            conn,
            "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        Some(Reply::Drop) => Ok(()),
        Some(Reply::Hang(silence)) => {
            thread::sleep(silence);
            Ok(())
        }
        Some(Reply::ResetAfter(bytes, n)) => {
            let _ = respond(&mut conn, 200, &bytes[..n], Some(bytes.len()));
            let _ = conn.flush();
            thread::sleep(Duration::from_millis(20));
            conn.reset();
            return;
        }
        Some(Reply::Garbage) => {
            conn.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\x00\x01\x02 not http at all\r\n\r\n")
        }
        Some(Reply::Trickle(bytes, interval)) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            );
            conn.write_all(head.as_bytes()).and_then(|()| {
                for byte in bytes {
                    conn.write_all(&[byte])?;
                    conn.flush()?;
                    thread::sleep(interval);
                }
                Ok(())
            })
        }
        Some(Reply::TrickleHead(interval)) => {
            conn.write_all(b"HTTP/1.1 200 OK\r\n").and_then(|()| {
                for byte in b"X-Slow: a\r\n".iter().cycle().take(1000) {
                    conn.write_all(&[*byte])?;
                    conn.flush()?;
                    thread::sleep(interval);
                }
                Ok(())
            })
        }
        Some(Reply::Slow(bytes, chunk, interval)) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            );
            conn.write_all(head.as_bytes()).and_then(|()| {
                for (k, piece) in bytes.chunks(chunk).enumerate() {
                    if k > 0 {
                        thread::sleep(interval);
                    }
                    conn.write_all(piece)?;
                    conn.flush()?;
                }
                Ok(())
            })
        }
        Some(Reply::Sequence(..)) => panic!("nested sequences are not supported"),
    };
    let _ = conn.flush();
    conn.close();
}

/// Writes a response whose Content-Length is `announced` (or the body's).
fn respond(
    conn: &mut impl Write,
    code: u16,
    body: &[u8],
    announced: Option<usize>,
) -> std::io::Result<()> {
    let length = announced.unwrap_or(body.len());
    write!(
        conn,
        "HTTP/1.1 {code} X\r\nContent-Length: {length}\r\nContent-Type: application/wasm\r\nConnection: close\r\n\r\n"
    )?;
    conn.write_all(body)
}

/// What the server reads of a request.
struct Asked {
    target: String,
    authorization: Option<String>,
    if_none_match: Option<String>,
}

/// The request's target and the headers the server heeds.
fn read_request(conn: &mut impl Read) -> Option<Asked> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).ok()? == 0 || head.len() > 16 << 10 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let target = lines.next()?.split_whitespace().nth(1)?.to_string();
    let headers: Vec<(&str, &str)> = lines.filter_map(|l| l.split_once(':')).collect();
    let header = |wanted: &str| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.trim().to_string())
    };
    Some(Asked {
        target,
        authorization: header("authorization"),
        if_none_match: header("if-none-match"),
    })
}

/// A CONNECT proxy on loopback: tunnels each connection to the target it
/// names, and counts the tunnels it opened.
pub struct Proxy {
    pub url: String,
    tunnels: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    pub fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let tunnels: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = tunnels.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let seen = seen.clone();
                thread::spawn(move || tunnel(client, &seen));
            }
        });
        Proxy { url, tunnels }
    }

    /// The `host:port` of every CONNECT so far.
    pub fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}

fn tunnel(mut client: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let mut words = head.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    seen.lock().unwrap().push(target.to_string());
    let Ok(upstream) = TcpStream::connect(target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let _ = client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n");
    let (mut c2, mut u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    let (mut client, mut upstream) = (client, upstream);
    let up = thread::spawn(move || {
        let _ = std::io::copy(&mut c2, &mut u2);
        let _ = u2.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut upstream, &mut client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = up.join();
}
