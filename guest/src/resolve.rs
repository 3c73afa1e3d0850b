//! Choosing one entry of an index. No I/O.
//!
//! With a version, the match is exact (the string as published). Without
//! one, the highest version by semver precedence wins (0.10.0 > 0.9.0), and a
//! pre-release only when the plugin has no release at all: publishing a beta
//! must not move everyone who asked for "the latest" onto it (cargo, npm and
//! krew behave the same way). If no version of the plugin parses as semver,
//! the first entry listed is taken.

use crate::error::{Error, Result};
use crate::index::{Entry, Index};
use crate::name::PluginName;
use semver::Version;
use std::cmp::Ordering;

/// The entry for `name` at `version`, or at the highest version.
pub fn find<'a>(index: &'a Index, name: &str, version: Option<&str>) -> Result<&'a Entry> {
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
    match version {
        Some(wanted) => candidates
            .iter()
            .find(|e| e.version == wanted)
            .copied()
            .ok_or_else(|| Error::UnknownVersion {
                name: name.to_string(),
                requested: wanted.to_string(),
                available: versions_newest_first(&candidates),
            }),
        None => Ok(highest(&candidates)),
    }
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
        .unwrap_or(candidates[0])
}

/// Versions for an error message: semver ones newest first, then the rest
/// in index order.
fn versions_newest_first(candidates: &[&Entry]) -> Vec<String> {
    let mut semver: Vec<(Version, String)> = Vec::new();
    let mut other = Vec::new();
    for e in candidates {
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
    use crate::index;

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
        find(&index, name, version).map(|e| e.version.clone())
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
                available: vec!["0.10.0".into(), "0.9.0".into(), "nightly".into()],
            }
        );
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
