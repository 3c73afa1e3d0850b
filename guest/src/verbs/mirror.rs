//! `mirror`: a self-contained copy of a registry, for a file system or a USB
//! stick in an air-gapped network.
//!
//! Every artefact is fetched, checked against its digest (and, with a trust
//! root, its signature) on the way, and stored next to the new index under a
//! relative path. When every entry already used a safe relative path the
//! index is copied byte for byte, with its detached signature; otherwise the
//! artifact fields are rewritten, and the new index is signed only if a key
//! is given. Re-running fetches only what changed: an artefact already there
//! with the right digest is kept. A mirror never goes back: an index older
//! than the one already mirrored is refused.
//!
//! Flat, sparse and OCI registries mirror into each other: a local sparse
//! registry is read as the index of all its plugin files (each judged as
//! install judges it), and an `out` naming a `config.json` is written as a
//! sparse registry (`registry::sparse_write`, as `registry convert` writes
//! one), its plugin files signed only with the key.

use crate::error::{Error, Result};
use crate::limits::MAX_BUNDLE_BYTES;
use crate::registry::index::SCHEMA_VERSION;
use crate::registry::index::{Entry, SigstoreBundle};
use crate::registry::oci;
use crate::registry::{self, Loaded, Policy, RegistryRef, sparse, sparse_write};
use crate::sandbox;
use crate::transfer::location::{self, Location};
use crate::transfer::source::{self, Fetcher, NoNetwork, Source};
use crate::transfer::staged::{Staged, sync_dir};
use crate::transfer::stream;
use crate::trust::keys;
use crate::trust::{self, BundleCheck, TrustRoot};
use crate::wit::MirrorReport;
use serde_json::{Value, json};
use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone)]
pub struct MirrorRequest {
    pub registry: String,
    pub out: PathBuf,
    pub trust_root: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub allow_expired: bool,
    pub max_size: u64,
}

pub fn mirror(request: &MirrorRequest, fetcher: &dyn Fetcher) -> Result<MirrorReport> {
    // Into a sparse registry when `out` names its config.json: the
    // artefacts go beside it, as into a flat one.
    let sparse_out = sparse::is_sparse(&RegistryRef::File(request.out.clone()));
    let out = match sparse_out {
        true => request.out.parent().unwrap_or(Path::new("/")),
        false => &request.out,
    };
    sandbox::check_granted(out)?;
    let key = request
        .key
        .as_deref()
        .map(keys::load_signing_key)
        .transpose()?;
    let (trust, rotations) = trust_with_rotations(request, fetcher)?;
    let policy = Policy {
        trust: trust.as_ref(),
        allow_expired: request.allow_expired,
    };
    let loaded = load_source(&request.registry, fetcher, policy)?;
    let registry = loaded.registry.clone();
    let index_path = out.join("index.json");
    // A sparse mirror's files are new bytes of their own versions: the
    // source's version it was made of is recorded beside them.
    let record = match sparse_out {
        true => out.join(MIRRORED),
        false => index_path.clone(),
    };
    refuse_going_back(&record, loaded.index.version, &registry)?;
    // A name no plugin file can have is refused before anything is fetched.
    if sparse_out {
        for entry in &loaded.index.plugins {
            sparse::plugin_path(&entry.name)?;
        }
    }

    // Where each artefact goes: its own relative path when that is safe;
    // where its Sigstore bundle goes is known once it is found.
    let mut targets: Vec<Target> = loaded
        .index
        .plugins
        .iter()
        .map(|e| {
            let target = safe_relative(&e.artifact)
                .unwrap_or_else(|| format!("{}-{}.wasm", e.name, e.version));
            (e.clone(), target, None)
        })
        .collect();

    let mut fetched = Vec::new();
    let mut kept = Vec::new();
    for (entry, target, bundle_target) in &mut targets {
        let what = format!("{} {}", entry.name, entry.version);
        let path = out.join(&*target);
        let bundle = source_bundle(entry, &registry, fetcher)?;
        if is_present(&path, entry, trust.as_ref())? {
            kept.push(what);
        } else {
            let location = source_of(entry, &registry, fetcher)?;
            checked(
                entry,
                &location,
                Some(&path),
                trust.as_ref(),
                request.max_size,
                fetcher,
                bundle.as_ref(),
            )?;
            fetched.push(what);
        }
        *bundle_target = place_bundle(out, entry, bundle, trust.as_ref())?;
    }
    let verbatim = targets.iter().all(|(e, t, b)| {
        e.artifact == *t
            && match (&e.sigstore_bundle, b) {
                (Some(SigstoreBundle::Location(given)), Some(placed)) => given == placed,
                (_, None) => true,
                _ => false,
            }
    });

    // The roots before the index that they vouch for.
    for root in &rotations {
        let path = out.join(format!("{}.root.json", root.version));
        write_file(out, &path, &root.bytes)?;
    }

    // The index (and its signature) last, so a mirror never lists what it
    // does not hold.
    if sparse_out {
        return write_sparse(out, &loaded, &targets, key.as_ref(), fetched, kept);
    }
    let signature = write_index(out, &index_path, &loaded, &targets, verbatim, key.as_ref())?;
    sync_dir(out);
    Ok(MirrorReport {
        index: index_path.display().to_string(),
        fetched,
        kept,
        index_signed: signature.is_some(),
        index_verbatim: verbatim,
        index_signed_with_key: signature.is_some() && !(verbatim && loaded.signature.is_some()),
    })
}

/// The trust root, and with root.json the source's rotations first (the
/// index is judged by the newest keys), copied into the mirror for its own
/// clients' walk.
fn trust_with_rotations(
    request: &MirrorRequest,
    fetcher: &dyn Fetcher,
) -> Result<(Option<TrustRoot>, Vec<trust::metadata::Root>)> {
    let trust = request
        .trust_root
        .as_deref()
        .map(TrustRoot::load)
        .transpose()?;
    let source_ref = RegistryRef::parse(&request.registry);
    let rotations = match trust.as_ref().and_then(|t| t.metadata.as_ref()) {
        Some(own) if !oci::is_oci(&request.registry) => {
            registry::rotation::chain(&source_ref, own, fetcher, request.allow_expired)?
        }
        _ => Vec::new(),
    };
    let trust = match (trust, rotations.last()) {
        (Some(root), Some(newest)) => Some(root.with_metadata(newest.clone())),
        (trust, _) => trust,
    };
    Ok((trust, rotations))
}

/// Writes the mirror's index and its signature (or removes a stale one);
/// returns the signature. Verbatim, the publisher's own signature keeps the
/// mirror verifiable exactly as the original, and the key only signs an
/// index that had none; rewritten, the key signs it or it is unsigned.
fn write_index(
    out: &Path,
    index_path: &Path,
    loaded: &Loaded,
    targets: &[Target],
    verbatim: bool,
    key: Option<&ed25519_dalek::SigningKey>,
) -> Result<Option<String>> {
    let registry = &loaded.registry;
    let (bytes, signature) = if verbatim {
        let signature = loaded.signature.clone().or_else(|| {
            key.map(|key| trust::encode_signature(&keys::sign_bytes(key, &loaded.bytes)))
        });
        (loaded.bytes.clone(), signature)
    } else {
        let rewritten = rewrite(&registry.shown(), &loaded.bytes, targets)?;
        let signature = key.map(|k| trust::encode_signature(&keys::sign_bytes(k, &rewritten)));
        (rewritten, signature)
    };
    // What is written must be what was verified (and still parse).
    crate::registry::index::parse(&index_path.display().to_string(), &bytes)?;
    write_file(out, index_path, &bytes)?;
    let sig_path = out.join("index.json.sig");
    match &signature {
        Some(text) => write_file(out, &sig_path, text.as_bytes())?,
        None => match std::fs::remove_file(&sig_path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&sig_path, "remove", &e)),
        },
    }
    Ok(signature)
}

/// The mirror as a sparse registry at `out`: the source's entries, their
/// locations rewritten to the mirror's copies, written as `registry
/// convert` writes one (a file per plugin, each file's version never
/// lowered, signed with the key; a new generation of freshness files, the
/// timestamp expiring with the source). Its plugin files are new bytes, so
/// nothing of the source's signatures carries over: unsigned without a key.
fn write_sparse(
    out: &Path,
    loaded: &Loaded,
    targets: &[Target],
    key: Option<&ed25519_dalek::SigningKey>,
    fetched: Vec<String>,
    kept: Vec<String>,
) -> Result<MirrorReport> {
    let shown = loaded.registry.shown();
    let rewritten = rewrite(&shown, &loaded.bytes, targets)?;
    let document = crate::registry::index::parse_tree(&shown, &rewritten)?;
    // Every location is relative to `out` already: rebased from an index
    // there, each stays as it is.
    let report = sparse_write::from_index(&document, &out.join("index.json"), out, key, None)?;
    if let Some(version) = loaded.index.version {
        let record = json!({"source": shown, "version": version});
        let mut bytes = serde_json::to_vec_pretty(&record).expect("JSON serializes");
        bytes.push(b'\n');
        write_file(out, &out.join(MIRRORED), &bytes)?;
    }
    Ok(MirrorReport {
        index: report.config,
        fetched,
        kept,
        index_signed: key.is_some(),
        index_verbatim: false,
        index_signed_with_key: key.is_some(),
    })
}

/// An entry, where its artefact goes in the mirror, and where its Sigstore
/// bundle went (none when it has none, or has it inline).
type Target = (Entry, String, Option<String>);

/// The source index with each entry's artifact (and bundle) set to its
/// mirror path.
fn rewrite(shown: &str, original: &[u8], targets: &[Target]) -> Result<Vec<u8>> {
    let mut document = crate::registry::index::parse_tree(shown, original)?;
    let plugins = crate::registry::index::plugins_of(&mut document);
    for plugin in plugins.iter_mut() {
        let (name, version) = (plugin["name"].clone(), plugin["version"].clone());
        if let Some((_, target, bundle)) = targets
            .iter()
            .find(|(e, _, _)| name == e.name.as_str() && version == e.version.as_str())
        {
            plugin["artifact"] = Value::String(target.clone());
            if let Some(bundle) = bundle {
                plugin["sigstore_bundle"] = Value::String(bundle.clone());
            }
        }
    }
    let mut bytes = serde_json::to_vec_pretty(&document).expect("JSON serializes");
    bytes.push(b'\n');
    Ok(bytes)
}

/// `artifact` if it is a plain relative path inside the mirror: no scheme,
/// not absolute, no `.`/`..` or hidden components.
fn safe_relative(artifact: &str) -> Option<String> {
    if artifact.contains(':') || artifact.contains('\\') || artifact.contains('%') {
        return None;
    }
    let path = Path::new(artifact);
    let ok = !artifact.is_empty()
        && path.components().all(|c| match c {
            Component::Normal(part) => !part.to_string_lossy().starts_with('.'),
            _ => false,
        });
    ok.then(|| artifact.to_string())
}

/// Whether `path` already holds the entry's bytes, passing the same checks
/// a fetch would (so a copy made by an earlier run without a trust root is
/// not taken on trust by one with).
fn is_present(path: &Path, entry: &Entry, trust: Option<&TrustRoot>) -> Result<bool> {
    if !crate::sandbox::exists(path)? {
        return Ok(false);
    }
    let mut check = match trust {
        Some(root) => match entry.claimed("") {
            Ok(claimed) if !claimed.is_empty() => Some(trust::SignatureCheck::for_plugin(
                root,
                entry.name.as_str(),
                &claimed,
            )),
            _ => return Ok(false),
        },
        None => None,
    };
    let mut source = Source::open(&Location::File(path.to_path_buf()), &NoNetwork)?;
    let measured = stream::pump(&mut source, None, check.as_mut())?;
    let signed = check.is_none_or(|c| c.finish(&path.display().to_string()).is_ok());
    Ok(signed
        && measured.sha256 == entry.sha256
        && entry.size.is_none_or(|size| size == measured.size))
}

/// Copies a registry into an OCI namespace (`out` is `oci://HOST/NS`):
/// each entry is verified (digest, and signature with a trust root) by one
/// read, then pushed by a second (the registry checks the digest again),
/// tagged with its version and annotated with its signature. A tag already
/// holding the same layer and signature is kept; one holding other bytes,
/// or an entry whose version cannot be a tag, is refused before anything is
/// sent.
pub fn mirror_to_oci(request: &MirrorRequest, fetcher: &dyn Fetcher) -> Result<MirrorReport> {
    let target_text = request.out.display().to_string();
    let target = oci::OciRegistry::parse(&target_text)?;
    let trust = request
        .trust_root
        .as_deref()
        .map(TrustRoot::load)
        .transpose()?;
    let policy = Policy {
        trust: trust.as_ref(),
        allow_expired: request.allow_expired,
    };
    let loaded = load_source(&request.registry, fetcher, policy)?;
    if let Some(entry) = loaded
        .index
        .plugins
        .iter()
        .find(|e| !oci::is_valid_tag(&e.version))
    {
        return Err(Error::InvalidRequest {
            value: format!("{} {}", entry.name, entry.version),
            reason: "an OCI tag cannot hold this version (empty, or with characters such as '+')"
                .into(),
        });
    }

    // Decide every plugin before sending anything: a tag already holding
    // other bytes is refused (a mirror never replaces a published version);
    // one holding these bytes and this signature is kept.
    let (to_push, there) = decide_tags(&target, &loaded.index.plugins, fetcher)?;
    let mut fetched = Vec::new();
    for entry in to_push {
        let what = format!("{} {}", entry.name, entry.version);
        let repository = target.repository(entry.name.as_str());
        let location = source_of(entry, &loaded.registry, fetcher)?;
        let bundle = source_bundle(entry, &loaded.registry, fetcher)?;
        let measured = checked(
            entry,
            &location,
            None,
            trust.as_ref(),
            request.max_size,
            fetcher,
            bundle.as_ref(),
        )?;
        checked_bundle(entry, bundle.as_ref(), trust.as_ref())?;
        let manifest = push(&target, &repository, entry, &location, &measured, fetcher)?;
        if let Some(bundle) = &bundle {
            oci::referrers::attach(
                fetcher,
                &target.host,
                &repository,
                (&manifest.0, manifest.1),
                &bundle.json,
            )?;
        }
        fetched.push(what);
    }
    // A tag kept gets the bundle the source has for it, if it lacks it
    // (attaching what is attached already changes nothing).
    let mut kept = Vec::new();
    for (entry, artifact) in there {
        let bundle = source_bundle(entry, &loaded.registry, fetcher)?;
        checked_bundle(entry, bundle.as_ref(), trust.as_ref())?;
        if let Some(bundle) = &bundle {
            let subject = (&artifact.manifest, artifact.manifest_size);
            oci::referrers::attach(
                fetcher,
                &target.host,
                &artifact.repository,
                subject,
                &bundle.json,
            )?;
        }
        kept.push(format!("{} {}", entry.name, entry.version));
    }
    Ok(MirrorReport {
        index: target.shown(),
        fetched,
        kept,
        index_signed: false,
        index_verbatim: false,
        index_signed_with_key: false,
    })
}

/// An entry whose tag already holds it, and what the tag holds.
type Held<'e> = (&'e Entry, oci::Artifact);

/// Which entries to push, and which tags already hold them (with what
/// they hold). Decided before sending anything: a tag already holding other
/// bytes is refused (a mirror never replaces a published version); one
/// holding these bytes and this signature is kept.
fn decide_tags<'e>(
    target: &oci::OciRegistry,
    entries: &'e [Entry],
    fetcher: &dyn Fetcher,
) -> Result<(Vec<&'e Entry>, Vec<Held<'e>>)> {
    let mut kept = Vec::new();
    let mut to_push = Vec::new();
    // OCI has no yanked mark: a yanked version pushed as a tag would be
    // chosen again there, so it is left out.
    for entry in entries.iter().filter(|e| !e.yanked) {
        let repository = target.repository(entry.name.as_str());
        if oci::has_tag(fetcher, &target.host, &repository, &entry.version)? {
            let there = oci::artifact(
                fetcher,
                &target.host,
                &repository,
                Some(&entry.version),
                None,
            )?;
            if there.layer != entry.sha256 {
                return Err(Error::InvalidRequest {
                    value: there.reference,
                    reason: format!(
                        "the tag already holds other bytes (sha256 {}) than {} {} (sha256 {}); \
                         a mirror does not replace a published version",
                        there.layer.to_hex(),
                        entry.name,
                        entry.version,
                        entry.sha256.to_hex()
                    ),
                });
            }
            if there.signature == entry.signature {
                kept.push((entry, there));
                continue;
            }
        }
        to_push.push(entry);
    }

    Ok((to_push, kept))
}

/// Pushes one checked entry (its layer read again), tagged with its
/// version and annotated with its signature and description; returns the
/// manifest's digest and size.
fn push(
    target: &oci::OciRegistry,
    repository: &str,
    entry: &Entry,
    location: &Location,
    measured: &stream::Measured,
    fetcher: &dyn Fetcher,
) -> Result<(crate::trust::digest::Sha256Digest, u64)> {
    let mut annotations = std::collections::BTreeMap::new();
    if let Some(signature) = &entry.signature {
        annotations.insert(oci::SIGNATURE_ANNOTATION.to_string(), signature.clone());
    }
    if let Some(description) = &entry.description {
        annotations.insert(oci::DESCRIPTION_ANNOTATION.to_string(), description.clone());
    }
    let mut source = Source::open(location, fetcher)?;
    let artifact = oci::Push {
        name: entry.name.as_str(),
        tag: &entry.version,
        layer: (entry.sha256, measured.size),
        // The types as the bytes just read have them (as publish does),
        // not as the index claims.
        types: measured.types(),
        annotations,
        next: &mut || Ok(source.next_chunk()?.map(<[u8]>::to_vec).unwrap_or_default()),
    };
    oci::push_artifact(fetcher, &target.host, repository, artifact)
}

/// The entry's bundle checked with the trust root's policy, when that
/// covers the entry, before it is pushed.
fn checked_bundle(
    entry: &Entry,
    bundle: Option<&SourceBundle>,
    trust: Option<&TrustRoot>,
) -> Result<()> {
    match (covering(trust, entry), bundle) {
        (Some(check), Some(bundle)) => check
            .verify(&entry.sha256, &bundle.json)
            .map(|_| ())
            .map_err(|refusal| {
                refusal.unverified(format!("{} {}", entry.name, entry.version), &bundle.shown)
            }),
        _ => Ok(()),
    }
}

/// An entry's Sigstore bundle as the source has it.
struct SourceBundle {
    json: Vec<u8>,
    /// Where it came from, for messages.
    shown: String,
    /// Held inline by the index, and so copied with it.
    inline: bool,
}

/// The entry's Sigstore bundle: fetched from its location (within
/// `MAX_BUNDLE_BYTES`), inline in the index, or, for an OCI artefact
/// without one, the last bundle attached to its manifest as a referrer.
fn source_bundle(
    entry: &Entry,
    registry: &RegistryRef,
    fetcher: &dyn Fetcher,
) -> Result<Option<SourceBundle>> {
    let location = match &entry.sigstore_bundle {
        Some(SigstoreBundle::Inline(json)) => {
            let json = json.as_bytes().to_vec();
            let shown = format!("inline in the {} {} entry", entry.name, entry.version);
            return Ok(Some(SourceBundle {
                json,
                shown,
                inline: true,
            }));
        }
        Some(SigstoreBundle::Attached { reference, json }) => {
            let (json, shown) = (json.clone(), reference.clone());
            return Ok(Some(SourceBundle {
                json,
                shown,
                inline: false,
            }));
        }
        Some(SigstoreBundle::Location(text)) => location::resolve(text, registry)?,
        // Only install finds a cosign signature tag (`sha256-<hex>.sig`);
        // a mirror does not copy one.
        Some(SigstoreBundle::CosignTag { .. }) => return Ok(None),
        None if oci::is_oci(&entry.artifact) => {
            let artifact = oci::resolve(fetcher, &entry.artifact, Some(&entry.sha256))?;
            let found = oci::referrers::bundles(
                fetcher,
                &artifact.host,
                &artifact.repository,
                &artifact.manifest,
            )?;
            return Ok(found.into_iter().last().map(|b| SourceBundle {
                json: b.json,
                shown: b.reference,
                inline: false,
            }));
        }
        None => return Ok(None),
    };
    let shown = location.display();
    match source::read_all(&location, fetcher, MAX_BUNDLE_BYTES as u64)? {
        Some(json) => Ok(Some(SourceBundle {
            json,
            shown,
            inline: false,
        })),
        None => Err(Error::TooLarge {
            source: shown,
            limit: MAX_BUNDLE_BYTES as u64,
        }),
    }
}

/// How a Sigstore bundle may vouch for `entry` under the trust root, if
/// one may (`TrustRoot::bundle_check`).
fn covering<'t>(trust: Option<&'t TrustRoot>, entry: &Entry) -> Option<BundleCheck<'t>> {
    trust.and_then(|root| root.bundle_check(entry.name.as_str()))
}

/// Checks the entry's bundle with the trust root's policy when it covers
/// the entry (against the entry's digest, which the artefact was checked
/// to have), then writes it into the mirror beside the artefact: at its own
/// relative path when that is safe, else `<name>-<version>.sigstore.json`.
/// Returns that path; none for no bundle or one held inline.
fn place_bundle(
    out: &Path,
    entry: &Entry,
    bundle: Option<SourceBundle>,
    trust: Option<&TrustRoot>,
) -> Result<Option<String>> {
    let Some(bundle) = bundle else {
        return Ok(None);
    };
    checked_bundle(entry, Some(&bundle), trust)?;
    if bundle.inline {
        return Ok(None);
    }
    let field = match &entry.sigstore_bundle {
        Some(SigstoreBundle::Location(given)) => safe_relative(given),
        _ => None,
    }
    .unwrap_or_else(|| format!("{}-{}.sigstore.json", entry.name, entry.version));
    let path = out.join(&field);
    let dir = path.parent().expect("inside the mirror");
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create", &e))?;
    write_file(dir, &path, &bundle.json)?;
    Ok(Some(field))
}

/// Reads the entry's artefact once through its digest, size and (with a
/// trust root) signature checks, into `into` when given (staged, then put
/// in place), else keeping nothing; returns what was measured. A Sigstore bundle
/// the trust root's sigstore.json covers vouches instead of an Ed25519
/// signature (it is checked by `place_bundle`, or before a push); one by
/// an identity of a root.json role counts toward the role's threshold.
fn checked(
    entry: &Entry,
    location: &Location,
    into: Option<&Path>,
    trust: Option<&TrustRoot>,
    max_size: u64,
    fetcher: &dyn Fetcher,
    bundle: Option<&SourceBundle>,
) -> Result<stream::Measured> {
    let claimed = entry.claimed("the registry")?;
    let minisig = entry.minisig_claim(trust, &claimed, &location.display(), "the registry")?;
    let missing = || Error::SignatureMissing {
        artifact: location.display(),
        looked_for: format!("the {} {} entry", entry.name, entry.version),
    };
    // A bundle the trust root's sigstore.json covers vouches alone; one by
    // an identity of a root.json role counts toward its threshold.
    let sigstore = covering(trust, entry).filter(|_| bundle.is_some());
    let vouched = sigstore.as_ref().is_some_and(|check| check.decides);
    let counted = match (&sigstore, bundle) {
        (Some(check), Some(bundle)) if !check.decides => Some(
            check
                .verify(&entry.sha256, &bundle.json)
                .map_err(|refusal| {
                    refusal.unverified(format!("{} {}", entry.name, entry.version), &bundle.shown)
                })?,
        ),
        _ => None,
    };
    let target = match into {
        Some(path) => {
            let dir = path.parent().expect("inside the mirror");
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create", &e))?;
            let name = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some((dir, name))
        }
        None => None,
    };
    let (staged, measured, check, shown) = source::with_retries(|| {
        let mut check = match (vouched, &counted, trust) {
            (false, Some(_), Some(root)) => {
                let check = trust::SignatureCheck::for_plugin(root, entry.name.as_str(), &claimed);
                Some(match &minisig {
                    Some(claim) => check.with_minisig(root, claim)?,
                    None => check,
                })
            }
            (true, _, Some(root)) => {
                trust::check_if_signed(root, entry.name.as_str(), &claimed, minisig.as_ref())?
            }
            _ => trust::check_for(
                trust,
                entry.name.as_str(),
                &claimed,
                minisig.as_ref(),
                missing,
            )?,
        };
        let mut source = Source::open_artifact(location, fetcher)?;
        source.limit(entry.size, max_size)?;
        let mut staged = target
            .as_ref()
            .map(|(dir, name)| Staged::create(dir, name))
            .transpose()?;
        let measured = stream::pump(&mut source, staged.as_mut(), check.as_mut())?;
        Ok((staged, measured, check, source.shown().to_string()))
    })?;
    if measured.sha256 != entry.sha256 {
        return Err(Error::DigestMismatch {
            source: shown,
            expected: entry.sha256.to_hex(),
            actual: measured.sha256.to_hex(),
        });
    }
    if let Some(mut check) = check
        && !vouched
    {
        if let Some(signer) = counted {
            check.count_signer(signer);
        }
        check.finish(&shown)?;
    }
    if let (Some(staged), Some(path)) = (staged, into) {
        staged.persist(path)?;
    }
    Ok(measured)
}

/// The registry to mirror, as a loaded index: an OCI namespace as the index
/// it amounts to (its plugins' semver tags, each pinned to its manifest); a
/// sparse registry as the index of all its plugin files.
fn load_source(registry: &str, fetcher: &dyn Fetcher, policy: Policy<'_>) -> Result<Loaded> {
    if oci::is_oci(registry) {
        return oci::loaded(fetcher, registry);
    }
    let registry = RegistryRef::parse(registry);
    match sparse::is_sparse(&registry) {
        true => load_sparse(&registry, fetcher, policy),
        false => registry::load(&registry, fetcher, policy),
    }
}

/// A local sparse registry as one flat index of every plugin file's
/// entries, as the files wrote them (their relative locations resolve
/// against the registry's root, as those of an `index.json` beside
/// `config.json` would), each file judged as install judges it (its
/// signature, expiry and bin). The index's version is the timestamp's
/// (else the highest file's), its expiry the soonest of theirs. Over http
/// there is no list of the plugins to walk: refused, naming what to do.
fn load_sparse(
    registry: &RegistryRef,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Loaded> {
    sparse::read_config(registry, fetcher)?;
    // Its plugins: a local registry's walked; over http, those its name
    // list names (unsigned, a hint: a name without a file is passed over,
    // and a plugin the list leaves out is not mirrored).
    let names = match registry {
        RegistryRef::File(config) => {
            sparse::local_plugins(config.parent().unwrap_or(Path::new("/")))?
        }
        RegistryRef::Url(_) => {
            sparse::read_names(registry, fetcher)?.ok_or_else(|| Error::InvalidRequest {
                value: registry.shown(),
                reason: "mirroring a sparse registry over http needs the list of its plugins, \
                         and this one publishes no name list (names.json); mirror a local copy \
                         of the registry's directory, or its flat index.json"
                    .into(),
            })?
        }
    };
    let mut plugins = Vec::new();
    let (mut version, mut expires) = (None, None);
    for loaded in sparse::load_plugins(registry, &names, fetcher, policy) {
        let loaded = match loaded {
            Err(Error::UnknownPlugin { .. }) if matches!(registry, RegistryRef::Url(_)) => {
                continue;
            }
            other => other?,
        };
        let tree = crate::registry::index::parse_tree(&loaded.registry.shown(), &loaded.bytes)?;
        plugins.extend(tree["plugins"].as_array().cloned().unwrap_or_default());
        let timestamp = loaded.timestamp.as_deref().map(|t| &t.index);
        version = version.max(timestamp.and_then(|t| t.version).or(loaded.index.version));
        for when in [
            &loaded.index.expires,
            &timestamp.and_then(|t| t.expires.clone()),
        ] {
            expires = sparse_write::sooner(expires.as_deref(), when.as_deref());
        }
    }
    let mut document = json!({"schema_version": SCHEMA_VERSION, "plugins": plugins});
    if let Some(version) = version {
        document["version"] = json!(version);
    }
    if let Some(expires) = expires {
        document["expires"] = json!(expires);
    }
    let mut bytes = serde_json::to_vec_pretty(&document).expect("JSON serializes");
    bytes.push(b'\n');
    Ok(Loaded {
        index: crate::registry::index::parse(&registry.shown(), &bytes)?,
        registry: registry.clone(),
        bytes,
        signature: None,
        signed_by: None,
        trust_checked: policy.trust.is_some(),
        timestamp: None,
    })
}

/// Where an entry's bytes are: an OCI artefact's layer blob (its layer
/// required to be the entry's digest), else as the index names it.
fn source_of(entry: &Entry, registry: &RegistryRef, fetcher: &dyn Fetcher) -> Result<Location> {
    if oci::is_oci(&entry.artifact) {
        let artifact = oci::resolve(fetcher, &entry.artifact, Some(&entry.sha256))?;
        Ok(Location::Registry(artifact.blob_url))
    } else {
        location::resolve(&entry.artifact, registry)
    }
}

fn write_file(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut staged = Staged::create(dir, &name)?;
    staged.write_all(bytes)?;
    staged.persist(path)
}

/// Where a sparse mirror records the version of the source it was made
/// of (its plugin files and timestamp have versions of their own), so that
/// an older source is refused as a flat mirror refuses an older index. Not
/// read by clients: the mirror's own files are what they judge.
const MIRRORED: &str = "mirrored.json";

/// Refuses to replace a mirror made of a source at a version (the
/// mirrored `index.json`'s, or a sparse mirror's record) with an older one.
fn refuse_going_back(index_path: &Path, got: Option<u64>, registry: &RegistryRef) -> Result<()> {
    let Some(got) = got else {
        return Ok(());
    };
    if !crate::sandbox::exists(index_path)? {
        return Ok(());
    }
    let bytes = sandbox::read_at_most(
        index_path,
        crate::limits::MAX_INDEX_BYTES,
        sandbox::Links::Follow,
    )?
    .unwrap_or_default();
    let existing: Option<Value> = serde_json::from_slice(&bytes).ok();
    match existing.and_then(|i| i["version"].as_u64()) {
        Some(seen) if got < seen => Err(Error::IndexRollback {
            registry: registry.shown(),
            seen,
            got,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::source::testing::{Script, ScriptedFetcher};
    use crate::trust::digest::Sha256Digest;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::{Signer, SigningKey};
    use serde_json::json;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[17; 32])
    }

    struct Fx {
        dir: tempfile::TempDir,
        fetcher: ScriptedFetcher,
    }

    impl Fx {
        /// A remote registry at http://r/ with `entries` (name, version,
        /// artifact, bytes), its index signed.
        fn new(entries: &[(&str, &str, &str, &[u8])], version: u64) -> Fx {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("trust")).unwrap();
            std::fs::write(
                dir.path().join("trust/r.pub"),
                STANDARD.encode(key().verifying_key().to_bytes()),
            )
            .unwrap();
            let fx = Fx {
                dir,
                fetcher: ScriptedFetcher::default(),
            };
            fx.publish(entries, version);
            fx
        }

        fn publish(&self, entries: &[(&str, &str, &str, &[u8])], version: u64) {
            let plugins: Vec<Value> = entries
                .iter()
                .map(|(name, v, artifact, bytes)| {
                    let url = if artifact.starts_with("http") {
                        artifact.to_string()
                    } else {
                        format!("http://r/{artifact}")
                    };
                    self.fetcher.serve(
                        &url,
                        Script::Body(bytes.to_vec(), Some(bytes.len() as u64), 7),
                    );
                    json!({"name": name, "version": v, "artifact": artifact,
                           "sha256": Sha256Digest::of(bytes).to_hex(),
                           "signature": STANDARD.encode(key().sign(bytes).to_bytes())})
                })
                .collect();
            let index = serde_json::to_vec(
                &json!({"schema_version": "1", "version": version, "plugins": plugins}),
            )
            .unwrap();
            self.fetcher.serve(
                "http://r/index.json.sig",
                Script::Body(
                    STANDARD.encode(key().sign(&index).to_bytes()).into_bytes(),
                    None,
                    64,
                ),
            );
            self.fetcher
                .serve("http://r/index.json", Script::Body(index, None, 64));
        }

        fn request(&self) -> MirrorRequest {
            let out = self.dir.path().join("mirror");
            std::fs::create_dir_all(&out).unwrap();
            MirrorRequest {
                registry: "http://r/index.json".into(),
                out,
                trust_root: Some(self.dir.path().join("trust")),
                key: None,
                allow_expired: false,
                max_size: 1 << 20,
            }
        }

        fn run(&self) -> Result<MirrorReport> {
            mirror(&self.request(), &self.fetcher)
        }

        fn fetches(&self) -> usize {
            self.fetcher
                .calls()
                .iter()
                .filter(|u| u.ends_with(".wasm"))
                .count()
        }
    }

    #[test]
    fn a_registry_with_relative_paths_is_mirrored_verbatim_with_its_signature() {
        let fx = Fx::new(
            &[
                ("a", "1.0.0", "a-1.0.0.wasm", b"aaa"),
                ("b", "2.0.0", "bin/b.wasm", b"bbb"),
            ],
            1,
        );
        let report = fx.run().unwrap();
        assert!(report.index_verbatim && report.index_signed);
        assert_eq!(report.fetched, ["a 1.0.0", "b 2.0.0"]);
        let out = fx.dir.path().join("mirror");
        assert_eq!(std::fs::read(out.join("bin/b.wasm")).unwrap(), b"bbb");
        // The mirror is a registry that verifies on its own, offline.
        let root = TrustRoot::load(&fx.dir.path().join("trust")).unwrap();
        let policy = Policy {
            trust: Some(&root),
            allow_expired: false,
        };
        let local = registry::load(
            &RegistryRef::File(out.join("index.json")),
            &NoNetwork,
            policy,
        )
        .unwrap();
        assert_eq!(local.signed_by.as_deref(), Some("r"));
        assert_eq!(local.index.plugins.len(), 2);
    }

    #[test]
    fn absolute_urls_are_rewritten_to_relative_paths() {
        let fx = Fx::new(&[("a", "1.0.0", "http://cdn.example/x/a.wasm", b"aaa")], 1);
        let report = fx.run().unwrap();
        assert!(!report.index_verbatim && !report.index_signed);
        let out = fx.dir.path().join("mirror");
        let local = registry::load(
            &RegistryRef::File(out.join("index.json")),
            &NoNetwork,
            Policy::default(),
        )
        .unwrap();
        assert_eq!(local.index.plugins[0].artifact, "a-1.0.0.wasm");
        assert_eq!(std::fs::read(out.join("a-1.0.0.wasm")).unwrap(), b"aaa");
        assert!(!out.join("index.json.sig").exists());
    }

    #[test]
    fn rerunning_fetches_only_what_changed() {
        let fx = Fx::new(
            &[
                ("a", "1.0.0", "a.wasm", b"aaa"),
                ("b", "1.0.0", "b.wasm", b"bbb"),
            ],
            1,
        );
        fx.run().unwrap();
        assert_eq!(fx.fetches(), 2);
        fx.publish(
            &[
                ("a", "1.0.0", "a.wasm", b"aaa"),
                ("b", "1.0.0", "b.wasm", b"bbb"),
                ("c", "1.0.0", "c.wasm", b"ccc"),
            ],
            2,
        );
        let report = fx.run().unwrap();
        assert_eq!(report.fetched, ["c 1.0.0"]);
        assert_eq!(report.kept, ["a 1.0.0", "b 1.0.0"]);
        assert_eq!(fx.fetches(), 3);
    }

    #[test]
    fn a_corrupt_artifact_is_refused_and_not_mirrored() {
        let fx = Fx::new(&[("a", "1.0.0", "a.wasm", b"aaa")], 1);
        fx.fetcher
            .serve("http://r/a.wasm", Script::Body(b"aab".to_vec(), Some(3), 3));
        let err = fx.run().unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
        let out = fx.dir.path().join("mirror");
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            0,
            "nothing may be left behind"
        );
    }

    #[test]
    fn an_older_index_does_not_replace_the_mirror() {
        let fx = Fx::new(&[("a", "1.0.0", "a.wasm", b"aaa")], 5);
        fx.run().unwrap();
        fx.publish(&[("a", "1.0.0", "a.wasm", b"aaa")], 4);
        let err = fx.run().unwrap_err();
        assert!(
            matches!(
                err,
                Error::IndexRollback {
                    seen: 5,
                    got: 4,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn a_copy_kept_from_a_run_without_trust_root_is_checked_by_one_with() {
        let fx = Fx::new(&[("a", "1.0.0", "a.wasm", b"aaa")], 1);
        // The entry is signed by a key the trust root does not hold, and its
        // bytes are already in the mirror (as an earlier run without a trust
        // root would have left them).
        let other = SigningKey::from_bytes(&[99; 32]);
        let index = serde_json::to_vec(&json!({"schema_version": "1", "plugins": [
            {"name": "a", "version": "1.0.0", "artifact": "a.wasm",
             "sha256": Sha256Digest::of(b"aaa").to_hex(),
             "signature": STANDARD.encode(other.sign(b"aaa").to_bytes())}]}))
        .unwrap();
        fx.fetcher.serve(
            "http://r/index.json.sig",
            Script::Body(
                STANDARD.encode(key().sign(&index).to_bytes()).into_bytes(),
                None,
                64,
            ),
        );
        fx.fetcher
            .serve("http://r/index.json", Script::Body(index, None, 64));
        std::fs::write(fx.request().out.join("a.wasm"), b"aaa").unwrap();
        let err = fx.run().unwrap_err();
        assert!(matches!(err, Error::SignatureUntrusted { .. }), "{err:?}");
    }

    #[test]
    fn a_verbatim_index_keeps_the_publisher_signature_even_with_a_key() {
        let fx = Fx::new(&[("a", "1.0.0", "a.wasm", b"aaa")], 1);
        let dir = fx.dir.path().join("keys");
        std::fs::create_dir_all(&dir).unwrap();
        let mine = crate::trust::keys::generate("mirror", &dir).unwrap();
        let mut request = fx.request();
        request.key = Some(PathBuf::from(&mine.key_path));
        let report = mirror(&request, &fx.fetcher).unwrap();
        assert!(report.index_verbatim && report.index_signed);
        let root = TrustRoot::load(&fx.dir.path().join("trust")).unwrap();
        let policy = Policy {
            trust: Some(&root),
            allow_expired: false,
        };
        let local = registry::load(
            &RegistryRef::File(request.out.join("index.json")),
            &NoNetwork,
            policy,
        )
        .unwrap();
        assert_eq!(local.signed_by.as_deref(), Some("r"));
    }

    #[test]
    fn only_plain_relative_paths_are_kept() {
        for ok in ["a.wasm", "bin/a.wasm", "x/y/z.wasm"] {
            assert_eq!(safe_relative(ok).as_deref(), Some(ok));
        }
        for bad in [
            "../a.wasm",
            "/a.wasm",
            "./a.wasm",
            ".hidden/a.wasm",
            "http://x/a.wasm",
            "a%20b.wasm",
            "",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }

    /// The entries of a mirror's index, as (name, version, sha256).
    fn entries(loaded: &Loaded) -> Vec<(String, String, String)> {
        let mut all: Vec<_> = loaded
            .index
            .plugins
            .iter()
            .map(|e| (e.name.to_string(), e.version.clone(), e.sha256.to_hex()))
            .collect();
        all.sort();
        all
    }

    #[test]
    fn flat_to_sparse_to_flat_gives_the_same_entries_each_verified() {
        let fx = Fx::new(
            &[
                ("a", "1.0.0", "a-1.0.0.wasm", b"aaa"),
                ("a", "1.1.0", "https://cdn/a-1.1.0.wasm", b"aa2"),
                ("colmask", "2.0.0", "bin/colmask.wasm", b"ccc"),
            ],
            4,
        );
        let key_path = fx.dir.path().join("index.key");
        let pem = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key(), Default::default())
            .unwrap();
        std::fs::write(&key_path, pem.as_bytes()).unwrap();
        let mut request = fx.request();
        request.out = fx.dir.path().join("sparse/config.json");
        request.key = Some(key_path);
        let report = mirror(&request, &fx.fetcher).unwrap();
        assert_eq!(report.index, request.out.display().to_string());
        assert!(report.index_signed && !report.index_verbatim);
        assert_eq!(report.fetched.len(), 3);
        let sparse = fx.dir.path().join("sparse");
        assert!(sparse.join("co/lm/colmask.sig").exists());
        assert!(sparse.join("timestamp.json.sig").exists());
        assert_eq!(
            std::fs::read(sparse.join("bin/colmask.wasm")).unwrap(),
            b"ccc"
        );

        // Back to a flat index, from the sparse one (walked locally, each
        // file checked under the trust root, its bin included).
        let mut back = fx.request();
        back.registry = request.out.display().to_string();
        back.out = fx.dir.path().join("flat");
        let report = mirror(&back, &NoNetwork).unwrap();
        assert_eq!(report.kept.len() + report.fetched.len(), 3);
        let root = TrustRoot::load(&fx.dir.path().join("trust")).unwrap();
        let policy = Policy {
            trust: Some(&root),
            allow_expired: false,
        };
        let source = registry::load(
            &RegistryRef::parse("http://r/index.json"),
            &fx.fetcher,
            policy,
        )
        .unwrap();
        let flat = RegistryRef::File(fx.dir.path().join("flat/index.json"));
        let flat = registry::load(&flat, &NoNetwork, Policy::default()).unwrap();
        assert_eq!(entries(&flat), entries(&source));
        // The generation's version carries over as the index's.
        assert_eq!(flat.index.version, Some(4));

        // An older source is refused into the sparse mirror, as into a flat
        // one, though its files have versions of their own.
        fx.publish(&[("a", "1.0.0", "a-1.0.0.wasm", b"aaa")], 3);
        let err = mirror(&request, &fx.fetcher).unwrap_err();
        assert!(
            matches!(
                err,
                Error::IndexRollback {
                    seen: 4,
                    got: 3,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(sparse.join("co/lm/colmask").exists());
    }

    #[test]
    fn a_name_no_plugin_file_can_have_refuses_a_sparse_mirror_before_any_fetch() {
        let fx = Fx::new(
            &[
                ("ok", "1.0.0", "ok.wasm", b"ok"),
                ("ab..c", "1.0.0", "abc.wasm", b"abc"),
            ],
            1,
        );
        let mut request = fx.request();
        request.out = fx.dir.path().join("sparse/config.json");
        let err = mirror(&request, &fx.fetcher).unwrap_err();
        assert!(
            matches!(err, Error::InvalidName { ref reason, .. } if reason.contains("'..'")),
            "{err:?}"
        );
        assert_eq!(fx.fetches(), 0);
    }

    #[test]
    fn a_sparse_registry_over_http_without_a_name_list_is_refused_naming_what_to_do() {
        let fx = Fx::new(&[("a", "1.0.0", "a-1.0.0.wasm", b"aaa")], 1);
        fx.fetcher.serve(
            "http://r/sparse/config.json",
            Script::Body(br#"{"schema_version": "1"}"#.to_vec(), None, 64),
        );
        let mut request = fx.request();
        request.registry = "http://r/sparse/config.json".into();
        let err = mirror(&request, &fx.fetcher).unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { ref reason, .. } if reason.contains("no name list") && reason.contains("local copy")),
            "{err:?}"
        );
    }
}
