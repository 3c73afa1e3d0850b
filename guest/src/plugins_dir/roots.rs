//! The roots a rotation walk accepted for each registry, kept in the
//! plugins directory (`.wasm-plugin/roots/<sha256 of the registry>.json`,
//! one file each, so no registry's record can crowd out another's or the
//! index versions beside them). The next run starts its walk from the
//! newest: a key a rotation revoked stays revoked even if the registry
//! later stops serving the root that revoked it.
//!
//! Whoever can write the plugins directory must not be able to widen trust
//! through this record, so it holds the whole chain, not just its end, and
//! every read walks the chain again from the operator's own `root.json`
//! with the same check the walk makes of a registry's roots. A record that
//! does not descend from the trust root is ignored (the walk starts from the
//! trust root's own), so the most a writer of the plugins directory can do
//! here is make a host forget a rotation, which its next walk finds again
//! while the registry serves it.

use super::PluginsDir;
use crate::error::{Error, Result};
use crate::limits::MAX_RECORDED_ROOTS_BYTES;
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
    /// Every root accepted after the trust root's own, oldest first, as
    /// the registry served them.
    chain: Vec<serde_json::Value>,
}

/// The trust root to judge `registry` by. Without `root.json`, `trust` as
/// it is. With one, the newest root reachable from the end of the chain
/// recorded for this registry (when that chain descends from this same
/// `root.json`) or else from the trust root's own; recorded when `record`
/// (not for a dry run, nor a sync job whose plan recorded it).
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
    // Start: the end of the recorded chain, checked from the trust root.
    let shown = registry.shown();
    let recorded = read(dest, &shown, own)?;
    let start = recorded.last().unwrap_or(own);

    // Walk, and record the chain grown by what it accepted.
    let walked = rotation::chain(registry, start, fetcher, allow_expired)?;
    if record && !walked.is_empty() {
        write(dest, &shown, own, recorded.iter().chain(&walked))?;
    }
    let newest = walked.last().or(recorded.last()).unwrap_or(own);
    Ok(trust.with_metadata(newest.clone()))
}

/// The trust root as the last run left it for the registry shown as
/// `registry`, without the network: the end of its recorded chain, else
/// its own (`audit` judges installed plugins by the keys in force now).
pub fn recorded_trust(dest: &Path, registry: &str, trust: &TrustRoot) -> Result<TrustRoot> {
    let Some(own) = &trust.metadata else {
        return Ok(trust.clone());
    };
    Ok(match read(dest, registry, own)?.pop() {
        Some(newer) => trust.with_metadata(newer),
        None => trust.clone(),
    })
}

/// The chain recorded for `registry`, each root checked as the walk checks
/// a registry's, starting from `own`. Empty when there is none, or when it
/// is damaged, edited, grown from another trust root or filed for another
/// registry: nothing in it is taken then, and the walk starts from `own`.
fn read(dest: &Path, registry: &str, own: &Root) -> Result<Vec<Root>> {
    let path = PluginsDir::new(dest).recorded_root(registry);
    if !sandbox::exists(&path)? {
        return Ok(Vec::new());
    }
    let bytes = match sandbox::read_at_most(&path, MAX_RECORDED_ROOTS_BYTES, sandbox::Links::Refuse)
    {
        Ok(Some(bytes)) => bytes,
        Ok(None) | Err(Error::NotRegularFile { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let Ok(record) = serde_json::from_slice::<Recorded>(&bytes) else {
        return Ok(Vec::new());
    };
    if record.registry != registry || record.from != own.signed_digest() {
        return Ok(Vec::new());
    }
    Ok(descend(registry, own, &record.chain).unwrap_or_default())
}

/// The roots of `chain` when each follows the one before it, the first
/// following `own`.
fn descend(registry: &str, own: &Root, chain: &[serde_json::Value]) -> Option<Vec<Root>> {
    let mut roots: Vec<Root> = Vec::with_capacity(chain.len());
    for value in chain {
        let bytes = serde_json::to_vec(value).ok()?;
        let next = Root::parse(registry, &bytes).ok()?;
        rotation::check_successor(roots.last().unwrap_or(own), &next).ok()?;
        roots.push(next);
    }
    Some(roots)
}

fn write<'a>(
    dest: &Path,
    registry: &str,
    own: &Root,
    chain: impl Iterator<Item = &'a Root>,
) -> Result<()> {
    let layout = PluginsDir::new(dest);
    let chain = chain
        .map(|root| {
            serde_json::from_slice(&root.bytes).map_err(|e| Error::TrustRootInvalid {
                path: registry.to_string(),
                reason: format!("root version {} does not parse again ({e})", root.version),
            })
        })
        .collect::<Result<Vec<serde_json::Value>>>()?;
    let record = Recorded {
        registry: registry.to_string(),
        from: own.signed_digest(),
        chain,
    };
    let bytes = serde_json::to_vec(&record).expect("serializes");
    // A chain longer than is read back is not kept: the next run walks it
    // from the trust root again, as it would with no record.
    if bytes.len() as u64 > MAX_RECORDED_ROOTS_BYTES {
        return Ok(());
    }
    let dir = layout.roots();
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create", &e))?;
    let path = layout.recorded_root(registry);
    let name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut staged = Staged::create(&dir, &name)?;
    staged.write_all(&bytes)?;
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
            minisign: Vec::new(),
            metadata: Some(Root::parse("root.json", bytes).unwrap()),
            sigstore: None,
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
        record["chain"][0]["signatures"] = serde_json::json!([]);
        std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
        let tampered = recorded_trust(&dest, &shown, &trust(&v1)).unwrap();
        assert_eq!(tampered.metadata.unwrap().version, 1);
    }

    #[test]
    fn a_forged_record_that_does_not_descend_from_the_trust_root_widens_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (dest, reg) = (dir.path().join("p"), dir.path().join("reg"));
        std::fs::create_dir_all(&dest).unwrap();
        std::fs::create_dir_all(&reg).unwrap();
        let (operator, mallory) = (key(1), key(9));
        let own = signed_root(
            1,
            &[("operator", &operator)],
            (&["operator"], 1),
            (&["operator"], 1),
            &[],
            &[&operator],
        );
        let trust = TrustRoot {
            path: "/trust".into(),
            keys: Vec::new(),
            minisign: Vec::new(),
            metadata: Some(Root::parse("root.json", &own).unwrap()),
            sigstore: None,
        };
        let registry = RegistryRef::File(reg.join("index.json"));
        let shown = registry.shown();
        // A root of mallory's own, self-signed, at a higher version, filed
        // with the digest anyone can compute from the trust root.
        let forged = |version: u64| {
            signed_root(
                version,
                &[("mallory", &mallory)],
                (&["mallory"], 1),
                (&["mallory"], 1),
                &[],
                &[&mallory],
            )
        };
        let record = |chain: Vec<serde_json::Value>| {
            let record = Recorded {
                registry: shown.clone(),
                from: trust.metadata.as_ref().unwrap().signed_digest(),
                chain,
            };
            let path = PluginsDir::new(&dest).recorded_root(&shown);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
        };
        let value = |bytes: Vec<u8>| serde_json::from_slice::<serde_json::Value>(&bytes).unwrap();
        for chain in [
            vec![value(forged(2))],
            vec![value(forged(7))],
            // A genuine-looking step first does not carry a forged one.
            vec![
                value(signed_root(
                    2,
                    &[("operator", &operator)],
                    (&["operator"], 1),
                    (&["operator"], 1),
                    &[],
                    &[&operator],
                )),
                value(forged(3)),
            ],
        ] {
            record(chain);
            let judged = recorded_trust(&dest, &shown, &trust).unwrap();
            assert_eq!(judged.metadata.as_ref().unwrap().version, 1);
            let walked = rotated_trust(&dest, &registry, &trust, &NoNetwork, false, false).unwrap();
            assert_eq!(walked.metadata.unwrap().version, 1);
        }
        // The record of an older format (its newest root alone) is not
        // taken either: nothing in it can be checked from the trust root.
        let path = PluginsDir::new(&dest).recorded_root(&shown);
        let old = serde_json::json!({
            "registry": shown,
            "from": trust.metadata.as_ref().unwrap().signed_digest(),
            "root": value(forged(2)),
        });
        std::fs::write(&path, serde_json::to_vec(&old).unwrap()).unwrap();
        let judged = recorded_trust(&dest, &shown, &trust).unwrap();
        assert_eq!(judged.metadata.unwrap().version, 1);
    }

    #[test]
    fn the_chain_grows_across_runs_and_is_checked_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (dest, reg) = (dir.path().join("p"), dir.path().join("reg"));
        std::fs::create_dir_all(&dest).unwrap();
        std::fs::create_dir_all(&reg).unwrap();
        let (a, b, c) = (key(1), key(2), key(3));
        let v1 = signed_root(1, &[("a", &a)], (&["a"], 1), (&["a"], 1), &[], &[&a]);
        let v2 = signed_root(2, &[("b", &b)], (&["b"], 1), (&["b"], 1), &[], &[&a, &b]);
        let v3 = signed_root(3, &[("c", &c)], (&["c"], 1), (&["c"], 1), &[], &[&b, &c]);
        let trust = TrustRoot {
            path: "/trust".into(),
            keys: Vec::new(),
            minisign: Vec::new(),
            metadata: Some(Root::parse("root.json", &v1).unwrap()),
            sigstore: None,
        };
        let registry = RegistryRef::File(reg.join("index.json"));
        std::fs::write(reg.join("2.root.json"), &v2).unwrap();
        let walked = rotated_trust(&dest, &registry, &trust, &NoNetwork, false, true).unwrap();
        assert_eq!(walked.metadata.unwrap().version, 2);
        // Version 2 withdrawn, 3 served: the walk goes on from the record.
        std::fs::remove_file(reg.join("2.root.json")).unwrap();
        std::fs::write(reg.join("3.root.json"), &v3).unwrap();
        let walked = rotated_trust(&dest, &registry, &trust, &NoNetwork, false, true).unwrap();
        assert_eq!(walked.metadata.unwrap().version, 3);
        std::fs::remove_file(reg.join("3.root.json")).unwrap();
        let shown = registry.shown();
        assert_eq!(
            recorded_trust(&dest, &shown, &trust)
                .unwrap()
                .metadata
                .unwrap()
                .version,
            3
        );
        // Dropping a link of the chain breaks it: nothing of it is taken.
        let path = PluginsDir::new(&dest).recorded_root(&shown);
        let mut record: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        record["chain"].as_array_mut().unwrap().remove(0);
        std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
        assert_eq!(
            recorded_trust(&dest, &shown, &trust)
                .unwrap()
                .metadata
                .unwrap()
                .version,
            1
        );
    }
}
