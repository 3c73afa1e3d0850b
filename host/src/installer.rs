//! [`Installer`]: the sandboxed installer component, ready to call.
//!
//! Each method turns a request into grants (canonical paths, preopened at
//! the same path inside the component), takes the plugins directory's lock
//! where it writes, runs the component in a fresh store, and converts what
//! comes back. A call that traps or is stopped (deadline, memory, signal)
//! has its temp files removed here, under the lock, because a trap runs no
//! clean-up code inside the component.

use crate::engine::{self, Cache, Grants, Limits, Runtime, wit};
use crate::error::{Error, Failure};
use crate::fetch::{Fetch, HttpFetch, HttpOptions, Offline};
use crate::lock::{self, Access};
use crate::paths;
use crate::reports::*;
use crate::requests::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The installer component with its engine, compiled once, and the fetcher
/// it is lent.
///
/// Cheap to clone and `Send + Sync`: every call runs in a fresh store, so
/// threads may share one `Installer` and call it at once.
///
/// ```no_run
/// use wasm_plugin::{InstallRequest, Installer, VerifyRequest};
///
/// let installer = Installer::new()?;
/// let report = installer.install(
///     &InstallRequest::new("examples/registry/index.json", "hello", "plugins")
///         .trust_root("examples/registry/trust"),
/// )?;
/// println!("{} {} signed by {:?}", report.name, report.version, report.signed_by);
/// installer.verify(&VerifyRequest::new("plugins/hello.wasm").trust_root("examples/registry/trust"))?;
/// # Ok::<(), wasm_plugin::Error>(())
/// ```
#[derive(Clone)]
pub struct Installer {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Runtime,
    fetch: Arc<dyn Fetch>,
    limits: Limits,
    signals: bool,
}

impl std::fmt::Debug for Installer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installer")
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

/// Sets up an [`Installer`]: where the compiled component is cached, how it
/// fetches, and its limits.
///
/// ```
/// use std::time::Duration;
/// use wasm_plugin::Installer;
///
/// let dir = tempfile::tempdir()?;
/// let installer = Installer::builder()
///     .cache_dir(dir.path())
///     .memory_limit(64 << 20)
///     .deadline(Duration::from_secs(60))
///     .offline()
///     .build()?;
/// # let _ = installer;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct InstallerBuilder {
    cache: Cache,
    fetch: Option<Arc<dyn Fetch>>,
    limits: Limits,
    signals: bool,
}

impl Default for InstallerBuilder {
    fn default() -> Self {
        InstallerBuilder {
            cache: Cache::Default,
            fetch: None,
            limits: Limits {
                deadline: engine::DEFAULT_DEADLINE,
                memory: engine::MEMORY_LIMIT,
            },
            signals: false,
        }
    }
}

impl std::fmt::Debug for InstallerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstallerBuilder")
            .field("cache", &self.cache)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl InstallerBuilder {
    /// Cache the compiled component in `dir` (default:
    /// `$XDG_CACHE_HOME/wasm-plugin/`, else `~/.cache/wasm-plugin/`).
    pub fn cache_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cache = Cache::Dir(dir.as_ref().to_path_buf());
        self
    }

    /// Compile the component every time instead of caching it.
    pub fn no_cache(mut self) -> Self {
        self.cache = Cache::Off;
        self
    }

    /// Fetch with `fetch` (default: [`HttpFetch`] with [`HttpOptions::default`]).
    pub fn fetch(mut self, fetch: impl Fetch + 'static) -> Self {
        self.fetch = Some(Arc::new(fetch));
        self
    }

    /// Refuse every URL: only local registries and artefacts.
    pub fn offline(self) -> Self {
        self.fetch(Offline)
    }

    /// Most linear memory one call may use (default 128 MiB).
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.limits.memory = bytes;
        self
    }

    /// Longest one call may run (default 10 minutes); past it the call is
    /// stopped through wasmtime's epoch interruption and fails with the
    /// kind `deadline-exceeded`, leaving the plugins directory as it was.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.limits.deadline = deadline;
        self
    }

    /// Let SIGINT and SIGTERM stop a running call (default: off). For a
    /// program whose whole job is the call, as the `wasm-plugin` command's
    /// is: a signal that arrives while a call runs stops it, its temp files
    /// are removed, and the call fails with the kind `interrupted` (exit
    /// code 128 + the signal), after which the program is expected to exit;
    /// a signal that arrives while no call runs ends the process as it
    /// would have without this. It installs process-wide signal handlers,
    /// so a runtime with its own shutdown handling leaves it off.
    pub fn stop_on_signals(mut self, on: bool) -> Self {
        self.signals = on;
        self
    }

    /// Compiles (or loads from the cache) the component.
    pub fn build(self) -> Result<Installer, Error> {
        let fetch = match self.fetch {
            Some(fetch) => fetch,
            None => Arc::new(HttpFetch::new(HttpOptions::default())?),
        };
        Ok(Installer {
            inner: Arc::new(Inner {
                runtime: Runtime::new(&self.cache).map_err(Failure::from)?,
                fetch,
                limits: self.limits,
                signals: self.signals,
            }),
        })
    }
}

/// What the clean-up after a trap may use: it only lists three folders and
/// removes what it finds.
const CLEAN_LIMITS: Limits = Limits {
    deadline: Duration::from_secs(60),
    memory: engine::MEMORY_LIMIT,
};

/// What each step of a sync may touch: a job only its sources and the
/// destination, never the project's directory.
struct SyncGrants {
    plan: Grants,
    job: Grants,
    commit: Grants,
}

/// One requested plugin and how its install went.
pub type Outcome<R> = (String, Result<R, Error>);

impl Installer {
    /// An installer with the defaults of [`InstallerBuilder`].
    pub fn new() -> Result<Installer, Error> {
        Installer::builder().build()
    }

    /// Everything that can be set up.
    pub fn builder() -> InstallerBuilder {
        InstallerBuilder::default()
    }

    /// Reads and checks a registry index (signature, expiry).
    pub fn load_index(&self, request: &IndexRequest) -> Result<RegistryIndex, Error> {
        let (source, grants) = self.index_source(request)?;
        let index = self.call(grants, true, |i, s| i.call_load_index(s, &source))?;
        Ok(index)
    }

    /// The entry `install` would take, without fetching the artefact.
    pub fn find_entry(&self, request: &FindRequest) -> Result<RegistryEntry, Error> {
        let (source, grants) = self.index_source(&request.index)?;
        let entry = self.call(grants, true, |i, s| {
            i.call_find_entry(s, &source, &request.spec, request.version.as_deref())
        })?;
        Ok(entry)
    }

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
        let preloaded = match request.specs.len() {
            1 => None,
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

    /// Removes installed plugins, each on its own: `<name>.wasm` first (so a
    /// hot-reloading loader unloads it), then `<name>.sig`, then the receipt.
    pub fn uninstall(
        &self,
        request: &UninstallRequest,
    ) -> Result<Vec<Outcome<UninstallReport>>, Error> {
        let dest = paths::existing_dir(&request.dest, "--dest")?;
        let _held = lock::acquire(&dest, Access::Exclusive, request.lock_timeout)?;
        let mut grants = Grants::default();
        grants.write(&dest);
        let guest_dest = paths::guest(&dest);
        Ok(request
            .names
            .iter()
            .map(|name| {
                let result = self.call_in(&dest, grants.clone(), false, |i, s| {
                    i.call_uninstall(s, &guest_dest, name)
                });
                (name.clone(), result)
            })
            .collect())
    }

    /// Makes a plugins directory hold exactly what a manifest declares, at
    /// the versions and digests its lock pins (see [`SyncRequest`]), fetching
    /// [`SyncRequest::jobs`] plugins at once. Each plugin's failure is in its
    /// change; the call fails only for what stops them all (the manifest, a
    /// registry serving other bytes for a pinned version, a signal) or when
    /// the lock cannot be written (the plugins placed then stay placed).
    pub fn sync(&self, request: &SyncRequest) -> Result<SyncReport, Error> {
        // Grants follow the manifest: its directory (for the lock), local
        // registries' directories, the trust root, the destination.
        let manifest = self.read_manifest(&request.manifest)?;
        let manifest_path = paths::existing_file(&request.manifest, "--config")?;
        let dest = request
            .dest
            .clone()
            .or_else(|| manifest.dest.as_ref().map(PathBuf::from))
            .ok_or_else(|| {
                Error::usage("no plugins directory: give --dest, or dest in the manifest")
            });
        let trust_root = request
            .trust_root
            .clone()
            .or_else(|| manifest.trust_root.as_ref().map(PathBuf::from));
        let trust_root = paths::optional(trust_root.as_deref(), "--trust-root", paths::trust_root)?;
        // What a job needs: local registries' directories, the trust root
        // (and the destination, below). The plan also reads the manifest's
        // directory; the lock is written there only by a run that may
        // change it, and only in the step that writes it.
        let mut sources = Grants::default();
        for (_, location) in &manifest.registries {
            if let (_, Some(dir)) = registry_arg(location)? {
                sources.read(&dir);
            }
        }
        if let Some(root) = &trust_root {
            sources.read(paths::granted_dir(root));
        }
        // The world: the request's, else the manifest's.
        let world = request.world.clone().or_else(|| {
            let path = manifest.world.as_ref()?;
            Some((PathBuf::from(path), manifest.world_name.clone()))
        });
        let world = world
            .map(|(wit, name)| world_ref(&wit, name, &mut sources))
            .transpose()?;
        let manifest_dir = paths::parent(&manifest_path);
        let mut reading = sources.clone();
        reading.read(manifest_dir);
        let mut locking = sources.clone();
        if request.dry_run || request.locked {
            locking.read(manifest_dir);
        } else {
            locking.write(manifest_dir);
        }
        let call = |dest: Option<&Path>| wit::SyncRequest {
            manifest: paths::guest(&manifest_path),
            dest: dest.map(paths::guest),
            trust_root: trust_root.as_deref().map(paths::guest),
            dry_run: request.dry_run,
            locked: request.locked,
            allow_expired: request.allow_expired,
            max_size: request.max_size,
            upgrade: request.upgrade.clone(),
            lock_only: request.lock_only,
            plain_http: request.plain_http,
            allow_imports: request.allow_imports.clone(),
            deny_imports: request.deny_imports.clone(),
            world: world.clone(),
        };
        if request.lock_only {
            // The plugins directory, where it exists, is read (never
            // written): a lock must not pin from an index older than one
            // it recorded, or from one stripped of a signature it saw.
            let dest = dest
                .ok()
                .filter(|d| d.is_dir())
                .map(|d| paths::existing_dir(&d, "--dest"))
                .transpose()?;
            if let Some(dest) = &dest {
                locking.read(dest);
            }
            let call = call(dest.as_deref());
            return self.call(locking, true, |i, s| i.call_sync(s, &call));
        }
        let dest = dest?;
        let (dest, created) = paths::ensure_dir(&dest, "--dest")?;
        // A plan only reads: a shared lock, taken only where one exists.
        let _held = if request.dry_run {
            lock::acquire_shared_if_possible(&dest, request.lock_timeout)?
        } else {
            Some(lock::acquire(
                &dest,
                Access::Exclusive,
                request.lock_timeout,
            )?)
        };
        let call = call(Some(&dest));
        let result = if request.dry_run {
            reading.read(&dest);
            self.call(reading, true, |i, s| i.call_sync(s, &call))
        } else {
            let mut grants = SyncGrants {
                plan: reading,
                job: sources,
                commit: locking,
            };
            grants.plan.write(&dest);
            grants.job.write(&dest);
            self.sync_jobs(&dest, grants, &call, request.jobs)
        };
        // A plan changes nothing, not even a directory it had to create;
        // nor does a sync of which nothing succeeded.
        let nothing_done = match &result {
            Ok(report) => report.changes.iter().all(|c| c.error.is_some()),
            Err(_) => true,
        };
        if created && (nothing_done || request.dry_run) {
            paths::remove_if_unused(&dest);
        }
        result
    }

    /// A sync in the component's three steps: the plan in one store; its
    /// jobs `parallel` at a time, each in a store of its own, on threads of
    /// this call (each job touches only its own plugin's files, and this
    /// run holds the destination's lock); then the lock, written from what
    /// the jobs did. A job the component refuses is that plugin's failure
    /// and the others go on; a job the host stops (a trap, the deadline, the
    /// memory cap) fails the sync once the lock is written, as a sync in one
    /// call would. The temp files a stopped job left are removed once no
    /// job is running, because removing them earlier could take a
    /// sibling's.
    fn sync_jobs(
        &self,
        dest: &Path,
        grants: SyncGrants,
        call: &wit::SyncRequest,
        parallel: usize,
    ) -> Result<SyncReport, Error> {
        let plan = self.call_in(dest, grants.plan, true, |i, s| i.call_plan_sync(s, call))?;
        // Held across the jobs, so that a signal between two of them is
        // seen (no new job starts) rather than ending the process.
        let _running = self.inner.signals.then(crate::interrupt::Running::start);

        let done: std::sync::Mutex<Vec<(usize, Result<wit::SyncChange, Error>)>> =
            Default::default();
        // Removals first, all of them, then the rest: a plugin renamed only
        // by case (`foo` to `Foo`) is installed once the old name is gone,
        // whatever the order the jobs would otherwise finish in.
        let (removals, others): (Vec<usize>, Vec<usize>) =
            (0..plan.jobs.len()).partition(|&k| plan.jobs[k].change.step == wit::SyncStep::Remove);
        for phase in [removals, others] {
            let next = std::sync::atomic::AtomicUsize::new(0);
            std::thread::scope(|scope| {
                for _ in 0..parallel.clamp(1, phase.len().max(1)) {
                    scope.spawn(|| {
                        // Stopped by a signal: no further job is started.
                        while crate::interrupt::pending().is_none() {
                            let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            let Some(&k) = phase.get(n) else { break };
                            let job = &plan.jobs[k];
                            let index = job.registry.as_ref().and_then(|r| {
                                plan.indexes.iter().find(|(l, _)| l == r).map(|(_, i)| i)
                            });
                            let result = self.call(grants.job.clone(), true, |i, s| {
                                i.call_apply_sync_job(s, call, job, index)
                            });
                            done.lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push((k, result));
                        }
                    });
                }
            });
        }
        let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
        done.sort_by_key(|(k, _)| *k);
        if done.iter().any(|(_, r)| matches!(r, Err(e) if e.is_trap())) {
            let _ = self.inner.runtime.clean(dest, CLEAN_LIMITS);
        }
        if let Some(signal) = crate::interrupt::pending() {
            return Err(Failure::Interrupted { signal }.into());
        }

        // In the plan's order: the jobs, then what could not be pinned. A
        // job the host stopped (a trap, its deadline, the memory cap) ends
        // the sync with that error once the lock records what the others
        // did, as it ends a sync run in one call.
        let mut stopped: Option<Error> = None;
        let mut changes: Vec<SyncChange> = Vec::with_capacity(done.len() + plan.failed.len());
        for (k, result) in done {
            let planned = &plan.jobs[k].change;
            match result.map_err(Error::into_component) {
                Ok(change) => changes.push(change),
                Err(Ok(error)) => changes.push(SyncChange {
                    error: Some(error),
                    ..planned.clone()
                }),
                // No outcome: the lock keeps that plugin's old pin.
                Err(Err(host)) => {
                    stopped.get_or_insert(host);
                }
            }
        }
        changes.extend(plan.failed);
        let outcomes: Vec<wit::SyncOutcome> = changes
            .iter()
            .map(|c| wit::SyncOutcome {
                name: c.name.clone(),
                failed: c.error.is_some(),
                signed_by: c.signed_by.clone(),
            })
            .collect();
        let committed = self.call(grants.commit, false, |i, s| {
            i.call_commit_sync(s, call, &plan.pins, &outcomes)
        })?;
        if let Some(error) = stopped {
            return Err(error);
        }
        Ok(SyncReport {
            dest: committed.dest,
            lock: committed.lock,
            lock_changed: committed.lock_changed,
            dry_run: false,
            changes,
        })
    }

    /// Reads and checks a plugin-set manifest (`wasm-plugin.toml`); its
    /// relative paths come back resolved against its directory.
    pub fn read_manifest(&self, path: impl AsRef<Path>) -> Result<Manifest, Error> {
        let path = paths::existing_file(path.as_ref(), "--config")?;
        self.call(Grants::reading(paths::parent(&path)), false, |i, s| {
            i.call_read_manifest(s, &paths::guest(&path))
        })
    }

    /// Each plugin installed in a plugins directory (granted read-only)
    /// against a registry: the highest version its recorded requirement
    /// admits, and the highest of all.
    pub fn outdated(&self, request: &OutdatedRequest) -> Result<Vec<OutdatedPlugin>, Error> {
        let dest = paths::existing_dir(&request.dest, "--dest")?;
        let (source, mut grants) = self.index_source(&request.index)?;
        grants.read(&dest);
        let rows = self.call(grants, true, |i, s| {
            i.call_outdated(s, &source, &paths::guest(&dest))
        })?;
        Ok(rows.into_iter().collect())
    }

    /// Forgets the index version recorded against rollback for a registry
    /// in a plugins directory, and that its index was signed, after a
    /// deliberate reset of that registry (instead of editing
    /// `.wasm-plugin/registries.json`).
    pub fn forget_registry(&self, request: &ForgetRequest) -> Result<ForgetReport, Error> {
        let dest = paths::existing_dir(&request.dest, "--dest")?;
        let registry = match registry_arg(&request.registry) {
            Ok((shown, _)) => shown,
            // An index that is gone is still named as it was recorded.
            Err(_) => std::path::absolute(&request.registry)
                .map(|p| paths::guest(&p))
                .unwrap_or_else(|_| request.registry.clone()),
        };
        let _held = lock::acquire(&dest, Access::Exclusive, request.lock_timeout)?;
        let mut grants = Grants::default();
        grants.write(&dest);
        let guest_dest = paths::guest(&dest);
        self.call(grants, false, |i, s| {
            i.call_forget_registry(s, &guest_dest, &registry)
        })
    }

    /// The receipts in `dest`, sorted by name.
    pub fn list_installed(&self, dest: impl AsRef<Path>) -> Result<Vec<Receipt>, Error> {
        let dest = paths::existing_dir(dest.as_ref(), "--dest")?;
        let receipts = self.call(Grants::reading(&dest), false, |i, s| {
            i.call_list_installed(s, &paths::guest(&dest))
        })?;
        Ok(receipts.into_iter().collect())
    }

    /// Re-hashes and re-verifies everything installed in a plugins
    /// directory, granted read-only.
    pub fn audit(&self, request: &AuditRequest) -> Result<AuditReport, Error> {
        let dest = paths::existing_dir(&request.dest, "--dest")?;
        let trust_root = paths::optional(
            request.trust_root.as_deref(),
            "--trust-root",
            paths::trust_root,
        )?;
        // Shared: audits may run side by side, but not beside an install,
        // whose temp files would look like leftovers.
        let manifest = paths::optional(
            request.manifest.as_deref(),
            "--config",
            paths::existing_file,
        )?;
        let _held = lock::acquire_shared_if_possible(&dest, request.lock_timeout)?;
        let mut grants = Grants::reading(&dest);
        if let Some(root) = &trust_root {
            grants.read(paths::granted_dir(root));
        }
        if let Some(file) = &manifest {
            grants.read(paths::parent(file));
        }
        let registry = match &request.registry {
            Some(index) => {
                let (source, registry_grants) = self.index_source(index)?;
                grants.extend(registry_grants);
                Some(source)
            }
            None => None,
        };
        let trust_root = trust_root.as_deref().map(paths::guest);
        let manifest = manifest.as_deref().map(paths::guest);
        let mut report = self.call(grants, registry.is_some(), |i, s| {
            i.call_audit(
                s,
                &paths::guest(&dest),
                trust_root.as_deref(),
                manifest.as_deref(),
                registry.as_ref(),
                &request.allow_imports,
                &request.deny_imports,
            )
        })?;
        crate::error::name_link_targets(&mut report);
        Ok(report)
    }

    /// Checks the digest and signature of a plugin file on disk.
    pub fn verify(&self, request: &VerifyRequest) -> Result<VerifyReport, Error> {
        let file = paths::existing_file(&request.artifact, "the file")?;
        let sig = paths::optional(request.signature.as_deref(), "--sig", paths::existing_file)?;
        let trust_root = paths::optional(
            request.trust_root.as_deref(),
            "--trust-root",
            paths::trust_root,
        )?;
        let mut grants = Grants::reading(paths::parent(&file));
        if let Some(sig) = &sig {
            grants.read(paths::parent(sig));
        }
        if let Some(root) = &trust_root {
            grants.read(paths::granted_dir(root));
        }
        let world = request
            .world
            .as_ref()
            .map(|(wit, name)| world_ref(wit, name.clone(), &mut grants))
            .transpose()?;
        let call = wit::VerifyRequest {
            artifact: paths::guest(&file),
            signature: sig.as_deref().map(paths::guest),
            trust_root: trust_root.as_deref().map(paths::guest),
            world,
        };
        self.call(grants, false, |i, s| i.call_verify(s, &call))
    }

    /// Creates a new plugin project, `<parent>/<name>/`.
    pub fn scaffold(&self, request: &ScaffoldRequest) -> Result<ScaffoldReport, Error> {
        let parent = paths::existing_dir(&request.parent, "--dir")?;
        let mut grants = Grants::default();
        grants.write(&parent);
        let report = self.call(grants, false, |i, s| {
            i.call_scaffold(s, &request.name, &paths::guest(&parent))
        })?;
        Ok(report)
    }

    /// Makes an Ed25519 key pair: `<label>.key` (owner-only) and `<label>.pub`.
    ///
    /// WASI cannot set file modes, so the process umask is 077 while the
    /// component writes the key: files other threads create meanwhile are
    /// owner-only too. Calls of `keygen` are serialized.
    pub fn keygen(&self, request: &KeygenRequest) -> Result<KeygenReport, Error> {
        let out_dir = paths::existing_dir(&request.out_dir, "--out-dir")?;
        let mut grants = Grants::default();
        grants.write(&out_dir);
        // WASI has no file modes: files the component creates get the
        // process umask, so it is made owner-only while the key is written.
        let report = paths::with_private_umask(|| {
            self.call(grants, false, |i, s| {
                i.call_keygen(s, &request.label, &paths::guest(&out_dir))
            })
        })?;
        // The public half is meant to be shared.
        paths::make_world_readable(Path::new(&report.pub_path));
        Ok(report)
    }

    /// Signs a plugin file, writing its `.sig` sidecar (or another file).
    pub fn sign(&self, request: &SignRequest) -> Result<SignReport, Error> {
        let file = paths::existing_file(&request.artifact, "the file")?;
        let key = paths::existing_file(&request.key, "--key")?;
        let out = match &request.out {
            Some(out) => paths::file_in_existing_dir(out, "--out")?,
            None => file.with_extension("sig"),
        };
        let mut grants = Grants::reading(paths::parent(&file));
        grants.read(paths::parent(&key)).write(paths::parent(&out));
        let report = self.call(grants, false, |i, s| {
            i.call_sign(
                s,
                &paths::guest(&file),
                &paths::guest(&key),
                Some(paths::guest(&out).as_str()),
                request.force,
            )
        })?;
        Ok(report)
    }

    /// Adds a plugin version to a registry index (created if missing).
    pub fn publish(&self, request: &PublishRequest) -> Result<PublishReport, Error> {
        let file = paths::existing_file(&request.artifact, "the file")?;
        // An OCI registry is pushed to over the network; an index is a file.
        let oci = request.registry.to_str().is_some_and(paths::is_oci);
        // A new registry's directory is made for it, and taken back if the
        // publish fails.
        let (registry, created) = match oci {
            true => (request.registry.clone(), Vec::new()),
            false => paths::file_in_dir_created(&request.registry, "--registry")?,
        };
        let result = self.publish_to(request, &file, &registry, oci);
        if result.is_err() {
            paths::remove_created(&created);
        }
        result
    }

    fn publish_to(
        &self,
        request: &PublishRequest,
        file: &Path,
        registry: &Path,
        oci: bool,
    ) -> Result<PublishReport, Error> {
        let key = paths::optional(request.key.as_deref(), "--key", paths::existing_file)?;
        let mut grants = Grants::reading(paths::parent(file));
        if let Some(key) = &key {
            grants.read(paths::parent(key));
        }
        // Only when the version may have to come from the crate: ROOT can be
        // a whole repository.
        if request.version.is_none()
            && let Some(root) = paths::cargo_root(file)
        {
            grants.read(root);
        }
        if !oci {
            grants.write(paths::parent(registry));
        }
        let call = wit::PublishRequest {
            artifact: paths::guest(file),
            registry: paths::guest(registry),
            name: request.name.clone(),
            version: request.version.clone(),
            description: request.description.clone(),
            key: key.as_deref().map(paths::guest),
            location: request.location.clone(),
            force: request.force,
            expires_in: request.expires_in.map(|d| d.as_secs()),
        };
        self.call(grants, oci, |i, s| i.call_publish(s, &call))
    }

    /// Marks a version yanked in a local index (or not, with
    /// [`YankRequest::undo`]), bumping the index's version and signing it
    /// again.
    pub fn yank(&self, request: &YankRequest) -> Result<YankReport, Error> {
        let registry = paths::existing_file(&request.registry, "--registry")?;
        let key = paths::optional(request.key.as_deref(), "--key", paths::existing_file)?;
        let mut grants = Grants::default();
        grants.write(paths::parent(&registry));
        if let Some(key) = &key {
            grants.read(paths::parent(key));
        }
        let call = wit::YankRequest {
            registry: paths::guest(&registry),
            name: request.name.clone(),
            version: request.version.clone(),
            undo: request.undo,
            key: key.as_deref().map(paths::guest),
        };
        self.call(grants, false, |i, s| i.call_yank(s, &call))
    }

    /// Copies a registry and its artefacts into a directory, for offline use.
    pub fn mirror(&self, request: &MirrorRequest) -> Result<MirrorReport, Error> {
        let (source, mut grants) = self.index_source(&request.index)?;
        for dir in &request.allow_read {
            grants.read(&paths::existing_dir(dir, "--allow-read")?);
        }
        let key = paths::optional(request.key.as_deref(), "--key", paths::existing_file)?;
        if let Some(key) = &key {
            grants.read(paths::parent(key));
        }
        // Into an OCI namespace: pushed over the network, nothing to grant.
        if request.out.to_str().is_some_and(paths::is_oci) {
            if key.is_some() {
                return Err(Error::usage(
                    "--key signs a mirrored index; an OCI namespace has none (each plugin \
                     keeps its own signature annotation)",
                ));
            }
            let call = wit::MirrorRequest {
                source,
                out: request.out.to_string_lossy().into_owned(),
                key: None,
                max_size: request.max_size,
            };
            return self.call(grants, true, |i, s| i.call_mirror(s, &call));
        }
        let (out, created) = paths::ensure_dir(&request.out, "--out")?;
        grants.write(&out);
        let call = wit::MirrorRequest {
            source,
            out: paths::guest(&out),
            key: key.as_deref().map(paths::guest),
            max_size: request.max_size,
        };
        let result = self.call(grants, true, |i, s| i.call_mirror(s, &call));
        if result.is_err() && created {
            let _ = std::fs::remove_dir(&out);
        }
        result
    }

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
        };
        Ok((source, grants))
    }

    /// One call in a fresh store; the network only when `network`.
    pub(crate) fn call<R>(
        &self,
        grants: Grants,
        network: bool,
        f: impl FnOnce(
            &wit::Guest,
            &mut wasmtime::Store<engine::HostState>,
        ) -> wasmtime::Result<Result<R, wit::Error>>,
    ) -> Result<R, Error> {
        let fetch: Arc<dyn Fetch> = if network {
            self.inner.fetch.clone()
        } else {
            Arc::new(Offline)
        };
        let result = self
            .inner
            .runtime
            .with_installer(grants, fetch, self.inner.limits, self.inner.signals, f)
            .map_err(Failure::from)?;
        result.map_err(|e| Failure::installer(e).into())
    }

    /// Gives up a run on `dest` after `error` (a signal): a directory the run
    /// created is removed again when nothing is in it.
    fn abandon(&self, dest: &Path, created: bool, error: Error) -> Error {
        if created {
            paths::remove_if_unused(dest);
        }
        error
    }

    /// A call that writes into the plugins directory `dest`, whose lock the
    /// caller holds: when it traps, what it staged is removed.
    fn call_in<R>(
        &self,
        dest: &Path,
        grants: Grants,
        network: bool,
        f: impl FnOnce(
            &wit::Guest,
            &mut wasmtime::Store<engine::HostState>,
        ) -> wasmtime::Result<Result<R, wit::Error>>,
    ) -> Result<R, Error> {
        let result = self.call(grants, network, f);
        if let Err(e) = &result
            && e.is_trap()
        {
            // With limits of its own (the call's may be what stopped it), and
            // never in place of the error that says why the call stopped: a
            // temp file it cannot remove is reported by `audit` and removed
            // by the next install.
            let _ = self.inner.runtime.clean(dest, CLEAN_LIMITS);
        }
        result
    }
}

/// The registry as the component receives it, and the directory to grant
/// for it (none for a URL).
fn registry_arg(registry: &str) -> Result<(String, Option<PathBuf>), Error> {
    let lower = registry.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || paths::is_oci(registry) {
        return Ok((registry.to_string(), None));
    }
    let path = paths::existing_file(Path::new(registry), "--registry")?;
    Ok((
        paths::guest(&path),
        Some(paths::parent(&path).to_path_buf()),
    ))
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
