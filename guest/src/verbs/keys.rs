//! The publisher's keys: `keygen` and `sign`.
//!
//! Private keys are PKCS#8 PEM exactly as `openssl genpkey -algorithm
//! ed25519` writes them (version 1, no public key inside), so keys move
//! freely between this tool and OpenSSL. Public keys are written in the trust
//! root's form: base64 of the raw 32 bytes, no newline.

use crate::error::{Error, Result};
use crate::registry::name::PluginName;
use crate::transfer::staged::Staged;
use crate::trust;
use std::path::{Path, PathBuf};

use crate::trust::keys::{self, load_signing_key, sign_file};
use crate::wit::{KeygenReport, SignReport};

/// Writes `<out_dir>/<label>.key` and `<out_dir>/<label>.pub`, refusing to
/// overwrite either (`trust::keys::generate`), once the label is known to
/// make safe file names.
pub fn keygen(label: &str, out_dir: &Path) -> Result<KeygenReport> {
    let label = PluginName::parse(label)?;
    keys::generate(label.as_str(), out_dir)
}

/// Signs `artifact` with the key at `key_path`; writes the base64 signature
/// to `out`, or to the sidecar `<artifact>` with extension `.sig`.
/// Signs `artifact`, writing the base64 signature to `out` (default: the
/// `.sig` sidecar). An existing signature is replaced only with `force`, as
/// `keygen` never replaces a key: it may be the only copy of a release's.
pub fn sign(
    artifact: &Path,
    key_path: &Path,
    out: Option<&Path>,
    force: bool,
) -> Result<SignReport> {
    let out: PathBuf = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| artifact.with_extension("sig"));
    if !force && crate::sandbox::exists(&out)? {
        return Err(Error::AlreadyExists(out.display().to_string()));
    }
    let key = load_signing_key(key_path)?;
    let (signature, _) = sign_file(&key, artifact)?;
    let text = trust::encode_signature(&signature);
    let dir = out.parent().unwrap_or(Path::new("/"));
    let file_name = out
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut staged = Staged::create(dir, &file_name)?;
    staged.write_all(text.as_bytes())?;
    staged.persist(&out)?;
    Ok(SignReport {
        artifact: artifact.display().to_string(),
        signature_path: out.display().to_string(),
        signature: text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_writes_an_openssl_style_key_and_a_trust_root_pub() {
        let dir = tempfile::tempdir().unwrap();
        let report = keygen("release", dir.path()).unwrap();
        let pem = std::fs::read_to_string(&report.key_path).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
        // PKCS#8 v1 without the public key is 48 bytes of DER: 64 base64 chars.
        assert_eq!(pem.lines().nth(1).unwrap().len(), 64);
        let key = load_signing_key(Path::new(&report.key_path)).unwrap();
        let public = std::fs::read_to_string(&report.pub_path).unwrap();
        assert_eq!(public, report.public_key);
        assert_eq!(
            trust::parse_public_key(&public).unwrap(),
            key.verifying_key()
        );
    }

    #[test]
    fn keygen_refuses_to_overwrite_and_names_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("release.pub"), "mine").unwrap();
        assert!(matches!(
            keygen("release", dir.path()),
            Err(Error::AlreadyExists(_))
        ));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("release.pub")).unwrap(),
            "mine"
        );
        assert!(!dir.path().join("release.key").exists());
        assert!(matches!(
            keygen("../x", dir.path()),
            Err(Error::InvalidName { .. })
        ));
    }

    #[test]
    fn two_keys_differ() {
        let dir = tempfile::tempdir().unwrap();
        let a = keygen("a", dir.path()).unwrap();
        let b = keygen("b", dir.path()).unwrap();
        assert_ne!(a.public_key, b.public_key);
    }

    #[test]
    fn sign_writes_the_sidecar_by_default() {
        let dir = tempfile::tempdir().unwrap();
        let keys = keygen("k", dir.path()).unwrap();
        let artifact = dir.path().join("colmask.wasm");
        std::fs::write(&artifact, b"bytes").unwrap();
        let report = sign(&artifact, Path::new(&keys.key_path), None, false).unwrap();
        assert_eq!(
            report.signature_path,
            dir.path().join("colmask.sig").display().to_string()
        );
        let written = std::fs::read_to_string(dir.path().join("colmask.sig")).unwrap();
        assert_eq!(written, report.signature);
        // Not replaced unless forced.
        let again = sign(&artifact, Path::new(&keys.key_path), None, false).unwrap_err();
        assert!(matches!(again, Error::AlreadyExists(_)), "{again:?}");
        sign(&artifact, Path::new(&keys.key_path), None, true).unwrap();
        let signature = trust::parse_signature(&written).unwrap();
        let key = load_signing_key(Path::new(&keys.key_path)).unwrap();
        assert!(
            key.verifying_key()
                .verify_strict(b"bytes", &signature)
                .is_ok()
        );
    }

    #[test]
    fn a_public_or_garbage_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = keygen("k", dir.path()).unwrap();
        let artifact = dir.path().join("a.wasm");
        std::fs::write(&artifact, b"x").unwrap();
        let err = sign(&artifact, Path::new(&keys.pub_path), None, false).unwrap_err();
        assert!(matches!(err, Error::KeyInvalid { .. }), "{err:?}");
        std::fs::write(
            dir.path().join("pub.pem"),
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n",
        )
        .unwrap();
        let err = sign(&artifact, &dir.path().join("pub.pem"), None, false).unwrap_err();
        assert!(
            matches!(err, Error::KeyInvalid { ref reason, .. } if reason.contains("public key")),
            "{err:?}"
        );
        assert!(!dir.path().join("a.sig").exists());
    }

    #[test]
    fn a_missing_artifact_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let keys = keygen("k", dir.path()).unwrap();
        let err = sign(
            &dir.path().join("nope.wasm"),
            Path::new(&keys.key_path),
            None,
            false,
        )
        .unwrap_err();
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
