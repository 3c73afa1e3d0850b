//! `registry convert`: a flat `index.json` made into a sparse registry, a
//! `config.json` and one file per plugin at the path cargo derives from its
//! lowercased name, each holding that plugin's entries as the index wrote
//! them (fields this installer does not know kept), with the index's
//! `version` and `expires`, and signed with the key when one is given.
//!
//! Phases: read (the index, validated as every index is); then the
//! registry wing's `sparse_write::from_index`, which `mirror` shares:
//! arrange (every plugin's path first, so a name no file can have refuses
//! the whole conversion before anything is written; entries grouped per
//! file, relative locations rebased to the registry's root, each file's
//! version never lowered); write (config.json, then each file and its
//! signature, then the freshness files, each through a temp file renamed
//! into place).

use crate::error::{Error, Result};
use crate::limits::MAX_INDEX_BYTES;
use crate::registry::index;
use crate::registry::{sparse, sparse_write};
use crate::sandbox::{self, Links};
use crate::trust::keys;
use crate::wit::ConvertReport;
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct ConvertRequest {
    /// The flat index read.
    pub index: PathBuf,
    /// The sparse registry's root, written to.
    pub out: PathBuf,
    /// Signs each plugin file (`<file>.sig`).
    pub key: Option<PathBuf>,
    /// `timestamp.json` expires this many seconds from now (a day when
    /// not given), or with the index when that is sooner.
    pub timestamp_expires_in: Option<u64>,
}

pub fn convert(request: &ConvertRequest) -> Result<ConvertReport> {
    sandbox::check_granted(&request.out)?;
    let document = read(&request.index)?;
    let key = request
        .key
        .as_deref()
        .map(keys::load_signing_key)
        .transpose()?;
    let expires = sparse_write::timestamp_expiry(request.timestamp_expires_in)?;
    sparse_write::from_index(
        &document,
        &request.index,
        &request.out,
        key.as_ref(),
        Some(expires),
    )
}

/// The index as a JSON tree (validated first, as every index is).
fn read(path: &Path) -> Result<Value> {
    sparse::refuse_rewriting(path, "registry convert")?;
    let shown = path.display().to_string();
    let bytes = sandbox::read_at_most(path, MAX_INDEX_BYTES, Links::Follow)?.ok_or_else(|| {
        Error::IndexInvalid {
            path: shown.clone(),
            problem: format!("the index is larger than {} MiB", MAX_INDEX_BYTES >> 20),
        }
    })?;
    index::parse(&shown, &bytes)?;
    index::parse_tree(&shown, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Policy, RegistryRef};
    use crate::transfer::source::NoNetwork;
    use serde_json::json;

    const SHA: &str = "abababababababababababababababababababababababababababababababab";

    fn flat(dir: &Path, version: u64) -> PathBuf {
        let index = dir.join("flat/index.json");
        std::fs::create_dir_all(index.parent().unwrap()).unwrap();
        let text = json!({
            "schema_version": "1",
            "version": version,
            "plugins": [
                {"name": "colmask", "version": "1.0.0", "artifact": "colmask-1.0.0.wasm",
                 "sha256": SHA, "publisher_note": "kept"},
                {"name": "ColMask", "version": "2.0.0", "artifact": "https://h/c.wasm", "sha256": SHA},
                {"name": "a", "version": "0.1.0", "artifact": "bin/a.wasm", "sha256": SHA},
            ],
        });
        std::fs::write(&index, serde_json::to_vec(&text).unwrap()).unwrap();
        index
    }

    fn request(dir: &Path, index: PathBuf) -> ConvertRequest {
        ConvertRequest {
            index,
            out: dir.join("sparse"),
            key: None,
            timestamp_expires_in: None,
        }
    }

    #[test]
    fn each_plugin_gets_its_file_with_locations_naming_the_same_files() {
        let dir = tempfile::tempdir().unwrap();
        let request = request(dir.path(), flat(dir.path(), 7));
        let report = convert(&request).unwrap();
        let paths: Vec<&str> = report.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(paths, ["a", "colmask"]);
        assert_eq!(report.files[1].entries, 2);
        assert_eq!(report.files[1].version, 7);

        let registry = RegistryRef::File(dir.path().join("sparse/config.json"));
        let name = crate::registry::name::PluginName::parse("colmask").unwrap();
        let loaded = sparse::load_plugin(&registry, &name, &NoNetwork, Policy::default()).unwrap();
        assert_eq!(loaded.index.version, Some(7));
        assert_eq!(
            loaded.index.plugins[0].artifact,
            "../flat/colmask-1.0.0.wasm"
        );
        assert_eq!(loaded.index.plugins[1].artifact, "https://h/c.wasm");
        let raw = std::fs::read_to_string(dir.path().join("sparse/co/lm/colmask")).unwrap();
        assert!(raw.contains("publisher_note"), "{raw}");
        let a = std::fs::read_to_string(dir.path().join("sparse/1/a")).unwrap();
        assert!(a.contains("../flat/bin/a.wasm"), "{a}");
    }

    #[test]
    fn converting_again_never_lowers_a_changed_files_version() {
        let dir = tempfile::tempdir().unwrap();
        convert(&request(dir.path(), flat(dir.path(), 7))).unwrap();
        // Unchanged: the same version.
        let again = convert(&request(dir.path(), flat(dir.path(), 7))).unwrap();
        assert_eq!(again.files[1].version, 7);
        // An index without a version, with colmask's entries changed.
        let index = dir.path().join("flat/index.json");
        let text = std::fs::read_to_string(&index).unwrap();
        std::fs::write(
            &index,
            text.replace("\"version\":7,", "").replace("kept", "new"),
        )
        .unwrap();
        let changed = convert(&request(dir.path(), index)).unwrap();
        assert_eq!(changed.files[1].version, 8);
        assert_eq!(changed.files[0].version, 7, "a's file did not change");
    }

    #[test]
    fn a_name_no_file_can_have_refuses_the_whole_conversion() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index.json");
        let text = json!({"plugins": [
            {"name": "ok", "version": "1", "artifact": "ok.wasm", "sha256": SHA},
            {"name": "ab..c", "version": "1", "artifact": "x.wasm", "sha256": SHA},
        ]});
        std::fs::write(&index, text.to_string()).unwrap();
        let err = convert(&request(dir.path(), index)).unwrap_err();
        assert!(
            matches!(err, Error::IndexInvalid { ref problem, .. } if problem.contains("ab..c")),
            "{err:?}"
        );
        assert!(!dir.path().join("sparse/config.json").exists());
    }
}
