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
use crate::registry::index::{Entry, Index};
use crate::registry::name::PluginName;
use crate::registry::oci;
use crate::registry::resolve::{self, Selector};
use crate::registry::{self, Policy, RegistryRef};
use crate::sandbox;
use crate::transfer::source::Fetcher;
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
    let no_dest = PathBuf::new();
    let dest = request.dest.as_ref().unwrap_or(&no_dest);
    if !request.lock_only {
        sandbox::check_granted(dest)?;
    }
    if !request.dry_run && !request.lock_only {
        // The host holds the destination's lock: temp files of our naming
        // are an interrupted run's.
        install::remove_leftovers(dest)?;
    }
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
    let location_of = |registry: &str| -> String {
        manifest
            .registries
            .iter()
            .find(|(n, _)| n == registry)
            .map(|(_, l)| l.clone())
            .expect("the manifest checks registry names")
    };

    // Pin: keep a pin the manifest still admits; else resolve. A plugin
    // that cannot be pinned is its own failure, not the run's.
    let mut sources = Sources {
        fetcher,
        policy,
        indexes: BTreeMap::new(),
    };
    let mut pins = Vec::new();
    let mut failed = Vec::new();
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
        if let Some(pin) = old_lock.get(&declared.name)
            && pin.registry == registry_name
            && admitted(&pin.version)
            && !repin
        {
            pins.push(pin.clone());
            continue;
        }
        let location = location_of(&registry_name);
        match sources.resolve(&location, &declared.name, declared.requirement.as_deref()) {
            Ok(entry) => pins.push(Pin {
                name: declared.name.clone(),
                registry: registry_name,
                version: entry.version.clone(),
                artifact: entry.artifact.clone(),
                sha256: entry.sha256.to_hex(),
                size: entry.size,
                signed_by: None,
            }),
            Err(e) => failed.push(Change {
                name: declared.name.clone(),
                step: Step::Install,
                from: None,
                to: None,
                error: Some(e),
            }),
        }
    }
    pins.sort_by(|a, b| a.name.cmp(&b.name));
    let new_lock = Lock { plugins: pins };
    let changed: Vec<String> = new_lock
        .plugins
        .iter()
        .filter(|p| old_lock.get(&p.name).is_none_or(|old| !same_pin(old, p)))
        .map(|p| p.name.clone())
        .chain(failed.iter().map(|c: &Change| c.name.clone()))
        .chain(
            old_lock
                .plugins
                .iter()
                .filter(|p| !manifest.plugins.iter().any(|d| d.name == p.name))
                .map(|p| p.name.clone()),
        )
        .collect();
    if request.locked && !changed.is_empty() {
        return Err(Error::InvalidRequest {
            value: lock_path.display().to_string(),
            reason: format!(
                "the lock does not match the manifest ({}); run sync without --locked to update it",
                changed.join(", ")
            ),
        });
    }

    // Check: every pin against what its registry serves now. Other bytes
    // for a pinned version refuse the whole sync before anything changes:
    // the lock pins digests for a fleet, not only versions.
    for pin in &new_lock.plugins {
        let location = location_of(&pin.registry);
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
            Err(e) => failed.push(Change {
                name: pin.name.clone(),
                step: Step::Install,
                from: None,
                to: Some(pin.version.clone()),
                error: Some(e),
            }),
        }
    }

    if request.lock_only {
        return lock_only(request, &lock_path, &old_lock, new_lock, failed);
    }

    // Plan: against what the receipts record. Only plugins this installer
    // placed (with a receipt) are ever removed.
    let declared: Vec<&str> = manifest.plugins.iter().map(|p| p.name.as_str()).collect();
    let mut plan = Vec::new();
    for pin in &new_lock.plugins {
        if failed.iter().any(|c| c.name == pin.name) {
            continue;
        }
        let installed = match receipt::read(dest, &PluginName::parse(&pin.name)?)? {
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
        let Ok(parsed) = PluginName::parse(&name) else {
            continue;
        };
        if declared.contains(&name.as_str()) {
            continue;
        }
        if let Found::Valid(r) = receipt::read(dest, &parsed)? {
            plan.push(Change {
                name,
                step: Step::Remove,
                from: Some(r.version),
                to: None,
                error: None,
            });
        }
    }
    if request.dry_run {
        plan.extend(failed);
        return Ok(SyncReport {
            dest: dest.display().to_string(),
            lock: lock_path.display().to_string(),
            lock_changed: !changed.is_empty(),
            dry_run: true,
            changes: plan,
        });
    }

    // Apply: each plugin on its own. A kept one is installed too, so that a
    // copy that no longer matches its receipt is repaired (install keeps an
    // intact one without writing).
    let mut signed_by = BTreeMap::new();
    for change in plan.iter_mut() {
        let result = match new_lock.get(&change.name) {
            Some(pin) if change.step != Step::Remove => {
                let location = location_of(&pin.registry);
                apply(request, dest, pin, &location, &sources, fetcher).map(Some)
            }
            _ => uninstall::uninstall(dest, &change.name).map(|_| None),
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
                signed_by.insert(change.name.clone(), report.signed_by);
            }
            Ok(None) => {}
            Err(e) => change.error = Some(e),
        }
    }
    plan.extend(failed);

    // Commit: the lock last, pinning what is now in place: a plugin that
    // failed keeps its old pin (its old version is still installed).
    let written = if request.locked {
        false
    } else {
        let mut final_pins = Vec::new();
        for pin in &new_lock.plugins {
            let failed = plan.iter().any(|c| c.name == pin.name && c.error.is_some());
            match (failed, old_lock.get(&pin.name)) {
                (true, Some(old)) => final_pins.push(old.clone()),
                (true, None) => {}
                (false, _) => {
                    let mut pin = pin.clone();
                    // Who signed it, as this run found: recorded for new
                    // pins only, so every host writes the same lock.
                    if pin.signed_by.is_none()
                        && let Some(by) = signed_by.get(&pin.name)
                    {
                        pin.signed_by = by.clone();
                    }
                    final_pins.push(pin);
                }
            }
        }
        // A plugin that could not even be pinned keeps its old pin too.
        for change in plan.iter().filter(|c| c.error.is_some()) {
            if new_lock.get(&change.name).is_none()
                && let Some(old) = old_lock.get(&change.name)
            {
                final_pins.push(old.clone());
            }
        }
        let final_lock = Lock {
            plugins: final_pins,
        };
        let text = final_lock.to_text();
        let write = text != old_lock.to_text();
        if write {
            lock::write(&lock_path, &text)?;
        }
        write
    };
    Ok(SyncReport {
        dest: dest.display().to_string(),
        lock: lock_path.display().to_string(),
        lock_changed: written,
        dry_run: false,
        changes: plan,
    })
}

/// `wasm-plugin lock`: the pins that changed, and the lock written (unless
/// `dry_run` or `locked`, or a plugin could not be pinned).
fn lock_only(
    request: &SyncRequest,
    lock_path: &Path,
    old_lock: &Lock,
    new_lock: Lock,
    failed: Vec<Change>,
) -> Result<SyncReport> {
    let mut changes = Vec::new();
    for pin in &new_lock.plugins {
        let old = old_lock.get(&pin.name);
        let step = match old {
            None => Step::Install,
            Some(old) if same_pin(old, pin) => Step::Keep,
            Some(old) => match resolve::compare_versions(&pin.version, &old.version) {
                Some(std::cmp::Ordering::Greater) => Step::Upgrade,
                Some(std::cmp::Ordering::Less) => Step::Downgrade,
                _ => Step::Reinstall,
            },
        };
        changes.push(Change {
            name: pin.name.clone(),
            step,
            from: old.map(|o| o.version.clone()),
            to: Some(pin.version.clone()),
            error: None,
        });
    }
    for old in &old_lock.plugins {
        if new_lock.get(&old.name).is_none() && !failed.iter().any(|c| c.name == old.name) {
            changes.push(Change {
                name: old.name.clone(),
                step: Step::Remove,
                from: Some(old.version.clone()),
                to: None,
                error: None,
            });
        }
    }
    let text = new_lock.to_text();
    let differs = text != old_lock.to_text();
    let write = differs && failed.is_empty() && !request.dry_run && !request.locked;
    if write {
        lock::write(lock_path, &text)?;
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

/// The registries of a run, each index read once.
struct Sources<'a> {
    fetcher: &'a dyn Fetcher,
    policy: Policy<'a>,
    indexes: BTreeMap<String, (Index, IndexBytes)>,
}

impl Sources<'_> {
    /// The entry `requirement` selects for `name` at `location`.
    fn resolve(&mut self, location: &str, name: &str, requirement: Option<&str>) -> Result<Entry> {
        if oci::is_oci(location) {
            let spec = match requirement {
                Some(req) => format!("{name}@{req}"),
                None => name.to_string(),
            };
            return install::find_oci_entry(location, &spec, None, self.fetcher);
        }
        let requirement = requirement
            .map(VersionReq::parse)
            .transpose()
            .ok()
            .flatten();
        let (index, _) = index_of(&mut self.indexes, location, self.fetcher, self.policy)?;
        let selector = Selector::from_parts(None, requirement.as_ref());
        Ok(resolve::select(index, name, selector)?.clone())
    }

    /// The digest `location` serves for `name` `version` now.
    fn served(&mut self, location: &str, name: &str, version: &str) -> Result<Sha256Digest> {
        if oci::is_oci(location) {
            return Ok(
                install::find_oci_entry(location, name, Some(version), self.fetcher)?.sha256,
            );
        }
        let (index, _) = index_of(&mut self.indexes, location, self.fetcher, self.policy)?;
        Ok(resolve::select(index, name, Selector::Exact(version))?.sha256)
    }

    fn preloaded(&self, location: &str) -> Option<IndexBytes> {
        self.indexes.get(location).map(|(_, bytes)| bytes.clone())
    }
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
    dest: &Path,
    pin: &Pin,
    location: &str,
    sources: &Sources<'_>,
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
        dest: dest.to_path_buf(),
        trust_root: request.trust_root.clone(),
        mode: Mode::Install,
        allow_downgrade: true,
        allow_expired: request.allow_expired,
        max_size: request.max_size,
        preloaded: sources.preloaded(location),
        pinned: Some(pinned),
    };
    install::install(&install, fetcher)
}
