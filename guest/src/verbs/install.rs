//! `install`: resolve an entry, fetch it, check it, place it, record it.
//!
//! Everything that can be refused without fetching the artefact (name,
//! index and its signature, expiry and rollback, version, downgrade, trust
//! root, signature format, location, announced size) is refused first, so a
//! bad request costs little and touches nothing. The bytes then stream once
//! through the digest and signature check into a temp file that is renamed
//! into place only if both pass; the receipt is staged before and committed
//! after. A transient fetch failure starts the whole stream over (at most
//! three tries). Installing what is already installed and intact writes
//! nothing.

use crate::error::{Error, Result, Unfit};
use crate::plugins_dir::installed::{self, SigState};
use crate::plugins_dir::place;
use crate::plugins_dir::receipt::{self, Found, Receipt};
use crate::plugins_dir::{PluginsDir, roots, seen};
use crate::registry::index::Entry;
use crate::registry::name::PluginName;
use crate::registry::oci::{self, OciRegistry};
use crate::registry::resolve::{self, Selector};
use crate::registry::spec::{PluginSpec, Requirement};
use crate::registry::{self, Loaded, Policy, RegistryRef};
use crate::sandbox;
use crate::transfer::location::{self, Location};
use crate::transfer::source::{self, Fetcher, Source};
use crate::transfer::staged::{self, Staged};
use crate::transfer::stream;
use crate::trust::capabilities::{Capabilities, ImportPolicy, Unreadable};
use crate::trust::digest::Sha256Digest;
use crate::trust::world::{Reducer, TargetWorld};
use crate::trust::{self, TrustRoot};
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// The largest artefact accepted unless the caller says otherwise.
pub const DEFAULT_MAX_SIZE: u64 = 512 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Install what the spec selects; refuse a downgrade unless allowed.
    Install,
    /// Move an installed plugin up to the highest version; never down.
    Upgrade,
}

#[derive(Debug, Clone)]
pub struct InstallRequest {
    /// An absolute path or an `http(s)://` URL.
    pub registry: String,
    /// `name` or `name@REQ`.
    pub spec: String,
    /// Exact version; overrides a requirement in `spec`.
    pub version: Option<String>,
    pub dest: PathBuf,
    pub trust_root: Option<PathBuf>,
    pub mode: Mode,
    pub allow_downgrade: bool,
    /// Accept an index past its `expires`.
    pub allow_expired: bool,
    /// The largest artefact accepted, in bytes.
    pub max_size: u64,
    /// The index as an earlier call of the same run read it (`read_index`),
    /// to be checked again instead of fetched again.
    pub preloaded: Option<IndexBytes>,
    /// The digest a lock pins for the chosen version (`sync`): an index
    /// that names other bytes for it is refused before anything is fetched.
    pub pinned: Option<Sha256Digest>,
    /// One job of a planned run (`sync`) whose plan did the directory's
    /// shared work: removed interrupted runs' temp files and recorded the
    /// index's version as seen. Such an install touches only its own
    /// plugin's files, so several may run side by side.
    pub planned: bool,
    /// Decide only: report what would be done, fetch and write nothing.
    pub dry_run: bool,
    /// Which imports the plugin may have.
    pub imports: ImportPolicy,
    /// The world the plugin must fit (`--world`): versions that do not are
    /// passed over, or refused when named exactly.
    pub world: Option<WorldRef>,
}

/// Where a runtime's world is: a `.wit` file or a WIT package directory,
/// and the world's name when the package has several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldRef {
    pub path: PathBuf,
    /// The file's text as the host read it (`path` then only names it).
    pub text: Option<String>,
    pub name: Option<String>,
}

impl WorldRef {
    /// The world it names, parsed.
    pub fn load(&self) -> Result<TargetWorld> {
        match &self.text {
            Some(text) => TargetWorld::parse(&self.path, text, self.name.as_deref()),
            None => TargetWorld::load(&self.path, self.name.as_deref()),
        }
    }
}

/// An index's exact bytes and its detached signature, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexBytes {
    pub bytes: Vec<u8>,
    pub signature: Option<String>,
}

/// Reads and checks the index once, for the calls of a run that follow
/// (each passes it back as `InstallRequest::preloaded`).
pub fn read_index(
    registry: &RegistryRef,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<IndexBytes> {
    let loaded = registry::load(registry, fetcher, policy)?;
    Ok(IndexBytes {
        bytes: loaded.bytes,
        signature: loaded.signature,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Installed,
    Upgraded,
    Downgraded,
    Reinstalled,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallReport {
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub size: u64,
    pub source: String,
    pub wasm_path: String,
    pub sig_path: Option<String>,
    pub signed_by: Option<String>,
    pub action: Action,
    pub previous_version: Option<String>,
    /// What the installed bytes import and export (none when they are not
    /// WebAssembly, or for a dry run).
    pub imports: Option<Vec<String>>,
    pub exports: Option<Vec<String>>,
    /// Imports the version replaced did not have (by its receipt).
    pub new_imports: Vec<String>,
    /// Newer versions matching the request that do not fit the world.
    pub skipped: Vec<Unfit>,
}

/// The entry `install` would take for `spec`, without fetching the
/// artefact. The name is checked before the index is even read.
pub fn find_entry(
    registry: &RegistryRef,
    spec: &str,
    version: Option<&str>,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<(Loaded, Entry)> {
    let spec = PluginSpec::parse(spec)?;
    let loaded = registry::load(registry, fetcher, policy)?;
    let selector = Selector::from_parts(version, spec.requirement.as_ref());
    let entry = resolve::select(&loaded.index, spec.name.as_str(), selector)?.clone();
    Ok((loaded, entry))
}

/// `find_entry` for an `oci://` registry: the tag chosen among the
/// repository's semver tags, completed from its manifest.
pub fn find_oci_entry(
    registry: &str,
    spec: &str,
    version: Option<&str>,
    fetcher: &dyn Fetcher,
) -> Result<Entry> {
    let spec = PluginSpec::parse(spec)?;
    let loaded = oci_loaded(registry, &spec.name, fetcher)?;
    let selector = Selector::from_parts(version, spec.requirement.as_ref());
    let mut entry = resolve::select(&loaded.index, spec.name.as_str(), selector)?.clone();
    let artifact = oci::resolve(fetcher, &entry.artifact, None)?;
    entry.sha256 = artifact.layer;
    entry.size = Some(artifact.size);
    entry.signature = artifact.signature;
    entry.description = artifact.description;
    entry.artifact = artifact.reference;
    Ok(entry)
}

/// Installs the one plugin `request.spec` names. What the spec says on its
/// own comes first (a hostile name, a malformed requirement, an upgrade of
/// something not installed): none of it needs the registry. Then the index,
/// fetched, or `preloaded` by an earlier call of the same run and checked
/// again; then resolve, decide, fetch and check, commit (`install_one`).
pub fn install(request: &InstallRequest, fetcher: &dyn Fetcher) -> Result<InstallReport> {
    let dest = &request.dest;
    sandbox::check_granted(dest)?;
    // The host holds the destination's lock: temp files of our naming are
    // an interrupted run's, and nobody else's to finish (unless this is one
    // of a plan's jobs, whose siblings may be staging beside it).
    if !request.planned && !request.dry_run {
        remove_leftovers(dest)?;
    }
    let spec = check_spec(request, &request.spec)?;
    let world = request.world.as_ref().map(WorldRef::load).transpose()?;
    let world = world.as_ref();
    let trust = request
        .trust_root
        .as_deref()
        .map(TrustRoot::load)
        .transpose()?;
    // With root.json, the keys the registry rotated to since (OCI
    // registries serve no N.root.json).
    let trust = match trust {
        Some(root) if root.metadata.is_some() && !oci::is_oci(&request.registry) => {
            Some(roots::rotated_trust(
                dest,
                &RegistryRef::parse(&request.registry),
                &root,
                fetcher,
                request.allow_expired,
                !request.planned && !request.dry_run,
            )?)
        }
        other => other,
    };
    let policy = Policy {
        trust: trust.as_ref(),
        allow_expired: request.allow_expired,
    };
    if oci::is_oci(&request.registry) {
        let loaded = oci_loaded(&request.registry, &spec.name, fetcher)?;
        let registry_ref = loaded.registry.clone();
        let context = Context {
            request,
            registry: &registry_ref,
            loaded: &loaded,
            trust: trust.as_ref(),
            world,
            fetcher,
        };
        return install_one(&context, &spec);
    }
    let registry_ref = RegistryRef::parse(&request.registry);
    let loaded = match &request.preloaded {
        Some(index) => registry::admit(
            &registry_ref,
            index.bytes.clone(),
            index.signature.clone(),
            policy,
        )?,
        None => registry::load(&registry_ref, fetcher, policy)?,
    };
    seen::check_not_rolled_back(dest, &loaded)?;
    let context = Context {
        request,
        registry: &registry_ref,
        loaded: &loaded,
        trust: trust.as_ref(),
        world,
        fetcher,
    };
    install_one(&context, &spec)
}

/// What the phases of one install share.
struct Context<'a> {
    request: &'a InstallRequest,
    registry: &'a RegistryRef,
    loaded: &'a Loaded,
    trust: Option<&'a TrustRoot>,
    world: Option<&'a TargetWorld>,
    fetcher: &'a dyn Fetcher,
}

/// A spec as far as it can be judged without the index.
fn check_spec(request: &InstallRequest, spec: &str) -> Result<PluginSpec> {
    let spec = PluginSpec::parse(spec)?;
    // `Foo` beside `foo` would be one file where case folds.
    installed::refuse_case_collision(&request.dest, &spec.name)?;
    if request.mode == Mode::Upgrade {
        // "Not installed" is the first thing to say about an upgrade of
        // something that is not there, whatever the registry offers.
        let dest = &request.dest;
        let name = &spec.name;
        let receipt_exists = !matches!(receipt::read(dest, name)?, Found::Missing);
        if !receipt_exists && !sandbox::exists(&PluginsDir::new(dest).wasm(name.as_str()))? {
            return Err(installed::not_installed(dest, name)?);
        }
    }
    Ok(spec)
}

/// Installs the version `spec` selects that fits the world: a version that
/// does not (by its published exports, or else by its bytes) is passed over
/// for the next one down, unless it was named exactly.
fn install_one(context: &Context<'_>, spec: &PluginSpec) -> Result<InstallReport> {
    let mut skipped = Vec::new();
    loop {
        match install_candidate(context, spec, &skipped)? {
            Candidate::Done(mut report) => {
                report.skipped = skipped;
                return Ok(*report);
            }
            Candidate::Unfit(unfit) => skipped.push(unfit),
        }
    }
}

/// What became of the version a pass of `install_one` tried.
enum Candidate {
    Done(Box<InstallReport>),
    /// Passed over: it does not fit the world.
    Unfit(Unfit),
}

fn install_candidate(
    context: &Context<'_>,
    spec: &PluginSpec,
    skipped: &[Unfit],
) -> Result<Candidate> {
    let request = context.request;
    let dest = &request.dest;
    // What is installed now.
    let previous = match receipt::read(dest, &spec.name)? {
        Found::Valid(receipt) => Some(receipt),
        // A receipt that cannot be read records nothing to compare with;
        // the install replaces it (and `audit` reports it until then).
        Found::Missing | Found::Invalid(_) => None,
    };
    // The requirement that stands: the one given; for an upgrade without
    // one, the one recorded at install (so `upgrade --all` keeps a `~1.2`
    // install within 1.2). An exact `--version` is a one-off and records
    // none.
    let given = spec.requirement.as_ref().map(|r| r.given.clone());
    let requirement = match request.mode {
        _ if request.version.is_some() => None,
        Mode::Install => given.clone(),
        Mode::Upgrade => given
            .clone()
            .or_else(|| previous.as_ref().and_then(|p| p.requirement.clone())),
    };
    // A given one was checked with the spec; a recorded one that does not
    // parse (edited by hand, written by a newer wasm-plugin) is not read as
    // "any version", which would move the plugin across majors.
    let parsed = match requirement.as_deref() {
        None => None,
        Some(text) => Some(Requirement::parse(text).map_err(|e| Error::InvalidRequest {
            value: receipt::path(dest, &spec.name).display().to_string(),
            reason: format!(
                "its requirement {text:?} does not parse ({e}); `wasm-plugin upgrade \
                     {name}@REQ` records another",
                name = spec.name
            ),
        })?),
    };

    // Resolve: the entry, and its signature as far as it can be judged
    // without the bytes. A plugin whose recorded requirement no longer
    // matches anything (every match withdrawn) stays as it is, as cargo
    // keeps a locked version.
    let selector = Selector::from_parts(request.version.as_deref(), parsed.as_ref());
    let exact = selector.is_exact();
    let entry = match select_unskipped(context.loaded, spec, selector, skipped) {
        Ok(entry) => entry,
        // An upgrade that finds nothing (every match withdrawn, or unfit
        // for the world) keeps what is installed, if that still fits.
        // (A plugin gone from the index is an error, unless the world
        // took its versions out of the running.)
        Err(ref e @ (Error::UnknownVersion { .. } | Error::UnknownPlugin { .. }))
            if request.mode == Mode::Upgrade
                && given.is_none()
                && (matches!(e, Error::UnknownVersion { .. }) || !skipped.is_empty())
                && previous
                    .as_ref()
                    .is_some_and(|p| !skipped.iter().any(|s| s.version == p.version)) =>
        {
            let previous = previous.as_ref().expect("checked just above");
            if let Some(world) = context.world {
                let wasm = PluginsDir::new(dest).wasm(spec.name.as_str());
                if let (_, Err(mismatch)) = read_installed(&wasm, Some(world))? {
                    return Err(Error::Incompatible {
                        artifact: format!("{} {} (installed)", spec.name, previous.version),
                        world: world.shown.clone(),
                        mismatch,
                        skipped: skipped.to_vec(),
                    });
                }
            }
            return unchanged(dest, &spec.name, previous).map(|r| Candidate::Done(Box::new(r)));
        }
        Err(Error::UnknownVersion { .. } | Error::UnknownPlugin { .. }) if !skipped.is_empty() => {
            let world = context.world.expect("only a world skips");
            return Err(Error::Incompatible {
                artifact: match &spec.requirement {
                    Some(r) => format!("{}@{}", spec.name, r.given),
                    None => spec.name.to_string(),
                },
                world: world.shown.clone(),
                mismatch: format!("no version of {} the request allows fits it", spec.name),
                skipped: skipped.to_vec(),
            });
        }
        Err(e) => return Err(e),
    };
    // A version whose published exports already show it does not fit is
    // passed over without a download.
    if let (Some(world), Some(exports)) = (context.world, &entry.exports)
        && let Some(reason) = world.missing_from(exports)
    {
        let reason = format!("{reason} (by its exports in the index)");
        if exact {
            return Err(Error::Incompatible {
                artifact: format!("{} {}", entry.name, entry.version),
                world: world.shown.clone(),
                mismatch: reason,
                skipped: Vec::new(),
            });
        }
        return Ok(Candidate::Unfit(Unfit {
            version: entry.version,
            reason,
        }));
    }
    let (entry, origin) = materialize(context, entry)?;
    if let Some(pinned) = &request.pinned
        && *pinned != entry.sha256
    {
        return Err(Error::DigestMismatch {
            source: format!(
                "{} {} in {} (the lock pins sha256 {}; the registry now serves {})",
                entry.name,
                entry.version,
                context.loaded.index.path,
                pinned.to_hex(),
                entry.sha256.to_hex()
            ),
            expected: pinned.to_hex(),
            actual: entry.sha256.to_hex(),
        });
    }
    let claimed = entry.claimed(&context.loaded.index.path)?;
    // The one signature a loader's `.sig` holds: `signature`, else the
    // first readable co-signature.
    let sig_text = claimed
        .first()
        .map(|c| trust::encode_signature(&c.signature));

    // Decide, from what is installed now.
    // Hashing the installed copy is only worth it where it can change the
    // decision: `upgrade` keeps the same version whether or not it is intact.
    let current = match &previous {
        Some(p)
            if request.mode == Mode::Install
                && p.version == entry.version
                && p.sha256 == entry.sha256.to_hex() =>
        {
            is_intact(dest, &entry.name, &entry, &claimed, context.trust)?
        }
        _ => false,
    };
    let installed = previous.as_ref().map(|p| p.version.as_str());
    let action = match decide(
        request.mode,
        installed,
        &entry.version,
        current,
        request.allow_downgrade,
    ) {
        Decision::Keep => {
            let previous = previous.as_ref().expect("kept only when installed");
            // A policy and a world are about what is installed: one kept as
            // it is must meet them too (judged by its bytes, read once).
            if context.world.is_some() || !request.imports.is_empty() {
                let wasm = PluginsDir::new(dest).wasm(entry.name.as_str());
                let (imports, fit) = read_installed(&wasm, context.world)?;
                let artifact = format!("{} {} (installed)", entry.name, previous.version);
                if let (Some(world), Err(mismatch)) = (context.world, fit) {
                    return Err(Error::Incompatible {
                        artifact,
                        world: world.shown.clone(),
                        mismatch,
                        skipped: skipped.to_vec(),
                    });
                }
                let denied = request.imports.offences(imports.as_deref());
                if !denied.is_empty() {
                    return Err(Error::CapabilityDenied { artifact, denied });
                }
            }
            if request.dry_run {
                return unchanged(dest, &entry.name, previous)
                    .map(|r| Candidate::Done(Box::new(r)));
            }
            // Nothing to place still records the index version seen:
            // otherwise a host that is up to date never learns it, and an
            // older index replayed later would be accepted. (A plan
            // records it for its jobs.)
            if !request.planned {
                seen::record_seen(dest, context.loaded)?;
            }
            // `upgrade NAME@REQ` already at the highest match still
            // records the new requirement, if the installed version meets
            // it: upgrade never moves down, so one it does not meet would
            // be a record nothing could honour.
            if let (Some(given), Some(req)) = (&given, &parsed) {
                let meets =
                    semver::Version::parse(&previous.version).is_ok_and(|v| req.matches(&v));
                if !meets {
                    return Err(Error::InvalidRequest {
                        value: format!("{}@{given}", spec.name),
                        reason: format!(
                            "the installed {} does not satisfy {given}, and upgrade never moves \
                             down; `wasm-plugin install {}@{given} --allow-downgrade` does",
                            previous.version, spec.name
                        ),
                    });
                }
            }
            if given.is_some() && previous.requirement != requirement {
                let updated = Receipt {
                    requirement,
                    ..previous.clone()
                };
                let staged = receipt::stage(dest, &updated)?;
                receipt::commit(dest, &entry.name, staged)?;
            }
            // Who signed it as checked now: only an install with a trust
            // root re-verified the installed copy (`current`).
            let mut report = unchanged(dest, &entry.name, previous)?;
            if !(current && context.trust.is_some()) {
                report.signed_by = None;
            }
            return Ok(Candidate::Done(Box::new(report)));
        }
        Decision::RefuseDowngrade => {
            return Err(Error::DowngradeRefused {
                name: entry.name.to_string(),
                installed: installed.unwrap_or_default().to_string(),
                requested: entry.version.clone(),
            });
        }
        Decision::Place(action) => action,
    };
    if request.dry_run {
        let report = would_place(dest, &entry, action, installed);
        return Ok(Candidate::Done(Box::new(report)));
    }

    // Fetch and check: stream the bytes through the digest and signature.
    // An OCI blob comes through the registry's API (authenticated);
    // everything else as the index names it.
    let location = match &origin {
        Some(_) => Location::Registry(entry.artifact.clone()),
        None => location::resolve(&entry.artifact, context.registry)?,
    };
    let fetched = match fetch_and_check(context, &entry, &location, &claimed) {
        Err(Error::Incompatible { mismatch, .. }) if !exact => {
            return Ok(Candidate::Unfit(Unfit {
                version: entry.version,
                reason: mismatch,
            }));
        }
        fetched => fetched?,
    };

    // Commit: receipt and state staged first, so that if they cannot be
    // written nothing has been placed; after the plugin only renames remain.
    let new_receipt = Receipt {
        name: entry.name.to_string(),
        version: entry.version.clone(),
        sha256: fetched.sha256.to_hex(),
        size: fetched.size,
        signed_by: fetched.signed_by.clone(),
        registry: context.loaded.index.path.clone(),
        // For an OCI artefact, the reference with its manifest digest
        // (repository, tag, digest); the blob URL says less.
        artifact: origin.unwrap_or_else(|| fetched.shown.clone()),
        installed_at: crate::clock::now(),
        requirement,
        imports: fetched.capabilities.as_ref().map(|c| c.imports.clone()),
        exports: fetched.capabilities.as_ref().map(|c| c.exports.clone()),
    };
    let staged_receipt = receipt::stage(dest, &new_receipt)?;
    let staged_seen = match request.planned {
        true => None,
        false => seen::stage_seen(dest, context.loaded)?,
    };
    // With a trust root, the sidecar is a signature that verified now (by
    // a key still trusted), so a loader with today's keys can check it.
    let sidecar = fetched
        .sidecar
        .as_ref()
        .map(trust::encode_signature)
        .or(sig_text);
    let placed = place::commit(dest, &entry.name, fetched.staged, sidecar.as_deref())?;
    receipt::commit(dest, &entry.name, staged_receipt)?;
    seen::commit_seen(dest, staged_seen)?;
    Ok(Candidate::Done(Box::new(InstallReport {
        name: new_receipt.name,
        version: new_receipt.version,
        sha256: new_receipt.sha256,
        size: new_receipt.size,
        source: new_receipt.artifact,
        wasm_path: placed.wasm_path.display().to_string(),
        sig_path: placed.sig_path.map(|p| p.display().to_string()),
        signed_by: fetched.signed_by,
        action,
        previous_version: installed.map(str::to_string),
        new_imports: match (&previous, &new_receipt.imports) {
            (
                Some(Receipt {
                    imports: Some(before),
                    ..
                }),
                Some(now),
            ) => now
                .iter()
                .filter(|i| !before.contains(i))
                .cloned()
                .collect(),
            _ => Vec::new(),
        },
        imports: new_receipt.imports,
        exports: new_receipt.exports,
        skipped: Vec::new(),
    })))
}

/// The entry `selector` chooses once the versions `skipped` are set aside.
fn select_unskipped(
    loaded: &Loaded,
    spec: &PluginSpec,
    selector: Selector<'_>,
    skipped: &[Unfit],
) -> Result<Entry> {
    let name = spec.name.as_str();
    if skipped.is_empty() {
        return resolve::select(&loaded.index, name, selector).cloned();
    }
    let set_aside =
        |e: &Entry| e.name == spec.name && skipped.iter().any(|s| s.version == e.version);
    let index = registry::index::Index {
        plugins: loaded
            .index
            .plugins
            .iter()
            .filter(|e| !set_aside(e))
            .cloned()
            .collect(),
        ..loaded.index.clone()
    };
    resolve::select(&index, name, selector).cloned()
}

/// An installed plugin as a policy and a world judge it: its imports (or
/// why they cannot be read), and its fit (`Ok` without a world).
type Installed = (
    std::result::Result<Vec<String>, Unreadable>,
    std::result::Result<(), String>,
);

/// What the installed `wasm` imports, and whether it fits `world`, from one
/// read of its bytes.
fn read_installed(wasm: &Path, world: Option<&TargetWorld>) -> Result<Installed> {
    let mut source = Source::open_owned(wasm)?;
    let mut reducer = world.map(|_| Reducer::new());
    let measured = stream::pump_with(&mut source, None, None, reducer.as_mut())?;
    let fit = match (world, reducer) {
        (Some(world), Some(reducer)) => reducer.finish().and_then(|r| world.check(&r)),
        _ => Ok(()),
    };
    Ok((measured.capabilities.map(|c| c.imports), fit))
}

/// How the index's `imports`/`exports` for `entry` differ from what its
/// bytes have, if they do: each name one lists and the other lacks.
fn misdescribed(
    entry: &Entry,
    measured: std::result::Result<&Capabilities, &Unreadable>,
) -> Option<String> {
    let mut differences = Vec::new();
    let lists = [
        ("imports", &entry.imports, measured.map(|c| &c.imports)),
        ("exports", &entry.exports, measured.map(|c| &c.exports)),
    ];
    for (field, published, actual) in lists {
        let Some(published) = published else {
            continue;
        };
        let actual = match actual {
            Ok(actual) => actual,
            Err(why) => {
                differences.push(format!(
                    "it lists {field}, but the bytes' {field} cannot be read: {why}"
                ));
                continue;
            }
        };
        for name in actual.iter().filter(|n| !published.contains(n)) {
            differences.push(format!("its {field} omit {name}, which the bytes have"));
        }
        for name in published.iter().filter(|n| !actual.contains(n)) {
            differences.push(format!(
                "its {field} list {name}, which the bytes do not have"
            ));
        }
    }
    (!differences.is_empty()).then(|| differences.join("; "))
}

/// An `oci://` registry as an index: one entry per semver tag of the
/// plugin's repository. Their artefact is the tag's reference; the manifest
/// (fetched only for the entry chosen) supplies digest, size and signature
/// in `materialize`, so the zero digest here is never compared.
pub(crate) fn oci_loaded(
    registry: &str,
    name: &PluginName,
    fetcher: &dyn Fetcher,
) -> Result<Loaded> {
    let registry = OciRegistry::parse(registry)?;
    let repository = registry.repository(name.as_str());
    let plugins = oci::tags(fetcher, &registry.host, &repository)?
        .into_iter()
        .filter(|tag| semver::Version::parse(tag).is_ok())
        .map(|tag| Entry {
            signatures: Vec::new(),
            name: name.clone(),
            artifact: format!(
                "{}{}/{repository}:{tag}",
                registry.host.scheme(),
                registry.host
            ),
            version: tag,
            description: None,
            sha256: Sha256Digest::from_bytes([0; 32]),
            signature: None,
            size: None,
            yanked: false,
            imports: None,
            exports: None,
        })
        .collect();
    let shown = registry.shown();
    Ok(Loaded {
        registry: RegistryRef::Url(shown.clone()),
        index: registry::index::Index {
            path: shown,
            schema_version: "1".into(),
            version: None,
            expires: None,
            plugins,
        },
        bytes: Vec::new(),
        signature: None,
        signed_by: None,
    })
}

/// An entry whose artefact is an OCI reference, completed from its
/// manifest: the layer blob's URL, its size, and (for a registry's tag) its
/// digest and the signature annotation. An index entry keeps its own digest
/// and signature, and the layer must be what it names. Returns the
/// reference the receipt records.
fn materialize(context: &Context<'_>, mut entry: Entry) -> Result<(Entry, Option<String>)> {
    if !oci::is_oci(&entry.artifact) {
        return Ok((entry, None));
    }
    let from_tags = oci::is_oci(&context.loaded.index.path);
    let expected = (!from_tags).then_some(&entry.sha256);
    let artifact = oci::resolve(context.fetcher, &entry.artifact, expected)?;
    if from_tags {
        entry.sha256 = artifact.layer;
        entry.signature = artifact.signature;
        entry.description = artifact.description;
    }
    entry.size = Some(entry.size.unwrap_or(artifact.size));
    entry.artifact = artifact.blob_url;
    Ok((entry, Some(artifact.reference)))
}

/// What to do about one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// Leave what is installed: nothing to write.
    Keep,
    /// The offered version is lower and downgrades were not allowed.
    RefuseDowngrade,
    /// Fetch, check and place it.
    Place(Action),
}

/// What to do, from what is `installed` (its version), what is `offered`,
/// and whether the installed copy is `current` (the same build, intact on
/// disk, with the entry's sidecar). No I/O: tested as a table.
///
/// Versions that do not both parse as semver have no order: replacing one
/// with the other is never a downgrade, and `upgrade` moves an unversioned
/// (or otherwise non-semver) install to a release, but never a release
/// sideways, and never between two unordered versions.
fn decide(
    mode: Mode,
    installed: Option<&str>,
    offered: &str,
    current: bool,
    allow_downgrade: bool,
) -> Decision {
    let Some(installed) = installed else {
        return Decision::Place(Action::Installed);
    };
    let order = resolve::compare_versions(offered, installed);
    let upgrade_keeps = match order {
        Some(order) => order != Ordering::Greater,
        // No order: only an install that has none moves, and only to a
        // release; a release never moves sideways.
        None => !is_semver(offered) || is_semver(installed),
    };
    if (mode == Mode::Upgrade && upgrade_keeps) || current {
        return Decision::Keep;
    }
    match order {
        Some(Ordering::Less) if !allow_downgrade => Decision::RefuseDowngrade,
        Some(Ordering::Less) => Decision::Place(Action::Downgraded),
        _ if installed == offered => Decision::Place(Action::Reinstalled),
        _ => Decision::Place(Action::Upgraded),
    }
}

fn is_semver(version: &str) -> bool {
    semver::Version::parse(version).is_ok()
}

/// An artefact fetched into a temp file and checked.
struct Fetched {
    staged: Staged,
    sha256: Sha256Digest,
    size: u64,
    signed_by: Option<String>,
    /// The signature that verified, for the `.sig` sidecar.
    sidecar: Option<ed25519_dalek::Signature>,
    capabilities: Option<Capabilities>,
    /// Where the bytes came from, for reports.
    shown: String,
}

/// Streams the entry's artefact once through the digest and signature check
/// into a temp file in the destination. A transient fetch failure starts it
/// over (a new request, temp file and digest), three tries at most.
fn fetch_and_check(
    context: &Context<'_>,
    entry: &Entry,
    location: &Location,
    claimed: &[trust::Claimed],
) -> Result<Fetched> {
    let request = context.request;
    let missing = || Error::SignatureMissing {
        artifact: location.display(),
        looked_for: format!(
            "the {} {} entry of {}",
            entry.name, entry.version, context.loaded.index.path
        ),
    };
    // Fail before fetching when a signature is required and absent.
    let name = entry.name.as_str();
    trust::check_for(context.trust, name, claimed, missing)?;
    let (staged, measured, check, reducer, shown) = source::with_retries(|| {
        let mut check = trust::check_for(context.trust, name, claimed, missing)?;
        let mut source = Source::open(location, context.fetcher)?;
        source.limit(entry.size, request.max_size)?;
        let mut staged =
            Staged::create(&request.dest, &PluginsDir::wasm_file(entry.name.as_str()))?;
        // The world's check reads the types as they pass, only when asked.
        let mut reducer = context.world.map(|_| Reducer::new());
        let measured = stream::pump_with(
            &mut source,
            Some(&mut staged),
            check.as_mut(),
            reducer.as_mut(),
        )?;
        Ok((staged, measured, check, reducer, source.shown().to_string()))
    })?;
    if measured.sha256 != entry.sha256 {
        return Err(Error::DigestMismatch {
            source: shown,
            expected: entry.sha256.to_hex(),
            actual: measured.sha256.to_hex(),
        });
    }
    let verified = check.map(|c| c.finish(&shown)).transpose()?;
    let (signed_by, sidecar) = verified.map(|v| (v.signers, v.signature)).unzip();
    // What the bytes are and may do, judged before anything is placed (the
    // temp file goes with `staged` on the way out): as the index describes
    // them; fitting the world (an unfit version is passed over, so before
    // the policy judges it); within the policy.
    let artifact = format!("{} {}", entry.name, entry.version);
    if let Some(reason) = misdescribed(entry, measured.capabilities.as_ref()) {
        return Err(Error::MetadataMismatch {
            artifact,
            index: context.loaded.index.path.clone(),
            reason,
        });
    }
    if let (Some(world), Some(reducer)) = (context.world, reducer)
        && let Err(mismatch) = reducer.finish().and_then(|reduced| world.check(&reduced))
    {
        return Err(Error::Incompatible {
            artifact: artifact.clone(),
            world: world.shown.clone(),
            mismatch,
            skipped: Vec::new(),
        });
    }
    let imports = measured.capabilities.as_ref().map(|c| c.imports.as_slice());
    let denied = request.imports.offences(imports);
    if !denied.is_empty() {
        return Err(Error::CapabilityDenied { artifact, denied });
    }
    Ok(Fetched {
        staged,
        sha256: measured.sha256,
        size: measured.size,
        signed_by,
        sidecar,
        capabilities: measured.capabilities.ok(),
        shown,
    })
}

/// Removes what interrupted runs left in `dest`, its state folder and its
/// receipts folder (see `staged::remove_leftovers`).
pub fn remove_leftovers(dest: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for dir in PluginsDir::new(dest).staging_dirs() {
        removed.extend(staged::remove_leftovers(&dir)?);
    }
    Ok(removed)
}

/// Whether the installed copy is the entry's bytes with the entry's sidecar,
/// and passes the trust root if one is given.
fn is_intact(
    dest: &Path,
    name: &PluginName,
    entry: &Entry,
    claimed: &[trust::Claimed],
    trust: Option<&TrustRoot>,
) -> Result<bool> {
    let on_disk = match installed::inspect(dest, name, trust) {
        Ok(Some(on_disk)) => on_disk,
        // A link or a pipe where the plugin should be: replaced.
        Ok(None) | Err(Error::NotRegularFile { .. }) => return Ok(false),
        Err(e) => return Err(e),
    };
    // The sidecar is any one of the entry's signatures (with a trust root,
    // the one that verified at install), or none when it has none.
    let sidecar_ok = match &on_disk.sig_text {
        None => claimed.is_empty(),
        Some(text) => claimed
            .iter()
            .any(|c| trust::encode_signature(&c.signature) == *text),
    };
    let intact = on_disk.sha256 == entry.sha256
        && sidecar_ok
        && (trust.is_none() || matches!(on_disk.sig, SigState::Verified(_)));
    Ok(match trust {
        Some(root) if intact && root.metadata.is_some() => {
            installed::meets_roles(dest, name, root, claimed)?
        }
        _ => intact,
    })
}

/// What a dry run reports for an entry it would place: the index's word
/// for digest and size (nothing was fetched, so no signer).
fn would_place(
    dest: &Path,
    entry: &Entry,
    action: Action,
    installed: Option<&str>,
) -> InstallReport {
    InstallReport {
        name: entry.name.to_string(),
        version: entry.version.clone(),
        sha256: entry.sha256.to_hex(),
        size: entry.size.unwrap_or(0),
        source: entry.artifact.clone(),
        wasm_path: PluginsDir::new(dest)
            .wasm(entry.name.as_str())
            .display()
            .to_string(),
        sig_path: None,
        signed_by: None,
        action,
        previous_version: installed.map(str::to_string),
        imports: None,
        exports: None,
        new_imports: Vec::new(),
        skipped: Vec::new(),
    }
}

/// The report for a plugin left as it is.
fn unchanged(dest: &Path, name: &PluginName, previous: &Receipt) -> Result<InstallReport> {
    let sig_path = PluginsDir::new(dest).sig(name.as_str());
    let sig_path = sandbox::exists(&sig_path)?.then(|| sig_path.display().to_string());
    Ok(InstallReport {
        name: previous.name.clone(),
        version: previous.version.clone(),
        sha256: previous.sha256.clone(),
        size: previous.size,
        source: previous.artifact.clone(),
        wasm_path: PluginsDir::new(dest)
            .wasm(name.as_str())
            .display()
            .to_string(),
        sig_path,
        signed_by: previous.signed_by.clone(),
        action: Action::Unchanged,
        previous_version: Some(previous.version.clone()),
        imports: previous.imports.clone(),
        exports: previous.exports.clone(),
        new_imports: Vec::new(),
        skipped: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FetchError;
    use crate::transfer::source::NoNetwork;
    use crate::transfer::source::testing::{Script, ScriptedFetcher};
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::{Signer, SigningKey};
    use serde_json::json;

    /// A registry, a trust root and a plugins directory in a temp dir.
    struct Fixture {
        _dir: tempfile::TempDir,
        root: PathBuf,
        key: SigningKey,
        plugins: Vec<serde_json::Value>,
    }

    impl Fixture {
        fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().canonicalize().unwrap();
            for sub in ["registry", "trust", "plugins"] {
                std::fs::create_dir(root.join(sub)).unwrap();
            }
            let key = SigningKey::from_bytes(&[42; 32]);
            std::fs::write(
                root.join("trust/release.pub"),
                STANDARD.encode(key.verifying_key().to_bytes()),
            )
            .unwrap();
            Fixture {
                _dir: dir,
                root,
                key,
                plugins: Vec::new(),
            }
        }

        /// Publishes `bytes` as `name` `version`, signed when `signed`.
        fn publish(&mut self, name: &str, version: &str, bytes: &[u8], signed: bool) -> &mut Self {
            let file = format!("{name}-{version}.wasm");
            std::fs::write(self.root.join("registry").join(&file), bytes).unwrap();
            let mut entry = json!({
                "name": name, "version": version, "artifact": file,
                "sha256": crate::trust::digest::Sha256Digest::of(bytes).to_hex(),
            });
            if signed {
                entry["signature"] = json!(STANDARD.encode(self.key.sign(bytes).to_bytes()));
            }
            self.plugins.push(entry);
            self.write_index();
            self
        }

        fn write_index(&self) {
            let index = json!({"schema_version": "1", "plugins": self.plugins});
            std::fs::write(self.index(), index.to_string()).unwrap();
        }

        fn index(&self) -> PathBuf {
            self.root.join("registry/index.json")
        }

        fn dest(&self) -> PathBuf {
            self.root.join("plugins")
        }

        fn request(&self, spec: &str, trusted: bool) -> InstallRequest {
            InstallRequest {
                registry: self.index().display().to_string(),
                spec: spec.to_string(),
                version: None,
                dest: self.dest(),
                trust_root: trusted.then(|| self.root.join("trust")),
                mode: Mode::Install,
                allow_downgrade: false,
                allow_expired: false,
                max_size: DEFAULT_MAX_SIZE,
                preloaded: None,
                pinned: None,
                planned: false,
                dry_run: false,
                imports: ImportPolicy::default(),
                world: None,
            }
        }

        fn install(&self, name: &str, trusted: bool) -> Result<InstallReport> {
            install(&self.request(name, trusted), &NoNetwork)
        }

        /// Every file under the plugins directory (receipts included).
        fn dest_listing(&self) -> Vec<(String, Vec<u8>)> {
            fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, Vec<u8>)>) {
                for entry in std::fs::read_dir(dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        walk(&path, base, out);
                    } else {
                        let name = path.strip_prefix(base).unwrap().display().to_string();
                        out.push((name, std::fs::read(&path).unwrap()));
                    }
                }
            }
            let mut files = Vec::new();
            walk(&self.dest(), &self.dest(), &mut files);
            files.sort();
            files
        }

        fn receipt(&self, name: &str) -> Receipt {
            match receipt::read(&self.dest(), &PluginName::parse(name).unwrap()).unwrap() {
                Found::Valid(r) => r,
                other => panic!("no receipt for {name}: {other:?}"),
            }
        }

        fn run(&self, request: InstallRequest) -> Result<InstallReport> {
            install(&request, &NoNetwork)
        }
    }

    /// The whole decision, as a table: mode, installed, offered, current,
    /// allow-downgrade, and what follows.
    #[test]
    fn what_to_do_is_decided_from_what_is_installed_and_what_is_offered() {
        use Action::*;
        use Decision::*;
        use Mode::{Install as I, Upgrade as U};
        type Row<'a> = (Mode, Option<&'a str>, &'a str, bool, bool, Decision);
        let table: &[Row] = &[
            (I, None, "1.0.0", false, false, Place(Installed)),
            (I, Some("1.0.0"), "1.0.0", true, false, Keep),
            (I, Some("1.0.0"), "1.0.0", false, false, Place(Reinstalled)),
            (I, Some("1.0.0"), "1.1.0", false, false, Place(Upgraded)),
            (I, Some("1.1.0"), "1.0.0", false, false, RefuseDowngrade),
            (I, Some("1.1.0"), "1.0.0", false, true, Place(Downgraded)),
            (I, Some("1.1.0"), "1.0.0", true, false, Keep),
            // Unordered versions: never a downgrade.
            (I, Some(""), "", false, false, Place(Reinstalled)),
            (I, Some(""), "", true, false, Keep),
            (I, Some("1.0.0"), "", false, false, Place(Upgraded)),
            (I, Some("stable"), "nightly", false, false, Place(Upgraded)),
            (U, Some("stable"), "nightly", false, false, Keep),
            (U, Some("1.0.0"), "nightly", false, false, Keep),
            (U, Some("nightly"), "1.0.0", false, false, Place(Upgraded)),
            // Upgrade: up only, an unversioned install to any release, a
            // release never sideways to an unversioned entry.
            (U, Some("1.0.0"), "1.1.0", false, false, Place(Upgraded)),
            (U, Some("1.1.0"), "1.0.0", false, true, Keep),
            (U, Some("1.0.0"), "1.0.0", false, false, Keep),
            (U, Some(""), "1.0.0", false, false, Place(Upgraded)),
            (U, Some("1.0.0"), "", false, false, Keep),
            (U, Some(""), "", false, false, Keep),
            (U, None, "1.0.0", false, false, Place(Installed)),
        ];
        for &(mode, installed, offered, current, allow, expected) in table {
            assert_eq!(
                decide(mode, installed, offered, current, allow),
                expected,
                "{mode:?} {installed:?} -> {offered:?} current={current} allow_downgrade={allow}"
            );
        }
    }

    #[test]
    fn a_signed_plugin_installs_with_its_sidecar_and_signer() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"\0asm v1", true);
        let report = fx.install("colmask", true).unwrap();
        assert_eq!(report.version, "1.0.0");
        assert_eq!(report.signed_by.as_deref(), Some("release"));
        assert_eq!(report.size, 7);
        assert_eq!(report.action, Action::Installed);
        assert_eq!(report.previous_version, None);
        let names: Vec<String> = fx.dest_listing().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                ".wasm-plugin/receipts/colmask.json",
                "colmask.sig",
                "colmask.wasm"
            ]
        );
        assert_eq!(
            std::fs::read(fx.dest().join("colmask.wasm")).unwrap(),
            b"\0asm v1"
        );
        let sig = std::fs::read_to_string(fx.dest().join("colmask.sig")).unwrap();
        assert_eq!(sig, STANDARD.encode(fx.key.sign(b"\0asm v1").to_bytes()));
    }

    #[test]
    fn the_highest_version_is_installed_and_replaces_the_old_one() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "0.9.0", b"old", true);
        fx.install("colmask", true).unwrap();
        fx.publish("colmask", "0.10.0", b"new", true);
        let report = fx.install("colmask", true).unwrap();
        assert_eq!(report.version, "0.10.0");
        assert_eq!(report.action, Action::Upgraded);
        assert_eq!(report.previous_version.as_deref(), Some("0.9.0"));
        assert_eq!(
            std::fs::read(fx.dest().join("colmask.wasm")).unwrap(),
            b"new"
        );
    }

    #[test]
    fn without_a_trust_root_an_unsigned_plugin_installs() {
        let mut fx = Fixture::new();
        fx.publish("plain", "1.0.0", b"bytes", false);
        let report = fx.install("plain", false).unwrap();
        assert_eq!(report.signed_by, None);
        assert_eq!(report.sig_path, None);
        let names: Vec<String> = fx.dest_listing().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, [".wasm-plugin/receipts/plain.json", "plain.wasm"]);
    }

    /// Installs v1, publishes a bad v2, and checks v2 fails with `expected`
    /// and leaves v1 (and its sidecar) exactly as they were, with no temp file.
    fn assert_refused_and_untouched(
        mutate: impl FnOnce(&mut Fixture),
        trusted: bool,
        expected: impl Fn(&Error) -> bool,
    ) {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"good v1", true);
        fx.install("colmask", trusted).unwrap();
        let before = fx.dest_listing();
        mutate(&mut fx);
        let err = fx.install("colmask", trusted).unwrap_err();
        assert!(expected(&err), "unexpected error {err:?}");
        assert_eq!(fx.dest_listing(), before, "the installed plugin changed");
    }

    #[test]
    fn a_digest_mismatch_leaves_the_old_plugin() {
        assert_refused_and_untouched(
            |fx| {
                fx.publish("colmask", "2.0.0", b"v2", true);
                std::fs::write(fx.root.join("registry/colmask-2.0.0.wasm"), b"v2 tampered")
                    .unwrap();
            },
            true,
            |e| matches!(e, Error::DigestMismatch { .. }),
        );
    }

    #[test]
    fn an_untrusted_signer_leaves_the_old_plugin() {
        assert_refused_and_untouched(
            |fx| {
                fx.key = SigningKey::from_bytes(&[7; 32]);
                fx.publish("colmask", "2.0.0", b"v2", true);
            },
            true,
            |e| matches!(e, Error::SignatureUntrusted { keys, .. } if keys == &["release"]),
        );
    }

    #[test]
    fn a_missing_signature_with_a_trust_root_leaves_the_old_plugin() {
        assert_refused_and_untouched(
            |fx| {
                fx.publish("colmask", "2.0.0", b"v2", false);
            },
            true,
            |e| matches!(e, Error::SignatureMissing { .. }),
        );
    }

    #[test]
    fn a_malformed_signature_is_refused_even_without_a_trust_root() {
        assert_refused_and_untouched(
            |fx| {
                fx.publish("colmask", "2.0.0", b"v2", true);
                fx.plugins[1]["signature"] = json!("bm90IDY0IGJ5dGVz");
                fx.write_index();
            },
            false,
            |e| matches!(e, Error::SignatureMalformed { reason, .. } if reason.contains("64 bytes")),
        );
    }

    #[test]
    fn an_unreadable_co_signature_alone_installs_unsigned_without_a_trust_root() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"v1", false);
        fx.plugins[0]["signatures"] = json!([{"keyid": "k", "sig": "not base64"}]);
        fx.write_index();
        let report = fx.install("colmask", false).unwrap();
        assert_eq!(report.sig_path, None);
    }

    #[test]
    fn a_signature_over_other_bytes_is_untrusted() {
        assert_refused_and_untouched(
            |fx| {
                fx.publish("colmask", "2.0.0", b"v2", true);
                fx.plugins[1]["signature"] = fx.plugins[0]["signature"].clone();
                fx.write_index();
            },
            true,
            |e| matches!(e, Error::SignatureUntrusted { .. }),
        );
    }

    #[test]
    fn a_missing_artifact_is_an_io_error() {
        assert_refused_and_untouched(
            |fx| {
                fx.publish("colmask", "2.0.0", b"v2", true);
                std::fs::remove_file(fx.root.join("registry/colmask-2.0.0.wasm")).unwrap();
            },
            true,
            |e| {
                matches!(
                    e,
                    Error::Io {
                        operation: "open",
                        ..
                    }
                )
            },
        );
    }

    #[test]
    fn a_remote_artifact_streams_through_the_fetcher() {
        let mut fx = Fixture::new();
        fx.publish("net", "1.0.0", b"remote bytes", true);
        fx.plugins[0]["artifact"] = json!("http://127.0.0.1:1/net.wasm");
        fx.write_index();
        let fetcher = ScriptedFetcher::default();
        fetcher.serve(
            "http://127.0.0.1:1/net.wasm",
            Script::Body(b"remote bytes".to_vec(), Some(12), 4),
        );
        let report = install(&fx.request("net", true), &fetcher).unwrap();
        assert_eq!(report.source, "http://127.0.0.1:1/net.wasm");
        assert_eq!(
            std::fs::read(fx.dest().join("net.wasm")).unwrap(),
            b"remote bytes"
        );

        // Reinstalling it is a no-op: nothing is fetched.
        fetcher.clear();
        let report = install(&fx.request("net", true), &fetcher).unwrap();
        assert_eq!(report.action, Action::Unchanged);

        // A 404 is reported as such, not as a digest mismatch.
        fx.publish("net", "2.0.0", b"v2", true);
        fx.plugins[1]["artifact"] = json!("http://127.0.0.1:1/net.wasm");
        fx.write_index();
        fetcher.serve(
            "http://127.0.0.1:1/net.wasm",
            Script::Fail(FetchError::HttpStatus(404)),
        );
        let err = install(&fx.request("net", true), &fetcher).unwrap_err();
        assert!(matches!(
            err,
            Error::FetchFailed {
                cause: FetchError::HttpStatus(404),
                ..
            }
        ));
        assert_eq!(
            std::fs::read(fx.dest().join("net.wasm")).unwrap(),
            b"remote bytes"
        );
    }

    #[test]
    fn input_errors_come_before_any_fetch() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"v1", true);
        // Hostile names are refused before the index is even read.
        std::fs::write(fx.index(), "not json").unwrap();
        let err = fx.install("../x", true).unwrap_err();
        assert!(matches!(err, Error::InvalidName { .. }));
        let err = fx.install("colmask", true).unwrap_err();
        assert!(
            matches!(
                err,
                Error::IndexMalformed {
                    line: 1,
                    column: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(fx.dest_listing().is_empty());
        assert!(Path::new(&fx.dest()).exists());
    }

    #[test]
    fn an_unknown_version_names_the_ones_that_exist() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"v1", true);
        let mut request = fx.request("colmask", true);
        request.version = Some("3.0.0".into());
        let err = install(&request, &NoNetwork).unwrap_err();
        assert_eq!(
            err,
            Error::UnknownVersion {
                name: "colmask".into(),
                requested: "3.0.0".into(),
                requirement: false,
                available: vec!["1.0.0".into()],
                pre_releases: vec![],
            }
        );
    }

    #[test]
    fn the_receipt_records_what_was_installed() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"\0asm v1", true);
        let report = fx.install("colmask", true).unwrap();
        let r = fx.receipt("colmask");
        assert_eq!(r.name, "colmask");
        assert_eq!(r.version, "1.0.0");
        assert_eq!(r.sha256, report.sha256);
        assert_eq!(r.size, 7);
        assert_eq!(r.signed_by.as_deref(), Some("release"));
        assert_eq!(r.registry, fx.index().display().to_string());
        assert!(r.artifact.ends_with("colmask-1.0.0.wasm"), "{}", r.artifact);
        assert!(crate::clock::parse(&r.installed_at).is_ok());
    }

    #[test]
    fn installing_the_installed_version_again_writes_nothing() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"\0asm v1", true);
        fx.install("colmask", true).unwrap();
        let before = fx.dest_listing();
        let report = fx.install("colmask", true).unwrap();
        assert_eq!(report.action, Action::Unchanged);
        assert_eq!(report.signed_by.as_deref(), Some("release"));
        assert_eq!(fx.dest_listing(), before);
    }

    #[test]
    fn a_tampered_installed_copy_is_reinstalled() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"\0asm v1", true);
        fx.install("colmask", true).unwrap();
        std::fs::write(fx.dest().join("colmask.wasm"), b"tampered").unwrap();
        let report = fx.install("colmask", true).unwrap();
        assert_eq!(report.action, Action::Reinstalled);
        assert_eq!(
            std::fs::read(fx.dest().join("colmask.wasm")).unwrap(),
            b"\0asm v1"
        );
        // A lost sidecar too.
        std::fs::remove_file(fx.dest().join("colmask.sig")).unwrap();
        assert_eq!(
            fx.install("colmask", true).unwrap().action,
            Action::Reinstalled
        );
        assert!(fx.dest().join("colmask.sig").exists());
    }

    #[test]
    fn a_downgrade_is_refused_unless_allowed() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "0.1.0", b"v0.1", true);
        fx.publish("colmask", "0.2.0", b"v0.2", true);
        fx.install("colmask", true).unwrap();
        let before = fx.dest_listing();
        let err = fx.install("colmask@=0.1.0", true).unwrap_err();
        assert_eq!(
            err,
            Error::DowngradeRefused {
                name: "colmask".into(),
                installed: "0.2.0".into(),
                requested: "0.1.0".into()
            }
        );
        assert_eq!(fx.dest_listing(), before);
        let mut request = fx.request("colmask@=0.1.0", true);
        request.allow_downgrade = true;
        let report = fx.run(request).unwrap();
        assert_eq!(report.action, Action::Downgraded);
        assert_eq!(fx.receipt("colmask").version, "0.1.0");
    }

    #[test]
    fn a_requirement_selects_the_highest_match() {
        let mut fx = Fixture::new();
        for v in ["1.1.0", "1.4.2", "2.0.0"] {
            fx.publish("colmask", v, v.as_bytes(), true);
        }
        assert_eq!(fx.install("colmask@^1.2", true).unwrap().version, "1.4.2");
        let err = fx.install("colmask@^3", true).unwrap_err();
        assert!(matches!(err, Error::UnknownVersion { .. }), "{err:?}");
    }

    #[test]
    fn upgrade_moves_up_and_never_down() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"v1", true);
        let upgrade = |fx: &Fixture| {
            let mut request = fx.request("colmask", true);
            request.mode = Mode::Upgrade;
            fx.run(request)
        };
        let err = upgrade(&fx).unwrap_err();
        assert!(
            matches!(err, Error::NotInstalled { ref installed, .. } if installed.is_empty()),
            "{err:?}"
        );
        fx.install("colmask", true).unwrap();
        assert_eq!(upgrade(&fx).unwrap().action, Action::Unchanged);
        fx.publish("colmask", "1.1.0", b"v1.1", true);
        let report = upgrade(&fx).unwrap();
        assert_eq!(
            (report.action, report.version.as_str()),
            (Action::Upgraded, "1.1.0")
        );
        // Installed 1.1.0, registry now tops out lower: kept, not downgraded.
        fx.plugins.pop();
        fx.write_index();
        let report = upgrade(&fx).unwrap();
        assert_eq!(
            (report.action, report.version.as_str()),
            (Action::Unchanged, "1.1.0")
        );
    }

    #[test]
    fn upgrade_stays_within_the_requirement_the_install_recorded() {
        let mut fx = Fixture::new();
        for (version, bytes) in [("1.2.0", b"a"), ("1.2.5", b"b"), ("1.3.0", b"c")] {
            fx.publish("colmask", version, bytes, true);
        }
        let run = |fx: &Fixture, spec: &str, mode: Mode, dry_run: bool| {
            let mut request = fx.request(spec, true);
            request.mode = mode;
            request.dry_run = dry_run;
            fx.run(request).unwrap()
        };
        let report = run(&fx, "colmask@~1.2", Mode::Install, false);
        assert_eq!(report.version, "1.2.5");
        assert_eq!(fx.receipt("colmask").requirement.as_deref(), Some("~1.2"));
        // Not moved to 1.3.0 by a plain upgrade.
        let report = run(&fx, "colmask", Mode::Upgrade, false);
        assert_eq!(
            (report.action, report.version.as_str()),
            (Action::Unchanged, "1.2.5")
        );
        // A dry run of a new requirement says what it would do, and does
        // nothing.
        let before = fx.dest_listing();
        let plan = run(&fx, "colmask@^1", Mode::Upgrade, true);
        assert_eq!(
            (plan.action, plan.version.as_str()),
            (Action::Upgraded, "1.3.0")
        );
        assert_eq!(fx.dest_listing(), before);
        // Given, it moves and is recorded.
        let report = run(&fx, "colmask@^1", Mode::Upgrade, false);
        assert_eq!(
            (report.action, report.version.as_str()),
            (Action::Upgraded, "1.3.0")
        );
        assert_eq!(fx.receipt("colmask").requirement.as_deref(), Some("^1"));
        // Already at the highest match, a new requirement is still recorded.
        run(&fx, "colmask@>=1.3", Mode::Upgrade, false);
        assert_eq!(fx.receipt("colmask").requirement.as_deref(), Some(">=1.3"));
        // One the installed version does not meet is refused, not recorded:
        // upgrade never moves down.
        let mut request = fx.request("colmask@~1.2", true);
        request.mode = Mode::Upgrade;
        let err = fx.run(request).unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { ref reason, .. } if reason.contains("--allow-downgrade")),
            "{err:?}"
        );
        assert_eq!(fx.receipt("colmask").requirement.as_deref(), Some(">=1.3"));
        // Every match of the recorded requirement withdrawn: kept as it is.
        fx.plugins.retain(|p| p["version"] != "1.3.0");
        fx.write_index();
        let report = run(&fx, "colmask", Mode::Upgrade, false);
        assert_eq!(
            (report.action, report.version.as_str()),
            (Action::Unchanged, "1.3.0")
        );
        // A recorded requirement that does not parse is an error, not "any".
        let mut receipt = fx.receipt("colmask");
        receipt.requirement = Some("not a requirement".into());
        let staged = receipt::stage(&fx.dest(), &receipt).unwrap();
        receipt::commit(&fx.dest(), &PluginName::parse("colmask").unwrap(), staged).unwrap();
        let mut request = fx.request("colmask", true);
        request.mode = Mode::Upgrade;
        let err = fx.run(request).unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { ref reason, .. } if reason.contains("does not parse")),
            "{err:?}"
        );
    }

    #[test]
    fn a_failed_install_keeps_the_old_receipt() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"v1", true);
        fx.install("colmask", true).unwrap();
        let receipt_before = fx.receipt("colmask");
        fx.publish("colmask", "2.0.0", b"v2", true);
        std::fs::write(fx.root.join("registry/colmask-2.0.0.wasm"), b"bad").unwrap();
        assert!(fx.install("colmask", true).is_err());
        assert_eq!(fx.receipt("colmask"), receipt_before);
    }
}
