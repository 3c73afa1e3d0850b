//! Reports for the CLI's renderer tests, which live in the binary and so
//! cannot build them: the reports are `#[non_exhaustive]` (fields may be
//! added without a breaking change), so only this crate can. Not part of the
//! library's API; hidden from its documentation and free to change.

#![allow(missing_docs)]

use crate::{
    ForgetReport, InstallAction, InstallReport, KeygenReport, OutdatedPlugin, PublishReport,
    RegistryEntry, RegistryIndex, SignReport, UninstallReport, VerifyReport, YankReport,
};

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
        timestamp: None,
    }
}

/// A new generation of a sparse registry's freshness files, as `publish`
/// and `yank` report it.
pub fn timestamp_written() -> crate::TimestampWritten {
    crate::TimestampWritten {
        path: "reg/timestamp.json".into(),
        version: 7,
        expires: "2026-12-08T10:00:00Z".into(),
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
        timestamp: None,
    }
}

/// A newer version passed over: it does not fit the world.
pub fn unfit(version: &str, reason: &str) -> crate::UnfitVersion {
    crate::UnfitVersion {
        version: version.into(),
        reason: reason.into(),
    }
}

/// A finding of `kind` at `path`.
pub fn finding(kind: crate::FindingKind, path: &str, detail: &str) -> crate::Finding {
    crate::Finding {
        kind,
        path: path.into(),
        detail: detail.into(),
    }
}

/// An audited plugin, signed by `release`, with `findings`.
pub fn audited(
    name: &str,
    version: Option<&str>,
    findings: Vec<crate::Finding>,
) -> crate::AuditedPlugin {
    crate::AuditedPlugin {
        name: name.into(),
        version: version.map(str::to_string),
        sha256: Some("ab12".into()),
        signed_by: Some("release".into()),
        findings,
    }
}

/// An audit of `plugins`.
pub fn audit(plugins: Vec<crate::AuditedPlugin>, stray: Vec<crate::Finding>) -> crate::AuditReport {
    crate::AuditReport {
        dest: "plugins".into(),
        plugins,
        stray,
    }
}

/// A sync of `plugins` with `wasm-plugin.lock`; `dest` empty for `lock`.
pub fn sync(dest: &str, changes: Vec<crate::SyncChange>) -> crate::SyncReport {
    crate::SyncReport {
        dest: dest.into(),
        lock: "wasm-plugin.lock".into(),
        lock_changed: false,
        dry_run: false,
        changes,
    }
}

/// [`manifest`] declaring each `(plugin, registry)` (`None`: the
/// default registry's).
pub fn declaring(plugins: &[(&str, Option<&str>)]) -> crate::Manifest {
    let mut declared = manifest();
    declared.plugins = plugins
        .iter()
        .map(|(name, registry)| crate::DeclaredPlugin {
            name: name.to_string(),
            requirement: None,
            registry: registry.map(str::to_string),
        })
        .collect();
    declared
}

/// One plugin's change in a sync, without error.
pub fn change(
    name: &str,
    step: crate::SyncStep,
    from: Option<&str>,
    to: Option<&str>,
) -> crate::SyncChange {
    crate::SyncChange {
        name: name.into(),
        step,
        from: from.map(str::to_string),
        to: to.map(str::to_string),
        signed_by: None,
        error: None,
        skipped: Vec::new(),
    }
}

/// A plugin of a sync that failed, with `message` (exit code 2).
pub fn failed_change(name: &str, message: &str) -> crate::SyncChange {
    let mut change = change(name, crate::SyncStep::Install, None, None);
    change.error = Some(crate::ComponentError {
        message: message.into(),
        hint: None,
        detail: crate::ErrorDetail::AlreadyExists(name.into()),
    });
    change
}

/// The receipt of `name` `version`, unsigned, with no recorded imports.
pub fn receipt(name: &str, version: &str) -> crate::Receipt {
    crate::Receipt {
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
pub fn mirror(fetched: &[&str], kept: &[&str]) -> crate::MirrorReport {
    crate::MirrorReport {
        index: "mirror/index.json".into(),
        fetched: fetched.iter().map(|f| f.to_string()).collect(),
        kept: kept.iter().map(|k| k.to_string()).collect(),
        index_signed: false,
        index_verbatim: true,
        index_signed_with_key: false,
    }
}

/// `registry convert` of one plugin with two entries.
pub fn converted(signed: bool) -> crate::ConvertReport {
    crate::ConvertReport {
        config: "sparse/config.json".into(),
        files: vec![crate::ConvertedFile {
            name: "colmask".into(),
            path: "sparse/co/lm/colmask".into(),
            version: 3,
            entries: 2,
        }],
        signed,
    }
}

/// `new hello`.
pub fn scaffold() -> crate::ScaffoldReport {
    crate::ScaffoldReport {
        dir: "hello".into(),
        files: vec!["Cargo.toml".into(), "src/lib.rs".into()],
    }
}

/// A root.json of two keys, `alice` and `bob`, each role 1 of them.
pub fn trust_summary(complete: bool) -> crate::TrustSummary {
    let role = |labels: &[&str]| crate::RoleSpec {
        labels: labels.iter().map(|l| l.to_string()).collect(),
        threshold: 1,
    };
    crate::TrustSummary {
        path: "trust/root.json".into(),
        version: 1,
        expires: "2027-01-01T00:00:00Z".into(),
        keys: [("alice", "k1"), ("bob", "k2")]
            .map(|(label, value)| crate::LabelledKey {
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
pub fn signed_index(unchanged: bool) -> crate::TrustSignedIndex {
    crate::TrustSignedIndex {
        signature_path: "index.json.sig".into(),
        signatures: 2,
        unchanged,
        files: 1,
        added: u32::from(!unchanged),
    }
}

/// `trust sign --entry hello@1.0.0`.
pub fn cosign(unchanged: bool) -> crate::CosignReport {
    crate::CosignReport {
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
pub fn signed_root(label: Option<&str>, complete: bool) -> crate::TrustSignedRoot {
    crate::TrustSignedRoot {
        summary: trust_summary(complete),
        keyid: "k9".into(),
        label: label.map(str::to_string),
        replaced: false,
    }
}

/// A manifest with one registry, `main` at `index.json`, its default, and
/// `plugins` as dest.
pub fn manifest() -> crate::Manifest {
    crate::Manifest {
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

/// A verified Sigstore bundle's report.
pub fn bundle_verify(artifact: &str, sha256: &str, signed_by: &str) -> crate::BundleVerifyReport {
    crate::BundleVerifyReport {
        artifact: artifact.into(),
        sha256: sha256.into(),
        signed_by: signed_by.into(),
    }
}
