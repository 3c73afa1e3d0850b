//! Reading an artefact's bytes in chunks, from a local file or through the
//! host's fetch capability.
//!
//! The component has no network: remote bytes come from a [`Fetcher`] the
//! host lends (the WIT `fetch` import; tests use their own). A body that ends
//! before the length the server announced is an error here, whatever the
//! host did, because a short artefact must never look like a digest mismatch.

use crate::error::{Error, FetchError, Result};
use crate::limits::CHUNK_BYTES;
use crate::location::Location;
use crate::sandbox;
use std::io::Read;
use std::path::PathBuf;

/// A response body being received.
pub trait RemoteBody {
    /// Up to `max` further bytes; empty at the end of the body.
    fn read(&mut self, max: u32) -> std::result::Result<Vec<u8>, FetchError>;
}

/// The capability to GET a URL.
pub trait Fetcher {
    /// The body and, when announced, its length.
    fn get(&self, url: &str)
    -> std::result::Result<(Box<dyn RemoteBody>, Option<u64>), FetchError>;
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
}

enum Kind {
    File(std::fs::File, PathBuf),
    Remote {
        body: Box<dyn RemoteBody>,
        announced: Option<u64>,
    },
}

impl Source {
    pub fn open(location: &Location, fetcher: &dyn Fetcher) -> Result<Source> {
        let kind = match location {
            Location::File(path) => {
                sandbox::check_granted(path)?;
                let file = std::fs::File::open(path).map_err(|e| Error::io(path, "open", &e))?;
                Kind::File(file, path.clone())
            }
            Location::Remote(url) => {
                let (body, announced) = fetcher.get(url).map_err(|cause| Error::FetchFailed {
                    url: url.clone(),
                    cause,
                })?;
                Kind::Remote { body, announced }
            }
        };
        Ok(Source {
            shown: location.display(),
            kind,
            buf: Vec::new(),
            received: 0,
        })
    }

    /// Where the bytes come from, for reports.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The length announced in advance, if any.
    pub fn announced_len(&self) -> Option<u64> {
        match &self.kind {
            Kind::File(file, _) => file.metadata().ok().map(|m| m.len()),
            Kind::Remote { announced, .. } => *announced,
        }
    }

    /// The next chunk, or `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>> {
        let n = match &mut self.kind {
            Kind::File(file, path) => {
                self.buf.resize(CHUNK_BYTES, 0);
                loop {
                    match file.read(&mut self.buf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(Error::io(path, "read", &e)),
                    }
                }
            }
            Kind::Remote { body, announced } => {
                let failed = |cause| Error::FetchFailed {
                    url: self.shown.clone(),
                    cause,
                };
                self.buf = body.read(CHUNK_BYTES as u32).map_err(failed)?;
                let n = self.buf.len() as u64;
                match *announced {
                    Some(total) if n == 0 && self.received < total => {
                        return Err(failed(FetchError::Truncated(self.received, total)));
                    }
                    Some(total) if self.received + n > total => {
                        return Err(failed(FetchError::Transport(format!(
                            "the server sent more than the {total} bytes it announced"
                        ))));
                    }
                    _ => {}
                }
                self.buf.len()
            }
        };
        self.received += n as u64;
        Ok((n > 0).then(|| &self.buf[..n]))
    }
}

#[cfg(test)]
pub mod testing {
    //! A scripted fetcher for unit tests.
    use super::*;
    use std::collections::HashMap;

    #[derive(Clone)]
    pub enum Script {
        /// Serve these bytes, announcing this length, in chunks of this size.
        Body(Vec<u8>, Option<u64>, usize),
        /// Fail the GET itself.
        Fail(FetchError),
        /// Serve these bytes then fail.
        CutAfter(Vec<u8>, FetchError),
    }

    #[derive(Default)]
    pub struct ScriptedFetcher(pub HashMap<String, Script>);

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
            match self.0.get(url).cloned() {
                None => Err(FetchError::HttpStatus(404)),
                Some(Script::Fail(e)) => Err(e),
                Some(Script::Body(bytes, announced, size)) => Ok((
                    Box::new(Body {
                        chunks: bytes.chunks(size).map(<[u8]>::to_vec).collect(),
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
        let mut fetcher = ScriptedFetcher::default();
        fetcher.0.insert("http://h/a".into(), script);
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
            Error::FetchFailed {
                url: "http://h/a".into(),
                cause: FetchError::Truncated(5, 100)
            }
        );
    }

    #[test]
    fn a_body_longer_than_announced_is_refused() {
        let err = remote(Script::Body(b"too long".to_vec(), Some(3), 8)).unwrap_err();
        assert!(matches!(
            err,
            Error::FetchFailed {
                cause: FetchError::Transport(_),
                ..
            }
        ));
    }

    #[test]
    fn fetch_errors_carry_the_url() {
        let err = remote(Script::Fail(FetchError::HttpStatus(500))).unwrap_err();
        assert_eq!(
            err,
            Error::FetchFailed {
                url: "http://h/a".into(),
                cause: FetchError::HttpStatus(500)
            }
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
}
