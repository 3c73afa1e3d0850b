//! `sync`: make a plugins directory hold exactly what `wasm-plugin.toml`
//! declares, at the versions and digests `wasm-plugin.lock` pins.
//!
//! Three steps, so that a host can run the middle one side by side:
//! - `plan`: read the manifest and the lock; pin each declared plugin (the
//!   lock's pin while the requirement still admits it and the registry is
//!   the same, else the highest matching version of the registry's index,
//!   read once per registry); refuse with `locked` if that changed the lock;
//!   check every pin against what its registry serves; then one job per pin
//!   and per plugin no longer declared, from the receipts. The directory's
//!   shared state (leftover temp files, the index versions seen) is dealt
//!   with here, once. `dry_run` stops after it.
//! - `apply`, per job: install the pin (the exact version, its digest
//!   required) or uninstall; touches only that plugin's files, so one
//!   failure does not stop the others.
//! - `commit`: write the lock last, if it changed.
//!
//! `sync` runs the three in one instance.

use crate::error::{Error, Result};
use crate::pipeline::{self, InstallRequest, Mode, WorldRef};
use crate::plugin_set::lock::{self, Lock, Pin};
use crate::plugin_set::manifest;
use crate::plugins_dir::PluginsDir;
use crate::plugins_dir::installed;
use crate::plugins_dir::receipt::{self, Found};
use crate::plugins_dir::remove;
use crate::plugins_dir::{roots, seen};
use crate::registry::index::Entry;
use crate::registry::name::PluginName;
use crate::registry::resolve::{self, Selector};
use crate::registry::spec::Requirement;
use crate::registry::{self, Loaded, Policy, RegistryRef};
use crate::registry::{oci, sparse};
use crate::sandbox;
use crate::transfer::http_cache::HttpCache;
use crate::transfer::source::Fetcher;
use crate::trust::TrustRoot;
use crate::trust::capabilities::ImportPolicy;
use crate::trust::digest::Sha256Digest;
use crate::trust::world::TargetWorld;
use crate::wit::{
    IndexBytes, InstallAction, Manifest, SyncChange, SyncCommitted, SyncJob, SyncOutcome,
    SyncReport, SyncStep, UnfitVersion,
};
use semver::VersionReq;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct SyncRequest {
    pub manifest: PathBuf,
    /// The plugins directory; none for `lock_only`.
    pub dest: Option<PathBuf>,
    pub trust_root: Option<PathBuf>,
    pub dry_run: bool,
    pub locked: bool,
    pub allow_expired: bool,
    pub max_size: u64,
    /// Pin afresh (the highest match) these plugins, or all when empty,
    /// instead of keeping their pins (`wasm-plugin lock --upgrade`).
    pub upgrade: Option<Vec<String>>,
    /// Only bring the lock up to date: install nothing (`wasm-plugin lock`).
    pub lock_only: bool,
    /// Reach the manifest's `oci://` registries over plain http.
    pub plain_http: bool,
    /// Which imports the plugins may have.
    pub imports: ImportPolicy,
    /// The world the plugins must fit (the CLI's `--world`, or the
    /// manifest's `world`).
    pub world: Option<WorldRef>,
}

/// A sync's work, planned: what `apply` does plugin by plugin (each on its
/// own, in any order or side by side), and what `commit` then writes.
#[derive(Debug, Clone)]
pub struct Plan {
    pub dest: String,
    pub lock_path: String,
    /// Whether the pins differ from the lock on disk.
    pub lock_changed: bool,
    /// One per declared plugin that could be pinned, and one per removal.
    pub jobs: Vec<SyncJob>,
    /// Plugins that could not be pinned (or whose registry was refused),
    /// each with its error.
    pub failed: Vec<SyncChange>,
    /// The pins the jobs install (the lock `commit` writes, less failures).
    pub pins: Lock,
    /// Each registry's index as the plan read it (each plugin's file of a
    /// sparse registry), by the key a job names as its `index`: the jobs
    /// check it again instead of fetching it (once per plan, not per job:
    /// an index may be megabytes).
    pub indexes: Vec<(String, IndexBytes)>,
}

impl Plan {
    /// The index a job checks again: its registry's (its plugin's file of
    /// a sparse one), as the plan read it (none for an OCI registry, which
    /// has no index).
    pub fn index_for(&self, job: &SyncJob) -> Option<&IndexBytes> {
        let key = job.index.as_ref()?;
        self.indexes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, bytes)| bytes)
    }
}

impl Plan {
    /// The plan as a dry run reports it.
    pub fn report(&self) -> SyncReport {
        SyncReport {
            dest: self.dest.clone(),
            lock: self.lock_path.clone(),
            lock_changed: self.lock_changed,
            dry_run: true,
            changes: self
                .jobs
                .iter()
                .map(|j| j.change.clone())
                .chain(self.failed.iter().cloned())
                .collect(),
        }
    }
}

/// The whole sync in one call: `plan`, `apply` each job in turn, `commit`.
/// A host that can run several component instances applies the jobs side
/// by side instead (each in its own store), then commits.
pub fn sync(request: &SyncRequest, fetcher: &dyn Fetcher) -> Result<SyncReport> {
    if request.lock_only {
        let pinned = pin(request, fetcher, fetcher)?;
        return lock_only(request, pinned);
    }
    let plan = plan(request, fetcher)?;
    if request.dry_run {
        return Ok(plan.report());
    }
    // Removals first, as a host running the jobs side by side does: a
    // plugin renamed only by case is installed once the old name is gone.
    let mut applied: Vec<(usize, SyncChange)> = Vec::with_capacity(plan.jobs.len());
    let (removals, others): (Vec<_>, Vec<_>) = plan
        .jobs
        .iter()
        .enumerate()
        .partition(|(_, job)| job.change.step == SyncStep::Remove);
    for (k, job) in removals.into_iter().chain(others) {
        let change =
            apply(request, job, plan.index_for(job), fetcher).unwrap_or_else(|e| SyncChange {
                error: Some(e.into()),
                ..job.change.clone()
            });
        applied.push((k, change));
    }
    applied.sort_by_key(|(k, _)| *k);
    let mut changes: Vec<SyncChange> = applied.into_iter().map(|(_, change)| change).collect();
    changes.extend(plan.failed.iter().cloned());
    let outcomes: Vec<SyncOutcome> = changes.iter().map(outcome_of).collect();
    let committed = commit(request, &plan.pins, &outcomes)?;
    Ok(SyncReport {
        dest: committed.dest,
        lock: committed.lock,
        lock_changed: committed.lock_changed,
        dry_run: false,
        changes,
    })
}

/// A plugin that failed before a job could be made for it.
fn unpinnable(name: &str, to: Option<&str>, error: Error) -> SyncChange {
    SyncChange {
        name: name.to_string(),
        step: SyncStep::Install,
        from: None,
        to: to.map(str::to_string),
        signed_by: None,
        error: Some(error.into()),
        skipped: Vec::new(),
    }
}

/// What reading and pinning found.
struct Pinned<'a> {
    manifest: Manifest,
    lock_path: PathBuf,
    old_lock: Lock,
    new_lock: Lock,
    /// Names whose pin differs from the lock on disk (or that it drops).
    changed: Vec<String>,
    failed: Vec<SyncChange>,
    /// By plugin: the versions passed over as not fitting the world.
    skipped: BTreeMap<String, Vec<UnfitVersion>>,
    sources: Sources<'a>,
}

impl Pinned<'_> {
    fn location_of(&self, registry: &str) -> String {
        location_of(&self.manifest, registry)
    }
}

fn location_of(manifest: &Manifest, registry: &str) -> String {
    manifest
        .registries
        .iter()
        .find(|(n, _)| n == registry)
        .map(|(_, l)| l.clone())
        .expect("the manifest checks registry names")
}

/// Read, pin and check: the manifest and the lock; each declared plugin's
/// pin (the lock's while the requirement still admits it and the registry
/// is the same, else the highest match of the registry's index, read once
/// per registry); `locked` refuses a changed lock; then every pin against
/// what its registry serves now.
/// `sparse_fetcher` reads a sparse registry's files (through the plugins
/// directory's cache, for a sync), `fetcher` everything else.
fn pin<'a>(
    request: &SyncRequest,
    fetcher: &'a dyn Fetcher,
    sparse_fetcher: &'a dyn Fetcher,
) -> Result<Pinned<'a>> {
    let trust = request
        .trust_root
        .as_deref()
        .map(TrustRoot::load)
        .transpose()?;
    // Read: what is declared, what is pinned.
    let mut manifest = manifest::read(&request.manifest)?;
    for (_, location) in manifest.registries.iter_mut() {
        match location.strip_prefix("oci://") {
            Some(rest) if request.plain_http => *location = format!("oci+http://{rest}"),
            // A sparse registry's directory is named by its config.json.
            _ => *location = sparse::by_config(location),
        }
    }
    let lock_path = lock::path_for(&request.manifest);
    let old_lock = lock::read(&lock_path)?;

    // The world pins are chosen by (its exports against the entries'
    // published ones; each job checks the bytes).
    let world = request.world.as_ref().map(WorldRef::load).transpose()?;

    // Pin: keep a pin the manifest still admits; else resolve. A plugin
    // that cannot be pinned is its own failure, not the run's.
    let mut sources = Sources {
        fetcher,
        sparse: sparse_fetcher,
        trust,
        allow_expired: request.allow_expired,
        indexes: BTreeMap::new(),
        refused: BTreeMap::new(),
        dest: request.dest.clone(),
        record: !request.dry_run && !request.lock_only,
    };
    sources.read_sparse(&manifest);
    let (mut pins, mut failed, skipped) =
        pin_each(request, &manifest, &old_lock, world.as_ref(), &mut sources);
    pins.sort_by(|a, b| a.name.cmp(&b.name));
    let new_lock = Lock { plugins: pins };
    let changed = changed_names(&manifest, &old_lock, &new_lock, &failed);
    if request.locked && !changed.is_empty() {
        return Err(Error::InvalidRequest {
            value: lock_path.display().to_string(),
            reason: format!(
                "the lock does not match the manifest ({}); run sync without --locked to update it",
                changed.join(", ")
            ),
        });
    }

    // Check: every pin against what its registry serves now.
    check_served(&manifest, &lock_path, &new_lock, &mut sources, &mut failed)?;
    Ok(Pinned {
        manifest,
        lock_path,
        old_lock,
        new_lock,
        changed,
        failed,
        skipped,
        sources,
    })
}

/// Each declared plugin's pin: the lock's while the manifest still admits
/// it (and the world, by its published exports), else the registry's
/// highest match. A plugin that cannot be pinned is its own failure, not
/// the run's. Returns the pins, the failures, and by plugin the versions
/// passed over as not fitting the world.
fn pin_each(
    request: &SyncRequest,
    manifest: &Manifest,
    old_lock: &Lock,
    world: Option<&TargetWorld>,
    sources: &mut Sources<'_>,
) -> (
    Vec<Pin>,
    Vec<SyncChange>,
    BTreeMap<String, Vec<UnfitVersion>>,
) {
    let mut pins = Vec::new();
    let mut failed = Vec::new();
    let mut skipped = BTreeMap::new();
    for declared in &manifest.plugins {
        let registry_name = declared
            .registry
            .clone()
            .or_else(|| manifest.default_registry.clone())
            .expect("the manifest checks every plugin has a registry");
        let requirement = declared
            .requirement
            .as_deref()
            .map(VersionReq::parse)
            .transpose()
            .expect("the manifest checks requirements");
        let admitted = |version: &str| match (&requirement, semver::Version::parse(version)) {
            (None, _) => true,
            (Some(req), Ok(v)) => req.matches(&v),
            (Some(_), Err(_)) => false,
        };
        let repin = request
            .upgrade
            .as_ref()
            .is_some_and(|names| names.is_empty() || names.contains(&declared.name));
        // A pin the world rules out (by its published exports) is chosen
        // again, as one the requirement no longer admits would be.
        let location = location_of(manifest, &registry_name);
        let fits = |sources: &mut Sources<'_>, pin: &Pin| match world {
            Some(world) => !sources.published_unfit(&location, &pin.name, &pin.version, world),
            None => true,
        };
        if let Some(pin) = old_lock.get(&declared.name)
            && pin.registry == registry_name
            && admitted(&pin.version)
            && !repin
            && fits(sources, pin)
        {
            pins.push(pin.clone());
            continue;
        }
        let resolved = sources.resolve(
            &location,
            &declared.name,
            declared.requirement.as_deref(),
            world,
        );
        match resolved {
            Ok((entry, passed_over)) => {
                if !passed_over.is_empty() {
                    skipped.insert(declared.name.clone(), passed_over);
                }
                pins.push(Pin {
                    name: declared.name.clone(),
                    registry: registry_name,
                    version: entry.version.clone(),
                    artifact: entry.artifact.clone(),
                    sha256: entry.sha256.to_hex(),
                    size: entry.size,
                    signed_by: None,
                })
            }
            Err(e) => failed.push(unpinnable(&declared.name, None, e)),
        }
    }
    (pins, failed, skipped)
}

/// Names whose pin differs from the lock on disk, failed to pin, or that
/// the manifest no longer declares.
fn changed_names(
    manifest: &Manifest,
    old_lock: &Lock,
    new_lock: &Lock,
    failed: &[SyncChange],
) -> Vec<String> {
    new_lock
        .plugins
        .iter()
        .filter(|p| old_lock.get(&p.name).is_none_or(|old| !same_pin(old, p)))
        .map(|p| p.name.clone())
        .chain(failed.iter().map(|c: &SyncChange| c.name.clone()))
        .chain(
            old_lock
                .plugins
                .iter()
                .filter(|p| !manifest.plugins.iter().any(|d| d.name == p.name))
                .map(|p| p.name.clone()),
        )
        .collect()
}

/// Every pin against what its registry serves now. Other bytes for a
/// pinned version refuse the whole sync before anything changes: the lock
/// pins digests for a fleet, not only versions. A version the registry no
/// longer serves fails that plugin only; re-pinning it is a decision for
/// whoever owns the lock (`wasm-plugin lock --upgrade`).
fn check_served(
    manifest: &Manifest,
    lock_path: &Path,
    new_lock: &Lock,
    sources: &mut Sources<'_>,
    failed: &mut Vec<SyncChange>,
) -> Result<()> {
    for pin in &new_lock.plugins {
        let location = location_of(manifest, &pin.registry);
        match sources.served(&location, &pin.name, &pin.version) {
            Ok(served) if served.to_hex() != pin.sha256 => {
                return Err(Error::DigestMismatch {
                    source: format!(
                        "{} {} in {location} (the lock pins sha256 {}; the registry now serves {})",
                        pin.name,
                        pin.version,
                        pin.sha256,
                        served.to_hex()
                    ),
                    expected: pin.sha256.clone(),
                    actual: served.to_hex(),
                });
            }
            Ok(_) => {}
            Err(Error::UnknownVersion { available, .. }) => {
                let e = Error::InvalidRequest {
                    value: lock_path.display().to_string(),
                    reason: format!(
                        "it pins {} {}, which {location} no longer lists (it has: {}); \
                         `wasm-plugin lock --upgrade {}` pins another",
                        pin.name,
                        pin.version,
                        available.join(", "),
                        pin.name
                    ),
                };
                failed.push(unpinnable(&pin.name, Some(&pin.version), e));
            }
            Err(e) => failed.push(unpinnable(&pin.name, Some(&pin.version), e)),
        }
    }
    Ok(())
}

/// Pins, then plans against what the receipts record: one job per pinned
/// plugin (a kept one too, so that a copy that no longer matches its
/// receipt is repaired) and one per removal. Only plugins this installer
/// placed (with a receipt) are ever removed. Unless `dry_run`, the run's
/// shared work is done here, once, so that the jobs touch nothing but their
/// own plugin: temp files of interrupted runs removed, and the version of
/// each index a job installs from recorded as seen (as an install that
/// finds its plugin current records it: the index was verified, whatever
/// becomes of the jobs; one no job uses is not, so a sync that could pin
/// nothing writes nothing).
pub fn plan(request: &SyncRequest, fetcher: &dyn Fetcher) -> Result<Plan> {
    let dest = request.dest.as_ref().ok_or_else(|| Error::InvalidRequest {
        value: "sync".to_string(),
        reason: "a sync needs a plugins directory".to_string(),
    })?;
    sandbox::check_granted(dest)?;
    if !request.dry_run {
        // The host holds the destination's lock: temp files of our naming
        // are an interrupted run's.
        pipeline::remove_leftovers(dest)?;
    }
    // A sparse registry's files the plan reads go through the plugins
    // directory's cache, so that a sync with nothing changed
    // gets 304s; kept only when every pin was made (below), never on a
    // dry run.
    let cache = HttpCache::new(
        fetcher,
        (!request.dry_run).then(|| PluginsDir::new(dest).http_cache()),
    );
    let mut pinned = pin(request, fetcher, &cache)?;

    let declared: Vec<&str> = pinned
        .manifest
        .plugins
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let mut jobs = Vec::new();
    let failed = std::mem::take(&mut pinned.failed);
    for pin in &pinned.new_lock.plugins {
        if failed.iter().any(|c| c.name == pin.name) {
            continue;
        }
        let location = pinned.location_of(&pin.registry);
        let installed = match receipt::read(dest, &PluginName::parse(&pin.name)?)? {
            Found::Valid(r) => Some(r),
            Found::Missing | Found::Invalid(_) => None,
        };
        let step = match &installed {
            None => SyncStep::Install,
            Some(r) if r.version == pin.version && r.sha256 == pin.sha256 => SyncStep::Keep,
            Some(r) => step_between(&r.version, &pin.version),
        };
        jobs.push(SyncJob {
            change: SyncChange {
                name: pin.name.clone(),
                step,
                from: installed.map(|r| r.version),
                to: Some(pin.version.clone()),
                signed_by: None,
                error: None,
                skipped: pinned.skipped.get(&pin.name).cloned().unwrap_or_default(),
            },
            index: pinned.sources.key_read(&location, &pin.name),
            registry: Some(location),
            sha256: Some(pin.sha256.clone()),
        });
    }
    for name in installed::installed_names(dest)? {
        let Ok(parsed) = PluginName::parse(&name) else {
            continue;
        };
        if declared.contains(&name.as_str()) {
            continue;
        }
        if let Found::Valid(r) = receipt::read(dest, &parsed)? {
            jobs.push(SyncJob {
                change: SyncChange {
                    name,
                    step: SyncStep::Remove,
                    from: Some(r.version),
                    to: None,
                    signed_by: None,
                    error: None,
                    skipped: Vec::new(),
                },
                registry: None,
                sha256: None,
                index: None,
            });
        }
    }
    // Record: the versions of the indexes the jobs install from (of a
    // sparse registry, each plugin file and the timestamp read with it).
    let used = |key: &String| jobs.iter().any(|j| j.index.as_ref() == Some(key));
    if !request.dry_run {
        for (key, loaded) in &pinned.sources.indexes {
            if used(key) {
                seen::record_seen(dest, loaded)?;
            }
        }
        if failed.is_empty() {
            cache.commit();
        }
    }
    let indexes = pinned
        .sources
        .indexes
        .keys()
        .filter(|key| used(key))
        .filter_map(|key| Some((key.clone(), pinned.sources.preloaded(key)?)))
        .collect();
    Ok(Plan {
        dest: dest.display().to_string(),
        lock_path: pinned.lock_path.display().to_string(),
        lock_changed: !pinned.changed.is_empty(),
        jobs,
        failed,
        pins: pinned.new_lock,
        indexes,
    })
}

/// Does one job of a plan: installs the pin (its exact version, its digest
/// required, its registry's index as the plan read it) or uninstalls.
/// Touches only that plugin's files, so jobs of one plan may run side by
/// side in separate instances.
pub fn apply(
    request: &SyncRequest,
    job: &SyncJob,
    index: Option<&IndexBytes>,
    fetcher: &dyn Fetcher,
) -> Result<SyncChange> {
    let dest = request.dest.as_ref().ok_or_else(|| Error::InvalidRequest {
        value: "sync".to_string(),
        reason: "a sync needs a plugins directory".to_string(),
    })?;
    if job.change.step == SyncStep::Remove {
        remove::uninstall(dest, &job.change.name)?;
        return Ok(job.change.clone());
    }
    // Anything but a removal installs: a job that does not say what is a
    // host's mistake, never a reason to delete a plugin.
    let (Some(location), Some(to), Some(sha256)) = (&job.registry, &job.change.to, &job.sha256)
    else {
        return Err(Error::InvalidRequest {
            value: format!("the sync job of {}", job.change.name),
            reason: "an install job needs its registry, version and digest".to_string(),
        });
    };
    let pinned = Sha256Digest::parse_hex(sha256).map_err(|reason| Error::InvalidRequest {
        value: format!("the lock's pin of {}", job.change.name),
        reason,
    })?;
    let install = InstallRequest {
        registry: location.clone(),
        spec: job.change.name.clone(),
        version: Some(to.clone()),
        dest: dest.clone(),
        trust_root: request.trust_root.clone(),
        mode: Mode::Install,
        allow_downgrade: true,
        allow_expired: request.allow_expired,
        max_size: request.max_size,
        preloaded: index.cloned(),
        pinned: Some(pinned),
        planned: true,
        dry_run: false,
        imports: request.imports.clone(),
        world: request.world.clone(),
    };
    let report = pipeline::install(&install, fetcher)?;
    Ok(SyncChange {
        step: match report.action {
            InstallAction::Installed => SyncStep::Install,
            InstallAction::Upgraded => SyncStep::Upgrade,
            InstallAction::Downgraded => SyncStep::Downgrade,
            InstallAction::Reinstalled => SyncStep::Reinstall,
            InstallAction::Unchanged => SyncStep::Keep,
        },
        signed_by: report.signed_by,
        ..job.change.clone()
    })
}

/// What `commit` needs of one plugin's change.
fn outcome_of(change: &SyncChange) -> SyncOutcome {
    SyncOutcome {
        name: change.name.clone(),
        failed: change.error.is_some(),
    }
}

/// Writes the lock last, pinning what is now in place: a plugin whose job
/// did not succeed (it failed, or reported nothing) keeps its old pin (its
/// old version is still installed), or none. `outcomes` are the applied
/// jobs' and the plan's failures.
pub fn commit(
    request: &SyncRequest,
    planned: &Lock,
    outcomes: &[SyncOutcome],
) -> Result<SyncCommitted> {
    let lock_path = lock::path_for(&request.manifest);
    let old_lock = lock::read(&lock_path)?;
    let succeeded = |name: &str| outcomes.iter().any(|c| c.name == name && !c.failed);
    let mut final_pins = Vec::new();
    for pin in &planned.plugins {
        match (!succeeded(&pin.name), old_lock.get(&pin.name)) {
            (true, Some(old)) => final_pins.push(old.clone()),
            (true, None) => {}
            (false, _) => {
                final_pins.push(pin.clone());
            }
        }
    }
    // A plugin that could not even be pinned keeps its old pin too.
    for outcome in outcomes.iter().filter(|c| c.failed) {
        if planned.get(&outcome.name).is_none()
            && let Some(old) = old_lock.get(&outcome.name)
        {
            final_pins.push(old.clone());
        }
    }
    let text = Lock {
        plugins: final_pins,
    }
    .to_text();
    let written = !request.locked && text != old_lock.to_text();
    if written {
        lock::write(&lock_path, &text)?;
    }
    Ok(SyncCommitted {
        dest: request
            .dest
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        lock: lock_path.display().to_string(),
        lock_changed: written,
    })
}

/// The step from `installed` to `pinned`, two different versions.
fn step_between(installed: &str, pinned: &str) -> SyncStep {
    match resolve::compare_versions(pinned, installed) {
        Some(std::cmp::Ordering::Greater) => SyncStep::Upgrade,
        Some(std::cmp::Ordering::Less) => SyncStep::Downgrade,
        _ => SyncStep::Reinstall,
    }
}

/// `wasm-plugin lock`: the pins that changed, and the lock written (unless
/// `dry_run` or `locked`, or a plugin could not be pinned).
fn lock_only(request: &SyncRequest, pinned: Pinned<'_>) -> Result<SyncReport> {
    let Pinned {
        lock_path,
        old_lock,
        new_lock,
        failed,
        skipped,
        ..
    } = pinned;
    let mut changes = Vec::new();
    for pin in &new_lock.plugins {
        let old = old_lock.get(&pin.name);
        let step = match old {
            None => SyncStep::Install,
            Some(old) if same_pin(old, pin) => SyncStep::Keep,
            Some(old) => step_between(&old.version, &pin.version),
        };
        changes.push(SyncChange {
            name: pin.name.clone(),
            step,
            from: old.map(|o| o.version.clone()),
            to: Some(pin.version.clone()),
            signed_by: None,
            error: None,
            skipped: skipped.get(&pin.name).cloned().unwrap_or_default(),
        });
    }
    for old in &old_lock.plugins {
        if new_lock.get(&old.name).is_none() && !failed.iter().any(|c| c.name == old.name) {
            changes.push(SyncChange {
                name: old.name.clone(),
                step: SyncStep::Remove,
                from: Some(old.version.clone()),
                to: None,
                signed_by: None,
                error: None,
                skipped: Vec::new(),
            });
        }
    }
    let text = new_lock.to_text();
    let differs = text != old_lock.to_text();
    let write = differs && failed.is_empty() && !request.dry_run && !request.locked;
    if write {
        lock::write(&lock_path, &text)?;
    }
    changes.extend(failed);
    Ok(SyncReport {
        dest: String::new(),
        lock: lock_path.display().to_string(),
        lock_changed: if request.dry_run { differs } else { write },
        dry_run: request.dry_run,
        changes,
    })
}

/// Two pins of the same plugin and bytes (who signed it aside: that is
/// what a host's trust root says, not what the lock pins).
fn same_pin(a: &Pin, b: &Pin) -> bool {
    a.registry == b.registry && a.version == b.version && a.sha256 == b.sha256
}

/// The registries of a run, each index (each plugin's file of a sparse
/// registry) read once.
struct Sources<'a> {
    fetcher: &'a dyn Fetcher,
    /// What a sparse registry's files are read through.
    sparse: &'a dyn Fetcher,
    trust: Option<TrustRoot>,
    allow_expired: bool,
    /// By key (`key`): every non-OCI index the run read, checked.
    indexes: BTreeMap<String, Loaded>,
    /// By key: why an index was refused (read once, like the rest).
    refused: BTreeMap<String, Error>,
    /// Where the newest root of each registry is recorded (with
    /// `root.json`), when it exists and `record`.
    dest: Option<PathBuf>,
    record: bool,
}

impl Sources<'_> {
    /// The entry `requirement` selects for `name` at `location`: with a
    /// world, the highest whose published exports do not rule it out.
    fn resolve(
        &mut self,
        location: &str,
        name: &str,
        requirement: Option<&str>,
        world: Option<&TargetWorld>,
    ) -> Result<(Entry, Vec<UnfitVersion>)> {
        if oci::is_oci(location) {
            let spec = match requirement {
                Some(req) => format!("{name}@{req}"),
                None => name.to_string(),
            };
            return Ok((
                pipeline::find_oci_entry(location, &spec, None, self.fetcher)?,
                Vec::new(),
            ));
        }
        let requirement = requirement
            .map(Requirement::parse)
            .transpose()
            .ok()
            .flatten();
        let selector = Selector::from_parts(None, requirement.as_ref());
        let base = &self.index(location, name)?.index;
        // The index less the versions passed over (copied at the first).
        let mut rest: Option<registry::index::Index> = None;
        let mut skipped = Vec::new();
        loop {
            let index = rest.as_ref().unwrap_or(base);
            let entry = match resolve::select(index, name, selector) {
                Ok(entry) => entry.clone(),
                Err(Error::UnknownVersion { .. } | Error::UnknownPlugin { .. })
                    if !skipped.is_empty() =>
                {
                    let world = world.expect("only a world skips");
                    return Err(Error::Incompatible {
                        artifact: match &requirement {
                            Some(req) => format!("{name}@{}", req.given),
                            None => name.to_string(),
                        },
                        world: world.shown.clone(),
                        mismatch: format!("no version of {name} the manifest allows fits it"),
                        skipped,
                    });
                }
                Err(e) => return Err(e),
            };
            let unfit = match (world, &entry.exports) {
                (Some(world), Some(exports)) if !selector.is_exact() => world.missing_from(exports),
                _ => None,
            };
            let Some(reason) = unfit else {
                return Ok((entry, skipped));
            };
            rest.get_or_insert_with(|| base.clone())
                .plugins
                .retain(|e| !(e.name == entry.name && e.version == entry.version));
            skipped.push(UnfitVersion {
                version: entry.version,
                reason: format!("{reason} (by its exports in the index)"),
            });
        }
    }

    /// Whether the entry `location` lists for `name` `version` publishes
    /// exports that lack one of the world's. An index that cannot be read
    /// says nothing here: the pin's check against the registry reports it.
    fn published_unfit(
        &mut self,
        location: &str,
        name: &str,
        version: &str,
        world: &TargetWorld,
    ) -> bool {
        if oci::is_oci(location) {
            return false;
        }
        let Ok(loaded) = self.index(location, name) else {
            return false;
        };
        loaded
            .index
            .plugins
            .iter()
            .find(|e| e.name.as_str() == name && e.version == version)
            .and_then(|e| e.exports.as_ref())
            .is_some_and(|exports| world.missing_from(exports).is_some())
    }

    /// The digest `location` serves for `name` `version` now.
    fn served(&mut self, location: &str, name: &str, version: &str) -> Result<Sha256Digest> {
        if oci::is_oci(location) {
            return Ok(
                pipeline::find_oci_entry(location, name, Some(version), self.fetcher)?.sha256,
            );
        }
        let index = &self.index(location, name)?.index;
        Ok(resolve::select(index, name, Selector::Exact(version))?.sha256)
    }

    /// The index read under `key`, for the jobs to check again.
    fn preloaded(&self, key: &str) -> Option<IndexBytes> {
        self.indexes.get(key).map(|loaded| IndexBytes {
            index: loaded.bytes.clone(),
            signature: loaded.signature.clone(),
        })
    }

    /// What the index `name` is read from at `location` is kept under: the
    /// location of a flat index; of a sparse registry, the plugin's file
    /// (`Foo` and `foo` share one).
    fn key(location: &str, name: &str) -> Result<String> {
        let registry = RegistryRef::parse(location);
        match sparse::is_sparse(&registry) {
            true => Ok(sparse::plugin_file(&registry, &PluginName::parse(name)?)?.shown()),
            false => Ok(location.to_string()),
        }
    }

    /// The key of the index `name`'s job checks again, if the run read it.
    fn key_read(&self, location: &str, name: &str) -> Option<String> {
        Self::key(location, name)
            .ok()
            .filter(|key| self.indexes.contains_key(key))
    }

    /// The index of `name` at `location` (its file, of a sparse registry),
    /// read the first time it is asked for.
    fn index(&mut self, location: &str, name: &str) -> Result<&Loaded> {
        let key = Self::key(location, name)?;
        if let Some(e) = self.refused.get(&key) {
            return Err(e.clone());
        }
        if !self.indexes.contains_key(&key) {
            match self.load(location, name) {
                Ok(loaded) => self.indexes.insert(key.clone(), loaded),
                Err(e) => {
                    self.refused.insert(key, e.clone());
                    return Err(e);
                }
            };
        }
        Ok(&self.indexes[&key])
    }

    /// Reads and checks the index at `location` (`name`'s file, of a
    /// sparse registry, its freshness too): with root.json, each
    /// registry's rotations first, as install walks them (and recorded
    /// here, so the jobs start from it); then, where the plugins directory
    /// exists, against the index versions it recorded, so that neither a
    /// sync nor a `lock` pins from a rolled-back or signature-stripped
    /// index.
    fn load(&self, location: &str, name: &str) -> Result<Loaded> {
        let registry = RegistryRef::parse(location);
        let trust = self.trust_for(&registry)?;
        let policy = Policy {
            trust: trust.as_ref(),
            allow_expired: self.allow_expired,
        };
        let loaded = match sparse::is_sparse(&registry) {
            true => sparse::load_plugin(&registry, &PluginName::parse(name)?, self.sparse, policy)?,
            false => registry::load(&registry, self.fetcher, policy)?,
        };
        self.not_rolled_back(loaded)
    }

    /// Reads the files of every plugin `manifest` declares from a sparse
    /// registry, each registry's in one `sparse::load_plugins` (which may
    /// fetch them side by side), and keeps each as `index` would: pinning
    /// and checking then find them read. Whatever cannot be read here is
    /// left for `index` to read and report.
    fn read_sparse(&mut self, manifest: &Manifest) {
        for (registry_name, location) in &manifest.registries {
            let registry = RegistryRef::parse(location);
            if !sparse::is_sparse(&registry) {
                continue;
            }
            let declared = |d: &&crate::wit::DeclaredPlugin| {
                d.registry.as_ref().or(manifest.default_registry.as_ref()) == Some(registry_name)
            };
            let names: Vec<PluginName> = manifest
                .plugins
                .iter()
                .filter(declared)
                .filter_map(|d| PluginName::parse(&d.name).ok())
                .filter(|name| sparse::plugin_path(name).is_ok())
                .collect();
            let Ok(trust) = self.trust_for(&registry) else {
                continue;
            };
            let policy = Policy {
                trust: trust.as_ref(),
                allow_expired: self.allow_expired,
            };
            let files = sparse::load_plugins(&registry, &names, self.sparse, policy);
            for (name, loaded) in names.iter().zip(files) {
                let Ok(key) = Self::key(location, name.as_str()) else {
                    continue;
                };
                match loaded.and_then(|loaded| self.not_rolled_back(loaded)) {
                    Ok(loaded) => {
                        self.indexes.insert(key, loaded);
                    }
                    Err(e) => {
                        self.refused.insert(key, e);
                    }
                }
            }
        }
    }

    /// The trust root `registry`'s files are judged by: with root.json,
    /// the keys its rotations lead to.
    fn trust_for(&self, registry: &RegistryRef) -> Result<Option<TrustRoot>> {
        match &self.trust {
            Some(root) if root.metadata.is_some() => Ok(Some(self.rotated(registry, root)?)),
            other => Ok(other.clone()),
        }
    }

    /// `loaded`, unless it is older than what the plugins directory (where
    /// it exists) recorded, or stripped of a signature it recorded.
    fn not_rolled_back(&self, loaded: Loaded) -> Result<Loaded> {
        if let Some(dest) = self.existing_dest()? {
            seen::check_not_rolled_back(dest, &loaded)?;
        }
        Ok(loaded)
    }

    /// The plugins directory, when the request names one that exists.
    fn existing_dest(&self) -> Result<Option<&Path>> {
        match &self.dest {
            Some(dest) if sandbox::exists(dest)? => Ok(Some(dest)),
            _ => Ok(None),
        }
    }

    fn rotated(&self, registry: &RegistryRef, root: &TrustRoot) -> Result<TrustRoot> {
        match self.existing_dest()? {
            Some(dest) => roots::rotated_trust(
                dest,
                registry,
                root,
                self.fetcher,
                self.allow_expired,
                self.record,
            ),
            // No plugins directory (a `lock`): from the trust root's own.
            _ => {
                let own = root.metadata.as_ref().expect("checked by the caller");
                let newest =
                    registry::rotation::walk(registry, own, self.fetcher, self.allow_expired)?;
                Ok(root.with_metadata(newest))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::source::NoNetwork;
    use crate::trust::digest::Sha256Digest;
    use serde_json::json;

    /// A sparse registry in `dir/reg` offering `names` (one version each),
    /// and a manifest naming it by its directory, into `dir/plugins`.
    fn sparse_set(dir: &Path, names: &[&str]) -> SyncRequest {
        let reg = dir.join("reg");
        std::fs::create_dir_all(&reg).unwrap();
        std::fs::write(reg.join("config.json"), "{}").unwrap();
        for name in names {
            let bytes = format!("\0asm {name}");
            std::fs::write(reg.join(format!("{name}.wasm")), &bytes).unwrap();
            let plugin = PluginName::parse(name).unwrap();
            let file = reg.join(sparse::plugin_path(&plugin).unwrap());
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            let entry = json!({"name": name, "version": "1.0.0", "artifact": format!("{name}.wasm"),
                "sha256": Sha256Digest::of(bytes.as_bytes()).to_hex()});
            let index = json!({"version": 3, "plugins": [entry]});
            std::fs::write(file, index.to_string()).unwrap();
        }
        let plugins: String = names.iter().map(|n| format!("{n} = \"^1\"\n")).collect();
        let manifest = dir.join("wasm-plugin.toml");
        std::fs::write(
            &manifest,
            format!("dest = \"plugins\"\n[registries]\ndefault = \"reg\"\n[plugins]\n{plugins}"),
        )
        .unwrap();
        SyncRequest {
            manifest,
            dest: Some(dir.join("plugins")),
            trust_root: None,
            dry_run: false,
            locked: false,
            allow_expired: false,
            max_size: 1 << 20,
            upgrade: None,
            lock_only: false,
            plain_http: false,
            imports: ImportPolicy::default(),
            world: None,
        }
    }

    #[test]
    fn a_plan_of_a_sparse_registry_hands_each_job_its_plugins_file() {
        let dir = tempfile::tempdir().unwrap();
        let request = sparse_set(dir.path(), &["colmask", "hello"]);
        std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
        let plan = plan(&request, &NoNetwork).unwrap();
        assert!(plan.failed.is_empty(), "{:?}", plan.failed);
        let reg = dir.path().join("reg");
        for (job, file) in plan.jobs.iter().zip(["co/lm/colmask", "he/ll/hello"]) {
            assert_eq!(
                job.registry.as_deref(),
                Some(reg.join("config.json").to_str().unwrap())
            );
            let key = reg.join(file).display().to_string();
            assert_eq!(job.index.as_deref(), Some(key.as_str()));
            let preloaded = plan.index_for(job).unwrap();
            assert_eq!(preloaded.index, std::fs::read(reg.join(file)).unwrap());
        }
        // The jobs install from the plan's copies: the files may be gone.
        std::fs::remove_file(reg.join("co/lm/colmask")).unwrap();
        for job in &plan.jobs {
            let change = apply(&request, job, plan.index_for(job), &NoNetwork).unwrap();
            assert_eq!(change.step, SyncStep::Install, "{change:?}");
        }
        let receipt =
            std::fs::read_to_string(dir.path().join("plugins/.wasm-plugin/receipts/hello.json"))
                .unwrap();
        assert!(receipt.contains("config.json"), "{receipt}");
    }

    #[test]
    fn lock_pins_each_plugin_from_its_file_of_a_sparse_registry() {
        let dir = tempfile::tempdir().unwrap();
        let mut request = sparse_set(dir.path(), &["colmask", "abc"]);
        request.lock_only = true;
        request.dest = None;
        let report = sync(&request, &NoNetwork).unwrap();
        assert!(report.lock_changed, "{report:?}");
        let lock = std::fs::read_to_string(dir.path().join("wasm-plugin.lock")).unwrap();
        assert!(lock.contains("colmask") && lock.contains("abc"), "{lock}");
    }
}
