//! A plugin set: [`Installer::sync`] makes a plugins directory hold exactly
//! what a manifest (`wasm-plugin.toml`) declares, as its lock
//! (`wasm-plugin.lock`) pins it, or only brings the lock up to date
//! ([`SyncRequest::lock_only`], the CLI's `lock`); [`Installer::read_manifest`]
//! reads the manifest. A sync runs as the component's three steps (plan,
//! jobs, commit), its jobs on threads of the call: that orchestration is
//! here too.

use super::{DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_SIZE, registry_arg, world_ref};
use crate::engine::{Grants, wit};
use crate::error::{Error, Failure};
use crate::installer::Installer;
use crate::lock::{self, Access};
use crate::paths;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::engine::wit::{DeclaredPlugin, Manifest, SyncChange, SyncReport, SyncStep};

impl Manifest {
    /// The location of the registry a plugin without one comes from.
    pub fn default_registry_location(&self) -> Option<&str> {
        let name = self.default_registry.as_deref()?;
        self.registries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, location)| location.as_str())
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

    /// See [`InstallRequest::world`](crate::InstallRequest::world), in place of
    /// the manifest's `world`: pins are chosen among the versions whose
    /// published `exports` have the world's, and a pinned version whose bytes
    /// do not fit is refused when installed.
    pub fn world(mut self, wit: impl AsRef<Path>, name: Option<&str>) -> Self {
        self.world = Some((wit.as_ref().to_path_buf(), name.map(str::to_string)));
        self
    }

    /// See
    /// [`InstallRequest::allow_import`](crate::InstallRequest::allow_import):
    /// every plugin synced must meet it.
    pub fn allow_import(mut self, glob: impl Into<String>) -> Self {
        self.allow_imports.push(glob.into());
        self
    }

    /// See [`InstallRequest::deny_import`](crate::InstallRequest::deny_import).
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

    /// See [`InstallRequest::lock_timeout`](crate::InstallRequest::lock_timeout).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }
}

/// What each step of a sync may touch: a job only its sources and the
/// destination, never the project's directory.
struct SyncGrants {
    plan: Grants,
    job: Grants,
    commit: Grants,
}

impl Installer {
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
    /// the jobs did. A job that fails, refused by the component or stopped
    /// by the host (a trap, the deadline, the memory cap, as the `stopped`
    /// case of its error), is that plugin's failure and the others go on.
    /// The temp files a stopped job left are removed once no job is
    /// running, because removing them earlier could take a sibling's.
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
        let _running = self
            .stops_on_signals()
            .then(crate::interrupt::Running::start);

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
                            let index = job.index.as_ref().and_then(|key| {
                                plan.indexes.iter().find(|(k, _)| k == key).map(|(_, i)| i)
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
            let _ = self.clean(dest);
        }
        if let Some(signal) = crate::interrupt::pending() {
            return Err(Failure::Interrupted { signal }.into());
        }

        // In the plan's order: the jobs, then what could not be pinned. A
        // job the host stopped (a trap, its deadline, the memory cap) is
        // that plugin's failure like any other: the others' results are
        // kept and the lock keeps its old pin.
        let mut changes: Vec<SyncChange> = Vec::with_capacity(done.len() + plan.failed.len());
        for (k, result) in done {
            let planned = &plan.jobs[k].change;
            changes.push(match result {
                Ok(change) => change,
                Err(error) => SyncChange {
                    error: Some(match error.into_component() {
                        Ok(refused) => refused,
                        Err(host) => host.as_stopped(&planned.name),
                    }),
                    ..planned.clone()
                },
            });
        }
        changes.extend(plan.failed);
        let outcomes: Vec<wit::SyncOutcome> = changes
            .iter()
            .map(|c| wit::SyncOutcome {
                name: c.name.clone(),
                failed: c.error.is_some(),
            })
            .collect();
        let committed = self.call(grants.commit, false, |i, s| {
            i.call_commit_sync(s, call, &plan.pins, &outcomes)
        })?;
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
}
