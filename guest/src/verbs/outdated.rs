//! `outdated`: for each installed plugin, what the registry offers now:
//! the highest version its recorded requirement admits (what `upgrade`
//! would take) and the highest of all (what `upgrade NAME@*` would take).
//! Read-only: the plugins directory is only listed (and a sparse
//! registry's files revalidated against what its cache holds; the host
//! grants it read-only, so nothing new is kept).

use crate::error::{Error, Result};
use crate::pipeline;
use crate::plugins_dir::PluginsDir;
use crate::plugins_dir::receipt::{self, Found};
use crate::registry::index::Index;
use crate::registry::name::PluginName;
use crate::registry::resolve::{self, Selector};
use crate::registry::spec::Requirement;
use crate::registry::{self, Loaded, Policy, RegistryRef, oci, sparse};
use crate::sandbox;
use crate::transfer::http_cache::HttpCache;
use crate::transfer::source::Fetcher;
use crate::wit::OutdatedPlugin;
use std::collections::BTreeMap;
use std::path::Path;

/// Every plugin installed in `dest` (with a receipt), against `registry`.
pub fn outdated(
    dest: &Path,
    registry: &str,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Vec<OutdatedPlugin>> {
    sandbox::check_granted(dest)?;
    let receipts: Vec<_> = receipt::all(dest)?
        .into_iter()
        .filter_map(|(_, found)| match found {
            Found::Valid(r) => Some(r),
            _ => None,
        })
        .collect();
    // An index is read once; an OCI registry is one repository per
    // plugin, a sparse registry one file per plugin.
    let registry_ref = RegistryRef::parse(registry);
    let sparse = sparse::is_sparse(&registry_ref);
    let index = match oci::is_oci(registry) || sparse {
        true => None,
        false => {
            let loaded = registry::load(&RegistryRef::parse(registry), fetcher, policy)?;
            // As install: an index older than one seen here is refused.
            crate::plugins_dir::seen::check_not_rolled_back(dest, &loaded)?;
            Some(loaded.index)
        }
    };
    // A sparse registry's files through the plugins directory's cache, so
    // that a look after an install costs a 304 per file (writing the cache
    // fails quietly where the directory is granted read-only).
    let cache = HttpCache::new(fetcher, Some(PluginsDir::new(dest).http_cache()));
    // Every plugin's file at once: the files they share read once.
    let mut files = match sparse {
        true => plugin_files(&registry_ref, &receipts, &cache, policy),
        false => Default::default(),
    };
    let mut rows = Vec::new();
    for r in receipts {
        let repository: Option<Index>;
        let offered = match &index {
            Some(index) => Some(index),
            None => {
                // A repository that cannot be read is an error, not "offers
                // nothing" (a login that expired would look up to date).
                repository = match PluginName::parse(&r.name) {
                    Ok(_) if sparse => judge(dest, files.remove(&r.name))?,
                    Ok(name) => Some(pipeline::oci_loaded(registry, &name, fetcher)?.index),
                    Err(_) => None,
                };
                repository.as_ref()
            }
        };
        let pick = |selector: Selector<'_>| {
            let index = offered?;
            resolve::select(index, &r.name, selector)
                .ok()
                .map(|e| e.version.clone())
        };
        let requirement = r
            .requirement
            .as_deref()
            .and_then(|text| Requirement::parse(text).ok());
        let yanked = offered.is_some_and(|index| {
            index
                .plugins
                .iter()
                .any(|e| e.name.as_str() == r.name && e.version == r.version && e.yanked)
        });
        rows.push(OutdatedPlugin {
            wanted: pick(Selector::from_parts(None, requirement.as_ref())),
            latest: pick(Selector::Highest),
            yanked,
            name: r.name,
            installed: r.version,
            requirement: r.requirement,
        });
    }
    cache.commit();
    Ok(rows)
}

/// The files of the plugins `receipts` record, by name, from a sparse
/// registry (`sparse::load_plugins`).
fn plugin_files(
    registry: &RegistryRef,
    receipts: &[receipt::Receipt],
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> BTreeMap<String, Result<Loaded>> {
    let names: Vec<PluginName> = receipts
        .iter()
        .filter_map(|r| PluginName::parse(&r.name).ok())
        .collect();
    let loaded = sparse::load_plugins(registry, &names, fetcher, policy);
    names.iter().map(|n| n.to_string()).zip(loaded).collect()
}

/// A plugin's file in a sparse registry, judged as `install` judges it
/// (rollback included); `None` when the registry does not offer the
/// plugin (no file, or a name no file can have).
fn judge(dest: &Path, loaded: Option<Result<Loaded>>) -> Result<Option<Index>> {
    match loaded {
        Some(Ok(loaded)) => {
            crate::plugins_dir::seen::check_not_rolled_back(dest, &loaded)?;
            Ok(Some(loaded.index))
        }
        None | Some(Err(Error::UnknownPlugin { .. } | Error::InvalidName { .. })) => Ok(None),
        Some(Err(e)) => Err(e),
    }
}
