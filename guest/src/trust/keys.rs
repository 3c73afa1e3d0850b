//! Signing keys: making a key pair, reading a PKCS#8 PEM private key (ours
//! or OpenSSL's) and signing with it.
//!
//! Ed25519 hashes the message twice when signing (once for the nonce, once
//! for the challenge), so a file is read twice instead of held in memory,
//! and refused if the two reads differ.

use crate::error::{Error, Result};
use crate::limits::{CHUNK_BYTES, MAX_KEY_FILE_BYTES};
use crate::sandbox;
use crate::trust::digest::{Sha256Digest, StreamHasher};
use crate::wit::KeygenReport;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::hazmat::{ExpandedSecretKey, raw_sign_byupdate};
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::pkcs8::{EncodePrivateKey, KeypairBytes, spki::der::pem::LineEnding};
use ed25519_dalek::{Signature, SignatureError, SigningKey};
use sha2::{Digest as _, Sha512};
use std::cell::RefCell;
use std::io::Read;
use std::path::Path;

/// Writes `<out_dir>/<label>.key` and `<out_dir>/<label>.pub`, refusing to
/// overwrite either. The host makes the `.key` owner-only (WASI has no file
/// modes). `label` is a safe file name (the verb checks it).
pub fn generate(label: &str, out_dir: &Path) -> Result<KeygenReport> {
    let key_path = out_dir.join(format!("{label}.key"));
    let pub_path = out_dir.join(format!("{label}.pub"));
    sandbox::check_granted(out_dir)?;
    for path in [&key_path, &pub_path] {
        if crate::sandbox::exists(path)? {
            return Err(Error::AlreadyExists(path.display().to_string()));
        }
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| Error::Io {
        path: String::new(),
        operation: "random",
        message: e.to_string(),
    })?;
    let signing = SigningKey::from_bytes(&secret);
    let pem = KeypairBytes {
        secret_key: signing.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_pem(LineEnding::LF)
    .map_err(|e| Error::KeyInvalid {
        path: key_path.display().to_string(),
        reason: format!("cannot encode the key: {e}"),
    })?;
    let public_key = STANDARD.encode(signing.verifying_key().to_bytes());

    write_new(&key_path, pem.as_bytes())?;
    if let Err(e) = write_new(&pub_path, public_key.as_bytes()) {
        let _ = std::fs::remove_file(&key_path);
        return Err(e);
    }
    Ok(KeygenReport {
        key_path: key_path.display().to_string(),
        pub_path: pub_path.display().to_string(),
        public_key,
    })
}

/// Creates `path` with `bytes`, failing if it exists.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Error::AlreadyExists(path.display().to_string()),
            _ => Error::io(path, "create", &e),
        })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(path, "write", &e))
}

/// Reads a PKCS#8 PEM Ed25519 private key (ours or OpenSSL's).
pub fn load_signing_key(path: &Path) -> Result<SigningKey> {
    let invalid = |reason: String| Error::KeyInvalid {
        path: path.display().to_string(),
        reason,
    };
    let text = sandbox::read_at_most(path, MAX_KEY_FILE_BYTES, sandbox::Links::Follow)?
        .ok_or_else(|| invalid("larger than a key file can be".into()))?;
    parse_signing_key(&text).map_err(invalid)
}

/// A PKCS#8 PEM Ed25519 private key's bytes, or why they are not one.
pub fn parse_signing_key(bytes: &[u8]) -> std::result::Result<SigningKey, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not a PEM text file".to_string())?;
    if text.contains("PUBLIC KEY") && !text.contains("PRIVATE KEY") {
        return Err("this is a public key; sign with the private .key file".into());
    }
    // A trust-root `.pub` as keygen writes it: one base64 line of 32 bytes.
    // The PEM parser would only say its "preamble contains invalid data".
    if !text.contains("-----BEGIN") && crate::trust::parse_public_key(text.trim()).is_ok() {
        return Err(
            "this is a public key (a trust root's .pub); sign with the private .key file \
             keygen wrote next to it"
                .into(),
        );
    }
    SigningKey::from_pkcs8_pem(text.trim())
        .map_err(|e| format!("not an Ed25519 PKCS#8 PEM private key ({e})"))
}

/// The Ed25519 signature of `bytes` (an index, held whole anyway).
pub fn sign_bytes(key: &SigningKey, bytes: &[u8]) -> Signature {
    use ed25519_dalek::Signer;
    key.sign(bytes)
}

/// The Ed25519 signature of the file at `artifact`, and the SHA-256 of the
/// bytes it covers.
///
/// Ed25519 derives its nonce from the message and then hashes the message
/// again for the challenge, so the file is read twice. If the two reads saw
/// different bytes (a build still writing the file, say), the signature
/// would leak the private key to anyone holding a signature of the first
/// version: each read is hashed, and unless both agree the signature is
/// thrown away.
pub fn sign_file(key: &SigningKey, artifact: &Path) -> Result<(Signature, Sha256Digest)> {
    sign_reads(key, artifact, || {
        sandbox::open_regular(artifact, sandbox::Links::Follow)
    })
}

/// Signs what `open` yields, opening it once per pass; `path` is for errors.
fn sign_reads<R: Read>(
    key: &SigningKey,
    path: &Path,
    open: impl Fn() -> Result<R>,
) -> Result<(Signature, Sha256Digest)> {
    let failure: RefCell<Option<Error>> = RefCell::new(None);
    let digests: RefCell<Vec<Sha256Digest>> = RefCell::new(Vec::new());
    let feed = |digest: &mut Sha512| -> std::result::Result<(), SignatureError> {
        let fail = |e: Error| {
            *failure.borrow_mut() = Some(e);
            SignatureError::new()
        };
        let mut reader = open().map_err(fail)?;
        let mut buf = vec![0u8; CHUNK_BYTES];
        // The digest by the host; the SHA-512 inside Ed25519 signing is
        // ed25519-dalek's own, here.
        let mut sha256 = StreamHasher::sha256();
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    digest.update(&buf[..n]);
                    sha256.update(&buf[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(fail(Error::io(path, "read", &e))),
            }
        }
        digests.borrow_mut().push(Sha256Digest::from_stream(sha256));
        Ok(())
    };
    let expanded = ExpandedSecretKey::from(&key.to_bytes());
    let signature =
        raw_sign_byupdate::<Sha512, _>(&expanded, feed, &key.verifying_key()).map_err(|_| {
            failure.take().unwrap_or_else(|| Error::KeyInvalid {
                path: String::new(),
                reason: "signing failed".into(),
            })
        })?;
    match digests.take().as_slice() {
        [first, second] if first == second => Ok((signature, *first)),
        _ => Err(changed_while_read(path)),
    }
}

/// The error for a file whose bytes changed while it was being read.
pub fn changed_while_read(path: &Path) -> Error {
    Error::Io {
        path: path.display().to_string(),
        operation: "read",
        message: "the file changed while it was being read; try again once whatever writes it has finished"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, Verifier};

    #[test]
    fn a_streamed_signature_equals_the_one_shot_signature() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::from_bytes(&[3; 32]);
        let data: Vec<u8> = (0..CHUNK_BYTES * 2 + 17)
            .map(|i| (i * 31 % 256) as u8)
            .collect();
        let path = dir.path().join("p.wasm");
        std::fs::write(&path, &data).unwrap();
        let (streamed, digest) = sign_file(&key, &path).unwrap();
        assert_eq!(streamed, key.sign(&data));
        assert_eq!(digest, Sha256Digest::of(&data));
        assert!(key.verifying_key().verify(&data, &streamed).is_ok());
    }

    #[test]
    fn bytes_that_change_between_the_two_reads_are_not_signed() {
        // Each pass sees another build of the file: such a signature would
        // leak the key, so there must be none.
        let passes = std::cell::Cell::new(0);
        let open = || {
            passes.set(passes.get() + 1);
            let content: &[u8] = if passes.get() == 1 {
                b"first build"
            } else {
                b"second build"
            };
            Ok(std::io::Cursor::new(content.to_vec()))
        };
        let err =
            sign_reads(&SigningKey::from_bytes(&[8; 32]), Path::new("p.wasm"), open).unwrap_err();
        assert_eq!(passes.get(), 2);
        assert!(
            matches!(err, Error::Io { ref message, .. } if message.contains("changed")),
            "{err:?}"
        );
    }
}
