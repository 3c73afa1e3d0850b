//! The one error type of the installer.
//!
//! Every case carries the context a message needs (paths, expected and
//! actual values, what exists instead), because the host that renders it has
//! nothing else to go on. The cases mirror the WIT `error` variant one to one;
//! `component.rs` converts, the host decides wording and exit codes.

use std::fmt;
use std::path::Path;

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
    Transport(String),
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
    IndexInvalid {
        path: String,
        problem: String,
    },
    UnknownPlugin {
        name: String,
        registry: String,
        available: Vec<String>,
    },
    UnknownVersion {
        name: String,
        requested: String,
        available: Vec<String>,
    },
    InvalidName {
        name: String,
        reason: String,
    },
    NotGranted(String),
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
    // Integrity and trust.
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
    // Fetch and I/O.
    FetchFailed {
        url: String,
        cause: FetchError,
    },
    Io {
        path: String,
        operation: &'static str,
        message: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O failure on `path`. The sandbox refuses a path leading outside
    /// the granted directories (a symlink, say) with EPERM; that is reported
    /// as not granted rather than as a bare "operation not permitted".
    pub fn io(path: &Path, operation: &'static str, err: &std::io::Error) -> Error {
        if crate::sandbox::is_escape(err) {
            return Error::NotGranted(path.display().to_string());
        }
        Error::Io {
            path: path.display().to_string(),
            operation,
            message: err.to_string(),
        }
    }
}

/// For native tests and debugging only: the host owns the real wording.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for Error {}
