//! Install signed WebAssembly plugins from a registry into a plugins
//! directory, with the installer itself running as a sandboxed WASI
//! component.
//!
//! This is the library behind the `wasm-plugin` command, for runtimes that
//! keep a plugins directory of their own. An [`Installer`] holds the
//! installer component, compiled once (and cached on disk), and runs each
//! operation in a fresh wasmtime store that is granted only the directories
//! the request names: the registry's directory and the trust root
//! read-only, the plugins directory read-write. Everything that decides
//! what gets installed (index parsing, version resolution, hashing, trust
//! roots, Ed25519 signatures, placement on disk) happens inside the
//! component; this crate grants, fetches, locks and converts.
//!
//! ```no_run
//! use wasm_plugin::{InstallRequest, Installer, VerifyRequest};
//!
//! let installer = Installer::new()?;
//! let report = installer.install(
//!     &InstallRequest::new("examples/registry/index.json", "hello", "plugins")
//!         .trust_root("examples/registry/trust"),
//! )?;
//! println!("installed {} {} ({})", report.name, report.version, report.sha256);
//!
//! // Before loading it: is it still what was installed, signed by a trusted key?
//! let checked = installer
//!     .verify(&VerifyRequest::new("plugins/hello.wasm").trust_root("examples/registry/trust"))?;
//! assert_eq!(checked.signed_by.as_deref(), Some("example"));
//! # Ok::<(), wasm_plugin::Error>(())
//! ```
//!
//! What the library guarantees, as the CLI does: a refused or failed
//! install leaves the previous plugin byte for byte and no temp file; two
//! operations on one plugins directory never interleave (an advisory lock
//! on `<dest>/.wasm-plugin/lock`); a call stopped at its deadline or memory
//! cap has what it staged removed. Every failure is one [`Error`], whose
//! [`kind`](Error::kind) and [`exit_code`](Error::exit_code) are those the
//! CLI's `--json` output and exit status use.
//!
//! Paths in messages about a request are named by the `wasm-plugin` flag
//! that sets them (`--dest`, `--trust-root`), which is also the request's
//! setter of that name.
//!
//! # The design in one page
//!
//! - **Requests in, reports out.** Every operation is one [`Installer`]
//!   method taking a request ([`InstallRequest`], [`SyncRequest`],
//!   [`AuditRequest`], [`ForgetRequest`], ...), built from `new` with what
//!   it cannot do without and chained setters for the rest, so a new option
//!   breaks no caller. It returns a report ([`InstallReport`],
//!   [`SyncReport`], ...) or an [`Error`] whose [`ErrorKind`] names the case.
//! - **The component decides.** An [`Installer`] holds the installer
//!   component ([`component`]), compiled once (and cached on disk) and
//!   linked once; each call instantiates it afresh in its own store. The
//!   component parses indexes, resolves versions, hashes, verifies
//!   signatures and places files; this crate never parses what a registry
//!   sends.
//! - **The host grants.** From a request's paths the installer derives
//!   what the call may touch: the registry's directory and the trust root
//!   read-only, the plugins directory read-write, nothing else. It lends the
//!   component [`fetch`] (ureq, with TLS, proxies, timeouts and registry
//!   logins), holds the plugins directory's lock, and stops a call at its
//!   deadline, its memory cap or a signal.
//! - **One file per operation.** Each family of operations is one module
//!   of `ops/` (`install`, `sync`, `audit`, `publish`, `trust`, ...)
//!   holding all of it: its requests, its [`Installer`] methods (the
//!   grants, the lock, the call) and a `pub use` of the WIT records it
//!   returns, with the few methods the library adds to them. What several
//!   share is in `ops/mod.rs` ([`IndexRequest`], the default limits), the
//!   plumbing every call goes through in `installer.rs`; an op module uses
//!   those, never another op module. So a new operation touches one file,
//!   `ops/<family>.rs`, and two one-line registrations: its `mod` line in
//!   `ops/mod.rs` and its `pub use ops::<family>::{...};` line here.

#![deny(missing_docs)]

#[doc(hidden)]
#[path = "fixtures.rs"]
pub mod __fixtures;
mod credentials;
mod digest;
mod engine;
mod engine_config;
mod error;
pub mod fetch;
mod files;
mod installer;
mod interrupt;
mod limits;
mod lock;
mod ops;
mod paths;

pub use error::{ComponentError, Error, ErrorDetail, ErrorKind};

/// The records an [`ErrorDetail`] case carries: what its message was made
/// from (the WIT records of the same names).
pub mod error_detail {
    pub use crate::engine::wit::{
        DeniedImports, Downgrade, DuplicateEntry, Expiry, FetchFailure, IncompatiblePlugin,
        IndexProblem, IoFailure, MinisignFailure, Misdescribed, Mismatch, NameNotFound,
        NotInstalled, OutsideGrants, ParseFailure, Rejected, Rollback, SigstoreFailure, SizeLimit,
        SizeMismatch, Untrusted, VersionNotFound,
    };
}
pub use engine::StartNotice;
pub use installer::{Installer, InstallerBuilder, Outcome};

// Each operation's requests and reports: one line per module of `ops/`,
// grouped as `ops/mod.rs` declares them.
pub use ops::{DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_SIZE, IndexRequest};
// Reading a registry.
pub use ops::index::{FindRequest, OutdatedPlugin, OutdatedRequest, RegistryEntry, RegistryIndex};
// Changing a plugins directory.
pub use ops::forget::{ForgetReport, ForgetRequest};
pub use ops::install::{
    InstallAction, InstallReport, InstallRequest, Receipt, UnfitVersion, UpgradeRequest,
};
pub use ops::sync::{
    DEFAULT_SYNC_JOBS, DeclaredPlugin, MAX_SYNC_JOBS, Manifest, SyncChange, SyncReport,
    SyncRequest, SyncStep,
};
pub use ops::uninstall::{UninstallReport, UninstallRequest};
// Checking plugins: a whole plugins directory, or one file.
pub use ops::audit::{AuditReport, AuditRequest, AuditedPlugin, Finding, FindingKind};
pub use ops::verify::{VerifyReport, VerifyRequest};
pub use ops::verify_bundle::{
    BundleSigner, BundleSubject, BundleVerifyReport, BundleVerifyRequest,
};
// Making, signing and publishing plugins, and the keys that sign them.
pub use ops::keys::{KeygenReport, KeygenRequest, SignReport, SignRequest};
pub use ops::publish::{
    ConvertReport, ConvertRequest, ConvertedFile, MirrorReport, MirrorRequest, PublishReport,
    PublishRequest, TimestampWritten, YankReport, YankRequest,
};
pub use ops::scaffold::{ScaffoldReport, ScaffoldRequest};
pub use ops::trust::{
    CosignReport, CosignRequest, LabelledKey, PublisherSpec, RoleIdentity, RoleSpec,
    TrustSignedIndex, TrustSignedRoot, TrustSummary, TrustWriteRequest,
};

/// The installer component's bytes (a wasm32-wasip2 component), for
/// runtimes that load it themselves. Its interface is `wit/installer.wit`:
/// it exports `installer` and imports `fetch` and `digest`, which the
/// runtime provides (this crate's [`Installer`] does: `fetch` on ureq,
/// `digest` with the CPU's hash instructions).
pub fn component() -> &'static [u8] {
    engine::COMPONENT
}

/// The installer composed with a `fetch` built on standard
/// `wasi:http/outgoing-handler` and a `digest` in WebAssembly: it exports
/// the same `installer` interface
/// and imports only `wasi:*` interfaces, so a stock WASI 0.2 runtime (the
/// wasmtime CLI with `-S http`, jco's preview2-shim) runs it without custom
/// host code. TLS roots, proxies and which hosts may be reached are then the
/// runtime's wasi:http policy; digests and signatures are still checked in
/// the component. It follows at most 5 redirects and never from https to
/// plain http, as [`HttpFetch`](fetch::HttpFetch) does.
pub fn component_wasi_http() -> &'static [u8] {
    engine::COMPONENT_WASI_HTTP
}

/// [`component_wasi_http`] with `digest` left an import, for a JavaScript
/// host that hashes with its own crypto (the Node package does, with
/// `node:crypto`). Under jco, a call between composed components copies
/// its bytes from one linear memory to the other, on an engine without
/// multi-memory (Node 20) a byte at a time through JavaScript; with the
/// artefact's bytes going to two hashes, that made a 32 MiB `verify` take
/// 13 s in Node 20, and 0.34 s with `node:crypto` (measured 2026-12-07 on a
/// 2-core x86-64 VM). Imports: `wasi:*` and `wasm-plugin:installer/digest`.
pub fn component_wasi_http_host_digest() -> &'static [u8] {
    engine::COMPONENT_WASI_HTTP_HOST_DIGEST
}

/// The default memory cap of one call, in bytes.
pub const DEFAULT_MEMORY_LIMIT: usize = engine::MEMORY_LIMIT;

/// The default deadline of one call.
pub const DEFAULT_DEADLINE: std::time::Duration = engine::DEFAULT_DEADLINE;
