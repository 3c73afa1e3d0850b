//! A plugins directory, and the one place that spells every path in it (as
//! spin's plugin store owns its paths).
//!
//! What loaders read is `<name>.wasm` and `<name>.sig` in the directory
//! itself. What the installer keeps for itself lives under `.wasm-plugin/`,
//! a dot-directory loaders skip: receipts (`receipts/<name>.json`), the
//! index versions seen per registry (`registries.json`), the newest trust
//! metadata reached per registry (`roots/`), sparse registries' files as
//! last fetched (`http-cache/`), and the lock the host takes (`lock`). Temp
//! files are staged next to their final place (see `transfer::staged`), so
//! they may be in any of those five folders.

pub mod installed;
pub mod place;
pub mod receipt;
pub mod remove;
pub mod roots;
pub mod seen;

use crate::error::Result;
use std::path::{Path, PathBuf};

/// What a plugin's Sigstore bundle is named after: `<name>.sigstore.json`.
pub const BUNDLE_SUFFIX: &str = ".sigstore.json";

/// What a plugin's minisign signature is named after: `<name>.minisig`.
pub const MINISIG_SUFFIX: &str = ".minisig";

/// The installer's own folder in a plugins directory.
pub const STATE_DIR: &str = ".wasm-plugin";

/// The paths of one plugins directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginsDir {
    root: PathBuf,
}

impl PluginsDir {
    /// The plugins directory at `root` (an absolute path inside the grants).
    pub fn new(root: impl AsRef<Path>) -> PluginsDir {
        PluginsDir {
            root: root.as_ref().to_path_buf(),
        }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file name a loader reads a plugin from: `<name>.wasm`.
    pub fn wasm_file(name: &str) -> String {
        format!("{name}.wasm")
    }

    /// The file name of a plugin's signature: `<name>.sig`.
    pub fn sig_file(name: &str) -> String {
        format!("{name}.sig")
    }

    /// The file name of a plugin's Sigstore bundle: `<name>.sigstore.json`.
    pub fn bundle_file(name: &str) -> String {
        format!("{name}{BUNDLE_SUFFIX}")
    }

    /// `<root>/<name>.sigstore.json`.
    pub fn bundle(&self, name: &str) -> PathBuf {
        self.root.join(Self::bundle_file(name))
    }

    /// The file name of a plugin's minisign signature: `<name>.minisig`.
    pub fn minisig_file(name: &str) -> String {
        format!("{name}{MINISIG_SUFFIX}")
    }

    /// `<root>/<name>.minisig`.
    pub fn minisig(&self, name: &str) -> PathBuf {
        self.root.join(Self::minisig_file(name))
    }

    /// `<root>/<name>.wasm`.
    pub fn wasm(&self, name: &str) -> PathBuf {
        self.root.join(Self::wasm_file(name))
    }

    /// `<root>/<name>.sig`.
    pub fn sig(&self, name: &str) -> PathBuf {
        self.root.join(Self::sig_file(name))
    }

    /// `<root>/.wasm-plugin`.
    pub fn state(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// `<root>/.wasm-plugin/receipts`.
    pub fn receipts(&self) -> PathBuf {
        self.state().join("receipts")
    }

    /// `<root>/.wasm-plugin/receipts/<name>.json`.
    pub fn receipt(&self, name: &str) -> PathBuf {
        self.receipts().join(format!("{name}.json"))
    }

    /// `<root>/.wasm-plugin/registries.json`.
    pub fn seen(&self) -> PathBuf {
        self.state().join("registries.json")
    }

    /// `<root>/.wasm-plugin/roots`: the newest trust metadata reached per
    /// registry.
    pub fn roots(&self) -> PathBuf {
        self.state().join("roots")
    }

    /// `<root>/.wasm-plugin/roots/<sha256 of registry>.json`: a registry's
    /// name may be a URL or a path, so it is hashed into a file name.
    pub fn recorded_root(&self, registry: &str) -> PathBuf {
        let name = crate::trust::digest::Sha256Digest::of(registry.as_bytes()).to_hex();
        self.roots().join(format!("{name}.json"))
    }

    /// `<root>/.wasm-plugin/http-cache`: sparse registries' files as last
    /// fetched, with their validators (`transfer::http_cache`).
    pub fn http_cache(&self) -> PathBuf {
        self.state().join("http-cache")
    }

    /// Every folder a temp file may be staged in.
    pub fn staging_dirs(&self) -> [PathBuf; 5] {
        [
            self.root.clone(),
            self.state(),
            self.receipts(),
            self.roots(),
            self.http_cache(),
        ]
    }

    /// The plugin a file in the root belongs to: `colmask` for
    /// `colmask.wasm`, `colmask.sig`, `colmask.sigstore.json` or
    /// `colmask.minisig`; `None` for
    /// anything else (hidden files included).
    pub fn plugin_of(file: &str) -> Option<&str> {
        if file.starts_with('.') {
            return None;
        }
        file.strip_suffix(".wasm")
            .or_else(|| file.strip_suffix(".sig"))
            .or_else(|| file.strip_suffix(BUNDLE_SUFFIX))
            .or_else(|| file.strip_suffix(MINISIG_SUFFIX))
    }

    /// Like `plugin_of`, for `<name>.wasm` only.
    pub fn wasm_plugin_of(file: &str) -> Option<&str> {
        Self::plugin_of(file).filter(|_| file.ends_with(".wasm"))
    }

    /// The plugin a file in the receipts folder records: `colmask` for
    /// `colmask.json`; `None` for anything else (temp files included).
    pub fn receipt_of(file: &str) -> Option<&str> {
        if file.starts_with('.') {
            return None;
        }
        file.strip_suffix(".json")
    }
}

/// Removes what interrupted runs left in `dest`, its state folder and its
/// receipts folder (see `transfer::staged::remove_leftovers`).
pub fn remove_leftovers(dest: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for dir in PluginsDir::new(dest).staging_dirs() {
        removed.extend(crate::transfer::staged::remove_leftovers(&dir)?);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_of_a_plugins_directory() {
        let dir = PluginsDir::new("/p");
        assert_eq!(dir.wasm("a"), Path::new("/p/a.wasm"));
        assert_eq!(dir.sig("a"), Path::new("/p/a.sig"));
        assert_eq!(
            dir.receipt("a"),
            Path::new("/p/.wasm-plugin/receipts/a.json")
        );
        assert_eq!(dir.seen(), Path::new("/p/.wasm-plugin/registries.json"));
        assert_eq!(dir.http_cache(), Path::new("/p/.wasm-plugin/http-cache"));
        assert_eq!(PluginsDir::plugin_of("a.sig"), Some("a"));
        assert_eq!(dir.bundle("a"), Path::new("/p/a.sigstore.json"));
        assert_eq!(PluginsDir::plugin_of("a.sigstore.json"), Some("a"));
        assert_eq!(dir.minisig("a"), Path::new("/p/a.minisig"));
        assert_eq!(PluginsDir::plugin_of("a.minisig"), Some("a"));
        assert_eq!(PluginsDir::plugin_of(".a.wasm.0123456789abcdef.tmp"), None);
        assert_eq!(PluginsDir::wasm_plugin_of("a.sig"), None);
        assert_eq!(PluginsDir::receipt_of("a.json"), Some("a"));
        assert_eq!(PluginsDir::receipt_of(".a.json.0123456789abcdef.tmp"), None);
    }
}
