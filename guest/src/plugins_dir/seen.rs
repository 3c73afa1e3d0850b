//! The index versions seen per registry, kept in the plugins directory
//! (`.wasm-plugin/registries.json`): an index older than one seen before
//! from the same registry is a rollback, refused. Recorded whenever a run
//! read a verified index, a run that found everything current included.
//!
//! With a trust root holding `root.json`, the newest root reached for each
//! registry by the rotation walk is kept here too, so the next run starts
//! from it: a revoked key stays revoked even if the registry later stops
//! serving the root that revoked it.

use super::PluginsDir;
use crate::error::{Error, Result};
use crate::limits::MAX_SEEN_BYTES;
use crate::registry::{Loaded, RegistryRef, rotation};
use crate::sandbox;
use crate::transfer::source::Fetcher;
use crate::transfer::staged::Staged;
use crate::trust::TrustRoot;
use crate::trust::digest::Sha256Digest;
use crate::trust::metadata::Root;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The highest index version seen from each registry.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Seen {
    /// Registry (as shown) -> highest index version seen.
    #[serde(default)]
    pub versions: BTreeMap<String, u64>,
    /// Registry (as shown) -> the newest root reached for it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub roots: BTreeMap<String, RecordedRoot>,
}

/// The newest `root.json` a rotation walk reached for one registry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedRoot {
    /// SHA-256 of the trust root's own `root.json` the walk started from:
    /// a recorded root grown from another trust root is not used.
    pub from: String,
    /// The root as the registry served it.
    pub root: serde_json::Value,
}

/// The trust root to judge `registry` by. Without `root.json`, `trust` as
/// it is. With one, the newest root reachable from the one recorded for
/// this registry (when it grew from this same `root.json` and is newer) or
/// else from the trust root's own; recorded when `record` (not for a dry
/// run, nor a sync job whose plan recorded it).
pub fn rotated_trust(
    dest: &Path,
    registry: &RegistryRef,
    trust: &TrustRoot,
    fetcher: &dyn Fetcher,
    allow_expired: bool,
    record: bool,
) -> Result<TrustRoot> {
    let Some(own) = &trust.metadata else {
        return Ok(trust.clone());
    };
    // Start: the recorded root if it is this trust root's descendant.
    let from = Sha256Digest::of(&own.bytes).to_hex();
    let shown = registry.shown();
    let mut seen = read_seen(dest)?;
    let recorded = recorded_root(&seen, &shown, own);
    let start = recorded.as_ref().unwrap_or(own);

    // Walk, and record where it ended.
    let newest = rotation::walk(registry, start, fetcher, allow_expired)?;
    if record && newest.version > start.version {
        let root = serde_json::from_slice(&newest.bytes).map_err(|e| Error::TrustRootInvalid {
            path: shown.clone(),
            reason: format!("the newest root does not parse again ({e})"),
        })?;
        seen.roots.insert(shown, RecordedRoot { from, root });
        write_seen(dest, &seen)?;
    }
    Ok(trust.with_metadata(newest))
}

/// The trust root as the last run left it for the registry shown as
/// `registry`, without the network: its recorded newest root, else its own
/// (`audit` judges installed plugins by the keys in force now).
pub fn recorded_trust(dest: &Path, registry: &str, trust: &TrustRoot) -> Result<TrustRoot> {
    let Some(own) = &trust.metadata else {
        return Ok(trust.clone());
    };
    Ok(match recorded_root(&read_seen(dest)?, registry, own) {
        Some(newer) => trust.with_metadata(newer),
        None => trust.clone(),
    })
}

/// The root recorded for `registry`, when it grew from `own` and is newer.
fn recorded_root(seen: &Seen, registry: &str, own: &Root) -> Option<Root> {
    let from = Sha256Digest::of(&own.bytes).to_hex();
    seen.roots
        .get(registry)
        .filter(|r| r.from == from)
        .and_then(|r| serde_json::to_vec(&r.root).ok())
        .and_then(|bytes| Root::parse(registry, &bytes).ok())
        .filter(|r| r.version > own.version)
}

fn write_seen(dest: &Path, seen: &Seen) -> Result<()> {
    let dir = PluginsDir::new(dest).state();
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create", &e))?;
    let mut staged = Staged::create(&dir, "registries.json")?;
    let mut text = serde_json::to_vec_pretty(seen).expect("serializes");
    text.push(b'\n');
    staged.write_all(&text)?;
    staged.persist(&PluginsDir::new(dest).seen())
}

fn read_seen(dest: &Path) -> Result<Seen> {
    let path = PluginsDir::new(dest).seen();
    if !sandbox::exists(&path)? {
        return Ok(Seen::default());
    }
    let bytes = match sandbox::read_at_most(&path, MAX_SEEN_BYTES, sandbox::Links::Refuse) {
        Ok(bytes) => bytes.unwrap_or_default(),
        // Not a regular file: unreadable like a damaged one, and replaced
        // (the link itself, never its target) when next written.
        Err(Error::NotRegularFile { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(parse_seen(&bytes))
}

/// The recorded versions in `registries.json`. A damaged file cannot say
/// what was seen; starting over is the only way forward, and the next
/// install writes it anew.
pub fn parse_seen(bytes: &[u8]) -> Seen {
    serde_json::from_slice(bytes).unwrap_or_default()
}

/// Refuses an index older than the newest one seen from the same registry.
/// Once a version was seen, an index without one counts as version 0: a
/// replayed old index must not slip through by leaving the field out.
pub fn check_not_rolled_back(dest: &Path, loaded: &Loaded) -> Result<()> {
    let shown = loaded.registry.shown();
    let got = loaded.index.version.unwrap_or(0);
    match read_seen(dest)?.versions.get(&shown) {
        Some(&seen) if got < seen => Err(Error::IndexRollback {
            registry: shown,
            seen,
            got,
        }),
        _ => Ok(()),
    }
}

/// The state file with this index's version recorded, written to a temp
/// file for `Staged::persist` to `PluginsDir::new(dest).seen()`; `None` when there is
/// nothing new to record. Staged before a plugin is placed, like its receipt.
pub fn stage_seen(dest: &Path, loaded: &Loaded) -> Result<Option<Staged>> {
    let Some(version) = loaded.index.version else {
        return Ok(None);
    };
    let mut seen = read_seen(dest)?;
    let entry = seen.versions.entry(loaded.registry.shown()).or_insert(0);
    if *entry >= version && sandbox::exists(&PluginsDir::new(dest).seen())? {
        return Ok(None);
    }
    *entry = version.max(*entry);
    let dir = PluginsDir::new(dest).state();
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create", &e))?;
    let mut staged = Staged::create(&dir, "registries.json")?;
    let mut text = serde_json::to_vec_pretty(&seen).expect("serializes");
    text.push(b'\n');
    staged.write_all(&text)?;
    Ok(Some(staged))
}

/// Puts a state file from `stage_seen` in place.
pub fn commit_seen(dest: &Path, staged: Option<Staged>) -> Result<()> {
    match staged {
        Some(staged) => staged.persist(&PluginsDir::new(dest).seen()),
        None => Ok(()),
    }
}

/// Forgets the index version recorded for the registry shown as
/// `registry` (after a deliberate reset of that registry): returns the
/// version forgotten, and the registries still recorded.
pub fn forget(dest: &Path, registry: &str) -> Result<(Option<u64>, Vec<String>)> {
    let mut seen = read_seen(dest)?;
    let forgotten = seen.versions.remove(registry);
    let left = seen.versions.keys().cloned().collect();
    if forgotten.is_some() {
        let dir = PluginsDir::new(dest).state();
        let mut staged = Staged::create(&dir, "registries.json")?;
        let mut text = serde_json::to_vec_pretty(&seen).expect("serializes");
        text.push(b'\n');
        staged.write_all(&text)?;
        staged.persist(&PluginsDir::new(dest).seen())?;
    }
    Ok((forgotten, left))
}

/// Records the index's version as seen, if it is the newest so far.
pub fn record_seen(dest: &Path, loaded: &Loaded) -> Result<()> {
    let staged = stage_seen(dest, loaded)?;
    commit_seen(dest, staged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Policy, RegistryRef, load};
    use crate::transfer::source::testing::{Script, ScriptedFetcher};
    use crate::trust::{TrustRoot, TrustedKey};
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::{Signer, SigningKey};

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[11; 32])
    }

    fn root() -> TrustRoot {
        TrustRoot {
            metadata: None,
            path: "/trust".into(),
            keys: vec![TrustedKey {
                label: "registry".into(),
                key: key().verifying_key(),
            }],
        }
    }

    fn remote(index: &[u8], trust: &TrustRoot) -> Result<Loaded> {
        let fetcher = ScriptedFetcher::default();
        fetcher.serve(
            "http://r/index.json",
            Script::Body(index.to_vec(), None, 64),
        );
        let sig = STANDARD.encode(key().sign(index).to_bytes()).into_bytes();
        fetcher.serve("http://r/index.json.sig", Script::Body(sig, None, 64));
        load(
            &RegistryRef::parse("http://r/index.json"),
            &fetcher,
            Policy {
                trust: Some(trust),
                allow_expired: false,
            },
        )
    }

    #[test]
    fn an_older_index_is_refused_after_a_newer_one_was_seen() {
        let dest = tempfile::tempdir().unwrap();
        let root = root();
        let loaded = |version: u64| {
            let index =
                format!(r#"{{"schema_version": "1", "version": {version}, "plugins": []}}"#)
                    .into_bytes();
            remote(&index, &root).unwrap()
        };
        check_not_rolled_back(dest.path(), &loaded(5)).unwrap();
        record_seen(dest.path(), &loaded(5)).unwrap();
        check_not_rolled_back(dest.path(), &loaded(5)).unwrap();
        check_not_rolled_back(dest.path(), &loaded(6)).unwrap();
        let err = check_not_rolled_back(dest.path(), &loaded(4)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::IndexRollback {
                    seen: 5,
                    got: 4,
                    ..
                }
            ),
            "{err:?}"
        );
        // A lower version never lowers what was seen.
        record_seen(dest.path(), &loaded(3)).unwrap();
        assert!(check_not_rolled_back(dest.path(), &loaded(4)).is_err());
        // Once a version was seen, leaving it out does not get past the check.
        let unversioned = Loaded {
            index: crate::registry::index::Index {
                version: None,
                ..loaded(1).index
            },
            ..loaded(1)
        };
        assert!(matches!(
            check_not_rolled_back(dest.path(), &unversioned),
            Err(Error::IndexRollback {
                seen: 5,
                got: 0,
                ..
            })
        ));
        // Other registries are tracked apart.
        let other = Loaded {
            registry: RegistryRef::Url("http://elsewhere/index.json".into()),
            ..loaded(1)
        };
        check_not_rolled_back(dest.path(), &other).unwrap();
    }
}
