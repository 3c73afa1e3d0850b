//! Size limits on what the installer reads, in one place.
//!
//! The component's memory is capped by the host and wasm memory never
//! shrinks, so everything read whole (index, keys, signatures) has a ceiling
//! well below that cap; artefacts are streamed and never read whole.

/// Largest registry index read, in bytes.
pub const MAX_INDEX_BYTES: u64 = 16 << 20;

/// Largest `.pub` key file read (a PEM key is about 113 bytes).
pub const MAX_KEY_FILE_BYTES: u64 = 16 << 10;

/// Most `*.pub` files a trust root may hold. Each key costs one SHA-512 pass
/// over the artefact while it streams, so this also bounds install time.
pub const MAX_TRUST_KEYS: usize = 32;

/// Largest signature file read (a signature is 88 base64 characters).
pub const MAX_SIG_FILE_BYTES: u64 = 16 << 10;

/// Bytes asked for per read while streaming an artefact.
pub const CHUNK_BYTES: usize = 1 << 20;

/// Largest receipt read (one is a few hundred bytes).
pub const MAX_RECEIPT_BYTES: u64 = 64 << 10;

/// Largest recorded-index-versions file read (`registries.json`).
pub const MAX_SEEN_BYTES: u64 = 1 << 20;
