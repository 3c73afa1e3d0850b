//! The host's own limits, in one place.
//!
//! The component's limits (indexes, keys, signatures, receipts...) live in
//! `guest/src/limits.rs`; these bound what the host does for itself while a
//! call runs or before it starts, where wasmtime's memory cap and epoch
//! deadline cannot reach: how long a body read holds the component off,
//! and how much of the files it reads itself (`files`) it reads. A file
//! over its limit is refused naming the file, the flag and the limit.

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
    /// Requests of one batch (`send_all`) sent at once: enough to hide a
    /// registry's latency behind the others', few enough not to look like
    /// a flood to it (browsers open six connections a host).
    pub batch_in_flight: usize,
    /// The longest one request of a batch may take, from sending it to its
    /// body's last byte. A batch runs in the host without returning to the
    /// component (which checks `--deadline` and SIGINT/SIGTERM only while
    /// it runs), so a server trickling a body must not hold it for ever;
    /// the registry files a batch reads are small, and one that is not
    /// whole in time is the component's to ask for again on its own.
    pub batch_request: Duration,
    /// `--registry-token-file`: a token is a few hundred bytes (a JWT a few
    /// KiB).
    pub token_file: u64,
    /// `--ca-cert`: PEM certificates. A whole system bundle fits with room
    /// to spare (Debian's `ca-certificates.crt`, every web root, is about
    /// 215 KiB).
    pub ca_cert: u64,
    /// The docker config (`$DOCKER_CONFIG/config.json`,
    /// `~/.docker/config.json`): logins for a few registries, and what
    /// Docker Desktop adds beside them.
    pub docker_config: u64,
}

/// The limits in force.
pub(crate) const LIMITS: HostLimits = HostLimits {
    body_read_slice: Duration::from_millis(50),
    batch_in_flight: 8,
    batch_request: Duration::from_secs(60),
    token_file: 64 << 10,
    ca_cert: 1 << 20,
    docker_config: 1 << 20,
};
