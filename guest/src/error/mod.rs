//! The one error type of the installer, and its words.
//!
//! Every case carries the context its words need (paths, expected and
//! actual values, what exists instead). The cases mirror the WIT
//! `error-detail` variant one to one (but `OciInvalid`, `index-invalid`
//! worded for an OCI registry, and `PassedOver`, a failure worded with the
//! versions a world passed over first); `record.rs` converts. The component
//! words every error once (`message.rs`: what was wrong and, apart, what to
//! do about it), so that every host says the same; hosts decide exit codes.

use crate::wit::UnfitVersion;
use std::fmt;
use std::path::Path;

mod message;
mod record;

/// Why a remote fetch failed, as the host's fetch capability reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    UnsupportedScheme(String),
    InvalidUrl(String),
    Connect(String),
    HttpStatus(u16),
    Timeout(String),
    /// (bytes received, bytes announced)
    Truncated(u64, u64),
    /// The TLS handshake failed (certificate not trusted, wrong host, ...).
    Tls(String),
    /// An answer that broke HTTP in a way a retry will not mend.
    Protocol(String),
    Transport(String),
}

impl FetchError {
    /// Whether trying again may help: connection trouble (refused, reset,
    /// closed early), a timeout, a server error, a body cut short. Never a
    /// client error (4xx), a certificate, a broken protocol, or a URL the
    /// host cannot fetch at all.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Connect(_)
            | FetchError::Timeout(_)
            | FetchError::Truncated(..)
            | FetchError::Transport(_) => true,
            FetchError::HttpStatus(code) => (500..600).contains(code),
            FetchError::UnsupportedScheme(_)
            | FetchError::InvalidUrl(_)
            | FetchError::Tls(_)
            | FetchError::Protocol(_) => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    // Bad input or usage.
    IndexMalformed {
        path: String,
        line: u32,
        column: u32,
        message: String,
    },
    /// What an OCI registry answered (a manifest, a tag list, a list of
    /// referrers) breaks a rule: the WIT's `index-invalid`, worded for a
    /// registry that has no index (the one case not mirrored one to one).
    OciInvalid {
        path: String,
        problem: String,
    },
    IndexInvalid {
        path: String,
        problem: String,
    },
    /// `wasm-plugin.toml` does not parse or says something impossible.
    ManifestInvalid {
        path: String,
        line: u32,
        column: u32,
        message: String,
    },
    UnknownPlugin {
        name: String,
        registry: String,
        available: Vec<String>,
    },
    UnknownVersion {
        name: String,
        /// The exact version or the requirement, as given.
        requested: String,
        /// Whether `requested` is a requirement (`^1.2`) rather than an
        /// exact version.
        requirement: bool,
        available: Vec<String>,
        /// Pre-releases the requirement would match were they releases.
        pre_releases: Vec<String>,
    },
    InvalidName {
        name: String,
        reason: String,
    },
    /// A path outside the directories the host granted. `link` is the
    /// symbolic link through which it leads out, and where it points.
    NotGranted {
        path: String,
        link: Option<(String, Option<String>)>,
    },
    /// Something other than a regular file where one is read (a named
    /// pipe, a device, a directory; in a plugins directory, a link).
    NotRegularFile {
        path: String,
        /// What is there instead, in words.
        found: String,
    },
    UnsupportedLocation {
        location: String,
        reason: String,
    },
    TrustRootInvalid {
        path: String,
        reason: String,
    },
    AlreadyExists(String),
    DowngradeRefused {
        name: String,
        installed: String,
        requested: String,
    },
    NotInstalled {
        name: String,
        dest: String,
        installed: Vec<String>,
    },
    EntryExists {
        name: String,
        version: String,
        registry: String,
    },
    KeyInvalid {
        path: String,
        reason: String,
    },
    InvalidRequest {
        value: String,
        reason: String,
    },
    /// Larger than the size limit (`--max-size`).
    TooLarge {
        source: String,
        limit: u64,
    },
    // Integrity and trust.
    /// The index's detached signature is missing where required, malformed,
    /// or by no trusted key.
    IndexUntrusted {
        registry: String,
        reason: String,
    },
    /// The index says it expired (a frozen or stale mirror).
    IndexExpired {
        registry: String,
        expires: String,
    },
    /// The index is older than one already seen from the same registry.
    IndexRollback {
        registry: String,
        seen: u64,
        got: u64,
    },
    /// The artefact's length is not the published one.
    SizeMismatch {
        source: String,
        expected: u64,
        actual: u64,
    },
    DigestMismatch {
        source: String,
        expected: String,
        actual: String,
    },
    SignatureMissing {
        artifact: String,
        looked_for: String,
    },
    SignatureMalformed {
        source: String,
        reason: String,
    },
    SignatureUntrusted {
        artifact: String,
        trust_root: String,
        keys: Vec<String>,
    },
    /// The plugin imports what the capability policy forbids (or its
    /// imports cannot be read under a policy): each offence with its rule.
    CapabilityDenied {
        artifact: String,
        denied: Vec<String>,
    },
    /// The plugin does not fit the runtime's world (`--world`): it was
    /// pinned exactly, or no version matching the request fits. `skipped`
    /// are the versions passed over, newest first.
    Incompatible {
        artifact: String,
        world: String,
        mismatch: String,
        skipped: Vec<UnfitVersion>,
    },
    /// The index describes the artefact (its `imports`/`exports`) otherwise
    /// than its bytes are.
    MetadataMismatch {
        artifact: String,
        index: String,
        reason: String,
    },
    /// Signatures verified, but not by a threshold of keys of a role that
    /// `root.json` allows to sign this (or by no such role at all).
    SignatureInsufficient {
        artifact: String,
        reason: String,
    },
    /// A Sigstore bundle that does not verify; `check` names the check it
    /// failed (`trust::sigstore::Check`'s kebab-case name).
    SigstoreUnverified {
        artifact: String,
        bundle: String,
        check: String,
        reason: String,
    },
    /// A minisign signature that does not verify; `check` names the check
    /// it failed (`trust::minisign::Check`'s kebab-case name).
    MinisignUnverified {
        artifact: String,
        minisig: String,
        check: String,
        reason: String,
    },
    // Fetch and I/O.
    FetchFailed {
        url: String,
        cause: FetchError,
        /// What was being fetched, when the caller said (not in the WIT
        /// record: it only chooses the words).
        fetched: Fetched,
    },
    Io {
        path: String,
        operation: &'static str,
        message: String,
    },
    /// A version that fits the world failed after newer ones were passed
    /// over as not fitting it: the failure (the WIT record is its), worded
    /// with what was passed over, which would otherwise be lost.
    PassedOver {
        error: Box<Error>,
        skipped: Vec<UnfitVersion>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a failed fetch was for, so that its words (a 404's above all)
/// point at the URL to check: the registry's own, or the one its index
/// gives for an artefact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fetched {
    /// The caller did not say.
    #[default]
    Other,
    /// A registry's index (its `--registry` or `[registries]` location).
    Index,
    /// An artefact at the location its index entry gives.
    Artifact,
}

impl Error {
    /// Fetching `url` failed; what it was for is [`Error::fetching`]'s.
    pub fn fetch_failed(url: impl Into<String>, cause: FetchError) -> Error {
        Error::FetchFailed {
            url: url.into(),
            cause,
            fetched: Fetched::Other,
        }
    }

    /// This failure, of a version tried after `skipped` were passed over as
    /// not fitting the world, keeping them in its words (an `Incompatible`
    /// lists them already).
    pub fn passed_over(self, skipped: Vec<UnfitVersion>) -> Error {
        match self {
            e if skipped.is_empty() => e,
            e @ (Error::Incompatible { .. } | Error::PassedOver { .. }) => e,
            e => Error::PassedOver {
                error: Box::new(e),
                skipped,
            },
        }
    }

    /// A failed fetch said to be of `what` (any other error as it is).
    pub fn fetching(self, what: Fetched) -> Error {
        match self {
            Error::FetchFailed { url, cause, .. } => Error::FetchFailed {
                url,
                cause,
                fetched: what,
            },
            other => other,
        }
    }

    /// An I/O failure on `path`. The sandbox refuses a path leading outside
    /// the granted directories (a symlink, say) with EPERM; that is reported
    /// as not granted rather than as a bare "operation not permitted".
    pub fn io(path: &Path, operation: &'static str, err: &std::io::Error) -> Error {
        if is_escape(err) {
            return Error::NotGranted {
                path: path.display().to_string(),
                link: escaping_link(path),
            };
        }
        Error::Io {
            path: path.display().to_string(),
            operation,
            message: io_message(err),
        }
    }
}

/// `err` in words. Inside the component `std` appends WASI's errno, whose
/// numbers are not the host's (`No such file or directory (os error 44)`,
/// where Linux says 2), so the number is dropped: it would send a reader
/// to the wrong table.
pub fn io_message(err: &std::io::Error) -> String {
    let text = err.to_string();
    match (err.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(at)) if text.ends_with(')') => text[..at].to_string(),
        _ => text,
    }
}

// How WASI reports a path that escapes the grants. Kept here, not in
// `sandbox`, so that the error type needs nothing above it.

/// Whether the code runs inside the component sandbox.
pub fn is_sandboxed() -> bool {
    cfg!(target_arch = "wasm32")
}

/// WASI's errno for "operation not permitted": what wasmtime answers when a
/// path escapes its preopen (EACCES, a real permission problem, is 2).
pub const WASI_EPERM: i32 = 63;

/// Whether `err` is the sandbox refusing a path that leads out of the grants.
pub fn is_escape(err: &std::io::Error) -> bool {
    is_sandboxed() && err.raw_os_error() == Some(WASI_EPERM)
}

/// The symbolic link through which `path` leads out of the grants, and
/// where it points when WASI lets that be read (it refuses absolute
/// targets): the first component, from the grant down, that is a link.
/// `None` when no component is.
pub fn escaping_link(path: &Path) -> Option<(String, Option<String>)> {
    let mut ancestors: Vec<&Path> = path.ancestors().collect();
    ancestors.reverse();
    ancestors.into_iter().find_map(|p| {
        let meta = std::fs::symlink_metadata(p).ok()?;
        if !meta.file_type().is_symlink() {
            return None;
        }
        let target = std::fs::read_link(p).ok().map(|t| t.display().to_string());
        Some((p.display().to_string(), target))
    })
}

/// Whether `host` (`NAME` or `NAME:PORT`, an IPv6 address in brackets)
/// is a loopback address: `localhost` (in any case), `127.0.0.0/8` or
/// `[::1]`. Plain http is spoken to such a host without asking
/// (`registry::oci`), and it is the only one to which credentials are sent
/// over plain http (a 401's message says so, as the host decides it). Kept
/// at the root so that both can use it.
pub fn is_loopback(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The message, and the hint on the lines after it: the text a host shows.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())?;
        match self.hint() {
            Some(hint) => write!(f, "\n{hint}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_io_message_drops_the_errno_whose_numbering_is_wasis() {
        let err = std::io::Error::from_raw_os_error(2);
        let message = io_message(&err);
        assert!(!message.contains("os error"), "{message}");
        assert!(!message.is_empty());
        let plain = std::io::Error::other("short read");
        assert_eq!(io_message(&plain), "short read");
    }

    #[test]
    fn loopback_is_localhost_127_slash_8_or_ipv6_one_with_or_without_a_port() {
        let loopback = [
            "localhost",
            "LOCALHOST:80",
            "127.0.0.1",
            "127.1.2.3:5000",
            "[::1]",
            "[::1]:5000",
        ];
        for host in loopback {
            assert!(is_loopback(host), "{host}");
        }
        let remote = [
            "registry.lan",
            "10.0.0.2:5000",
            "[::2]",
            "localhost.example",
            "",
        ];
        for host in remote {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
