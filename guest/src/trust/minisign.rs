//! minisign: public keys in a trust root and `.minisig` signatures.
//!
//! A minisign public key (`minisign -G` writes it) is an `untrusted
//! comment:` line and the base64 of `Ed`, an 8-byte key id and the 32-byte
//! Ed25519 key. A signature (`minisign -S`) is four lines: an untrusted
//! comment; the base64 of the algorithm (`ED`, prehashed: the Ed25519
//! signature of the BLAKE2b-512 of the file; `Ed`, legacy: of the file
//! itself), the key id and the 64-byte signature; a `trusted comment:`
//! line; and the base64 of the global signature, the Ed25519 signature of
//! the file's signature followed by the trusted comment's text. Both
//! signatures must verify, so an altered trusted comment is refused.
//!
//! Verification is ed25519-dalek's (`verify_strict`, as for raw keys) and
//! RustCrypto's BLAKE2b, while the artefact streams: prehashed, one BLAKE2b
//! pass; legacy, the message is the file, so the Ed25519 check streams as a
//! raw key's does (`check`). The text formats are read with the `base64`
//! crate; nothing of the cryptography is ours. The format is minisign's
//! own (jedisct1/minisign, `minisign.c`); the reference crate
//! `minisign-verify` agrees on every signature the unit tests make.

use crate::trust::ed25519::StreamedSignature;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use blake2::{Blake2b512, Digest as _};
use ed25519_dalek::{Signature, VerifyingKey};

/// The algorithm bytes of a minisign key and of a legacy signature.
const LEGACY: [u8; 2] = *b"Ed";
/// The algorithm bytes of a prehashed signature.
const PREHASHED: [u8; 2] = *b"ED";
const UNTRUSTED: &str = "untrusted comment:";
const TRUSTED: &str = "trusted comment: ";

/// A minisign key id: 8 bytes, shown as minisign shows it (the bytes read
/// as a little-endian number, in upper-case hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 8]);

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016X}", u64::from_le_bytes(self.0))
    }
}

/// A minisign public key of a trust root, labelled by its file's stem.
#[derive(Debug, Clone)]
pub struct MinisignKey {
    pub label: String,
    pub id: KeyId,
    pub key: VerifyingKey,
}

/// Whether a `.pub` file's text is in minisign's format (and so is read by
/// `parse_public_key` here, not as a raw key): it starts with an
/// `untrusted comment:` line, or is the base64 of a minisign key alone (as
/// `minisign -P` takes it).
pub fn is_minisign_key(text: &str) -> bool {
    let text = text.trim_start();
    text.starts_with(UNTRUSTED)
        || decode(text.trim()).is_ok_and(|b| b.len() == 42 && b[..2] == LEGACY)
}

/// Parses a minisign public key file: its key id and Ed25519 key.
pub fn parse_public_key(text: &str) -> Result<(KeyId, VerifyingKey), String> {
    const WHAT: &str = "a minisign public key is an `untrusted comment:` line and the base64 of \
                        42 bytes (`Ed`, the 8-byte key id, the 32-byte key), as minisign -G \
                        writes it";
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut line = lines.next().unwrap_or_default();
    if line.starts_with(UNTRUSTED) {
        line = lines
            .next()
            .ok_or_else(|| format!("it has no key after its comment line; {WHAT}"))?;
    }
    if lines.next().is_some() {
        return Err(format!("it has more than a comment and a key; {WHAT}"));
    }
    let bytes = decode(line).map_err(|e| format!("the key line is not base64 ({e}); {WHAT}"))?;
    if bytes.len() != 42 {
        return Err(format!("the key decodes to {} bytes; {WHAT}", bytes.len()));
    }
    if bytes[..2] != LEGACY {
        return Err(format!(
            "the key's algorithm is {:?}, not \"Ed\"; {WHAT}",
            String::from_utf8_lossy(&bytes[..2])
        ));
    }
    let id = KeyId(bytes[2..10].try_into().expect("8 bytes"));
    let raw: [u8; 32] = bytes[10..42].try_into().expect("32 bytes");
    let key = VerifyingKey::from_bytes(&raw)
        .map_err(|_| "the key's 32 bytes are not a valid Ed25519 point".to_string())?;
    if key.is_weak() {
        return Err("the key is a small-order point; nothing can be verified with it".into());
    }
    Ok((id, key))
}

/// A `.minisig`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minisig {
    pub key_id: KeyId,
    /// `ED` (the signature is over the BLAKE2b-512 of the file) rather than
    /// legacy `Ed` (over the file).
    pub prehashed: bool,
    signature: Signature,
    /// The trusted comment's text (after `trusted comment: `).
    pub trusted_comment: String,
    global: Signature,
}

impl Minisig {
    /// Parses the text of a `.minisig` file, or says why it is not one.
    pub fn parse(text: &str) -> Result<Minisig, String> {
        const WHAT: &str = "a .minisig is four lines, as minisign -S writes them: an \
                            `untrusted comment:`, the signature's base64, a `trusted comment:` \
                            and the global signature's base64";
        let lines: Vec<&str> = text
            .lines()
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .filter(|l| !l.trim().is_empty())
            .collect();
        let [untrusted, signature, trusted, global] = lines[..] else {
            return Err(format!("it has {} non-empty lines; {WHAT}", lines.len()));
        };
        if !untrusted.starts_with(UNTRUSTED) {
            return Err(format!(
                "its first line is not an `untrusted comment:`; {WHAT}"
            ));
        }
        let bytes = decode(signature.trim())
            .map_err(|e| format!("its second line is not base64 ({e}); {WHAT}"))?;
        if bytes.len() != 74 {
            return Err(format!(
                "its signature decodes to {} bytes, not 74 (algorithm, key id, signature); \
                 {WHAT}",
                bytes.len()
            ));
        }
        let prehashed = match [bytes[0], bytes[1]] {
            PREHASHED => true,
            LEGACY => false,
            other => {
                return Err(format!(
                    "its algorithm is {:?}; minisign signs with \"ED\" (prehashed) or \"Ed\" \
                     (legacy)",
                    String::from_utf8_lossy(&other)
                ));
            }
        };
        let Some(trusted_comment) = trusted.strip_prefix(TRUSTED) else {
            return Err(format!(
                "its third line is not a `trusted comment:`; {WHAT}"
            ));
        };
        let global = decode(global.trim())
            .map_err(|e| format!("its global signature is not base64 ({e}); {WHAT}"))?;
        let global: [u8; 64] = global.as_slice().try_into().map_err(|_| {
            format!(
                "its global signature decodes to {} bytes, not 64; {WHAT}",
                global.len()
            )
        })?;
        Ok(Minisig {
            key_id: KeyId(bytes[2..10].try_into().expect("8 bytes")),
            prehashed,
            signature: Signature::from_bytes(&bytes[10..74].try_into().expect("64 bytes")),
            trusted_comment: trusted_comment.to_string(),
            global: Signature::from_bytes(&global),
        })
    }

    /// Starts checking this signature with `key` over bytes to come.
    pub fn verifier(&self, key: &VerifyingKey) -> Verifier {
        let hash = if self.prehashed {
            Hash::Blake2b(Box::default())
        } else {
            match StreamedSignature::start(key, &self.signature) {
                Some(stream) => Hash::Legacy(Box::new(stream)),
                None => Hash::Refused,
            }
        };
        Verifier {
            key: *key,
            minisig: self.clone(),
            hash,
        }
    }
}

/// A minisign signature checked while the bytes stream.
pub struct Verifier {
    key: VerifyingKey,
    minisig: Minisig,
    hash: Hash,
}

enum Hash {
    Blake2b(Box<Blake2b512>),
    Legacy(Box<StreamedSignature>),
    /// Refused before the first byte (a malformed legacy signature).
    Refused,
}

/// Why a minisign signature did not verify: the check it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The text is not a `.minisig`.
    Malformed,
    /// Its key id is no minisign key of the trust root.
    Key,
    /// The signature is not one of these bytes by this key.
    Signature,
    /// The global signature over the signature and the trusted comment
    /// does not verify: the trusted comment was altered.
    TrustedComment,
}

impl Failure {
    /// The check's name in errors (`minisign-failure`'s `check`).
    pub fn name(self) -> &'static str {
        match self {
            Failure::Malformed => "malformed",
            Failure::Key => "key",
            Failure::Signature => "signature",
            Failure::TrustedComment => "trusted-comment",
        }
    }
}

impl Verifier {
    pub fn update(&mut self, chunk: &[u8]) {
        match &mut self.hash {
            Hash::Blake2b(hasher) => hasher.update(chunk),
            Hash::Legacy(stream) => stream.update(chunk),
            Hash::Refused => {}
        }
    }

    /// Both signatures checked: the file's, then the trusted comment's.
    pub fn finish(self) -> Result<(), Failure> {
        let Verifier { key, minisig, hash } = self;
        let signed = match hash {
            Hash::Blake2b(hasher) => {
                let digest = hasher.finalize();
                key.verify_strict(&digest, &minisig.signature).is_ok()
            }
            Hash::Legacy(stream) => stream.verify(),
            Hash::Refused => false,
        };
        if !signed {
            return Err(Failure::Signature);
        }
        let mut global = minisig.signature.to_bytes().to_vec();
        global.extend_from_slice(minisig.trusted_comment.as_bytes());
        key.verify_strict(&global, &minisig.global)
            .map_err(|_| Failure::TrustedComment)
    }
}

fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD.decode(text)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    /// A minisign key pair's public file and a signer, as minisign -G
    /// would make them (key id from `seed`).
    pub(crate) fn key_file(key: &SigningKey, id: [u8; 8]) -> String {
        let mut bytes = LEGACY.to_vec();
        bytes.extend_from_slice(&id);
        bytes.extend_from_slice(key.verifying_key().as_bytes());
        format!(
            "untrusted comment: minisign public key {}\n{}\n",
            KeyId(id),
            STANDARD.encode(bytes)
        )
    }

    /// A `.minisig` of `message` as minisign -S (or -S -l) would write it.
    pub(crate) fn sign(
        key: &SigningKey,
        id: [u8; 8],
        message: &[u8],
        prehashed: bool,
        comment: &str,
    ) -> String {
        let (alg, signature) = match prehashed {
            true => (PREHASHED, key.sign(&Blake2b512::digest(message))),
            false => (LEGACY, key.sign(message)),
        };
        let mut line = alg.to_vec();
        line.extend_from_slice(&id);
        line.extend_from_slice(&signature.to_bytes());
        let mut global = signature.to_bytes().to_vec();
        global.extend_from_slice(comment.as_bytes());
        format!(
            "untrusted comment: signature from minisign secret key\n{}\ntrusted comment: {comment}\n{}\n",
            STANDARD.encode(line),
            STANDARD.encode(key.sign(&global).to_bytes())
        )
    }

    fn verdict(minisig: &str, key: &VerifyingKey, message: &[u8]) -> Result<(), Failure> {
        let minisig = Minisig::parse(minisig).unwrap();
        let mut verifier = minisig.verifier(key);
        for piece in message.chunks(3) {
            verifier.update(piece);
        }
        verifier.finish()
    }

    // minisign-verify's own test vectors (its lib.rs): a key, and a legacy
    // and a prehashed signature of "test", both made by minisign.
    const VECTOR_KEY: &str = "untrusted comment: minisign public key E7620F1842B4E81F\n\
        RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n";
    const VECTOR_LEGACY: &str = "untrusted comment: signature from minisign secret key\n\
        RWQf6LRCGA9i59SLOFxz6NxvASXDJeRtuZykwQepbDEGt87ig1BNpWaVWuNrm73YiIiJbq71Wi+dP9eKL8OC351vwIasSSbXxwA=\n\
        trusted comment: timestamp:1555779966\tfile:test\n\
        QtKMXWyYcwdpZAlPF7tE2ENJkRd1ujvKjlj1m9RtHTBnZPa5WKU5uWRs5GoP5M/VqE81QFuMKI5k/SfNQUaOAA==\n";
    const VECTOR_PREHASHED: &str = "untrusted comment: signature from minisign secret key\n\
        RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/z7SrlQgXdy8ofjb7bNJJylDOocrCo8KLzZwo=\n\
        trusted comment: timestamp:1556193335\tfile:test\n\
        y/rUw2y8/hOUYjZU71eHp/Wo1KZ40fGy2VJEDl34XMJM+TX48Ss/17u3IvIfbVR1FkZZSNCisQbuQY+bHwhEBg==\n";

    #[test]
    fn minisigns_own_signatures_verify_prehashed_and_legacy() {
        assert!(is_minisign_key(VECTOR_KEY));
        let (id, key) = parse_public_key(VECTOR_KEY).unwrap();
        assert_eq!(id.to_string(), "E7620F1842B4E81F");
        for vector in [VECTOR_LEGACY, VECTOR_PREHASHED] {
            let minisig = Minisig::parse(vector).unwrap();
            assert_eq!(minisig.key_id, id);
            assert_eq!(minisig.prehashed, vector == VECTOR_PREHASHED);
            assert_eq!(verdict(vector, &key, b"test"), Ok(()));
            assert_eq!(verdict(vector, &key, b"Test"), Err(Failure::Signature));
            let altered = vector.replace("file:test", "file:tesT");
            assert_eq!(
                verdict(&altered, &key, b"test"),
                Err(Failure::TrustedComment)
            );
        }
    }

    #[test]
    fn the_reference_crate_agrees_on_signatures_made_here() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let id = [1, 2, 3, 4, 5, 6, 7, 8];
        let public = minisign_verify::PublicKey::decode(&key_file(&key, id)).unwrap();
        let message: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for prehashed in [true, false] {
            for (signer, bytes, comment) in [
                (&key, &message[..], "timestamp:1\tfile:p.wasm"),
                (&key, &message[1..], "timestamp:1\tfile:p.wasm"),
                (&other, &message[..], ""),
            ] {
                let text = sign(signer, id, bytes, prehashed, comment);
                let theirs = public
                    .verify(
                        &message,
                        &minisign_verify::Signature::decode(&text).unwrap(),
                        true,
                    )
                    .is_ok();
                let ours = verdict(&text, &key.verifying_key(), &message).is_ok();
                assert_eq!(ours, theirs, "prehashed {prehashed}, comment {comment:?}");
            }
        }
    }

    #[test]
    fn a_malformed_key_or_signature_says_what_it_should_be() {
        let err = parse_public_key("untrusted comment: x\n").unwrap_err();
        assert!(
            err.starts_with("it has no key after its comment line"),
            "{err}"
        );
        let err = parse_public_key("untrusted comment: x\nRWQf6LRCGA9i5w==\n").unwrap_err();
        assert!(err.starts_with("the key decodes to 10 bytes"), "{err}");
        assert!(err.contains("minisign -G"), "{err}");
        // A raw key's file is not minisign's.
        assert!(!is_minisign_key(
            "HkTiNK0YW5jiufk7WRmLAHa9csADRVi+xGmHOqbtWqY="
        ));
        // The key alone, as minisign -P takes it, is.
        assert!(is_minisign_key(
            "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3"
        ));

        let err = Minisig::parse("untrusted comment: x\nAAAA\n").unwrap_err();
        assert!(err.starts_with("it has 2 non-empty lines"), "{err}");
        let err = Minisig::parse(&VECTOR_PREHASHED.replace("\ntrusted comment: ", "\ncomment: "))
            .unwrap_err();
        assert!(
            err.starts_with("its third line is not a `trusted comment:`"),
            "{err}"
        );
        let err = Minisig::parse(&VECTOR_PREHASHED.replace("RUQf", "RUAf")).unwrap_err();
        assert!(err.starts_with("its algorithm is"), "{err}");
        // Windows line ends are read as minisign's.
        let crlf = VECTOR_PREHASHED.replace('\n', "\r\n");
        let (_, key) = parse_public_key(VECTOR_KEY).unwrap();
        assert_eq!(verdict(&crlf, &key, b"test"), Ok(()));
    }
}
