//! Putting files into the plugins directory so that a hot-reloading loader
//! only ever sees a complete, checked plugin.
//!
//! Bytes are written to `.<name>.wasm.<random>.tmp` (a dot-file loaders skip)
//! and renamed into place only after every check passed; the `.sig` is placed
//! before the `.wasm`, because a loader reacts to the `.wasm` and reads the
//! signature then. A stale `.sig` is removed when the new entry is unsigned.
//! On any failure the previous `<name>.wasm` and `<name>.sig` are left (or put
//! back) byte for byte, and no temp file remains.

use super::PluginsDir;
use crate::error::{Error, Result};
use crate::limits::MAX_SIG_FILE_BYTES;
use crate::registry::name::PluginName;
use crate::transfer::staged::{Staged, sync_dir};
use std::path::{Path, PathBuf};

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
    let layout = PluginsDir::new(dir);
    let wasm_path = layout.wasm(name.as_str());
    let sig_path = layout.sig(name.as_str());

    let new_sig = match signature {
        Some(text) => {
            let mut staged = Staged::create(dir, &PluginsDir::sig_file(name.as_str()))?;
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
            if let Ok(mut staged) = Staged::create(dir, &PluginsDir::sig_file(name.as_str()))
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
