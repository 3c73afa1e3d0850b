//! The [`Installer`]'s operations, one module per family.
//!
//! An op module holds all of its operations: the requests (built from `new`
//! with what the operation cannot do without, and chained setters for the
//! rest, so a new option breaks no caller), the `impl Installer` methods
//! that run them, and a `pub use` of the WIT records they return, with the
//! few methods the library adds to those records. `lib.rs` re-exports each
//! module's public names on one line. A method turns its request's paths
//! (relative ones against the current directory) into grants (canonical
//! paths, preopened at the same path inside the component), takes the
//! plugins directory's lock where it writes, and calls the component
//! through the plumbing in `installer.rs` (`call`, or `call_in` for a call
//! that writes into a plugins directory and must be cleaned up after a
//! trap).
//!
//! An op module uses that plumbing and what this file holds for several of
//! them ([`IndexRequest`] and the grants for it, the default size and lock
//! limits, the `--registry` and `--world` arguments), never another op
//! module: what two ops share moves here.
//!
//! So a new operation is one file (or its family's file): a new file adds
//! its `mod` line below and its `pub use ops::<family>::{...};` line in
//! `lib.rs`, and nothing else in the library changes.
//!
//! # Reports
//!
//! What each operation returns is the component's own WIT record.
//! `wit/installer.wit` is the one definition of every report. The types
//! are the ones wasmtime's bindgen generates from it,
//! re-exported under their WIT names (`install-report` is
//! [`InstallReport`](crate::InstallReport)), with their WIT doc comments;
//! what the component returns is what the caller gets, with no copy in
//! between. So what a Rust runtime reads is what a script reads from
//! `wasm-plugin --json` and what another runtime gets from the component
//! (in jco, the same record with camelCase fields).
//!
//! They are `serde::Serialize`: a record as an object of its snake_case
//! fields, an `enum` case as its kebab-case WIT name (`"installed"`).
//!
//! Every record, variant and enum of the component's interface (the
//! reports, their parts, [`ErrorDetail`](crate::ErrorDetail)) is
//! `#[non_exhaustive]`, so a field or case a later version adds does not
//! break code that reads them: match them with `..` and a `_` arm. The few
//! a caller passes in are built with their constructors
//! ([`RoleSpec::new`](crate::RoleSpec::new),
//! [`PublisherSpec::new`](crate::PublisherSpec::new) and its
//! [`identity`](crate::PublisherSpec::identity)), not struct literals.
//!
//! ```compile_fail,E0639
//! // A report is read, never built, outside this crate.
//! let report = wasm_plugin::ForgetReport {
//!     dest: "plugins".into(),
//!     registry: "index.json".into(),
//!     forgotten: None,
//!     recorded: vec![],
//! };
//! ```
//!
//! ```compile_fail,E0004
//! // A new case would break this match, so it must have a `_` arm.
//! fn shown(action: wasm_plugin::InstallAction) -> &'static str {
//!     use wasm_plugin::InstallAction as A;
//!     match action {
//!         A::Installed | A::Upgraded | A::Downgraded | A::Reinstalled | A::Unchanged => "done",
//!     }
//! }
//! ```

// In groups by what they do to what; rustdoc lists the `Installer`'s
// methods in this order.
// Reading a registry.
pub(crate) mod index;
// Changing a plugins directory.
pub(crate) mod forget;
pub(crate) mod install;
pub(crate) mod sync;
pub(crate) mod uninstall;
// Checking plugins: a whole plugins directory, or one file.
pub(crate) mod audit;
pub(crate) mod verify;
pub(crate) mod verify_bundle;
// Making, signing and publishing plugins, and the keys that sign them.
pub(crate) mod keys;
pub(crate) mod publish;
pub(crate) mod scaffold;
pub(crate) mod trust;

use crate::engine::{Grants, wit};
use crate::error::{Error, Failure};
use crate::installer::Installer;
use crate::paths;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest download accepted unless a request says otherwise.
pub const DEFAULT_MAX_SIZE: u64 = 512 << 20;

/// How long a run waits for another one working on the same plugins
/// directory, unless a request says otherwise.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Where an index comes from and what to demand of it: for
/// [`Installer::load_index`](crate::Installer::load_index).
///
/// ```
/// use wasm_plugin::IndexRequest;
/// let request = IndexRequest::new("https://plugins.example.com/index.json")
///     .trust_root("/etc/app/trust");
/// # let _ = request;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRequest {
    pub(crate) registry: String,
    pub(crate) trust_root: Option<PathBuf>,
    pub(crate) allow_expired: bool,
    pub(crate) plugin: Option<String>,
    pub(crate) search: Option<String>,
}

impl IndexRequest {
    /// The index at `registry`: a path to `index.json` or an `http(s)://` URL,
    /// or a sparse registry: its directory (holding `config.json`), or a
    /// URL ending in `/` or `/config.json`.
    pub fn new(registry: impl Into<String>) -> Self {
        IndexRequest {
            registry: registry.into(),
            trust_root: None,
            allow_expired: false,
            plugin: None,
            search: None,
        }
    }

    /// Only `name`'s entries are wanted: a sparse registry, which has no
    /// index of every plugin, then reads only that plugin's file (a flat
    /// index is read whole either way).
    pub fn plugin(mut self, name: impl Into<String>) -> Self {
        self.plugin = Some(name.into());
        self
    }

    /// Only the plugins whose names hold `text` are wanted (`search`): a
    /// sparse registry then reads its optional name list (`names.json`, an
    /// unsigned hint) and each matching plugin's signed file, at most 50,
    /// and is refused without a name list (a flat index is read whole
    /// either way: filter its entries as you need).
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }

    /// Verify the index's signature, when it has one (over plain http it
    /// must), against the `*.pub` keys in `dir`.
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.trust_root = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Accept an index past its `expires`.
    pub fn allow_expired(mut self, allow: bool) -> Self {
        self.allow_expired = allow;
        self
    }
}

impl Installer {
    /// The index source as the component takes it, and the read-only grants
    /// for a local index's directory and the trust root.
    fn index_source(&self, request: &IndexRequest) -> Result<(wit::IndexSource, Grants), Error> {
        let (registry, registry_dir) = registry_arg(&request.registry)?;
        let trust_root = paths::optional(
            request.trust_root.as_deref(),
            "--trust-root",
            paths::trust_root,
        )?;
        let mut grants = Grants::default();
        for dir in registry_dir.iter() {
            grants.read(dir);
        }
        if let Some(root) = &trust_root {
            grants.read(paths::granted_dir(root));
        }
        let source = wit::IndexSource {
            registry,
            trust_root: trust_root.as_deref().map(paths::guest),
            allow_expired: request.allow_expired,
            plugin: request.plugin.clone(),
            search: request.search.clone(),
        };
        Ok((source, grants))
    }
}

/// The registry as the component receives it, and the directory to grant
/// for it (none for a URL).
fn registry_arg(registry: &str) -> Result<(String, Option<PathBuf>), Error> {
    let lower = registry.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || paths::is_oci(registry) {
        return Ok((registry.to_string(), None));
    }
    let path = Path::new(registry);
    // A directory is a sparse registry, named by its config.json.
    let path = match path.is_dir() {
        true => sparse_config(path)?,
        false => paths::existing_file(path, "--registry")?,
    };
    Ok((
        paths::guest(&path),
        Some(paths::parent(&path).to_path_buf()),
    ))
}

/// The `config.json` of the sparse registry in the directory `dir`.
fn sparse_config(dir: &Path) -> Result<PathBuf, Failure> {
    let config = dir.join("config.json");
    match config.is_file() {
        true => paths::existing_file(&config, "--registry"),
        false => Err(Failure::Usage(format!(
            "--registry {} is a directory without a config.json: name a flat registry's \
             index.json, or the root of a sparse registry (the directory holding its \
             config.json)",
            dir.display()
        ))),
    }
}

/// A flat registry's `index.json`, to be rewritten (`trust sign`, read by
/// `registry convert`): a sparse registry's directory is refused as one, naming what is
/// not supported.
fn flat_index(path: &Path) -> Result<PathBuf, Failure> {
    refuse_sparse_dir(path)?;
    paths::existing_file(path, "--registry")
}

/// The `config.json` of the sparse registry in the directory `path` (or
/// `path` itself when it names one); `None` for anything else.
fn sparse_config_of(path: &Path) -> Result<Option<PathBuf>, Failure> {
    let config = match path.is_dir() {
        true => path.join("config.json"),
        false => path.to_path_buf(),
    };
    match config.file_name().is_some_and(|n| n == "config.json") && config.is_file() {
        true => paths::existing_file(&config, "--registry").map(Some),
        false => Ok(None),
    }
}

/// Refuses a sparse registry's directory where a flat index is written.
fn refuse_sparse_dir(path: &Path) -> Result<(), Failure> {
    match path.is_dir() && path.join("config.json").is_file() {
        true => Err(Failure::Usage(format!(
            "--registry {} is a sparse registry; this takes a flat index.json, which for a \
             sparse registry is not supported yet (`publish --key` signs a plugin's file as \
             it writes it; or sign the flat index and make the sparse registry from it with \
             `wasm-plugin registry convert --key`)",
            path.display()
        ))),
        false => Ok(()),
    }
}

/// Whether the registry as the component receives it is a sparse one (its
/// `config.json`), which has no index to read once for a run.
fn is_sparse(registry: &str) -> bool {
    let path = registry.split(['?', '#']).next().unwrap_or(registry);
    path.ends_with("/config.json") || path.ends_with('/')
}

/// The largest `.wit` file read for a world (as the component's limit).
const MAX_WIT_BYTES: u64 = 1 << 20;

/// A world for the component, which parses it: a `.wit` file's text read
/// here, so that nothing is granted for it (its directory may be a home
/// directory), or a WIT package directory granted read-only (`deps/` and
/// all).
fn world_ref(
    wit: &Path,
    name: Option<String>,
    grants: &mut Grants,
) -> Result<wit::WorldRef, Failure> {
    let wit = paths::world(wit, "--world")?;
    let text = match wit.is_file() {
        // Opened without waiting and checked on the handle, like the host's
        // other reads (`files`): no FIFO or device slips in after the check.
        true => {
            let bytes = crate::files::read_capped(&wit, "--world", MAX_WIT_BYTES)
                .map_err(Failure::Usage)?;
            let text = String::from_utf8(bytes).map_err(|_| {
                Failure::Usage(format!("--world {} is not UTF-8 text", wit.display()))
            })?;
            Some(text)
        }
        false => {
            grants.read(&wit);
            None
        }
    };
    Ok(wit::WorldRef {
        path: paths::guest(&wit),
        text,
        name,
    })
}

#[cfg(test)]
mod tests {
    use crate::engine::wit::{
        self, FindingKind, InstallAction, SyncChange, SyncStep, UnfitVersion,
    };
    use serde_json::json;

    /// The JSON the project documents, made by the derive on the generated
    /// types: fields in snake_case, enum cases and variant kinds as WIT
    /// spells them.
    #[test]
    fn generated_records_serialize_as_the_documented_json() {
        let change = SyncChange {
            name: "p".into(),
            step: SyncStep::Reinstall,
            from: Some("1.0.0".into()),
            to: None,
            signed_by: None,
            error: Some(wit::Error {
                message: "m".into(),
                hint: None,
                detail: wit::ErrorDetail::FetchFailed(wit::FetchFailure {
                    url: "u".into(),
                    cause: crate::fetch::FetchError::Truncated((1, 2)),
                }),
            }),
            skipped: vec![UnfitVersion {
                version: "2.0.0".into(),
                reason: "r".into(),
            }],
        };
        assert_eq!(
            serde_json::to_value(&change).unwrap(),
            json!({
                "name": "p", "step": "reinstall", "from": "1.0.0", "to": null,
                "signed_by": null,
                "error": {"message": "m", "hint": null, "detail": {
                    "kind": "fetch-failed",
                    "value": {"url": "u", "cause": {"kind": "truncated", "value": [1, 2]}},
                }},
                "skipped": [{"version": "2.0.0", "reason": "r"}],
            })
        );
        assert_eq!(
            serde_json::to_value(FindingKind::WasmWithoutReceipt).unwrap(),
            json!("wasm-without-receipt")
        );
        assert_eq!(
            serde_json::to_value(InstallAction::Unchanged).unwrap(),
            json!("unchanged")
        );
    }
}
