//! Putting files into the plugins directory so that a hot-reloading loader
//! only ever sees a complete, checked plugin.
//!
//! Bytes are written to `.<name>.wasm.<random>.tmp` (a dot-file loaders skip)
//! and renamed into place only after every check passed; the `.sig` is placed
//! before the `.wasm`, because a loader reacts to the `.wasm` and reads the
//! signature then. A stale `.sig` is removed when the new entry is unsigned.
//! On any failure the previous `<name>.wasm` and `<name>.sig` are left (or put
//! back) byte for byte, and no temp file remains.

use crate::error::{Error, Result};
use crate::limits::MAX_SIG_FILE_BYTES;
use crate::name::PluginName;
use crate::sink::SinkFile;
use std::fs::File;
use std::path::{Path, PathBuf};

/// A temp file in the destination, removed on drop unless persisted.
pub struct Staged {
    path: PathBuf,
    file: Option<SinkFile>,
    persisted: bool,
}

impl Staged {
    /// Creates `.<final_name>.<random>.tmp` in `dir`.
    pub fn create(dir: &Path, final_name: &str) -> Result<Staged> {
        let path = dir.join(format!(".{final_name}.{}.tmp", random_suffix()?));
        let file = SinkFile::create_new(&path).map_err(|e| Error::io(&path, "create", &e))?;
        Ok(Staged {
            path,
            file: Some(file),
            persisted: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let file = self.file.as_mut().expect("written after finish");
        file.write_all(bytes)
            .map_err(|e| Error::io(&self.path, "write", &e))
    }

    /// Flushes the bytes to disk and closes the file.
    pub fn finish(&mut self) -> Result<()> {
        if let Some(mut file) = self.file.take() {
            file.sync_all()
                .map_err(|e| Error::io(&self.path, "sync", &e))?;
        }
        Ok(())
    }

    /// Renames the temp file to `target`; from then on it is not removed.
    pub fn persist(mut self, target: &Path) -> Result<()> {
        self.finish()?;
        std::fs::rename(&self.path, target).map_err(|e| Error::io(target, "rename", &e))?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.persisted {
            self.file.take();
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What `commit` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub wasm_path: PathBuf,
    pub sig_path: Option<PathBuf>,
    /// Whether a previous `<name>.wasm` was replaced.
    pub replaced: bool,
}

/// Moves a fully written and checked `wasm` into `dir` as `<name>.wasm`, with
/// `<name>.sig` holding `signature` (or removed when there is none).
pub fn commit(
    dir: &Path,
    name: &PluginName,
    wasm: Staged,
    signature: Option<&str>,
) -> Result<Placed> {
    let wasm_path = dir.join(name.wasm_file());
    let sig_path = dir.join(name.sig_file());

    let new_sig = match signature {
        Some(text) => {
            let mut staged = Staged::create(dir, &name.sig_file())?;
            staged.write_all(text.as_bytes())?;
            staged.finish()?;
            Some(staged)
        }
        None => None,
    };
    let replaced = wasm_path.exists();
    // What is at `<name>.sig` now: its bytes to restore should the rename
    // below fail. Something other than a regular file (a link, say) is not
    // read, only replaced or removed: the link itself, never its target.
    let sig_in_place = std::fs::symlink_metadata(&sig_path).is_ok();
    let old_sig = read_if_exists(&sig_path)?;

    // The signature first, so the loader finds it when the .wasm appears.
    match new_sig {
        Some(staged) => staged.persist(&sig_path)?,
        None if sig_in_place => {
            std::fs::remove_file(&sig_path).map_err(|e| Error::io(&sig_path, "remove", &e))?
        }
        None => {}
    }
    if let Err(err) = wasm.persist(&wasm_path) {
        restore(dir, name, &sig_path, old_sig.as_deref());
        return Err(err);
    }
    sync_dir(dir);
    Ok(Placed {
        wasm_path,
        sig_path: signature.map(|_| sig_path),
        replaced,
    })
}

/// Puts the previous `.sig` back after the `.wasm` could not be placed.
/// Best effort: the original error is the one worth reporting.
fn restore(dir: &Path, name: &PluginName, sig_path: &Path, old: Option<&[u8]>) {
    match old {
        Some(bytes) => {
            if let Ok(mut staged) = Staged::create(dir, &name.sig_file())
                && staged.write_all(bytes).is_ok()
            {
                let _ = staged.persist(sig_path);
            }
        }
        None => {
            let _ = std::fs::remove_file(sig_path);
        }
    }
}

fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, "stat", &e)),
        Ok(meta) if !meta.is_file() => return Ok(None),
        Ok(meta) if meta.len() > MAX_SIG_FILE_BYTES => {
            return Err(Error::Io {
                path: path.display().to_string(),
                operation: "read",
                message: format!(
                    "an existing signature file larger than {MAX_SIG_FILE_BYTES} bytes is in the way"
                ),
            });
        }
        Ok(_) => {}
    }
    std::fs::read(path)
        .map(Some)
        .map_err(|e| Error::io(path, "read", &e))
}

/// Makes the renames durable: a crash after this cannot bring back the old
/// directory entries. Best effort, because it runs after the renames: they
/// have happened, the files themselves were synced before, and reporting a
/// failed install for a plugin that is in place would be false.
pub fn sync_dir(dir: &Path) {
    let _ = File::open(dir).and_then(|d| d.sync_all());
}

/// Whether `file` is named as `Staged` names its temp files:
/// `.<final name>.<16 hex digits>.tmp`.
pub fn is_staged_name(file: &str) -> bool {
    let Some(inner) = file.strip_prefix('.').and_then(|f| f.strip_suffix(".tmp")) else {
        return false;
    };
    match inner.rsplit_once('.') {
        Some((final_name, suffix)) => {
            !final_name.is_empty()
                && suffix.len() == 16
                && suffix
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        }
        None => false,
    }
}

/// Removes the temp files an interrupted run left in `dir` (regular files
/// named as `Staged` names them, nothing else) and returns their paths.
/// Only for a caller that holds the destination's lock: then no other run
/// can still be writing them.
pub fn remove_leftovers(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, "list", &e)),
        Ok(entries) => entries,
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "list", &e))?;
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && is_staged_name(&entry.file_name().to_string_lossy()) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, "remove", &e))?;
            removed.push(path);
        }
    }
    if !removed.is_empty() {
        sync_dir(dir);
    }
    removed.sort();
    Ok(removed)
}

fn random_suffix() -> Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| Error::Io {
        path: String::new(),
        operation: "random",
        message: e.to_string(),
    })?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name() -> PluginName {
        PluginName::parse("colmask").unwrap()
    }

    fn staged(dir: &Path, bytes: &[u8]) -> Staged {
        let mut s = Staged::create(dir, "colmask.wasm").unwrap();
        s.write_all(bytes).unwrap();
        s
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn leftovers_are_removed_by_their_exact_naming_pattern_only() {
        let dir = tempfile::tempdir().unwrap();
        let left = staged(dir.path(), b"half");
        let temp = left.path().to_path_buf();
        std::mem::forget(left); // as if the process died here
        for other in [
            ".colmask.wasm.tmp",
            ".colmask.wasm.0123456789abcdeg.tmp",
            ".colmask.wasm.0123456789ABCDEF.tmp",
            "colmask.wasm.0123456789abcdef.tmp",
            "..0123456789abcdef.tmp",
            "colmask.wasm",
        ] {
            std::fs::write(dir.path().join(other), b"keep").unwrap();
        }
        std::fs::create_dir(dir.path().join(".d.0123456789abcdef.tmp")).unwrap();
        assert_eq!(remove_leftovers(dir.path()).unwrap(), vec![temp.clone()]);
        assert!(!temp.exists());
        assert_eq!(listing(dir.path()).len(), 7);
        assert!(
            remove_leftovers(&dir.path().join("missing"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_link_in_place_of_the_sidecar_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("victim");
        std::fs::write(&target, b"not yours").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("colmask.sig")).unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("colmask.wasm")).unwrap();
        commit(dir.path(), &name(), staged(dir.path(), b"wasm"), None).unwrap();
        assert!(!dir.path().join("colmask.sig").exists());
        assert_eq!(
            std::fs::read(dir.path().join("colmask.wasm")).unwrap(),
            b"wasm"
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"not yours");
        std::os::unix::fs::symlink(&target, dir.path().join("colmask.sig")).unwrap();
        commit(
            dir.path(),
            &name(),
            staged(dir.path(), b"wasm"),
            Some("SIG"),
        )
        .unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("colmask.sig")).unwrap(),
            b"SIG"
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"not yours");
    }

    #[test]
    fn temp_files_are_hidden_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let s = staged(dir.path(), b"abc");
        let temp = s.path().file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            temp.starts_with(".colmask.wasm.") && temp.ends_with(".tmp"),
            "{temp}"
        );
        assert_eq!(listing(dir.path()), vec![temp]);
        drop(s);
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn a_signed_plugin_is_placed_with_its_sidecar() {
        let dir = tempfile::tempdir().unwrap();
        let placed = commit(
            dir.path(),
            &name(),
            staged(dir.path(), b"wasm"),
            Some("SIG"),
        )
        .unwrap();
        assert_eq!(listing(dir.path()), vec!["colmask.sig", "colmask.wasm"]);
        assert_eq!(std::fs::read(&placed.wasm_path).unwrap(), b"wasm");
        assert_eq!(std::fs::read(placed.sig_path.unwrap()).unwrap(), b"SIG");
        assert!(!placed.replaced);
    }

    #[test]
    fn an_unsigned_replacement_removes_the_stale_sidecar() {
        let dir = tempfile::tempdir().unwrap();
        commit(dir.path(), &name(), staged(dir.path(), b"v1"), Some("SIG1")).unwrap();
        let placed = commit(dir.path(), &name(), staged(dir.path(), b"v2"), None).unwrap();
        assert!(placed.replaced);
        assert_eq!(placed.sig_path, None);
        assert_eq!(listing(dir.path()), vec!["colmask.wasm"]);
        assert_eq!(
            std::fs::read(dir.path().join("colmask.wasm")).unwrap(),
            b"v2"
        );
    }

    #[test]
    fn a_failed_wasm_rename_restores_the_previous_sidecar() {
        let dir = tempfile::tempdir().unwrap();
        commit(dir.path(), &name(), staged(dir.path(), b"v1"), Some("OLD")).unwrap();
        let s = staged(dir.path(), b"v2");
        // Make the final rename fail: a non-empty directory cannot be
        // replaced by a file.
        std::fs::remove_file(dir.path().join("colmask.wasm")).unwrap();
        std::fs::create_dir(dir.path().join("colmask.wasm")).unwrap();
        std::fs::write(dir.path().join("colmask.wasm/x"), b"").unwrap();
        let err = commit(dir.path(), &name(), s, Some("NEW")).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Io {
                    operation: "rename",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            std::fs::read(dir.path().join("colmask.sig")).unwrap(),
            b"OLD"
        );
        assert_eq!(listing(dir.path()), vec!["colmask.sig", "colmask.wasm"]);
    }
}
