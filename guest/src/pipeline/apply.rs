//! Performing a plan: the act half of "decide, then act". Nothing here
//! chooses a version or weighs what is installed against what is offered;
//! what it still judges is what only the bytes can tell (the installed
//! copy's fit and imports for a kept plugin; the digest, signature, world
//! and imports of the fetched one).

use super::plan::{Keep, NewRequirement, Place, Plan};
use super::{Candidate, Context, InstallAction, InstallReport};
use crate::error::{Error, Result};
use crate::limits::MAX_BUNDLE_BYTES;
use crate::plugins_dir::installed::{self, BundleState, MinisigState, SigState};
use crate::plugins_dir::place;
use crate::plugins_dir::receipt::{self, Receipt};
use crate::plugins_dir::{PluginsDir, seen};
use crate::registry::index::{Entry, SigstoreBundle};
use crate::registry::name::PluginName;
use crate::sandbox;
use crate::transfer::location::{self, Location};
use crate::transfer::source::{self, Source};
use crate::transfer::staged::Staged;
use crate::transfer::stream;
use crate::trust::capabilities::{Capabilities, Unreadable};
use crate::trust::digest::Sha256Digest;
use crate::trust::sigstore::{Check, Signer};
use crate::trust::world::{Reducer, TargetWorld};
use crate::trust::{self, TrustRoot};
use crate::wit::UnfitVersion;
use std::path::{Path, PathBuf};

/// Performs `plan`; `skipped` (the versions passed over so far) is for the
/// refusal of a kept plugin that does not fit the world.
pub(super) fn apply(
    context: &Context<'_>,
    plan: Plan,
    skipped: &[UnfitVersion],
) -> Result<Candidate> {
    match plan {
        Plan::Keep(keep) => keep_installed(context, *keep, skipped).map(done),
        Plan::Place(place) => place_entry(context, *place),
        Plan::Refuse(error) => Err(*error),
        Plan::Skip(unfit) => Ok(Candidate::Unfit(unfit)),
    }
}

fn done(report: InstallReport) -> Candidate {
    Candidate::Done(Box::new(report))
}

/// Judges the installed copy as the plan asks (by its bytes, read once),
/// then writes what the plan says.
fn keep_installed(
    context: &Context<'_>,
    keep: Keep,
    skipped: &[UnfitVersion],
) -> Result<InstallReport> {
    let request = context.request;
    let dest = &request.dest;
    let previous = &keep.previous;
    if keep.judge_world || keep.judge_imports {
        let wasm = PluginsDir::new(dest).wasm(keep.name.as_str());
        let (imports, fit) = read_installed(&wasm, context.world)?;
        let artifact = format!("{} {} (installed)", keep.name, previous.version);
        if let (Some(world), Err(mismatch)) = (context.world, fit) {
            return Err(Error::Incompatible {
                artifact,
                world: world.shown.clone(),
                mismatch,
                skipped: skipped.to_vec(),
            });
        }
        if keep.judge_imports {
            let denied = request.imports.offences(imports.as_deref());
            if !denied.is_empty() {
                return Err(Error::CapabilityDenied { artifact, denied });
            }
        }
    }
    let Some(writes) = keep.writes else {
        return unchanged(dest, &keep.name, previous);
    };
    if writes.record_seen {
        seen::record_seen(dest, context.loaded)?;
    }
    match writes.requirement {
        NewRequirement::Unchanged => {}
        NewRequirement::Unmet(error) => return Err(*error),
        NewRequirement::Record(requirement) => {
            let updated = Receipt {
                requirement,
                ..previous.clone()
            };
            let staged = receipt::stage(dest, &updated)?;
            receipt::commit(dest, &keep.name, staged)?;
        }
    }
    let mut report = unchanged(dest, &keep.name, previous)?;
    // Who vouches for it now, not who did at install: a rotation may have
    // changed the keys or the roles since.
    report.signed_by = writes.signer;
    Ok(report)
}

/// Fetches and checks the entry (an unfit one is passed over unless named
/// exactly), then commits it; a dry run reports what it would place.
fn place_entry(context: &Context<'_>, place: Place) -> Result<Candidate> {
    let installed = place.previous.as_ref().map(|p| p.version.as_str());
    if place.dry_run {
        let report = would_place(&context.request.dest, &place.entry, place.action, installed);
        return Ok(done(report));
    }
    // Fetch and check: stream the bytes through the digest and signature.
    // An OCI blob comes through the registry's API (authenticated);
    // everything else as the index names it.
    let location = match &place.origin {
        Some(_) => Location::Registry(place.entry.artifact.clone()),
        None => location::resolve(&place.entry.artifact, context.registry)?,
    };
    let fetched = match fetch_and_check(context, &place.entry, &location, &place.claimed) {
        Err(Error::Incompatible { mismatch, .. }) if !place.exact => {
            return Ok(Candidate::Unfit(UnfitVersion {
                version: place.entry.version,
                reason: mismatch,
            }));
        }
        fetched => fetched?,
    };
    commit(context, place, fetched).map(done)
}

/// Receipt and state staged first, so that if they cannot be written
/// nothing has been placed; after the plugin only renames remain.
fn commit(context: &Context<'_>, place: Place, fetched: Fetched) -> Result<InstallReport> {
    let request = context.request;
    let dest = &request.dest;
    let entry = &place.entry;
    // The one signature a loader's `.sig` holds: `signature`, else the
    // first readable co-signature.
    let sig_text = place
        .claimed
        .first()
        .map(|c| trust::encode_signature(&c.signature));
    let new_receipt = Receipt {
        name: entry.name.to_string(),
        version: entry.version.clone(),
        sha256: fetched.sha256.to_hex(),
        size: fetched.size,
        signed_by: fetched.signed_by.clone(),
        // The registry as asked for (a sparse registry's, not its plugin
        // file's: `loaded` is that).
        registry: context.registry.shown(),
        // For an OCI artefact, the reference with its manifest digest
        // (repository, tag, digest); the blob URL says less.
        artifact: place.origin.unwrap_or_else(|| fetched.shown.clone()),
        installed_at: crate::clock::now(),
        requirement: place.requirement,
        imports: fetched.capabilities.as_ref().map(|c| c.imports.clone()),
        exports: fetched.capabilities.as_ref().map(|c| c.exports.clone()),
        cosign_signature: match &entry.sigstore_bundle {
            Some(SigstoreBundle::CosignTag { reference, .. }) => Some(reference.clone()),
            _ => None,
        },
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
    let placed = place::commit(
        dest,
        &entry.name,
        fetched.staged,
        sidecar.as_deref(),
        fetched.bundle.as_deref(),
        fetched.minisig.as_deref().map(str::as_bytes),
    )?;
    receipt::commit(dest, &entry.name, staged_receipt)?;
    seen::commit_seen(dest, staged_seen)?;
    let new_imports = match (&place.previous, &new_receipt.imports) {
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
    };
    Ok(InstallReport {
        name: new_receipt.name,
        version: new_receipt.version,
        sha256: new_receipt.sha256,
        size: new_receipt.size,
        source: new_receipt.artifact,
        wasm_path: placed.wasm_path.display().to_string(),
        sig_path: placed.sig_path.map(|p| p.display().to_string()),
        bundle_path: placed.bundle_path.map(|p| p.display().to_string()),
        signed_by: fetched.signed_by,
        action: place.action,
        previous_version: place.previous.map(|p| p.version),
        new_imports,
        imports: new_receipt.imports,
        exports: new_receipt.exports,
        skipped: Vec::new(),
    })
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

/// An artefact fetched into a temp file and checked.
struct Fetched {
    staged: Staged,
    sha256: Sha256Digest,
    size: u64,
    signed_by: Option<String>,
    /// The signature that verified, for the `.sig` sidecar.
    sidecar: Option<ed25519_dalek::Signature>,
    /// The Sigstore bundle that verified, for the `.sigstore.json` sidecar.
    bundle: Option<Vec<u8>>,
    /// The minisign signature that verified, for the `.minisig` sidecar.
    minisig: Option<String>,
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
    let name = entry.name.as_str();
    let minisig = entry.minisig_claim(
        context.trust,
        claimed,
        &location.display(),
        &context.loaded.index.path,
    )?;
    // With a trust root that lets a Sigstore bundle vouch for the plugin
    // (its sigstore.json, or identities in its root.json roles), the
    // entry's bundle (read before the artefact) must verify when given.
    let sigstore = context.trust.and_then(|root| root.bundle_check(name));
    let bundle = match (&sigstore, &entry.sigstore_bundle) {
        (Some(_), Some(given)) => Some(read_bundle(context, entry, given)?),
        _ => None,
    };
    // The Ed25519 check: required without a bundle (fail before fetching
    // when it is absent); beside one, optional where sigstore.json decides
    // and always made where root.json's thresholds count the bundle.
    let signature_check = || match (&sigstore, &bundle, context.trust) {
        (Some(check), Some(_), Some(root)) if !check.decides => {
            let check = trust::SignatureCheck::for_plugin(root, name, claimed);
            Ok(Some(match &minisig {
                Some(claim) => check.with_minisig(root, claim)?,
                None => check,
            }))
        }
        (Some(_), Some(_), Some(root)) => {
            trust::check_if_signed(root, name, claimed, minisig.as_ref())
        }
        _ => trust::check_for(context.trust, name, claimed, minisig.as_ref(), missing),
    };
    signature_check()?;
    let (staged, measured, check, reducer, shown) = source::with_retries(|| {
        let mut check = signature_check()?;
        let mut source = Source::open_artifact(location, context.fetcher)?;
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
    let vouched = vouched(sigstore, bundle, check, &measured.sha256, &shown, missing)?;
    judge_types(context, entry, &measured.capabilities, reducer)?;
    Ok(Fetched {
        staged,
        sha256: measured.sha256,
        size: measured.size,
        // The entry's text, as published: what `minisign -V` reads.
        minisig: entry
            .minisig
            .clone()
            .filter(|_| vouched.verified && minisig.is_some()),
        signed_by: vouched.signed_by,
        sidecar: vouched.sidecar,
        bundle: vouched.bundle,
        capabilities: measured.capabilities.ok(),
        shown,
    })
}

/// Who vouched for bytes that hashed to their entry's digest, and what of
/// it is placed beside them.
struct Vouched {
    signed_by: Option<String>,
    /// The Ed25519 signature that verified, for the `.sig` sidecar.
    sidecar: Option<ed25519_dalek::Signature>,
    /// The Sigstore bundle that verified, for the `.sigstore.json` sidecar.
    bundle: Option<Vec<u8>>,
    /// The signature check verified (with a minisign signature, if the
    /// entry has one).
    verified: bool,
}

/// Finishes the checks over the streamed bytes: with a bundle the trust
/// root lets vouch, the bundle (deciding alone where sigstore.json covers
/// the plugin, else counting toward root.json's thresholds); otherwise the
/// Ed25519 and minisign signatures.
fn vouched(
    sigstore: Option<trust::BundleCheck<'_>>,
    bundle: Option<Given>,
    check: Option<trust::SignatureCheck>,
    sha256: &Sha256Digest,
    shown: &str,
    missing: impl Fn() -> Error,
) -> Result<Vouched> {
    Ok(match (sigstore, bundle) {
        (Some(sigstore), Some(given)) => {
            // A cosign signature tag verified for the manifest, whose layer
            // digest the bytes were just checked against; nothing to place.
            let (signer, bundle) = match given {
                Given::Verified(signer) => (signer, None),
                Given::Bundle(bundle, bundle_shown) => {
                    let signer = sigstore.verify(sha256, &bundle).map_err(|refusal| {
                        Error::SigstoreUnverified {
                            artifact: shown.to_string(),
                            bundle: bundle_shown,
                            check: refusal.check.name().to_string(),
                            reason: refusal.to_string(),
                        }
                    })?;
                    (signer, Some(bundle))
                }
            };
            let (signed_by, verified) = match (sigstore.decides, check) {
                // The bundle decides: it verified (whatever the Ed25519
                // signature says; the `.sig` keeps one only if it did). A
                // minisign signature given must verify all the same.
                (true, check) => {
                    let verified = match check.map(|c| c.finish(shown)) {
                        Some(Err(refused @ Error::MinisignUnverified { .. })) => {
                            return Err(refused);
                        }
                        Some(verified) => verified.ok(),
                        None => None,
                    };
                    (signer.to_string(), verified)
                }
                // Its identity counts toward root.json's thresholds (the
                // check is always made for such a bundle, above).
                (false, check) => {
                    let mut check = check.ok_or_else(missing)?;
                    check.count_signer(signer);
                    let verified = check.finish(shown)?;
                    (verified.signers.clone(), Some(verified))
                }
            };
            Vouched {
                signed_by: Some(signed_by),
                sidecar: verified.as_ref().and_then(|v| v.signature),
                bundle,
                verified: verified.is_some(),
            }
        }
        _ => {
            let verified = check.map(|c| c.finish(shown)).transpose()?;
            let (signed_by, sidecar) = verified.map(|v| (v.signers, v.signature)).unzip();
            Vouched {
                verified: signed_by.is_some(),
                signed_by,
                sidecar: sidecar.flatten(),
                bundle: None,
            }
        }
    })
}

/// What the bytes are and may do, judged before anything is placed (the
/// temp file goes with the staged file on the way out): as the index
/// describes them; fitting the world (an unfit version is passed over, so
/// before the policy judges it); within the policy.
fn judge_types(
    context: &Context<'_>,
    entry: &Entry,
    capabilities: &std::result::Result<Capabilities, Unreadable>,
    reducer: Option<Reducer>,
) -> Result<()> {
    let artifact = format!("{} {}", entry.name, entry.version);
    if let Some(reason) = misdescribed(entry, capabilities.as_ref()) {
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
    let imports = capabilities.as_ref().map(|c| c.imports.as_slice());
    let denied = context.request.imports.offences(imports);
    if !denied.is_empty() {
        return Err(Error::CapabilityDenied { artifact, denied });
    }
    Ok(())
}

/// What vouches for an entry beside (or instead of) its signatures.
enum Given {
    /// A Sigstore bundle for the bytes, and how to name it in messages.
    Bundle(Vec<u8>, String),
    /// A signer verified already (a cosign signature tag, for the manifest).
    Verified(Signer),
}

/// The entry's Sigstore bundle, read whole (at most `MAX_BUNDLE_BYTES`),
/// and how to name it in messages; or the signer of its cosign tag.
fn read_bundle(context: &Context<'_>, entry: &Entry, given: &SigstoreBundle) -> Result<Given> {
    let location = match given {
        SigstoreBundle::Inline(json) => {
            let shown = format!(
                "inline in the {} {} entry of {}",
                entry.name, entry.version, context.loaded.index.path
            );
            return Ok(Given::Bundle(json.clone().into_bytes(), shown));
        }
        SigstoreBundle::Attached { reference, json } => {
            return Ok(Given::Bundle(json.clone(), reference.clone()));
        }
        SigstoreBundle::CosignTag { signer, .. } => return Ok(Given::Verified(signer.clone())),
        SigstoreBundle::Location(text) => location::resolve(text, context.registry)?,
    };
    let shown = location.display();
    match source::read_all(&location, context.fetcher, MAX_BUNDLE_BYTES as u64)? {
        Some(bytes) => Ok(Given::Bundle(bytes, shown)),
        None => Err(Error::SigstoreUnverified {
            artifact: format!("{} {}", entry.name, entry.version),
            bundle: shown,
            check: Check::BundleTooLarge.name().to_string(),
            reason: format!(
                "{}: over the limit of {MAX_BUNDLE_BYTES} bytes",
                Check::BundleTooLarge.what()
            ),
        }),
    }
}

/// The installed copy, intact: who vouches for it under the trust root
/// now (`None` without one). Checked against the current keys and roles,
/// so after a rotation it may not be who the receipt says signed it.
pub(super) struct Intact {
    pub signer: Option<String>,
}

/// Whether the installed copy is the entry's bytes with the entry's sidecar,
/// and passes the trust root if one is given; `None` when it is not.
pub(super) fn is_intact(
    dest: &Path,
    name: &PluginName,
    entry: &Entry,
    claimed: &[trust::Claimed],
    trust: Option<&TrustRoot>,
) -> Result<Option<Intact>> {
    let on_disk = match installed::inspect(dest, name, trust) {
        Ok(Some(on_disk)) => on_disk,
        // A link or a pipe where the plugin should be: replaced.
        Ok(None) | Err(Error::NotRegularFile { .. }) => return Ok(None),
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
    // When a bundle may vouch for the plugin, its `.sigstore.json` is there
    // (and verifies) exactly when the entry has a bundle.
    let sigstore = trust.and_then(|root| root.bundle_check(name.as_str()));
    let bundle = match &sigstore {
        Some(check) => installed::bundle_state(dest, name, check, &on_disk.sha256)?,
        None => BundleState::Absent,
    };
    // A cosign tag's signature vouches for the manifest (checked just
    // now, before this), not for a file beside the plugin: none is there.
    let cosign_signer = match &entry.sigstore_bundle {
        Some(SigstoreBundle::CosignTag { signer, .. }) => Some(signer.clone()),
        _ => None,
    };
    let bundle_ok = match (&sigstore, &entry.sigstore_bundle, &bundle) {
        (None, _, _) => true,
        (Some(_), Some(SigstoreBundle::CosignTag { .. }), state) => {
            matches!(state, BundleState::Absent)
        }
        (Some(_), Some(_), BundleState::Verified(_)) | (Some(_), None, BundleState::Absent) => true,
        _ => false,
    };
    // With minisign keys in the trust root, its `.minisig` is the entry's
    // `minisig` (and verifies) exactly when the entry has one.
    let minisign_root = trust.filter(|root| !root.minisign.is_empty());
    let minisig = match minisign_root {
        Some(root) => installed::minisig_state(dest, name, root)?,
        None => MinisigState::Absent,
    };
    let minisig_ok = match (minisign_root, &entry.minisig, &minisig) {
        (None, _, _) | (Some(_), None, MinisigState::Absent) => true,
        (Some(_), Some(text), MinisigState::Verified(_, on_disk)) => on_disk.trim() == text.trim(),
        _ => false,
    };
    let bundle_signer = match bundle {
        BundleState::Verified(signer) => Some(signer),
        _ => cosign_signer,
    };
    // Who vouches for it, as install words a signer: the key's label, the
    // Sigstore identity, the minisign key.
    let vouched = match (&on_disk.sig, &bundle_signer, &minisig) {
        (SigState::Verified(label), _, _) => Some(label.clone()),
        (_, Some(signer), _) => Some(signer.to_string()),
        (_, _, MinisigState::Verified(label, _)) => Some(label.clone()),
        _ => None,
    };
    let intact = on_disk.sha256 == entry.sha256
        && sidecar_ok
        && bundle_ok
        && minisig_ok
        && (trust.is_none() || vouched.is_some());
    if !intact {
        return Ok(None);
    }
    let signer = match trust {
        None => None,
        // Where sigstore.json decides, its verified bundle is enough.
        Some(_) if sigstore.is_some_and(|s| s.decides) && bundle_signer.is_some() => {
            bundle_signer.map(|s| s.to_string())
        }
        // root.json's roles say who counts now: a rotation may have raised
        // a threshold, or moved a key to another role.
        Some(root) if root.metadata.is_some() => {
            let wasm = PluginsDir::new(dest)
                .wasm(name.as_str())
                .display()
                .to_string();
            let claim = match (minisign_root, &entry.minisig) {
                (Some(_), Some(text)) => Some(trust::MinisigClaim::parse(text, &wasm, &wasm)?),
                _ => None,
            };
            let roles =
                installed::meets_roles(dest, name, root, claimed, claim.as_ref(), bundle_signer)?;
            match roles {
                Some(signers) => Some(signers),
                None => return Ok(None),
            }
        }
        Some(_) => vouched,
    };
    Ok(Some(Intact { signer }))
}

/// What a dry run reports for an entry it would place: the index's word
/// for digest and size (nothing was fetched, so no signer).
fn would_place(
    dest: &Path,
    entry: &Entry,
    action: InstallAction,
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
        bundle_path: None,
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
    let existing = |path: PathBuf| -> Result<Option<String>> {
        Ok(sandbox::exists(&path)?.then(|| path.display().to_string()))
    };
    let layout = PluginsDir::new(dest);
    let sig_path = existing(layout.sig(name.as_str()))?;
    let bundle_path = existing(layout.bundle(name.as_str()))?;
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
        bundle_path,
        signed_by: previous.signed_by.clone(),
        action: InstallAction::Unchanged,
        previous_version: Some(previous.version.clone()),
        imports: previous.imports.clone(),
        exports: previous.exports.clone(),
        new_imports: Vec::new(),
        skipped: Vec::new(),
    })
}
