//! Choosing one entry of an index. No I/O.
//!
//! With an exact version, the match is the string as published. With a
//! semver requirement, the highest version matching it wins; pre-releases
//! match only a requirement that names one (`^1.0.0-beta`), as in cargo.
//! Without either, the highest version by semver precedence wins (0.10.0 >
//! 0.9.0), and a pre-release only when the plugin has no release at all:
//! publishing a beta must not move everyone who asked for "the latest" onto it
//! (cargo, npm and krew behave the same way). If no version of the plugin
//! parses as semver, the first entry listed is taken, and an unversioned
//! entry (`version` absent, as the existing loader allows) only when the
//! plugin has no versioned entry at all. Build metadata never decides
//! between two versions; the one listed first wins. A yanked version is
//! chosen only when asked for exactly (an exact version, or `=1.2.3`), as
//! cargo does: a lock or a pin keeps working, nothing new lands on it.

use crate::error::{Error, Result};
use crate::registry::index::{Entry, Index};
use crate::registry::name::PluginName;
use crate::registry::spec::Requirement;
use semver::{Prerelease, Version, VersionReq};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Which version of a plugin is wanted.
#[derive(Debug, Clone, Copy)]
pub enum Selector<'a> {
    /// The highest release (or pre-release, if there is no release).
    Highest,
    /// Exactly this version string.
    Exact(&'a str),
    /// The highest version matching a requirement.
    Matching(&'a Requirement),
}

impl<'a> Selector<'a> {
    /// Whether it names one version (an exact version, or `=1.2.3`): what
    /// it names is taken or refused, never passed over for another.
    pub fn is_exact(&self) -> bool {
        match self {
            Selector::Exact(_) => true,
            Selector::Matching(requirement) => pins_exactly(&requirement.req),
            Selector::Highest => false,
        }
    }

    /// `exact` wins over `requirement`; neither means the highest.
    pub fn from_parts(
        exact: Option<&'a str>,
        requirement: Option<&'a Requirement>,
    ) -> Selector<'a> {
        match (exact, requirement) {
            (Some(v), _) => Selector::Exact(v),
            (None, Some(req)) => Selector::Matching(req),
            (None, None) => Selector::Highest,
        }
    }
}

/// The entry for `name` chosen by `selector`.
pub fn select<'a>(index: &'a Index, name: &str, selector: Selector<'_>) -> Result<&'a Entry> {
    // Refuse a hostile name before anything else, even if the index lists it.
    let name = PluginName::parse(name)?;
    let candidates: Vec<&Entry> = index.plugins.iter().filter(|e| e.name == name).collect();
    if candidates.is_empty() {
        let mut available: Vec<String> = index.plugins.iter().map(|e| e.name.to_string()).collect();
        available.sort();
        available.dedup();
        return Err(Error::UnknownPlugin {
            name: name.to_string(),
            registry: index.path.clone(),
            available,
        });
    }
    let not_found =
        |requested: &str, requirement: bool, pre_releases: Vec<String>| Error::UnknownVersion {
            name: name.to_string(),
            requested: requested.to_string(),
            requirement,
            available: versions_newest_first(&candidates),
            pre_releases,
        };
    // What may be chosen without being named exactly.
    let current: Vec<&Entry> = candidates.iter().copied().filter(|e| !e.yanked).collect();
    match selector {
        Selector::Exact(wanted) => candidates
            .iter()
            .find(|e| e.version == wanted)
            .copied()
            .ok_or_else(|| not_found(wanted, false, Vec::new())),
        Selector::Matching(requirement) => match pins_exactly(&requirement.req) {
            true => &candidates,
            false => &current,
        }
        .iter()
        .filter_map(|e| Version::parse(&e.version).ok().map(|v| (*e, v)))
        .filter(|(_, v)| requirement.matches(v))
        .reduce(|best, next| match next.1.cmp_precedence(&best.1) {
            Ordering::Greater => next,
            _ => best,
        })
        .map(|(e, _)| e)
        .ok_or_else(|| {
            let skipped = skipped_pre_releases(&current, &requirement.req);
            not_found(&requirement.given, true, skipped)
        }),
        // Every version yanked: nothing was typed, so no requirement is
        // reported; `available` (empty) says the rest.
        Selector::Highest => {
            highest_current(&candidates).ok_or_else(|| not_found("", false, Vec::new()))
        }
    }
}

/// For each entry of `index`, in order, whether it is the one `install
/// NAME` takes (`select` with `Selector::Highest`): what `list --latest`,
/// `search` and `info` mark. The entries are grouped by name in one pass
/// and each name resolved once, so the cost grows with the index, not with
/// its square (asking `select` per entry read the whole index again for
/// each: a 90,000-entry index took over a minute).
pub fn chosen_by_default(index: &Index) -> Vec<bool> {
    mark_chosen(index, highest_current)
}

/// `chosen_by_default` with the per-name choice given, so a test can count
/// what it is asked.
fn mark_chosen<'a>(
    index: &'a Index,
    mut choose: impl FnMut(&[&'a Entry]) -> Option<&'a Entry>,
) -> Vec<bool> {
    let mut by_name: HashMap<&str, Vec<&'a Entry>> = HashMap::new();
    for e in &index.plugins {
        by_name.entry(e.name.as_str()).or_default().push(e);
    }
    let chosen: HashMap<&str, &str> = by_name
        .iter()
        .filter_map(|(name, entries)| Some((*name, choose(entries)?.version.as_str())))
        .collect();
    index
        .plugins
        .iter()
        .map(|e| chosen.get(e.name.as_str()) == Some(&e.version.as_str()))
        .collect()
}

/// What `Selector::Highest` takes among one plugin's entries: the highest
/// that is not yanked; `None` when every one is.
fn highest_current<'a>(candidates: &[&'a Entry]) -> Option<&'a Entry> {
    let current: Vec<&Entry> = candidates.iter().copied().filter(|e| !e.yanked).collect();
    (!current.is_empty()).then(|| highest(&current))
}

/// Pre-releases `req` would match were they releases (`2.0.0-beta.1` for
/// `^2`): semver leaves them out unless the requirement names one, which
/// surprises whoever published only a beta. Newest first.
fn skipped_pre_releases(candidates: &[&Entry], req: &VersionReq) -> Vec<String> {
    let mut skipped: Vec<(Version, String)> = candidates
        .iter()
        .filter_map(|e| Some((Version::parse(&e.version).ok()?, e.version.clone())))
        .filter(|(v, _)| !v.pre.is_empty() && !req.matches(v))
        .filter(|(v, _)| {
            req.matches(&Version {
                pre: Prerelease::EMPTY,
                ..v.clone()
            })
        })
        .collect();
    skipped.sort_by(|a, b| b.0.cmp_precedence(&a.0));
    skipped.into_iter().map(|(_, text)| text).collect()
}

/// Whether `req` names one version exactly (`=1.2.3`): the one way, with
/// an exact version, to choose a yanked release.
fn pins_exactly(req: &VersionReq) -> bool {
    matches!(req.comparators.as_slice(),
        [c] if c.op == semver::Op::Exact && c.minor.is_some() && c.patch.is_some())
}

/// `a` compared with `b` by semver precedence; `None` when either is not
/// semver (such versions have no order).
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    Some(
        Version::parse(a)
            .ok()?
            .cmp_precedence(&Version::parse(b).ok()?),
    )
}

fn highest<'a>(candidates: &[&'a Entry]) -> &'a Entry {
    let parsed: Vec<(&Entry, Version)> = candidates
        .iter()
        .filter_map(|e| Version::parse(&e.version).ok().map(|v| (*e, v)))
        .collect();
    let has_release = parsed.iter().any(|(_, v)| v.pre.is_empty());
    parsed
        .iter()
        .filter(|(_, v)| !has_release || v.pre.is_empty())
        // `reduce` keeps the first of equals (1.0.0+a vs 1.0.0+b): the order
        // the publisher listed them in decides, not build metadata.
        .reduce(|best, next| match next.1.cmp_precedence(&best.1) {
            Ordering::Greater => next,
            _ => best,
        })
        .map(|(e, _)| *e)
        .or_else(|| candidates.iter().find(|e| !e.version.is_empty()).copied())
        .unwrap_or(candidates[0])
}

/// Versions for an error message: semver ones newest first, then the rest
/// in index order.
fn versions_newest_first(candidates: &[&Entry]) -> Vec<String> {
    let mut semver: Vec<(Version, String)> = Vec::new();
    let mut other = Vec::new();
    // Yanked ones are not offered (`info` shows them); the list stays
    // versions a script can parse.
    for e in candidates.iter().filter(|e| !e.yanked) {
        match Version::parse(&e.version) {
            Ok(v) => semver.push((v, e.version.clone())),
            Err(_) => other.push(e.version.clone()),
        }
    }
    semver.sort_by(|a, b| b.0.cmp_precedence(&a.0));
    semver.into_iter().map(|(_, s)| s).chain(other).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::index;

    #[test]
    fn a_yanked_version_is_chosen_only_when_asked_for_exactly() {
        let text = format!(
            r#"{{"plugins": [
                {{"name": "p", "version": "1.0.0", "artifact": "a", "sha256": "{DIGEST}"}},
                {{"name": "p", "version": "1.1.0", "artifact": "b", "sha256": "{DIGEST}", "yanked": true}}]}}"#
        );
        let index = index::parse("i", text.as_bytes()).unwrap();
        let pick = |selector| select(&index, "p", selector).map(|e| e.version.clone());
        assert_eq!(pick(Selector::Highest).unwrap(), "1.0.0");
        let caret = Requirement::parse("^1").unwrap();
        assert_eq!(pick(Selector::Matching(&caret)).unwrap(), "1.0.0");
        let exact = Requirement::parse("=1.1.0").unwrap();
        assert_eq!(pick(Selector::Matching(&exact)).unwrap(), "1.1.0");
        assert_eq!(pick(Selector::Exact("1.1.0")).unwrap(), "1.1.0");
        let only = Requirement::parse(">=1.1").unwrap();
        match pick(Selector::Matching(&only)).unwrap_err() {
            Error::UnknownVersion { available, .. } => {
                assert_eq!(available, ["1.0.0"])
            }
            e => panic!("{e:?}"),
        }
    }

    const DIGEST: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn index_of(entries: &[(&str, &str)]) -> Index {
        let plugins: Vec<String> = entries
            .iter()
            .map(|(n, v)| {
                format!(r#"{{"name":"{n}","version":"{v}","artifact":"{n}-{v}.wasm","sha256":"{DIGEST}"}}"#)
            })
            .collect();
        let text = format!(
            r#"{{"schema_version":"1","plugins":[{}]}}"#,
            plugins.join(",")
        );
        index::parse("/r/index.json", text.as_bytes()).unwrap()
    }

    fn pick(entries: &[(&str, &str)], name: &str, version: Option<&str>) -> Result<String> {
        let index = index_of(entries);
        select(&index, name, Selector::from_parts(version, None)).map(|e| e.version.clone())
    }

    #[test]
    fn without_a_version_the_highest_semver_wins_not_the_lexically_highest() {
        let entries = [("a", "0.9.0"), ("a", "0.10.0"), ("a", "0.2.0")];
        assert_eq!(pick(&entries, "a", None).unwrap(), "0.10.0");
    }

    #[test]
    fn other_plugins_versions_do_not_interfere() {
        let entries = [("a", "1.0.0"), ("b", "9.0.0"), ("a", "1.1.0")];
        assert_eq!(pick(&entries, "a", None).unwrap(), "1.1.0");
    }

    #[test]
    fn a_release_is_preferred_over_a_higher_prerelease() {
        let entries = [("a", "1.0.0"), ("a", "2.0.0-beta.1"), ("a", "1.0.0-rc.1")];
        assert_eq!(pick(&entries, "a", None).unwrap(), "1.0.0");
    }

    #[test]
    fn with_only_prereleases_the_highest_prerelease_wins() {
        let entries = [
            ("a", "1.0.0-alpha"),
            ("a", "1.0.0-rc.1"),
            ("a", "1.0.0-beta.11"),
        ];
        assert_eq!(pick(&entries, "a", None).unwrap(), "1.0.0-rc.1");
    }

    #[test]
    fn build_metadata_does_not_decide_and_the_first_listed_wins() {
        let entries = [("a", "1.0.0+b"), ("a", "1.0.0+a")];
        assert_eq!(pick(&entries, "a", None).unwrap(), "1.0.0+b");
    }

    #[test]
    fn without_semver_versions_the_first_listed_wins() {
        let entries = [("a", "stable"), ("a", "nightly")];
        assert_eq!(pick(&entries, "a", None).unwrap(), "stable");
    }

    #[test]
    fn an_unversioned_entry_is_chosen_only_when_there_is_no_versioned_one() {
        assert_eq!(
            pick(&[("a", ""), ("a", "0.1.0")], "a", None).unwrap(),
            "0.1.0"
        );
        assert_eq!(
            pick(&[("a", ""), ("a", "stable")], "a", None).unwrap(),
            "stable"
        );
        assert_eq!(pick(&[("b", "1.0.0"), ("a", "")], "a", None).unwrap(), "");
        // A requirement never matches it; asking for "" exactly does.
        let index = index_of(&[("a", "")]);
        let req = Requirement::parse("*").unwrap();
        assert!(select(&index, "a", Selector::Matching(&req)).is_err());
        assert_eq!(
            pick(&[("a", ""), ("a", "1.0.0")], "a", Some("")).unwrap(),
            ""
        );
    }

    #[test]
    fn unversioned_is_unordered() {
        assert_eq!(compare_versions("", "1.0.0"), None);
        assert_eq!(compare_versions("1.0.0", ""), None);
    }

    #[test]
    fn semver_versions_win_over_non_semver_ones() {
        let entries = [("a", "latest"), ("a", "0.1.0")];
        assert_eq!(pick(&entries, "a", None).unwrap(), "0.1.0");
    }

    #[test]
    fn an_exact_version_is_matched_as_written() {
        let entries = [("a", "1.0.0"), ("a", "1.1.0"), ("a", "nightly")];
        assert_eq!(pick(&entries, "a", Some("1.0.0")).unwrap(), "1.0.0");
        assert_eq!(pick(&entries, "a", Some("nightly")).unwrap(), "nightly");
    }

    #[test]
    fn an_unknown_version_lists_the_versions_that_exist_newest_first() {
        let entries = [("a", "0.9.0"), ("a", "nightly"), ("a", "0.10.0")];
        let err = pick(&entries, "a", Some("1.0")).unwrap_err();
        assert_eq!(
            err,
            Error::UnknownVersion {
                name: "a".into(),
                requested: "1.0".into(),
                requirement: false,
                available: vec!["0.10.0".into(), "0.9.0".into(), "nightly".into()],
                pre_releases: vec![],
            }
        );
    }

    fn pick_req(entries: &[(&str, &str)], req: &str) -> Result<String> {
        let index = index_of(entries);
        let req = Requirement::parse(req).unwrap();
        select(&index, "a", Selector::Matching(&req)).map(|e| e.version.clone())
    }

    #[test]
    fn a_requirement_picks_the_highest_match() {
        let entries = [
            ("a", "1.1.0"),
            ("a", "1.10.2"),
            ("a", "2.0.0"),
            ("a", "1.2.0"),
            ("a", "0.3.1"),
        ];
        assert_eq!(pick_req(&entries, "^1.2").unwrap(), "1.10.2");
        assert_eq!(pick_req(&entries, "=0.3.1").unwrap(), "0.3.1");
        assert_eq!(pick_req(&entries, ">=1, <2").unwrap(), "1.10.2");
        assert_eq!(pick_req(&entries, "~1.1").unwrap(), "1.1.0");
        assert_eq!(pick_req(&entries, "*").unwrap(), "2.0.0");
    }

    #[test]
    fn prereleases_match_only_a_requirement_that_names_one() {
        let entries = [
            ("a", "1.0.0"),
            ("a", "1.1.0-beta.2"),
            ("a", "1.1.0-beta.10"),
        ];
        assert_eq!(pick_req(&entries, "^1.0").unwrap(), "1.0.0");
        assert_eq!(
            pick_req(&entries, ">=1.1.0-beta.1").unwrap(),
            "1.1.0-beta.10"
        );
        assert_eq!(pick_req(&entries, "=1.1.0-beta.2").unwrap(), "1.1.0-beta.2");
        let only_pre = [("a", "2.0.0-rc.1")];
        assert!(pick_req(&only_pre, "^2").is_err());
    }

    #[test]
    fn build_metadata_is_ignored_when_matching() {
        let entries = [("a", "1.0.0+linux"), ("a", "1.0.0+mac"), ("a", "0.9.0")];
        assert_eq!(pick_req(&entries, "=1.0.0").unwrap(), "1.0.0+linux");
        assert_eq!(pick_req(&entries, "^1").unwrap(), "1.0.0+linux");
    }

    #[test]
    fn non_semver_versions_never_match_a_requirement() {
        let entries = [("a", "nightly"), ("a", "0.1.0")];
        assert_eq!(pick_req(&entries, "*").unwrap(), "0.1.0");
        let err = pick_req(&[("a", "nightly")], "*").unwrap_err();
        assert!(
            matches!(err, Error::UnknownVersion { requested, requirement: true, .. } if requested == "*")
        );
    }

    #[test]
    fn a_miss_repeats_the_requirement_as_given_and_names_skipped_pre_releases() {
        let entries = [
            ("a", "1.2.0"),
            ("a", "2.0.0-beta.1"),
            ("a", "2.1.0-rc.1"),
            ("a", "3.0.0-rc.1"),
        ];
        match pick_req(&entries, " 2 ").unwrap_err() {
            Error::UnknownVersion {
                requested,
                requirement,
                pre_releases,
                ..
            } => {
                assert_eq!(requested, "2");
                assert!(requirement);
                assert_eq!(pre_releases, ["2.1.0-rc.1", "2.0.0-beta.1"]);
            }
            e => panic!("{e:?}"),
        }
        // A requirement that names a pre-release matches it as usual.
        assert_eq!(pick_req(&entries, "^2.0.0-beta.1").unwrap(), "2.0.0-beta.1");
        // Nothing skipped when no pre-release would have matched.
        match pick_req(&entries, "^4").unwrap_err() {
            Error::UnknownVersion { pre_releases, .. } => assert!(pre_releases.is_empty()),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn an_exact_version_overrides_a_requirement() {
        let req = Requirement::parse("^1").unwrap();
        assert!(matches!(
            Selector::from_parts(Some("0.1.0"), Some(&req)),
            Selector::Exact("0.1.0")
        ));
        assert!(matches!(
            Selector::from_parts(None, Some(&req)),
            Selector::Matching(_)
        ));
        assert!(matches!(
            Selector::from_parts(None, None),
            Selector::Highest
        ));
    }

    #[test]
    fn versions_compare_by_precedence_when_both_are_semver() {
        assert_eq!(compare_versions("0.10.0", "0.9.0"), Some(Ordering::Greater));
        assert_eq!(
            compare_versions("1.0.0-rc.1", "1.0.0"),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare_versions("1.0.0+a", "1.0.0+b"),
            Some(Ordering::Equal)
        );
        assert_eq!(compare_versions("nightly", "1.0.0"), None);
    }

    #[test]
    fn an_unknown_name_lists_the_names_that_exist() {
        let entries = [("b", "1"), ("a", "1"), ("b", "2")];
        let err = pick(&entries, "c", None).unwrap_err();
        assert_eq!(
            err,
            Error::UnknownPlugin {
                name: "c".into(),
                registry: "/r/index.json".into(),
                available: vec!["a".into(), "b".into()],
            }
        );
    }

    /// `chosen_by_default` as it was first written: `select` per entry.
    fn chosen_one_by_one(index: &Index) -> Vec<bool> {
        index
            .plugins
            .iter()
            .map(|e| {
                select(index, e.name.as_str(), Selector::Highest)
                    .is_ok_and(|c| c.version == e.version)
            })
            .collect()
    }

    #[test]
    fn the_marks_are_what_install_takes_for_each_name() {
        let entries = [
            ("a", "0.9.0"),
            ("b", "1.0.0+b"),
            ("a", "0.10.0"),
            ("c", "2.0.0-rc.1"),
            ("b", "1.0.0+a"),
            ("c", "1.0.0-beta"),
            ("d", "nightly"),
            ("e", ""),
            ("d", "stable"),
            ("e", "0.1.0"),
            ("f", "1.0.0"),
            ("g", "3.0.0-alpha"),
            ("g", "2.0.0"),
        ];
        let mut index = index_of(&entries);
        // Every version of f yanked: none is marked; g's release yanked:
        // its pre-release is what install takes.
        for e in index.plugins.iter_mut() {
            e.yanked =
                e.name.as_str() == "f" || (e.name.as_str(), e.version.as_str()) == ("g", "2.0.0");
        }
        let marked: Vec<(&str, &str)> = index
            .plugins
            .iter()
            .zip(chosen_by_default(&index))
            .filter(|(_, chosen)| *chosen)
            .map(|(e, _)| (e.name.as_str(), e.version.as_str()))
            .collect();
        assert_eq!(
            marked,
            [
                ("b", "1.0.0+b"),
                ("a", "0.10.0"),
                ("c", "2.0.0-rc.1"),
                ("d", "nightly"),
                ("e", "0.1.0"),
                ("g", "3.0.0-alpha"),
            ]
        );
        assert_eq!(chosen_by_default(&index), chosen_one_by_one(&index));
    }

    /// An index of `names` plugins with `versions` versions each, listed
    /// interleaved (every plugin's first version, then every second), some
    /// yanked and some pre-releases.
    fn synthetic(names: usize, versions: usize) -> Index {
        let mut plugins = Vec::with_capacity(names * versions);
        for v in 0..versions {
            for n in 0..names {
                let version = match (n + v) % 7 {
                    0 => format!("{v}.0.0-rc.1"),
                    _ => format!("{v}.{n}.0"),
                };
                plugins.push(Entry {
                    name: PluginName::parse(&format!("p{n}")).unwrap(),
                    version,
                    description: None,
                    artifact: "a.wasm".into(),
                    sha256: crate::trust::digest::Sha256Digest::parse_hex(DIGEST).unwrap(),
                    signature: None,
                    signatures: Vec::new(),
                    size: None,
                    yanked: (n * 31 + v) % 11 == 0,
                    imports: None,
                    exports: None,
                    sigstore_bundle: None,
                    minisig: None,
                });
            }
        }
        Index {
            path: "/r/index.json".into(),
            schema_version: "1".into(),
            version: None,
            expires: None,
            plugins,
        }
    }

    #[test]
    fn marking_a_large_index_resolves_each_name_once_over_its_own_entries() {
        // 90,000 entries, as in the issue that found `list` quadratic: each
        // name is resolved once, and the entries handed to the resolution
        // add up to the index, once each (not once per entry of the index).
        let index = synthetic(9_000, 10);
        let (mut calls, mut examined) = (0, 0);
        let counted = mark_chosen(&index, |candidates| {
            calls += 1;
            examined += candidates.len();
            assert!(candidates.iter().all(|e| e.name == candidates[0].name));
            highest_current(candidates)
        });
        assert_eq!(calls, 9_000);
        assert_eq!(examined, index.plugins.len());
        assert_eq!(counted, chosen_by_default(&index));
        assert_eq!(counted.iter().filter(|c| **c).count(), 9_000);
    }

    #[test]
    fn grouping_marks_what_select_picks_entry_by_entry() {
        let index = synthetic(60, 12);
        assert_eq!(chosen_by_default(&index), chosen_one_by_one(&index));
    }

    #[test]
    fn a_hostile_name_is_refused_before_lookup() {
        let entries = [("a", "1")];
        for name in ["../x", "a/b", ""] {
            assert!(matches!(
                pick(&entries, name, None),
                Err(Error::InvalidName { .. })
            ));
        }
    }
}
