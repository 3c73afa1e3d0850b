//! The installer's `digest` import, in WebAssembly.
//!
//! The native host answers `digest` with the CPU's hash instructions. A
//! stock runtime (the wasmtime CLI, jco) has no such import, so
//! `host/build.rs` composes this component into the installer's wasi:http
//! variant: the same `sha2` code the installer would run itself (with wasm
//! SIMD), behind the same interface, so the variant still imports only
//! `wasi:*`. Nothing is decided here; the installer compares the digests.

#![deny(missing_docs)]

use sha2::{Digest as _, Sha256, Sha512};

#[cfg(target_arch = "wasm32")]
mod component;

/// A hash in progress.
pub enum Hasher {
    /// SHA-256.
    Sha256(Sha256),
    /// SHA-512.
    Sha512(Sha512),
}

impl Hasher {
    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest of every byte fed.
    pub fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fed_in_pieces_equals_hashed_whole() {
        let data: Vec<u8> = (0..70_000u32).map(|i| (i % 253) as u8).collect();
        let mut a = Hasher::Sha256(Sha256::new());
        let mut b = Hasher::Sha512(Sha512::new());
        for piece in data.chunks(4099) {
            a.update(piece);
            b.update(piece);
        }
        assert_eq!(a.finish(), Sha256::digest(&data).to_vec());
        assert_eq!(b.finish(), Sha512::digest(&data).to_vec());
    }
}
