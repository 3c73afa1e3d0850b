//! Writing a sparse registry, for what makes or changes one (`registry
//! convert` and `mirror` make one of a flat index's entries; `publish` and
//! `yank` change one plugin's file): its plugin files and their signatures,
//! and a new generation of its freshness files (bins, snapshot, timestamp;
//! see `sparse`). Every file goes through a temp file renamed into place.
//!
//! A generation is one version for the bins it rewrites, the snapshot and
//! `timestamp.json`: one above the timestamp there. Bins and snapshots are
//! named by version and never removed, so a client holding the previous
//! timestamp still finds what it pins while a new one is written.

use super::RegistryRef;
use super::index::{self, SCHEMA_VERSION};
use super::name::PluginName;
use super::sparse::{self, Bin, Pinned, Snapshot, Timestamp};
use crate::error::{Error, Result};
use crate::limits::{MAX_INDEX_BYTES, MAX_NAME_LIST_BYTES};
use crate::sandbox::{self, Links};
use crate::transfer::source::NoNetwork;
use crate::transfer::staged::{Staged, sync_dir};
use crate::trust::{self, digest::Sha256Digest, keys};
use crate::wit::{ConvertReport, ConvertedFile};
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How long `timestamp.json` is good for when not told: a day. It is what
/// tells a client the registry is not frozen, so it is meant to be
/// renewed often (any publish, yank or conversion writes a new one).
pub const TIMESTAMP_EXPIRES_IN: u64 = 24 * 60 * 60;

/// When a timestamp written now expires: `seconds` from now (a day when
/// not given).
pub fn timestamp_expiry(seconds: Option<u64>) -> Result<String> {
    let seconds = seconds.unwrap_or(TIMESTAMP_EXPIRES_IN);
    crate::clock::after(seconds).ok_or_else(|| Error::InvalidRequest {
        value: format!("{seconds}s"),
        reason: "that expiry is past the year 9999".into(),
    })
}

/// Files to write, by path, in order.
pub type Files = Vec<(PathBuf, Vec<u8>)>;

/// One plugin file to write.
struct Planned {
    /// The name its path is derived from, lowercased.
    name: String,
    path: PathBuf,
    version: u64,
    bytes: Vec<u8>,
    entries: u32,
}

/// Makes (or brings up to date) the sparse registry at `out` of a flat
/// index's `document` (as a JSON tree, validated already): each plugin's
/// entries into its file (relative locations rebased from `index`, where
/// the document was, to `out`), then a new generation of freshness files,
/// the timestamp expiring at `timestamp_expires` or with the index when
/// that is sooner (never, when neither says).
pub fn from_index(
    document: &Value,
    index: &Path,
    out: &Path,
    key: Option<&SigningKey>,
    timestamp_expires: Option<String>,
) -> Result<ConvertReport> {
    let version = document["version"].as_u64();
    let expires = document["expires"].as_str();
    let files = arrange(document, index, out, version, expires)?;
    let timestamp_expires = sooner(timestamp_expires.as_deref(), expires);
    let freshness = first_generation(out, &files, version, timestamp_expires.as_deref())?;
    // A file signed before stays signed or is refused: rewriting it without
    // its signature would leave clients refusing it (or, without a trust
    // root, a stale one beside it).
    if key.is_none()
        && let Some(signed) = files
            .iter()
            .map(|f| signature_path(&f.path))
            .chain(std::iter::once(signature_path(
                &out.join(sparse::TIMESTAMP),
            )))
            .find(|sig| sandbox::exists(sig).unwrap_or(false))
    {
        return Err(Error::InvalidRequest {
            value: out.display().to_string(),
            reason: format!(
                "its plugin files are signed ({}); pass --key to sign the ones written now",
                signed.display()
            ),
        });
    }
    let mut root_files = vec![name_list(out, &files)];
    root_files.extend(freshness);
    write(out, &files, &root_files, key)
}

/// The registry's name list (`names.json`): every plugin's name, so that
/// `search` can find them. Optional and unsigned (a hint; what a search
/// shows comes from each plugin's signed file), written with the files.
fn name_list(out: &Path, files: &[Planned]) -> (PathBuf, Vec<u8>) {
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    (out.join(sparse::NAMES), pretty(&json!({ "names": names })))
}

/// The sooner of two RFC 3339 times (either one when the other is absent
/// or does not parse).
pub fn sooner(a: Option<&str>, b: Option<&str>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => match (crate::clock::parse(a), crate::clock::parse(b)) {
            (Ok(x), Ok(y)) if y < x => Some(b.to_string()),
            _ => Some(a.to_string()),
        },
        (a, b) => a.or(b).map(str::to_string),
    }
}

/// The freshness files of a registry written whole: every bin anew, at one
/// new generation (one above the present `timestamp.json`'s, else the
/// index's version, 1 without one).
fn first_generation(
    out: &Path,
    files: &[Planned],
    version: Option<u64>,
    expires: Option<&str>,
) -> Result<Files> {
    let generation = match present_timestamp(out)? {
        Some(old) => {
            next_version(out, old.version.max(old.snapshot.version))?.max(version.unwrap_or(1))
        }
        None => version.unwrap_or(1),
    };
    // Each plugin file pinned by its SHA-256 as well as its version: the
    // signed timestamp.json then vouches for it, and a client need not
    // fetch its `.sig`.
    let mut bins: BTreeMap<String, BTreeMap<String, Pinned>> = BTreeMap::new();
    for file in files {
        let name = PluginName::parse(&file.name)?;
        let pinned = Pinned {
            version: file.version,
            sha256: Sha256Digest::of(&file.bytes).to_hex(),
        };
        bins.entry(sparse::bin_of(&name))
            .or_default()
            .insert(file.name.clone(), pinned);
    }
    Ok(generation_files(
        out,
        generation,
        bins,
        BTreeMap::new(),
        expires,
    ))
}

/// One above `version`, the version of what is at `path`: a file at the
/// highest version cannot be followed by one clients take for newer.
fn next_version(path: &Path, version: u64) -> Result<u64> {
    version.checked_add(1).ok_or_else(|| Error::IndexInvalid {
        path: path.display().to_string(),
        problem: "its version cannot grow any further".into(),
    })
}

/// The registry's `timestamp.json` as it is, if it reads as one.
fn present_timestamp(root: &Path) -> Result<Option<Timestamp>> {
    let path = root.join(sparse::TIMESTAMP);
    if !sandbox::exists(&path)? {
        return Ok(None);
    }
    Ok(sandbox::read_at_most(&path, MAX_INDEX_BYTES, Links::Refuse)
        .ok()
        .flatten()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// The next generation of the freshness files of the sparse registry at
/// `root` when `name`'s file becomes `file` (its version and digest): its bin rewritten, the
/// other bins pinned as the present snapshot pins them (each file read
/// checked against the digest the one before names), a new snapshot and
/// `timestamp.json` expiring at `expires`. `None` when the registry has
/// no `timestamp.json` (and so no freshness files to keep up); else the
/// generation and its files.
pub fn next_generation(
    root: &Path,
    name: &PluginName,
    file: Pinned,
    expires: &str,
) -> Result<Option<(u64, Files)>> {
    let registry = RegistryRef::File(root.join(sparse::CONFIG));
    let path = root.join(sparse::TIMESTAMP);
    if !sandbox::exists(&path)? {
        return Ok(None);
    }
    let shown = path.display().to_string();
    let bytes = sandbox::read_at_most(&path, MAX_INDEX_BYTES, Links::Refuse)?.ok_or_else(|| {
        Error::IndexInvalid {
            path: shown.clone(),
            problem: "it is larger than any timestamp.json".into(),
        }
    })?;
    let timestamp: Timestamp = sparse::parse_json(&shown, &bytes)?;
    let at = |path: &str| sparse::at(&registry, path);
    let snapshot: Snapshot = sparse::read_pinned(
        &at(&sparse::snapshot_path(timestamp.snapshot.version))?,
        &timestamp.snapshot,
        &NoNetwork,
    )?;
    let bin = sparse::bin_of(name);
    // The bin's other files keep what it says of them (a bare version, from
    // an older writer, stays one).
    let mut plugins: BTreeMap<String, Pinned> = match snapshot.bins.get(&bin) {
        Some(pinned) => {
            let path = at(&sparse::bin_path(&bin, pinned.version))?;
            sparse::read_pinned::<Bin>(&path, pinned, &NoNetwork)?
                .plugins
                .into_iter()
                .map(|(name, listed)| (name, listed.pinned()))
                .collect()
        }
        None => BTreeMap::new(),
    };
    plugins.insert(name.as_str().to_ascii_lowercase(), file);
    let generation = timestamp
        .version
        .max(snapshot.version)
        .checked_add(1)
        .ok_or_else(|| Error::IndexInvalid {
            path: shown,
            problem: "its version cannot grow any further".into(),
        })?;
    let files = generation_files(
        root,
        generation,
        BTreeMap::from([(bin, plugins)]),
        snapshot.bins,
        Some(expires),
    );
    Ok(Some((generation, files)))
}

/// The files of generation `generation`: the `changed` bins written at it,
/// the snapshot pinning them and the `unchanged` ones, and the timestamp
/// pinning the snapshot, last (what a client reads first).
fn generation_files(
    root: &Path,
    generation: u64,
    changed: BTreeMap<String, BTreeMap<String, Pinned>>,
    mut pinned: BTreeMap<String, Pinned>,
    expires: Option<&str>,
) -> Files {
    let mut written = Vec::new();
    for (bin, plugins) in changed {
        let bytes = pretty(&json!({"version": generation, "plugins": plugins}));
        let pin = Pinned {
            version: generation,
            sha256: Sha256Digest::of(&bytes).to_hex(),
        };
        pinned.insert(bin.clone(), pin);
        written.push((root.join(sparse::bin_path(&bin, generation)), bytes));
    }
    let snapshot = pretty(&json!({"version": generation, "bins": pinned}));
    let mut timestamp = json!({
        "version": generation,
        "snapshot": {"version": generation, "sha256": Sha256Digest::of(&snapshot).to_hex()},
    });
    if let Some(expires) = expires {
        timestamp["expires"] = json!(expires);
    }
    written.push((root.join(sparse::snapshot_path(generation)), snapshot));
    written.push((root.join(sparse::TIMESTAMP), pretty(&timestamp)));
    written
}

fn pretty(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("JSON serializes");
    bytes.push(b'\n');
    bytes
}

/// A generation's files staged in temp files (the timestamp's signature
/// too, with a key), so that a failure to write any of them changes
/// nothing; then put in place in two steps around the plugin file they
/// vouch for.
pub struct StagedGeneration {
    /// Bins and snapshot: new names, which no client reads before the
    /// timestamp names them.
    pinned: Vec<(Staged, PathBuf)>,
    timestamp: StagedTimestamp,
}

/// `timestamp.json` (and its signature), staged.
pub struct StagedTimestamp(Vec<(Staged, PathBuf)>);

impl StagedGeneration {
    pub fn stage(files: &Files, key: Option<&SigningKey>) -> Result<StagedGeneration> {
        let mut pinned = Vec::new();
        let mut timestamp = Vec::new();
        for (path, bytes) in files {
            let is_timestamp = path.ends_with(sparse::TIMESTAMP);
            let dir = path.parent().unwrap_or(Path::new("/"));
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create", &e))?;
            let staged = staged_beside(path, bytes)?;
            match is_timestamp {
                false => pinned.push((staged, path.clone())),
                true => {
                    timestamp.push((staged, path.clone()));
                    if let Some(key) = key {
                        let sig = trust::encode_signature(&keys::sign_bytes(key, bytes));
                        let sig_path = signature_path(path);
                        timestamp.push((staged_beside(&sig_path, sig.as_bytes())?, sig_path));
                    }
                }
            }
        }
        Ok(StagedGeneration {
            pinned,
            timestamp: StagedTimestamp(timestamp),
        })
    }

    /// Puts the bins and the snapshot in place; the timestamp is left to
    /// put in place once what it vouches for is.
    pub fn persist_pinned(self) -> Result<StagedTimestamp> {
        for (staged, path) in self.pinned {
            staged.persist(&path)?;
        }
        Ok(self.timestamp)
    }
}

impl StagedTimestamp {
    /// Puts `timestamp.json` in place, then its signature.
    pub fn persist(self) -> Result<()> {
        let mut dir = None;
        for (staged, path) in self.0 {
            staged.persist(&path)?;
            dir = path.parent().map(Path::to_path_buf);
        }
        if let Some(dir) = dir {
            sync_dir(&dir);
        }
        Ok(())
    }
}

/// The sparse registry's name list (`names.json`, beside `registry`, its
/// `config.json`) with `name` added, staged: `None` when the registry is
/// not sparse, has no name list (it is optional) or one that lists the
/// name already (in any case). A list that is not one (it is an unsigned
/// hint, read by nothing that trusts it) is left as it is.
pub fn stage_name_added(registry: &Path, name: &PluginName) -> Result<Option<(Staged, PathBuf)>> {
    if !sparse::is_sparse(&RegistryRef::File(registry.to_path_buf())) {
        return Ok(None);
    }
    let path = registry.with_file_name(sparse::NAMES);
    if !sandbox::exists(&path)? {
        return Ok(None);
    }
    let Some(bytes) = sandbox::read_at_most(&path, MAX_NAME_LIST_BYTES, Links::Refuse)? else {
        return Ok(None);
    };
    let Ok(mut list) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(None);
    };
    let Some(names) = list.get_mut("names").and_then(Value::as_array_mut) else {
        return Ok(None);
    };
    let listed = |n: &Value| {
        n.as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_str()))
    };
    if names.iter().any(listed) {
        return Ok(None);
    }
    names.push(json!(name.as_str()));
    Ok(Some((staged_beside(&path, &pretty(&list))?, path)))
}

/// Each plugin's file: its entries in the index's order, locations rebased,
/// and its version: the index's (1 without one), or one above the file's
/// present version when its entries or expiry changed, so that a client
/// that read the old file never takes the new one for a rollback.
fn arrange(
    document: &Value,
    index: &Path,
    out: &Path,
    version: Option<u64>,
    expires: Option<&str>,
) -> Result<Vec<Planned>> {
    let shown = index.display().to_string();
    let mut grouped: BTreeMap<String, (String, Vec<Value>)> = BTreeMap::new();
    let entries = document["plugins"].as_array().cloned().unwrap_or_default();
    for mut entry in entries {
        let name = PluginName::parse(entry["name"].as_str().unwrap_or(""))?;
        let path = sparse::plugin_path(&name).map_err(|e| match e {
            Error::InvalidName { reason, .. } => Error::IndexInvalid {
                path: shown.clone(),
                problem: format!("{name} cannot be converted: {reason}"),
            },
            other => other,
        })?;
        for field in ["artifact", "sigstore_bundle"] {
            if let Some(location) = entry[field].as_str() {
                let rebased = sparse::rebase(location, index, out)?;
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
        let path = out.join(&relative);
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
            pretty(&file)
        };
        let version = match present(&path)? {
            // Unchanged but for its version: keep the higher.
            Some((old, bytes)) if bytes == document(old) => old.max(base),
            Some((old, _)) => base.max(next_version(&path, old)?),
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

/// `<path>.sig`, a file's detached signature.
pub fn signature_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// config.json, then each plugin file and its signature, then the name
/// list and the freshness files.
fn write(
    out: &Path,
    files: &[Planned],
    root_files: &Files,
    key: Option<&SigningKey>,
) -> Result<ConvertReport> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, "create", &e))?;
    let config = out.join(sparse::CONFIG);
    write_file(&config, &pretty(&json!({"schema_version": SCHEMA_VERSION})))?;
    // The plugin files unsynced (a sync each would cost more than the
    // writes, for thousands of them); the timestamp that vouches for them
    // last, synced. A conversion cut short is simply run again.
    let mut report = Vec::new();
    for file in files {
        let dir = file.path.parent().unwrap_or(out);
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
        let dir = path.parent().unwrap_or(out);
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
    sync_dir(out);
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
