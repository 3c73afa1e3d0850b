//! A file written in full before anyone can see it: written to a hidden temp
//! file next to its final place, synced, then renamed over it. Every file the
//! installer writes goes through one (plugins, signatures, receipts, state,
//! indexes, keys), so a reader sees the old file or the new one, never part
//! of either; a temp file is removed when dropped unpersisted, and one left
//! by a killed run is recognised by its name.

use crate::error::{Error, Result};
use crate::transfer::sink::SinkFile;
use std::fs::File;
use std::path::{Path, PathBuf};

/// A temp file next to its final place, removed on drop unless persisted.
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

impl Staged {
    /// Renames the temp file to `target` without syncing it first: for the
    /// many small files of one run that can simply be run again (a sparse
    /// registry's conversion), where a sync each would cost far more than
    /// the writes. What vouches for them is written after, synced.
    pub fn persist_unsynced(mut self, target: &Path) -> Result<()> {
        // Closed first (each write was done when it returned): only the
        // sync to disk is left out.
        drop(self.file.take());
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
}
