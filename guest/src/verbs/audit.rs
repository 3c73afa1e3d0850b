//! `audit`: does what is installed still match what was installed?
//!
//! Read-only by design (the host grants the plugins directory read-only):
//! every plugin is re-hashed against its receipt, every `.sig` is checked
//! against the trust root (or for form without one), every `.sigstore.json`
//! against the trust root's Sigstore policy (its presence, when the receipt
//! records a Sigstore signer), every `.minisig` against the trust root's
//! minisign keys (its presence, when the receipt records a `minisign:`
//! signer), and anything that does
//! not belong is reported: a `.wasm` or `.sig` without receipt, a receipt
//! without `.wasm`, temp files left by an interrupted install.

use crate::error::{Error, Result};
use crate::plugin_set::{lock, manifest};
use crate::plugins_dir::installed::{self, BundleState, MinisigState, SigState};
use crate::plugins_dir::receipt::{self, Found, Receipt};
use crate::plugins_dir::{PluginsDir, roots};
use crate::registry::name::PluginName;
use crate::registry::{RegistryRef, sparse};
use crate::sandbox;
use crate::trust::TrustRoot;
use crate::trust::capabilities::{ImportPolicy, Unreadable};
use crate::wit::{AuditReport, AuditedPlugin, Finding, FindingKind};
use std::collections::BTreeSet;
use std::path::Path;

/// Audits `dest`; with `manifest`, also against the plugin set it declares
/// and its lock pins.
pub fn audit(
    dest: &Path,
    trust_root: Option<&Path>,
    manifest: Option<&Path>,
) -> Result<AuditReport> {
    sandbox::check_granted(dest)?;
    let trust = trust_root.map(TrustRoot::load).transpose()?;
    let layout = PluginsDir::new(dest);
    let (mut names, stray) = survey(&layout)?;
    let receipts = receipt::all(dest)?;
    names.extend(receipts.iter().map(|(n, _)| n.clone()));

    let mut plugins = Vec::new();
    for name in names {
        let found = receipts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| f.clone())
            .unwrap_or(Found::Missing);
        // One plugin's file that cannot be read (a link out of the
        // directory, a pipe) is that plugin's finding, not the end of the
        // audit: the others are still checked and reported.
        let version = match &found {
            Found::Valid(r) => Some(r.version.clone()),
            _ => None,
        };
        let audited = match audit_one(dest, &name, found, trust.as_ref()) {
            Ok(audited) => audited,
            Err(Error::NotRegularFile { path, found }) => AuditedPlugin {
                name: name.clone(),
                version,
                sha256: None,
                signed_by: None,
                findings: vec![Finding {
                    kind: FindingKind::NotRegularFile,
                    path,
                    detail: format!(
                        "{found} where a regular file belongs; a loader would follow or block \
                         on it. `wasm-plugin uninstall {name}` removes it (a link itself, never \
                         its target), and `wasm-plugin install` replaces it"
                    ),
                }],
            },
            Err(e) => return Err(e),
        };
        plugins.push(audited);
    }
    if let Some(manifest) = manifest {
        against_set(dest, manifest, &receipts, &mut plugins)?;
    }
    Ok(AuditReport {
        dest: dest.display().to_string(),
        plugins,
        stray,
    })
}

/// Installed plugins that break the capability `policy`, judged by their
/// bytes (what a receipt records is not bound to them).
pub fn against_policy(report: &mut AuditReport, policy: &ImportPolicy) -> Result<()> {
    if policy.is_empty() {
        return Ok(());
    }
    let dest = Path::new(&report.dest).to_path_buf();
    for plugin in report.plugins.iter_mut() {
        let Ok(name) = PluginName::parse(&plugin.name) else {
            continue;
        };
        let wasm = PluginsDir::new(&dest).wasm(name.as_str());
        if !sandbox::exists(&wasm)? {
            continue;
        }
        let denied = policy.offences(installed_imports(&wasm)?.as_deref());
        if !denied.is_empty() {
            plugin.findings.push(Finding {
                kind: FindingKind::CapabilityDenied,
                path: wasm.display().to_string(),
                detail: format!("it imports what the policy forbids: {}", denied.join("; ")),
            });
        }
    }
    Ok(())
}

/// What the installed `wasm` imports, read from its bytes, or why that
/// cannot be.
fn installed_imports(wasm: &Path) -> Result<std::result::Result<Vec<String>, Unreadable>> {
    let mut source = crate::transfer::source::Source::open_owned(wasm)?;
    let measured = crate::transfer::stream::pump(&mut source, None, None)?;
    Ok(measured.capabilities.map(|c| c.imports))
}

/// Installed versions that `registry` marks yanked. An OCI registry has no
/// yanking (a withdrawn tag is deleted), so it finds nothing. A sparse
/// registry's file is read for each installed plugin (one it has no file
/// of offers nothing to find).
pub fn against_registry(
    report: &mut AuditReport,
    registry: &str,
    fetcher: &dyn crate::transfer::source::Fetcher,
    policy: crate::registry::Policy<'_>,
) -> Result<()> {
    if crate::registry::oci::is_oci(registry) {
        return Ok(());
    }
    let registry = RegistryRef::parse(registry);
    let dest = Path::new(&report.dest).to_path_buf();
    let indexes = match sparse::is_sparse(&registry) {
        true => plugin_files(&dest, report, &registry, fetcher, policy)?,
        false => {
            let loaded = crate::registry::load(&registry, fetcher, policy)?;
            // An index older than one this directory has seen (a replay
            // from before a yank) would hide the yank: refused, as install
            // refuses it.
            crate::plugins_dir::seen::check_not_rolled_back(&dest, &loaded)?;
            vec![loaded.index]
        }
    };
    for plugin in report.plugins.iter_mut() {
        let Some(version) = &plugin.version else {
            continue;
        };
        let Some(index) = indexes.iter().find(|index| {
            index
                .plugins
                .iter()
                .any(|e| e.name.as_str() == plugin.name && &e.version == version && e.yanked)
        }) else {
            continue;
        };
        plugin.findings.push(Finding {
            kind: FindingKind::Yanked,
            path: PluginsDir::new(&dest)
                .wasm(&plugin.name)
                .display()
                .to_string(),
            detail: format!(
                "{name} {version} is yanked in {}: its publisher withdrew it; `wasm-plugin \
                 outdated` shows what is not, `wasm-plugin upgrade {name}` moves to a newer \
                 one and `wasm-plugin install {name}@=VERSION --allow-downgrade` to an older",
                index.path,
                name = plugin.name,
            ),
        });
    }
    Ok(())
}

/// The files of a sparse registry for the audited plugins, each judged as
/// `install` judges it (its freshness, and against the versions this
/// directory recorded: a replayed file from before a yank would hide it).
/// A plugin the registry has no file of (or whose name no file can have)
/// is left out.
fn plugin_files(
    dest: &Path,
    report: &AuditReport,
    registry: &RegistryRef,
    fetcher: &dyn crate::transfer::source::Fetcher,
    policy: crate::registry::Policy<'_>,
) -> Result<Vec<crate::registry::index::Index>> {
    let names: Vec<PluginName> = report
        .plugins
        .iter()
        .filter(|p| p.version.is_some())
        .filter_map(|p| PluginName::parse(&p.name).ok())
        .filter(|name| sparse::plugin_path(name).is_ok())
        .collect();
    let mut indexes = Vec::new();
    for loaded in sparse::load_plugins(registry, &names, fetcher, policy) {
        match loaded {
            Ok(loaded) => {
                crate::plugins_dir::seen::check_not_rolled_back(dest, &loaded)?;
                indexes.push(loaded.index);
            }
            Err(Error::UnknownPlugin { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(indexes)
}

/// What `sync` would change: a declared plugin that is not installed, an
/// installed one at another version or digest than the lock pins, and one
/// installed by wasm-plugin that the manifest no longer declares. Judged
/// from the receipts: whether the bytes still match them is `audit_one`'s.
/// Only once the set is in use (its lock exists: `sync` or `lock` ran); a
/// manifest that only gives other verbs their defaults declares no set.
fn against_set(
    dest: &Path,
    manifest_path: &Path,
    receipts: &[(String, Found)],
    plugins: &mut Vec<AuditedPlugin>,
) -> Result<()> {
    let manifest = manifest::read(manifest_path)?;
    let lock_path = lock::path_for(manifest_path);
    if !sandbox::exists(&lock_path)? {
        return Ok(());
    }
    let pins = lock::read(&lock_path)?;
    let shown_manifest = manifest_path.display().to_string();
    let shown_lock = lock_path.display().to_string();
    let receipt_of = |name: &str| {
        receipts.iter().find_map(|(n, f)| match f {
            Found::Valid(r) if n == name => Some(r),
            _ => None,
        })
    };
    for declared in &manifest.plugins {
        let name = declared.name.as_str();
        let pin = pins.get(name);
        let finding = match (receipt_of(name), pin) {
            (None, _) if plugins.iter().any(|p| p.name == name) => continue,
            (None, _) => Finding {
                kind: FindingKind::DeclaredMissing,
                path: PluginsDir::new(dest).wasm(name).display().to_string(),
                detail: format!("declared in {shown_manifest}; `wasm-plugin sync` installs it"),
            },
            (Some(_), None) => Finding {
                kind: FindingKind::LockMismatch,
                path: shown_lock.clone(),
                detail: format!(
                    "the lock pins no version of {name}; `wasm-plugin lock` pins one, then \
                     `wasm-plugin sync` installs it"
                ),
            },
            (Some(r), Some(pin)) if r.version != pin.version || r.sha256 != pin.sha256 => Finding {
                kind: FindingKind::LockMismatch,
                path: PluginsDir::new(dest).wasm(name).display().to_string(),
                detail: format!(
                    "installed {} (sha256 {}), the lock pins {} (sha256 {}); `wasm-plugin sync` \
                     installs the pinned one",
                    r.version, r.sha256, pin.version, pin.sha256
                ),
            },
            (Some(_), Some(_)) => continue,
        };
        match plugins.iter_mut().find(|p| p.name == name) {
            Some(plugin) => plugin.findings.push(finding),
            None => plugins.push(AuditedPlugin {
                name: name.to_string(),
                version: None,
                sha256: None,
                signed_by: None,
                findings: vec![finding],
            }),
        }
    }
    for plugin in plugins.iter_mut() {
        let declared = manifest.plugins.iter().any(|d| d.name == plugin.name);
        if !declared && receipt_of(&plugin.name).is_some() {
            plugin.findings.push(Finding {
                kind: FindingKind::NotDeclared,
                path: PluginsDir::new(dest)
                    .wasm(&plugin.name)
                    .display()
                    .to_string(),
                detail: format!(
                    "installed but not declared in {shown_manifest}; `wasm-plugin sync` removes it"
                ),
            });
        }
    }
    plugins.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(())
}

/// Which plugins the directory speaks of (by their `.wasm` and `.sig`
/// files), and the temp files lying in any folder one may be staged in.
fn survey(layout: &PluginsDir) -> Result<(BTreeSet<String>, Vec<Finding>)> {
    let root = layout.root();
    let mut names = BTreeSet::new();
    let mut stray = Vec::new();
    let entries = std::fs::read_dir(root).map_err(|e| Error::io(root, "list", &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(root, "list", &e))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if is_temp(&file) {
            stray.push(temp_finding(&entry.path()));
        } else if let Some(name) = PluginsDir::plugin_of(&file) {
            names.insert(name.to_string());
        }
    }
    for dir in &layout.staging_dirs()[1..] {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if is_temp(&entry.file_name().to_string_lossy()) {
                stray.push(temp_finding(&entry.path()));
            }
        }
    }
    stray.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((names, stray))
}

fn audit_one(
    dest: &Path,
    name: &str,
    found: Found,
    trust: Option<&TrustRoot>,
) -> Result<AuditedPlugin> {
    let layout = PluginsDir::new(dest);
    let mut findings = Findings::default();
    // Read: the receipt, and the bytes and sidecar on disk. A name that is
    // not a valid plugin name was not installed by us; it is still
    // reported, but never opened through a derived path.
    let receipt = match found {
        Found::Valid(r) => Some(r),
        Found::Missing => None,
        Found::Invalid(why) => {
            let detail = format!("unreadable receipt: {why}");
            findings.add(FindingKind::ReceiptInvalid, &layout.receipt(name), detail);
            None
        }
    };
    // With root.json, the keys in force now for the plugin's registry: a
    // key a rotation revoked no longer vouches for what it signed.
    let current = match (trust, &receipt) {
        (Some(root), Some(r)) if root.metadata.is_some() => Some(roots::recorded_trust(
            dest,
            &RegistryRef::parse(&r.registry).shown(),
            root,
        )?),
        _ => None,
    };
    let trust = current.as_ref().or(trust);
    let on_disk = match PluginName::parse(name) {
        Ok(valid) => installed::inspect(dest, &valid, trust)?,
        Err(_) => None,
    };
    // Judge: which files are there, whether the bytes are those the receipt
    // records, and whether the signature holds.
    let Some(disk) = on_disk else {
        missing_files(&layout, name, receipt.is_some(), &mut findings)?;
        return Ok(findings.into_plugin(name, receipt, None, None));
    };
    let wasm = layout.wasm(name);
    match &receipt {
        None => findings.add(
            FindingKind::WasmWithoutReceipt,
            &wasm,
            "not installed by wasm-plugin, or its receipt was removed".into(),
        ),
        Some(r) if r.sha256 != disk.sha256.to_hex() => findings.add(
            FindingKind::Drift,
            &wasm,
            format!(
                "sha256 is {}, the receipt records {}",
                disk.sha256, r.sha256
            ),
        ),
        Some(_) => {}
    }
    let recorded = receipt.as_ref().and_then(|r| r.signed_by.as_deref());
    // Key labels come first in a recorded signer (`alice, sigstore:… (…)
    // (publishers …)`); `minisign:<label>` among them: a `.minisig`
    // vouched; a plain label: a `.sig` did.
    // A cosign signature tag vouched for the manifest at install; nothing
    // of it lies beside the plugin, so its bytes are checked by the digest
    // the receipt records (above), and no sidecar is asked for.
    let cosign_tag = receipt
        .as_ref()
        .is_some_and(|r| r.cosign_signature.is_some());
    let recorded_sigstore = !cosign_tag && recorded.is_some_and(|s| s.contains("sigstore"));
    let signers: Vec<&str> = recorded
        .map(|s| s.split(" (").next().unwrap_or(s).split(", ").collect())
        .unwrap_or_default();
    let recorded_minisign = signers.iter().any(|s| s.starts_with("minisign:"));
    let recorded_raw = signers
        .iter()
        .any(|s| !s.starts_with("minisign:") && !s.starts_with("sigstore"));
    let bundle_signer = bundle_findings(
        &layout,
        name,
        trust,
        &disk.sha256,
        recorded_sigstore,
        &mut findings,
    )?;
    let minisig_signer = minisig_findings(&layout, name, trust, recorded_minisign, &mut findings)?;
    let signed_by = signature_findings(
        &disk.sig,
        &layout.sig(name),
        trust.is_some() && !cosign_tag && bundle_signer.is_none() && minisig_signer.is_none(),
        recorded_raw,
        &mut findings,
    );
    let signed_by = match (bundle_signer, signed_by, minisig_signer) {
        (Some(bundle), _, _) => Some(bundle),
        (None, Some(sig), Some(minisig)) => Some(format!("{sig}, {minisig}")),
        (None, sig, minisig) => sig.or(minisig),
    };
    Ok(findings.into_plugin(name, receipt, Some(disk.sha256.to_hex()), signed_by))
}

/// What the `<name>.sigstore.json` says: with a trust root that lets a
/// bundle vouch for the plugin (`TrustRoot::bundle_check`), it must verify
/// for the installed bytes; a receipt recording a Sigstore signer needs it
/// there. Who signed, when it verified.
fn bundle_findings(
    layout: &PluginsDir,
    name: &str,
    trust: Option<&TrustRoot>,
    sha256: &crate::trust::digest::Sha256Digest,
    recorded_sigstore: bool,
    findings: &mut Findings,
) -> Result<Option<String>> {
    let path = layout.bundle(name);
    let check = trust.and_then(|root| root.bundle_check(name));
    let state = match (PluginName::parse(name), check) {
        (Ok(valid), Some(check)) => installed::bundle_state(layout.root(), &valid, &check, sha256)?,
        _ if sandbox::exists(&path)? => return Ok(None),
        _ => BundleState::Absent,
    };
    match state {
        BundleState::Verified(signer) => return Ok(Some(signer.to_string())),
        BundleState::Refused(why) => findings.add(
            FindingKind::SignatureInvalid,
            &path,
            format!("the Sigstore bundle does not verify the installed bytes: {why}"),
        ),
        BundleState::Absent if recorded_sigstore => findings.add(
            FindingKind::SignatureMissing,
            &path,
            "the receipt says it was signed with Sigstore, but its bundle is missing".into(),
        ),
        BundleState::Absent => {}
    }
    Ok(None)
}

/// What the `<name>.minisig` says: with a trust root holding minisign keys,
/// it must verify for the installed bytes; a receipt recording a
/// `minisign:` signer needs it there. Who signed, when it verified.
fn minisig_findings(
    layout: &PluginsDir,
    name: &str,
    trust: Option<&TrustRoot>,
    recorded_minisign: bool,
    findings: &mut Findings,
) -> Result<Option<String>> {
    let path = layout.minisig(name);
    let root = trust.filter(|root| !root.minisign.is_empty());
    let state = match (PluginName::parse(name), root) {
        (Ok(valid), Some(root)) => installed::minisig_state(layout.root(), &valid, root)?,
        _ if sandbox::exists(&path)? => return Ok(None),
        _ => MinisigState::Absent,
    };
    match state {
        MinisigState::Verified(signer, _) => return Ok(Some(signer)),
        MinisigState::Refused(why) => findings.add(
            FindingKind::SignatureInvalid,
            &path,
            format!("the minisign signature does not verify the installed bytes: {why}"),
        ),
        MinisigState::Absent if recorded_minisign => findings.add(
            FindingKind::SignatureMissing,
            &path,
            "the receipt says it was signed with minisign, but its .minisig is missing".into(),
        ),
        MinisigState::Absent => {}
    }
    Ok(None)
}

/// The findings about one plugin, as they are made.
#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, kind: FindingKind, path: &Path, detail: String) {
        self.0.push(Finding {
            kind,
            path: path.display().to_string(),
            detail,
        });
    }

    fn into_plugin(
        self,
        name: &str,
        receipt: Option<Receipt>,
        sha256: Option<String>,
        signed_by: Option<String>,
    ) -> AuditedPlugin {
        AuditedPlugin {
            name: name.to_string(),
            version: receipt.map(|r| r.version),
            sha256,
            signed_by,
            findings: self.0,
        }
    }
}

/// With no `<name>.wasm` to read: what is there without it.
fn missing_files(
    layout: &PluginsDir,
    name: &str,
    has_receipt: bool,
    findings: &mut Findings,
) -> Result<()> {
    let (wasm, sig) = (layout.wasm(name), layout.sig(name));
    if sandbox::exists(&wasm)? {
        findings.add(
            FindingKind::WasmWithoutReceipt,
            &wasm,
            "not a valid plugin name".into(),
        );
    } else if has_receipt {
        let detail = format!("{name}.wasm is missing");
        findings.add(
            FindingKind::ReceiptWithoutWasm,
            &layout.receipt(name),
            detail,
        );
    } else if sandbox::exists(&sig)? {
        findings.add(
            FindingKind::SigWithoutWasm,
            &sig,
            format!("{name}.wasm is missing"),
        );
    }
    Ok(())
}

/// What the sidecar's state says; the label of the key that verified it.
fn signature_findings(
    state: &SigState,
    sig: &Path,
    trusted: bool,
    recorded_signed: bool,
    findings: &mut Findings,
) -> Option<String> {
    match state {
        SigState::Verified(label) => return Some(label.clone()),
        SigState::Present => {}
        SigState::Untrusted => findings.add(
            FindingKind::SignatureInvalid,
            sig,
            "does not verify against any key of the trust root".into(),
        ),
        SigState::Malformed(why) => findings.add(
            FindingKind::SignatureInvalid,
            sig,
            format!("malformed: {why}"),
        ),
        SigState::Absent if trusted => findings.add(
            FindingKind::SignatureMissing,
            sig,
            "a trust root was given but there is no signature".into(),
        ),
        SigState::Absent if recorded_signed => findings.add(
            FindingKind::SignatureMissing,
            sig,
            "the receipt says it was signed".into(),
        ),
        SigState::Absent => {}
    }
    None
}

/// `.<something>.tmp`: what `transfer::staged::Staged` names its temp files (and
/// any other hidden `.tmp` file, which `install` leaves for the user to judge).
fn is_temp(file: &str) -> bool {
    file.starts_with('.') && file.ends_with(".tmp")
}

fn temp_finding(path: &Path) -> Finding {
    Finding {
        kind: FindingKind::TempFile,
        path: path.display().to_string(),
        detail: "left by an interrupted install; safe to delete when no install is running".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins_dir::receipt::Receipt;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::{Signer, SigningKey};

    struct Fx {
        dir: tempfile::TempDir,
        key: SigningKey,
    }

    impl Fx {
        fn new() -> Fx {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
            std::fs::create_dir_all(dir.path().join("trust")).unwrap();
            let key = SigningKey::from_bytes(&[9; 32]);
            std::fs::write(
                dir.path().join("trust/ops.pub"),
                STANDARD.encode(key.verifying_key().to_bytes()),
            )
            .unwrap();
            Fx { dir, key }
        }

        fn dest(&self) -> std::path::PathBuf {
            self.dir.path().join("plugins")
        }

        /// Installs `name` as install would: wasm, sig, receipt.
        fn put(&self, name: &str, bytes: &[u8]) {
            std::fs::write(self.dest().join(format!("{name}.wasm")), bytes).unwrap();
            std::fs::write(
                self.dest().join(format!("{name}.sig")),
                STANDARD.encode(self.key.sign(bytes).to_bytes()),
            )
            .unwrap();
            let receipt = Receipt {
                name: name.into(),
                version: "1.0.0".into(),
                sha256: crate::trust::digest::Sha256Digest::of(bytes).to_hex(),
                size: bytes.len() as u64,
                signed_by: Some("ops".into()),
                registry: "/r/index.json".into(),
                artifact: "/r/a.wasm".into(),
                installed_at: crate::clock::now(),
                requirement: None,
                imports: None,
                exports: None,
                cosign_signature: None,
            };
            let n = PluginName::parse(name).unwrap();
            receipt::commit(
                &self.dest(),
                &n,
                receipt::stage(&self.dest(), &receipt).unwrap(),
            )
            .unwrap();
        }

        fn audit(&self) -> AuditReport {
            audit(&self.dest(), Some(&self.dir.path().join("trust")), None).unwrap()
        }
    }

    fn is_clean(report: &AuditReport) -> bool {
        report.stray.is_empty() && report.plugins.iter().all(|p| p.findings.is_empty())
    }

    fn kinds(report: &AuditReport) -> Vec<(String, FindingKind)> {
        let mut out: Vec<(String, FindingKind)> = report
            .plugins
            .iter()
            .flat_map(|p| p.findings.iter().map(move |f| (p.name.clone(), f.kind)))
            .collect();
        out.extend(report.stray.iter().map(|f| ("".to_string(), f.kind)));
        out
    }

    #[test]
    fn an_intact_installation_is_clean() {
        let fx = Fx::new();
        fx.put("a", b"plugin a");
        fx.put("b", b"plugin b");
        let report = fx.audit();
        assert!(is_clean(&report), "{report:?}");
        assert_eq!(report.plugins.len(), 2);
        assert_eq!(report.plugins[0].signed_by.as_deref(), Some("ops"));
        assert_eq!(report.plugins[0].version.as_deref(), Some("1.0.0"));
    }

    #[test]
    fn an_empty_directory_is_clean() {
        let fx = Fx::new();
        let report = fx.audit();
        assert!(is_clean(&report) && report.plugins.is_empty());
    }

    #[test]
    fn drift_is_found() {
        let fx = Fx::new();
        fx.put("a", b"plugin a");
        std::fs::write(fx.dest().join("a.wasm"), b"plugin a!").unwrap();
        let report = fx.audit();
        // The signature no longer matches the bytes either.
        assert_eq!(
            kinds(&report),
            [
                ("a".into(), FindingKind::Drift),
                ("a".into(), FindingKind::SignatureInvalid)
            ]
        );
    }

    #[test]
    fn a_foreign_signature_is_found() {
        let fx = Fx::new();
        fx.put("a", b"plugin a");
        let other = SigningKey::from_bytes(&[1; 32]);
        std::fs::write(
            fx.dest().join("a.sig"),
            STANDARD.encode(other.sign(b"plugin a").to_bytes()),
        )
        .unwrap();
        assert_eq!(
            kinds(&fx.audit()),
            [("a".into(), FindingKind::SignatureInvalid)]
        );
        std::fs::remove_file(fx.dest().join("a.sig")).unwrap();
        assert_eq!(
            kinds(&fx.audit()),
            [("a".into(), FindingKind::SignatureMissing)]
        );
    }

    #[test]
    fn orphans_and_temp_files_are_found() {
        let fx = Fx::new();
        fx.put("a", b"plugin a");
        fx.put("b", b"plugin b");
        std::fs::write(fx.dest().join("stray.wasm"), b"x").unwrap();
        std::fs::remove_file(fx.dest().join("b.wasm")).unwrap();
        std::fs::write(fx.dest().join("lone.sig"), b"x").unwrap();
        std::fs::write(fx.dest().join(".a.wasm.0123abcd.tmp"), b"partial").unwrap();
        std::fs::write(receipt::dir(&fx.dest()).join(".a.json.99.tmp"), b"{").unwrap();
        let found = kinds(&fx.audit());
        assert_eq!(
            found,
            [
                ("b".into(), FindingKind::ReceiptWithoutWasm),
                ("lone".into(), FindingKind::SigWithoutWasm),
                ("stray".into(), FindingKind::WasmWithoutReceipt),
                ("stray".into(), FindingKind::SignatureMissing),
                ("".into(), FindingKind::TempFile),
                ("".into(), FindingKind::TempFile),
            ]
        );
    }

    #[test]
    fn an_unreadable_receipt_is_found() {
        let fx = Fx::new();
        fx.put("a", b"plugin a");
        std::fs::write(receipt::dir(&fx.dest()).join("a.json"), b"garbage").unwrap();
        let found = kinds(&fx.audit());
        assert_eq!(
            found,
            [
                ("a".into(), FindingKind::ReceiptInvalid),
                ("a".into(), FindingKind::WasmWithoutReceipt)
            ]
        );
    }

    #[test]
    fn without_a_trust_root_signatures_are_checked_for_form() {
        let fx = Fx::new();
        fx.put("a", b"plugin a");
        std::fs::write(fx.dest().join("a.sig"), b"bm9wZQ==").unwrap();
        let report = audit(&fx.dest(), None, None).unwrap();
        assert_eq!(
            kinds(&report),
            [("a".into(), FindingKind::SignatureInvalid)]
        );
    }
}
