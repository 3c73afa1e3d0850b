//! Receipts: what was installed, from where, when, and signed by whom.
//!
//! One JSON file per plugin in `<dest>/.wasm-plugin/receipts/<name>.json`.
//! The dot-directory keeps them out of sight of loaders that scan the plugins
//! directory for `*.wasm` and manifest sidecars. A receipt is written through
//! a temp file and renamed, and it is staged *before* the plugin is placed,
//! so a failed install leaves the old receipt exactly as it was.

use crate::error::{Error, Result};
use crate::registry::name::PluginName;
use crate::transfer::staged::Staged;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::PluginsDir;
use crate::limits::MAX_RECEIPT_BYTES;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub size: u64,
    pub signed_by: Option<String>,
    /// The registry index it came from.
    pub registry: String,
    /// Where its bytes came from.
    pub artifact: String,
    /// RFC 3339, UTC.
    pub installed_at: String,
    /// The requirement the plugin was installed with (`~1.2`), which
    /// `upgrade` stays within; none for "any version".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// What the installed bytes import and export, when they are
    /// WebAssembly (`audit` judges them against a policy without reading
    /// the plugin again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imports: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exports: Option<Vec<String>>,
    /// The cosign signature tag (`oci://HOST/REPO:sha256-<hex>.sig`) whose
    /// signer (`signed_by`) vouched at install. Its payload signs the OCI
    /// manifest, not the bytes, so nothing is placed beside the plugin:
    /// `audit` re-checks such a plugin by its digest only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cosign_signature: Option<String>,
}

/// A receipt file as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
// One is read per plugin and matched at once; boxing the receipt would buy
// nothing but an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Found {
    Missing,
    Valid(Receipt),
    /// Present but unreadable as a receipt: why.
    Invalid(String),
}

/// The receipts folder of the plugins directory `dest`.
pub fn dir(dest: &Path) -> PathBuf {
    PluginsDir::new(dest).receipts()
}

/// The receipt of `name` in the plugins directory `dest`.
pub fn path(dest: &Path, name: &PluginName) -> PathBuf {
    PluginsDir::new(dest).receipt(name.as_str())
}

/// Reads the receipt of `name` in `dest`.
pub fn read(dest: &Path, name: &PluginName) -> Result<Found> {
    read_file(&path(dest, name))
}

fn read_file(path: &Path) -> Result<Found> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
        Err(e) => return Err(Error::io(path, "stat", &e)),
        Ok(_) => {}
    }
    // Not a regular file (a link out of the plugins directory, a pipe): a
    // receipt that cannot be read, reported by `audit` and replaced by the
    // next install, never followed.
    let read = crate::sandbox::read_at_most(path, MAX_RECEIPT_BYTES, crate::sandbox::Links::Refuse);
    let bytes = match read {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Ok(Found::Invalid(format!(
                "larger than {MAX_RECEIPT_BYTES} bytes"
            )));
        }
        Err(Error::NotRegularFile { found, .. }) => {
            return Ok(Found::Invalid(format!("not a regular file but {found}")));
        }
        Err(e) => return Err(e),
    };
    Ok(parse(&bytes))
}

/// A receipt's bytes as `read` judges them: valid, or invalid and why.
pub fn parse(bytes: &[u8]) -> Found {
    match serde_json::from_slice::<Receipt>(bytes) {
        Ok(receipt) => Found::Valid(receipt),
        Err(e) => Found::Invalid(e.to_string()),
    }
}

/// Writes `receipt` to a temp file next to its final place; `commit` puts
/// it there.
pub fn stage(dest: &Path, receipt: &Receipt) -> Result<Staged> {
    let dir = dir(dest);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "create", &e))?;
    let mut staged = Staged::create(&dir, &format!("{}.json", receipt.name))?;
    let mut text = serde_json::to_vec_pretty(receipt).expect("a receipt serializes");
    text.push(b'\n');
    staged.write_all(&text)?;
    Ok(staged)
}

/// Renames a staged receipt into place for `name`.
pub fn commit(dest: &Path, name: &PluginName, staged: Staged) -> Result<()> {
    let target = path(dest, name);
    staged.persist(&target)?;
    crate::transfer::staged::sync_dir(&dir(dest));
    Ok(())
}

/// Every receipt file in `dest`, by plugin name (file stem), sorted.
pub fn all(dest: &Path) -> Result<Vec<(String, Found)>> {
    let dir = dir(dest);
    let entries = match std::fs::read_dir(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&dir, "list", &e)),
        Ok(entries) => entries,
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&dir, "list", &e))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        // Temp files are not receipts: `audit` reports them.
        if let Some(name) = PluginsDir::receipt_of(&file) {
            found.push((name.to_string(), read_file(&entry.path())?));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// Removes the receipt of `name`, if there is one. Returns whether it existed.
pub fn remove(dest: &Path, name: &PluginName) -> Result<bool> {
    let path = path(dest, name);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(&path, "remove", &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(name: &str, version: &str) -> Receipt {
        Receipt {
            name: name.into(),
            version: version.into(),
            sha256: "ab".repeat(32),
            size: 3,
            signed_by: Some("release".into()),
            registry: "/r/index.json".into(),
            artifact: "/r/a.wasm".into(),
            installed_at: crate::clock::now(),
            requirement: None,
            imports: None,
            exports: None,
            cosign_signature: None,
        }
    }

    #[test]
    fn a_receipt_round_trips_through_stage_and_commit() {
        let dest = tempfile::tempdir().unwrap();
        let name = PluginName::parse("colmask").unwrap();
        assert_eq!(read(dest.path(), &name).unwrap(), Found::Missing);
        let r = receipt("colmask", "1.0.0");
        let staged = stage(dest.path(), &r).unwrap();
        // Staged but not committed: the old state is what is read.
        assert_eq!(read(dest.path(), &name).unwrap(), Found::Missing);
        commit(dest.path(), &name, staged).unwrap();
        assert_eq!(read(dest.path(), &name).unwrap(), Found::Valid(r.clone()));
        assert_eq!(
            all(dest.path()).unwrap(),
            vec![("colmask".to_string(), Found::Valid(r))]
        );
        assert!(remove(dest.path(), &name).unwrap());
        assert!(!remove(dest.path(), &name).unwrap());
    }

    #[test]
    fn a_dropped_stage_leaves_no_temp_file() {
        let dest = tempfile::tempdir().unwrap();
        drop(stage(dest.path(), &receipt("a", "1")).unwrap());
        assert_eq!(std::fs::read_dir(dir(dest.path())).unwrap().count(), 0);
    }

    #[test]
    fn an_unreadable_receipt_is_reported_not_fatal() {
        let dest = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir(dest.path())).unwrap();
        std::fs::write(dir(dest.path()).join("a.json"), "{not json").unwrap();
        let name = PluginName::parse("a").unwrap();
        assert!(matches!(
            read(dest.path(), &name).unwrap(),
            Found::Invalid(_)
        ));
    }
}
