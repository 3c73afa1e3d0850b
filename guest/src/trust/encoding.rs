//! How keys and signatures are written: a public key is base64 of a raw
//! 32-byte Ed25519 key, or a PEM `PUBLIC KEY` as `openssl pkey -pubout`
//! writes it; a signature is base64 of the raw 64 bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, VerifyingKey};

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
