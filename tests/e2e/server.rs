//! A loopback HTTP/1.1 server that can misbehave on demand.
//!
//! Deliberately raw (std::net): the point is to produce what well-behaved
//! servers never do, like a body cut off mid-way, so the client's handling of
//! it can be tested. Each connection gets one response and is closed.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

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
}

pub struct Server {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, h, s) = (routes.clone(), hits.clone(), stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                h.fetch_add(1, Ordering::SeqCst);
                let routes = r.clone();
                thread::spawn(move || serve(stream, &routes));
            }
        });
        Server {
            base: format!("http://{addr}"),
            routes,
            hits,
            stop,
            addr,
        }
    }

    /// Answers `path` with `reply` from now on; returns its URL.
    pub fn route(&self, path: &str, reply: Reply) -> String {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
        format!("{}{path}", self.base)
    }

    /// Connections accepted so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(mut stream: TcpStream, routes: &Mutex<HashMap<String, Reply>>) {
    let Some(path) = read_request_path(&mut stream) else {
        return;
    };
    let reply = routes.lock().unwrap().get(&path).cloned();
    let _ = match reply {
        None => respond(&mut stream, 404, b"not found", None),
        Some(Reply::Body(bytes)) => respond(&mut stream, 200, &bytes, None),
        Some(Reply::Status(code)) => respond(&mut stream, code, b"status", None),
        Some(Reply::CutAfter(bytes, n)) => {
            respond(&mut stream, 200, &bytes[..n], Some(bytes.len()))
        }
        Some(Reply::Redirect(to)) => write!(
            stream,
            "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    };
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

/// Writes a response whose Content-Length is `announced` (or the body's).
fn respond(
    stream: &mut TcpStream,
    code: u16,
    body: &[u8],
    announced: Option<usize>,
) -> std::io::Result<()> {
    let length = announced.unwrap_or(body.len());
    write!(
        stream,
        "HTTP/1.1 {code} X\r\nContent-Length: {length}\r\nContent-Type: application/wasm\r\nConnection: close\r\n\r\n"
    )?;
    stream.write_all(body)
}

fn read_request_path(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 || head.len() > 16 << 10 {
            return None;
        }
        head.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace().nth(1).map(str::to_string)
}
