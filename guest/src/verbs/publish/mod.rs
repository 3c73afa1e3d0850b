//! `publish`: add a plugin version to a registry index without hand-editing
//! JSON or calling openssl.
//!
//! The index is rewritten through a temp file and a rename, pretty-printed
//! with entries sorted by name then version (semver precedence where both
//! parse), so diffs of a registry under version control stay small. Fields
//! this installer does not know are kept as they are: the index may be read
//! by other tools too. By default the artefact is copied next to the index
//! as `<name>-<version>.wasm` and referenced relatively.
//!
//! Every publish increments the index's `version`, so clients can refuse a
//! rollback to an older index. With a key, the exact bytes written are signed
//! into `index.json.sig`; an index that is signed is never rewritten without
//! a key, since its old signature would no longer match.

mod cargo_package;

use crate::error::{Error, Result};
use crate::registry::RegistryRef;
use crate::registry::index::{self, SCHEMA_VERSION};
use crate::registry::name::PluginName;
use crate::registry::oci::{self, OciRegistry};
use crate::registry::resolve::{self, Selector, compare_versions};
use crate::registry::{sparse, sparse_write};
use crate::sandbox;
use crate::transfer::location::{self, Location};
use crate::transfer::source::{Fetcher, NoNetwork, Source};
use crate::transfer::staged::{Staged, sync_dir};
use crate::transfer::stream::{self, Measured};
use crate::trust;
use crate::trust::digest::Sha256Digest;
use crate::trust::keys;
use crate::wit::{CosignReport, PublishReport, TimestampWritten, YankReport};
use cargo_package::Package;
use semver::Version;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct PublishRequest {
    pub artifact: PathBuf,
    pub registry: PathBuf,
    pub name: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub key: Option<PathBuf>,
    /// The entry's `artifact` field; `None` copies next to the index.
    pub location: Option<String>,
    pub force: bool,
    /// Set the index to expire this many seconds from now.
    pub expires_in: Option<u64>,
    /// A Sigstore bundle made elsewhere for the artefact, to attach.
    pub sigstore_bundle: Option<PathBuf>,
    /// In a sparse registry with freshness files, the new `timestamp.json`
    /// expires this many seconds from now (a day when not given).
    pub timestamp_expires_in: Option<u64>,
}

pub fn publish(request: &PublishRequest) -> Result<PublishReport> {
    // Resolve: what is published, with which key, into which index.
    let (name, version, package) = name_and_version(request)?;
    let registry = &request.registry;
    let registry_dir = registry.parent().unwrap_or(Path::new("/"));
    sandbox::check_granted(registry_dir)?;
    let key = request
        .key
        .as_deref()
        .map(keys::load_signing_key)
        .transpose()?;
    // In a sparse registry, the plugin's own file (artefacts still go
    // beside its config.json, the root they resolve against).
    let document_path = document_of(registry, &name)?;
    let sig_path = index_signature_path(&document_path);
    if key.is_none() && sandbox::exists(&sig_path)? {
        return Err(Error::InvalidRequest {
            value: document_path.display().to_string(),
            reason: format!(
                "the index is signed ({}); pass --key to sign the new index, or remove that file to \
                 publish an unsigned one",
                sig_path.display()
            ),
        });
    }
    let mut document = read_index(&document_path)?;

    // Decide: a new entry or (with force) a replaced one, and where the
    // bytes go.
    let existing = index::plugins_of(&mut document)
        .iter()
        .position(|p| p["name"] == name.as_str() && p["version"] == version.as_str());
    if existing.is_some() && !request.force {
        return Err(Error::EntryExists {
            name: name.to_string(),
            version,
            registry: document_path.display().to_string(),
        });
    }
    let (artifact_field, copy_target) = placement(request, &name, &version, registry_dir)?;
    let bundle_target = bundle_placement(request, &name, &version, registry_dir)?;
    // Credentials in an artefact URL would be published to every reader.
    location::refuse_credentials(&artifact_field)?;
    let mut warnings = version_warnings(&name, &version);
    if let Err(Error::UnsupportedLocation { reason, .. }) =
        location::resolve(&artifact_field, &RegistryRef::File(registry.clone()))
    {
        warnings.push(format!(
            "install cannot fetch the artifact {artifact_field} ({reason}); the entry is written \
             as asked, for other readers"
        ));
    }

    // Fetch and check: one read for the digest and the copy, and for a
    // signature a check that the signed bytes are those.
    let (measured, copy, signature) =
        read_artifact(request, registry_dir, copy_target.as_deref(), key.as_ref())?;
    let bundle = attached_bundle(request, &measured.sha256)?;

    // Commit: the new index (signed when there is a key), then the copy,
    // the index and its signature renamed into place.
    let entry = entry_for(
        request,
        &mut document,
        existing,
        Release {
            name: &name,
            version: &version,
            package: package.as_ref(),
            artifact: &artifact_field,
            measured: &measured,
            signature: signature.as_ref(),
            sigstore_bundle: bundle_target.as_ref().map(|(field, _)| field.as_str()),
        },
    );
    let (text, index_version, index_expires) = updated_index(document, entry, existing, request)?;
    warnings.extend(expired_warning(index_expires.as_deref()));
    let staged_bundle = match (&bundle, &bundle_target) {
        (Some(bytes), Some((field, _))) => {
            let mut staged = Staged::create(registry_dir, field)?;
            staged.write_all(bytes)?;
            Some(staged)
        }
        _ => None,
    };
    let staged_index = StagedIndex::stage(&document_path, &text, key.as_ref())?;
    let generation = Generation {
        name: &name,
        version: index_version,
        sha256: Sha256Digest::of(&text).to_hex(),
        expires_in: request.timestamp_expires_in,
    };
    let staged_generation = stage_generation(registry, generation, key.as_ref())?;
    // A sparse registry's name list gains a new plugin, so `search` finds it.
    let staged_name = sparse_write::stage_name_added(registry, &name)?;
    if let (Some(copy), Some(target)) = (copy, &copy_target) {
        copy.persist(target)?;
    }
    if let (Some(staged), Some((_, target))) = (staged_bundle, &bundle_target) {
        staged.persist(target)?;
    }
    let timestamp = persist_with_generation(staged_index, staged_generation)?;
    if let Some((staged, path)) = staged_name {
        staged.persist(&path)?;
    }

    Ok(PublishReport {
        name: name.to_string(),
        version,
        sha256: measured.sha256.to_hex(),
        size: measured.size,
        artifact: artifact_field,
        copied_to: copy_target.map(|t| t.display().to_string()),
        signed: signature.is_some(),
        registry: document_path.display().to_string(),
        replaced: existing.is_some(),
        index_version,
        index_signed: key.is_some(),
        index_expires,
        version_from: package.map(|p| p.manifest.display().to_string()),
        warnings,
        sigstore_bundle: bundle_target.map(|(_, target)| target.display().to_string()),
        timestamp,
    })
}

/// The warning for an index written already expired (install refuses it).
fn expired_warning(expires: Option<&str>) -> Option<String> {
    let expires = expires?;
    crate::clock::parse(expires)
        .is_ok_and(crate::clock::is_past)
        .then(|| {
            format!(
                "the index expired at {expires}, so install refuses it (without \
                 --allow-expired); publish with --expires-in to renew it"
            )
        })
}

/// Where an attached Sigstore bundle is written: `<name>-<version>.sigstore.json`
/// beside the index (the entry's `sigstore_bundle`, relative), refused when
/// that file exists unless the entry is replaced (`force`).
fn bundle_placement(
    request: &PublishRequest,
    name: &PluginName,
    version: &str,
    registry_dir: &Path,
) -> Result<Option<(String, PathBuf)>> {
    if request.sigstore_bundle.is_none() {
        return Ok(None);
    }
    let field = format!("{name}-{version}.sigstore.json");
    let target = registry_dir.join(&field);
    if sandbox::exists(&target)? && !request.force {
        return Err(Error::AlreadyExists(target.display().to_string()));
    }
    Ok(Some((field, target)))
}

/// The bundle `--sigstore-bundle` names, read whole (within
/// `MAX_BUNDLE_BYTES`) and checked to be a Sigstore bundle for the artefact
/// of SHA-256 `digest` (who signed it is for the installer's trust policy).
fn attached_bundle(request: &PublishRequest, digest: &Sha256Digest) -> Result<Option<Vec<u8>>> {
    use crate::trust::sigstore::{self, Check, MAX_BUNDLE_BYTES, Refusal};
    let Some(path) = &request.sigstore_bundle else {
        return Ok(None);
    };
    let refused = |refusal: Refusal| {
        refusal.unverified(
            request.artifact.display().to_string(),
            path.display().to_string(),
        )
    };
    let bytes = sandbox::read_at_most(path, MAX_BUNDLE_BYTES as u64, sandbox::Links::Follow)?
        .ok_or_else(|| {
            refused(Refusal::new(
                Check::BundleTooLarge,
                format!("over the limit of {MAX_BUNDLE_BYTES} bytes"),
            ))
        })?;
    sigstore::check_for_artefact(&bytes, digest.bytes()).map_err(refused)?;
    Ok(Some(bytes))
}

/// Reads the artefact once: its digest and size, its copy staged beside
/// the index when it is copied, and with a key its signature (checked to be
/// over the bytes read).
fn read_artifact(
    request: &PublishRequest,
    registry_dir: &Path,
    copy_target: Option<&Path>,
    key: Option<&ed25519_dalek::SigningKey>,
) -> Result<(Measured, Option<Staged>, Option<ed25519_dalek::Signature>)> {
    let mut source = Source::open(&Location::File(request.artifact.clone()), &NoNetwork)?;
    let mut copy = copy_target
        .map(|target| Staged::create(registry_dir, &file_name(target)))
        .transpose()?;
    let measured = stream::pump(&mut source, copy.as_mut(), None)?;
    let signature = match key {
        Some(key) => {
            let (signature, signed) = keys::sign_file(key, &request.artifact)?;
            if signed != measured.sha256 {
                return Err(keys::changed_while_read(&request.artifact));
            }
            Some(signature)
        }
        None => None,
    };

    Ok((measured, copy, signature))
}

/// What one release publishes.
struct Release<'a> {
    name: &'a PluginName,
    version: &'a str,
    package: Option<&'a Package>,
    artifact: &'a str,
    measured: &'a Measured,
    signature: Option<&'a ed25519_dalek::Signature>,
    /// The entry's `sigstore_bundle`: the attached bundle's location.
    sigstore_bundle: Option<&'a str>,
}

/// The index entry for `release`. A release without a description keeps
/// the one its plugin was last published with, so the catalog does not
/// lose it version by version; replacing an entry with the same bytes
/// keeps the co-signers' signatures: they still hold, and a threshold may
/// need them.
fn entry_for(
    request: &PublishRequest,
    document: &mut Value,
    existing: Option<usize>,
    release: Release<'_>,
) -> Value {
    let description = request
        .description
        .clone()
        .or_else(|| release.package.and_then(|p| p.description.clone()))
        .or_else(|| last_description(document, release.name));
    let mut entry = new_entry(
        release.name,
        release.version,
        description.as_deref(),
        release.artifact,
        release.measured,
        release.signature,
    );
    if let Some(bundle) = release.sigstore_bundle {
        entry["sigstore_bundle"] = json!(bundle);
    }
    // Replacing an entry with the same bytes keeps the co-signers'
    // signatures and, unless another is attached, its Sigstore bundle:
    // they still hold, and a threshold may need them.
    if let Some(i) = existing {
        let old = &index::plugins_of(document)[i];
        if old["sha256"] == release.measured.sha256.to_hex().as_str() {
            for field in ["signatures", "sigstore_bundle"] {
                if let Some(value) = old.get(field)
                    && entry.get(field).is_none()
                {
                    entry[field] = value.clone();
                }
            }
        }
    }
    entry
}

/// Warnings about a version other than semver: it is published as asked
/// (the loader's format allows any string), but resolution cannot order it.
fn version_warnings(name: &PluginName, version: &str) -> Vec<String> {
    match Version::parse(version) {
        Ok(_) => Vec::new(),
        Err(e) => vec![format!(
            "version '{version}' is not semver ({e}): requirements such as {name}@^1 never \
             match it and it has no order against other versions; only {name}@={version} \
             (or --version {version}) installs it"
        )],
    }
}

/// Marks a published version yanked (or, with `undo`, not yanked).
#[derive(Debug, Clone, Default)]
pub struct YankRequest {
    pub registry: PathBuf,
    pub name: String,
    pub version: String,
    pub undo: bool,
    pub key: Option<PathBuf>,
    /// As `PublishRequest::timestamp_expires_in`.
    pub timestamp_expires_in: Option<u64>,
}

/// `publish --yank NAME@VERSION`: sets the entry's `yanked` (which loaders
/// and older readers ignore), bumps the index version and signs it again,
/// so clients see the change and cannot be rolled back past it. Nothing
/// else in the index changes; the artefact stays, so installs that pin the
/// version exactly (a lock) keep working.
pub fn yank(request: &YankRequest) -> Result<YankReport> {
    // Resolve: the index, the key, the entry.
    let registry = &request.registry;
    let registry_dir = registry.parent().unwrap_or(Path::new("/"));
    sandbox::check_granted(registry_dir)?;
    let name = PluginName::parse(&request.name)?;
    let key = request
        .key
        .as_deref()
        .map(keys::load_signing_key)
        .transpose()?;
    let registry = &document_of(registry, &name)?;
    let sig_path = index_signature_path(registry);
    if key.is_none() && sandbox::exists(&sig_path)? {
        return Err(Error::InvalidRequest {
            value: registry.display().to_string(),
            reason: format!(
                "the index is signed ({}); pass --key to sign it again",
                sig_path.display()
            ),
        });
    }
    if !sandbox::exists(registry)? {
        return Err(Error::Io {
            path: registry.display().to_string(),
            operation: "read",
            message: "no such index: a version can only be yanked from an index that lists it"
                .into(),
        });
    }
    let mut document = read_index(registry)?;
    let shown = registry.display().to_string();
    let entries = index::plugins_of(&mut document);
    let position = entries
        .iter()
        .position(|p| p["name"] == name.as_str() && p["version"] == request.version.as_str())
        .ok_or_else(|| Error::UnknownVersion {
            name: name.to_string(),
            requested: request.version.clone(),
            requirement: false,
            pre_releases: Vec::new(),
            available: entries
                .iter()
                .filter(|p| p["name"] == name.as_str())
                .filter_map(|p| p["version"].as_str().map(str::to_string))
                .collect(),
        })?;

    // Decide: already as asked is nothing to write.
    let entry = &mut index::plugins_of(&mut document)[position];
    let was = entry["yanked"].as_bool().unwrap_or(false);
    let yanked = !request.undo;
    if was == yanked {
        let index_version = document["version"].as_u64().unwrap_or(0);
        return Ok(YankReport {
            name: name.to_string(),
            version: request.version.clone(),
            yanked,
            unchanged: true,
            registry: shown,
            index_version,
            index_signed: sandbox::exists(&sig_path)?,
            timestamp: None,
        });
    }
    match yanked {
        true => entry["yanked"] = json!(true),
        false => {
            if let Some(fields) = entry.as_object_mut() {
                fields.remove("yanked");
            }
        }
    }

    // Commit: the index with its version bumped, signed again; the entries
    // stay in their order (which one is listed first can decide).
    let (text, index_version) = bump_and_serialize(document, &shown, None)?;
    let staged_index = StagedIndex::stage(registry, &text, key.as_ref())?;
    let generation = Generation {
        name: &name,
        version: index_version,
        sha256: Sha256Digest::of(&text).to_hex(),
        expires_in: request.timestamp_expires_in,
    };
    let staged_generation = stage_generation(&request.registry, generation, key.as_ref())?;
    let timestamp = persist_with_generation(staged_index, staged_generation)?;
    Ok(YankReport {
        name: name.to_string(),
        version: request.version.clone(),
        yanked,
        unchanged: false,
        registry: shown,
        index_version,
        index_signed: key.is_some(),
        timestamp,
    })
}

/// Adds a signature to a published entry's `signatures`, for a `root.json`
/// threshold: each publisher signs in turn, offline.
#[derive(Debug, Clone, Default)]
pub struct CosignRequest {
    pub registry: PathBuf,
    pub name: String,
    pub version: String,
    /// The publisher's key, signing the artefact.
    pub key: PathBuf,
    /// The index key, signing the index again (required when it is signed).
    pub index_key: Option<PathBuf>,
}

/// Signs the artefact of `name` `version` (a file the index points to,
/// checked against the entry's digest first) and lists the signature in
/// the entry's `signatures` under the key's id; the entry's `signature`
/// and the others stay. The index version grows and it is signed again.
pub fn cosign(request: &CosignRequest) -> Result<CosignReport> {
    // Resolve: the index, the keys, the entry and its file.
    let registry = &request.registry;
    let registry_dir = registry.parent().unwrap_or(Path::new("/"));
    sandbox::check_granted(registry_dir)?;
    crate::registry::sparse::refuse_rewriting(registry, "cosign")?;
    let name = PluginName::parse(&request.name)?;
    let key = keys::load_signing_key(&request.key)?;
    let index_key = request
        .index_key
        .as_deref()
        .map(keys::load_signing_key)
        .transpose()?;
    let sig_path = index_signature_path(registry);
    if index_key.is_none() && sandbox::exists(&sig_path)? {
        return Err(Error::InvalidRequest {
            value: registry.display().to_string(),
            reason: format!(
                "the index is signed ({}); pass --index-key to sign it again",
                sig_path.display()
            ),
        });
    }
    let shown = registry.display().to_string();
    let bytes = sandbox::read_at_most(
        registry,
        crate::limits::MAX_INDEX_BYTES,
        sandbox::Links::Follow,
    )?
    .ok_or_else(|| Error::IndexInvalid {
        path: shown.clone(),
        problem: "the index is too large".into(),
    })?;
    let parsed = index::parse(&shown, &bytes)?;
    let entry = resolve::select(&parsed, name.as_str(), Selector::Exact(&request.version))?;
    let location = location::resolve(&entry.artifact, &RegistryRef::File(registry.clone()))?;
    let Location::File(artifact) = location else {
        return Err(Error::InvalidRequest {
            value: entry.artifact.clone(),
            reason: "the artefact is remote; co-signing reads a local copy: fetch it next to \
                     the index, or sign it with `wasm-plugin sign` and add the signature by hand"
                .into(),
        });
    };

    // Sign: over the bytes the entry names, and nothing else.
    let (signature, digest) = keys::sign_file(&key, &artifact)?;
    if digest != entry.sha256 {
        return Err(Error::DigestMismatch {
            source: artifact.display().to_string(),
            expected: entry.sha256.to_hex(),
            actual: digest.to_hex(),
        });
    }
    let keyid = crate::trust::metadata::key_id(&key.verifying_key());
    let already = entry.signatures.iter().any(|s| s.keyid == keyid);
    let count = entry.signature.iter().count() + entry.signatures.len();
    if already {
        return Ok(CosignReport {
            name: name.to_string(),
            version: request.version.clone(),
            keyid,
            signatures: count as u32,
            unchanged: true,
            registry: shown,
            index_version: parsed.version.unwrap_or(0),
            index_signed: sandbox::exists(&sig_path)?,
        });
    }

    // Commit: the entry with one more signature, the index bumped and signed.
    let mut document = index::parse_tree(&shown, &bytes)?;
    let raw = index::plugins_of(&mut document)
        .iter_mut()
        .find(|p| p["name"] == name.as_str() && p["version"] == request.version.as_str())
        .expect("selected above");
    let listed = json!({"keyid": keyid, "sig": trust::encode_signature(&signature)});
    match raw.get_mut("signatures").and_then(Value::as_array_mut) {
        Some(list) => list.push(listed),
        None => raw["signatures"] = json!([listed]),
    }
    let (text, index_version) = bump_and_serialize(document, &shown, None)?;
    StagedIndex::stage(registry, &text, index_key.as_ref())?.persist()?;
    Ok(CosignReport {
        name: name.to_string(),
        version: request.version.clone(),
        keyid,
        signatures: (count + 1) as u32,
        unchanged: false,
        registry: shown,
        index_version,
        index_signed: index_key.is_some(),
    })
}

/// A new index text and (with a key) its signature, written to temp files:
/// staged before anything else is placed, so that a failure to write them
/// changes nothing.
struct StagedIndex<'a> {
    registry: &'a Path,
    index: Staged,
    signature: Option<Staged>,
}

impl<'a> StagedIndex<'a> {
    fn stage(
        registry: &'a Path,
        text: &[u8],
        key: Option<&ed25519_dalek::SigningKey>,
    ) -> Result<StagedIndex<'a>> {
        let dir = registry.parent().unwrap_or(Path::new("/"));
        let mut index = Staged::create(dir, &file_name(registry))?;
        index.write_all(text)?;
        let signature = match key {
            Some(key) => {
                let sig_path = index_signature_path(registry);
                let mut staged = Staged::create(dir, &file_name(&sig_path))?;
                let signature = trust::encode_signature(&keys::sign_bytes(key, text));
                staged.write_all(signature.as_bytes())?;
                Some(staged)
            }
            None => None,
        };
        Ok(StagedIndex {
            registry,
            index,
            signature,
        })
    }

    /// Renames the index into place, then its signature.
    fn persist(self) -> Result<()> {
        self.index.persist(self.registry)?;
        if let Some(staged) = self.signature {
            staged.persist(&index_signature_path(self.registry))?;
        }
        sync_dir(self.registry.parent().unwrap_or(Path::new("/")));
        Ok(())
    }
}

/// Publishes to an OCI registry (`registry` is `oci://HOST/NAMESPACE`):
/// the layer and config blobs (skipping those the registry has), then the
/// manifest under the tag `version`, with the signature annotation when
/// there is a key. An existing tag is replaced only with `force`.
pub fn publish_oci(request: &PublishRequest, fetcher: &dyn Fetcher) -> Result<PublishReport> {
    // Resolve: what goes where, refused before anything is sent.
    let (name, version, package) = name_and_version(request)?;
    let warnings = version_warnings(&name, &version);
    let target = request.registry.display().to_string();
    let registry = OciRegistry::parse(&target)?;
    let refuse = |reason: &str| Error::InvalidRequest {
        value: target.clone(),
        reason: reason.to_string(),
    };
    if request.location.is_some() || request.expires_in.is_some() {
        return Err(refuse(
            "--artifact and --expires-in are for index registries",
        ));
    }
    if version.contains('+') {
        return Err(refuse(
            "OCI tags cannot hold semver build metadata ('+'); publish without it",
        ));
    }
    let key = request
        .key
        .as_deref()
        .map(keys::load_signing_key)
        .transpose()?;
    let repository = registry.repository(name.as_str());
    let exists = oci::has_tag(fetcher, &registry.host, &repository, &version)?;
    if exists && !request.force {
        return Err(Error::EntryExists {
            name: name.to_string(),
            version,
            registry: target,
        });
    }

    // Measure and sign: one read for the digest, one for the signature
    // (which must be over the same bytes).
    let open = || Source::open(&Location::File(request.artifact.clone()), &NoNetwork);
    let measured = stream::pump(&mut open()?, None, None)?;
    let signature = match &key {
        Some(key) => {
            let (signature, signed) = keys::sign_file(key, &request.artifact)?;
            if signed != measured.sha256 {
                return Err(keys::changed_while_read(&request.artifact));
            }
            Some(trust::encode_signature(&signature))
        }
        None => None,
    };
    let bundle = attached_bundle(request, &measured.sha256)?;

    // Push: the blobs, then the manifest that names them, then the bundle
    // as its referrer.
    let mut annotations = BTreeMap::new();
    if let Some(signature) = &signature {
        annotations.insert(oci::SIGNATURE_ANNOTATION.to_string(), signature.clone());
    }
    let description = request
        .description
        .clone()
        .or_else(|| package.as_ref().and_then(|p| p.description.clone()));
    if let Some(description) = &description {
        annotations.insert(oci::DESCRIPTION_ANNOTATION.to_string(), description.clone());
    }
    annotations.insert("org.opencontainers.image.version".into(), version.clone());
    let mut layer = open()?;
    let artifact = oci::Push {
        name: name.as_str(),
        tag: &version,
        layer: (measured.sha256, measured.size),
        types: measured.types(),
        annotations,
        next: &mut || Ok(layer.next_chunk()?.map(<[u8]>::to_vec).unwrap_or_default()),
    };
    let (digest, manifest_size) =
        oci::push_artifact(fetcher, &registry.host, &repository, artifact)?;
    let referrer = bundle
        .map(|bundle| {
            oci::referrers::attach(
                fetcher,
                &registry.host,
                &repository,
                (&digest, manifest_size),
                &bundle,
            )
        })
        .transpose()?;

    Ok(PublishReport {
        name: name.to_string(),
        artifact: oci::reference(&registry.host, &repository, &version, &digest),
        version,
        sha256: measured.sha256.to_hex(),
        size: measured.size,
        copied_to: None,
        signed: signature.is_some(),
        registry: target,
        replaced: exists,
        index_version: 0,
        index_signed: false,
        index_expires: None,
        version_from: package.map(|p| p.manifest.display().to_string()),
        warnings,
        sigstore_bundle: referrer,
        timestamp: None,
    })
}

/// The index as it is, validated, as a JSON tree (fields this installer
/// does not know are kept); a new one when there is none.
fn read_index(registry: &Path) -> Result<Value> {
    crate::registry::sparse::refuse_rewriting(registry, "publish")?;
    if !sandbox::exists(registry)? {
        return Ok(json!({"schema_version": SCHEMA_VERSION, "plugins": []}));
    }
    let bytes = sandbox::read_at_most(
        registry,
        crate::limits::MAX_INDEX_BYTES,
        sandbox::Links::Follow,
    )?
    .ok_or_else(|| Error::IndexInvalid {
        path: registry.display().to_string(),
        problem: "the index is too large".into(),
    })?;
    let shown = registry.display().to_string();
    index::parse(&shown, &bytes)?;
    index::parse_tree(&shown, &bytes)
}

/// What the entry's `artifact` says, and where the file is copied to (none
/// when the request names a location, or the file is already in place).
fn placement(
    request: &PublishRequest,
    name: &PluginName,
    version: &str,
    registry_dir: &Path,
) -> Result<(String, Option<PathBuf>)> {
    let (field, target) = match &request.location {
        Some(location) => (location.clone(), None),
        None => {
            let file = format!("{name}-{version}.wasm");
            (file.clone(), Some(registry_dir.join(file)))
        }
    };
    let target = target.filter(|target| *target != request.artifact);
    if let Some(target) = &target
        && sandbox::exists(target)?
        && !request.force
    {
        return Err(Error::AlreadyExists(target.display().to_string()));
    }
    Ok((field, target))
}

/// The index entry for what was measured.
/// The description of the newest published version of `name` that has one.
fn last_description(document: &mut Value, name: &PluginName) -> Option<String> {
    index::plugins_of(document)
        .iter()
        .filter(|p| p["name"] == name.as_str())
        .filter_map(|p| Some((p["version"].as_str()?, p["description"].as_str()?)))
        .max_by(|(a, _), (b, _)| compare_versions(a, b).unwrap_or(Ordering::Equal))
        .map(|(_, description)| description.to_string())
}

fn new_entry(
    name: &PluginName,
    version: &str,
    description: Option<&str>,
    artifact: &str,
    measured: &Measured,
    signature: Option<&ed25519_dalek::Signature>,
) -> Value {
    let mut entry = Map::new();
    entry.insert("name".into(), json!(name.as_str()));
    entry.insert("version".into(), json!(version));
    if let Some(description) = description {
        entry.insert("description".into(), json!(description));
    }
    entry.insert("artifact".into(), json!(artifact));
    entry.insert("sha256".into(), json!(measured.sha256.to_hex()));
    // Its length, as measured: `info` and a dry run show it without a
    // download, and install refuses a body of any other length.
    entry.insert("size".into(), json!(measured.size));
    if let Some(signature) = signature {
        entry.insert(
            "signature".into(),
            json!(trust::encode_signature(signature)),
        );
    }
    // What the bytes import and export, as read while they were hashed: a
    // runtime's world is judged on them without a download (and install
    // refuses bytes that differ from them).
    if let Ok(capabilities) = &measured.capabilities {
        entry.insert("imports".into(), json!(capabilities.imports));
        entry.insert("exports".into(), json!(capabilities.exports));
    }
    Value::Object(entry)
}

/// The index with `entry` added (or in place of entry `existing`), sorted,
/// its `version` bumped and `expires` set as asked: its bytes, checked to be
/// an index this installer reads, and its new version.
fn updated_index(
    mut document: Value,
    entry: Value,
    existing: Option<usize>,
    request: &PublishRequest,
) -> Result<(Vec<u8>, u64, Option<String>)> {
    let shown = request.registry.display().to_string();
    let plugins = index::plugins_of(&mut document);
    match existing {
        Some(i) => plugins[i] = entry,
        None => plugins.push(entry),
    }
    plugins.sort_by(entry_order);
    let (text, version) = bump_and_serialize(document, &shown, request.expires_in)?;
    let expires = index::parse(&shown, &text)?.expires;
    Ok((text, version, expires))
}

/// The index with its `version` one higher (and `expires` reset when
/// asked), as the bytes to write, checked to parse.
fn bump_and_serialize(
    mut document: Value,
    shown: &str,
    expires_in: Option<u64>,
) -> Result<(Vec<u8>, u64)> {
    let index_version = document["version"]
        .as_u64()
        .unwrap_or(0)
        .checked_add(1)
        .ok_or_else(|| Error::IndexInvalid {
            path: shown.to_string(),
            problem: "its version cannot grow any further".into(),
        })?;
    document["version"] = json!(index_version);
    if let Some(seconds) = expires_in {
        let expires = crate::clock::after(seconds).ok_or_else(|| Error::InvalidRequest {
            value: format!("{seconds}s"),
            reason: "that expiry is past the year 9999".into(),
        })?;
        document["expires"] = json!(expires);
    }
    let mut text = serde_json::to_vec_pretty(&document).expect("JSON serializes");
    text.push(b'\n');
    index::parse(shown, &text)?;
    Ok((text, index_version))
}

/// `<index>.sig`, the detached index signature.
/// The document `publish` and `yank` rewrite for `name`: the index at
/// `registry`, or, when `registry` is a sparse registry's `config.json`,
/// the plugin's own file (its directories made), signed as the index is.
fn document_of(registry: &Path, name: &PluginName) -> Result<PathBuf> {
    let sparse_ref = RegistryRef::File(registry.to_path_buf());
    if !sparse::is_sparse(&sparse_ref) {
        return Ok(registry.to_path_buf());
    }
    sparse::read_config(&sparse_ref, &NoNetwork)?;
    let root = registry.parent().unwrap_or(Path::new("/"));
    let path = root.join(sparse::plugin_path(name)?);
    let dir = path.parent().unwrap_or(root);
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create", &e))?;
    Ok(path)
}

/// A plugin file's new version, for the generation of freshness files
/// that lists it.
struct Generation<'a> {
    name: &'a PluginName,
    version: u64,
    /// Hex SHA-256 of the plugin's new file, which its bin pins.
    sha256: String,
    expires_in: Option<u64>,
}

/// In a sparse registry with freshness files (`registry` its
/// `config.json`), their next generation listing the plugin's file at its
/// new version, staged (the timestamp signed with the key: a signed one is
/// not rewritten without it), and the timestamp it will write. `None` for
/// any other registry.
fn stage_generation(
    registry: &Path,
    generation: Generation<'_>,
    key: Option<&ed25519_dalek::SigningKey>,
) -> Result<Option<(sparse_write::StagedGeneration, TimestampWritten)>> {
    if !sparse::is_sparse(&RegistryRef::File(registry.to_path_buf())) {
        return Ok(None);
    }
    let root = registry.parent().unwrap_or(Path::new("/"));
    let timestamp_sig = sparse_write::signature_path(&root.join(sparse::TIMESTAMP));
    if key.is_none() && sandbox::exists(&timestamp_sig)? {
        return Err(Error::InvalidRequest {
            value: registry.display().to_string(),
            reason: format!(
                "its timestamp.json is signed ({}); pass --key to sign the new one",
                timestamp_sig.display()
            ),
        });
    }
    let expires = sparse_write::timestamp_expiry(generation.expires_in)?;
    let pinned = sparse::Pinned {
        version: generation.version,
        sha256: generation.sha256,
    };
    let next = sparse_write::next_generation(root, generation.name, pinned, &expires)?;
    let Some((version, files)) = next else {
        return Ok(None);
    };
    let written = TimestampWritten {
        path: root.join(sparse::TIMESTAMP).display().to_string(),
        version,
        expires,
    };
    Ok(Some((
        sparse_write::StagedGeneration::stage(&files, key)?,
        written,
    )))
}

/// The plugin's file (or the index) in place, and around it the
/// generation of freshness files that lists it: the bins and snapshot
/// first (new names no client reads yet), the timestamp that names them
/// last. A client reading in between sees the new file against the old
/// timestamp's bin and refuses it as stale; it reads again later.
fn persist_with_generation(
    index: StagedIndex<'_>,
    generation: Option<(sparse_write::StagedGeneration, TimestampWritten)>,
) -> Result<Option<TimestampWritten>> {
    let Some((generation, written)) = generation else {
        index.persist()?;
        return Ok(None);
    };
    let timestamp = generation.persist_pinned()?;
    index.persist()?;
    timestamp.persist()?;
    Ok(Some(written))
}

fn index_signature_path(registry: &Path) -> PathBuf {
    let mut name = registry.as_os_str().to_os_string();
    name.push(".sig");
    PathBuf::from(name)
}

/// The name and version to publish under: given, or read off a file named
/// `<name>-<semver>.wasm`, or (name only) the file stem.
/// The name and version published, and the package they were read from
/// when the file name carries no version: `--version`, else the file name
/// (`colmask-1.2.0.wasm`), else the crate that built it.
fn name_and_version(request: &PublishRequest) -> Result<(PluginName, String, Option<Package>)> {
    let stem = request
        .artifact
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let from_stem = split_version(&stem);
    let name = match (&request.name, &from_stem) {
        (Some(name), _) => name.clone(),
        (None, Some((name, _))) => name.to_string(),
        (None, None) => stem.clone(),
    };
    let name = PluginName::parse(&name)?;
    let (version, package) = match (&request.version, from_stem) {
        (Some(version), _) => (version.trim().to_string(), None),
        (None, Some((_, version))) => (version.to_string(), None),
        (None, None) => match cargo_package::find(&request.artifact)? {
            Some(package) => (package.version.clone(), Some(package)),
            None => {
                return Err(Error::InvalidRequest {
                    value: request.artifact.display().to_string(),
                    reason: "the version cannot be told from the file name (it is not \
                             <name>-<semver>.wasm) nor from the Cargo.toml of a crate that \
                             built it; pass --version"
                        .into(),
                });
            }
        },
    };
    if version.is_empty() {
        return Err(Error::InvalidRequest {
            value: version,
            reason: "the version is empty".into(),
        });
    }
    Ok((name, version, package))
}

/// `colmask-1.2.0` -> (`colmask`, `1.2.0`), at the last `-` followed by a semver.
fn split_version(stem: &str) -> Option<(&str, &str)> {
    stem.char_indices()
        .filter(|(_, c)| *c == '-')
        .map(|(i, _)| (&stem[..i], &stem[i + 1..]))
        .find(|(name, version)| !name.is_empty() && Version::parse(version).is_ok())
}

/// Entries by name, then version: semver precedence where both parse, then
/// the text.
fn entry_order(a: &Value, b: &Value) -> Ordering {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let (va, vb) = (text(a, "version"), text(b, "version"));
    text(a, "name")
        .cmp(&text(b, "name"))
        .then_with(|| compare_versions(&va, &vb).unwrap_or(Ordering::Equal))
        .then_with(|| va.cmp(&vb))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::index::Index;

    fn digest(bytes: &[u8]) -> String {
        crate::trust::digest::Sha256Digest::of(bytes).to_hex()
    }

    struct Fx {
        dir: tempfile::TempDir,
    }

    impl Fx {
        fn new() -> Fx {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("registry")).unwrap();
            std::fs::create_dir_all(dir.path().join("build")).unwrap();
            Fx { dir }
        }

        fn path(&self, rel: &str) -> PathBuf {
            self.dir.path().join(rel)
        }

        fn artifact(&self, file: &str, bytes: &[u8]) -> PathBuf {
            let path = self.path(&format!("build/{file}"));
            std::fs::write(&path, bytes).unwrap();
            path
        }

        fn request(&self, artifact: PathBuf) -> PublishRequest {
            PublishRequest {
                artifact,
                registry: self.path("registry/index.json"),
                ..Default::default()
            }
        }

        fn index(&self) -> Index {
            let bytes = std::fs::read(self.path("registry/index.json")).unwrap();
            index::parse("index.json", &bytes).unwrap()
        }
    }

    #[test]
    fn a_new_index_is_created_with_a_copied_artifact() {
        let fx = Fx::new();
        let mut request = fx.request(fx.artifact("colmask.wasm", b"v1"));
        request.version = Some("1.0.0".into());
        request.description = Some("masks".into());
        let report = publish(&request).unwrap();
        assert_eq!(report.artifact, "colmask-1.0.0.wasm");
        assert_eq!(
            std::fs::read(fx.path("registry/colmask-1.0.0.wasm")).unwrap(),
            b"v1"
        );
        let index = fx.index();
        let entry = &index.plugins[0];
        assert_eq!(
            (entry.name.as_str(), entry.version.as_str()),
            ("colmask", "1.0.0")
        );
        assert_eq!(entry.sha256.to_hex(), digest(b"v1"));
        assert_eq!(entry.size, Some(2), "the size is written, for info");
        assert_eq!(entry.description.as_deref(), Some("masks"));
        assert_eq!(entry.signature, None);
        let text = std::fs::read_to_string(fx.path("registry/index.json")).unwrap();
        assert!(
            text.ends_with("}\n") && text.contains("\n  \"plugins\""),
            "{text}"
        );
    }

    #[test]
    fn name_and_version_are_read_off_the_file_name() {
        let fx = Fx::new();
        let report = publish(&fx.request(fx.artifact("col-mask-0.2.0-beta.1.wasm", b"x"))).unwrap();
        assert_eq!(
            (report.name.as_str(), report.version.as_str()),
            ("col-mask", "0.2.0-beta.1")
        );
        let err = publish(&fx.request(fx.artifact("colmask.wasm", b"x"))).unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { ref reason, .. } if reason.contains("--version"))
        );
    }

    #[test]
    fn a_key_signs_the_entry() {
        let fx = Fx::new();
        let keys = crate::trust::keys::generate("release", &fx.path("build")).unwrap();
        let mut request = fx.request(fx.artifact("colmask-1.0.0.wasm", b"signed bytes"));
        request.key = Some(PathBuf::from(&keys.key_path));
        assert!(publish(&request).unwrap().signed);
        let signature =
            trust::parse_signature(fx.index().plugins[0].signature.as_deref().unwrap()).unwrap();
        let public = trust::parse_public_key(&keys.public_key).unwrap();
        assert!(public.verify_strict(b"signed bytes", &signature).is_ok());
    }

    #[test]
    fn entries_are_sorted_and_unknown_fields_kept() {
        let fx = Fx::new();
        std::fs::write(
            fx.path("registry/index.json"),
            format!(
                r#"{{"schema_version": "1", "generator": "ci", "plugins": [
                {{"name": "zeta", "version": "1.0.0", "artifact": "z.wasm", "sha256": "{}", "homepage": "h"}}]}}"#,
                digest(b"z")
            ),
        )
        .unwrap();
        for (file, bytes) in [
            ("colmask-0.10.0.wasm", b"a"),
            ("colmask-0.9.0.wasm", b"b"),
            ("alpha-2.0.0.wasm", b"c"),
        ] {
            publish(&fx.request(fx.artifact(file, bytes))).unwrap();
        }
        let index = fx.index();
        let order: Vec<(String, String)> = index
            .plugins
            .iter()
            .map(|e| (e.name.to_string(), e.version.clone()))
            .collect();
        assert_eq!(
            order,
            [
                ("alpha".into(), "2.0.0".into()),
                ("colmask".into(), "0.9.0".into()),
                ("colmask".into(), "0.10.0".into()),
                ("zeta".into(), "1.0.0".into())
            ]
        );
        let raw: Value =
            serde_json::from_slice(&std::fs::read(fx.path("registry/index.json")).unwrap())
                .unwrap();
        assert_eq!(raw["generator"], "ci");
        assert_eq!(raw["plugins"][3]["homepage"], "h");
    }

    #[test]
    fn a_release_without_a_description_keeps_the_last_one() {
        let fx = Fx::new();
        let mut first = fx.request(fx.artifact("a-1.0.0.wasm", b"1"));
        first.description = Some("Masks columns".into());
        publish(&first).unwrap();
        publish(&fx.request(fx.artifact("a-1.1.0.wasm", b"2"))).unwrap();
        let mut renamed = fx.request(fx.artifact("a-1.2.0.wasm", b"3"));
        renamed.description = Some("Masks and hashes columns".into());
        publish(&renamed).unwrap();
        publish(&fx.request(fx.artifact("a-1.3.0.wasm", b"4"))).unwrap();
        // Another plugin's description is not taken.
        publish(&fx.request(fx.artifact("b-1.0.0.wasm", b"5"))).unwrap();
        let described: Vec<(String, Option<String>)> = fx
            .index()
            .plugins
            .iter()
            .map(|e| (format!("{} {}", e.name, e.version), e.description.clone()))
            .collect();
        let masks = Some("Masks columns".to_string());
        let hashes = Some("Masks and hashes columns".to_string());
        assert_eq!(
            described,
            [
                ("a 1.0.0".into(), masks.clone()),
                ("a 1.1.0".into(), masks),
                ("a 1.2.0".into(), hashes.clone()),
                ("a 1.3.0".into(), hashes),
                ("b 1.0.0".into(), None),
            ]
        );
    }

    #[test]
    fn each_publish_bumps_the_index_version_and_a_key_signs_the_index() {
        let fx = Fx::new();
        let keys = crate::trust::keys::generate("release", &fx.path("build")).unwrap();
        let first = publish(&fx.request(fx.artifact("a-1.0.0.wasm", b"1"))).unwrap();
        assert_eq!((first.index_version, first.index_signed), (1, false));
        let mut request = fx.request(fx.artifact("a-1.1.0.wasm", b"2"));
        request.key = Some(PathBuf::from(&keys.key_path));
        request.expires_in = Some(86_400);
        let second = publish(&request).unwrap();
        assert_eq!((second.index_version, second.index_signed), (2, true));
        let index = fx.index();
        assert_eq!(index.version, Some(2));
        assert!(!crate::clock::is_past(
            crate::clock::parse(index.expires.as_deref().unwrap()).unwrap()
        ));
        // The signature covers the exact bytes on disk.
        let root_dir = fx.path("trust");
        std::fs::create_dir_all(&root_dir).unwrap();
        std::fs::copy(&keys.pub_path, root_dir.join("release.pub")).unwrap();
        let root = crate::trust::TrustRoot::load(&root_dir).unwrap();
        let policy = crate::registry::Policy {
            trust: Some(&root),
            allow_expired: false,
        };
        let loaded = crate::registry::load(
            &crate::registry::RegistryRef::File(fx.path("registry/index.json")),
            &crate::transfer::source::NoNetwork,
            policy,
        )
        .unwrap();
        assert_eq!(loaded.signed_by.as_deref(), Some("release"));

        // A signed index is not rewritten without a key.
        let before = std::fs::read(fx.path("registry/index.json")).unwrap();
        let err = publish(&fx.request(fx.artifact("a-1.2.0.wasm", b"3"))).unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { ref reason, .. } if reason.contains("--key")),
            "{err:?}"
        );
        assert_eq!(
            std::fs::read(fx.path("registry/index.json")).unwrap(),
            before
        );
    }

    #[test]
    fn an_existing_version_is_refused_unless_forced() {
        let fx = Fx::new();
        publish(&fx.request(fx.artifact("colmask-1.0.0.wasm", b"one"))).unwrap();
        let before = std::fs::read(fx.path("registry/index.json")).unwrap();
        let mut request = fx.request(fx.artifact("colmask-1.0.0.wasm", b"two"));
        let err = publish(&request).unwrap_err();
        assert!(matches!(err, Error::EntryExists { .. }), "{err:?}");
        assert_eq!(
            std::fs::read(fx.path("registry/index.json")).unwrap(),
            before
        );
        assert_eq!(
            std::fs::read(fx.path("registry/colmask-1.0.0.wasm")).unwrap(),
            b"one"
        );
        request.force = true;
        assert!(publish(&request).unwrap().replaced);
        assert_eq!(fx.index().plugins.len(), 1);
        assert_eq!(fx.index().plugins[0].sha256.to_hex(), digest(b"two"));
    }

    #[test]
    fn an_explicit_location_is_written_as_given_and_nothing_copied() {
        let fx = Fx::new();
        let mut request = fx.request(fx.artifact("colmask-1.0.0.wasm", b"x"));
        request.location = Some("http://mirror.example/colmask-1.0.0.wasm".into());
        let report = publish(&request).unwrap();
        assert_eq!(report.copied_to, None);
        assert_eq!(
            fx.index().plugins[0].artifact,
            "http://mirror.example/colmask-1.0.0.wasm"
        );
        assert!(!fx.path("registry/colmask-1.0.0.wasm").exists());
    }

    #[test]
    fn a_malformed_index_is_left_alone() {
        let fx = Fx::new();
        std::fs::write(fx.path("registry/index.json"), "{ broken").unwrap();
        let err = publish(&fx.request(fx.artifact("colmask-1.0.0.wasm", b"x"))).unwrap_err();
        assert!(matches!(err, Error::IndexMalformed { .. }));
        assert_eq!(
            std::fs::read_to_string(fx.path("registry/index.json")).unwrap(),
            "{ broken"
        );
        assert!(!fx.path("registry/colmask-1.0.0.wasm").exists());
        let names: Vec<_> = std::fs::read_dir(fx.path("registry")).unwrap().collect();
        assert_eq!(names.len(), 1, "a temp file was left");
    }

    const A_TXT: &[u8] =
        include_bytes!("../../../../tests/assets/sigstore-conformance/bundle-verify/a.txt");
    const BUNDLE: &[u8] = include_bytes!(
        "../../../../tests/assets/sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json"
    );

    #[test]
    fn an_attached_bundle_is_written_beside_the_index_and_named_by_the_entry() {
        let fx = Fx::new();
        let artifact = fx.artifact("colmask-1.0.0.wasm", A_TXT);
        let bundle = fx.artifact("a.sigstore.json", BUNDLE);
        let request = PublishRequest {
            sigstore_bundle: Some(bundle.clone()),
            ..fx.request(artifact.clone())
        };
        let report = publish(&request).unwrap();
        let written = fx.path("registry/colmask-1.0.0.sigstore.json");
        assert_eq!(report.sigstore_bundle, Some(written.display().to_string()));
        assert_eq!(std::fs::read(&written).unwrap(), BUNDLE);
        assert_eq!(
            fx.index().plugins[0].sigstore_bundle,
            Some(index::SigstoreBundle::Location(
                "colmask-1.0.0.sigstore.json".into()
            ))
        );
        // Published again with the same bytes and no bundle: the entry keeps it.
        let again = PublishRequest {
            force: true,
            ..fx.request(artifact)
        };
        publish(&again).unwrap();
        assert!(fx.index().plugins[0].sigstore_bundle.is_some());
    }

    #[test]
    fn a_bundle_for_other_bytes_or_not_a_bundle_is_refused_with_nothing_written() {
        for (bytes, check) in [
            (&b"other bytes"[..], "artefact-mismatch"),
            (A_TXT, "bundle-malformed"),
        ] {
            let fx = Fx::new();
            let artifact = fx.artifact("colmask-1.0.0.wasm", bytes);
            let given = if check == "bundle-malformed" {
                fx.artifact("a.sigstore.json", b"{\"mediaType\": 1}")
            } else {
                fx.artifact("a.sigstore.json", BUNDLE)
            };
            let request = PublishRequest {
                sigstore_bundle: Some(given),
                ..fx.request(artifact)
            };
            let e = publish(&request).unwrap_err();
            let Error::SigstoreUnverified { check: found, .. } = &e else {
                panic!("{e:?}")
            };
            assert_eq!(found, check);
            let names: Vec<_> = std::fs::read_dir(fx.path("registry")).unwrap().collect();
            assert!(names.is_empty(), "{names:?}");
        }
    }

    /// A sparse registry with freshness files at `registry/` (generation 1),
    /// made of a flat index listing `a` as the registry wing makes one.
    fn sparse_with_freshness(fx: &Fx) -> PathBuf {
        let flat = json!({"version": 1, "plugins": [
            {"name": "a", "version": "1.0.0", "artifact": "a.wasm", "sha256": digest(b"a")},
        ]});
        let root = fx.path("registry");
        sparse_write::from_index(&flat, &root.join("index.json"), &root, None, None).unwrap();
        root.join(sparse::CONFIG)
    }

    fn load_sparse(config: &Path, name: &str) -> Result<crate::registry::Loaded> {
        sparse::load_plugin(
            &RegistryRef::File(config.to_path_buf()),
            &PluginName::parse(name).unwrap(),
            &NoNetwork,
            crate::registry::Policy::default(),
        )
    }

    #[test]
    fn publish_and_yank_into_a_sparse_registry_write_a_new_generation_of_freshness_files() {
        let fx = Fx::new();
        let config = sparse_with_freshness(&fx);
        let mut request = fx.request(fx.artifact("colmask-1.0.0.wasm", b"v1"));
        request.registry = config.clone();
        request.timestamp_expires_in = Some(3600);
        let report = publish(&request).unwrap();
        let written = report.timestamp.unwrap();
        assert_eq!(written.version, 2);
        assert!(written.path.ends_with("registry/timestamp.json"));
        // Both plugins load through the new timestamp, snapshot and bins.
        let colmask = load_sparse(&config, "colmask").unwrap();
        assert_eq!(colmask.index.version, Some(1));
        let timestamp = colmask.timestamp.unwrap();
        assert_eq!(timestamp.index.version, Some(2));
        let expires = crate::clock::parse(timestamp.index.expires.as_deref().unwrap()).unwrap();
        let hour = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
        assert!(
            (expires - hour).abs() < time::Duration::minutes(1),
            "{expires}"
        );
        assert_eq!(load_sparse(&config, "a").unwrap().index.version, Some(1));
        // The previous generation stays for clients holding its timestamp.
        assert!(fx.path("registry/1.snapshot.json").exists());
        assert!(fx.path("registry/2.snapshot.json").exists());

        let report = yank(&YankRequest {
            registry: config.clone(),
            name: "colmask".into(),
            version: "1.0.0".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(report.index_version, 2);
        assert_eq!(report.timestamp.unwrap().version, 3);
        let colmask = load_sparse(&config, "colmask").unwrap();
        assert!(colmask.index.plugins[0].yanked);
        assert_eq!(colmask.timestamp.unwrap().index.version, Some(3));
    }

    #[test]
    fn a_sparse_publish_over_a_tampered_snapshot_writes_nothing() {
        let fx = Fx::new();
        let config = sparse_with_freshness(&fx);
        let snapshot = fx.path("registry/1.snapshot.json");
        let text = std::fs::read_to_string(&snapshot).unwrap();
        std::fs::write(&snapshot, text.replace("\"version\": 1", "\"version\":  1")).unwrap();
        let listing = |dir: &str| {
            let mut all: Vec<_> = walk(&fx.path(dir));
            all.sort();
            all
        };
        let before = listing("registry");
        let mut request = fx.request(fx.artifact("colmask-1.0.0.wasm", b"v1"));
        request.registry = config.clone();
        let err = publish(&request).unwrap_err();
        assert!(
            matches!(err, Error::IndexUntrusted { ref reason, .. } if reason.contains("SHA-256")),
            "{err:?}"
        );
        // Not a file more or less (temp files included).
        assert_eq!(listing("registry"), before);
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            match path.is_dir() {
                true => all.extend(walk(&path)),
                false => all.push(path),
            }
        }
        all
    }

    #[test]
    fn a_signed_timestamp_is_not_rewritten_without_a_key() {
        let fx = Fx::new();
        let config = sparse_with_freshness(&fx);
        std::fs::write(fx.path("registry/timestamp.json.sig"), "x").unwrap();
        let mut request = fx.request(fx.artifact("colmask-1.0.0.wasm", b"v1"));
        request.registry = config;
        let err = publish(&request).unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { ref reason, .. } if reason.contains("timestamp.json is signed")),
            "{err:?}"
        );
        assert!(!fx.path("registry/2.snapshot.json").exists());
        assert!(!fx.path("registry/colmask-1.0.0.wasm").exists());
    }
}
