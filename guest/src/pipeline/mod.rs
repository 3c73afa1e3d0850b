//! The install pipeline `install`, `upgrade` and `sync` share: resolve an
//! entry, fetch it, check it, place it, record it.
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
//!
//! Each pass decides first (`plan`, no I/O, tested as a table) and then
//! acts (`apply`, which performs the plan and judges nothing but the bytes
//! it fetches). It sits below the verbs, so that those sharing it need not
//! import each other.

mod apply;
mod plan;
#[cfg(test)]
mod tests;

use crate::error::{Error, Result};
use crate::plugins_dir::installed;
use crate::plugins_dir::receipt::{self, Found};
use crate::plugins_dir::{PluginsDir, roots, seen};
use crate::registry::index::{Entry, SigstoreBundle};
use crate::registry::name::PluginName;
use crate::registry::oci::{self, OciRegistry};
use crate::registry::resolve::{self, Selector};
use crate::registry::sparse;
use crate::registry::spec::PluginSpec;
use crate::registry::{self, Loaded, Policy, RegistryRef};
use crate::sandbox;
use crate::transfer::http_cache::HttpCache;
use crate::transfer::source::Fetcher;
use crate::trust::TrustRoot;
use crate::trust::capabilities::ImportPolicy;
use crate::trust::digest::Sha256Digest;
use crate::trust::world::TargetWorld;
use crate::wit::{IndexBytes, InstallAction, InstallReport, UnfitVersion};
use plan::{Offer, Step, Survey};
use std::path::PathBuf;

pub use crate::plugins_dir::remove_leftovers;

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

/// Reads and checks the index once, for the calls of a run that follow
/// (each passes it back as `InstallRequest::preloaded`).
pub fn read_index(
    registry: &RegistryRef,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<IndexBytes> {
    let loaded = registry::load(registry, fetcher, policy)?;
    Ok(IndexBytes {
        index: loaded.bytes,
        signature: loaded.signature,
    })
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
    let loaded = match sparse::is_sparse(registry) {
        true => sparse::load_plugin(registry, &spec.name, fetcher, policy)?,
        false => registry::load(registry, fetcher, policy)?,
    };
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
    // A sparse registry's files go through the plugins directory's cache:
    // a 304 costs no download, and what was fetched is kept only once it
    // passed every check, rollback included.
    let cache = HttpCache::new(fetcher, Some(PluginsDir::new(dest).http_cache()));
    let sparse = sparse::is_sparse(&registry_ref);
    let loaded = match &request.preloaded {
        // A sparse registry: the plugin's own file, its rollback record
        // kept apart from other plugins' (a sync's plan preloads the file
        // it read, its freshness checked and recorded there).
        Some(file) if sparse => sparse::admit_planned(
            &registry_ref,
            &spec.name,
            file.index.clone(),
            file.signature.clone(),
            &cache,
            policy,
        )?,
        None if sparse => sparse::load_plugin(&registry_ref, &spec.name, &cache, policy)?,
        Some(index) => registry::admit(
            &registry_ref,
            index.index.clone(),
            index.signature.clone(),
            policy,
        )?,
        None => registry::load(&registry_ref, fetcher, policy)?,
    };
    let loaded = match seen::check_not_rolled_back(dest, &loaded) {
        // Older than what was seen here, and answered from the cache: a
        // stale or altered copy is never what refuses; asked again.
        Err(Error::IndexRollback { .. }) if sparse && cache.bypass_cache() => {
            let again = sparse::load_plugin(&registry_ref, &spec.name, &cache, policy)?;
            seen::check_not_rolled_back(dest, &again)?;
            again
        }
        checked => checked.map(|()| loaded)?,
    };
    let context = Context {
        request,
        registry: &registry_ref,
        loaded: &loaded,
        trust: trust.as_ref(),
        world,
        fetcher,
    };
    let report = install_one(&context, &spec)?;
    // Kept only once the whole install passed: a failed one leaves the
    // plugins directory as it was, its cache included.
    if !request.dry_run {
        cache.commit();
    }
    Ok(report)
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
        match install_candidate(context, spec, &skipped) {
            Ok(Candidate::Done(mut report)) => {
                report.skipped = skipped;
                return Ok(*report);
            }
            Ok(Candidate::Unfit(unfit)) => skipped.push(unfit),
            // What was passed over stays in the words of a later failure.
            Err(e) => return Err(e.passed_over(skipped)),
        }
    }
}

/// What became of the version a pass of `install_one` tried.
enum Candidate {
    Done(Box<InstallReport>),
    /// Passed over: it does not fit the world.
    Unfit(UnfitVersion),
}

/// One pass: read what is installed, choose a version, read what deciding
/// about it needs (an OCI manifest, whether the installed copy is intact),
/// plan, apply.
fn install_candidate(
    context: &Context<'_>,
    spec: &PluginSpec,
    skipped: &[UnfitVersion],
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
    let wanted = plan::wanted(request, spec, previous.as_ref())?;
    // Resolve: the entry, and its signature as far as it can be judged
    // without the bytes.
    let selector = Selector::from_parts(request.version.as_deref(), wanted.parsed.as_ref());
    let survey = Survey {
        request,
        spec,
        wanted: &wanted,
        previous: previous.as_ref(),
        world: context.world,
        skipped,
        exact: selector.is_exact(),
    };
    let selection = select_unskipped(context.loaded, spec, selector, skipped);
    let entry = match plan::choose(&survey, selection) {
        Step::Try(entry) => *entry,
        Step::Done(plan) => return apply::apply(context, plan, skipped),
    };
    let (entry, origin) = materialize(context, entry)?;
    let index = &context.loaded.index.path;
    if let Some(refusal) = plan::check_pin(request.pinned.as_ref(), &entry, index) {
        return apply::apply(context, refusal, skipped);
    }
    let claimed = entry.claimed(index)?;
    // Hashing the installed copy is only worth it where it can change the
    // decision: `upgrade` keeps the same version whether or not it is intact.
    let intact = match &previous {
        Some(p)
            if request.mode == Mode::Install
                && p.version == entry.version
                && p.sha256 == entry.sha256.to_hex() =>
        {
            apply::is_intact(dest, &entry.name, &entry, &claimed, context.trust)?
        }
        _ => None,
    };
    let offer = Offer {
        entry,
        origin,
        claimed,
        current: intact.is_some(),
        trusted: context.trust.is_some(),
        signer: intact.and_then(|i| i.signer),
    };
    let plan = plan::plan(&survey, offer);
    apply::apply(context, plan, skipped)
}

/// The entry `selector` chooses once the versions `skipped` are set aside.
fn select_unskipped(
    loaded: &Loaded,
    spec: &PluginSpec,
    selector: Selector<'_>,
    skipped: &[UnfitVersion],
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

/// An `oci://` registry as an index: one entry per semver tag of the
/// plugin's repository. Their artefact is the tag's reference; the manifest
/// (fetched only for the entry chosen) supplies digest, size and signature
/// in `materialize`, so the zero digest here is never compared.
pub fn oci_loaded(registry: &str, name: &PluginName, fetcher: &dyn Fetcher) -> Result<Loaded> {
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
            sigstore_bundle: None,
            minisig: None,
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
        trust_checked: false,
        timestamp: None,
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
    if entry.sigstore_bundle.is_none() {
        entry.sigstore_bundle = attached_bundle(context, &entry, &artifact)?;
    }
    if from_tags {
        entry.sha256 = artifact.layer;
        entry.signature = artifact.signature;
        entry.description = artifact.description;
    }
    entry.size = Some(entry.size.unwrap_or(artifact.size));
    entry.artifact = artifact.blob_url;
    Ok((entry, Some(artifact.reference)))
}

/// The Sigstore bundle attached to an OCI artefact (a referrer of its
/// manifest), looked up only when the trust root lets a bundle vouch for
/// the plugin (`TrustRoot::bundle_check`): the first listed that verifies for the layer's digest, else
/// the last listed (whose refusal is then the install's), else none.
fn attached_bundle(
    context: &Context<'_>,
    entry: &Entry,
    artifact: &oci::Artifact,
) -> Result<Option<SigstoreBundle>> {
    let Some(check) = context
        .trust
        .and_then(|root| root.bundle_check(entry.name.as_str()))
    else {
        return Ok(None);
    };
    let found = oci::referrers::bundles(
        context.fetcher,
        &artifact.host,
        &artifact.repository,
        &artifact.manifest,
    )?;
    if found.is_empty() {
        return cosign_signed(context, &check, artifact);
    }
    let chosen = found
        .iter()
        .find(|bundle| check.verify(&artifact.layer, &bundle.json).is_ok())
        .or(found.last());
    Ok(chosen.map(|bundle| SigstoreBundle::Attached {
        reference: bundle.reference.clone(),
        json: bundle.json.clone(),
    }))
}

/// Without a bundle referrer, cosign's older signature tag
/// (`sha256-<hex>.sig`): the first of its layers that verifies for the
/// manifest, verified here (it vouches for the manifest, which names the
/// layer's digest the bytes must then have); else the last one's refusal
/// is the install's; no tag, none.
fn cosign_signed(
    context: &Context<'_>,
    check: &crate::trust::BundleCheck<'_>,
    artifact: &oci::Artifact,
) -> Result<Option<SigstoreBundle>> {
    let found = oci::cosign::signatures(
        context.fetcher,
        &artifact.host,
        &artifact.repository,
        &artifact.manifest,
    )?;
    let mut refused = None;
    for signed in &found {
        match check.verify_cosign(&artifact.manifest, &signed.layer) {
            Ok(signer) => {
                return Ok(Some(SigstoreBundle::CosignTag {
                    reference: signed.reference.clone(),
                    signer,
                }));
            }
            Err(refusal) => refused = Some((signed, refusal)),
        }
    }
    match refused {
        None => Ok(None),
        Some((signed, refusal)) => Err(Error::SigstoreUnverified {
            artifact: artifact.reference.clone(),
            bundle: signed.reference.clone(),
            check: refusal.check.name().to_string(),
            reason: refusal.to_string(),
        }),
    }
}
