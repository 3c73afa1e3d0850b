//! The WIT boundary: `digest` exported. Only conversions live here.

use crate::Hasher;
use sha2::{Digest as _, Sha256, Sha512};
use std::cell::RefCell;

wit_bindgen::generate!({
    path: "../wit",
    world: "digest-in-wasm",
});

use exports::wasm_plugin::installer::digest as wit;

struct Digest;

export!(Digest);

impl wit::Guest for Digest {
    type Hasher = Resource;
}

/// The exported `hasher`: the hash, taken out when finished.
struct Resource(RefCell<Option<Hasher>>);

impl wit::GuestHasher for Resource {
    fn new(algorithm: wit::Algorithm) -> Resource {
        Resource(RefCell::new(Some(match algorithm {
            wit::Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            wit::Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        })))
    }

    fn update(&self, bytes: Vec<u8>) {
        if let Some(hasher) = self.0.borrow_mut().as_mut() {
            hasher.update(&bytes);
        }
    }

    fn finish(this: wit::Hasher) -> Vec<u8> {
        let this: Resource = this.into_inner();
        this.0.into_inner().map(Hasher::finish).unwrap_or_default()
    }
}
