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

use super::metadata::{Role, Root};
use crate::error::{Error, Result};
use crate::limits::{MAX_KEY_FILE_BYTES, MAX_ROOT_BYTES, MAX_SIGNATURES, MAX_TRUST_KEYS};
use crate::sandbox;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, StreamVerifier, VerifyingKey};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One trusted key and the label it reports as.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    pub label: String,
    pub key: VerifyingKey,
}

/// The keys of a trust root directory, sorted by label, and its
/// `root.json` when it has one (which then decides who may sign what).
#[derive(Debug, Clone)]
pub struct TrustRoot {
    pub path: String,
    pub keys: Vec<TrustedKey>,
    pub metadata: Option<Root>,
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
            return Ok(TrustRoot {
                path: shown,
                keys,
                metadata: None,
            });
        }
        let metadata = load_metadata(&dir.join(ROOT_FILE))?;
        let entries = std::fs::read_dir(dir).map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => Error::io(dir, "list", &e),
            _ => invalid(format!(
                "cannot list the directory: {}",
                crate::error::io_message(&e)
            )),
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
        // With root.json the `*.pub` files are for loaders; it lists the keys.
        if key_files.is_empty() && metadata.is_none() {
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
        Ok(TrustRoot {
            path: shown,
            keys,
            metadata,
        })
    }

    /// The labels of the keys that may sign something.
    pub fn labels(&self) -> Vec<String> {
        match &self.metadata {
            Some(meta) => meta.keys.values().map(|k| k.label.clone()).collect(),
            None => self.keys.iter().map(|k| k.label.clone()).collect(),
        }
    }

    /// This trust root with `newer` as its metadata: the root a rotation
    /// walk reached.
    pub fn with_metadata(&self, newer: Root) -> TrustRoot {
        TrustRoot {
            metadata: Some(newer),
            ..self.clone()
        }
    }
}

/// The trust metadata's file name in a trust root (and, versioned as
/// `N.root.json`, next to a registry's index).
pub const ROOT_FILE: &str = "root.json";

/// `root.json` if the trust root has one: well formed and signed by a
/// threshold of its own root keys (a root nobody signed is a mistake caught
/// here rather than at the first rotation).
fn load_metadata(path: &Path) -> Result<Option<Root>> {
    if !sandbox::exists(path)? {
        return Ok(None);
    }
    let shown = path.display().to_string();
    let bytes =
        sandbox::read_at_most(path, MAX_ROOT_BYTES, sandbox::Links::Follow)?.ok_or_else(|| {
            Error::TrustRootInvalid {
                path: shown.clone(),
                reason: format!("it is larger than {MAX_ROOT_BYTES} bytes"),
            }
        })?;
    let root = Root::parse(&shown, &bytes)?;
    root.check_signed_by(&root)
        .map_err(|why| Error::TrustRootInvalid {
            path: shown,
            reason: format!("it is not signed by its own root keys: {why}"),
        })?;
    Ok(Some(root))
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

/// A signature to count, with the key id it names (an index entry's
/// `signatures` do; its `signature` and a `.sig` file do not).
#[derive(Debug, Clone)]
pub struct Claimed {
    pub keyid: Option<String>,
    pub signature: Signature,
}

impl Claimed {
    pub fn unnamed(signature: Signature) -> Claimed {
        Claimed {
            keyid: None,
            signature,
        }
    }
}

/// What a check established: who signed (as reported), and one signature
/// that verified, for the `.sig` sidecar loaders read.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The key's label; with `root.json`, every key counted and the role
    /// (`acme, bob (publishers acme-*)`).
    pub signers: String,
    pub signature: Signature,
}

/// The check a trust policy asks for on plugin `name`'s bytes: none without
/// a trust root; with one, a signature is required (`missing` says where
/// none was found).
pub fn check_for(
    root: Option<&TrustRoot>,
    name: &str,
    signatures: &[Claimed],
    missing: impl FnOnce() -> Error,
) -> Result<Option<SignatureCheck>> {
    let Some(root) = root else {
        return Ok(None);
    };
    // Without root.json only the loader's own `signature` counts, as
    // before there were co-signatures.
    let usable = match root.metadata {
        Some(_) => !signatures.is_empty(),
        None => signatures.iter().any(|c| c.keyid.is_none()),
    };
    match usable {
        true => Ok(Some(SignatureCheck::for_plugin(root, name, signatures))),
        false => Err(missing()),
    }
}

/// Checks signatures while the message streams through `update`: without
/// `root.json`, any one by any key of the trust root; with it, a threshold
/// of distinct keys of a role allowed to sign this message.
pub struct SignatureCheck {
    candidates: Vec<Candidate>,
    rule: Rule,
    trust_root: String,
    labels: Vec<String>,
    /// Key id -> label, from `root.json`.
    key_labels: BTreeMap<String, String>,
}

struct Candidate {
    /// The key id (with `root.json`) or the `.pub` label.
    key: String,
    signature: Signature,
    verifier: StreamVerifier,
}

enum Rule {
    AnyKey,
    /// Roles that may sign, as shown (`publishers acme-*`); `what` names
    /// the message in errors when none may.
    Roles {
        roles: Vec<(String, Role)>,
        what: String,
    },
}

impl SignatureCheck {
    /// For an artefact of plugin `name`: the publishers roles covering it.
    pub fn for_plugin(root: &TrustRoot, name: &str, signatures: &[Claimed]) -> SignatureCheck {
        let roles = root.metadata.as_ref().map(|meta| {
            meta.publishers_of(name)
                .map(|p| (format!("publishers {}", p.names.join(" ")), p.role()))
                .collect()
        });
        SignatureCheck::build(root, roles, format!("plugin '{name}'"), signatures)
    }

    /// For an installed plugin's `.sig` sidecar, which holds one signature
    /// of the several a threshold may have needed at install: its key must
    /// still be in a publishers role covering the plugin (a key revoked
    /// since is caught), one key being enough.
    pub fn for_sidecar(root: &TrustRoot, name: &str, signature: Signature) -> SignatureCheck {
        let roles = root.metadata.as_ref().map(|meta| {
            meta.publishers_of(name)
                .map(|p| {
                    let role = Role {
                        threshold: 1,
                        ..p.role()
                    };
                    (format!("publishers {}", p.names.join(" ")), role)
                })
                .collect()
        });
        let claimed = [Claimed::unnamed(signature)];
        SignatureCheck::build(root, roles, format!("plugin '{name}'"), &claimed)
    }

    /// For a registry index: the `index` role.
    pub fn for_index(root: &TrustRoot, signatures: &[Claimed]) -> SignatureCheck {
        let roles = root
            .metadata
            .as_ref()
            .map(|meta| vec![("index".to_string(), meta.index.clone())]);
        SignatureCheck::build(root, roles, "the index".into(), signatures)
    }

    fn build(
        root: &TrustRoot,
        roles: Option<Vec<(String, Role)>>,
        what: String,
        signatures: &[Claimed],
    ) -> SignatureCheck {
        let signatures = &signatures[..signatures.len().min(MAX_SIGNATURES)];
        // Which keys each signature is tried with: any trust-root key, or
        // the keys of the roles that may sign (only the one it names, when
        // it names one).
        let keys: Vec<(String, VerifyingKey)> = match (&root.metadata, &roles) {
            (Some(meta), Some(roles)) => {
                let allowed: BTreeSet<&String> =
                    roles.iter().flat_map(|(_, r)| &r.keyids).collect();
                allowed
                    .into_iter()
                    .filter_map(|id| Some((id.clone(), meta.keys.get(id)?.key)))
                    .collect()
            }
            _ => root.keys.iter().map(|k| (k.label.clone(), k.key)).collect(),
        };
        let mut candidates = Vec::new();
        // Without root.json, named co-signatures do not count (see
        // `check_for`).
        let counted = signatures
            .iter()
            .filter(|c| root.metadata.is_some() || c.keyid.is_none());
        for claimed in counted {
            // The checks `verify_strict` makes before hashing, which
            // `verify_stream` leaves out: R must decode to a point that is
            // not of small order, and so must the key (refused at load
            // already). A non-canonical `s` is refused by `verify_stream`.
            let r_ok = CompressedEdwardsY(*claimed.signature.r_bytes())
                .decompress()
                .is_some_and(|r| !r.is_small_order());
            if !r_ok {
                continue;
            }
            for (id, key) in &keys {
                if root.metadata.is_some() && claimed.keyid.as_ref().is_some_and(|k| k != id) {
                    continue;
                }
                if key.is_weak() {
                    continue;
                }
                if let Ok(verifier) = key.verify_stream(&claimed.signature) {
                    candidates.push(Candidate {
                        key: id.clone(),
                        signature: claimed.signature,
                        verifier,
                    });
                }
            }
        }
        SignatureCheck {
            candidates,
            rule: match roles {
                Some(roles) => Rule::Roles { roles, what },
                None => Rule::AnyKey,
            },
            trust_root: root.path.clone(),
            labels: root.labels(),
            key_labels: root
                .metadata
                .iter()
                .flat_map(|m| &m.keys)
                .map(|(id, k)| (id.clone(), k.label.clone()))
                .collect(),
        }
    }

    pub fn update(&mut self, chunk: &[u8]) {
        for candidate in &mut self.candidates {
            candidate.verifier.update(chunk);
        }
    }

    /// Who signed `artifact`'s bytes, if the rule is met.
    pub fn finish(self, artifact: &str) -> Result<Verified> {
        let untrusted = || Error::SignatureUntrusted {
            artifact: artifact.to_string(),
            trust_root: self.trust_root.clone(),
            keys: self.labels.clone(),
        };
        let key_labels = self.key_labels;
        let label_of = |id: &str| {
            key_labels
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string())
        };
        let verified: Vec<(String, Signature)> = self
            .candidates
            .into_iter()
            .filter_map(|c| {
                c.verifier
                    .finalize_and_verify()
                    .ok()
                    .map(|()| (c.key, c.signature))
            })
            .collect();
        let Rule::Roles { roles, what } = self.rule else {
            // The first key (by label order) that verifies.
            let (label, signature) = verified.into_iter().next().ok_or_else(untrusted)?;
            return Ok(Verified {
                signers: label,
                signature,
            });
        };
        let insufficient = |reason: String| Error::SignatureInsufficient {
            artifact: artifact.to_string(),
            reason,
        };
        if roles.is_empty() {
            return Err(insufficient(format!(
                "no role of {}/root.json may sign {what}",
                self.trust_root
            )));
        }
        let by: BTreeSet<&String> = verified.iter().map(|(k, _)| k).collect();
        let mut shortfalls = Vec::new();
        for (shown, role) in &roles {
            let counted: BTreeSet<&String> =
                role.keyids.iter().filter(|id| by.contains(id)).collect();
            if counted.len() >= role.threshold as usize {
                let signature = verified
                    .iter()
                    .find(|(k, _)| counted.contains(k))
                    .map(|(_, s)| *s)
                    .expect("a threshold of at least one key verified");
                let mut labels: Vec<String> = counted.iter().map(|id| label_of(id)).collect();
                labels.sort();
                return Ok(Verified {
                    signers: format!("{} ({shown})", labels.join(", ")),
                    signature,
                });
            }
            shortfalls.push(format!(
                "{shown} needs {} distinct key(s) and {} signed",
                role.threshold,
                counted.len()
            ));
        }
        Err(insufficient(format!(
            "not enough keys allowed to sign {what} signed it: {}",
            shortfalls.join("; ")
        )))
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
            metadata: None,
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
        let mut check = SignatureCheck::for_plugin(&root, "p", &[Claimed::unnamed(signature)]);
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
        let mut check = SignatureCheck::for_plugin(&root, "p", &[Claimed::unnamed(signature)]);
        check.update(msg);
        assert_eq!(check.finish("m").unwrap().signers, "bob");

        let root = root_of(&[("alice", a.verifying_key())]);
        let mut check = SignatureCheck::for_plugin(&root, "p", &[Claimed::unnamed(signature)]);
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

    fn with_root(bytes: &[u8]) -> TrustRoot {
        TrustRoot {
            path: "/trust".into(),
            keys: Vec::new(),
            metadata: Some(Root::parse("/trust/root.json", bytes).unwrap()),
        }
    }

    fn judge(root: &TrustRoot, plugin: &str, sigs: &[Claimed], msg: &[u8]) -> Result<Verified> {
        let mut check = SignatureCheck::for_plugin(root, plugin, sigs);
        check.update(msg);
        check.finish(plugin)
    }

    #[test]
    fn a_publisher_key_signs_only_the_names_its_role_covers() {
        use crate::trust::metadata::tests::{key, signed_root};
        let acme = key(7);
        let root = with_root(&signed_root(
            1,
            &[("acme", &acme)],
            (&["acme"], 1),
            (&["acme"], 1),
            &[(&["acme"], 1, &["acme-*"])],
            &[&acme],
        ));
        let sig = |msg: &[u8]| Claimed::unnamed(acme.sign(msg));
        let ok = judge(&root, "acme-mask", &[sig(b"m")], b"m").unwrap();
        assert_eq!(ok.signers, "acme (publishers acme-*)");
        let err = judge(&root, "other", &[sig(b"m")], b"m").unwrap_err();
        assert!(
            matches!(&err, Error::SignatureInsufficient { reason, .. } if reason.contains("no role")),
            "{err:?}"
        );
    }

    #[test]
    fn a_threshold_counts_distinct_keys() {
        use crate::trust::metadata::{
            key_id,
            tests::{key, signed_root},
        };
        let (a, b) = (key(7), key(8));
        let root = with_root(&signed_root(
            1,
            &[("a", &a), ("b", &b)],
            (&["a"], 1),
            (&["a"], 1),
            &[(&["a", "b"], 2, &["*"])],
            &[&a],
        ));
        let named = |k: &SigningKey| Claimed {
            keyid: Some(key_id(&k.verifying_key())),
            signature: k.sign(b"m"),
        };
        let one = judge(&root, "p", &[named(&a)], b"m").unwrap_err();
        assert!(
            format!("{one:?}").contains("needs 2 distinct key(s) and 1 signed"),
            "{one:?}"
        );
        let twice = judge(&root, "p", &[named(&a), named(&a)], b"m").unwrap_err();
        assert!(
            matches!(twice, Error::SignatureInsufficient { .. }),
            "{twice:?}"
        );
        let both = judge(&root, "p", &[named(&a), named(&b)], b"m").unwrap();
        assert_eq!(both.signers, "a, b (publishers *)");
        // The loader's unnamed `signature` counts for whichever key made it.
        let unnamed = Claimed::unnamed(a.sign(b"m"));
        assert!(judge(&root, "p", &[unnamed, named(&b)], b"m").is_ok());
        // A signature naming another key than the one that made it counts for none.
        let lying = Claimed {
            keyid: Some(key_id(&b.verifying_key())),
            signature: a.sign(b"m"),
        };
        assert!(judge(&root, "p", &[named(&a), lying], b"m").is_err());
        // Over other bytes nothing counts.
        assert!(judge(&root, "p", &[named(&a), named(&b)], b"x").is_err());
    }

    #[test]
    fn an_index_role_threshold_counts_distinct_signers() {
        use crate::trust::metadata::tests::{key, signed_root};
        let (a, b) = (key(7), key(8));
        let root = with_root(&signed_root(
            1,
            &[("a", &a), ("b", &b)],
            (&["a"], 1),
            (&["a", "b"], 2),
            &[],
            &[&a],
        ));
        let judge = |sigs: &[Claimed]| {
            let mut check = SignatureCheck::for_index(&root, sigs);
            check.update(b"index");
            check.finish("index")
        };
        let by = |k: &SigningKey| Claimed::unnamed(k.sign(b"index"));
        assert!(judge(&[by(&a)]).is_err());
        assert!(judge(&[by(&a), by(&a)]).is_err());
        assert_eq!(judge(&[by(&a), by(&b)]).unwrap().signers, "a, b (index)");
    }

    #[test]
    fn without_root_json_only_the_loaders_signature_counts() {
        let a = SigningKey::from_bytes(&[9; 32]);
        let root = root_of(&[("a", a.verifying_key())]);
        let named = Claimed {
            keyid: Some("whatever".into()),
            signature: a.sign(b"m"),
        };
        // A named co-signature alone is no signature at all here.
        assert!(matches!(
            check_for(Some(&root), "p", std::slice::from_ref(&named), || {
                Error::SignatureMissing {
                    artifact: "m".into(),
                    looked_for: "the entry".into(),
                }
            }),
            Err(Error::SignatureMissing { .. })
        ));
        let unnamed = Claimed::unnamed(a.sign(b"m"));
        let mut check = check_for(Some(&root), "p", &[named, unnamed], || unreachable!())
            .unwrap()
            .unwrap();
        check.update(b"m");
        assert_eq!(check.finish("m").unwrap().signers, "a");
    }
}
