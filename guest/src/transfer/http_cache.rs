//! A cache of the small registry files a sparse registry is read from
//! (`config.json`, `timestamp.json`, snapshots, bins, plugin files and
//! their signatures), kept in a plugins directory's state folder so that a
//! fleet's next install, outdated or sync asks the server "changed?" instead
//! of downloading every file again (as cargo's sparse index does).
//!
//! It is a [`Fetcher`] in front of the host's: a GET of a URL it holds goes
//! out with the server's validators (`If-None-Match`, `If-Modified-Since`),
//! and a 304 hands back the cached bytes as if fetched. Nothing is trusted
//! for coming from the cache: the bytes go through exactly the checks
//! fetched ones do (signature, digest pins, expiry, rollback), and a file
//! that fails them makes the reader ask again without the cache
//! ([`Fetcher::bypass_cache`]). An entry carries the SHA-256 of its body, so
//! a damaged one (cut short, flipped bits) is ignored and fetched anew.
//! Files a signed file pins by digest (snapshots, bins, pinned plugin
//! files) are reused without asking at all ([`Fetcher::cached`]).
//!
//! What was fetched is written only when the caller says the run went well
//! ([`HttpCache::commit`]), each entry through a staged file (never a part
//! of one), and the folder is held to [`MAX_CACHE_BYTES`] and
//! [`MAX_CACHE_ENTRIES`], the oldest written evicted first. The cache is an
//! optimisation: a cache that cannot be read or written is no error.

use crate::error::FetchError;
use crate::limits::{MAX_CACHE_BYTES, MAX_CACHE_ENTRIES, MAX_CACHED_FILE_BYTES};
use crate::sandbox::{self, Links};
use crate::transfer::source::{Answer, Fetcher, Head, Method, RemoteBody, Request};
use crate::transfer::staged::Staged;
use crate::trust::digest::Sha256Digest;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// What an entry's first line says of the body after it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Header {
    /// The URL asked for (an entry is found by its hash; this confirms it).
    url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    /// The body's length and SHA-256: an entry not matching them is damaged.
    len: u64,
    sha256: String,
}

/// An entry read back: its validators and body.
struct Entry {
    header: Header,
    body: Vec<u8>,
}

/// Fetched bodies waiting for [`HttpCache::commit`], by URL.
type Pending = Rc<RefCell<BTreeMap<String, Entry>>>;

/// The host's fetcher with a cache folder in front of it (none: a plain
/// pass-through, for runs without a plugins directory).
pub struct HttpCache<'a> {
    inner: &'a dyn Fetcher,
    dir: Option<PathBuf>,
    pending: Pending,
    /// Whether an answer of this run came from the cache.
    reused: Cell<bool>,
    /// Set by `bypass_cache`: ask the network, unconditionally, from now on.
    bypassed: Cell<bool>,
    /// 304s received, for reports and tests.
    not_modified: Cell<usize>,
}

impl<'a> HttpCache<'a> {
    /// A cache kept in `dir` (`None`: no cache).
    pub fn new(inner: &'a dyn Fetcher, dir: Option<PathBuf>) -> HttpCache<'a> {
        HttpCache {
            inner,
            dir,
            pending: Rc::default(),
            reused: Cell::new(false),
            bypassed: Cell::new(false),
            not_modified: Cell::new(0),
        }
    }

    /// How many answers were a 304 with the cached bytes reused.
    pub fn not_modified(&self) -> usize {
        self.not_modified.get()
    }

    /// Writes what this run fetched into the cache folder (each entry
    /// staged, then renamed into place), then evicts the oldest entries
    /// over the bounds. Called once the files were judged and taken: a run
    /// that failed leaves the cache as it was. Failures are ignored: the
    /// next run fetches again.
    pub fn commit(&self) {
        let Some(dir) = &self.dir else { return };
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        if pending.is_empty() || std::fs::create_dir_all(dir).is_err() {
            return;
        }
        for (url, entry) in pending {
            let _ = write_entry(dir, &url, &entry);
        }
        evict(dir, MAX_CACHE_BYTES, MAX_CACHE_ENTRIES);
    }

    /// The entry for `url`, if the folder holds an undamaged one.
    fn entry(&self, url: &str) -> Option<Entry> {
        if self.bypassed.get() {
            return None;
        }
        let path = self.dir.as_ref()?.join(entry_name(url));
        let bytes = sandbox::read_at_most(&path, MAX_CACHED_FILE_BYTES + 4096, Links::Refuse)
            .ok()
            .flatten()?;
        parse_entry(url, &bytes)
    }

    /// A GET of `url`, conditional (the server's validators) when an entry
    /// is held for it, and that entry.
    fn conditional(&self, url: &str) -> (Request, Option<Entry>) {
        let cached = self.entry(url);
        let mut request = Request::new(Method::Get, url);
        if let Some(entry) = &cached {
            if let Some(etag) = &entry.header.etag {
                request = request.header("If-None-Match", etag);
            }
            if let Some(when) = &entry.header.last_modified {
                request = request.header("If-Modified-Since", when);
            }
        }
        (request, cached)
    }

    /// A 304 to a conditional request answered from the entry: counted,
    /// and the run marked as reusing kept bytes.
    fn reuse(&self, entry: Entry) -> Vec<u8> {
        self.reused.set(true);
        self.not_modified.set(self.not_modified.get() + 1);
        entry.body
    }

    /// A GET of `url`: conditional when an entry is held; a 304 answered
    /// from it, a 2xx body kept for `commit` as it is read.
    fn conditional_get(&self, url: &str) -> Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
        let (request, cached) = self.conditional(url);
        let (head, body) = match self.inner.send(&request) {
            // A fetcher that only GETs: tests, and a runtime's own `Fetch`
            // that leaves `send` to its default, which refuses with a
            // transport error (as does a failed connection: asking again
            // with a plain GET costs one more try, not the fetch).
            Err(FetchError::UnsupportedScheme(_) | FetchError::Transport(_)) => {
                let (body, length) = self.inner.get(url)?;
                let head = Head {
                    status: 200,
                    headers: Vec::new(),
                    length,
                };
                (head, body)
            }
            other => other?,
        };
        match (head.status, cached) {
            (304, Some(entry)) => {
                let body = self.reuse(entry);
                let length = Some(body.len() as u64);
                Ok((Box::new(Bytes(Some(body))), length))
            }
            (200..=299, _) => {
                let keep = head.length.is_none_or(|n| n <= MAX_CACHED_FILE_BYTES);
                let tee = Tee {
                    body,
                    announced: head.length,
                    url: url.to_string(),
                    etag: head.header("etag").map(str::to_string),
                    last_modified: head.header("last-modified").map(str::to_string),
                    bytes: keep.then(Vec::new),
                    pending: Rc::clone(&self.pending),
                };
                Ok((Box::new(tee), head.length))
            }
            (status, _) => Err(FetchError::HttpStatus(status)),
        }
    }

    /// Plain GETs of a batch asked as `conditional_get` asks them, all in
    /// one batch of `inner`'s: each 304 answered from its entry (as a 200
    /// with the kept bytes), each 2xx body kept for `commit`. Any other
    /// request, and any other answer, passes through as it is.
    fn conditional_batch(&self, requests: &[Request], max_body: u64) -> Vec<Answer> {
        let plain =
            |r: &Request| r.method == Method::Get && r.headers.is_empty() && r.body.is_none();
        let (asked, held): (Vec<Request>, Vec<Option<Entry>>) = requests
            .iter()
            .map(|r| match plain(r) {
                true => self.conditional(&r.url),
                false => (r.clone(), None),
            })
            .unzip();
        let answers = self.inner.send_all(&asked, max_body);
        answers
            .into_iter()
            .zip(requests)
            .zip(held)
            .map(|((answer, request), held)| {
                let (head, bytes) = answer?;
                match (head.status, held) {
                    (304, Some(entry)) => {
                        let body = self.reuse(entry);
                        let head = Head {
                            status: 200,
                            length: Some(body.len() as u64),
                            ..head
                        };
                        Ok((head, body))
                    }
                    (200..=299, _) if plain(request) => {
                        if bytes.len() as u64 <= MAX_CACHED_FILE_BYTES {
                            let entry = entry_of(&request.url, &head, bytes.clone());
                            self.pending.borrow_mut().insert(request.url.clone(), entry);
                        }
                        Ok((head, bytes))
                    }
                    _ => Ok((head, bytes)),
                }
            })
            .collect()
    }
}

/// An entry of `body`, fetched from `url` with `head`'s validators.
fn entry_of(url: &str, head: &Head, body: Vec<u8>) -> Entry {
    Entry {
        header: Header {
            url: url.to_string(),
            etag: head.header("etag").map(str::to_string),
            last_modified: head.header("last-modified").map(str::to_string),
            len: body.len() as u64,
            sha256: Sha256Digest::of(&body).to_hex(),
        },
        body,
    }
}

impl Fetcher for HttpCache<'_> {
    fn get(&self, url: &str) -> Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
        match self.dir {
            Some(_) => self.conditional_get(url),
            None => self.inner.get(url),
        }
    }

    fn send(&self, request: &Request) -> Result<(Head, Box<dyn RemoteBody>), FetchError> {
        self.inner.send(request)
    }

    fn send_all(&self, requests: &[Request], max_body: u64) -> Vec<Answer> {
        match self.dir {
            Some(_) => self.conditional_batch(requests, max_body),
            None => self.inner.send_all(requests, max_body),
        }
    }

    fn cached(&self, url: &str, sha256: &str) -> Option<Vec<u8>> {
        let entry = self.entry(url)?;
        let pinned = entry.header.sha256.eq_ignore_ascii_case(sha256);
        pinned.then(|| {
            self.reused.set(true);
            entry.body
        })
    }

    fn bypass_cache(&self) -> bool {
        self.bypassed.set(true);
        self.pending.borrow_mut().clear();
        self.reused.replace(false)
    }
}

/// A cached body handed back for a 304.
struct Bytes(Option<Vec<u8>>);

impl RemoteBody for Bytes {
    fn read(&mut self, _max: u32) -> Result<Vec<u8>, FetchError> {
        Ok(self.0.take().unwrap_or_default())
    }
}

/// A fetched body passed through, kept whole (up to the entry limit) and
/// queued for the cache when it ends.
struct Tee {
    body: Box<dyn RemoteBody>,
    /// The length the server announced: a body of another is not kept.
    announced: Option<u64>,
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    /// `None` once over the limit: not cached.
    bytes: Option<Vec<u8>>,
    pending: Pending,
}

impl RemoteBody for Tee {
    fn read(&mut self, max: u32) -> Result<Vec<u8>, FetchError> {
        let chunk = self.body.read(max)?;
        if chunk.is_empty() {
            let whole = |body: &Vec<u8>| self.announced.is_none_or(|n| n == body.len() as u64);
            if let Some(body) = self.bytes.take().filter(whole) {
                let header = Header {
                    url: self.url.clone(),
                    etag: self.etag.take(),
                    last_modified: self.last_modified.take(),
                    len: body.len() as u64,
                    sha256: Sha256Digest::of(&body).to_hex(),
                };
                let entry = Entry { header, body };
                self.pending.borrow_mut().insert(self.url.clone(), entry);
            }
        } else if let Some(bytes) = &mut self.bytes {
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > MAX_CACHED_FILE_BYTES {
                self.bytes = None;
            }
        }
        Ok(chunk)
    }
}

/// An entry's file name: the SHA-256 of its URL (a URL is no file name).
fn entry_name(url: &str) -> String {
    let hex = Sha256Digest::of(url.as_bytes()).to_hex();
    format!("{}.http", &hex[..32])
}

/// An entry's bytes (a JSON header line, then the body) read back, or
/// `None` when they are not an undamaged entry for `url`.
fn parse_entry(url: &str, bytes: &[u8]) -> Option<Entry> {
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let header: Header = serde_json::from_slice(&bytes[..newline]).ok()?;
    let body = bytes[newline + 1..].to_vec();
    let whole = header.url == url
        && header.len == body.len() as u64
        && Sha256Digest::of(&body)
            .to_hex()
            .eq_ignore_ascii_case(&header.sha256);
    whole.then_some(Entry { header, body })
}

fn write_entry(dir: &Path, url: &str, entry: &Entry) -> crate::error::Result<()> {
    let name = entry_name(url);
    let mut line = serde_json::to_vec(&entry.header).unwrap_or_default();
    line.push(b'\n');
    let mut staged = Staged::create(dir, &name)?;
    staged.write_all(&line)?;
    staged.write_all(&entry.body)?;
    // Unsynced: an entry cut short by a crash fails its digest and is
    // fetched again, so a sync per entry would buy nothing.
    staged.persist_unsynced(&dir.join(name))
}

/// Removes the oldest-written entries until the folder holds at most
/// `max_bytes` in at most `max_entries` entries.
fn evict(dir: &Path, max_bytes: u64, max_entries: usize) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<(std::time::SystemTime, u64, PathBuf)> = listing
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".http"))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            let when = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            Some((when, meta.len(), e.path()))
        })
        .collect();
    let mut total: u64 = entries.iter().map(|(_, len, _)| len).sum();
    if total <= max_bytes && entries.len() <= max_entries {
        return;
    }
    entries.sort();
    let mut left = entries.len();
    for (_, len, path) in entries {
        if total <= max_bytes && left <= max_entries {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= len;
            left -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves one URL with an ETag, honouring If-None-Match, and counts.
    #[derive(Default)]
    struct Server {
        body: RefCell<Vec<u8>>,
        etag: RefCell<String>,
        asked: RefCell<Vec<Option<String>>>,
    }

    impl Server {
        fn set(&self, body: &[u8]) {
            *self.body.borrow_mut() = body.to_vec();
            *self.etag.borrow_mut() = format!("\"{}\"", Sha256Digest::of(body).to_hex());
        }
    }

    impl Fetcher for Server {
        fn get(&self, _url: &str) -> Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
            unreachable!("the cache sends")
        }

        fn send(&self, request: &Request) -> Result<(Head, Box<dyn RemoteBody>), FetchError> {
            let asked = request
                .headers
                .iter()
                .find(|(k, _)| k == "If-None-Match")
                .map(|(_, v)| v.clone());
            self.asked.borrow_mut().push(asked.clone());
            let etag = self.etag.borrow().clone();
            let (status, body) = match asked {
                Some(tag) if tag == etag => (304, Vec::new()),
                _ => (200, self.body.borrow().clone()),
            };
            let head = Head {
                status,
                headers: vec![("etag".into(), etag)],
                length: Some(body.len() as u64),
            };
            Ok((head, Box::new(Bytes(Some(body)))))
        }
    }

    fn read(cache: &HttpCache<'_>, url: &str) -> Vec<u8> {
        let (mut body, _) = cache.get(url).unwrap();
        let mut all = Vec::new();
        loop {
            let chunk = body.read(1 << 20).unwrap();
            if chunk.is_empty() {
                return all;
            }
            all.extend(chunk);
        }
    }

    const URL: &str = "http://r/timestamp.json";

    #[test]
    fn a_second_run_revalidates_and_reuses_the_bytes_on_a_304() {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::default();
        server.set(b"one");
        let first = HttpCache::new(&server, Some(dir.path().into()));
        assert_eq!(read(&first, URL), b"one");
        first.commit();
        let second = HttpCache::new(&server, Some(dir.path().into()));
        assert_eq!(read(&second, URL), b"one");
        assert_eq!(second.not_modified(), 1);
        assert_eq!(
            server.asked.borrow().as_slice(),
            [None, Some(server.etag.borrow().clone())]
        );
        // Changed on the server: the new bytes, and cached in turn.
        server.set(b"two");
        assert_eq!(read(&second, URL), b"two");
        assert_eq!(second.not_modified(), 1);
    }

    /// A runtime's fetcher that only GETs: its `send` refuses as the
    /// host's default does.
    struct GetOnly;

    impl Fetcher for GetOnly {
        fn get(&self, _url: &str) -> Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
            Ok((Box::new(Bytes(Some(b"plain".to_vec()))), Some(5)))
        }

        fn send(&self, _request: &Request) -> Result<(Head, Box<dyn RemoteBody>), FetchError> {
            Err(FetchError::Transport("this fetcher cannot send".into()))
        }
    }

    #[test]
    fn a_fetcher_that_only_gets_is_asked_with_a_plain_get() {
        let dir = tempfile::tempdir().unwrap();
        let cache = HttpCache::new(&GetOnly, Some(dir.path().into()));
        assert_eq!(read(&cache, URL), b"plain");
    }

    /// Serves several URLs, each with an ETag honoured as `Server` does
    /// (404 for any other), and logs each answer's URL and status.
    #[derive(Default)]
    struct Files {
        bodies: RefCell<BTreeMap<String, Vec<u8>>>,
        answered: RefCell<Vec<(String, u16)>>,
    }

    impl Fetcher for Files {
        fn get(&self, _url: &str) -> Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
            unreachable!("the cache sends")
        }

        fn send(&self, request: &Request) -> Result<(Head, Box<dyn RemoteBody>), FetchError> {
            let asked = request
                .headers
                .iter()
                .find(|(k, _)| k == "If-None-Match")
                .map(|(_, v)| v.clone());
            let body = self.bodies.borrow().get(&request.url).cloned();
            let etag = body
                .as_ref()
                .map(|b| format!("\"{}\"", Sha256Digest::of(b).to_hex()));
            let (status, body) = match (body, &etag) {
                (None, _) => (404, Vec::new()),
                (Some(_), Some(tag)) if asked.as_ref() == Some(tag) => (304, Vec::new()),
                (Some(body), _) => (200, body),
            };
            self.answered
                .borrow_mut()
                .push((request.url.clone(), status));
            let head = Head {
                status,
                headers: etag.map(|t| ("etag".into(), t)).into_iter().collect(),
                length: Some(body.len() as u64),
            };
            Ok((head, Box::new(Bytes(Some(body)))))
        }
    }

    fn batch(cache: &HttpCache<'_>, urls: &[&str]) -> Vec<Answer> {
        let requests: Vec<Request> = urls.iter().map(|u| Request::new(Method::Get, *u)).collect();
        cache.send_all(&requests, 1 << 20)
    }

    fn body_of(answer: &Answer) -> (u16, &[u8]) {
        let (head, bytes) = answer.as_ref().unwrap();
        (head.status, bytes.as_slice())
    }

    #[test]
    fn a_batch_is_asked_conditionally_and_each_304_reuses_its_own_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::default();
        for (url, body) in [
            ("http://r/a", "A"),
            ("http://r/b", "B"),
            ("http://r/c", "C"),
        ] {
            files.bodies.borrow_mut().insert(url.into(), body.into());
        }
        let urls = ["http://r/a", "http://r/b", "http://r/c", "http://r/gone"];
        let first = HttpCache::new(&files, Some(dir.path().into()));
        let answers = batch(&first, &urls);
        assert_eq!(body_of(&answers[1]), (200, &b"B"[..]));
        assert_eq!(body_of(&answers[3]).0, 404);
        first.commit();

        // b changed on the server: a and c are 304s answered with their
        // own kept bytes, b is fetched anew, the 404 passes through.
        files
            .bodies
            .borrow_mut()
            .insert("http://r/b".into(), b"B2".to_vec());
        files.answered.borrow_mut().clear();
        let second = HttpCache::new(&files, Some(dir.path().into()));
        let answers = batch(&second, &urls);
        let got: Vec<(u16, &[u8])> = answers.iter().map(body_of).collect();
        assert_eq!(
            got,
            [
                (200, &b"A"[..]),
                (200, &b"B2"[..]),
                (200, &b"C"[..]),
                (404, &b""[..])
            ]
        );
        assert_eq!(
            files.answered.borrow().as_slice(),
            [
                ("http://r/a".to_string(), 304),
                ("http://r/b".into(), 200),
                ("http://r/c".into(), 304),
                ("http://r/gone".into(), 404),
            ]
        );
        assert_eq!(second.not_modified(), 2);
        second.commit();

        // The new b was kept: a third run gets three 304s.
        let third = HttpCache::new(&files, Some(dir.path().into()));
        let answers = batch(&third, &urls[..3]);
        assert_eq!(body_of(&answers[1]), (200, &b"B2"[..]));
        assert_eq!(third.not_modified(), 3);
        // After a bypass, nothing is asked conditionally.
        assert!(third.bypass_cache());
        files.answered.borrow_mut().clear();
        batch(&third, &urls[..1]);
        assert_eq!(
            files.answered.borrow().as_slice(),
            [("http://r/a".to_string(), 200)]
        );
    }

    #[test]
    fn nothing_is_written_before_commit_nor_without_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::default();
        server.set(b"one");
        let cache = HttpCache::new(&server, Some(dir.path().join("cache")));
        read(&cache, URL);
        assert!(!dir.path().join("cache").exists());
        let none = HttpCache::new(&server, None);
        assert_eq!(none.cached(URL, "00"), None);
    }

    #[test]
    fn a_damaged_entry_is_ignored_and_fetched_again() {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::default();
        server.set(b"the bytes");
        let cache = HttpCache::new(&server, Some(dir.path().into()));
        read(&cache, URL);
        cache.commit();
        let path = dir.path().join(entry_name(URL));
        let written = std::fs::read(&path).unwrap();
        for damaged in [
            written[..written.len() - 1].to_vec(),
            [&written[..written.len() - 1], b"X"].concat(),
            written.iter().skip(1).copied().collect(),
        ] {
            std::fs::write(&path, &damaged).unwrap();
            server.asked.borrow_mut().clear();
            let cache = HttpCache::new(&server, Some(dir.path().into()));
            assert_eq!(read(&cache, URL), b"the bytes");
            assert_eq!(server.asked.borrow().as_slice(), [None], "{damaged:?}");
        }
    }

    #[test]
    fn pinned_bytes_are_reused_only_with_the_digest_pinned() {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::default();
        server.set(b"bin");
        let cache = HttpCache::new(&server, Some(dir.path().into()));
        read(&cache, URL);
        cache.commit();
        let cache = HttpCache::new(&server, Some(dir.path().into()));
        let sha = Sha256Digest::of(b"bin").to_hex();
        assert_eq!(cache.cached(URL, &sha).as_deref(), Some(&b"bin"[..]));
        assert_eq!(cache.cached(URL, &"0".repeat(64)), None);
        // After a bypass nothing comes from the cache.
        assert!(cache.bypass_cache());
        assert_eq!(cache.cached(URL, &sha), None);
        read(&cache, URL);
        assert_eq!(server.asked.borrow().last().unwrap(), &None);
    }

    #[test]
    fn the_folder_is_held_to_its_bounds_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        for (k, url) in ["a", "b", "c"].iter().enumerate() {
            let body = Entry {
                header: Header {
                    url: url.to_string(),
                    etag: None,
                    last_modified: None,
                    len: 100,
                    sha256: String::new(),
                },
                body: vec![0; 100],
            };
            write_entry(dir.path(), url, &body).unwrap();
            let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(k as u64 + 1);
            let file = std::fs::File::options()
                .write(true)
                .open(dir.path().join(entry_name(url)))
                .unwrap();
            file.set_modified(when).unwrap();
        }
        evict(dir.path(), u64::MAX, 2);
        assert!(!dir.path().join(entry_name("a")).exists());
        assert!(dir.path().join(entry_name("c")).exists());
        evict(dir.path(), 150, 10);
        assert!(!dir.path().join(entry_name("b")).exists());
        assert!(dir.path().join(entry_name("c")).exists());
    }
}
