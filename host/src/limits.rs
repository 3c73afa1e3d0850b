//! The host's own limits, in one place.
//!
//! The component's limits (indexes, keys, signatures, receipts...) live in
//! `guest/src/limits.rs`; these bound what the host does for itself while a
//! call runs or before it starts, where wasmtime's memory cap and epoch
//! deadline cannot reach.

use std::time::Duration;

/// What the host allows itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HostLimits {
    /// The longest one read of a response body goes on collecting bytes
    /// before it hands back what it has. The component runs, and checks its
    /// `--deadline` and SIGINT/SIGTERM, only between reads: a body read that
    /// waited for a full buffer could be held for ever by a server sending a
    /// byte at a time (each byte restarts `--timeout`). A fast download still
    /// fills the whole buffer (1 MiB) well within this, so the number of
    /// calls into the host does not grow with it.
    pub body_read_slice: Duration,
}

/// The limits in force.
pub(crate) const LIMITS: HostLimits = HostLimits {
    body_read_slice: Duration::from_millis(50),
};
