//! What each operation is asked to do: built, not written as literals.
//!
//! Every request starts from `new` with what it cannot do without, and
//! takes the rest through chained setters, so adding an option later breaks
//! no caller. Paths may be relative (to the current directory) and are
//! canonicalized by the [`Installer`](crate::Installer), which also derives
//! from them what the sandboxed component is granted.

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
}

impl IndexRequest {
    /// The index at `registry`: a path to `index.json` or an `http(s)://` URL.
    pub fn new(registry: impl Into<String>) -> Self {
        IndexRequest {
            registry: registry.into(),
            trust_root: None,
            allow_expired: false,
        }
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

/// Which entry `install` would take: for
/// [`Installer::find_entry`](crate::Installer::find_entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindRequest {
    pub(crate) index: IndexRequest,
    pub(crate) spec: String,
    pub(crate) version: Option<String>,
}

impl FindRequest {
    /// `spec` (`name` or `name@REQ`) in the index at `registry`.
    pub fn new(registry: impl Into<String>, spec: impl Into<String>) -> Self {
        FindRequest {
            index: IndexRequest::new(registry),
            spec: spec.into(),
            version: None,
        }
    }

    /// See [`IndexRequest::trust_root`].
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.index = self.index.trust_root(dir);
        self
    }

    /// Exactly this version, as published (wins over a requirement).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Accept an index past its `expires`.
    pub fn allow_expired(mut self, allow: bool) -> Self {
        self.index = self.index.allow_expired(allow);
        self
    }
}

/// Plugins to install into a plugins directory: for
/// [`Installer::install`](crate::Installer::install) (one plugin) and
/// [`Installer::install_each`](crate::Installer::install_each) (several,
/// each reported on its own).
///
/// ```
/// use wasm_plugin::InstallRequest;
/// let request = InstallRequest::new("examples/registry/index.json", "hello", "plugins")
///     .trust_root("examples/registry/trust")
///     .max_size(64 << 20);
/// # let _ = request;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallRequest {
    pub(crate) index: IndexRequest,
    pub(crate) specs: Vec<String>,
    pub(crate) dest: PathBuf,
    pub(crate) version: Option<String>,
    pub(crate) allow_downgrade: bool,
    pub(crate) max_size: u64,
    pub(crate) allow_read: Vec<PathBuf>,
    pub(crate) lock_timeout: Duration,
    pub(crate) dry_run: bool,
    pub(crate) allow_imports: Vec<String>,
    pub(crate) deny_imports: Vec<String>,
    pub(crate) world: Option<(PathBuf, Option<String>)>,
}

impl InstallRequest {
    /// Install `spec` (`name`, or `name@REQ` with a semver requirement such
    /// as `colmask@^1.2`) from `registry` (a path or an `http(s)://` URL)
    /// into `dest`, which is created if missing.
    pub fn new(
        registry: impl Into<String>,
        spec: impl Into<String>,
        dest: impl AsRef<Path>,
    ) -> Self {
        InstallRequest {
            index: IndexRequest::new(registry),
            specs: vec![spec.into()],
            dest: dest.as_ref().to_path_buf(),
            version: None,
            allow_downgrade: false,
            max_size: DEFAULT_MAX_SIZE,
            allow_read: Vec::new(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            dry_run: false,
            allow_imports: Vec::new(),
            deny_imports: Vec::new(),
            world: None,
        }
    }

    /// Only versions that fit the runtime's world in `wit` (a `.wit` file,
    /// or a WIT package directory with an optional `deps/`): the plugin
    /// must export everything the world exports, with the same types. A
    /// newer version that does not fit is passed over for the next one the
    /// request allows (listed in [`InstallReport::skipped`](crate::InstallReport::skipped));
    /// one named exactly is refused ([`ErrorKind`](crate::Error::kind)
    /// `incompatible`). `name` picks the world when the package has several.
    pub fn world(mut self, wit: impl AsRef<Path>, name: Option<&str>) -> Self {
        self.world = Some((wit.as_ref().to_path_buf(), name.map(str::to_string)));
        self
    }

    /// Allow imports matching `glob` (`wasi:io/*`): once any is given,
    /// a plugin importing something none of them matches is refused
    /// ([`ErrorKind`](crate::Error::kind) `capability-denied`), before
    /// anything is placed.
    pub fn allow_import(mut self, glob: impl Into<String>) -> Self {
        self.allow_imports.push(glob.into());
        self
    }

    /// Refuse a plugin with an import matching `glob` (`wasi:sockets/*`).
    pub fn deny_import(mut self, glob: impl Into<String>) -> Self {
        self.deny_imports.push(glob.into());
        self
    }

    /// Install `spec` too (for [`Installer::install_each`](crate::Installer::install_each)).
    pub fn and(mut self, spec: impl Into<String>) -> Self {
        self.specs.push(spec.into());
        self
    }

    /// Require a valid signature by one of the `*.pub` keys in `dir`.
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.index = self.index.trust_root(dir);
        self
    }

    /// Exactly this version, as published (one plugin only).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Install a lower version than the one installed.
    pub fn allow_downgrade(mut self, allow: bool) -> Self {
        self.allow_downgrade = allow;
        self
    }

    /// Accept an index past its `expires`.
    pub fn allow_expired(mut self, allow: bool) -> Self {
        self.index = self.index.allow_expired(allow);
        self
    }

    /// Refuse downloads larger than `bytes` (default 512 MiB).
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = bytes;
        self
    }

    /// Also let the installer read `dir` (artefacts outside the registry's
    /// directory).
    pub fn allow_read(mut self, dir: impl AsRef<Path>) -> Self {
        self.allow_read.push(dir.as_ref().to_path_buf());
        self
    }

    /// Wait this long for another run on the same plugins directory.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }
}

/// Installed plugins to move to the highest version a registry offers: for
/// [`Installer::upgrade`](crate::Installer::upgrade).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeRequest {
    pub(crate) install: InstallRequest,
}

impl UpgradeRequest {
    /// Every plugin installed in `dest` (which must exist), from `registry`.
    pub fn new(registry: impl Into<String>, dest: impl AsRef<Path>) -> Self {
        let mut install = InstallRequest::new(registry, "", dest);
        install.specs.clear();
        UpgradeRequest { install }
    }

    /// Only `name` (and the others named so); none named means all.
    pub fn plugin(mut self, name: impl Into<String>) -> Self {
        self.install.specs.push(name.into());
        self
    }

    /// See [`InstallRequest::trust_root`].
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.install = self.install.trust_root(dir);
        self
    }

    /// See [`InstallRequest::world`]: an upgrade moves only to a version
    /// that fits.
    pub fn world(mut self, wit: impl AsRef<Path>, name: Option<&str>) -> Self {
        self.install = self.install.world(wit, name);
        self
    }

    /// See [`InstallRequest::allow_expired`].
    pub fn allow_expired(mut self, allow: bool) -> Self {
        self.install = self.install.allow_expired(allow);
        self
    }

    /// See [`InstallRequest::max_size`].
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.install = self.install.max_size(bytes);
        self
    }

    /// Report what each upgrade would do (the index's digest and size, no
    /// signer), fetching no artefact and writing nothing.
    pub fn dry_run(mut self, yes: bool) -> Self {
        self.install.dry_run = yes;
        self
    }

    /// See [`InstallRequest::allow_read`].
    pub fn allow_read(mut self, dir: impl AsRef<Path>) -> Self {
        self.install = self.install.allow_read(dir);
        self
    }

    /// See [`InstallRequest::lock_timeout`].
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.install = self.install.lock_timeout(timeout);
        self
    }

    /// See [`InstallRequest::allow_import`].
    pub fn allow_import(mut self, glob: impl Into<String>) -> Self {
        self.install = self.install.allow_import(glob);
        self
    }

    /// See [`InstallRequest::deny_import`].
    pub fn deny_import(mut self, glob: impl Into<String>) -> Self {
        self.install = self.install.deny_import(glob);
        self
    }
}

/// Plugins to remove: for [`Installer::uninstall`](crate::Installer::uninstall).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UninstallRequest {
    pub(crate) dest: PathBuf,
    pub(crate) names: Vec<String>,
    pub(crate) lock_timeout: Duration,
}

impl UninstallRequest {
    /// Remove `name` from `dest`.
    pub fn new(dest: impl AsRef<Path>, name: impl Into<String>) -> Self {
        UninstallRequest {
            dest: dest.as_ref().to_path_buf(),
            names: vec![name.into()],
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// Remove `name` too.
    pub fn and(mut self, name: impl Into<String>) -> Self {
        self.names.push(name.into());
        self
    }

    /// See [`InstallRequest::lock_timeout`].
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }
}

/// A version to yank from a local index: for [`Installer::yank`](crate::Installer::yank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YankRequest {
    pub(crate) registry: PathBuf,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) undo: bool,
    pub(crate) key: Option<PathBuf>,
}

impl YankRequest {
    /// Mark `name` `version` yanked in the index at `registry`: resolution
    /// then passes it over unless it is asked for exactly.
    pub fn new(
        registry: impl AsRef<Path>,
        name: impl Into<String>,
        version: impl Into<String>,
    ) -> Self {
        YankRequest {
            registry: registry.as_ref().to_path_buf(),
            name: name.into(),
            version: version.into(),
            undo: false,
            key: None,
        }
    }

    /// Unyank instead.
    pub fn undo(mut self, yes: bool) -> Self {
        self.undo = yes;
        self
    }

    /// Sign the index again with this key (required when it is signed).
    pub fn key(mut self, file: impl AsRef<Path>) -> Self {
        self.key = Some(file.as_ref().to_path_buf());
        self
    }
}

/// Installed plugins against a registry: for [`Installer::outdated`](crate::Installer::outdated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutdatedRequest {
    pub(crate) index: IndexRequest,
    pub(crate) dest: PathBuf,
}

impl OutdatedRequest {
    /// Every plugin installed in `dest` (read-only), against `registry`.
    pub fn new(registry: impl Into<String>, dest: impl AsRef<Path>) -> Self {
        OutdatedRequest {
            index: IndexRequest::new(registry),
            dest: dest.as_ref().to_path_buf(),
        }
    }

    /// Check the index's signature against the keys in `dir`.
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.index = self.index.trust_root(dir);
        self
    }

    /// Accept an index past its `expires`.
    pub fn allow_expired(mut self, allow: bool) -> Self {
        self.index = self.index.allow_expired(allow);
        self
    }
}

/// A plugin set to converge to: for [`Installer::sync`](crate::Installer::sync).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRequest {
    pub(crate) manifest: PathBuf,
    pub(crate) dest: Option<PathBuf>,
    pub(crate) trust_root: Option<PathBuf>,
    pub(crate) dry_run: bool,
    pub(crate) locked: bool,
    pub(crate) allow_expired: bool,
    pub(crate) max_size: u64,
    pub(crate) lock_timeout: Duration,
    pub(crate) upgrade: Option<Vec<String>>,
    pub(crate) lock_only: bool,
    pub(crate) jobs: usize,
    pub(crate) plain_http: bool,
    pub(crate) allow_imports: Vec<String>,
    pub(crate) deny_imports: Vec<String>,
    pub(crate) world: Option<(PathBuf, Option<String>)>,
}

/// How many plugins a sync fetches at once by default: enough to overlap
/// one plugin's network wait with another's hashing on a small machine,
/// few enough not to flood a registry.
pub const DEFAULT_SYNC_JOBS: usize = 4;

/// The most plugins a sync fetches at once.
pub const MAX_SYNC_JOBS: usize = 64;

impl SyncRequest {
    /// Make the manifest's `dest` hold exactly what `manifest`
    /// (`wasm-plugin.toml`) declares, as `wasm-plugin.lock` pins it.
    pub fn new(manifest: impl AsRef<Path>) -> Self {
        SyncRequest {
            manifest: manifest.as_ref().to_path_buf(),
            dest: None,
            trust_root: None,
            dry_run: false,
            locked: false,
            allow_expired: false,
            max_size: DEFAULT_MAX_SIZE,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            upgrade: None,
            lock_only: false,
            jobs: DEFAULT_SYNC_JOBS,
            plain_http: false,
            allow_imports: Vec::new(),
            deny_imports: Vec::new(),
            world: None,
        }
    }

    /// See [`InstallRequest::world`], in place of the manifest's `world`:
    /// pins are chosen among the versions whose published `exports` have
    /// the world's, and a pinned version whose bytes do not fit is refused
    /// when installed.
    pub fn world(mut self, wit: impl AsRef<Path>, name: Option<&str>) -> Self {
        self.world = Some((wit.as_ref().to_path_buf(), name.map(str::to_string)));
        self
    }

    /// See [`InstallRequest::allow_import`]: every plugin synced must meet it.
    pub fn allow_import(mut self, glob: impl Into<String>) -> Self {
        self.allow_imports.push(glob.into());
        self
    }

    /// See [`InstallRequest::deny_import`].
    pub fn deny_import(mut self, glob: impl Into<String>) -> Self {
        self.deny_imports.push(glob.into());
        self
    }

    /// Reach the manifest's `oci://` registries over plain http (one on a
    /// loopback address already is); digests and signatures are checked as
    /// always.
    pub fn plain_http(mut self, yes: bool) -> Self {
        self.plain_http = yes;
        self
    }

    /// How many plugins to fetch and place at once, each in its own
    /// instance of the component (default [`DEFAULT_SYNC_JOBS`]; clamped
    /// to 1..=[`MAX_SYNC_JOBS`]). Each instance has the installer's memory
    /// cap and deadline of its own.
    pub fn jobs(mut self, n: usize) -> Self {
        self.jobs = n.clamp(1, MAX_SYNC_JOBS);
        self
    }

    /// Pin these plugins afresh (the highest version their requirement
    /// admits), or every plugin when `names` is empty, instead of keeping
    /// their pins.
    pub fn upgrade<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.upgrade = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Only bring `wasm-plugin.lock` up to date; install nothing (no
    /// plugins directory is needed).
    pub fn lock_only(mut self, yes: bool) -> Self {
        self.lock_only = yes;
        self
    }

    /// Another plugins directory than the manifest's `dest`.
    pub fn dest(mut self, dir: impl AsRef<Path>) -> Self {
        self.dest = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Another trust root than the manifest's.
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.trust_root = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Plan only: change nothing and write no lock.
    pub fn dry_run(mut self, yes: bool) -> Self {
        self.dry_run = yes;
        self
    }

    /// Refuse to change the lock: fail when the manifest and lock disagree.
    pub fn locked(mut self, yes: bool) -> Self {
        self.locked = yes;
        self
    }

    /// Accept indexes past their `expires`.
    pub fn allow_expired(mut self, yes: bool) -> Self {
        self.allow_expired = yes;
        self
    }

    /// The largest artefact accepted, in bytes.
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = bytes;
        self
    }

    /// See [`InstallRequest::lock_timeout`].
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }
}

/// A registry to forget in a plugins directory, after a deliberate reset of
/// that registry: for [`Installer::forget_registry`](crate::Installer::forget_registry).
///
/// ```
/// use wasm_plugin::ForgetRequest;
/// let request = ForgetRequest::new("plugins", "https://plugins.example.com/index.json");
/// # let _ = request;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgetRequest {
    pub(crate) dest: PathBuf,
    pub(crate) registry: String,
    pub(crate) lock_timeout: Duration,
}

impl ForgetRequest {
    /// Forget what `dest` recorded for `registry`, named as it was given to
    /// `install` (a local index by its path, canonical when it exists).
    pub fn new(dest: impl AsRef<Path>, registry: impl Into<String>) -> Self {
        ForgetRequest {
            dest: dest.as_ref().to_path_buf(),
            registry: registry.into(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// How long to wait for another run holding `dest`'s lock.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }
}

/// A plugins directory to check: for [`Installer::audit`](crate::Installer::audit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRequest {
    pub(crate) dest: PathBuf,
    pub(crate) trust_root: Option<PathBuf>,
    pub(crate) manifest: Option<PathBuf>,
    pub(crate) registry: Option<IndexRequest>,
    pub(crate) lock_timeout: Duration,
    pub(crate) allow_imports: Vec<String>,
    pub(crate) deny_imports: Vec<String>,
}

impl AuditRequest {
    /// Check everything installed in `dest` (granted read-only).
    pub fn new(dest: impl AsRef<Path>) -> Self {
        AuditRequest {
            dest: dest.as_ref().to_path_buf(),
            trust_root: None,
            manifest: None,
            registry: None,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            allow_imports: Vec::new(),
            deny_imports: Vec::new(),
        }
    }

    /// Judge installed plugins against a capability policy (see
    /// [`InstallRequest::allow_import`]): one importing what it forbids is
    /// a finding ([`FindingKind::CapabilityDenied`](crate::FindingKind::CapabilityDenied)).
    pub fn allow_import(mut self, glob: impl Into<String>) -> Self {
        self.allow_imports.push(glob.into());
        self
    }

    /// See [`AuditRequest::allow_import`] and [`InstallRequest::deny_import`].
    pub fn deny_import(mut self, glob: impl Into<String>) -> Self {
        self.deny_imports.push(glob.into());
        self
    }

    /// Require every plugin to carry a signature by one of these keys.
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.trust_root = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Also check `dest` against a plugin set (`wasm-plugin.toml`, granted
    /// read-only with its directory): declared plugins that are missing,
    /// installed ones that differ from its lock, and installed ones it does
    /// not declare are findings ([`FindingKind::DeclaredMissing`](crate::FindingKind::DeclaredMissing),
    /// [`LockMismatch`](crate::FindingKind::LockMismatch),
    /// [`NotDeclared`](crate::FindingKind::NotDeclared)).
    pub fn manifest(mut self, path: impl AsRef<Path>) -> Self {
        self.manifest = Some(path.as_ref().to_path_buf());
        self
    }

    /// Also read this registry's index (its signature checked against the
    /// trust root): an installed version it marks yanked is a finding
    /// ([`FindingKind::Yanked`](crate::FindingKind::Yanked)). The only
    /// part of an audit that may use the network.
    pub fn registry(mut self, index: IndexRequest) -> Self {
        self.registry = Some(index);
        self
    }

    /// See [`InstallRequest::lock_timeout`].
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }
}

/// A plugin file on disk to check: for [`Installer::verify`](crate::Installer::verify).
///
/// ```
/// use wasm_plugin::VerifyRequest;
/// let request = VerifyRequest::new("plugins/hello.wasm").trust_root("examples/registry/trust");
/// # let _ = request;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyRequest {
    pub(crate) artifact: PathBuf,
    pub(crate) signature: Option<PathBuf>,
    pub(crate) trust_root: Option<PathBuf>,
    pub(crate) world: Option<(PathBuf, Option<String>)>,
}

impl VerifyRequest {
    /// Hash `artifact`, and check its `.sig` sidecar when there is one.
    pub fn new(artifact: impl AsRef<Path>) -> Self {
        VerifyRequest {
            artifact: artifact.as_ref().to_path_buf(),
            signature: None,
            trust_root: None,
            world: None,
        }
    }

    /// Require the file to fit the runtime's world in `wit` (see
    /// [`InstallRequest::world`]): a publisher's check before publishing.
    /// One that does not fit is refused ([`ErrorKind`](crate::Error::kind)
    /// `incompatible`); [`VerifyReport::fits`](crate::VerifyReport::fits)
    /// names the world otherwise.
    pub fn world(mut self, wit: impl AsRef<Path>, name: Option<&str>) -> Self {
        self.world = Some((wit.as_ref().to_path_buf(), name.map(str::to_string)));
        self
    }

    /// Read the signature from `file` instead of the sidecar.
    pub fn signature(mut self, file: impl AsRef<Path>) -> Self {
        self.signature = Some(file.as_ref().to_path_buf());
        self
    }

    /// Require a valid signature by one of the `*.pub` keys in `dir`.
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.trust_root = Some(dir.as_ref().to_path_buf());
        self
    }
}

/// A new plugin project: for [`Installer::scaffold`](crate::Installer::scaffold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaffoldRequest {
    pub(crate) name: String,
    pub(crate) parent: PathBuf,
}

impl ScaffoldRequest {
    /// Create `<parent>/<name>/`.
    pub fn new(name: impl Into<String>, parent: impl AsRef<Path>) -> Self {
        ScaffoldRequest {
            name: name.into(),
            parent: parent.as_ref().to_path_buf(),
        }
    }
}

/// A key pair to make: for [`Installer::keygen`](crate::Installer::keygen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeygenRequest {
    pub(crate) label: String,
    pub(crate) out_dir: PathBuf,
}

impl KeygenRequest {
    /// Write `<out_dir>/<label>.key` (owner-only) and `<label>.pub`.
    pub fn new(label: impl Into<String>, out_dir: impl AsRef<Path>) -> Self {
        KeygenRequest {
            label: label.into(),
            out_dir: out_dir.as_ref().to_path_buf(),
        }
    }
}

/// A file to sign: for [`Installer::sign`](crate::Installer::sign).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignRequest {
    pub(crate) artifact: PathBuf,
    pub(crate) key: PathBuf,
    pub(crate) out: Option<PathBuf>,
    pub(crate) force: bool,
}

impl SignRequest {
    /// Sign `artifact` with the PKCS#8 PEM private key in `key`.
    pub fn new(artifact: impl AsRef<Path>, key: impl AsRef<Path>) -> Self {
        SignRequest {
            artifact: artifact.as_ref().to_path_buf(),
            key: key.as_ref().to_path_buf(),
            out: None,
            force: false,
        }
    }

    /// Write the signature to `file` instead of the `.sig` sidecar.
    pub fn out(mut self, file: impl AsRef<Path>) -> Self {
        self.out = Some(file.as_ref().to_path_buf());
        self
    }

    /// Replace an existing signature file (otherwise `already-exists`).
    pub fn force(mut self, yes: bool) -> Self {
        self.force = yes;
        self
    }
}

/// A plugin version to add to an index: for [`Installer::publish`](crate::Installer::publish).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRequest {
    pub(crate) artifact: PathBuf,
    pub(crate) registry: PathBuf,
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) key: Option<PathBuf>,
    pub(crate) location: Option<String>,
    pub(crate) force: bool,
    pub(crate) expires_in: Option<Duration>,
}

impl PublishRequest {
    /// Add `artifact` to the index at `registry` (created if missing).
    pub fn new(artifact: impl AsRef<Path>, registry: impl AsRef<Path>) -> Self {
        PublishRequest {
            artifact: artifact.as_ref().to_path_buf(),
            registry: registry.as_ref().to_path_buf(),
            name: None,
            version: None,
            description: None,
            key: None,
            location: None,
            force: false,
            expires_in: None,
        }
    }

    /// The plugin's name (default: the file name less a `-<version>` suffix).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The version (default: read off a `<name>-<semver>.wasm` file name,
    /// else from the `Cargo.toml` of the crate that built a file in cargo's
    /// `target/` directory).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// One line saying what the plugin does.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Sign the artefact (and the index) with this PKCS#8 PEM private key.
    pub fn key(mut self, file: impl AsRef<Path>) -> Self {
        self.key = Some(file.as_ref().to_path_buf());
        self
    }

    /// What the entry's `artifact` says (default: copy the file next to
    /// the index as `<name>-<version>.wasm`).
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Replace an entry with the same name and version.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Make the index expire this long from now.
    pub fn expires_in(mut self, after: Duration) -> Self {
        self.expires_in = Some(after);
        self
    }
}

/// A registry to copy for offline use: for [`Installer::mirror`](crate::Installer::mirror).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorRequest {
    pub(crate) index: IndexRequest,
    pub(crate) out: PathBuf,
    pub(crate) key: Option<PathBuf>,
    pub(crate) max_size: u64,
    pub(crate) allow_read: Vec<PathBuf>,
}

impl MirrorRequest {
    /// Copy the registry at `registry` into `out` (created if missing).
    pub fn new(registry: impl Into<String>, out: impl AsRef<Path>) -> Self {
        MirrorRequest {
            index: IndexRequest::new(registry),
            out: out.as_ref().to_path_buf(),
            key: None,
            max_size: DEFAULT_MAX_SIZE,
            allow_read: Vec::new(),
        }
    }

    /// Also let the installer read `dir` (artefacts a local index names
    /// outside its own directory).
    pub fn allow_read(mut self, dir: impl AsRef<Path>) -> Self {
        self.allow_read.push(dir.as_ref().to_path_buf());
        self
    }

    /// Verify every artefact (and the index, when signed) against `dir`.
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.index = self.index.trust_root(dir);
        self
    }

    /// Accept an index past its `expires`.
    pub fn allow_expired(mut self, allow: bool) -> Self {
        self.index = self.index.allow_expired(allow);
        self
    }

    /// Sign the mirrored index with this key when its bytes had to change.
    pub fn key(mut self, file: impl AsRef<Path>) -> Self {
        self.key = Some(file.as_ref().to_path_buf());
        self
    }

    /// See [`InstallRequest::max_size`].
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = bytes;
        self
    }
}
