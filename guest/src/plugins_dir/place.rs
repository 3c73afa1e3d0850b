//! Putting files into the plugins directory so that a hot-reloading loader
//! only ever sees a complete, checked plugin.
//!
//! Bytes are written to `.<name>.wasm.<random>.tmp` (a dot-file loaders skip)
//! and renamed into place only after every check passed; the sidecars
//! (`.sig`, `.sigstore.json`, `.minisig`) are placed before the `.wasm`, because a
//! loader reacts to the `.wasm` and reads them then. A stale sidecar is
//! removed when the new entry has none. On any failure the previous
//! `<name>.wasm` and its sidecars are left (or put back) byte for byte, and
//! no temp file remains.

use super::PluginsDir;
use crate::error::{Error, Result};
use crate::limits::{MAX_BUNDLE_BYTES, MAX_SIG_FILE_BYTES};
use crate::registry::name::PluginName;
use crate::transfer::staged::{Staged, sync_dir};
use std::path::{Path, PathBuf};

/// What `commit` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub wasm_path: PathBuf,
    pub sig_path: Option<PathBuf>,
    pub bundle_path: Option<PathBuf>,
    pub minisig_path: Option<PathBuf>,
    /// Whether a previous `<name>.wasm` was replaced.
    pub replaced: bool,
}

/// Moves a fully written and checked `wasm` into `dir` as `<name>.wasm`, with
/// `<name>.sig` holding `signature`, `<name>.sigstore.json` holding
/// `bundle` and `<name>.minisig` holding `minisig` (each removed when there
/// is none).
pub fn commit(
    dir: &Path,
    name: &PluginName,
    wasm: Staged,
    signature: Option<&str>,
    bundle: Option<&[u8]>,
    minisig: Option<&[u8]>,
) -> Result<Placed> {
    let layout = PluginsDir::new(dir);
    let wasm_path = layout.wasm(name.as_str());
    let mut sidecars = [
        Sidecar::stage(
            dir,
            PluginsDir::sig_file(name.as_str()),
            signature.map(str::as_bytes),
            MAX_SIG_FILE_BYTES,
        )?,
        Sidecar::stage(
            dir,
            PluginsDir::bundle_file(name.as_str()),
            bundle,
            MAX_BUNDLE_BYTES as u64,
        )?,
        Sidecar::stage(
            dir,
            PluginsDir::minisig_file(name.as_str()),
            minisig,
            MAX_SIG_FILE_BYTES,
        )?,
    ];
    let replaced = wasm_path.exists();
    // The sidecars first, so the loader finds them when the .wasm appears;
    // should one not be placed, those before it are put back.
    for placing in 0..sidecars.len() {
        if let Err(err) = sidecars[placing].place() {
            sidecars[..placing].iter().for_each(Sidecar::restore);
            return Err(err);
        }
    }
    if let Err(err) = wasm.persist(&wasm_path) {
        sidecars.iter().for_each(Sidecar::restore);
        return Err(err);
    }
    sync_dir(dir);
    let [sig, bundle, minisig] = sidecars;
    Ok(Placed {
        wasm_path,
        sig_path: sig.placed(),
        bundle_path: bundle.placed(),
        minisig_path: minisig.placed(),
        replaced,
    })
}

/// One sidecar of the plugin: its new content staged, and what is in its
/// place now, to put back should the `.wasm` not be placed.
struct Sidecar {
    dir: PathBuf,
    file: String,
    path: PathBuf,
    new: Option<Staged>,
    has_new: bool,
    /// Something (of any kind) is at `path` now.
    in_place: bool,
    /// Its bytes, when it is a regular file. Something other than a regular
    /// file (a link, say) is not read, only replaced or removed: the link
    /// itself, never its target.
    old: Option<Vec<u8>>,
}

impl Sidecar {
    fn stage(dir: &Path, file: String, content: Option<&[u8]>, max: u64) -> Result<Sidecar> {
        let new = match content {
            Some(bytes) => {
                let mut staged = Staged::create(dir, &file)?;
                staged.write_all(bytes)?;
                staged.finish()?;
                Some(staged)
            }
            None => None,
        };
        let path = dir.join(&file);
        let in_place = std::fs::symlink_metadata(&path).is_ok();
        let old = read_if_exists(&path, max)?;
        Ok(Sidecar {
            dir: dir.to_path_buf(),
            has_new: new.is_some(),
            file,
            path,
            new,
            in_place,
            old,
        })
    }

    fn place(&mut self) -> Result<()> {
        match self.new.take() {
            Some(staged) => staged.persist(&self.path),
            None if self.in_place => {
                std::fs::remove_file(&self.path).map_err(|e| Error::io(&self.path, "remove", &e))
            }
            None => Ok(()),
        }
    }

    /// Puts the previous file back after the `.wasm` could not be placed.
    /// Best effort: the original error is the one worth reporting.
    fn restore(&self) {
        match &self.old {
            Some(bytes) => {
                if let Ok(mut staged) = Staged::create(&self.dir, &self.file)
                    && staged.write_all(bytes).is_ok()
                {
                    let _ = staged.persist(&self.path);
                }
            }
            None => {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }

    fn placed(self) -> Option<PathBuf> {
        self.has_new.then_some(self.path)
    }
}

fn read_if_exists(path: &Path, max: u64) -> Result<Option<Vec<u8>>> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, "stat", &e)),
        Ok(meta) if !meta.is_file() => return Ok(None),
        Ok(meta) if meta.len() > max => {
            return Err(Error::Io {
                path: path.display().to_string(),
                operation: "read",
                message: format!("an existing sidecar file larger than {max} bytes is in the way"),
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
        commit(
            dir.path(),
            &name(),
            staged(dir.path(), b"wasm"),
            None,
            None,
            None,
        )
        .unwrap();
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
            None,
            None,
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
            None,
            None,
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
        commit(
            dir.path(),
            &name(),
            staged(dir.path(), b"v1"),
            Some("SIG1"),
            None,
            None,
        )
        .unwrap();
        let placed = commit(
            dir.path(),
            &name(),
            staged(dir.path(), b"v2"),
            None,
            None,
            None,
        )
        .unwrap();
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
        commit(
            dir.path(),
            &name(),
            staged(dir.path(), b"v1"),
            Some("OLD"),
            None,
            None,
        )
        .unwrap();
        let s = staged(dir.path(), b"v2");
        // Make the final rename fail: a non-empty directory cannot be
        // replaced by a file.
        std::fs::remove_file(dir.path().join("colmask.wasm")).unwrap();
        std::fs::create_dir(dir.path().join("colmask.wasm")).unwrap();
        std::fs::write(dir.path().join("colmask.wasm/x"), b"").unwrap();
        let err = commit(dir.path(), &name(), s, Some("NEW"), None, None).unwrap_err();
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

    #[test]
    fn a_bundle_is_placed_beside_the_plugin_and_a_stale_one_removed() {
        let dir = tempfile::tempdir().unwrap();
        let placed = commit(
            dir.path(),
            &name(),
            staged(dir.path(), b"v1"),
            None,
            Some(b"{}"),
            None,
        )
        .unwrap();
        assert_eq!(
            listing(dir.path()),
            vec!["colmask.sigstore.json", "colmask.wasm"]
        );
        assert_eq!(std::fs::read(placed.bundle_path.unwrap()).unwrap(), b"{}");
        let placed = commit(
            dir.path(),
            &name(),
            staged(dir.path(), b"v2"),
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(placed.bundle_path, None);
        assert_eq!(listing(dir.path()), vec!["colmask.wasm"]);
    }

    #[test]
    fn a_failed_wasm_rename_restores_the_previous_bundle() {
        let dir = tempfile::tempdir().unwrap();
        commit(
            dir.path(),
            &name(),
            staged(dir.path(), b"v1"),
            None,
            Some(b"OLD"),
            None,
        )
        .unwrap();
        let s = staged(dir.path(), b"v2");
        std::fs::remove_file(dir.path().join("colmask.wasm")).unwrap();
        std::fs::create_dir(dir.path().join("colmask.wasm")).unwrap();
        std::fs::write(dir.path().join("colmask.wasm/x"), b"").unwrap();
        assert!(commit(dir.path(), &name(), s, Some("SIG"), Some(b"NEW"), None).is_err());
        assert_eq!(
            std::fs::read(dir.path().join("colmask.sigstore.json")).unwrap(),
            b"OLD"
        );
        assert_eq!(
            listing(dir.path()),
            vec!["colmask.sigstore.json", "colmask.wasm"]
        );
    }

    #[test]
    fn a_minisig_is_placed_beside_the_plugin_and_a_stale_one_removed() {
        let dir = tempfile::tempdir().unwrap();
        let placed = commit(
            dir.path(),
            &name(),
            staged(dir.path(), b"v1"),
            None,
            None,
            Some(b"MINISIG"),
        )
        .unwrap();
        assert_eq!(listing(dir.path()), vec!["colmask.minisig", "colmask.wasm"]);
        assert_eq!(
            std::fs::read(placed.minisig_path.unwrap()).unwrap(),
            b"MINISIG"
        );
        // A failed .wasm rename puts the previous one back.
        let s = staged(dir.path(), b"v2");
        std::fs::remove_file(dir.path().join("colmask.wasm")).unwrap();
        std::fs::create_dir(dir.path().join("colmask.wasm")).unwrap();
        std::fs::write(dir.path().join("colmask.wasm/x"), b"").unwrap();
        assert!(commit(dir.path(), &name(), s, None, None, Some(b"NEW")).is_err());
        assert_eq!(
            std::fs::read(dir.path().join("colmask.minisig")).unwrap(),
            b"MINISIG"
        );
        std::fs::remove_dir_all(dir.path().join("colmask.wasm")).unwrap();
        let placed = commit(
            dir.path(),
            &name(),
            staged(dir.path(), b"v3"),
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(placed.minisig_path, None);
        assert_eq!(listing(dir.path()), vec!["colmask.wasm"]);
    }
}
