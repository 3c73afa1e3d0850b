//! Where an index comes from and whether to believe it.
//!
//! A registry is a local `index.json` or an `http(s)://` URL fetched through
//! the host. Next to it may sit `index.json.sig`, a detached base64 Ed25519
//! signature over the exact index bytes. With a trust root it must verify;
//! over plain `http://` an index without a verified signature is refused,
//! because the digests inside it are what make plain http safe. An index
//! past its `expires` is refused unless allowed (it may be a frozen mirror
//! withholding updates), and `install` refuses one whose `version` is lower
//! than the highest it has seen from the same registry (a rollback).

use crate::clock;
use crate::error::{Error, FetchError, Result};
use crate::index::{self, Index};
use crate::limits::{MAX_INDEX_BYTES, MAX_SEEN_BYTES, MAX_SIG_FILE_BYTES};
use crate::location::Location;
use crate::place::Staged;
use crate::sandbox;
use crate::source::{self, Fetcher};
use crate::trust::{self, SignatureCheck, TrustRoot};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A registry index's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryRef {
    /// An absolute local path.
    File(PathBuf),
    /// An `http(s)://` URL.
    Url(String),
}

impl RegistryRef {
    /// `http(s)://...` is a URL; anything else an absolute path (the host
    /// canonicalized it).
    pub fn parse(text: &str) -> RegistryRef {
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            RegistryRef::Url(text.to_string())
        } else {
            RegistryRef::File(PathBuf::from(text))
        }
    }

    /// How the registry is named in messages, receipts and state.
    pub fn shown(&self) -> String {
        match self {
            RegistryRef::File(path) => path.display().to_string(),
            RegistryRef::Url(url) => url.clone(),
        }
    }

    /// Whether it is fetched over plain http.
    pub fn is_plain_http(&self) -> bool {
        matches!(self, RegistryRef::Url(url) if url.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://")))
    }

    pub fn location(&self) -> Location {
        match self {
            RegistryRef::File(path) => Location::File(path.clone()),
            RegistryRef::Url(url) => Location::Remote(url.clone()),
        }
    }

    /// The detached signature's location: the index's with `.sig` appended.
    pub fn signature(&self) -> Location {
        match self {
            RegistryRef::File(path) => {
                let mut name = path.clone().into_os_string();
                name.push(".sig");
                Location::File(PathBuf::from(name))
            }
            RegistryRef::Url(url) => Location::Remote(format!("{url}.sig")),
        }
    }
}

/// What to demand of an index.
#[derive(Clone, Copy, Default)]
pub struct Policy<'a> {
    pub trust: Option<&'a TrustRoot>,
    /// Accept an index past its `expires`.
    pub allow_expired: bool,
}

/// An index that passed the policy.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub registry: RegistryRef,
    pub index: Index,
    /// The exact bytes read (what a signature covers).
    pub bytes: Vec<u8>,
    /// The detached signature's text, when there is one.
    pub signature: Option<String>,
    /// The trust-root key that verified the index signature.
    pub signed_by: Option<String>,
}

/// Reads the index at `registry` and applies `policy`.
pub fn load(registry: &RegistryRef, fetcher: &dyn Fetcher, policy: Policy<'_>) -> Result<Loaded> {
    let shown = registry.shown();
    let bytes =
        source::read_all(&registry.location(), fetcher, MAX_INDEX_BYTES)?.ok_or_else(|| {
            Error::IndexInvalid {
                path: shown.clone(),
                problem: format!("the index is larger than {} MiB", MAX_INDEX_BYTES >> 20),
            }
        })?;
    // Authenticate before parsing: bytes nobody vouches for are refused as
    // untrusted, not picked apart.
    let signature = read_signature(&registry.signature(), fetcher)?;
    let signed_by = check_signature(registry, &bytes, signature.as_deref(), policy.trust)?;
    let index = index::parse(&shown, &bytes)?;
    let expired = index
        .expires
        .as_deref()
        .and_then(|e| clock::parse(e).ok())
        .is_some_and(clock::is_past);
    if expired && !policy.allow_expired {
        return Err(Error::IndexExpired {
            registry: shown,
            expires: index.expires.clone().unwrap_or_default(),
        });
    }
    Ok(Loaded {
        registry: registry.clone(),
        index,
        bytes,
        signature: signature.map(|s| s.trim().to_string()),
        signed_by,
    })
}

/// Highest index `version` seen per registry, in the plugins directory:
/// `<dest>/.wasm-plugin/registries.json`.
fn seen_path(dest: &Path) -> PathBuf {
    dest.join(crate::receipt::STATE_DIR).join("registries.json")
}

/// The highest index version seen from each registry.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Seen {
    /// Registry (as shown) -> highest index version seen.
    #[serde(default)]
    pub versions: BTreeMap<String, u64>,
}

fn read_seen(dest: &Path) -> Result<Seen> {
    let path = seen_path(dest);
    if !crate::installed::exists(&path)? {
        return Ok(Seen::default());
    }
    let bytes = match sandbox::read_at_most(&path, MAX_SEEN_BYTES, sandbox::Links::Refuse) {
        Ok(bytes) => bytes.unwrap_or_default(),
        // Not a regular file: unreadable like a damaged one, and replaced
        // (the link itself, never its target) when next written.
        Err(Error::NotRegularFile { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(parse_seen(&bytes))
}

/// The recorded versions in `registries.json`. A damaged file cannot say
/// what was seen; starting over is the only way forward, and the next
/// install writes it anew.
pub fn parse_seen(bytes: &[u8]) -> Seen {
    serde_json::from_slice(bytes).unwrap_or_default()
}

/// Refuses an index older than the newest one seen from the same registry.
/// Once a version was seen, an index without one counts as version 0: a
/// replayed old index must not slip through by leaving the field out.
pub fn check_not_rolled_back(dest: &Path, loaded: &Loaded) -> Result<()> {
    let shown = loaded.registry.shown();
    let got = loaded.index.version.unwrap_or(0);
    match read_seen(dest)?.versions.get(&shown) {
        Some(&seen) if got < seen => Err(Error::IndexRollback {
            registry: shown,
            seen,
            got,
        }),
        _ => Ok(()),
    }
}

/// The state file with this index's version recorded, written to a temp
/// file for `Staged::persist` to `seen_path(dest)`; `None` when there is
/// nothing new to record. Staged before a plugin is placed, like its receipt.
pub fn stage_seen(dest: &Path, loaded: &Loaded) -> Result<Option<Staged>> {
    let Some(version) = loaded.index.version else {
        return Ok(None);
    };
    let mut seen = read_seen(dest)?;
    let entry = seen.versions.entry(loaded.registry.shown()).or_insert(0);
    if *entry >= version && crate::installed::exists(&seen_path(dest))? {
        return Ok(None);
    }
    *entry = version.max(*entry);
    let dir = dest.join(crate::receipt::STATE_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create", &e))?;
    let mut staged = Staged::create(&dir, "registries.json")?;
    let mut text = serde_json::to_vec_pretty(&seen).expect("serializes");
    text.push(b'\n');
    staged.write_all(&text)?;
    Ok(Some(staged))
}

/// Puts a state file from `stage_seen` in place.
pub fn commit_seen(dest: &Path, staged: Option<Staged>) -> Result<()> {
    match staged {
        Some(staged) => staged.persist(&seen_path(dest)),
        None => Ok(()),
    }
}

/// Records the index's version as seen, if it is the newest so far.
pub fn record_seen(dest: &Path, loaded: &Loaded) -> Result<()> {
    let staged = stage_seen(dest, loaded)?;
    commit_seen(dest, staged)
}

fn check_signature(
    registry: &RegistryRef,
    bytes: &[u8],
    signature: Option<&str>,
    trust: Option<&TrustRoot>,
) -> Result<Option<String>> {
    let shown = registry.shown();
    let untrusted = |reason: String| Error::IndexUntrusted {
        registry: shown.clone(),
        reason,
    };
    let location = registry.signature();
    let text = match signature {
        Some(text) => text,
        None if registry.is_plain_http() => {
            return Err(untrusted(format!(
                "it is fetched over plain http and has no signature ({}); an unsigned index over http could \
                 have been altered in transit, digests and all",
                location.display()
            )));
        }
        None => return Ok(None),
    };
    let Some(root) = trust else {
        if registry.is_plain_http() {
            return Err(untrusted(
                "it is fetched over plain http, so its signature must be verified: pass --trust-root".into(),
            ));
        }
        return Ok(None);
    };
    let signature = trust::parse_signature(text).map_err(|why| {
        untrusted(format!(
            "its signature {} is malformed: {why}",
            location.display()
        ))
    })?;
    let mut check = SignatureCheck::new(root, &signature);
    check.update(bytes);
    check.finish(&shown).map(Some).map_err(|_| {
        untrusted(format!(
            "its signature {} does not verify against any key of {} (tried: {}); the index was altered, \
             or signed by a key you do not trust",
            location.display(),
            root.path,
            root.labels().join(", ")
        ))
    })
}

/// The text of a detached signature, or `None` when there is none (a
/// missing file, an HTTP 404 or 410).
fn read_signature(location: &Location, fetcher: &dyn Fetcher) -> Result<Option<String>> {
    if let Location::File(path) = location
        && (sandbox::check_granted(path).is_err() || !crate::installed::exists(path)?)
    {
        return Ok(None);
    }
    match source::read_all(location, fetcher, MAX_SIG_FILE_BYTES) {
        Ok(Some(bytes)) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Ok(None) => Err(Error::IndexUntrusted {
            registry: location.display(),
            reason: "the signature file is far larger than a signature".into(),
        }),
        Err(Error::FetchFailed {
            cause: FetchError::HttpStatus(404 | 410),
            ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::NoNetwork;
    use crate::source::testing::{Script, ScriptedFetcher};
    use crate::trust::TrustedKey;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::{Signer, SigningKey};

    const INDEX: &[u8] = br#"{"schema_version": "1", "version": 3, "plugins": []}"#;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[11; 32])
    }

    fn root() -> TrustRoot {
        TrustRoot {
            path: "/trust".into(),
            keys: vec![TrustedKey {
                label: "registry".into(),
                key: key().verifying_key(),
            }],
        }
    }

    fn sig_of(bytes: &[u8]) -> Vec<u8> {
        STANDARD.encode(key().sign(bytes).to_bytes()).into_bytes()
    }

    fn served(index: &[u8], sig: Option<Vec<u8>>) -> ScriptedFetcher {
        let fetcher = ScriptedFetcher::default();
        fetcher.serve(
            "http://r/index.json",
            Script::Body(index.to_vec(), None, 64),
        );
        if let Some(sig) = sig {
            fetcher.serve("http://r/index.json.sig", Script::Body(sig, None, 64));
        }
        fetcher
    }

    fn remote(fetcher: &ScriptedFetcher, trust: Option<&TrustRoot>) -> Result<Loaded> {
        let registry = RegistryRef::parse("http://r/index.json");
        load(
            &registry,
            fetcher,
            Policy {
                trust,
                allow_expired: false,
            },
        )
    }

    #[test]
    fn a_signed_remote_index_verifies() {
        let root = root();
        let loaded = remote(&served(INDEX, Some(sig_of(INDEX))), Some(&root)).unwrap();
        assert_eq!(loaded.signed_by.as_deref(), Some("registry"));
        assert_eq!(loaded.index.version, Some(3));
    }

    #[test]
    fn an_unsigned_garbage_index_over_http_is_untrusted_not_malformed() {
        let err = remote(&served(b"<html>captive portal</html>", None), None).unwrap_err();
        assert!(matches!(err, Error::IndexUntrusted { .. }), "{err:?}");
    }

    #[test]
    fn a_tampered_remote_index_is_refused() {
        let root = root();
        let tampered = br#"{"schema_version": "1", "version": 4, "plugins": []}"#;
        let err = remote(&served(tampered, Some(sig_of(INDEX))), Some(&root)).unwrap_err();
        assert!(
            matches!(err, Error::IndexUntrusted { ref reason, .. } if reason.contains("does not verify")),
            "{err:?}"
        );
    }

    #[test]
    fn an_unsigned_index_over_http_is_refused_even_with_a_trust_root() {
        let root = root();
        let err = remote(&served(INDEX, None), Some(&root)).unwrap_err();
        assert!(
            matches!(err, Error::IndexUntrusted { ref reason, .. } if reason.contains("plain http")),
            "{err:?}"
        );
        let err = remote(&served(INDEX, Some(sig_of(INDEX))), None).unwrap_err();
        assert!(
            matches!(err, Error::IndexUntrusted { ref reason, .. } if reason.contains("--trust-root")),
            "{err:?}"
        );
    }

    #[test]
    fn a_local_index_may_be_unsigned_but_a_present_signature_must_verify() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.json");
        std::fs::write(&path, INDEX).unwrap();
        let registry = RegistryRef::File(path.clone());
        let root = root();
        let policy = Policy {
            trust: Some(&root),
            allow_expired: false,
        };
        assert_eq!(load(&registry, &NoNetwork, policy).unwrap().signed_by, None);
        std::fs::write(dir.path().join("index.json.sig"), sig_of(INDEX)).unwrap();
        assert_eq!(
            load(&registry, &NoNetwork, policy)
                .unwrap()
                .signed_by
                .as_deref(),
            Some("registry")
        );
        std::fs::write(dir.path().join("index.json.sig"), sig_of(b"other")).unwrap();
        assert!(matches!(
            load(&registry, &NoNetwork, policy),
            Err(Error::IndexUntrusted { .. })
        ));
        // Without a trust root a local signature is not checked.
        assert!(load(&registry, &NoNetwork, Policy::default()).is_ok());
    }

    #[test]
    fn an_expired_index_is_refused_unless_allowed() {
        let root = root();
        let expired =
            br#"{"schema_version": "1", "expires": "2001-01-01T00:00:00Z", "plugins": []}"#;
        let fetcher = served(expired, Some(sig_of(expired)));
        let err = remote(&fetcher, Some(&root)).unwrap_err();
        assert!(
            matches!(err, Error::IndexExpired { ref expires, .. } if expires == "2001-01-01T00:00:00Z")
        );
        let registry = RegistryRef::parse("http://r/index.json");
        let policy = Policy {
            trust: Some(&root),
            allow_expired: true,
        };
        assert!(load(&registry, &fetcher, policy).is_ok());
    }

    #[test]
    fn an_older_index_is_refused_after_a_newer_one_was_seen() {
        let dest = tempfile::tempdir().unwrap();
        let root = root();
        let loaded = |version: u64| {
            let index =
                format!(r#"{{"schema_version": "1", "version": {version}, "plugins": []}}"#)
                    .into_bytes();
            remote(&served(&index, Some(sig_of(&index))), Some(&root)).unwrap()
        };
        check_not_rolled_back(dest.path(), &loaded(5)).unwrap();
        record_seen(dest.path(), &loaded(5)).unwrap();
        check_not_rolled_back(dest.path(), &loaded(5)).unwrap();
        check_not_rolled_back(dest.path(), &loaded(6)).unwrap();
        let err = check_not_rolled_back(dest.path(), &loaded(4)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::IndexRollback {
                    seen: 5,
                    got: 4,
                    ..
                }
            ),
            "{err:?}"
        );
        // A lower version never lowers what was seen.
        record_seen(dest.path(), &loaded(3)).unwrap();
        assert!(check_not_rolled_back(dest.path(), &loaded(4)).is_err());
        // Once a version was seen, leaving it out does not get past the check.
        let unversioned = Loaded {
            index: crate::index::Index {
                version: None,
                ..loaded(1).index
            },
            ..loaded(1)
        };
        assert!(matches!(
            check_not_rolled_back(dest.path(), &unversioned),
            Err(Error::IndexRollback {
                seen: 5,
                got: 0,
                ..
            })
        ));
        // Other registries are tracked apart.
        let other = Loaded {
            registry: RegistryRef::Url("http://elsewhere/index.json".into()),
            ..loaded(1)
        };
        check_not_rolled_back(dest.path(), &other).unwrap();
    }

    fn load_file(path: &std::path::Path) -> Result<Index> {
        load(
            &RegistryRef::File(path.to_path_buf()),
            &NoNetwork,
            Policy::default(),
        )
        .map(|l| l.index)
    }

    #[test]
    fn load_reads_a_file_and_refuses_oversized_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.json");
        std::fs::write(&path, format!(r#"{{"schema_version": "1", "plugins": [{{"name": "a", "version": "1", "artifact": "a", "sha256": "{}"}}]}}"#, "ab".repeat(32))).unwrap();
        assert_eq!(load_file(&path).unwrap().plugins.len(), 1);

        let mut big = format!(r#"{{"schema_version": "1", "plugins": [{{"name": "a", "version": "1", "artifact": "a", "sha256": "{}"}}]}}"#, "ab".repeat(32)).into_bytes();
        big.resize(MAX_INDEX_BYTES as usize + 10, b' ');
        std::fs::write(&path, big).unwrap();
        assert!(matches!(load_file(&path), Err(Error::IndexInvalid { .. })));

        let missing = dir.path().join("nope.json");
        assert!(matches!(
            load_file(&missing),
            Err(Error::Io {
                operation: "open",
                ..
            })
        ));
    }

    #[test]
    fn registry_refs_tell_urls_from_paths() {
        assert!(RegistryRef::parse("HTTP://x/i.json").is_plain_http());
        assert!(!RegistryRef::parse("https://x/i.json").is_plain_http());
        assert_eq!(
            RegistryRef::parse("/srv/i.json"),
            RegistryRef::File("/srv/i.json".into())
        );
    }
}
