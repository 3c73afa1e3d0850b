//! SHA-256 digests.
//!
//! A published digest is validated when it is read (64 hex characters, any
//! case) so a typo in an index is an input error, not a later "mismatch".
//! Digests are always shown in lowercase hex.

use sha2::{Digest as _, Sha256};
use std::fmt;

/// A SHA-256 value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// Parses 64 hex characters (upper or lower case, nothing else).
    pub fn parse_hex(text: &str) -> Result<Sha256Digest, String> {
        if text.len() != 64 {
            return Err(format!(
                "a sha256 is 64 hex characters, this one has {}",
                text.chars().count()
            ));
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes)
            .map_err(|e| format!("a sha256 is 64 hex characters: {e}"))?;
        Ok(Sha256Digest(bytes))
    }

    /// A digest given as its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Sha256Digest {
        Sha256Digest(bytes)
    }

    /// The digest of `bytes`, in one go (small inputs and tests).
    pub fn of(bytes: &[u8]) -> Sha256Digest {
        Sha256Digest(Sha256::digest(bytes).into())
    }

    pub fn from_hasher(hasher: Sha256) -> Sha256Digest {
        Sha256Digest(hasher.finalize().into())
    }

    pub fn bytes(&self) -> [u8; 32] {
        self.0
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // FIPS 180-2 / NIST examples.
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn known_digests() {
        assert_eq!(Sha256Digest::of(b"abc").to_hex(), ABC);
        assert_eq!(Sha256Digest::of(b"").to_hex(), EMPTY);
        let million_a = vec![b'a'; 1_000_000];
        assert_eq!(
            Sha256Digest::of(&million_a).to_hex(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn streamed_and_one_shot_digests_agree() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut hasher = Sha256::new();
        for chunk in data.chunks(4093) {
            hasher.update(chunk);
        }
        assert_eq!(Sha256Digest::from_hasher(hasher), Sha256Digest::of(&data));
    }

    #[test]
    fn hex_is_case_insensitive_and_shown_lowercase() {
        let upper = Sha256Digest::parse_hex(&ABC.to_uppercase()).unwrap();
        assert_eq!(upper, Sha256Digest::parse_hex(ABC).unwrap());
        assert_eq!(upper.to_string(), ABC);
    }

    #[test]
    fn malformed_hex_is_refused_with_a_reason() {
        assert!(Sha256Digest::parse_hex("").unwrap_err().contains("has 0"));
        assert!(Sha256Digest::parse_hex(&ABC[..63]).is_err());
        assert!(Sha256Digest::parse_hex(&format!("{ABC}0")).is_err());
        let with_g = format!("g{}", &ABC[1..]);
        assert!(Sha256Digest::parse_hex(&with_g).is_err());
        let with_space = format!(" {}", &ABC[1..]);
        assert!(Sha256Digest::parse_hex(&with_space).is_err());
    }
}
