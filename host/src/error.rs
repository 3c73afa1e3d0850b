//! The one error type of the library, and the one place where failures
//! become messages, kinds and exit codes.
//!
//! Exit codes: 0 ok; 1 integrity or trust failure (digest mismatch; missing,
//! malformed or untrusted signature; an untrusted, expired or rolled-back
//! index); 2 bad input or usage (malformed index, unknown plugin or version,
//! invalid name, path outside the grants, unusable trust root, key or
//! location, refused downgrade, existing entry); 3 fetch or I/O failure (a
//! lock not obtained in time, a deadline or memory cap reached, and a failure
//! of the runtime itself); 128 + N when signal N stopped the run. Every
//! message says what was wrong and what to do.

use crate::engine::{FetchError, wit};
use crate::interrupt::Stop;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Exit code: an artefact failed an integrity or trust check.
pub const EXIT_INTEGRITY: u8 = 1;
/// Exit code: the request or its input is wrong.
pub const EXIT_INPUT: u8 = 2;
/// Exit code: fetching or local I/O failed.
pub const EXIT_IO: u8 = 3;

/// Declares [`ErrorKind`] from one table: each case, its kebab-case name
/// and the exit code it usually gives (a fetch of a URL the host cannot
/// fetch at all, and a signal, decide theirs in `Failure::exit_code`).
macro_rules! error_kinds {
    ($($(#[$doc:meta])* $kind:ident = $name:literal, $code:ident;)*) => {
        /// What kind of failure an [`Error`] is: one per case, stable for
        /// scripts under its [`name`](ErrorKind::name) (`--json`'s `kind`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $($(#[$doc])* $kind,)*
        }

        impl ErrorKind {
            /// The kebab-case name (`digest-mismatch`).
            pub fn name(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => $name,)*
                }
            }

            /// The kind of this kebab-case name.
            pub fn named(name: &str) -> Option<ErrorKind> {
                match name {
                    $($name => Some(ErrorKind::$kind),)*
                    _ => None,
                }
            }

            /// The exit code this kind gives (but see [`Error::exit_code`]).
            fn exit_code(self) -> u8 {
                match self {
                    $(ErrorKind::$kind => $code,)*
                }
            }
        }
    };
}

error_kinds! {
    /// The artefact's SHA-256 is not the index's.
    DigestMismatch = "digest-mismatch", EXIT_INTEGRITY;
    /// The artefact's size is not the index's.
    SizeMismatch = "size-mismatch", EXIT_INTEGRITY;
    /// A trust root requires a signature and there is none.
    SignatureMissing = "signature-missing", EXIT_INTEGRITY;
    /// A signature that is not 64 bytes of base64.
    SignatureMalformed = "signature-malformed", EXIT_INTEGRITY;
    /// No trusted key verifies the signature.
    SignatureUntrusted = "signature-untrusted", EXIT_INTEGRITY;
    /// Fewer signatures than `root.json`'s roles require.
    SignatureInsufficient = "signature-insufficient", EXIT_INTEGRITY;
    /// A Sigstore bundle does not verify (its `check` names what failed).
    SigstoreUnverified = "sigstore-unverified", EXIT_INTEGRITY;
    /// A minisign signature does not verify (its `check` names what failed).
    MinisignUnverified = "minisign-unverified", EXIT_INTEGRITY;
    /// The plugin imports what the capability policy refuses.
    CapabilityDenied = "capability-denied", EXIT_INTEGRITY;
    /// The plugin does not fit the runtime's world.
    Incompatible = "incompatible", EXIT_INTEGRITY;
    /// An index entry's imports or exports are not the bytes'.
    MetadataMismatch = "metadata-mismatch", EXIT_INTEGRITY;
    /// The index's signature is missing, or does not verify.
    IndexUntrusted = "index-untrusted", EXIT_INTEGRITY;
    /// The index is past its `expires`.
    IndexExpired = "index-expired", EXIT_INTEGRITY;
    /// The index is older than one seen before from the same registry.
    IndexRollback = "index-rollback", EXIT_INTEGRITY;
    /// The index is not JSON of the index's shape.
    IndexMalformed = "index-malformed", EXIT_INPUT;
    /// `wasm-plugin.toml` is not a manifest.
    ManifestInvalid = "manifest-invalid", EXIT_INPUT;
    /// The index parses but breaks a rule (duplicates, bad digests, size).
    IndexInvalid = "index-invalid", EXIT_INPUT;
    /// No plugin of that name in the registry.
    UnknownPlugin = "unknown-plugin", EXIT_INPUT;
    /// No version of the plugin matches.
    UnknownVersion = "unknown-version", EXIT_INPUT;
    /// A plugin name that cannot be a file name everywhere.
    InvalidName = "invalid-name", EXIT_INPUT;
    /// A path outside what the component was granted.
    NotGranted = "not-granted", EXIT_INPUT;
    /// A link, directory or device where a regular file belongs.
    NotRegularFile = "not-regular-file", EXIT_INPUT;
    /// A location the installer cannot fetch from (a scheme, credentials).
    UnsupportedLocation = "unsupported-location", EXIT_INPUT;
    /// A trust root that cannot be used.
    TrustRootInvalid = "trust-root-invalid", EXIT_INPUT;
    /// Something would be overwritten without `--force`.
    AlreadyExists = "already-exists", EXIT_INPUT;
    /// An older version than installed, without `--allow-downgrade`.
    DowngradeRefused = "downgrade-refused", EXIT_INPUT;
    /// The plugin is not installed.
    NotInstalled = "not-installed", EXIT_INPUT;
    /// The index already lists that name and version.
    EntryExists = "entry-exists", EXIT_INPUT;
    /// A key file that cannot be used.
    KeyInvalid = "key-invalid", EXIT_INPUT;
    /// A request the installer cannot carry out as asked.
    InvalidRequest = "invalid-request", EXIT_INPUT;
    /// A download over `--max-size` or the entry's size.
    TooLarge = "too-large", EXIT_INPUT;
    /// A fetch failed (network, TLS, HTTP status).
    FetchFailed = "fetch-failed", EXIT_IO;
    /// Local I/O failed.
    Io = "io", EXIT_IO;
    /// Flags or paths that cannot be used, found before the component runs.
    Usage = "usage", EXIT_INPUT;
    /// Another run held the plugins directory's lock too long.
    LockTimeout = "lock-timeout", EXIT_IO;
    /// The runtime failed (compile, instantiate, trap).
    Runtime = "runtime", EXIT_IO;
    /// The call ran past `--deadline`.
    DeadlineExceeded = "deadline-exceeded", EXIT_IO;
    /// The call needed more than `--max-memory`.
    MemoryLimit = "memory-limit", EXIT_IO;
    /// SIGINT or SIGTERM stopped the run.
    Interrupted = "interrupted", EXIT_IO;
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for ErrorKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl PartialEq<str> for ErrorKind {
    fn eq(&self, name: &str) -> bool {
        self.name() == name
    }
}

impl PartialEq<&str> for ErrorKind {
    fn eq(&self, name: &&str) -> bool {
        self.name() == *name
    }
}

/// The component's error record (WIT `error`): its message and hint, in the
/// component's words, and [`detail`](ComponentError::detail), the case with
/// its fields. A failed plugin of a sync carries one
/// ([`SyncChange::error`](crate::SyncChange::error)); [`Error`] wraps one
/// for a failed call.
pub use wit::Error as ComponentError;
/// The case of a [`ComponentError`], with the fields its message was made from.
pub use wit::ErrorDetail;

impl ComponentError {
    /// The case (`digest-mismatch`, ...).
    pub fn kind(&self) -> ErrorKind {
        use wit::ErrorDetail as E;
        match &self.detail {
            E::IndexMalformed(_) => ErrorKind::IndexMalformed,
            E::ManifestInvalid(_) => ErrorKind::ManifestInvalid,
            E::IndexInvalid(_) => ErrorKind::IndexInvalid,
            E::UnknownPlugin(_) => ErrorKind::UnknownPlugin,
            E::UnknownVersion(_) => ErrorKind::UnknownVersion,
            E::InvalidName(_) => ErrorKind::InvalidName,
            E::NotGranted(_) => ErrorKind::NotGranted,
            E::NotRegularFile(_) => ErrorKind::NotRegularFile,
            E::UnsupportedLocation(_) => ErrorKind::UnsupportedLocation,
            E::TrustRootInvalid(_) => ErrorKind::TrustRootInvalid,
            E::AlreadyExists(_) => ErrorKind::AlreadyExists,
            E::DowngradeRefused(_) => ErrorKind::DowngradeRefused,
            E::NotInstalled(_) => ErrorKind::NotInstalled,
            E::EntryExists(_) => ErrorKind::EntryExists,
            E::KeyInvalid(_) => ErrorKind::KeyInvalid,
            E::InvalidRequest(_) => ErrorKind::InvalidRequest,
            E::TooLarge(_) => ErrorKind::TooLarge,
            E::IndexUntrusted(_) => ErrorKind::IndexUntrusted,
            E::IndexExpired(_) => ErrorKind::IndexExpired,
            E::IndexRollback(_) => ErrorKind::IndexRollback,
            E::SizeMismatch(_) => ErrorKind::SizeMismatch,
            E::DigestMismatch(_) => ErrorKind::DigestMismatch,
            E::SignatureMissing(_) => ErrorKind::SignatureMissing,
            E::SignatureMalformed(_) => ErrorKind::SignatureMalformed,
            E::SignatureUntrusted(_) => ErrorKind::SignatureUntrusted,
            E::SignatureInsufficient(_) => ErrorKind::SignatureInsufficient,
            E::SigstoreUnverified(_) => ErrorKind::SigstoreUnverified,
            E::MinisignUnverified(_) => ErrorKind::MinisignUnverified,
            E::Stopped(stop) => ErrorKind::named(&stop.kind).unwrap_or(ErrorKind::Runtime),
            E::CapabilityDenied(_) => ErrorKind::CapabilityDenied,
            E::Incompatible(_) => ErrorKind::Incompatible,
            E::MetadataMismatch(_) => ErrorKind::MetadataMismatch,
            E::FetchFailed(_) => ErrorKind::FetchFailed,
            E::Io(_) => ErrorKind::Io,
        }
    }

    /// The exit code the CLI uses for it.
    pub fn exit_code(&self) -> u8 {
        match &self.detail {
            // Retrying cannot help with a URL this host cannot fetch at all.
            wit::ErrorDetail::FetchFailed(f)
                if matches!(
                    f.cause,
                    FetchError::UnsupportedScheme(_) | FetchError::InvalidUrl(_)
                ) =>
            {
                EXIT_INPUT
            }
            _ => self.kind().exit_code(),
        }
    }

    /// As the library's [`Error`] (the same case, message and exit code).
    pub fn into_error(self) -> Error {
        Error::from(Failure::installer(self))
    }

    /// The message, then the hint on the lines after it: what the CLI prints.
    pub fn text(&self) -> String {
        match &self.hint {
            Some(hint) => format!("{}\n{hint}", self.message),
            None => self.message.clone(),
        }
    }
}

/// Why an operation failed.
///
/// [`kind`](Error::kind) names the case in kebab-case (`digest-mismatch`,
/// `unknown-plugin`, ...), as `wasm-plugin --json` does;
/// [`exit_code`](Error::exit_code) is the code the CLI exits with; `Display`
/// is the message it prints, which says what was wrong and what to do.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wasm_plugin::{Installer, VerifyRequest};
///
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("p.wasm");
/// std::fs::write(&file, b"not signed")?;
/// let trust = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/registry/trust");
/// let installer = Installer::new()?;
/// let err = installer
///     .verify(&VerifyRequest::new(&file).trust_root(trust))
///     .unwrap_err();
/// assert_eq!(err.kind(), "signature-missing");
/// assert_eq!(err.exit_code(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Error(Box<Failure>);

impl Error {
    /// The case, whose [`name`](ErrorKind::name) is the kebab-case word
    /// scripts read (it compares equal to that word: `err.kind() ==
    /// "digest-mismatch"`).
    pub fn kind(&self) -> ErrorKind {
        self.0.kind()
    }

    /// The exit code the CLI uses for it: 1 integrity or trust, 2 bad input,
    /// 3 fetch, I/O or runtime, 128 + N for signal N.
    pub fn exit_code(&self) -> u8 {
        self.0.exit_code()
    }

    /// The component's case and its fields, when the component refused
    /// (`None` for a failure of the host: a lock, a deadline, a signal).
    pub fn detail(&self) -> Option<&ErrorDetail> {
        match &*self.0 {
            Failure::Installer(e) => Some(&e.detail),
            _ => None,
        }
    }

    /// What to do about it, when there is something to say: the
    /// component's words for its refusals, the host's for its own failures
    /// (a deadline, the memory cap, a lock held too long).
    ///
    /// `Display` is [`message`](Error::message), then the hint on the
    /// lines after it.
    pub fn hint(&self) -> Option<String> {
        self.0.words().1
    }

    /// What was wrong, without the hint.
    pub fn message(&self) -> String {
        self.0.words().0
    }

    /// Whether the component was stopped mid-call (a trap, the deadline, the
    /// memory cap, a signal): then it cleaned nothing up itself.
    pub(crate) fn is_trap(&self) -> bool {
        self.0.is_trap()
    }

    /// The signal that stopped the run, if one did.
    pub fn signal(&self) -> Option<i32> {
        match *self.0 {
            Failure::Interrupted { signal } => Some(signal),
            _ => None,
        }
    }

    /// A host failure as the error of a sync job's change: the host's words,
    /// its kind in the `stopped` case (so the change's kind and exit code
    /// are this error's).
    pub(crate) fn as_stopped(&self, what: &str) -> ComponentError {
        ComponentError {
            message: self.to_string(),
            hint: None,
            detail: ErrorDetail::Stopped(wit::StoppedCall {
                what: what.to_string(),
                kind: self.kind().name().to_string(),
            }),
        }
    }

    /// The component's error, or this error back when the host failed.
    pub(crate) fn into_component(self) -> Result<ComponentError, Error> {
        match *self.0 {
            Failure::Installer(e) => Ok(*e),
            other => Err(Error::from(other)),
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Error {
        Error::from(Failure::Usage(message.into()))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message())
    }
}

impl std::error::Error for Error {}

/// `{kind, message, exit_code, details}`: the CLI's `--json` error (under
/// `"error"`), `details` being the case's fields.
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("Error", 4)?;
        out.serialize_field("kind", &self.kind())?;
        out.serialize_field("message", &self.to_string())?;
        out.serialize_field("exit_code", &self.exit_code())?;
        out.serialize_field("details", &self.0.details())?;
        out.end()
    }
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Error {
        Error(Box::new(f))
    }
}

/// Everything an operation can fail with.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The component refused or failed, with its typed error (boxed: it is
    /// large, and most results are not errors).
    Installer(Box<ComponentError>),
    /// A request whose paths or values cannot be used (checked before the
    /// component runs).
    Usage(String),
    /// Local I/O by the host itself.
    Io {
        path: PathBuf,
        action: &'static str,
        error: std::io::Error,
    },
    /// Something other than what the host expects where it keeps its lock
    /// (`<dest>/.wasm-plugin/` and its `lock`), never followed.
    UnsafeStatePath {
        path: PathBuf,
        /// What is there, in words.
        found: String,
        /// What should be there.
        wanted: &'static str,
    },
    /// Another run held the destination's lock for longer than allowed.
    LockTimeout { path: PathBuf, waited: Duration },
    /// The runtime failed (compile, instantiate, trap).
    Runtime(wasmtime::Error),
    /// The component ran past its execution deadline (`--deadline`) and was
    /// stopped; what it had staged was removed.
    DeadlineExceeded { deadline: Duration },
    /// The component needed more memory than allowed (`--max-memory`).
    MemoryLimit { limit: usize },
    /// SIGINT or SIGTERM arrived: the component was stopped and what it
    /// had staged was removed. Carries the signal number.
    Interrupted { signal: i32 },
}

impl Failure {
    pub(crate) fn io(path: &Path, action: &'static str, error: std::io::Error) -> Failure {
        Failure::Io {
            path: path.to_path_buf(),
            action,
            error,
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Installer(e) => e.exit_code(),
            // As a shell reports a process a signal ended: 130, 143.
            Failure::Interrupted { signal } => (128 + signal).clamp(0, 255) as u8,
            other => other.kind().exit_code(),
        }
    }

    /// The case, for scripts (`--json`) and the exit code.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Failure::Installer(e) => e.kind(),
            Failure::Usage(_) => ErrorKind::Usage,
            // Something other than a regular file where the lock belongs:
            // the component's own word for that.
            Failure::UnsafeStatePath { .. } => ErrorKind::NotRegularFile,
            Failure::Io { .. } => ErrorKind::Io,
            Failure::LockTimeout { .. } => ErrorKind::LockTimeout,
            Failure::Runtime(_) => ErrorKind::Runtime,
            Failure::DeadlineExceeded { .. } => ErrorKind::DeadlineExceeded,
            Failure::MemoryLimit { .. } => ErrorKind::MemoryLimit,
            Failure::Interrupted { .. } => ErrorKind::Interrupted,
        }
    }

    /// The message and the hint: the component's own two, or the host's
    /// text split where it turns to what to do (its first line break).
    fn words(&self) -> (String, Option<String>) {
        match self {
            Failure::Installer(e) => (e.message.clone(), e.hint.clone()),
            other => match other.message().split_once('\n') {
                Some((message, hint)) => (message.to_string(), Some(hint.to_string())),
                None => (other.message(), None),
            },
        }
    }

    pub fn message(&self) -> String {
        match self {
            Failure::Installer(e) => e.text(),
            Failure::Usage(text) => text.clone(),
            Failure::Io {
                path,
                action,
                error,
            } => format!("cannot {action} {}: {error}", path.display()),
            Failure::UnsafeStatePath {
                path,
                found,
                wanted,
            } => format!(
                "{} is {found}, not {wanted}; wasm-plugin keeps its lock and records there and \
                 never follows a link out of the plugins directory\nremove it (the link itself, \
                 not what it points to) and run the command again",
                path.display()
            ),
            Failure::LockTimeout { path, waited } => format!(
                "another wasm-plugin run kept {} locked for {}s; try again later, or raise --lock-timeout",
                path.display(),
                waited.as_secs()
            ),
            Failure::Runtime(e) => format!(
                "the installer component failed: {e:#}\n\
                 this is a bug or a resource limit; nothing was installed"
            ),
            Failure::DeadlineExceeded { deadline } => format!(
                "the installer ran for longer than its deadline of {} and was stopped; nothing was \
                 installed and the previous plugin is as it was\n\
                 raise the limit with --deadline if the work really takes that long",
                humantime::format_duration(*deadline)
            ),
            Failure::MemoryLimit { limit } => format!(
                "the installer needed more than its {} MiB of memory and was stopped; nothing \
                 was installed and the previous plugin is as it was\n\
                 raise the limit with --max-memory (an index is read whole; artefacts are streamed)",
                limit >> 20
            ),
            Failure::Interrupted { signal } => format!(
                "interrupted by {}; the installer was stopped, its temp files removed, and the \
                 previous plugin is as it was",
                signal_name(*signal)
            ),
        }
    }

    fn details(&self) -> Value {
        match self {
            // `{"kind": ..., "value": ...}` (see `wasm_plugin_derive`): the
            // value, as an object (a case carrying one plain value, like
            // `already-exists(path)`, as `{"value": ...}`).
            Failure::Installer(e) => match serde_json::to_value(&e.detail) {
                Ok(Value::Object(mut map)) => match map.remove("value") {
                    Some(Value::Object(fields)) => Value::Object(fields),
                    Some(value) => json!({"value": value}),
                    None => Value::Null,
                },
                _ => Value::Null,
            },
            Failure::Io { path, action, .. } => json!({"path": path, "action": action}),
            Failure::LockTimeout { path, waited } => {
                json!({"path": path, "waited_seconds": waited.as_secs()})
            }
            // As the component's `not-regular-file` details are.
            Failure::UnsafeStatePath { path, found, .. } => {
                json!({"value": path, "reason": found})
            }
            Failure::DeadlineExceeded { deadline } => {
                json!({"deadline_seconds": deadline.as_secs_f64()})
            }
            Failure::Interrupted { signal } => json!({"signal": signal_name(*signal)}),
            Failure::MemoryLimit { limit } => json!({"limit_bytes": limit}),
            Failure::Usage(_) | Failure::Runtime(_) => Value::Null,
        }
    }
}

impl From<wasmtime::Error> for Failure {
    fn from(e: wasmtime::Error) -> Failure {
        match crate::interrupt::stop_of(&e) {
            Some(Stop::Deadline(deadline)) => Failure::DeadlineExceeded { deadline },
            Some(Stop::Signal(signal)) => Failure::Interrupted { signal },
            Some(Stop::Memory(limit)) => Failure::MemoryLimit { limit },
            None => Failure::Runtime(e),
        }
    }
}

impl Failure {
    /// Whether the component was stopped or trapped mid-call, so that what
    /// it staged was never cleaned up by the component itself.
    pub fn is_trap(&self) -> bool {
        matches!(
            self,
            Failure::Runtime(_)
                | Failure::DeadlineExceeded { .. }
                | Failure::Interrupted { .. }
                | Failure::MemoryLimit { .. }
        )
    }
}

impl Failure {
    /// The component's error, with what only the host can see added.
    pub(crate) fn installer(mut e: ComponentError) -> Failure {
        name_link_target(&mut e);
        Failure::Installer(Box::new(e))
    }
}

/// The sandbox cannot read where a link out of it points (WASI refuses
/// absolute link targets), so the host, which can, adds it: a message that
/// says where a link leads is the one that lets the user act.
fn name_link_target(e: &mut ComponentError) {
    match &mut e.detail {
        wit::ErrorDetail::NotGranted(g) if g.link_target.is_none() => {
            let Some(link) = &g.link else { return };
            let Some(target) = link_target(link) else {
                return;
            };
            // The component's words for a target it could not read.
            e.message = e.message.replace(
                &format!("{link} is {LINK} to a place outside the grants"),
                &format!("{link} is {LINK} to {target}"),
            );
            g.link_target = Some(target);
        }
        wit::ErrorDetail::NotRegularFile(r) if r.reason == LINK => {
            let Some(target) = link_target(&r.value) else {
                return;
            };
            let value = &r.value;
            e.message = e.message.replace(
                &format!("{value} is {LINK}, not"),
                &format!("{value} is {LINK} to {target}, not"),
            );
            r.reason = format!("{LINK} to {target}");
        }
        _ => {}
    }
}

/// How the component describes a link whose target it could not read.
const LINK: &str = "a symbolic link";

fn link_target(path: &str) -> Option<String> {
    std::fs::read_link(path)
        .ok()
        .map(|target| target.display().to_string())
}

/// Adds where a link points to an audit finding about one (see
/// `name_link_target`).
pub(crate) fn name_link_targets(report: &mut wit::AuditReport) {
    let prefix = format!("{LINK} where");
    let findings = report
        .plugins
        .iter_mut()
        .flat_map(|p| p.findings.iter_mut())
        .filter(|f| f.kind == wit::FindingKind::NotRegularFile);
    for finding in findings {
        if let Some(rest) = finding.detail.strip_prefix(&prefix)
            && let Some(target) = link_target(&finding.path)
        {
            finding.detail = format!("{LINK} to {target} where{rest}");
        }
    }
}

/// `SIGINT`, `SIGTERM`, or the number.
pub(crate) fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGINT => "SIGINT".into(),
        libc::SIGTERM => "SIGTERM".into(),
        other => format!("signal {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_kebab_case_name_and_compares_equal_to_it() {
        let failures = [
            Failure::Usage("x".into()),
            Failure::LockTimeout {
                path: "/p".into(),
                waited: Duration::from_secs(1),
            },
            Failure::DeadlineExceeded {
                deadline: Duration::from_secs(1),
            },
            Failure::MemoryLimit { limit: 1 << 20 },
            Failure::Interrupted { signal: 15 },
        ];
        let names: Vec<&str> = failures.iter().map(|f| f.kind().name()).collect();
        assert_eq!(
            names,
            [
                "usage",
                "lock-timeout",
                "deadline-exceeded",
                "memory-limit",
                "interrupted"
            ]
        );
        for failure in &failures {
            let kind = failure.kind();
            assert!(kind == kind.name());
            assert_eq!(format!("{kind}"), kind.name());
            assert!(
                kind.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-')
            );
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                Value::from(kind.name())
            );
        }
        // The exit code comes from the kind's row, but a signal's is its own.
        assert_eq!(failures[0].exit_code(), EXIT_INPUT);
        assert_eq!(failures[1].exit_code(), EXIT_IO);
        assert_eq!(failures[4].exit_code(), 143);
    }

    #[test]
    fn a_host_failure_has_its_message_and_hint_apart_and_display_joins_them() {
        let error = Error::from(Failure::DeadlineExceeded {
            deadline: Duration::from_secs(2),
        });
        assert!(
            error
                .message()
                .starts_with("the installer ran for longer than its deadline")
        );
        let hint = error.hint().expect("a hint");
        assert!(hint.contains("--deadline"), "{hint}");
        assert_eq!(error.to_string(), format!("{}\n{hint}", error.message()));
        let usage = Error::usage("--dest is required");
        assert_eq!(usage.message(), "--dest is required");
        assert_eq!(usage.hint(), None);
    }
}
