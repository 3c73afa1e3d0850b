//! What each operation returns: plain, serde-serializable structs.
//!
//! They mirror the WIT records of `wit/installer.wit` field for field (in
//! snake_case), so what a Rust runtime reads here is what a script reads
//! from `wasm-plugin --json` and what another runtime gets from the
//! component. Enum cases serialize in kebab-case, as WIT spells them.

use crate::engine::wit;
use serde::Serialize;

/// One plugin version as a registry index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryEntry {
    /// The plugin's name, valid as a file name (`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`).
    pub name: String,
    /// As published; `""` for an unversioned entry.
    pub version: String,
    /// One line saying what the plugin does.
    pub description: Option<String>,
    /// As written in the index: a relative or absolute path, a `file://`
    /// or an `http(s)://` URL.
    pub artifact: String,
    /// Lowercase hex SHA-256 of the artefact.
    pub sha256: String,
    /// Base64 Ed25519 signature over the artefact, if the entry has one.
    pub signature: Option<String>,
    /// The artefact's published length in bytes.
    pub size: Option<u64>,
    /// Withdrawn by its publisher: chosen only when asked for exactly.
    pub yanked: bool,
    /// The version `install NAME` takes (marked in a loaded index only).
    pub latest: bool,
    /// What the artefact imports and exports, as published (`publish`
    /// reads them from the file); `None` when the index does not say.
    pub imports: Option<Vec<String>>,
    /// What it exports, as published.
    pub exports: Option<Vec<String>>,
}

/// A registry index that was read and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryIndex {
    /// The index file or URL it was read from.
    pub path: String,
    /// As written; `""` when absent.
    pub schema_version: String,
    /// The index's own version, which grows with every publish.
    pub version: Option<u64>,
    /// RFC 3339; past it the index is refused unless allowed.
    pub expires: Option<String>,
    /// Label of the trust-root key that verified `index.json.sig`.
    pub signed_by: Option<String>,
    /// Every entry, in the index's order.
    pub plugins: Vec<RegistryEntry>,
}

/// What an install did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstallAction {
    /// Nothing of that name was installed.
    Installed,
    /// A lower version was replaced.
    Upgraded,
    /// A higher version was replaced (allowed by the request).
    Downgraded,
    /// The same version was replaced: the copy on disk no longer matched.
    Reinstalled,
    /// Already installed and intact: nothing was written.
    Unchanged,
}

/// One plugin installed (or found already installed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallReport {
    /// The plugin's name.
    pub name: String,
    /// The version now installed; `""` for an unversioned entry.
    pub version: String,
    /// Lowercase hex SHA-256 of the installed bytes.
    pub sha256: String,
    /// Their length in bytes.
    pub size: u64,
    /// Where the bytes came from (a resolved path or URL).
    pub source: String,
    /// The installed `<name>.wasm`.
    pub wasm_path: String,
    /// The `<name>.sig` sidecar, when the entry is signed.
    pub sig_path: Option<String>,
    /// Label of the trust-root key that verified the signature; `None`
    /// when no trust root was given.
    pub signed_by: Option<String>,
    /// What was done.
    pub action: InstallAction,
    /// The version installed before, if any.
    pub previous_version: Option<String>,
    /// Imports this version has that the one it replaced did not: a new
    /// capability an upgrade brings.
    pub new_imports: Vec<String>,
    /// What the installed bytes import: WIT names for a component
    /// (`wasi:sockets/tcp@0.2.3`), `module/field` for a core module; `None`
    /// when they are not WebAssembly (and for a dry run).
    pub imports: Option<Vec<String>>,
    /// What they export.
    pub exports: Option<Vec<String>>,
    /// Newer versions the request allowed that do not fit the world
    /// ([`InstallRequest::world`](crate::InstallRequest::world)), newest
    /// first.
    pub skipped: Vec<UnfitVersion>,
}

/// A version passed over because it does not fit the runtime's world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnfitVersion {
    /// The version passed over.
    pub version: String,
    /// The first mismatch (`it does not export `handle`, which world
    /// plugin (...) exports`).
    pub reason: String,
}

/// What a [`Installer::sync`](crate::Installer::sync) did (or, with
/// `dry_run`, would do).
#[derive(Debug, Serialize)]
pub struct SyncReport {
    /// The plugins directory.
    pub dest: String,
    /// The lock file.
    pub lock: String,
    /// Whether the lock was (with `dry_run`: would be) rewritten.
    pub lock_changed: bool,
    /// Whether this was only a plan.
    pub dry_run: bool,
    /// One per declared plugin, then one per removal.
    pub changes: Vec<SyncChange>,
}

/// One plugin's change in a sync.
#[derive(Debug, Serialize)]
pub struct SyncChange {
    /// The plugin.
    pub name: String,
    /// What was (or would be) done.
    pub step: SyncStep,
    /// The version installed before, if any.
    pub from: Option<String>,
    /// The version pinned (none for a removal).
    pub to: Option<String>,
    /// Label of the trust-root key that verified what was installed.
    pub signed_by: Option<String>,
    /// Why it failed, if it did (the others went on).
    #[serde(skip)]
    pub error: Option<crate::Error>,
    /// Newer versions passed over when pinning, as not fitting the world
    /// ([`SyncRequest::world`](crate::SyncRequest::world)), newest first.
    pub skipped: Vec<UnfitVersion>,
}

/// What a sync does to one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncStep {
    /// Not installed: installed.
    Install,
    /// A lower version installed: upgraded.
    Upgrade,
    /// A higher version installed: downgraded to the pin.
    Downgrade,
    /// The same version with other bytes, or a damaged copy: replaced.
    Reinstall,
    /// No longer declared: uninstalled.
    Remove,
    /// Already as pinned.
    Keep,
}

impl From<wit::SyncReport> for SyncReport {
    fn from(r: wit::SyncReport) -> Self {
        SyncReport {
            dest: r.dest,
            lock: r.lock,
            lock_changed: r.lock_changed,
            dry_run: r.dry_run,
            changes: r.changes.into_iter().map(SyncChange::from).collect(),
        }
    }
}

impl From<wit::SyncChange> for SyncChange {
    fn from(c: wit::SyncChange) -> Self {
        SyncChange {
            name: c.name,
            step: match c.step {
                wit::SyncStep::Install => SyncStep::Install,
                wit::SyncStep::Upgrade => SyncStep::Upgrade,
                wit::SyncStep::Downgrade => SyncStep::Downgrade,
                wit::SyncStep::Reinstall => SyncStep::Reinstall,
                wit::SyncStep::Remove => SyncStep::Remove,
                wit::SyncStep::Keep => SyncStep::Keep,
            },
            from: c.from,
            to: c.to,
            signed_by: c.signed_by,
            error: c.error.map(crate::Error::from),
            skipped: c
                .skipped
                .into_iter()
                .map(|u| UnfitVersion {
                    version: u.version,
                    reason: u.reason,
                })
                .collect(),
        }
    }
}

/// A plugin-set manifest (`wasm-plugin.toml`), checked; paths absolute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// The file it was read from.
    pub path: String,
    /// The plugins directory.
    pub dest: Option<String>,
    /// The trust root.
    pub trust_root: Option<String>,
    /// (name, location) in the order listed.
    pub registries: Vec<(String, String)>,
    /// `default`, or the only registry listed.
    pub default_registry: Option<String>,
    /// The plugins declared.
    pub plugins: Vec<DeclaredPlugin>,
    /// `[policy] allow_imports`: globs over the import names plugins may have.
    pub allow_imports: Vec<String>,
    /// `[policy] deny_imports`: globs over the import names they may not.
    pub deny_imports: Vec<String>,
    /// `world`: the runtime's world (an absolute path), which the plugins
    /// must fit.
    pub world: Option<String>,
    /// `world_name`: the world in that package, when it has several.
    pub world_name: Option<String>,
}

impl Manifest {
    /// The location of the registry a plugin without one comes from.
    pub fn default_registry_location(&self) -> Option<&str> {
        let name = self.default_registry.as_deref()?;
        self.registries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, location)| location.as_str())
    }
}

/// One plugin a manifest declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeclaredPlugin {
    /// Its name.
    pub name: String,
    /// A semver requirement; `None` for any version.
    pub requirement: Option<String>,
    /// The registry it comes from (a key of `registries`); `None` for the default.
    pub registry: Option<String>,
}

impl From<wit::Manifest> for Manifest {
    fn from(m: wit::Manifest) -> Self {
        Manifest {
            path: m.path,
            dest: m.dest,
            trust_root: m.trust_root,
            registries: m.registries,
            default_registry: m.default_registry,
            plugins: m
                .plugins
                .into_iter()
                .map(|p| DeclaredPlugin {
                    name: p.name,
                    requirement: p.requirement,
                    registry: p.registry,
                })
                .collect(),
            allow_imports: m.allow_imports,
            deny_imports: m.deny_imports,
            world: m.world,
            world_name: m.world_name,
        }
    }
}

/// What `<dest>/.wasm-plugin/receipts/<name>.json` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The plugin's name.
    pub name: String,
    /// The version installed.
    pub version: String,
    /// Lowercase hex SHA-256 of the installed bytes.
    pub sha256: String,
    /// Their length in bytes.
    pub size: u64,
    /// Label of the key that verified it at install time.
    pub signed_by: Option<String>,
    /// The registry index it came from.
    pub registry: String,
    /// Where its bytes came from.
    pub artifact: String,
    /// RFC 3339, UTC.
    pub installed_at: String,
    /// The requirement it was installed with (`~1.2`), which `upgrade`
    /// stays within; none for any version.
    pub requirement: Option<String>,
    /// What the installed bytes import: WIT names for a component
    /// (`wasi:sockets/tcp@0.2.3`), `module/field` for a core module; `None`
    /// when they are not WebAssembly (and for a dry run).
    pub imports: Option<Vec<String>>,
    /// What they export.
    pub exports: Option<Vec<String>>,
}

/// What [`Installer::forget_registry`](crate::Installer::forget_registry) did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForgetReport {
    /// The plugins directory.
    pub dest: String,
    /// The registry, as the rollback state names it.
    pub registry: String,
    /// The index version forgotten; none when nothing was recorded for it.
    pub forgotten: Option<u64>,
    /// The registries still recorded.
    pub recorded: Vec<String>,
}

impl From<wit::ForgetReport> for ForgetReport {
    fn from(r: wit::ForgetReport) -> Self {
        ForgetReport {
            dest: r.dest,
            registry: r.registry,
            forgotten: r.forgotten,
            recorded: r.recorded,
        }
    }
}

/// One installed plugin against its registry: what [`Installer::outdated`](crate::Installer::outdated) finds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutdatedPlugin {
    /// The plugin's name.
    pub name: String,
    /// The version installed.
    pub installed: String,
    /// The requirement recorded at install; none for any version.
    pub requirement: Option<String>,
    /// The highest version the requirement admits (what `upgrade` takes);
    /// none when the registry offers none.
    pub wanted: Option<String>,
    /// The highest version of all.
    pub latest: Option<String>,
    /// Whether the registry marks the installed version yanked.
    pub yanked: bool,
}

impl From<wit::OutdatedPlugin> for OutdatedPlugin {
    fn from(o: wit::OutdatedPlugin) -> Self {
        OutdatedPlugin {
            name: o.name,
            installed: o.installed,
            requirement: o.requirement,
            wanted: o.wanted,
            latest: o.latest,
            yanked: o.yanked,
        }
    }
}

/// One plugin removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UninstallReport {
    /// The plugin's name.
    pub name: String,
    /// The version its receipt recorded, if there was one.
    pub version: Option<String>,
    /// Files removed, in the order they were removed.
    pub removed: Vec<String>,
}

/// What kind of problem `audit` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// The bytes no longer match the digest the receipt records.
    Drift,
    /// The `.sig` does not verify against the trust root, or is malformed.
    SignatureInvalid,
    /// No `.sig`, though a trust root was given or the receipt says signed.
    SignatureMissing,
    /// A `.wasm` with no receipt.
    WasmWithoutReceipt,
    /// A receipt with no `.wasm`.
    ReceiptWithoutWasm,
    /// A receipt that cannot be read.
    ReceiptInvalid,
    /// A `.sig` with no `.wasm`.
    SigWithoutWasm,
    /// A temp file left by an interrupted install.
    TempFile,
    /// A link, pipe or directory where a plugin's file belongs.
    NotRegularFile,
    /// Declared in the manifest audited against, not installed.
    DeclaredMissing,
    /// Installed at another version or digest than the manifest's lock
    /// pins, or not pinned by it.
    LockMismatch,
    /// Installed by wasm-plugin, not declared in the manifest.
    NotDeclared,
    /// The installed version is yanked in the registry audited against.
    Yanked,
    /// The plugin imports what the capability policy audited against forbids.
    CapabilityDenied,
}

/// Something `audit` found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of problem.
    pub kind: FindingKind,
    /// The file concerned.
    pub path: String,
    /// The problem in words.
    pub detail: String,
}

/// One plugin as `audit` found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditedPlugin {
    /// The plugin's name.
    pub name: String,
    /// From the receipt, when there is one.
    pub version: Option<String>,
    /// Of the bytes on disk, when there are some.
    pub sha256: Option<String>,
    /// Label of the trust-root key that verified the `.sig`.
    pub signed_by: Option<String>,
    /// Empty when the plugin is intact.
    pub findings: Vec<Finding>,
}

/// Everything `audit` found in a plugins directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// The plugins directory.
    pub dest: String,
    /// Every plugin, by name.
    pub plugins: Vec<AuditedPlugin>,
    /// Findings not tied to one plugin (temp files).
    pub stray: Vec<Finding>,
}

impl AuditReport {
    /// Whether nothing at all was found.
    pub fn is_clean(&self) -> bool {
        self.stray.is_empty() && self.plugins.iter().all(|p| p.findings.is_empty())
    }
}

/// A file on disk checked by `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The file checked.
    pub artifact: String,
    /// Lowercase hex SHA-256 of its bytes.
    pub sha256: String,
    /// Their length in bytes.
    pub size: u64,
    /// The signature file that was read, if any.
    pub signature_path: Option<String>,
    /// Label of the trust-root key that verified the signature.
    pub signed_by: Option<String>,
    /// What the file imports, when it is WebAssembly.
    pub imports: Option<Vec<String>>,
    /// What it exports.
    pub exports: Option<Vec<String>>,
    /// The world it fits, when one was given ([`VerifyRequest::world`](crate::VerifyRequest::world)).
    pub fits: Option<String>,
}

/// A new plugin project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScaffoldReport {
    /// The new project directory.
    pub dir: String,
    /// Files written, relative to `dir`.
    pub files: Vec<String>,
}

/// A key pair written by `keygen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeygenReport {
    /// The private key, PKCS#8 PEM, owner-only.
    pub key_path: String,
    /// The public key in trust-root form (base64 of the raw 32 bytes).
    pub pub_path: String,
    /// That public key.
    pub public_key: String,
}

/// A signature written by `sign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignReport {
    /// The file signed.
    pub artifact: String,
    /// Where the signature was written.
    pub signature_path: String,
    /// The base64 signature.
    pub signature: String,
}

/// An entry added to an index by `publish`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishReport {
    /// The plugin's name.
    pub name: String,
    /// The version published.
    pub version: String,
    /// Lowercase hex SHA-256 of the artefact.
    pub sha256: String,
    /// Its length in bytes.
    pub size: u64,
    /// The entry's `artifact` field as written.
    pub artifact: String,
    /// Where the artefact was copied to, if it was.
    pub copied_to: Option<String>,
    /// Whether the entry carries a signature.
    pub signed: bool,
    /// The index written.
    pub registry: String,
    /// Whether an entry with the same name and version was replaced.
    pub replaced: bool,
    /// The index's `version` after this publish.
    pub index_version: u64,
    /// Whether `index.json.sig` was (re)written.
    pub index_signed: bool,
    /// The index's `expires` (RFC 3339) after this publish: `None` for an
    /// index that never expires, and for OCI.
    pub index_expires: Option<String>,
    /// The `Cargo.toml` the version was read from, when the file name
    /// carried none.
    pub version_from: Option<String>,
    /// What was published as asked but will not work as the publisher may
    /// expect: a version that is not semver, an artefact location `install`
    /// cannot fetch, an index already past its expiry.
    pub warnings: Vec<String>,
}

/// A registry copied by `mirror`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MirrorReport {
    /// The mirrored index.
    pub index: String,
    /// `name version` of each artefact fetched this run.
    pub fetched: Vec<String>,
    /// `name version` of each artefact already present and intact.
    pub kept: Vec<String>,
    /// Whether the mirrored index is signed.
    pub index_signed: bool,
    /// Whether the index was copied byte for byte (with its signature).
    pub index_verbatim: bool,
    /// Whether the index's signature was made with the request's key
    /// (rather than copied from the source).
    pub index_signed_with_key: bool,
}

impl From<wit::RegistryEntry> for RegistryEntry {
    fn from(e: wit::RegistryEntry) -> Self {
        RegistryEntry {
            name: e.name,
            version: e.version,
            description: e.description,
            artifact: e.artifact,
            sha256: e.sha256,
            signature: e.signature,
            size: e.size,
            yanked: e.yanked,
            latest: e.latest,
            imports: e.imports,
            exports: e.exports,
        }
    }
}

/// What [`Installer::yank`](crate::Installer::yank) did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YankReport {
    /// The plugin.
    pub name: String,
    /// The version.
    pub version: String,
    /// Whether it is now yanked.
    pub yanked: bool,
    /// Whether it already was as asked (nothing was written).
    pub unchanged: bool,
    /// The index.
    pub registry: String,
    /// The index's `version` now.
    pub index_version: u64,
    /// Whether `index.json.sig` was written.
    pub index_signed: bool,
}

impl From<wit::YankReport> for YankReport {
    fn from(r: wit::YankReport) -> Self {
        YankReport {
            name: r.name,
            version: r.version,
            yanked: r.yanked,
            unchanged: r.unchanged,
            registry: r.registry,
            index_version: r.index_version,
            index_signed: r.index_signed,
        }
    }
}

impl From<wit::RegistryIndex> for RegistryIndex {
    fn from(i: wit::RegistryIndex) -> Self {
        RegistryIndex {
            path: i.path,
            schema_version: i.schema_version,
            version: i.version,
            expires: i.expires,
            signed_by: i.signed_by,
            plugins: i.plugins.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<wit::InstallAction> for InstallAction {
    fn from(a: wit::InstallAction) -> Self {
        match a {
            wit::InstallAction::Installed => InstallAction::Installed,
            wit::InstallAction::Upgraded => InstallAction::Upgraded,
            wit::InstallAction::Downgraded => InstallAction::Downgraded,
            wit::InstallAction::Reinstalled => InstallAction::Reinstalled,
            wit::InstallAction::Unchanged => InstallAction::Unchanged,
        }
    }
}

impl From<wit::InstallReport> for InstallReport {
    fn from(r: wit::InstallReport) -> Self {
        InstallReport {
            name: r.name,
            version: r.version,
            sha256: r.sha256,
            size: r.size,
            source: r.source,
            wasm_path: r.wasm_path,
            sig_path: r.sig_path,
            signed_by: r.signed_by,
            action: r.action.into(),
            previous_version: r.previous_version,
            new_imports: r.new_imports,
            imports: r.imports,
            exports: r.exports,
            skipped: r
                .skipped
                .into_iter()
                .map(|u| UnfitVersion {
                    version: u.version,
                    reason: u.reason,
                })
                .collect(),
        }
    }
}

impl From<wit::Receipt> for Receipt {
    fn from(r: wit::Receipt) -> Self {
        Receipt {
            name: r.name,
            version: r.version,
            sha256: r.sha256,
            size: r.size,
            signed_by: r.signed_by,
            registry: r.registry,
            artifact: r.artifact,
            installed_at: r.installed_at,
            requirement: r.requirement,
            imports: r.imports,
            exports: r.exports,
        }
    }
}

impl From<wit::UninstallReport> for UninstallReport {
    fn from(r: wit::UninstallReport) -> Self {
        UninstallReport {
            name: r.name,
            version: r.version,
            removed: r.removed,
        }
    }
}

impl From<wit::FindingKind> for FindingKind {
    fn from(k: wit::FindingKind) -> Self {
        use wit::FindingKind as W;
        match k {
            W::Drift => FindingKind::Drift,
            W::SignatureInvalid => FindingKind::SignatureInvalid,
            W::SignatureMissing => FindingKind::SignatureMissing,
            W::WasmWithoutReceipt => FindingKind::WasmWithoutReceipt,
            W::ReceiptWithoutWasm => FindingKind::ReceiptWithoutWasm,
            W::ReceiptInvalid => FindingKind::ReceiptInvalid,
            W::SigWithoutWasm => FindingKind::SigWithoutWasm,
            W::TempFile => FindingKind::TempFile,
            W::NotRegularFile => FindingKind::NotRegularFile,
            W::DeclaredMissing => FindingKind::DeclaredMissing,
            W::LockMismatch => FindingKind::LockMismatch,
            W::NotDeclared => FindingKind::NotDeclared,
            W::Yanked => FindingKind::Yanked,
            W::CapabilityDenied => FindingKind::CapabilityDenied,
        }
    }
}

impl From<wit::Finding> for Finding {
    fn from(f: wit::Finding) -> Self {
        Finding {
            kind: f.kind.into(),
            path: f.path,
            detail: f.detail,
        }
    }
}

impl From<wit::AuditReport> for AuditReport {
    fn from(r: wit::AuditReport) -> Self {
        AuditReport {
            dest: r.dest,
            plugins: r
                .plugins
                .into_iter()
                .map(|p| AuditedPlugin {
                    name: p.name,
                    version: p.version,
                    sha256: p.sha256,
                    signed_by: p.signed_by,
                    findings: p.findings.into_iter().map(Into::into).collect(),
                })
                .collect(),
            stray: r.stray.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<wit::VerifyReport> for VerifyReport {
    fn from(r: wit::VerifyReport) -> Self {
        VerifyReport {
            artifact: r.artifact,
            sha256: r.sha256,
            size: r.size,
            signature_path: r.signature_path,
            signed_by: r.signed_by,
            imports: r.imports,
            exports: r.exports,
            fits: r.fits,
        }
    }
}

impl From<wit::ScaffoldReport> for ScaffoldReport {
    fn from(r: wit::ScaffoldReport) -> Self {
        ScaffoldReport {
            dir: r.dir,
            files: r.files,
        }
    }
}

impl From<wit::KeygenReport> for KeygenReport {
    fn from(r: wit::KeygenReport) -> Self {
        KeygenReport {
            key_path: r.key_path,
            pub_path: r.pub_path,
            public_key: r.public_key,
        }
    }
}

impl From<wit::SignReport> for SignReport {
    fn from(r: wit::SignReport) -> Self {
        SignReport {
            artifact: r.artifact,
            signature_path: r.signature_path,
            signature: r.signature,
        }
    }
}

impl From<wit::PublishReport> for PublishReport {
    fn from(r: wit::PublishReport) -> Self {
        PublishReport {
            name: r.name,
            version: r.version,
            sha256: r.sha256,
            size: r.size,
            artifact: r.artifact,
            copied_to: r.copied_to,
            signed: r.signed,
            registry: r.registry,
            replaced: r.replaced,
            index_version: r.index_version,
            index_signed: r.index_signed,
            index_expires: r.index_expires,
            version_from: r.version_from,
            warnings: r.warnings,
        }
    }
}

impl From<wit::MirrorReport> for MirrorReport {
    fn from(r: wit::MirrorReport) -> Self {
        MirrorReport {
            index: r.index,
            fetched: r.fetched,
            kept: r.kept,
            index_signed: r.index_signed,
            index_verbatim: r.index_verbatim,
            index_signed_with_key: r.index_signed_with_key,
        }
    }
}
