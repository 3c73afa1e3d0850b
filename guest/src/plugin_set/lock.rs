//! `wasm-plugin.lock`, next to the manifest: for each declared plugin the
//! exact version, registry, artefact and digest a fleet installs. Written by
//! `sync` and `lock` (and only when it changes), sorted by name, stable,
//! diff-friendly: the same pins are the same bytes whichever wrote them.
//!
//! A pin is kept while the manifest's requirement still admits it and names
//! the same registry; the digest is the point: a registry that later serves
//! other bytes for a pinned version is refused.

use crate::error::{Error, Result};
use crate::sandbox::{self, Links};
use crate::transfer::staged::{Staged, sync_dir};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const MAX_LOCK_BYTES: u64 = 4 << 20;
const HEADER: &str = "# wasm-plugin.lock: the exact plugins `wasm-plugin sync` installs.\n\
                      # Written by wasm-plugin (sync, lock); commit it, do not edit it.\n\n";

/// The lock's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    #[serde(default, rename = "plugin")]
    pub plugins: Vec<Pin>,
}

/// One plugin, pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    pub name: String,
    /// The manifest's name for its registry (portable: the lock is the
    /// same on every host).
    pub registry: String,
    pub version: String,
    /// The artefact as the index names it.
    pub artifact: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Read from a lock an older version wrote, never written: who signed
    /// is what a host's trust root finds at install (its receipt says),
    /// not a pin, and `lock`, which downloads nothing, cannot know it.
    #[serde(default, skip_serializing)]
    pub signed_by: Option<String>,
}

/// The lock file of the manifest at `manifest`: next to it, named after
/// it (`wasm-plugin.toml` -> `wasm-plugin.lock`, `staging.toml` ->
/// `staging.lock`), so that two manifests in one directory never share a
/// lock.
pub fn path_for(manifest: &Path) -> PathBuf {
    manifest.with_extension("lock")
}

/// Writes `text` (a `Lock::to_text`) to `path`: staged, then renamed.
pub fn write(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let mut staged = Staged::create(dir, "wasm-plugin.lock")?;
    staged.write_all(text.as_bytes())?;
    staged.persist(path)?;
    sync_dir(dir);
    Ok(())
}

/// Reads the lock at `path`; none yet is an empty lock.
pub fn read(path: &Path) -> Result<Lock> {
    if !sandbox::exists(path)? {
        return Ok(Lock::default());
    }
    let shown = path.display().to_string();
    let bytes = sandbox::read_at_most(path, MAX_LOCK_BYTES, Links::Follow)?
        .ok_or_else(|| invalid(&shown, format!("larger than {MAX_LOCK_BYTES} bytes")))?;
    let text = String::from_utf8(bytes).map_err(|e| invalid(&shown, e.to_string()))?;
    parse(&text, &shown)
}

/// A lock's text (`shown` names it in errors).
pub fn parse(text: &str, shown: &str) -> Result<Lock> {
    toml::from_str(text).map_err(|e| invalid(shown, e.message().to_string()))
}

impl Lock {
    pub fn get(&self, name: &str) -> Option<&Pin> {
        self.plugins.iter().find(|p| p.name == name)
    }

    /// The file's text: sorted by name, so two syncs of the same set write
    /// the same bytes.
    pub fn to_text(&self) -> String {
        let mut sorted = self.clone();
        sorted.plugins.sort_by(|a, b| a.name.cmp(&b.name));
        let body = toml::to_string(&sorted).expect("a lock serializes");
        format!("{HEADER}{body}")
    }
}

fn invalid(path: &str, message: String) -> Error {
    Error::ManifestInvalid {
        path: path.to_string(),
        line: 1,
        column: 1,
        message: format!(
            "the lock cannot be read: {message}; remove it and run sync to write it again"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_manifest_has_a_lock_of_its_own_name() {
        let lock = |m: &str| path_for(Path::new(m)).display().to_string();
        assert_eq!(lock("/p/wasm-plugin.toml"), "/p/wasm-plugin.lock");
        assert_eq!(lock("/p/staging.toml"), "/p/staging.lock");
        assert_eq!(lock("/p/plugins"), "/p/plugins.lock");
    }

    #[test]
    fn who_signed_is_read_from_an_old_lock_but_never_written() {
        let old = "[[plugin]]\nname = \"a\"\nregistry = \"default\"\nversion = \"1.0.0\"\n\
                   artifact = \"a.wasm\"\nsha256 = \"ab\"\nsigned_by = \"release\"\n";
        let lock: Lock = toml::from_str(old).unwrap();
        assert_eq!(lock.plugins[0].signed_by.as_deref(), Some("release"));
        let text = lock.to_text();
        assert!(!text.contains("signed_by"), "{text}");
        assert!(
            text.contains("# Written by wasm-plugin (sync, lock)"),
            "{text}"
        );
        // The same pins are the same bytes, whoever found the signer.
        let mut unsigned = lock.clone();
        unsigned.plugins[0].signed_by = None;
        assert_eq!(unsigned.to_text(), text);
    }

    #[test]
    fn a_lock_round_trips_sorted() {
        let pin = |name: &str| Pin {
            name: name.into(),
            registry: "default".into(),
            version: "1.0.0".into(),
            artifact: format!("{name}.wasm"),
            sha256: "ab".repeat(32),
            size: Some(3),
            signed_by: None,
        };
        let lock = Lock {
            plugins: vec![pin("zeta"), pin("alpha")],
        };
        let text = lock.to_text();
        assert!(
            text.find("alpha").unwrap() < text.find("zeta").unwrap(),
            "{text}"
        );
        let back: Lock = toml::from_str(&text).unwrap();
        assert_eq!(back.plugins[0].name, "alpha");
        assert_eq!(back.to_text(), text);
    }
}
