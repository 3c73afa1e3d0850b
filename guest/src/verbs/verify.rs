//! `verify`: audit an artefact already on disk.
//!
//! The signature comes from the file given, or else from the `.sig` sidecar
//! next to the artefact (what `install` writes and loaders read). With a trust
//! root a signature is required and must verify; without one the digest is
//! reported and a signature present is still checked for form, because a
//! sidecar no loader can read is a finding worth failing an audit for.
//!
//! When the trust root's `sigstore.json` covers the file's name (its stem)
//! and a `<stem>.sigstore.json` lies beside it (what `install` places), that
//! bundle is checked for the file's SHA-256 as `install` checks it: it
//! vouches for the file instead of an Ed25519 signature, and one that does
//! not verify fails the call.
//!
//! With minisign keys in the trust root, a `<stem>.minisig` beside the file
//! (what `install` places) is checked as `install` checks an entry's
//! `minisig`: it vouches for the file by its key, and one that does not
//! verify (another key, other bytes, an altered trusted comment) fails the
//! call.

use crate::error::{Error, Result};
use crate::limits::{MAX_BUNDLE_BYTES, MAX_SIG_FILE_BYTES};
use crate::pipeline::WorldRef;
use crate::plugins_dir::PluginsDir;
use crate::sandbox::{self, Links};
use crate::transfer::location::Location;
use crate::transfer::source::{NoNetwork, Source};
use crate::transfer::stream;
use crate::trust::world::Reducer;
use crate::trust::{self, TrustRoot};
use crate::wit::VerifyReport;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct VerifyRequest {
    pub artifact: PathBuf,
    pub signature: Option<PathBuf>,
    pub trust_root: Option<PathBuf>,
    /// A world the file must fit: a publisher's check before publishing.
    pub world: Option<WorldRef>,
}

pub fn verify(request: &VerifyRequest) -> Result<VerifyReport> {
    let artifact = &request.artifact;
    let trust = request
        .trust_root
        .as_deref()
        .map(TrustRoot::load)
        .transpose()?;
    let world = request.world.as_ref().map(WorldRef::load).transpose()?;
    let sidecar = artifact.with_extension("sig");
    let sig_path = match &request.signature {
        Some(path) => Some(path.clone()),
        None => exists(&sidecar)?.then(|| sidecar.clone()),
    };
    let signature = match &sig_path {
        Some(path) => {
            let malformed = |reason: String| Error::SignatureMalformed {
                source: path.display().to_string(),
                reason,
            };
            let text = trust::read_small(path, MAX_SIG_FILE_BYTES)?.ok_or_else(|| {
                malformed(format!(
                    "it is larger than {MAX_SIG_FILE_BYTES} bytes; a signature is 88"
                ))
            })?;
            Some(trust::parse_signature(&text).map_err(malformed)?)
        }
        None => None,
    };
    // A file on disk is named by its stem, as a loader names `<name>.wasm`.
    let name = artifact
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let claimed: Vec<trust::Claimed> = signature.into_iter().map(trust::Claimed::unnamed).collect();
    let sigstore = trust.as_ref().and_then(|root| root.bundle_check(&name));
    let bundle_path = artifact.with_file_name(PluginsDir::bundle_file(&name));
    let bundle = match &sigstore {
        Some(_) if exists(&bundle_path)? => Some(
            sandbox::read_at_most(&bundle_path, MAX_BUNDLE_BYTES as u64, Links::Follow)?
                .unwrap_or_default(),
        ),
        _ => None,
    };
    let minisig = read_minisig(artifact, &name, trust.as_ref(), &claimed)?;
    let minisig_path = artifact.with_file_name(PluginsDir::minisig_file(&name));
    let minisign_keys = trust.as_ref().is_some_and(|root| !root.minisign.is_empty());
    let missing = || {
        let mut looked_for = vec![sidecar.display().to_string()];
        looked_for.extend(sigstore.as_ref().map(|_| bundle_path.display().to_string()));
        looked_for.extend(minisign_keys.then(|| minisig_path.display().to_string()));
        Error::SignatureMissing {
            artifact: artifact.display().to_string(),
            looked_for: looked_for.join(" or "),
        }
    };
    let mut check = match (&bundle, &trust) {
        (Some(_), Some(root)) => trust::check_if_signed(root, &name, &claimed, minisig.as_ref())?,
        _ => trust::check_for(trust.as_ref(), &name, &claimed, minisig.as_ref(), missing)?,
    };

    let mut source = Source::open(&Location::File(artifact.clone()), &NoNetwork)?;
    let mut reducer = world.as_ref().map(|_| Reducer::new());
    let measured = stream::pump_with(&mut source, None, check.as_mut(), reducer.as_mut())?;
    let shown = artifact.display().to_string();
    let signed_by = match (sigstore, &bundle) {
        // An oversized bundle reads as empty: refused as malformed. One
        // that verifies vouches for the file (a publishers role's identity
        // as one of its signers, as a `.sig` is).
        (Some(sigstore), Some(bundle)) => Some(
            sigstore
                .verify(&measured.sha256, bundle)
                .map_err(|refusal| Error::SigstoreUnverified {
                    artifact: shown.clone(),
                    bundle: bundle_path.display().to_string(),
                    check: refusal.check.name().to_string(),
                    reason: refusal.to_string(),
                })?
                .to_string(),
        ),
        _ => check
            .map(|c| c.finish(&shown))
            .transpose()?
            .map(|verified| verified.signers),
    };
    let fits = match (&world, reducer) {
        (Some(world), Some(reducer)) => {
            if let Err(mismatch) = reducer.finish().and_then(|reduced| world.check(&reduced)) {
                return Err(Error::Incompatible {
                    artifact: artifact.display().to_string(),
                    world: world.shown.clone(),
                    mismatch,
                    skipped: Vec::new(),
                });
            }
            Some(world.shown.clone())
        }
        _ => None,
    };
    Ok(VerifyReport {
        artifact: artifact.display().to_string(),
        sha256: measured.sha256.to_hex(),
        size: measured.size,
        signature_path: sig_path.map(|p| p.display().to_string()),
        signed_by,
        imports: measured
            .capabilities
            .as_ref()
            .ok()
            .map(|c| c.imports.clone()),
        exports: measured.capabilities.ok().map(|c| c.exports),
        fits,
    })
}

/// The `<stem>.minisig` beside `artifact`, when the trust root is to check
/// it: it holds minisign keys, or no other signature is there to count (as
/// for an index entry's `minisig`).
fn read_minisig(
    artifact: &Path,
    name: &str,
    trust: Option<&TrustRoot>,
    claimed: &[trust::Claimed],
) -> Result<Option<trust::MinisigClaim>> {
    let path = artifact.with_file_name(PluginsDir::minisig_file(name));
    let Some(root) = trust else {
        return Ok(None);
    };
    if (root.minisign.is_empty() && !claimed.is_empty()) || !exists(&path)? {
        return Ok(None);
    }
    let shown = path.display().to_string();
    let text = trust::read_small(&path, MAX_SIG_FILE_BYTES)?.unwrap_or_default();
    trust::MinisigClaim::parse(&text, &shown, &artifact.display().to_string()).map(Some)
}

/// Whether `path` exists; a path outside the grants simply does not.
fn exists(path: &Path) -> Result<bool> {
    if sandbox::check_granted(path).is_err() {
        return Ok(false);
    }
    match std::fs::metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(path, "stat", &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::{Signer, SigningKey};

    struct Fixture {
        _dir: tempfile::TempDir,
        root: PathBuf,
        key: SigningKey,
    }

    impl Fixture {
        fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().to_path_buf();
            std::fs::create_dir(root.join("trust")).unwrap();
            let key = SigningKey::from_bytes(&[5; 32]);
            std::fs::write(
                root.join("trust/ops.pub"),
                STANDARD.encode(key.verifying_key().to_bytes()),
            )
            .unwrap();
            Fixture {
                _dir: dir,
                root,
                key,
            }
        }

        fn plugin(&self, bytes: &[u8], sidecar: Option<&[u8]>) -> PathBuf {
            let path = self.root.join("p.wasm");
            std::fs::write(&path, bytes).unwrap();
            if let Some(sig) = sidecar {
                std::fs::write(
                    self.root.join("p.sig"),
                    STANDARD.encode(self.key.sign(sig).to_bytes()),
                )
                .unwrap();
            }
            path
        }

        fn verify(&self, artifact: PathBuf, trusted: bool) -> Result<VerifyReport> {
            verify(&VerifyRequest {
                artifact,
                signature: None,
                trust_root: trusted.then(|| self.root.join("trust")),
                world: None,
            })
        }
    }

    #[test]
    fn the_sidecar_is_verified_against_the_trust_root() {
        let fx = Fixture::new();
        let artifact = fx.plugin(b"plugin", Some(b"plugin"));
        let report = fx.verify(artifact, true).unwrap();
        assert_eq!(report.signed_by.as_deref(), Some("ops"));
        assert_eq!(
            report.sha256,
            crate::trust::digest::Sha256Digest::of(b"plugin").to_hex()
        );
        assert!(report.signature_path.unwrap().ends_with("p.sig"));
    }

    #[test]
    fn an_explicit_signature_file_wins_over_the_sidecar() {
        let fx = Fixture::new();
        let artifact = fx.plugin(b"plugin", Some(b"other bytes"));
        let explicit = fx.root.join("elsewhere.sig");
        std::fs::write(
            &explicit,
            STANDARD.encode(fx.key.sign(b"plugin").to_bytes()),
        )
        .unwrap();
        let report = verify(&VerifyRequest {
            artifact,
            signature: Some(explicit),
            trust_root: Some(fx.root.join("trust")),
            world: None,
        })
        .unwrap();
        assert_eq!(report.signed_by.as_deref(), Some("ops"));
    }

    #[test]
    fn a_tampered_artifact_is_untrusted() {
        let fx = Fixture::new();
        let artifact = fx.plugin(b"tampered", Some(b"plugin"));
        let err = fx.verify(artifact, true).unwrap_err();
        assert!(matches!(err, Error::SignatureUntrusted { .. }), "{err:?}");
    }

    #[test]
    fn with_a_trust_root_a_missing_signature_fails() {
        let fx = Fixture::new();
        let artifact = fx.plugin(b"plugin", None);
        let err = fx.verify(artifact, true).unwrap_err();
        assert!(
            matches!(err, Error::SignatureMissing { looked_for, .. } if looked_for.ends_with("p.sig"))
        );
    }

    #[test]
    fn without_a_trust_root_the_digest_is_reported() {
        let fx = Fixture::new();
        let artifact = fx.plugin(b"plugin", None);
        let report = fx.verify(artifact, false).unwrap();
        assert_eq!(report.signed_by, None);
        assert_eq!(report.signature_path, None);
        assert_eq!(report.size, 6);
    }

    #[test]
    fn a_malformed_sidecar_fails_the_audit() {
        let fx = Fixture::new();
        let artifact = fx.plugin(b"plugin", None);
        std::fs::write(fx.root.join("p.sig"), "c2hvcnQ=").unwrap();
        let err = fx.verify(artifact, false).unwrap_err();
        assert!(matches!(err, Error::SignatureMalformed { .. }), "{err:?}");
    }

    #[test]
    fn a_missing_artifact_is_an_io_error() {
        let fx = Fixture::new();
        let err = fx.verify(fx.root.join("absent.wasm"), false).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Io {
                    operation: "open",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn a_bundle_beside_the_file_is_checked_when_the_policy_covers_it() {
        const ASSETS: &str = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/assets/sigstore-conformance/bundle-verify"
        );
        const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
        let fx = Fixture::new();
        let policy = format!(
            r#"{{"identities": [{{"plugins": "p", "issuer": "https://token.actions.githubusercontent.com", "identity": "{IDENTITY}"}}]}}"#
        );
        std::fs::write(fx.root.join("trust/sigstore.json"), policy).unwrap();
        let a_txt = std::fs::read(format!("{ASSETS}/a.txt")).unwrap();
        let artifact = fx.plugin(&a_txt, None);
        // No bundle, no signature: missing, naming both.
        let err = fx.verify(artifact.clone(), true).unwrap_err();
        assert!(
            matches!(&err, Error::SignatureMissing { looked_for, .. } if looked_for.ends_with("p.sigstore.json")),
            "{err:?}"
        );
        let bundle = fx.root.join("p.sigstore.json");
        std::fs::copy(
            format!("{ASSETS}/happy-path-v0.3/bundle.sigstore.json"),
            &bundle,
        )
        .unwrap();
        let report = fx.verify(artifact.clone(), true).unwrap();
        assert!(
            report
                .signed_by
                .unwrap()
                .starts_with("sigstore:https://github.com/")
        );
        // A bundle for other bytes fails the call.
        std::fs::copy(
            format!("{ASSETS}/message-digest-mismatch_fail/bundle.sigstore.json"),
            &bundle,
        )
        .unwrap();
        let err = fx.verify(artifact, true).unwrap_err();
        assert!(matches!(err, Error::SigstoreUnverified { .. }), "{err:?}");
    }
}
