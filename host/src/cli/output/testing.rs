//! Report values for the renderers' tests, built in one place: when the
//! library's report types change shape (a field, a constructor), this file
//! is the one to adapt.

use super::{Printer, Verdict};
use std::io;
use wasm_plugin::{
    ForgetReport, InstallAction, InstallReport, KeygenReport, OutdatedPlugin, PublishReport,
    RegistryEntry, RegistryIndex, SignReport, UninstallReport, VerifyReport, YankReport,
};

/// A plugin's (or spec's) report that succeeded, as the library returns
/// several independent operations.
pub fn ok<R>(spec: &str, report: R) -> wasm_plugin::Outcome<R> {
    (spec.to_string(), Ok(report))
}

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
        bundle_path: None,
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
        sigstore_bundle: None,
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

/// A finding of `kind` at `path`.
pub fn finding(kind: wasm_plugin::FindingKind, path: &str, detail: &str) -> wasm_plugin::Finding {
    wasm_plugin::Finding {
        kind,
        path: path.into(),
        detail: detail.into(),
    }
}

/// An audited plugin, signed by `release`, with `findings`.
pub fn audited(
    name: &str,
    version: Option<&str>,
    findings: Vec<wasm_plugin::Finding>,
) -> wasm_plugin::AuditedPlugin {
    wasm_plugin::AuditedPlugin {
        name: name.into(),
        version: version.map(str::to_string),
        sha256: Some("ab12".into()),
        signed_by: Some("release".into()),
        findings,
    }
}

/// An audit of `plugins`.
pub fn audit(
    plugins: Vec<wasm_plugin::AuditedPlugin>,
    stray: Vec<wasm_plugin::Finding>,
) -> wasm_plugin::AuditReport {
    wasm_plugin::AuditReport {
        dest: "plugins".into(),
        plugins,
        stray,
    }
}

/// A sync of `plugins` with `wasm-plugin.lock`; `dest` empty for `lock`.
pub fn sync(dest: &str, changes: Vec<wasm_plugin::SyncChange>) -> wasm_plugin::SyncReport {
    wasm_plugin::SyncReport {
        dest: dest.into(),
        lock: "wasm-plugin.lock".into(),
        lock_changed: false,
        dry_run: false,
        changes,
    }
}

/// One plugin's change in a sync, without error.
pub fn change(
    name: &str,
    step: wasm_plugin::SyncStep,
    from: Option<&str>,
    to: Option<&str>,
) -> wasm_plugin::SyncChange {
    wasm_plugin::SyncChange {
        name: name.into(),
        step,
        from: from.map(str::to_string),
        to: to.map(str::to_string),
        signed_by: None,
        error: None,
        skipped: Vec::new(),
    }
}

/// The receipt of `name` `version`, unsigned, with no recorded imports.
pub fn receipt(name: &str, version: &str) -> wasm_plugin::Receipt {
    wasm_plugin::Receipt {
        name: name.into(),
        version: version.into(),
        sha256: "ab12".into(),
        size: 42,
        signed_by: None,
        registry: "index.json".into(),
        artifact: format!("{name}-{version}.wasm"),
        installed_at: "2026-01-02T03:04:05Z".into(),
        requirement: None,
        imports: None,
        exports: None,
    }
}

/// A mirror into `mirror/index.json`.
pub fn mirror(fetched: &[&str], kept: &[&str]) -> wasm_plugin::MirrorReport {
    wasm_plugin::MirrorReport {
        index: "mirror/index.json".into(),
        fetched: fetched.iter().map(|f| f.to_string()).collect(),
        kept: kept.iter().map(|k| k.to_string()).collect(),
        index_signed: false,
        index_verbatim: true,
        index_signed_with_key: false,
    }
}

/// `new hello`.
pub fn scaffold() -> wasm_plugin::ScaffoldReport {
    wasm_plugin::ScaffoldReport {
        dir: "hello".into(),
        files: vec!["Cargo.toml".into(), "src/lib.rs".into()],
    }
}

/// A root.json of two keys, `alice` and `bob`, each role 1 of them.
pub fn trust_summary(complete: bool) -> wasm_plugin::TrustSummary {
    let role = |labels: &[&str]| wasm_plugin::RoleSpec {
        labels: labels.iter().map(|l| l.to_string()).collect(),
        threshold: 1,
    };
    wasm_plugin::TrustSummary {
        path: "trust/root.json".into(),
        version: 1,
        expires: "2027-01-01T00:00:00Z".into(),
        keys: [("alice", "k1"), ("bob", "k2")]
            .map(|(label, value)| wasm_plugin::LabelledKey {
                label: label.into(),
                value: value.into(),
            })
            .into(),
        root: role(&["alice"]),
        index: role(&["bob"]),
        publishers: Vec::new(),
        signed_by: if complete {
            vec!["alice".into()]
        } else {
            Vec::new()
        },
        complete,
    }
}

/// `trust sign --registry index.json`.
pub fn signed_index(unchanged: bool) -> wasm_plugin::TrustSignedIndex {
    wasm_plugin::TrustSignedIndex {
        signature_path: "index.json.sig".into(),
        signatures: 2,
        unchanged,
    }
}

/// `trust sign --entry hello@1.0.0`.
pub fn cosign(unchanged: bool) -> wasm_plugin::CosignReport {
    wasm_plugin::CosignReport {
        name: "hello".into(),
        version: "1.0.0".into(),
        keyid: "k2".into(),
        signatures: 2,
        unchanged,
        registry: "index.json".into(),
        index_version: 5,
        index_signed: false,
    }
}

/// `trust sign trust/root.json` with `label`'s key (`None`: a key the root
/// does not list, as in a rotation).
pub fn signed_root(label: Option<&str>, complete: bool) -> wasm_plugin::TrustSignedRoot {
    wasm_plugin::TrustSignedRoot {
        summary: trust_summary(complete),
        keyid: "k9".into(),
        label: label.map(str::to_string),
        replaced: false,
    }
}

/// A manifest with one registry, `main` at `index.json`, its default, and
/// `plugins` as dest.
pub fn manifest() -> wasm_plugin::Manifest {
    wasm_plugin::Manifest {
        path: "wasm-plugin.toml".into(),
        dest: Some("plugins".into()),
        trust_root: None,
        registries: vec![("main".into(), "index.json".into())],
        default_registry: Some("main".into()),
        plugins: Vec::new(),
        allow_imports: Vec::new(),
        deny_imports: Vec::new(),
        world: None,
        world_name: None,
    }
}
