//! One pass over an artefact: SHA-256, the signature check, its imports and
//! exports and (for installs) the temp file, chunk by chunk, so memory use
//! does not grow with its size.

use crate::error::Result;
use crate::transfer::source::Source;
use crate::transfer::staged::Staged;
use crate::trust::SignatureCheck;
use crate::trust::capabilities::{Capabilities, Introspector, Unreadable};
use crate::trust::digest::{Sha256Digest, StreamHasher};
use crate::trust::world::Reducer;

/// What the pass measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    pub sha256: Sha256Digest,
    pub size: u64,
    /// What the bytes import and export, or why they cannot be read.
    pub capabilities: std::result::Result<Capabilities, Unreadable>,
}

impl Measured {
    /// The imports and exports read, when the bytes are a component whose
    /// types could be read.
    pub fn types(&self) -> Option<(&[String], &[String])> {
        self.capabilities
            .as_ref()
            .ok()
            .map(|c| (c.imports.as_slice(), c.exports.as_slice()))
    }
}

/// Reads `source` to its end, feeding every chunk to the digest, to `check`
/// when there is one, and to `sink` when there is one.
pub fn pump(
    source: &mut Source,
    sink: Option<&mut Staged>,
    check: Option<&mut SignatureCheck>,
) -> Result<Measured> {
    pump_with(source, sink, check, None)
}

/// `pump`, also feeding `reducer` (a world to check the bytes against).
pub fn pump_with(
    source: &mut Source,
    mut sink: Option<&mut Staged>,
    mut check: Option<&mut SignatureCheck>,
    mut reducer: Option<&mut Reducer>,
) -> Result<Measured> {
    let mut hasher = StreamHasher::sha256();
    let mut introspector = Introspector::new();
    let mut size = 0u64;
    while let Some(chunk) = source.next_chunk()? {
        // The hashes first: the host hashes on threads of its own while
        // the chunk is framed here and written.
        hasher.update(chunk);
        if let Some(check) = check.as_deref_mut() {
            check.update(chunk);
        }
        introspector.update(chunk);
        if let Some(reducer) = reducer.as_deref_mut() {
            reducer.update(chunk);
        }
        if let Some(sink) = sink.as_deref_mut() {
            sink.write_all(chunk)?;
        }
        size += chunk.len() as u64;
    }
    Ok(Measured {
        sha256: Sha256Digest::from_stream(hasher),
        size,
        capabilities: introspector.finish(),
    })
}
