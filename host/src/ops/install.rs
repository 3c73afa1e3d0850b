//! Installing: [`Installer::install`] (one plugin),
//! [`Installer::install_each`] (several, each reported on its own) and
//! [`Installer::upgrade`] (installed plugins to the highest version the
//! registry offers), which share one loop over the plugins named; and
//! [`Installer::list_installed`], the receipts an upgrade starts from.

use super::{DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_SIZE, IndexRequest, is_sparse, world_ref};
use crate::engine::{Grants, wit};
use crate::error::{Error, Failure};
use crate::installer::{Installer, Outcome};
use crate::lock::{self, Access};
use crate::paths;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::engine::wit::{InstallAction, InstallReport, Receipt, UnfitVersion};

/// Its WIT name, as `--json` writes it (`installed`, `upgraded`, ...).
impl std::fmt::Display for InstallAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The one spelling is the WIT's, which the serializer writes.
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(name)) => f.write_str(&name),
            _ => write!(f, "{self:?}"),
        }
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

impl Installer {
    /// Installs the one plugin `request` names.
    pub fn install(&self, request: &InstallRequest) -> Result<InstallReport, Error> {
        if request.specs.len() != 1 {
            return Err(Error::usage(
                "Installer::install takes one plugin; use install_each for several",
            ));
        }
        let mut outcomes = self.install_each(request)?;
        outcomes.pop().expect("one outcome per plugin").1
    }

    /// Installs every plugin `request` names, each placed and reported on
    /// its own: one failure does not stop the others. The outer error is for
    /// what stops them all (an unusable request, the lock, a signal).
    pub fn install_each(
        &self,
        request: &InstallRequest,
    ) -> Result<Vec<Outcome<InstallReport>>, Error> {
        if request.version.is_some() && request.specs.len() > 1 {
            return Err(Error::usage(
                "--version applies to one plugin; for several, write NAME@=VERSION for each",
            ));
        }
        self.install_mode(request, wit::InstallMode::Install)
    }

    /// Moves installed plugins to the highest version the registry offers
    /// (never down); every installed plugin when the request names none.
    pub fn upgrade(&self, request: &UpgradeRequest) -> Result<Vec<Outcome<InstallReport>>, Error> {
        let dest = paths::existing_dir(&request.install.dest, "--dest")?;
        let mut install = request.install.clone();
        if install.specs.is_empty() {
            install.specs = self
                .list_installed(&dest)?
                .into_iter()
                .map(|r| r.name)
                .collect();
        }
        if install.specs.is_empty() {
            return Ok(Vec::new());
        }
        self.install_mode(&install, wit::InstallMode::Upgrade)
    }

    fn install_mode(
        &self,
        request: &InstallRequest,
        mode: wit::InstallMode,
    ) -> Result<Vec<Outcome<InstallReport>>, Error> {
        let (source, mut grants) = self.index_source(&request.index)?;
        for dir in &request.allow_read {
            grants.read(&paths::existing_dir(dir, "--allow-read")?);
        }
        let world = request
            .world
            .as_ref()
            .map(|(wit, name)| world_ref(wit, name.clone(), &mut grants))
            .transpose()?;
        let (dest, created) = paths::ensure_dir(&request.dest, "--dest")?;
        // On a timeout another run owns the destination: nothing of it is
        // ours to clean up, even if this run created the directory. A dry
        // run only reads.
        let held = match request.dry_run {
            true => lock::acquire_shared_if_possible(&dest, request.lock_timeout)?,
            false => Some(lock::acquire(
                &dest,
                Access::Exclusive,
                request.lock_timeout,
            )?),
        };
        if request.dry_run {
            grants.read(&dest);
        } else {
            grants.write(&dest);
        }
        // The index once for the run, however many plugins: the calls that
        // follow check it again instead of fetching it again. If it cannot
        // be read, each plugin is tried on its own and says what stops it
        // first (a bad name before a bad index).
        // A sparse registry has no such index: each install reads its
        // plugin's file.
        let preloaded = match request.specs.len() {
            1 => None,
            _ if is_sparse(&source.registry) => None,
            _ => match self.call(grants.clone(), true, |i, s| i.call_read_index(s, &source)) {
                Ok(index) => Some(index),
                Err(e) if e.signal().is_some() => return Err(self.abandon(&dest, created, e)),
                Err(_) => None,
            },
        };
        let mut outcomes = Vec::new();
        for spec in &request.specs {
            let call = wit::InstallRequest {
                registry: source.registry.clone(),
                spec: spec.clone(),
                version: request.version.clone(),
                dest: paths::guest(&dest),
                trust_root: source.trust_root.clone(),
                mode,
                allow_downgrade: request.allow_downgrade,
                allow_expired: source.allow_expired,
                max_size: request.max_size,
                preloaded: preloaded.clone(),
                dry_run: request.dry_run,
                allow_imports: request.allow_imports.clone(),
                deny_imports: request.deny_imports.clone(),
                world: world.clone(),
            };
            let result = self.call_in(&dest, grants.clone(), true, |i, s| i.call_install(s, &call));
            match result {
                Err(e) if e.signal().is_some() => return Err(self.abandon(&dest, created, e)),
                result => outcomes.push((spec.clone(), result)),
            }
            // Stopped between two plugins: the next one is not started.
            if let Some(signal) = crate::interrupt::pending() {
                let e = Failure::Interrupted { signal }.into();
                return Err(self.abandon(&dest, created, e));
            }
        }
        if created && outcomes.iter().all(|(_, r)| r.is_err()) {
            paths::remove_if_unused(&dest);
        }
        drop(held);
        Ok(outcomes)
    }

    /// Gives up a run on `dest` after `error` (a signal): a directory the run
    /// created is removed again when nothing is in it.
    fn abandon(&self, dest: &Path, created: bool, error: Error) -> Error {
        if created {
            paths::remove_if_unused(dest);
        }
        error
    }

    /// The receipts in `dest`, sorted by name.
    pub fn list_installed(&self, dest: impl AsRef<Path>) -> Result<Vec<Receipt>, Error> {
        let dest = paths::existing_dir(dest.as_ref(), "--dest")?;
        let receipts = self.call(Grants::reading(&dest), false, |i, s| {
            i.call_list_installed(s, &paths::guest(&dest))
        })?;
        Ok(receipts.into_iter().collect())
    }
}
