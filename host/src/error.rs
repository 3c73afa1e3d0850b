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

    /// The case's fields as JSON (`details` in the CLI's `--json` errors).
    pub fn details(&self) -> serde_json::Value {
        self.0.details()
    }

    /// `{"error": {kind, message, exit_code, details}}`, the CLI's `--json` form.
    pub fn to_json(&self) -> serde_json::Value {
        self.0.to_json()
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

impl From<Failure> for Error {
    fn from(f: Failure) -> Error {
        Error(Box::new(f))
    }
}

impl From<wit::Error> for Error {
    fn from(e: wit::Error) -> Error {
        Error::from(Failure::from(e))
    }
}

/// Everything an operation can fail with.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The component refused or failed, with its typed error.
    Installer(wit::Error),
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
            // Retrying cannot help with a URL this host cannot fetch at all.
            Failure::Installer(wit::Error::FetchFailed(f))
                if matches!(
                    f.cause,
                    FetchError::UnsupportedScheme(_) | FetchError::InvalidUrl(_)
                ) =>
            {
                EXIT_INPUT
            }
            // As a shell reports a process a signal ended: 130, 143.
            Failure::Interrupted { signal } => (128 + signal).clamp(0, 255) as u8,
            other => other.kind().exit_code(),
        }
    }

    /// The case, for scripts (`--json`) and the exit code.
    pub fn kind(&self) -> ErrorKind {
        use wit::Error as E;
        match self {
            Failure::Installer(e) => match e {
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
                E::CapabilityDenied(_) => ErrorKind::CapabilityDenied,
                E::Incompatible(_) => ErrorKind::Incompatible,
                E::MetadataMismatch(_) => ErrorKind::MetadataMismatch,
                E::FetchFailed(_) => ErrorKind::FetchFailed,
                E::Io(_) => ErrorKind::Io,
            },
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

    pub fn message(&self) -> String {
        match self {
            Failure::Installer(e) => installer_message(e),
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

    /// The `--json` form: `{"error": {kind, message, exit_code, details}}`.
    pub fn to_json(&self) -> Value {
        json!({"error": {
            "kind": self.kind(),
            "message": self.message(),
            "exit_code": self.exit_code(),
            "details": self.details(),
        }})
    }

    fn details(&self) -> Value {
        match self {
            // Externally tagged: `{"DigestMismatch": {...}}`; keep the inside,
            // its own nested causes in the one shape (`kind`, kebab-case).
            Failure::Installer(e) => match serde_json::to_value(e) {
                Ok(Value::Object(map)) => map
                    .into_iter()
                    .next()
                    .map(|(_, v)| match tagged_as_kind(v) {
                        // A case carrying one value (`already-exists(path)`):
                        // details are an object, or null.
                        Value::Object(fields) => Value::Object(fields),
                        value => json!({"value": value}),
                    })
                    .unwrap_or(Value::Null),
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

/// serde's externally tagged variants (`{"HttpStatus": 404}`, a nested
/// cause) in the shape the top level uses: `{"kind": "http-status",
/// "value": 404}`, or the variant's own fields beside `kind` when it has
/// some. Field names (snake_case) never start with a capital, so a
/// one-key object whose key does is a variant.
fn tagged_as_kind(value: Value) -> Value {
    match value {
        Value::Object(map)
            if map.len() == 1 && map.keys().all(|k| k.starts_with(char::is_uppercase)) =>
        {
            let (tag, inner) = map.into_iter().next().expect("one key");
            let kind = kebab(&tag);
            match tagged_as_kind(inner) {
                Value::Object(mut fields) => {
                    fields.insert("kind".into(), Value::String(kind));
                    Value::Object(fields)
                }
                other => json!({"kind": kind, "value": other}),
            }
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, tagged_as_kind(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(tagged_as_kind).collect()),
        other => other,
    }
}

/// `HttpStatus` -> `http-status`.
fn kebab(pascal: &str) -> String {
    let mut out = String::new();
    for (i, c) in pascal.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('-');
        }
        out.extend(c.to_lowercase());
    }
    out
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

impl From<wit::Error> for Failure {
    fn from(mut e: wit::Error) -> Failure {
        name_link_target(&mut e);
        Failure::Installer(e)
    }
}

/// The sandbox cannot read where a link out of it points (WASI refuses
/// absolute link targets), so the host, which can, adds it: a message that
/// says where a link leads is the one that lets the user act.
fn name_link_target(e: &mut wit::Error) {
    match e {
        wit::Error::NotGranted(g) if g.link_target.is_none() => {
            if let Some(link) = &g.link {
                g.link_target = link_target(link);
            }
        }
        wit::Error::NotRegularFile(r) if r.reason == LINK => {
            if let Some(target) = link_target(&r.value) {
                r.reason = format!("{LINK} to {target}");
            }
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

fn installer_message(e: &wit::Error) -> String {
    use wit::Error as E;
    match e {
        E::ManifestInvalid(p) => format!(
            "{}:{}:{}: {}\nfix wasm-plugin.toml (see the README's \"Plugin sets\"), or name \
             another one with --config",
            p.path, p.line, p.column, p.message
        ),
        E::IndexMalformed(p) => format!(
            "{}:{}:{}: the registry index is malformed: {}\n\
             fix the JSON (schema: {{\"schema_version\": \"1\", \"plugins\": [...]}}) or ask the registry's publisher",
            p.path, p.line, p.column, p.message
        ),
        E::IndexInvalid(p) => format!(
            "the registry index {} is invalid: {}\nask the registry's publisher to fix it",
            p.path, p.problem
        ),
        E::UnknownPlugin(n) => {
            let offer = if n.available.is_empty() {
                "it lists no plugins".to_string()
            } else {
                format!("it has: {}", n.available.join(", "))
            };
            format!(
                "no plugin named '{}' in {}; {offer}\nrun `wasm-plugin list --registry {}` to see what it offers",
                n.name, n.registry, n.registry
            )
        }
        E::UnknownVersion(v) => {
            let available = match v.available.is_empty() {
                true => "none that is not yanked".to_string(),
                false => v.available.join(", "),
            };
            // Semver passes pre-releases over unless the requirement names
            // one: say so, or a beta published alone looks missing.
            let skipped = match v.pre_releases.first() {
                None => String::new(),
                Some(newest) => format!(
                    "\n{} {}, which a requirement matches only when it names one \
                     (e.g. {}@^{newest}); {}@={newest} takes exactly that one",
                    v.pre_releases.join(", "),
                    if v.pre_releases.len() == 1 {
                        "is a pre-release"
                    } else {
                        "are pre-releases"
                    },
                    v.name,
                    v.name
                ),
            };
            match v.requirement {
                false if v.requested.is_empty() => format!(
                    "every version of '{}' is yanked; name one exactly ({}@=VERSION, see \
                     `wasm-plugin info {}`) to install it anyway",
                    v.name, v.name, v.name
                ),
                true => format!(
                    "no version of '{}' matches {}; available: {available}{skipped}\n\
                     change the requirement, or name one exactly as {}@=VERSION",
                    v.name, v.requested, v.name
                ),
                false => format!(
                    "plugin '{}' has no version '{}'; available: {available}\n\
                     name one of those exactly ({}@=VERSION), or give no version for the highest",
                    v.name, v.requested, v.name
                ),
            }
        }
        E::InvalidName(r) => format!(
            "invalid name '{}': {}\nplugin names and key labels match ^[A-Za-z0-9][A-Za-z0-9._-]{{0,127}}$ \
             and are not a Windows device name (CON, NUL, COM1, ...)",
            r.value, r.reason
        ),
        E::NotGranted(g) => match (&g.link, &g.link_target) {
            (Some(link), target) => format!(
                "{} leads outside the directories granted to the installer: {link} is a symbolic \
                 link to {}\nthe sandbox never follows a link out of a granted directory, and \
                 granting the link's target does not change that; copy the file in place of the \
                 link, or point the registry at the target's real path and grant that with \
                 --allow-read",
                g.path,
                target.as_deref().unwrap_or("a place outside the grants")
            ),
            (None, _) => {
                let dir = Path::new(&g.path)
                    .parent()
                    .map(|d| d.display().to_string())
                    .unwrap_or_else(|| g.path.clone());
                format!(
                    "{} is outside the directories the installer may read\n\
                     grant it with --allow-read {dir} (the installer sees only the registry's \
                     directory, the trust root, the destination and --allow-read directories)",
                    g.path
                )
            }
        },
        E::NotRegularFile(r) => format!(
            "{} is {}, not a regular file; the installer reads only regular files (a named pipe \
             would block and a device never ends)\npoint at a regular file instead, or, in a \
             plugins directory, remove it (`wasm-plugin uninstall` removes a link, never its target)",
            r.value, r.reason
        ),
        E::UnsupportedLocation(r) => {
            format!("cannot use location '{}': {}", r.value, r.reason)
        }
        E::TrustRootInvalid(r) => format!(
            "cannot use trust root {}: {}\na trust root is a directory of *.pub files, each the base64 \
             of a raw 32-byte Ed25519 public key or a PEM PUBLIC KEY (openssl pkey -pubout)",
            r.value, r.reason
        ),
        E::AlreadyExists(path) => {
            format!(
                "{path} already exists; choose another name or directory, or remove it first \
                 (sign replaces a signature with --force)"
            )
        }
        E::DowngradeRefused(d) => format!(
            "refusing to downgrade '{}' from {} to {}\npass --allow-downgrade to install the lower version anyway",
            d.name, d.installed, d.requested
        ),
        E::NotInstalled(n) => {
            let installed = if n.installed.is_empty() {
                "nothing is installed there".to_string()
            } else {
                format!("installed: {}", n.installed.join(", "))
            };
            format!("'{}' is not installed in {}; {installed}", n.name, n.dest)
        }
        E::EntryExists(e) => format!(
            "{} already lists {} {}\npublish a new version, or pass --force to replace that entry \
             (to add your signature to it instead, for a root.json threshold: `wasm-plugin trust \
             sign --registry INDEX --entry NAME@VERSION --key KEY`)",
            e.registry, e.name, e.version
        ),
        E::KeyInvalid(r) => format!(
            "cannot use the key {}: {}\nkeys are Ed25519 PKCS#8 PEM private keys, as `wasm-plugin keygen` or \
             `openssl genpkey -algorithm ed25519` write them",
            r.value, r.reason
        ),
        E::InvalidRequest(r) => format!("{}: {}", r.value, r.reason),
        E::TooLarge(t) => format!(
            "{} is larger than the limit of {} bytes; nothing was installed\n\
             raise the limit with --max-size if the artefact really is that large",
            t.source, t.limit
        ),
        E::IndexUntrusted(r) => format!("refusing the registry index {}: {}", r.value, r.reason),
        E::IndexExpired(x) => format!(
            "the registry index {} expired at {}; a registry that stopped being updated may be \
             withholding fixes\nask its publisher to republish it, or pass --allow-expired to use it anyway",
            x.registry, x.expires
        ),
        E::IndexRollback(r) => format!(
            "the registry index {} is version {}, older than version {} seen before; an older index \
             could bring back versions that were withdrawn\nif the registry was really reset: for install, \
             upgrade and sync, run `wasm-plugin forget-registry {} --dest DIR`; for mirror, remove \
             the mirror's index.json",
            r.registry, r.got, r.seen, r.registry
        ),
        E::SizeMismatch(m) => format!(
            "size mismatch for {}: the registry publishes {} bytes, the source has {}\n\
             the bytes are not what the registry published; nothing was installed",
            m.source, m.expected, m.actual
        ),
        E::DigestMismatch(m) => format!(
            "digest mismatch for {}\n  expected sha256 {}\n  actual   sha256 {}\n\
             the bytes are not what the registry published; nothing was installed",
            m.source, m.expected, m.actual
        ),
        E::SignatureMissing(r) => format!(
            "{} is not signed (looked in {}), but a trust root was given\n\
             a trust root requires a signature; ask the publisher to sign it, or drop --trust-root \
             to accept unsigned plugins",
            r.value, r.reason
        ),
        E::SignatureMalformed(r) => format!(
            "malformed signature in {}: {}\na signature is the base64 of a raw 64-byte Ed25519 signature",
            r.value, r.reason
        ),
        E::CapabilityDenied(d) => format!(
            "{} imports what the capability policy forbids: {}\nnothing was placed; change \
             --allow-import/--deny-import (or the manifest's [policy]) if it may have them",
            d.artifact,
            d.denied.join("; ")
        ),
        E::Incompatible(i) => {
            let skipped: String = i
                .skipped
                .iter()
                .map(|u| format!("\n  skipped {}: {}", u.version, u.reason))
                .collect();
            format!(
                "{} does not fit the {}: {}{skipped}\nnothing was placed; a version built \
                 for that world installs (ask its publisher; in a plugin set, `wasm-plugin lock \
                 --upgrade NAME` pins another), and without a world (--world, or the manifest's \
                 world) any version installs",
                i.artifact, i.world, i.mismatch
            )
        }
        E::MetadataMismatch(m) => format!(
            "the index {} describes {} otherwise than its bytes are: {}\nnothing was placed; \
             ask the registry's publisher to publish it again (`wasm-plugin publish` reads \
             imports and exports from the file)",
            m.index, m.artifact, m.reason
        ),
        E::SignatureInsufficient(r) => format!(
            "{} is not signed as the trust root's root.json requires: {}\n\
             the roles in that root.json say which keys may sign which plugin names, and how many must",
            r.value, r.reason
        ),
        E::SignatureUntrusted(u) => format!(
            "the signature of {} does not verify against any key in the trust root {} (tried: {})\n\
             the artefact was altered or signed by a key you do not trust",
            u.artifact,
            u.trust_root,
            u.keys.join(", ")
        ),
        E::FetchFailed(f) => fetch_message(&f.url, &f.cause),
        E::Io(io) => format!("cannot {} {}: {}", io.operation, io.path, io.message),
    }
}

fn fetch_message(url: &str, cause: &FetchError) -> String {
    match cause {
        FetchError::UnsupportedScheme(scheme) => {
            format!(
                "cannot fetch {url}: the {scheme} scheme is not supported (use http:// or a local path)"
            )
        }
        FetchError::InvalidUrl(msg) => format!("cannot fetch {url}: invalid URL: {msg}"),
        FetchError::Connect(msg) => format!(
            "cannot connect to fetch {url}: {msg}\ncheck the address and that the server is reachable"
        ),
        FetchError::HttpStatus(code @ (401 | 403)) => {
            let plain = url.to_ascii_lowercase().starts_with("http://")
                && !crate::credentials::is_loopback(&crate::fetch::host_of(url));
            let note = if plain {
                "; credentials are never sent over plain http except to a loopback address, \
                 so use https for this registry"
            } else {
                ""
            };
            format!(
                "fetching {url} failed: the server answered HTTP {code}{}\n\
                 the registry wants credentials it was not given or does not accept: log in \
                 with `docker login` (wasm-plugin reads $DOCKER_CONFIG/config.json or \
                 ~/.docker/config.json), or pass a token with --registry-token-file or \
                 WASM_PLUGIN_REGISTRY_TOKEN{note}",
                status_reason(*code)
            )
        }
        FetchError::HttpStatus(code) => format!(
            "fetching {url} failed: the server answered HTTP {code}{}",
            status_reason(*code)
        ),
        FetchError::Timeout(msg) => format!("fetching {url} timed out: {msg}"),
        FetchError::Truncated((got, announced)) => format!(
            "fetching {url} failed: the connection ended after {got} of {announced} bytes; try again"
        ),
        FetchError::Transport(msg) => format!("fetching {url} failed: {msg}"),
        FetchError::Tls(msg) => format!("cannot fetch {url}: {msg}"),
        FetchError::Protocol(msg) => format!("fetching {url} failed: {msg}"),
    }
}

fn status_reason(code: u16) -> &'static str {
    match code {
        401 => " Unauthorized",
        403 => " Forbidden",
        404 => " Not Found (check the artifact URL in the index)",
        410 => " Gone",
        429 => " Too Many Requests",
        500 => " Internal Server Error",
        502 => " Bad Gateway",
        503 => " Service Unavailable",
        504 => " Gateway Timeout",
        _ => "",
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
}
