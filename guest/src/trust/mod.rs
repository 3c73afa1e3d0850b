//! Who is trusted and whether bytes are what they claim: trust roots,
//! Ed25519 signatures (checked while the bytes stream), SHA-256 digests and
//! signing keys. Needs nothing but the sandbox below it.

pub mod capabilities;
pub mod digest;
pub mod keys;
pub mod metadata;
mod roots;
pub mod world;

pub use roots::*;
