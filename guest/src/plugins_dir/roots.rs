//! The newest `root.json` a rotation walk reached for each registry, kept in
//! the plugins directory (`.wasm-plugin/roots/<sha256 of the registry>.json`,
//! one file each, so no registry's root can crowd out another's or the
//! index versions beside them). The next run starts its walk there: a key a
//! rotation revoked stays revoked even if the registry later stops serving
//! the root that revoked it.

use super::PluginsDir;
use crate::error::{Error, Result};
use crate::limits::MAX_ROOT_BYTES;
use crate::registry::{RegistryRef, rotation};
use crate::sandbox;
use crate::transfer::source::Fetcher;
use crate::transfer::staged::Staged;
use crate::trust::TrustRoot;
use crate::trust::metadata::Root;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One registry's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Recorded {
    /// The registry, as shown.
    registry: String,
    /// `signed_digest` of the trust root's own `root.json` the walk
    /// started from: a record grown from another trust root is not used.
    from: String,
    /// The newest root, as the registry served it.
    root: serde_json::Value,
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
    let shown = registry.shown();
    let recorded = read(dest, &shown, own)?;
    let start = recorded.as_ref().unwrap_or(own);

    // Walk, and record where it ended.
    let newest = rotation::walk(registry, start, fetcher, allow_expired)?;
    if record && newest.version > start.version {
        write(dest, &shown, own, &newest)?;
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
    Ok(match read(dest, registry, own)? {
        Some(newer) => trust.with_metadata(newer),
        None => trust.clone(),
    })
}

/// The root recorded for `registry`, when it grew from `own`, is newer and
/// is still signed by a threshold of its own root keys. A damaged or edited
/// record is not taken (the walk starts from `own` again), nor is one for
/// another registry filed under the same name.
fn read(dest: &Path, registry: &str, own: &Root) -> Result<Option<Root>> {
    let path = PluginsDir::new(dest).recorded_root(registry);
    if !sandbox::exists(&path)? {
        return Ok(None);
    }
    let bytes = match sandbox::read_at_most(&path, 2 * MAX_ROOT_BYTES, sandbox::Links::Refuse) {
        Ok(Some(bytes)) => bytes,
        Ok(None) | Err(Error::NotRegularFile { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let from = own.signed_digest();
    Ok(serde_json::from_slice::<Recorded>(&bytes)
        .ok()
        .filter(|r| r.registry == registry && r.from == from)
        .and_then(|r| serde_json::to_vec(&r.root).ok())
        .and_then(|bytes| Root::parse(registry, &bytes).ok())
        .filter(|r| r.version > own.version && r.check_signed_by(r).is_ok()))
}

fn write(dest: &Path, registry: &str, own: &Root, newest: &Root) -> Result<()> {
    let layout = PluginsDir::new(dest);
    let root = serde_json::from_slice(&newest.bytes).map_err(|e| Error::TrustRootInvalid {
        path: registry.to_string(),
        reason: format!("the newest root does not parse again ({e})"),
    })?;
    let record = Recorded {
        registry: registry.to_string(),
        from: own.signed_digest(),
        root,
    };
    let dir = layout.roots();
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create", &e))?;
    let path = layout.recorded_root(registry);
    let name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut staged = Staged::create(&dir, &name)?;
    staged.write_all(&serde_json::to_vec(&record).expect("serializes"))?;
    staged.persist(&path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::source::NoNetwork;
    use crate::trust::metadata::tests::{key, signed_root};

    #[test]
    fn the_record_survives_re_signing_the_trust_root_and_is_ignored_when_tampered_with() {
        let dir = tempfile::tempdir().unwrap();
        let (dest, reg) = (dir.path().join("p"), dir.path().join("reg"));
        std::fs::create_dir_all(&dest).unwrap();
        std::fs::create_dir_all(&reg).unwrap();
        let (a, b) = (key(1), key(2));
        let v1 = signed_root(1, &[("a", &a)], (&["a"], 1), (&["a"], 1), &[], &[&a]);
        let v2 = signed_root(2, &[("b", &b)], (&["b"], 1), (&["b"], 1), &[], &[&a, &b]);
        std::fs::write(reg.join("2.root.json"), &v2).unwrap();
        let registry = RegistryRef::File(reg.join("index.json"));
        let trust = |bytes: &[u8]| TrustRoot {
            path: "/trust".into(),
            keys: Vec::new(),
            metadata: Some(Root::parse("root.json", bytes).unwrap()),
        };
        let walked = rotated_trust(&dest, &registry, &trust(&v1), &NoNetwork, false, true).unwrap();
        assert_eq!(walked.metadata.unwrap().version, 2);
        // The registry stops serving 2.root.json: the record stands, also
        // for the same root re-indented (same signed part).
        std::fs::remove_file(reg.join("2.root.json")).unwrap();
        let reindented =
            serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&v1).unwrap()).unwrap();
        let shown = registry.shown();
        let again = recorded_trust(&dest, &shown, &trust(&reindented)).unwrap();
        assert_eq!(again.metadata.unwrap().version, 2);
        // A record edited to drop its signatures is not taken.
        let path = PluginsDir::new(&dest).recorded_root(&shown);
        let mut record: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        record["root"]["signatures"] = serde_json::json!([]);
        std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
        let tampered = recorded_trust(&dest, &shown, &trust(&v1)).unwrap();
        assert_eq!(tampered.metadata.unwrap().version, 1);
    }
}
