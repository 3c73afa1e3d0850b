//! Report values for the renderers' tests, built in one place: when the
//! library's report types change shape (a field, a constructor), this file
//! is the one to adapt.

use super::{Printer, Verdict};
use std::io;
use wasm_plugin::{
    ForgetReport, InstallAction, InstallReport, KeygenReport, OutdatedPlugin, PublishReport,
    RegistryEntry, RegistryIndex, SignReport, UninstallReport, VerifyReport, YankReport,
};

/// What a renderer wrote: standard output, standard error, the verdict.
pub struct Rendered {
    pub out: String,
    pub err: String,
    pub verdict: Verdict,
}

/// Runs `render` with a printer over two `Vec<u8>`s.
pub fn render(
    json: bool,
    quiet: bool,
    render: impl FnOnce(&mut Printer) -> io::Result<Verdict>,
) -> Rendered {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let verdict = {
        let mut printer = Printer::new(&mut out, &mut err, json, quiet);
        render(&mut printer).expect("a Vec<u8> takes every write")
    };
    Rendered {
        out: String::from_utf8(out).expect("UTF-8"),
        err: String::from_utf8(err).expect("UTF-8"),
        verdict,
    }
}

/// Text, not quiet.
pub fn text(f: impl FnOnce(&mut Printer) -> io::Result<Verdict>) -> Rendered {
    render(false, false, f)
}

/// JSON, parsed back.
pub fn json(f: impl FnOnce(&mut Printer) -> io::Result<Verdict>) -> serde_json::Value {
    let rendered = render(true, false, f);
    serde_json::from_str(&rendered.out).expect("the output is JSON")
}

/// `name` `version` newly installed from `example/index.json`, unsigned.
pub fn install_report(name: &str, version: &str, action: InstallAction) -> InstallReport {
    InstallReport {
        name: name.into(),
        version: version.into(),
        sha256: "ab12".into(),
        size: 42,
        source: "example/index.json".into(),
        wasm_path: format!("plugins/{name}.wasm"),
        sig_path: None,
        signed_by: None,
        action,
        previous_version: None,
        new_imports: Vec::new(),
        imports: None,
        exports: None,
        skipped: Vec::new(),
    }
}

/// An unsigned, unyanked entry without a description.
pub fn entry(name: &str, version: &str) -> RegistryEntry {
    RegistryEntry {
        name: name.into(),
        version: version.into(),
        description: None,
        artifact: format!("{name}-{version}.wasm"),
        sha256: "ab12".into(),
        signature: None,
        size: Some(42),
        yanked: false,
        latest: true,
        imports: None,
        exports: None,
    }
}

/// An unsigned index at `index.json` listing `plugins`.
pub fn index(plugins: Vec<RegistryEntry>) -> RegistryIndex {
    RegistryIndex {
        path: "index.json".into(),
        schema_version: "1".into(),
        version: Some(3),
        expires: None,
        signed_by: None,
        plugins,
    }
}

/// A row of `outdated`.
pub fn outdated(name: &str, installed: &str, wanted: &str, latest: &str) -> OutdatedPlugin {
    OutdatedPlugin {
        name: name.into(),
        installed: installed.into(),
        requirement: None,
        wanted: Some(wanted.into()),
        latest: Some(latest.into()),
        yanked: false,
    }
}

/// `forget-registry` of `index.json` in `plugins`.
pub fn forget(forgotten: Option<u64>, recorded: &[&str]) -> ForgetReport {
    ForgetReport {
        dest: "plugins".into(),
        registry: "index.json".into(),
        forgotten,
        recorded: recorded.iter().map(|r| r.to_string()).collect(),
    }
}

/// `name` uninstalled, its files removed.
pub fn uninstall(name: &str, version: Option<&str>, removed: &[&str]) -> UninstallReport {
    UninstallReport {
        name: name.into(),
        version: version.map(str::to_string),
        removed: removed.iter().map(|r| r.to_string()).collect(),
    }
}

/// `keygen --name release`.
pub fn keygen() -> KeygenReport {
    KeygenReport {
        key_path: "release.key".into(),
        pub_path: "release.pub".into(),
        public_key: "ed25519:AAAA".into(),
    }
}

/// `sign hello.wasm`.
pub fn sign() -> SignReport {
    SignReport {
        artifact: "hello.wasm".into(),
        signature_path: "hello.wasm.sig".into(),
        signature: "c2ln".into(),
    }
}

/// `verify hello.wasm` of an unsigned component importing nothing.
pub fn verify() -> VerifyReport {
    VerifyReport {
        artifact: "hello.wasm".into(),
        sha256: "ab12".into(),
        size: 42,
        signature_path: None,
        signed_by: None,
        imports: Some(Vec::new()),
        exports: Some(vec!["run".into()]),
        fits: None,
    }
}

/// `publish hello.wasm` (1.0.0, unsigned) into `index.json`.
pub fn publish(warnings: &[&str]) -> PublishReport {
    PublishReport {
        name: "hello".into(),
        version: "1.0.0".into(),
        sha256: "ab12".into(),
        size: 42,
        artifact: "hello-1.0.0.wasm".into(),
        copied_to: None,
        signed: false,
        registry: "index.json".into(),
        replaced: false,
        index_version: 2,
        index_signed: false,
        index_expires: None,
        version_from: None,
        warnings: warnings.iter().map(|w| w.to_string()).collect(),
    }
}

/// `publish --yank hello@1.0.0` of `index.json`.
pub fn yank(unchanged: bool) -> YankReport {
    YankReport {
        name: "hello".into(),
        version: "1.0.0".into(),
        yanked: true,
        unchanged,
        registry: "index.json".into(),
        index_version: 4,
        index_signed: true,
    }
}

/// A newer version passed over: it does not fit the world.
pub fn unfit(version: &str, reason: &str) -> wasm_plugin::UnfitVersion {
    wasm_plugin::UnfitVersion {
        version: version.into(),
        reason: reason.into(),
    }
}
