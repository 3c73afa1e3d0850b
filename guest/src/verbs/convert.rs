//! `registry convert`: a flat `index.json` made into a sparse registry, a
//! `config.json` and one file per plugin at the path cargo derives from its
//! lowercased name, each holding that plugin's entries as the index wrote
//! them (fields this installer does not know kept), with the index's
//! `version` and `expires`, and signed with the key when one is given.
//!
//! Phases: read (the index, validated as every index is; every plugin's
//! path, so a name no file can have refuses the whole conversion before
//! anything is written); arrange (entries grouped per file, relative
//! locations rebased to the registry's root, each file's version never
//! lowered); write (config.json, then each file and its signature, each
//! through a temp file renamed into place; the name list `search` reads;
//! the freshness files, the timestamp last).

use crate::error::{Error, Result};
use crate::limits::MAX_INDEX_BYTES;
use crate::registry::index::{self, SCHEMA_VERSION};
use crate::registry::sparse;
use crate::sandbox::{self, Links};
use crate::transfer::staged::{Staged, sync_dir};
use crate::trust::{self, keys};
use crate::wit::{ConvertReport, ConvertedFile};
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct ConvertRequest {
    /// The flat index read.
    pub index: PathBuf,
    /// The sparse registry's root, written to.
    pub out: PathBuf,
    /// Signs each plugin file (`<file>.sig`).
    pub key: Option<PathBuf>,
}

/// One plugin file to write.
struct Planned {
    /// The name its path is derived from, lowercased.
    name: String,
    path: PathBuf,
    version: u64,
    bytes: Vec<u8>,
    entries: u32,
}

pub fn convert(request: &ConvertRequest) -> Result<ConvertReport> {
    sandbox::check_granted(&request.out)?;
    let (document, version, expires) = read(&request.index)?;
    let key = request
        .key
        .as_deref()
        .map(keys::load_signing_key)
        .transpose()?;
    let files = arrange(request, &document, version, expires.as_deref())?;
    let freshness = freshness(request, &files, version, expires.as_deref())?;
    // A file signed before stays signed or is refused: rewriting it without
    // its signature would leave clients refusing it (or, without a trust
    // root, a stale one beside it).
    if key.is_none()
        && let Some(signed) = files
            .iter()
            .map(|f| signature_path(&f.path))
            .chain(std::iter::once(signature_path(
                &request.out.join(sparse::TIMESTAMP),
            )))
            .find(|sig| sandbox::exists(sig).unwrap_or(false))
    {
        return Err(Error::InvalidRequest {
            value: request.out.display().to_string(),
            reason: format!(
                "its plugin files are signed ({}); pass --key to sign the converted ones",
                signed.display()
            ),
        });
    }
    let mut written = vec![name_list(request, &files)];
    written.extend(freshness);
    write(request, &files, &written, key.as_ref())
}

/// The registry's name list (`names.json`): every plugin's name, so that
/// `search` can find them. Optional and unsigned (a hint; what a search
/// shows comes from each plugin's signed file), written with the files.
fn name_list(request: &ConvertRequest, files: &[Planned]) -> (PathBuf, Vec<u8>) {
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let mut bytes = serde_json::to_vec_pretty(&json!({ "names": names })).expect("serializes");
    bytes.push(b'\n');
    (request.out.join(sparse::NAMES), bytes)
}

/// The files that vouch for the registry's freshness, by path: each bin
/// (the version of every plugin file whose name hashes into it), the
/// snapshot (each bin's version and digest) and `timestamp.json` (the
/// snapshot's), all of one new generation: one above the present
/// `timestamp.json`'s, else the index's version (1 without one).
fn freshness(
    request: &ConvertRequest,
    files: &[Planned],
    version: Option<u64>,
    expires: Option<&str>,
) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let out = &request.out;
    let timestamp_path = out.join(sparse::TIMESTAMP);
    let previous = match sandbox::exists(&timestamp_path)? {
        true => sandbox::read_at_most(&timestamp_path, MAX_INDEX_BYTES, Links::Refuse)
            .ok()
            .flatten()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .and_then(|t| t["version"].as_u64()),
        false => None,
    };
    let generation = match previous {
        Some(old) => (old + 1).max(version.unwrap_or(1)),
        None => version.unwrap_or(1),
    };
    let pretty = |value: &Value| {
        let mut bytes = serde_json::to_vec_pretty(value).expect("JSON serializes");
        bytes.push(b'\n');
        bytes
    };
    // Each plugin file pinned by its SHA-256 as well as its version: the
    // signed timestamp.json then vouches for it, and a client need not
    // fetch its `.sig`.
    let mut bins: BTreeMap<String, BTreeMap<String, sparse::Pinned>> = BTreeMap::new();
    for file in files {
        let name = crate::registry::name::PluginName::parse(&file.name)?;
        let pinned = sparse::Pinned {
            version: file.version,
            sha256: crate::trust::digest::Sha256Digest::of(&file.bytes).to_hex(),
        };
        bins.entry(sparse::bin_of(&name))
            .or_default()
            .insert(file.name.clone(), pinned);
    }
    let mut written = Vec::new();
    let mut listed = serde_json::Map::new();
    for (bin, plugins) in bins {
        let bytes = pretty(&json!({"version": generation, "plugins": plugins}));
        let pinned = sparse::Pinned {
            version: generation,
            sha256: crate::trust::digest::Sha256Digest::of(&bytes).to_hex(),
        };
        listed.insert(
            bin.clone(),
            serde_json::to_value(pinned).expect("serializes"),
        );
        written.push((out.join(sparse::bin_path(&bin, generation)), bytes));
    }
    let snapshot = pretty(&json!({"version": generation, "bins": listed}));
    let mut timestamp = json!({
        "version": generation,
        "snapshot": {
            "version": generation,
            "sha256": crate::trust::digest::Sha256Digest::of(&snapshot).to_hex(),
        },
    });
    if let Some(expires) = expires {
        timestamp["expires"] = json!(expires);
    }
    written.push((out.join(sparse::snapshot_path(generation)), snapshot));
    // Last: what a client reads first.
    written.push((timestamp_path, pretty(&timestamp)));
    Ok(written)
}

/// The index as a JSON tree (validated first, as every index is), its
/// version and expiry.
fn read(path: &Path) -> Result<(Value, Option<u64>, Option<String>)> {
    sparse::refuse_rewriting(path, "registry convert")?;
    let shown = path.display().to_string();
    let bytes = sandbox::read_at_most(path, MAX_INDEX_BYTES, Links::Follow)?.ok_or_else(|| {
        Error::IndexInvalid {
            path: shown.clone(),
            problem: format!("the index is larger than {} MiB", MAX_INDEX_BYTES >> 20),
        }
    })?;
    let parsed = index::parse(&shown, &bytes)?;
    let tree = index::parse_tree(&shown, &bytes)?;
    Ok((tree, parsed.version, parsed.expires))
}

/// Each plugin's file: its entries in the index's order, locations rebased,
/// and its version: the index's (1 without one), or one above the file's
/// present version when its entries or expiry changed, so that a client
/// that read the old file never takes the new one for a rollback.
fn arrange(
    request: &ConvertRequest,
    document: &Value,
    version: Option<u64>,
    expires: Option<&str>,
) -> Result<Vec<Planned>> {
    let shown = request.index.display().to_string();
    let mut grouped: BTreeMap<String, (String, Vec<Value>)> = BTreeMap::new();
    let entries = document["plugins"].as_array().cloned().unwrap_or_default();
    for mut entry in entries {
        let name = crate::registry::name::PluginName::parse(entry["name"].as_str().unwrap_or(""))?;
        let path = sparse::plugin_path(&name).map_err(|e| match e {
            Error::InvalidName { reason, .. } => Error::IndexInvalid {
                path: shown.clone(),
                problem: format!("{name} cannot be converted: {reason}"),
            },
            other => other,
        })?;
        for field in ["artifact", "sigstore_bundle"] {
            if let Some(location) = entry[field].as_str() {
                let rebased = sparse::rebase(location, &request.index, &request.out)?;
                entry[field] = Value::String(rebased);
            }
        }
        grouped
            .entry(path)
            .or_insert_with(|| (name.as_str().to_ascii_lowercase(), Vec::new()))
            .1
            .push(entry);
    }
    let base = version.unwrap_or(1);
    let mut files = Vec::new();
    for (relative, (name, entries)) in grouped {
        let path = request.out.join(&relative);
        let shown = path.display().to_string();
        let document = |version: u64| {
            let mut file = json!({
                "schema_version": SCHEMA_VERSION,
                "version": version,
                "plugins": entries,
            });
            if let Some(expires) = expires {
                file["expires"] = json!(expires);
            }
            let mut bytes = serde_json::to_vec_pretty(&file).expect("JSON serializes");
            bytes.push(b'\n');
            bytes
        };
        let version = match present(&path)? {
            // Unchanged but for its version: keep the higher.
            Some((old, bytes)) if bytes == document(old) => old.max(base),
            Some((old, _)) => base.max(old + 1),
            None => base,
        };
        let bytes = document(version);
        // What is written must read back as the plugin's file.
        index::parse(&shown, &bytes)?;
        files.push(Planned {
            name,
            path,
            version,
            bytes,
            entries: entries.len() as u32,
        });
    }
    Ok(files)
}

/// The version and bytes of the plugin file already at `path`; `None`
/// when there is none, or it does not read as one (it is replaced).
fn present(path: &Path) -> Result<Option<(u64, Vec<u8>)>> {
    if !sandbox::exists(path)? {
        return Ok(None);
    }
    let Some(bytes) = sandbox::read_at_most(path, MAX_INDEX_BYTES, Links::Refuse)
        .ok()
        .flatten()
    else {
        return Ok(None);
    };
    let parsed = index::parse(&path.display().to_string(), &bytes).ok();
    Ok(parsed
        .and_then(|p| p.version)
        .map(|version| (version, bytes)))
}

fn signature_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// config.json, then each plugin file and its signature.
fn write(
    request: &ConvertRequest,
    files: &[Planned],
    root_files: &[(PathBuf, Vec<u8>)],
    key: Option<&SigningKey>,
) -> Result<ConvertReport> {
    let out = &request.out;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, "create", &e))?;
    let config = out.join(sparse::CONFIG);
    let mut text = serde_json::to_vec_pretty(&json!({"schema_version": SCHEMA_VERSION}))
        .expect("JSON serializes");
    text.push(b'\n');
    write_file(&config, &text)?;
    // The plugin files unsynced (a sync each would cost more than the
    // writes, for thousands of them); the timestamp that vouches for them
    // last, synced. A conversion cut short is simply run again.
    let mut report = Vec::new();
    for file in files {
        let dir = file.path.parent().unwrap_or(&request.out);
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create", &e))?;
        write_unsynced(&file.path, &file.bytes)?;
        if let Some(key) = key {
            let signature = trust::encode_signature(&keys::sign_bytes(key, &file.bytes));
            write_unsynced(&signature_path(&file.path), signature.as_bytes())?;
        }
        report.push(ConvertedFile {
            name: file.name.clone(),
            path: file.path.display().to_string(),
            version: file.version,
            entries: file.entries,
        });
    }
    // Then the name list, the bins, the snapshot and the timestamp, the
    // timestamp signed as the files.
    for (path, bytes) in root_files {
        let dir = path.parent().unwrap_or(&request.out);
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create", &e))?;
        match path.ends_with(sparse::TIMESTAMP) {
            true => write_file(path, bytes)?,
            false => write_unsynced(path, bytes)?,
        }
        if path.ends_with(sparse::TIMESTAMP)
            && let Some(key) = key
        {
            let signature = trust::encode_signature(&keys::sign_bytes(key, bytes));
            write_file(&signature_path(path), signature.as_bytes())?;
        }
    }
    sync_dir(&request.out);
    Ok(ConvertReport {
        config: config.display().to_string(),
        files: report,
        signed: key.is_some(),
    })
}

/// `write_file` without the sync (see `Staged::persist_unsynced`).
fn write_unsynced(path: &Path, bytes: &[u8]) -> Result<()> {
    staged_beside(path, bytes)?.persist_unsynced(path)
}

/// Writes `bytes` to `path` through a temp file beside it.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    staged_beside(path, bytes)?.persist(path)
}

/// `bytes` in a temp file beside `path`, to be put in its place.
fn staged_beside(path: &Path, bytes: &[u8]) -> Result<Staged> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut staged = Staged::create(dir, &name)?;
    staged.write_all(bytes)?;
    Ok(staged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Policy, RegistryRef, sparse};
    use crate::transfer::source::NoNetwork;

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

        // The name list makes it searchable.
        let names = std::fs::read(dir.path().join("sparse/names.json")).unwrap();
        let names = sparse::parse_names("names.json", &names).unwrap();
        assert_eq!(
            names.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            ["a", "colmask"]
        );
        let found = sparse::search(&registry, "MAS", &NoNetwork, Policy::default()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].index.plugins.len(), 2);
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
