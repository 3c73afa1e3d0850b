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
use crate::error::{Error, FetchError, Fetched, Result};
use crate::limits::{MAX_INDEX_BYTES, MAX_SIG_FILE_BYTES};
use crate::registry::index::{self, Index};
use crate::registry::sparse;
use crate::sandbox;
use crate::transfer::location::{Location, RegistryRef};
use crate::transfer::source::{self, Fetcher};
use crate::trust::{self, SignatureCheck, TrustRoot};

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
    /// Whether a trust root judged the index's signature: without one, an
    /// index is read whether it is signed or not, and `signed_by` says
    /// nothing of which.
    pub trust_checked: bool,
    /// A sparse registry's `timestamp.json`, read with a plugin's file
    /// (`sparse::load_plugin`): recorded against rollback beside it.
    pub timestamp: Option<Box<Loaded>>,
}

/// Reads the index at `registry` and applies `policy`.
pub fn load(registry: &RegistryRef, fetcher: &dyn Fetcher, policy: Policy<'_>) -> Result<Loaded> {
    refuse_sparse(registry)?;
    let shown = registry.shown();
    let bytes = source::read_all(&registry.location(), fetcher, MAX_INDEX_BYTES)
        .map_err(|e| e.fetching(Fetched::Index))?
        .ok_or_else(|| Error::IndexInvalid {
            path: shown.clone(),
            problem: format!("the index is larger than {} MiB", MAX_INDEX_BYTES >> 20),
        })?;
    let signature = read_signature(&registry.signature(), fetcher)?;
    admit(registry, bytes, signature, policy)
}

/// Applies `policy` to index bytes and their detached signature that were
/// read before (by `load`, in an earlier call of the same run): the
/// signature is checked again here, so bytes handed back by a host are
/// trusted exactly as much as fetched ones.
pub fn admit(
    registry: &RegistryRef,
    bytes: Vec<u8>,
    signature: Option<String>,
    policy: Policy<'_>,
) -> Result<Loaded> {
    refuse_sparse(registry)?;
    let shown = registry.shown();
    if bytes.len() as u64 > MAX_INDEX_BYTES {
        return Err(Error::IndexInvalid {
            path: shown,
            problem: format!("the index is larger than {} MiB", MAX_INDEX_BYTES >> 20),
        });
    }
    // Authenticate before parsing: bytes nobody vouches for are refused as
    // untrusted, not picked apart.
    let signed_by = check_signature(registry, &bytes, signature.as_deref(), policy.trust)?;
    let mut loaded = admit_vouched(registry, bytes, signed_by, policy)?;
    loaded.signature = signature.map(|s| s.trim().to_string());
    Ok(loaded)
}

/// `admit` for bytes a signed file vouches for by their SHA-256 instead of
/// a signature of their own (a sparse registry's plugin file pinned by its
/// bin, which the snapshot pins, which the signed `timestamp.json` pins):
/// `signed_by` is whoever signed that file; parsing and expiry are as
/// `admit`'s. The caller has checked the digest.
pub(super) fn admit_vouched(
    registry: &RegistryRef,
    bytes: Vec<u8>,
    signed_by: Option<String>,
    policy: Policy<'_>,
) -> Result<Loaded> {
    let shown = registry.shown();
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
        signature: None,
        signed_by,
        trust_checked: policy.trust.is_some(),
        timestamp: None,
    })
}

/// A sparse registry has no index of every plugin: what asks for one is
/// refused, naming what is supported instead (`sparse::load_plugin` reads
/// one plugin's file).
/// A local directory holding `config.json` (as a manifest may name one) is
/// refused the same way.
fn refuse_sparse(registry: &RegistryRef) -> Result<()> {
    if sparse::is_sparse(registry) {
        return Err(sparse::whole_index_refused(registry, "this command"));
    }
    if let RegistryRef::File(path) = registry
        && sandbox::check_granted(path).is_ok()
        && path.is_dir()
        && path.join(sparse::CONFIG).is_file()
    {
        let config = RegistryRef::File(path.join(sparse::CONFIG));
        return Err(sparse::whole_index_refused(&config, "this command"));
    }
    Ok(())
}

/// The bytes of the index-shaped file at `registry` and its detached
/// signature, or `None` when there is no such file (a missing file, an
/// HTTP 404 or 410): a sparse registry's plugin file.
pub(super) fn read_if_index(
    registry: &RegistryRef,
    fetcher: &dyn Fetcher,
) -> Result<Option<(Vec<u8>, Option<String>)>> {
    match read_if_present(&registry.location(), fetcher, MAX_INDEX_BYTES)? {
        Present::Missing => Ok(None),
        Present::TooLarge => Err(Error::IndexInvalid {
            path: registry.shown(),
            problem: format!("the index is larger than {} MiB", MAX_INDEX_BYTES >> 20),
        }),
        Present::Bytes(bytes) => Ok(Some((
            bytes,
            read_signature(&registry.signature(), fetcher)?,
        ))),
    }
}

pub(super) fn check_signature(
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
        // root.json gives the index a role: an index nobody in it signed
        // could list anything, rolled back or frozen.
        None if trust.is_some_and(|t| t.metadata.is_some()) => {
            return Err(untrusted(format!(
                "it has no signature ({}), and the trust root's root.json requires one by its \
                 index role",
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
    let signatures = parse_index_signatures(text).map_err(|why| {
        untrusted(format!(
            "its signature {} is malformed: {why}",
            location.display()
        ))
    })?;
    let mut check = SignatureCheck::for_index(root, &signatures);
    check.update(bytes);
    match check.finish(&shown) {
        Ok(verified) => Ok(Some(verified.signers)),
        Err(Error::SignatureInsufficient { reason, .. }) => Err(untrusted(format!(
            "its signatures {}: {reason}",
            location.display()
        ))),
        Err(_) => Err(untrusted(format!(
            "its signature {} does not verify against any key of {} (tried: {}); the index was altered, \
             or signed by a key you do not trust",
            location.display(),
            root.path,
            root.labels().join(", ")
        ))),
    }
}

/// `index.json.sig`: one signature (base64, wrapped over lines or not), or
/// one per line when several keys signed (a `root.json` threshold).
fn parse_index_signatures(text: &str) -> std::result::Result<Vec<trust::Claimed>, String> {
    if let Ok(one) = trust::parse_signature(text) {
        return Ok(vec![trust::Claimed::unnamed(one)]);
    }
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    if lines.len() > crate::limits::MAX_SIGNATURES {
        return Err(format!(
            "it holds {} lines; at most {} signatures are read",
            lines.len(),
            crate::limits::MAX_SIGNATURES
        ));
    }
    lines
        .into_iter()
        .map(|line| trust::parse_signature(line).map(trust::Claimed::unnamed))
        .collect()
}

/// The text of a detached signature, or `None` when there is none (a
/// missing file, an HTTP 404 or 410).
fn read_signature(location: &Location, fetcher: &dyn Fetcher) -> Result<Option<String>> {
    match read_if_present(location, fetcher, MAX_SIG_FILE_BYTES)? {
        Present::Missing => Ok(None),
        Present::Bytes(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Present::TooLarge => Err(Error::IndexUntrusted {
            registry: location.display(),
            reason: "the signature file is far larger than a signature".into(),
        }),
    }
}

/// A file that may sit next to an index (its signature, `N.root.json`).
pub(super) enum Present {
    /// No such file, an HTTP 404 or 410, or a path outside the grants.
    Missing,
    TooLarge,
    Bytes(Vec<u8>),
}

pub(super) fn read_if_present(
    location: &Location,
    fetcher: &dyn Fetcher,
    max: u64,
) -> Result<Present> {
    if let Location::File(path) = location
        && (sandbox::check_granted(path).is_err() || !crate::sandbox::exists(path)?)
    {
        return Ok(Present::Missing);
    }
    match source::read_all(location, fetcher, max) {
        Ok(Some(bytes)) => Ok(Present::Bytes(bytes)),
        Ok(None) => Ok(Present::TooLarge),
        Err(Error::FetchFailed {
            cause: FetchError::HttpStatus(404 | 410),
            ..
        }) => Ok(Present::Missing),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::source::NoNetwork;
    use crate::transfer::source::testing::{Script, ScriptedFetcher};
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::{Signer, SigningKey};

    const INDEX: &[u8] = br#"{"schema_version": "1", "version": 3, "plugins": []}"#;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[11; 32])
    }

    fn root() -> TrustRoot {
        TrustRoot::of_key("registry", key().verifying_key())
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
}
