//! The index versions seen per registry, kept in the plugins directory
//! (`.wasm-plugin/registries.json`): an index older than one seen before
//! from the same registry is a rollback, refused. Recorded whenever a run
//! read an index whose signature a trust root verified, a run that found
//! everything current included.
//!
//! Only a verified index is recorded: a version nobody vouched for could be
//! set to anything, and recording a forged high one would make the genuine
//! index look like a rollback. And once a registry's signed index was seen,
//! an unsigned one from it is refused: stripping the signature is how such
//! a forgery would get past the trust root.

use super::PluginsDir;
use crate::error::{Error, Result};
use crate::limits::MAX_SEEN_BYTES;
use crate::registry::name::PluginName;
use crate::registry::{Loaded, sparse};
use crate::sandbox;
use crate::transfer::staged::Staged;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The highest index version seen from each registry.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Seen {
    /// Registry (as shown) -> highest index version seen.
    #[serde(default)]
    pub versions: BTreeMap<String, u64>,
    /// Registries (as shown) whose index was seen signed and verified:
    /// an unsigned one from them is refused.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub signed: BTreeSet<String>,
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

/// Refuses an index older than the newest one seen from the same registry,
/// and an index a trust root found unsigned from a registry whose signed
/// index was seen (without a trust root, nobody looked).
/// Once a version was seen, an index without one counts as version 0: a
/// replayed old index must not slip through by leaving the field out.
/// A sparse registry's `timestamp.json`, read with the plugin's file, is
/// checked the same way.
pub fn check_not_rolled_back(dest: &Path, loaded: &Loaded) -> Result<()> {
    if let Some(timestamp) = &loaded.timestamp {
        check_not_rolled_back(dest, timestamp)?;
    }
    let shown = loaded.registry.shown();
    let seen = read_seen(dest)?;
    if loaded.trust_checked && loaded.signed_by.is_none() && seen.signed.contains(&shown) {
        return Err(Error::IndexUntrusted {
            reason: format!(
                "it is not signed, but its index was signed when this plugins directory last \
                 read it: the signature may have been stripped to slip in an altered index\nif \
                 the registry really stopped signing its index, run `wasm-plugin \
                 forget-registry {shown} --dest DIR`"
            ),
            registry: shown,
        });
    }
    let got = loaded.index.version.unwrap_or(0);
    match seen.versions.get(&shown) {
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
/// nothing new to record (an index no trust root verified records nothing).
/// Staged before a plugin is placed, like its receipt.
pub fn stage_seen(dest: &Path, loaded: &Loaded) -> Result<Option<Staged>> {
    let verified: Vec<&Loaded> = std::iter::once(loaded)
        .chain(loaded.timestamp.as_deref())
        .filter(|l| l.signed_by.is_some())
        .collect();
    if verified.is_empty() {
        return Ok(None);
    }
    let mut seen = read_seen(dest)?;
    let mut changed = false;
    for loaded in verified {
        let shown = loaded.registry.shown();
        let before = (
            seen.versions.get(&shown).copied(),
            seen.signed.contains(&shown),
        );
        if let Some(version) = loaded.index.version {
            let entry = seen.versions.entry(shown.clone()).or_insert(0);
            *entry = version.max(*entry);
        }
        seen.signed.insert(shown.clone());
        changed |= before != (seen.versions.get(&shown).copied(), true);
    }
    if !changed && sandbox::exists(&PluginsDir::new(dest).seen())? {
        return Ok(None);
    }
    let dir = PluginsDir::new(dest).state();
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create", &e))?;
    stage(&dir, &seen).map(Some)
}

fn stage(dir: &Path, seen: &Seen) -> Result<Staged> {
    let mut staged = Staged::create(dir, "registries.json")?;
    let mut text = serde_json::to_vec_pretty(seen).expect("serializes");
    text.push(b'\n');
    staged.write_all(&text)?;
    Ok(staged)
}

/// Puts a state file from `stage_seen` in place.
pub fn commit_seen(dest: &Path, staged: Option<Staged>) -> Result<()> {
    match staged {
        Some(staged) => staged.persist(&PluginsDir::new(dest).seen()),
        None => Ok(()),
    }
}

/// Forgets the index version recorded for the registry shown as
/// `registry`, and that its index was signed (after a deliberate reset of
/// that registry): returns the version forgotten, and the registries still
/// recorded.
/// A sparse registry's (`…/config.json`) records are its plugin files':
/// every one is forgotten, and the highest version among them returned.
pub fn forget(dest: &Path, registry: &str) -> Result<(Option<u64>, Vec<String>)> {
    let mut seen = read_seen(dest)?;
    let mut forgotten = seen.versions.remove(registry);
    let mut was_signed = seen.signed.remove(registry);
    if let Some(root) = registry.strip_suffix(sparse::CONFIG) {
        let files = |key: &String| is_plugin_file_of(root, key);
        for key in seen
            .versions
            .keys()
            .filter(|k| files(k))
            .cloned()
            .collect::<Vec<_>>()
        {
            forgotten = forgotten.max(seen.versions.remove(&key));
        }
        let before = seen.signed.len();
        seen.signed.retain(|key| !files(key));
        was_signed |= seen.signed.len() != before;
    }
    let left = seen.versions.keys().cloned().collect();
    if forgotten.is_some() || was_signed {
        let dir = PluginsDir::new(dest).state();
        stage(&dir, &seen)?.persist(&PluginsDir::new(dest).seen())?;
    }
    Ok((forgotten, left))
}

/// Whether `key` (a registry as recorded) is a plugin file of the sparse
/// registry whose root is `root` (`…/`): the path under it is the one
/// derived from the file's name.
fn is_plugin_file_of(root: &str, key: &str) -> bool {
    let Some(path) = key.strip_prefix(root) else {
        return false;
    };
    if path == sparse::TIMESTAMP {
        return true;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    PluginName::parse(name)
        .and_then(|name| sparse::plugin_path(&name))
        .is_ok_and(|derived| derived == path)
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
    use crate::trust::TrustRoot;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::{Signer, SigningKey};

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[11; 32])
    }

    fn root() -> TrustRoot {
        TrustRoot::of_key("registry", key().verifying_key())
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
    fn a_sparse_registry_is_recorded_per_plugin_file_and_forgotten_whole() {
        let dest = tempfile::tempdir().unwrap();
        let root = root();
        let file = |url: &str, version: u64| Loaded {
            registry: RegistryRef::Url(url.into()),
            ..remote(
                format!(r#"{{"version": {version}, "plugins": []}}"#).as_bytes(),
                &root,
            )
            .unwrap()
        };
        record_seen(dest.path(), &file("http://r/s/co/lm/colmask", 7)).unwrap();
        record_seen(dest.path(), &file("http://r/s/3/a/abc", 2)).unwrap();
        record_seen(dest.path(), &file("http://r/s/index.json", 9)).unwrap();
        // One plugin's file is judged against its own record only.
        check_not_rolled_back(dest.path(), &file("http://r/s/3/a/abc", 3)).unwrap();
        assert!(matches!(
            check_not_rolled_back(dest.path(), &file("http://r/s/co/lm/colmask", 6)),
            Err(Error::IndexRollback {
                seen: 7,
                got: 6,
                ..
            })
        ));
        let (forgotten, left) = forget(dest.path(), "http://r/s/config.json").unwrap();
        assert_eq!(forgotten, Some(7));
        assert_eq!(left, vec!["http://r/s/index.json".to_string()]);
        check_not_rolled_back(dest.path(), &file("http://r/s/co/lm/colmask", 1)).unwrap();
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

        // Seen signed: one a trust root found unsigned is refused; one read
        // without a trust root says nothing either way, and is not.
        let unsigned = |trust_checked| Loaded {
            signed_by: None,
            trust_checked,
            ..loaded(6)
        };
        assert!(matches!(
            check_not_rolled_back(dest.path(), &unsigned(true)),
            Err(Error::IndexUntrusted { ref reason, .. }) if reason.contains("forget-registry")
        ));
        check_not_rolled_back(dest.path(), &unsigned(false)).unwrap();
        // Nor is an unsigned index's version ever recorded.
        record_seen(
            dest.path(),
            &Loaded {
                index: loaded(9).index,
                ..unsigned(true)
            },
        )
        .unwrap();
        assert!(check_not_rolled_back(dest.path(), &loaded(6)).is_ok());
    }
}
