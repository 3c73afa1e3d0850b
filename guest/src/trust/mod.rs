//! Who is trusted and whether bytes are what they claim: trust roots
//! (`root`, loading; `metadata`, root.json), how keys and signatures are
//! written (`encoding`), the signature check with its thresholds (`check`,
//! while the bytes stream), SHA-256 digests and the hashing of streams
//! (`digest`, through the host), Ed25519 over a streamed message
//! (`ed25519`), signing keys, capabilities and
//! worlds, minisign keys and signatures (`minisign`). Needs nothing but the sandbox below it.

pub mod capabilities;
mod check;
pub mod digest;
pub mod ed25519;
mod encoding;
pub mod keys;
pub mod metadata;
pub mod minisign;
mod root;
pub mod sigstore;
pub mod world;

#[cfg(test)]
mod tests;

pub use check::*;
pub use encoding::*;
pub use root::*;
