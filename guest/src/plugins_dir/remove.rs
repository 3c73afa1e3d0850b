//! Removing a plugin (`uninstall`, and `sync` for what a set no longer
//! holds): the reverse of install, in the order that keeps a loader
//! safe: the `.wasm` first (so the plugin is unloaded), then its `.sig`,
//! `.sigstore.json` and `.minisig`, then the receipt.

use crate::error::{Error, Result};
use crate::plugins_dir::PluginsDir;
use crate::plugins_dir::installed;
use crate::plugins_dir::receipt::{self, Found};
use crate::registry::name::PluginName;
use crate::sandbox;
use crate::transfer::staged::sync_dir;
use crate::wit::UninstallReport;
use std::path::Path;

pub fn uninstall(dest: &Path, name: &str) -> Result<UninstallReport> {
    let name = PluginName::parse(name)?;
    sandbox::check_granted(dest)?;
    let version = match receipt::read(dest, &name)? {
        Found::Valid(r) => Some(r.version),
        Found::Missing | Found::Invalid(_) => None,
    };
    let layout = PluginsDir::new(dest);
    let wasm = layout.wasm(name.as_str());
    let sig = layout.sig(name.as_str());
    let bundle = layout.bundle(name.as_str());
    let minisig = layout.minisig(name.as_str());
    let receipt_path = receipt::path(dest, &name);
    if !sandbox::exists(&wasm)? && !sandbox::exists(&receipt_path)? {
        return Err(installed::not_installed(dest, &name)?);
    }
    let mut removed = Vec::new();
    for path in [&wasm, &sig, &bundle, &minisig] {
        match std::fs::remove_file(path) {
            Ok(()) => removed.push(path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(path, "remove", &e)),
        }
    }
    sync_dir(dest);
    if receipt::remove(dest, &name)? {
        removed.push(receipt_path.display().to_string());
        sync_dir(&receipt::dir(dest));
    }
    Ok(UninstallReport {
        name: name.to_string(),
        version,
        removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins_dir::receipt::Receipt;

    fn installed_fixture() -> tempfile::TempDir {
        let dest = tempfile::tempdir().unwrap();
        std::fs::write(dest.path().join("colmask.wasm"), b"w").unwrap();
        std::fs::write(dest.path().join("colmask.sig"), b"s").unwrap();
        std::fs::write(dest.path().join("colmask.sigstore.json"), b"{}").unwrap();
        std::fs::write(dest.path().join("colmask.minisig"), b"m").unwrap();
        std::fs::write(dest.path().join("other.wasm"), b"o").unwrap();
        let receipt = Receipt {
            name: "colmask".into(),
            version: "1.2.0".into(),
            sha256: String::new(),
            size: 1,
            signed_by: None,
            registry: String::new(),
            artifact: String::new(),
            installed_at: crate::clock::now(),
            requirement: None,
            imports: None,
            exports: None,
            cosign_signature: None,
        };
        let name = PluginName::parse("colmask").unwrap();
        receipt::commit(
            dest.path(),
            &name,
            receipt::stage(dest.path(), &receipt).unwrap(),
        )
        .unwrap();
        dest
    }

    #[test]
    fn wasm_sidecars_and_receipt_are_removed_in_that_order() {
        let dest = installed_fixture();
        let report = uninstall(dest.path(), "colmask").unwrap();
        assert_eq!(report.version.as_deref(), Some("1.2.0"));
        let removed: Vec<&str> = report
            .removed
            .iter()
            .map(|p| p.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(
            removed,
            [
                "colmask.wasm",
                "colmask.sig",
                "colmask.sigstore.json",
                "colmask.minisig",
                "colmask.json"
            ]
        );
        assert!(dest.path().join("other.wasm").exists());
    }

    #[test]
    fn an_unknown_name_lists_what_is_installed() {
        let dest = installed_fixture();
        let err = uninstall(dest.path(), "nope").unwrap_err();
        let Error::NotInstalled {
            name, installed, ..
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(name, "nope");
        assert_eq!(installed, ["colmask", "other"]);
    }

    #[test]
    fn a_plugin_without_receipt_can_still_be_removed() {
        let dest = installed_fixture();
        let report = uninstall(dest.path(), "other").unwrap();
        assert_eq!(report.version, None);
        assert_eq!(report.removed.len(), 1);
    }

    #[test]
    fn hostile_names_are_refused() {
        let dest = installed_fixture();
        for name in ["../colmask", "a/b", ""] {
            assert!(matches!(
                uninstall(dest.path(), name),
                Err(Error::InvalidName { .. })
            ));
        }
        assert!(dest.path().join("colmask.wasm").exists());
    }
}
