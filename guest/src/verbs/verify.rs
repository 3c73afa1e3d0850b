//! `verify`: audit an artefact already on disk.
//!
//! The signature comes from the file given, or else from the `.sig` sidecar
//! next to the artefact (what `install` writes and loaders read). With a trust
//! root a signature is required and must verify; without one the digest is
//! reported and a signature present is still checked for form, because a
//! sidecar no loader can read is a finding worth failing an audit for.

use crate::error::{Error, Result};
use crate::limits::MAX_SIG_FILE_BYTES;
use crate::pipeline::WorldRef;
use crate::sandbox;
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
    let mut check = trust::check_for(trust.as_ref(), &name, &claimed, || {
        Error::SignatureMissing {
            artifact: artifact.display().to_string(),
            looked_for: sidecar.display().to_string(),
        }
    })?;

    let mut source = Source::open(&Location::File(artifact.clone()), &NoNetwork)?;
    let mut reducer = world.as_ref().map(|_| Reducer::new());
    let measured = stream::pump_with(&mut source, None, check.as_mut(), reducer.as_mut())?;
    let signed_by = check
        .map(|c| c.finish(&artifact.display().to_string()))
        .transpose()?
        .map(|verified| verified.signers);
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
}
