//! Deciding what to do about one plugin, with no I/O: the decide half of
//! "decide, then act" (spin's `InstallAction`). Each function here takes
//! what the pipeline has read (the receipt, the index's entry, whether the
//! installed copy is intact) and returns a [`Plan`] that `apply` performs
//! without judging anything again. The decision comes in the stages the
//! pipeline's reads allow: `wanted` (the requirement that stands), `choose`
//! (the version to try, before any artefact or manifest is fetched),
//! `check_pin` (the lock's digest, once an OCI manifest named the bytes),
//! and `plan` (keep, place or refuse, from what is installed).

use super::{InstallAction, InstallRequest, Mode};
use crate::error::{Error, Result};
use crate::plugins_dir::receipt::{self, Receipt};
use crate::registry::index::Entry;
use crate::registry::name::PluginName;
use crate::registry::resolve;
use crate::registry::spec::{PluginSpec, Requirement};
use crate::trust;
use crate::trust::digest::Sha256Digest;
use crate::trust::world::TargetWorld;
use crate::wit::UnfitVersion;
use std::cmp::Ordering;

/// What to do about the version a pass tried.
#[derive(Debug)]
pub(super) enum Plan {
    /// Leave the installed copy, once it is judged (and maybe record).
    Keep(Box<Keep>),
    /// Fetch, check and place an entry.
    Place(Box<Place>),
    /// Refuse, touching nothing.
    Refuse(Box<Error>),
    /// Pass this version over (it does not fit the world): try the next.
    Skip(UnfitVersion),
}

/// A plugin left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Keep {
    /// Its file name (the spec's, or the entry's).
    pub name: PluginName,
    pub previous: Receipt,
    /// Its bytes must fit the world, if there is one.
    pub judge_world: bool,
    /// Its imports must meet the import policy.
    pub judge_imports: bool,
    /// What to write once it passes; `None`: nothing, and the report is the
    /// receipt's word (a dry run, or an upgrade that found nothing newer).
    pub writes: Option<KeepWrites>,
}

/// What keeping a plugin still writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct KeepWrites {
    /// Record the index's version as seen (a plan's job leaves it to the
    /// plan): otherwise a host that is up to date never learns it, and an
    /// older index replayed later would be accepted.
    pub record_seen: bool,
    pub requirement: NewRequirement,
    /// The signer to report: who vouches for the installed copy under the
    /// trust root now (only an install with a trust root re-verifies it;
    /// after a rotation that may not be the receipt's signer).
    pub signer: Option<String>,
}

/// What becomes of the requirement a kept plugin's receipt records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum NewRequirement {
    Unchanged,
    /// Record this one (`None`: none).
    Record(Option<String>),
    /// The given requirement excludes the installed version, and upgrade
    /// never moves down: refused (after the index version is recorded).
    Unmet(Box<Error>),
}

/// An entry to fetch, check and place.
#[derive(Debug)]
pub(super) struct Place {
    pub entry: Entry,
    /// The OCI reference the receipt records, for an OCI artefact.
    pub origin: Option<String>,
    pub claimed: Vec<trust::Claimed>,
    pub action: InstallAction,
    /// What is installed now.
    pub previous: Option<Receipt>,
    /// The requirement the receipt records.
    pub requirement: Option<String>,
    /// Named exactly: a version that turns out not to fit is refused, not
    /// passed over.
    pub exact: bool,
    /// Report what would be placed; fetch and write nothing.
    pub dry_run: bool,
}

/// The requirement a pass works to.
#[derive(Debug, Clone)]
pub(super) struct Wanted {
    /// The requirement the spec gives, as given.
    pub given: Option<String>,
    /// The one that stands, and that a receipt records.
    pub requirement: Option<String>,
    pub parsed: Option<Requirement>,
}

/// The requirement that stands: the one given; for an upgrade without one,
/// the one recorded at install (so `upgrade --all` keeps a `~1.2` install
/// within 1.2). An exact `--version` is a one-off and records none.
pub(super) fn wanted(
    request: &InstallRequest,
    spec: &PluginSpec,
    previous: Option<&Receipt>,
) -> Result<Wanted> {
    let given = spec.requirement.as_ref().map(|r| r.given.clone());
    let requirement = match request.mode {
        _ if request.version.is_some() => None,
        Mode::Install => given.clone(),
        Mode::Upgrade => given
            .clone()
            .or_else(|| previous.and_then(|p| p.requirement.clone())),
    };
    // A given one was checked with the spec; a recorded one that does not
    // parse (edited by hand, written by a newer wasm-plugin) is not read as
    // "any version", which would move the plugin across majors.
    let parsed = match requirement.as_deref() {
        None => None,
        Some(text) => Some(Requirement::parse(text).map_err(|e| {
            Error::InvalidRequest {
                value: receipt::path(&request.dest, &spec.name)
                    .display()
                    .to_string(),
                reason: format!(
                    "its requirement {text:?} does not parse ({e}); `wasm-plugin upgrade \
                     {name}@REQ` records another",
                    name = spec.name
                ),
            }
        })?),
    };
    Ok(Wanted {
        given,
        requirement,
        parsed,
    })
}

/// What a pass knows before it fetches anything.
pub(super) struct Survey<'a> {
    pub request: &'a InstallRequest,
    pub spec: &'a PluginSpec,
    pub wanted: &'a Wanted,
    /// What is installed now (by a receipt that reads).
    pub previous: Option<&'a Receipt>,
    pub world: Option<&'a TargetWorld>,
    /// Versions passed over so far.
    pub skipped: &'a [UnfitVersion],
    /// The version was named exactly.
    pub exact: bool,
}

/// The version to try, or what to do without one.
#[derive(Debug)]
pub(super) enum Step {
    Try(Box<Entry>),
    Done(Plan),
}

/// From the index's answer (`selection`, with the versions skipped set
/// aside): the entry to try, or, before anything is fetched, what to do.
pub(super) fn choose(survey: &Survey<'_>, selection: Result<Entry>) -> Step {
    let skipped = survey.skipped;
    let name = &survey.spec.name;
    // An upgrade that finds nothing (every match withdrawn, or unfit for
    // the world) keeps what is installed, if that still fits, as cargo
    // keeps a locked version. (A plugin gone from the index is an error,
    // unless the world took its versions out of the running.)
    let found_nothing = match &selection {
        Err(Error::UnknownVersion { .. }) => true,
        Err(Error::UnknownPlugin { .. }) => !skipped.is_empty(),
        _ => false,
    };
    let kept = survey
        .previous
        .filter(|p| !skipped.iter().any(|s| s.version == p.version));
    if let Some(previous) = kept
        && found_nothing
        && survey.request.mode == Mode::Upgrade
        && survey.wanted.given.is_none()
    {
        return Step::Done(Plan::Keep(Box::new(Keep {
            name: name.clone(),
            previous: previous.clone(),
            judge_world: survey.world.is_some(),
            judge_imports: false,
            writes: None,
        })));
    }
    match selection {
        Ok(entry) => by_exports(survey, entry),
        Err(e @ (Error::UnknownVersion { .. } | Error::UnknownPlugin { .. }))
            if !skipped.is_empty() =>
        {
            let Some(world) = survey.world else {
                // Only a world skips.
                return Step::Done(Plan::Refuse(Box::new(e)));
            };
            Step::Done(Plan::Refuse(Box::new(Error::Incompatible {
                artifact: match &survey.spec.requirement {
                    Some(r) => format!("{name}@{}", r.given),
                    None => name.to_string(),
                },
                world: world.shown.clone(),
                mismatch: format!("no version of {name} the request allows fits it"),
                skipped: skipped.to_vec(),
            })))
        }
        Err(e) => Step::Done(Plan::Refuse(Box::new(e))),
    }
}

/// A version whose published exports already show it does not fit is
/// passed over without a download (refused when named exactly).
fn by_exports(survey: &Survey<'_>, entry: Entry) -> Step {
    if let (Some(world), Some(exports)) = (survey.world, &entry.exports)
        && let Some(reason) = world.missing_from(exports)
    {
        let reason = format!("{reason} (by its exports in the index)");
        if survey.exact {
            return Step::Done(Plan::Refuse(Box::new(Error::Incompatible {
                artifact: format!("{} {}", entry.name, entry.version),
                world: world.shown.clone(),
                mismatch: reason,
                skipped: Vec::new(),
            })));
        }
        return Step::Done(Plan::Skip(UnfitVersion {
            version: entry.version,
            reason,
        }));
    }
    Step::Try(Box::new(entry))
}

/// The refusal when a lock pins other bytes for the entry's version than
/// the index (or the OCI manifest) names.
pub(super) fn check_pin(pinned: Option<&Sha256Digest>, entry: &Entry, index: &str) -> Option<Plan> {
    let pinned = pinned.filter(|pinned| **pinned != entry.sha256)?;
    Some(Plan::Refuse(Box::new(Error::DigestMismatch {
        source: format!(
            "{} {} in {index} (the lock pins sha256 {}; the registry now serves {})",
            entry.name,
            entry.version,
            pinned.to_hex(),
            entry.sha256.to_hex()
        ),
        expected: pinned.to_hex(),
        actual: entry.sha256.to_hex(),
    })))
}

/// The entry offered, as the pipeline read it.
pub(super) struct Offer {
    pub entry: Entry,
    pub origin: Option<String>,
    pub claimed: Vec<trust::Claimed>,
    /// The installed copy is this entry's bytes, intact, with its sidecar
    /// (and passes the trust root, if any).
    pub current: bool,
    /// A trust root was given.
    pub trusted: bool,
    /// Who vouches for the installed copy under that trust root now, when
    /// it is `current`.
    pub signer: Option<String>,
}

/// Keep, place or refuse the entry `offer` holds, from what is installed.
pub(super) fn plan(survey: &Survey<'_>, offer: Offer) -> Plan {
    let request = survey.request;
    let wanted = survey.wanted;
    let Some(previous) = survey.previous else {
        return place(survey, offer, InstallAction::Installed);
    };
    let decision = decide(
        request.mode,
        Some(&previous.version),
        &offer.entry.version,
        offer.current,
        request.allow_downgrade,
    );
    let action = match decision {
        Decision::Place(action) => action,
        Decision::RefuseDowngrade => {
            return Plan::Refuse(Box::new(Error::DowngradeRefused {
                name: offer.entry.name.to_string(),
                installed: previous.version.clone(),
                requested: offer.entry.version.clone(),
            }));
        }
        Decision::Keep => {
            let writes = (!request.dry_run).then(|| KeepWrites {
                record_seen: !request.planned,
                requirement: new_requirement(survey.spec, wanted, previous),
                signer: offer.signer.filter(|_| offer.current && offer.trusted),
            });
            // A policy and a world are about what is installed: one kept
            // as it is must meet them too.
            return Plan::Keep(Box::new(Keep {
                name: offer.entry.name,
                previous: previous.clone(),
                judge_world: survey.world.is_some(),
                judge_imports: !request.imports.is_empty(),
                writes,
            }));
        }
    };
    place(survey, offer, action)
}

fn place(survey: &Survey<'_>, offer: Offer, action: InstallAction) -> Plan {
    Plan::Place(Box::new(Place {
        entry: offer.entry,
        origin: offer.origin,
        claimed: offer.claimed,
        action,
        previous: survey.previous.cloned(),
        requirement: survey.wanted.requirement.clone(),
        exact: survey.exact,
        dry_run: survey.request.dry_run,
    }))
}

/// `upgrade NAME@REQ` already at the highest match still records the new
/// requirement, if the installed version meets it: upgrade never moves
/// down, so one it does not meet would be a record nothing could honour.
fn new_requirement(spec: &PluginSpec, wanted: &Wanted, previous: &Receipt) -> NewRequirement {
    if let (Some(given), Some(req)) = (&wanted.given, &wanted.parsed) {
        let meets = semver::Version::parse(&previous.version).is_ok_and(|v| req.matches(&v));
        if !meets {
            return NewRequirement::Unmet(Box::new(Error::InvalidRequest {
                value: format!("{}@{given}", spec.name),
                reason: format!(
                    "the installed {} does not satisfy {given}, and upgrade never moves \
                     down; `wasm-plugin install {}@{given} --allow-downgrade` does",
                    previous.version, spec.name
                ),
            }));
        }
    }
    if wanted.given.is_some() && previous.requirement != wanted.requirement {
        return NewRequirement::Record(wanted.requirement.clone());
    }
    NewRequirement::Unchanged
}

/// What to do about one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// Leave what is installed: nothing to write.
    Keep,
    /// The offered version is lower and downgrades were not allowed.
    RefuseDowngrade,
    /// Fetch, check and place it.
    Place(InstallAction),
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
        return Decision::Place(InstallAction::Installed);
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
        Some(Ordering::Less) => Decision::Place(InstallAction::Downgraded),
        _ if installed == offered => Decision::Place(InstallAction::Reinstalled),
        _ => Decision::Place(InstallAction::Upgraded),
    }
}

fn is_semver(version: &str) -> bool {
    semver::Version::parse(version).is_ok()
}

#[cfg(test)]
mod tests;
