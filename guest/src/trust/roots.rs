//! Trust roots and Ed25519 signatures.
//!
//! A trust root is a directory of `*.pub` files: base64 of a raw 32-byte
//! Ed25519 key, or a PEM `PUBLIC KEY` as `openssl pkey -pubout` writes it. A
//! key's label is its file stem. Signatures are base64 of the raw 64 bytes.
//!
//! Verification is `verify_strict` (canonical `s`, no small-order `R` or key),
//! done while the artefact streams: Ed25519 hashes `R || A || message` with
//! SHA-512, so each candidate key gets one running hash and the artefact is
//! never held whole in memory. `streamed_verdicts_match_verify_strict` below
//! checks the two agree on every Wycheproof and CCTV vector.

use crate::error::{Error, Result};
use crate::limits::{MAX_KEY_FILE_BYTES, MAX_TRUST_KEYS};
use crate::sandbox;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, StreamVerifier, VerifyingKey};
use std::path::Path;

/// One trusted key and the label it reports as.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    pub label: String,
    pub key: VerifyingKey,
}

/// The keys of a trust root directory, sorted by label.
#[derive(Debug, Clone)]
pub struct TrustRoot {
    pub path: String,
    pub keys: Vec<TrustedKey>,
}

impl TrustRoot {
    /// Reads every `*.pub` in `dir`. A malformed key file is an error naming
    /// it: silently skipping it could leave an operator trusting fewer keys
    /// than they think, or none.
    pub fn load(dir: &Path) -> Result<TrustRoot> {
        let shown = dir.display().to_string();
        let invalid = |reason: String| Error::TrustRootInvalid {
            path: shown.clone(),
            reason,
        };
        sandbox::check_granted(dir)?;
        // One `*.pub` file is a trust root of that one key, labelled by its
        // stem: trusting a single publisher needs no directory.
        if dir.is_file() {
            if dir.extension().is_none_or(|x| x != "pub") {
                return Err(invalid(
                    "a trust root is a directory of *.pub files, or one *.pub file".into(),
                ));
            }
            let keys = vec![load_key(dir)?];
            return Ok(TrustRoot { path: shown, keys });
        }
        let entries = std::fs::read_dir(dir).map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => Error::io(dir, "list", &e),
            _ => invalid(format!("cannot list the directory: {e}")),
        })?;
        let mut key_files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, "list", &e))?;
            let path = entry.path();
            if path.extension().is_some_and(|x| x == "pub") {
                key_files.push(path);
            }
        }
        key_files.sort();
        if key_files.is_empty() {
            return Err(invalid(
                "it holds no *.pub key files (each is the base64 of a raw 32-byte Ed25519 \
                 public key, or a PEM PUBLIC KEY)"
                    .to_string(),
            ));
        }
        if key_files.len() > MAX_TRUST_KEYS {
            return Err(invalid(format!(
                "it holds {} *.pub files; at most {MAX_TRUST_KEYS} are read",
                key_files.len()
            )));
        }
        let keys = key_files
            .iter()
            .map(|path| load_key(path))
            .collect::<Result<Vec<_>>>()?;
        Ok(TrustRoot { path: shown, keys })
    }

    pub fn labels(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.label.clone()).collect()
    }
}

/// One `*.pub` file, labelled by its stem.
fn load_key(path: &Path) -> Result<TrustedKey> {
    let label = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let invalid_key = |reason: String| Error::TrustRootInvalid {
        path: path.display().to_string(),
        reason,
    };
    if !path.is_file() {
        return Err(invalid_key("it is not a regular file".into()));
    }
    let text = read_small(path, MAX_KEY_FILE_BYTES)?.ok_or_else(|| {
        invalid_key(format!(
            "it is larger than {MAX_KEY_FILE_BYTES} bytes, too large for a key"
        ))
    })?;
    let key = parse_public_key(&text).map_err(invalid_key)?;
    Ok(TrustedKey { label, key })
}

/// Reads a key or signature file as text; `None` when it is larger than
/// `max` bytes (which no key or signature is).
pub fn read_small(path: &Path, max: u64) -> Result<Option<String>> {
    Ok(sandbox::read_at_most(path, max, sandbox::Links::Follow)?
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

/// Parses a public key: PEM `PUBLIC KEY`, or base64 of the raw 32 bytes.
pub fn parse_public_key(text: &str) -> std::result::Result<VerifyingKey, String> {
    let text = text.trim();
    let key = if text.starts_with("-----BEGIN") {
        VerifyingKey::from_public_key_pem(text)
            .map_err(|e| format!("not an Ed25519 PEM public key ({e})"))?
    } else {
        let bytes = decode_base64(text)
            .map_err(|e| format!("not base64 of a raw 32-byte Ed25519 key ({e})"))?;
        let raw: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            format!(
                "decodes to {} bytes; an Ed25519 public key is 32 bytes",
                bytes.len()
            )
        })?;
        VerifyingKey::from_bytes(&raw)
            .map_err(|_| "the 32 bytes are not a valid Ed25519 point".to_string())?
    };
    if key.is_weak() {
        return Err("the key is a small-order point; nothing can be verified with it".to_string());
    }
    Ok(key)
}

/// Parses a signature: standard base64 of exactly 64 bytes, whitespace
/// (line breaks included) ignored.
pub fn parse_signature(text: &str) -> std::result::Result<Signature, String> {
    let bytes = decode_base64(text).map_err(|e| format!("not valid base64 ({e})"))?;
    let raw: [u8; 64] = bytes.as_slice().try_into().map_err(|_| {
        format!(
            "decodes to {} bytes; an Ed25519 signature is 64 bytes",
            bytes.len()
        )
    })?;
    Ok(Signature::from_bytes(&raw))
}

/// The canonical text of a signature, as written to `<name>.sig`.
pub fn encode_signature(signature: &Signature) -> String {
    STANDARD.encode(signature.to_bytes())
}

fn decode_base64(text: &str) -> std::result::Result<Vec<u8>, base64::DecodeError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(compact)
}

/// The check a trust policy asks for: none without a trust root; with one, a
/// signature is required (`missing` says where none was found).
pub fn check_for(
    root: Option<&TrustRoot>,
    signature: Option<&Signature>,
    missing: impl FnOnce() -> Error,
) -> Result<Option<SignatureCheck>> {
    match (root, signature) {
        (Some(root), Some(signature)) => Ok(Some(SignatureCheck::new(root, signature))),
        (Some(_), None) => Err(missing()),
        (None, _) => Ok(None),
    }
}

/// Checks one signature against every key of a trust root while the message
/// streams through `update`.
pub struct SignatureCheck {
    candidates: Vec<(String, StreamVerifier)>,
    trust_root: String,
    labels: Vec<String>,
}

impl SignatureCheck {
    pub fn new(root: &TrustRoot, signature: &Signature) -> SignatureCheck {
        // The checks `verify_strict` makes before hashing, which
        // `verify_stream` leaves out: R must decode to a point that is not of
        // small order, and so must the key (refused at load already). A
        // non-canonical `s` is refused by `verify_stream` itself.
        let r_ok = CompressedEdwardsY(*signature.r_bytes())
            .decompress()
            .is_some_and(|r| !r.is_small_order());
        let candidates = if r_ok {
            root.keys
                .iter()
                .filter(|k| !k.key.is_weak())
                .filter_map(|k| {
                    let verifier = k.key.verify_stream(signature).ok()?;
                    Some((k.label.clone(), verifier))
                })
                .collect()
        } else {
            Vec::new()
        };
        SignatureCheck {
            candidates,
            trust_root: root.path.clone(),
            labels: root.labels(),
        }
    }

    pub fn update(&mut self, chunk: &[u8]) {
        for (_, verifier) in &mut self.candidates {
            verifier.update(chunk);
        }
    }

    /// The label of the first key (by label order) that verifies the
    /// signature over `artifact`'s bytes.
    pub fn finish(self, artifact: &str) -> Result<String> {
        self.candidates
            .into_iter()
            .find_map(|(label, verifier)| verifier.finalize_and_verify().ok().map(|()| label))
            .ok_or_else(|| Error::SignatureUntrusted {
                artifact: artifact.to_string(),
                trust_root: self.trust_root,
                keys: self.labels,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};
    use serde_json::Value;

    fn vectors(file: &str) -> Value {
        let path = format!("{}/../tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    fn hex_field(v: &Value, key: &str) -> Vec<u8> {
        hex::decode(v[key].as_str().unwrap()).unwrap()
    }

    fn root_of(keys: &[(&str, VerifyingKey)]) -> TrustRoot {
        TrustRoot {
            path: "/trust".into(),
            keys: keys
                .iter()
                .map(|(l, k)| TrustedKey {
                    label: l.to_string(),
                    key: *k,
                })
                .collect(),
        }
    }

    /// The installer's verdict on raw inputs, streamed in `chunk`-byte pieces.
    fn streamed_verdict(key: &[u8], sig: &[u8], msg: &[u8], chunk: usize) -> bool {
        let Ok(raw_key) = <[u8; 32]>::try_from(key) else {
            return false;
        };
        let Ok(key) = VerifyingKey::from_bytes(&raw_key) else {
            return false;
        };
        let Ok(signature) = parse_signature(&STANDARD.encode(sig)) else {
            return false;
        };
        let root = root_of(&[("k", key)]);
        let mut check = SignatureCheck::new(&root, &signature);
        for piece in msg.chunks(chunk.max(1)) {
            check.update(piece);
        }
        check.finish("m").is_ok()
    }

    fn strict_verdict(key: &[u8], sig: &[u8], msg: &[u8]) -> bool {
        let (Ok(raw_key), Ok(raw_sig)) = (<[u8; 32]>::try_from(key), <[u8; 64]>::try_from(sig))
        else {
            return false;
        };
        let Ok(key) = VerifyingKey::from_bytes(&raw_key) else {
            return false;
        };
        key.verify_strict(msg, &Signature::from_bytes(&raw_sig))
            .is_ok()
    }

    #[test]
    fn agrees_with_every_wycheproof_verdict() {
        let doc = vectors("wycheproof_ed25519_test.json");
        let mut checked = 0;
        for group in doc["testGroups"].as_array().unwrap() {
            let key = hex_field(&group["publicKey"], "pk");
            for case in group["tests"].as_array().unwrap() {
                let (msg, sig) = (hex_field(case, "msg"), hex_field(case, "sig"));
                let expected = case["result"].as_str().unwrap() == "valid";
                for chunk in [1, 7, 64, 4096] {
                    assert_eq!(
                        streamed_verdict(&key, &sig, &msg, chunk),
                        expected,
                        "tcId {} ({}) with {chunk}-byte chunks",
                        case["tcId"],
                        case["comment"]
                    );
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 151, "every Wycheproof case was checked");
    }

    #[test]
    fn streamed_verdicts_match_verify_strict_on_cctv_edge_cases() {
        let doc = vectors("cctv_ed25519vectors.json");
        let cases = doc.as_array().unwrap();
        assert_eq!(cases.len(), 914);
        let mut accepted = 0;
        for case in cases {
            let (key, sig) = (hex_field(case, "key"), hex_field(case, "sig"));
            let msg = case["msg"].as_str().unwrap().as_bytes();
            let strict = strict_verdict(&key, &sig, msg);
            assert_eq!(
                streamed_verdict(&key, &sig, msg, 5),
                strict,
                "CCTV case {} {:?}",
                case["number"],
                case["flags"]
            );
            accepted += strict as usize;
        }
        // The strict rules accept only the cases with no low-order or
        // non-canonical component; a verifier accepting all or none would fail.
        assert!(accepted > 0 && accepted < cases.len(), "{accepted}");
    }

    #[test]
    fn rfc8032_signatures_verify_and_reproduce() {
        let doc = vectors("rfc8032_7.1_ed25519.json");
        for case in doc["tests"].as_array().unwrap() {
            let secret: [u8; 32] = hex_field(case, "secret_key").try_into().unwrap();
            let (public, msg, sig) = (
                hex_field(case, "public_key"),
                hex_field(case, "message"),
                hex_field(case, "signature"),
            );
            let signing = SigningKey::from_bytes(&secret);
            assert_eq!(signing.verifying_key().to_bytes().as_slice(), public);
            assert_eq!(signing.sign(&msg).to_bytes().as_slice(), sig);
            assert!(streamed_verdict(&public, &sig, &msg, 3), "{}", case["name"]);
            let mut flipped = msg.clone();
            flipped.push(0);
            assert!(!streamed_verdict(&public, &sig, &flipped, 3));
        }
    }

    fn signing_key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn the_first_key_that_verifies_is_reported() {
        let (a, b) = (signing_key(1), signing_key(2));
        let msg = b"plugin bytes";
        let signature = b.sign(msg);
        let root = root_of(&[("alice", a.verifying_key()), ("bob", b.verifying_key())]);
        let mut check = SignatureCheck::new(&root, &signature);
        check.update(msg);
        assert_eq!(check.finish("m").unwrap(), "bob");

        let root = root_of(&[("alice", a.verifying_key())]);
        let mut check = SignatureCheck::new(&root, &signature);
        check.update(msg);
        assert_eq!(
            check.finish("m").unwrap_err(),
            Error::SignatureUntrusted {
                artifact: "m".into(),
                trust_root: "/trust".into(),
                keys: vec!["alice".into()],
            }
        );
    }

    #[test]
    fn base64_and_pem_keys_parse_to_the_same_key() {
        let key = signing_key(9).verifying_key();
        let b64 = STANDARD.encode(key.to_bytes());
        assert_eq!(parse_public_key(&format!("  {b64}\n")).unwrap(), key);
        // DER SubjectPublicKeyInfo for Ed25519 is a fixed 12-byte prefix + key.
        let mut der = hex::decode("302a300506032b6570032100").unwrap();
        der.extend_from_slice(&key.to_bytes());
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(der)
        );
        assert_eq!(parse_public_key(&pem).unwrap(), key);
    }

    #[test]
    fn malformed_keys_are_refused_with_a_reason() {
        let cases = [
            ("not base64 !!", "base64"),
            (&*STANDARD.encode([7u8; 31]), "31 bytes"),
            (&*STANDARD.encode([7u8; 33]), "33 bytes"),
            (
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
                "PEM",
            ),
            // The identity point: valid encoding, small order.
            (
                &*STANDARD.encode({
                    let mut k = [0u8; 32];
                    k[0] = 1;
                    k
                }),
                "small-order",
            ),
        ];
        for (text, expected) in cases {
            let reason = parse_public_key(text).unwrap_err();
            assert!(reason.contains(expected), "{text}: {reason}");
        }
    }

    #[test]
    fn signatures_must_be_64_bytes_of_base64() {
        let sig = signing_key(3).sign(b"m");
        let text = encode_signature(&sig);
        assert_eq!(parse_signature(&format!("\n{text}\n")).unwrap(), sig);
        let wrapped = format!("{}\n{}", &text[..40], &text[40..]);
        assert_eq!(parse_signature(&wrapped).unwrap(), sig);
        assert!(parse_signature("%%%").unwrap_err().contains("base64"));
        assert!(
            parse_signature(&STANDARD.encode([1u8; 63]))
                .unwrap_err()
                .contains("63 bytes")
        );
        assert!(parse_signature("").unwrap_err().contains("0 bytes"));
    }

    #[test]
    fn load_reads_pub_files_and_names_a_bad_one() {
        let dir = tempfile::tempdir().unwrap();
        let key = signing_key(4).verifying_key();
        std::fs::write(
            dir.path().join("release.pub"),
            STANDARD.encode(key.to_bytes()),
        )
        .unwrap();
        std::fs::write(dir.path().join("README.txt"), "not a key").unwrap();
        let root = TrustRoot::load(dir.path()).unwrap();
        assert_eq!(root.labels(), vec!["release".to_string()]);

        std::fs::write(dir.path().join("broken.pub"), "garbage").unwrap();
        let Err(Error::TrustRootInvalid { path, reason }) = TrustRoot::load(dir.path()) else {
            panic!("a broken key was accepted")
        };
        assert!(path.ends_with("broken.pub"), "{path}");
        assert!(reason.contains("base64"), "{reason}");
    }

    #[test]
    fn an_oversized_or_odd_key_file_makes_the_trust_root_invalid() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big.pub"), vec![b'A'; 20_000]).unwrap();
        assert!(
            matches!(TrustRoot::load(dir.path()), Err(Error::TrustRootInvalid { ref reason, .. }) if reason.contains("larger"))
        );
        std::fs::remove_file(dir.path().join("big.pub")).unwrap();
        std::fs::create_dir(dir.path().join("dir.pub")).unwrap();
        assert!(
            matches!(TrustRoot::load(dir.path()), Err(Error::TrustRootInvalid { ref reason, .. }) if reason.contains("regular file"))
        );
    }

    #[test]
    fn a_trust_root_without_keys_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let Err(Error::TrustRootInvalid { reason, .. }) = TrustRoot::load(dir.path()) else {
            panic!()
        };
        assert!(reason.contains("no *.pub"), "{reason}");
    }
}
