//! `sync`: make a plugins directory hold exactly what `wasm-plugin.toml`
//! declares, at the versions and digests `wasm-plugin.lock` pins.
//!
//! Phases: read the manifest and the lock; pin each declared plugin (the
//! lock's pin while the requirement still admits it and the registry is the
//! same, else the highest matching version of the registry's index, read
//! once per registry); refuse with `locked` if that changed the lock; plan
//! against the receipts; then install each pin (the exact version, its
//! digest required) and uninstall what is no longer declared, each on its
//! own so one failure does not stop the others; write the lock last, if it
//! changed. `dry_run` stops after the plan.

use crate::error::{Error, Result};
use crate::plugin_set::lock::{self, Lock, Pin};
use crate::plugin_set::manifest;
use crate::plugins_dir::installed;
use crate::plugins_dir::receipt::{self, Found};
use crate::registry::index::Index;
use crate::registry::resolve::{self, Selector};
use crate::registry::{self, Policy, RegistryRef};
use crate::sandbox;
use crate::transfer::source::Fetcher;
use crate::transfer::staged::{Staged, sync_dir};
use crate::trust::TrustRoot;
use crate::trust::digest::Sha256Digest;
use crate::verbs::install::{self, Action, IndexBytes, InstallRequest, Mode};
use crate::verbs::uninstall;
use semver::VersionReq;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct SyncRequest {
    pub manifest: PathBuf,
    pub dest: PathBuf,
    pub trust_root: Option<PathBuf>,
    pub dry_run: bool,
    pub locked: bool,
    pub allow_expired: bool,
    pub max_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Install,
    Upgrade,
    Downgrade,
    Reinstall,
    Remove,
    Keep,
}

/// One plugin's change, planned or done; `error` when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub name: String,
    pub step: Step,
    pub from: Option<String>,
    pub to: Option<String>,
    pub error: Option<Error>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub dest: String,
    pub lock: String,
    /// Whether the lock was (or, with `dry_run`, would be) rewritten.
    pub lock_changed: bool,
    pub dry_run: bool,
    pub changes: Vec<Change>,
}

pub fn sync(request: &SyncRequest, fetcher: &dyn Fetcher) -> Result<SyncReport> {
    let dest = &request.dest;
    sandbox::check_granted(dest)?;
    install::remove_leftovers(dest)?;
    let trust = request
        .trust_root
        .as_deref()
        .map(TrustRoot::load)
        .transpose()?;
    let policy = Policy {
        trust: trust.as_ref(),
        allow_expired: request.allow_expired,
    };

    // Read: what is declared, what is pinned.
    let manifest = manifest::read(&request.manifest)?;
    let lock_path = lock::path_for(&request.manifest);
    let old_lock = lock::read(&lock_path)?;

    // Pin: keep a pin the manifest still admits; else resolve, reading each
    // registry's index once.
    let mut indexes: BTreeMap<String, (Index, IndexBytes)> = BTreeMap::new();
    let mut pins = Vec::new();
    for declared in &manifest.plugins {
        let registry_name = declared
            .registry
            .clone()
            .or_else(|| manifest.default_registry.clone())
            .expect("the manifest checks every plugin has a registry");
        let location = manifest
            .registries
            .iter()
            .find(|(n, _)| *n == registry_name)
            .map(|(_, l)| l.clone())
            .expect("the manifest checks registry names");
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
        if let Some(pin) = old_lock.get(&declared.name)
            && pin.registry == registry_name
            && admitted(&pin.version)
        {
            pins.push(pin.clone());
            continue;
        }
        let (index, _) = index_of(&mut indexes, &location, fetcher, policy)?;
        let selector = Selector::from_parts(None, requirement.as_ref());
        let entry = resolve::select(index, &declared.name, selector)?;
        pins.push(Pin {
            name: declared.name.clone(),
            registry: registry_name,
            version: entry.version.clone(),
            artifact: entry.artifact.clone(),
            sha256: entry.sha256.to_hex(),
            size: entry.size,
            signed_by: None,
        });
    }
    pins.sort_by(|a, b| a.name.cmp(&b.name));
    let mut new_lock = Lock { plugins: pins };
    let lock_changed = new_lock.to_text() != old_lock.to_text();
    if request.locked && lock_changed {
        let differs: Vec<&str> = new_lock
            .plugins
            .iter()
            .filter(|p| old_lock.get(&p.name) != Some(*p))
            .map(|p| p.name.as_str())
            .chain(
                old_lock
                    .plugins
                    .iter()
                    .filter(|p| new_lock.get(&p.name).is_none())
                    .map(|p| p.name.as_str()),
            )
            .collect();
        return Err(Error::InvalidRequest {
            value: lock_path.display().to_string(),
            reason: format!(
                "the lock does not match the manifest ({}); run sync without --locked to update it",
                differs.join(", ")
            ),
        });
    }

    // Plan: against what the receipts record.
    let declared: Vec<&str> = new_lock.plugins.iter().map(|p| p.name.as_str()).collect();
    let mut plan = Vec::new();
    for pin in &new_lock.plugins {
        let name = crate::registry::name::PluginName::parse(&pin.name)?;
        let installed = match receipt::read(dest, &name)? {
            Found::Valid(r) => Some(r),
            Found::Missing | Found::Invalid(_) => None,
        };
        let step = match &installed {
            None => Step::Install,
            Some(r) if r.version == pin.version && r.sha256 == pin.sha256 => Step::Keep,
            Some(r) => match resolve::compare_versions(&pin.version, &r.version) {
                Some(std::cmp::Ordering::Greater) => Step::Upgrade,
                Some(std::cmp::Ordering::Less) => Step::Downgrade,
                _ => Step::Reinstall,
            },
        };
        plan.push(Change {
            name: pin.name.clone(),
            step,
            from: installed.map(|r| r.version),
            to: Some(pin.version.clone()),
            error: None,
        });
    }
    for name in installed::installed_names(dest)? {
        if !declared.contains(&name.as_str()) {
            let version =
                match receipt::read(dest, &crate::registry::name::PluginName::parse(&name)?)? {
                    Found::Valid(r) => Some(r.version),
                    _ => None,
                };
            plan.push(Change {
                name,
                step: Step::Remove,
                from: version,
                to: None,
                error: None,
            });
        }
    }
    if request.dry_run {
        return Ok(SyncReport {
            dest: dest.display().to_string(),
            lock: lock_path.display().to_string(),
            lock_changed,
            dry_run: true,
            changes: plan,
        });
    }

    // Apply: each plugin on its own. A kept one is installed too, so that a
    // copy that no longer matches its receipt is repaired (install keeps an
    // intact one without writing).
    // Every pinned registry's index, read once for all its plugins (each
    // install checks it again from these bytes).
    for pin in &new_lock.plugins {
        let location = manifest
            .registries
            .iter()
            .find(|(n, _)| *n == pin.registry)
            .map(|(_, l)| l.clone())
            .expect("pins name the manifest's registries");
        index_of(&mut indexes, &location, fetcher, policy)?;
    }

    // The plan lists the pins first, in the lock's order, then removals.
    let pins = new_lock.plugins.clone();
    for (i, change) in plan.iter_mut().enumerate() {
        let result = match pins.get(i) {
            Some(pin) => {
                let location = manifest
                    .registries
                    .iter()
                    .find(|(n, _)| *n == pin.registry)
                    .map(|(_, l)| l.as_str())
                    .expect("pins name the manifest's registries");
                apply(request, pin, location, &indexes, fetcher).map(Some)
            }
            None => uninstall::uninstall(dest, &change.name).map(|_| None),
        };
        match result {
            Ok(Some(report)) => {
                change.step = match report.action {
                    Action::Installed => Step::Install,
                    Action::Upgraded => Step::Upgrade,
                    Action::Downgraded => Step::Downgrade,
                    Action::Reinstalled => Step::Reinstall,
                    Action::Unchanged => Step::Keep,
                };
                new_lock.plugins[i].signed_by = report.signed_by;
            }
            Ok(None) => {}
            Err(e) => change.error = Some(e),
        }
    }

    // Commit: the lock last, so it never pins what was not installed.
    let failed = plan.iter().any(|c| c.error.is_some());
    let text = new_lock.to_text();
    let written = !failed && text != old_lock.to_text();
    if written {
        let dir = lock_path.parent().unwrap_or(Path::new("/"));
        let mut staged = Staged::create(dir, "wasm-plugin.lock")?;
        staged.write_all(text.as_bytes())?;
        staged.persist(&lock_path)?;
        sync_dir(dir);
    }
    Ok(SyncReport {
        dest: dest.display().to_string(),
        lock: lock_path.display().to_string(),
        lock_changed: written,
        dry_run: false,
        changes: plan,
    })
}

/// The index at `location`, read the first time it is asked for.
fn index_of<'a>(
    indexes: &'a mut BTreeMap<String, (Index, IndexBytes)>,
    location: &str,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<&'a (Index, IndexBytes)> {
    use std::collections::btree_map::Entry;
    Ok(match indexes.entry(location.to_string()) {
        Entry::Occupied(read) => read.into_mut(),
        Entry::Vacant(slot) => {
            let loaded = registry::load(&RegistryRef::parse(location), fetcher, policy)?;
            let bytes = IndexBytes {
                bytes: loaded.bytes.clone(),
                signature: loaded.signature.clone(),
            };
            slot.insert((loaded.index, bytes))
        }
    })
}

/// Installs `pin`: its exact version, its digest required.
fn apply(
    request: &SyncRequest,
    pin: &Pin,
    location: &str,
    indexes: &BTreeMap<String, (Index, IndexBytes)>,
    fetcher: &dyn Fetcher,
) -> Result<install::InstallReport> {
    let pinned = Sha256Digest::parse_hex(&pin.sha256).map_err(|reason| Error::InvalidRequest {
        value: format!("the lock's pin of {}", pin.name),
        reason,
    })?;
    let install = InstallRequest {
        registry: location.to_string(),
        spec: pin.name.clone(),
        version: Some(pin.version.clone()),
        dest: request.dest.clone(),
        trust_root: request.trust_root.clone(),
        mode: Mode::Install,
        allow_downgrade: true,
        allow_expired: request.allow_expired,
        max_size: request.max_size,
        preloaded: indexes.get(location).map(|(_, bytes)| bytes.clone()),
        pinned: Some(pinned),
    };
    install::install(&install, fetcher)
}
