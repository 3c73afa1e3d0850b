//! SHA-256 digests, and the hashing of streams.
//!
//! A published digest is validated when it is read (64 hex characters, any
//! case) so a typo in an index is an input error, not a later "mismatch".
//! Digests are always shown in lowercase hex.
//!
//! An artefact's bytes are hashed by [`StreamHasher`] when they are
//! installed, verified, audited or checked against a Sigstore bundle: in
//! the component, the host computes it (the `digest` import, at the
//! machine's speed, on a thread of its own); natively (unit tests,
//! fuzzing) the `sha2` crate does. Either way the digest comes back here to
//! be compared. Small inputs (indexes, keys, certificates) are hashed in
//! place with `sha2`, and so are the SHA-512 passes of `sign` (ed25519-dalek's
//! signing takes its own hasher) and what a Sigstore bundle's own checks hash.

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

    /// The digest a SHA-256 [`StreamHasher`] computed.
    pub fn from_stream(hasher: StreamHasher) -> Sha256Digest {
        let digest = hasher.finish();
        Sha256Digest(
            digest
                .try_into()
                .expect("from_stream is given a SHA-256 hasher"),
        )
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

/// A hash of bytes fed in order: SHA-256 (an artefact's digest) or SHA-512
/// (inside an Ed25519 check).
pub struct StreamHasher {
    hasher: imp::Hasher,
    /// The digest's length: 32 or 64.
    len: usize,
}

impl StreamHasher {
    /// SHA-256 of what is fed.
    pub fn sha256() -> StreamHasher {
        StreamHasher {
            hasher: imp::Hasher::new(imp::Algorithm::Sha256),
            len: 32,
        }
    }

    /// SHA-512 of what is fed.
    pub fn sha512() -> StreamHasher {
        StreamHasher {
            hasher: imp::Hasher::new(imp::Algorithm::Sha512),
            len: 64,
        }
    }

    /// Feeds `bytes` after everything fed before.
    pub fn update(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.hasher.update(bytes);
        }
    }

    /// The digest (32 bytes for SHA-256, 64 for SHA-512).
    pub fn finish(self) -> Vec<u8> {
        let digest = imp::Hasher::finish(self.hasher);
        // A host answering another length is broken: the component traps
        // (the host then cleans up as after any trap) rather than compare
        // anything against it.
        assert_eq!(
            digest.len(),
            self.len,
            "the host's digest import returned a digest of the wrong length"
        );
        digest
    }
}

/// The host's `digest` import.
#[cfg(target_arch = "wasm32")]
mod imp {
    pub use crate::wit::digest::{Algorithm, Hasher};
}

/// Natively there is no host: `sha2`, with the import's shape.
#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use sha2::{Digest as _, Sha256, Sha512};

    pub enum Algorithm {
        Sha256,
        Sha512,
    }

    pub enum Hasher {
        Sha256(Sha256),
        Sha512(Sha512),
    }

    impl Hasher {
        pub fn new(algorithm: Algorithm) -> Hasher {
            match algorithm {
                Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
                Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
            }
        }

        pub fn update(&mut self, bytes: &[u8]) {
            match self {
                Hasher::Sha256(h) => h.update(bytes),
                Hasher::Sha512(h) => h.update(bytes),
            }
        }

        pub fn finish(this: Hasher) -> Vec<u8> {
            match this {
                Hasher::Sha256(h) => h.finalize().to_vec(),
                Hasher::Sha512(h) => h.finalize().to_vec(),
            }
        }
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
        let mut stream = StreamHasher::sha256();
        for chunk in data.chunks(4093) {
            stream.update(chunk);
        }
        assert_eq!(Sha256Digest::from_stream(stream), Sha256Digest::of(&data));
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
