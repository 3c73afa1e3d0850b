//! The error as the WIT's `error` record: the words `message.rs` makes,
//! and the case with the fields they were made from (`error-detail`, one
//! case per case of `Error`). At the root, so that a verb can hand back an
//! error inside a record (a sync's failed change) as the component does.

use super::{Error, FetchError};
use crate::wit::{self, host};

/// The error as the component returns it: in words (made here, once, for
/// every host), and as its case with the fields the words were made from.
impl From<Error> for wit::Error {
    fn from(e: Error) -> wit::Error {
        wit::Error {
            message: e.message(),
            hint: e.hint(),
            detail: detail_to_wit(e),
        }
    }
}

fn detail_to_wit(e: Error) -> wit::ErrorDetail {
    let rejected = |value: String, reason: String| wit::Rejected { value, reason };
    match e {
        Error::PassedOver { error, .. } => detail_to_wit(*error),
        Error::ManifestInvalid {
            path,
            line,
            column,
            message,
        } => wit::ErrorDetail::ManifestInvalid(wit::ParseFailure {
            path,
            line,
            column,
            message,
        }),
        Error::IndexMalformed {
            path,
            line,
            column,
            message,
        } => wit::ErrorDetail::IndexMalformed(wit::ParseFailure {
            path,
            line,
            column,
            message,
        }),
        Error::IndexInvalid { path, problem } | Error::OciInvalid { path, problem } => {
            wit::ErrorDetail::IndexInvalid(wit::IndexProblem { path, problem })
        }
        Error::UnknownPlugin {
            name,
            registry,
            available,
        } => wit::ErrorDetail::UnknownPlugin(wit::NameNotFound {
            name,
            registry,
            available,
        }),
        Error::UnknownVersion {
            name,
            requested,
            requirement,
            available,
            pre_releases,
        } => wit::ErrorDetail::UnknownVersion(wit::VersionNotFound {
            name,
            requested,
            requirement,
            available,
            pre_releases,
        }),
        Error::InvalidName { name, reason } => {
            wit::ErrorDetail::InvalidName(rejected(name, reason))
        }
        Error::NotGranted { path, link } => {
            let (link, link_target) = link.unzip();
            let link_target = link_target.flatten();
            wit::ErrorDetail::NotGranted(wit::OutsideGrants {
                path,
                link,
                link_target,
            })
        }
        Error::NotRegularFile { path, found } => {
            wit::ErrorDetail::NotRegularFile(rejected(path, found))
        }
        Error::UnsupportedLocation { location, reason } => {
            wit::ErrorDetail::UnsupportedLocation(rejected(location, reason))
        }
        Error::TrustRootInvalid { path, reason } => {
            wit::ErrorDetail::TrustRootInvalid(rejected(path, reason))
        }
        Error::AlreadyExists(path) => wit::ErrorDetail::AlreadyExists(path),
        Error::DowngradeRefused {
            name,
            installed,
            requested,
        } => wit::ErrorDetail::DowngradeRefused(wit::Downgrade {
            name,
            installed,
            requested,
        }),
        Error::NotInstalled {
            name,
            dest,
            installed,
        } => wit::ErrorDetail::NotInstalled(wit::NotInstalled {
            name,
            dest,
            installed,
        }),
        Error::EntryExists {
            name,
            version,
            registry,
        } => wit::ErrorDetail::EntryExists(wit::DuplicateEntry {
            name,
            version,
            registry,
        }),
        Error::KeyInvalid { path, reason } => wit::ErrorDetail::KeyInvalid(rejected(path, reason)),
        Error::InvalidRequest { value, reason } => {
            wit::ErrorDetail::InvalidRequest(rejected(value, reason))
        }
        Error::TooLarge { source, limit } => {
            wit::ErrorDetail::TooLarge(wit::SizeLimit { source, limit })
        }
        Error::IndexUntrusted { registry, reason } => {
            wit::ErrorDetail::IndexUntrusted(rejected(registry, reason))
        }
        Error::IndexExpired { registry, expires } => {
            wit::ErrorDetail::IndexExpired(wit::Expiry { registry, expires })
        }
        Error::IndexRollback {
            registry,
            seen,
            got,
        } => wit::ErrorDetail::IndexRollback(wit::Rollback {
            registry,
            seen,
            got,
        }),
        Error::SizeMismatch {
            source,
            expected,
            actual,
        } => wit::ErrorDetail::SizeMismatch(wit::SizeMismatch {
            source,
            expected,
            actual,
        }),
        Error::DigestMismatch {
            source,
            expected,
            actual,
        } => wit::ErrorDetail::DigestMismatch(wit::Mismatch {
            source,
            expected,
            actual,
        }),
        Error::SignatureMissing {
            artifact,
            looked_for,
        } => wit::ErrorDetail::SignatureMissing(rejected(artifact, looked_for)),
        Error::SignatureMalformed { source, reason } => {
            wit::ErrorDetail::SignatureMalformed(rejected(source, reason))
        }
        Error::Incompatible {
            artifact,
            world,
            mismatch,
            skipped,
        } => wit::ErrorDetail::Incompatible(wit::IncompatiblePlugin {
            artifact,
            world,
            mismatch,
            skipped,
        }),
        Error::MetadataMismatch {
            artifact,
            index,
            reason,
        } => wit::ErrorDetail::MetadataMismatch(wit::Misdescribed {
            artifact,
            index,
            reason,
        }),
        Error::CapabilityDenied { artifact, denied } => {
            wit::ErrorDetail::CapabilityDenied(wit::DeniedImports { artifact, denied })
        }
        Error::SignatureInsufficient { artifact, reason } => {
            wit::ErrorDetail::SignatureInsufficient(rejected(artifact, reason))
        }
        Error::SigstoreUnverified {
            artifact,
            bundle,
            check,
            reason,
        } => wit::ErrorDetail::SigstoreUnverified(wit::SigstoreFailure {
            artifact,
            bundle,
            check,
            reason,
        }),
        Error::MinisignUnverified {
            artifact,
            minisig,
            check,
            reason,
        } => wit::ErrorDetail::MinisignUnverified(wit::MinisignFailure {
            artifact,
            minisig,
            check,
            reason,
        }),
        Error::SignatureUntrusted {
            artifact,
            trust_root,
            keys,
        } => wit::ErrorDetail::SignatureUntrusted(wit::Untrusted {
            artifact,
            trust_root,
            keys,
        }),
        Error::FetchFailed { url, cause, .. } => wit::ErrorDetail::FetchFailed(wit::FetchFailure {
            url,
            cause: fetch_to_wit(cause),
        }),
        Error::Io {
            path,
            operation,
            message,
        } => wit::ErrorDetail::Io(wit::IoFailure {
            path,
            operation: operation.to_string(),
            message,
        }),
    }
}

fn fetch_to_wit(e: FetchError) -> host::FetchError {
    match e {
        FetchError::UnsupportedScheme(s) => host::FetchError::UnsupportedScheme(s),
        FetchError::InvalidUrl(s) => host::FetchError::InvalidUrl(s),
        FetchError::Connect(s) => host::FetchError::Connect(s),
        FetchError::HttpStatus(code) => host::FetchError::HttpStatus(code),
        FetchError::Timeout(s) => host::FetchError::Timeout(s),
        FetchError::Truncated(got, announced) => host::FetchError::Truncated((got, announced)),
        FetchError::Tls(s) => host::FetchError::Tls(s),
        FetchError::Protocol(s) => host::FetchError::Protocol(s),
        FetchError::Transport(s) => host::FetchError::Transport(s),
    }
}
