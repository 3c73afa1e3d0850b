//! Key rotation: a registry serves `1.root.json`, `2.root.json`, ... next to
//! its index, and a client walks from the root it trusts to the newest.
//!
//! Version N+1 is accepted only when signed by a threshold of version N's
//! root keys (so a thief of the new keys alone cannot start a chain) and by
//! a threshold of its own (so nobody hands out keys without holding them),
//! and when it says it is version N+1. Removing a key from a role in a new
//! root revokes it on every host at its next run. The walk is capped, and
//! the newest root must not have expired (a registry frozen on old keys).

use super::load::{Present, read_if_present};
use crate::clock;
use crate::error::{Error, FetchError, Result};
use crate::limits::{MAX_ROOT_BYTES, MAX_ROOT_ROTATIONS};
use crate::transfer::location::{self, RegistryRef};
use crate::transfer::source::Fetcher;
use crate::trust::metadata::Root;

/// The newest root reachable from `trusted` at `registry`.
pub fn walk(
    registry: &RegistryRef,
    trusted: &Root,
    fetcher: &dyn Fetcher,
    allow_expired: bool,
) -> Result<Root> {
    let chain = chain(registry, trusted, fetcher, allow_expired)?;
    Ok(chain.into_iter().last().unwrap_or_else(|| trusted.clone()))
}

/// Every root after `trusted` that `registry` serves and the walk accepted,
/// in order (`mirror` copies them, so the mirror's clients can walk too).
pub fn chain(
    registry: &RegistryRef,
    trusted: &Root,
    fetcher: &dyn Fetcher,
    allow_expired: bool,
) -> Result<Vec<Root>> {
    let shown = registry.shown();
    let refuse = |reason: String| Error::IndexUntrusted {
        registry: shown.clone(),
        reason,
    };
    let mut current = trusted.clone();
    let mut accepted = Vec::new();
    for _ in 0..MAX_ROOT_ROTATIONS {
        // Fetch: the next version, if the registry has one.
        // A root at the largest version has no successor.
        let Some(wanted) = current.version.checked_add(1) else {
            break;
        };
        let name = format!("{wanted}.root.json");
        let at = location::resolve(&name, registry)?;
        // A 403 ends the walk like a 404: static hosts such as S3 answer
        // it for a missing object (python-tuf reads both the same way). A
        // registry withholding a root gains nothing that expiry does not
        // catch.
        let read = match read_if_present(&at, fetcher, MAX_ROOT_BYTES) {
            Err(Error::FetchFailed {
                cause: FetchError::HttpStatus(403),
                ..
            }) => Present::Missing,
            other => other?,
        };
        let bytes = match read {
            Present::Missing => break,
            Present::TooLarge => {
                return Err(refuse(format!(
                    "{name} is larger than {MAX_ROOT_BYTES} bytes"
                )));
            }
            Present::Bytes(bytes) => bytes,
        };

        // Check: its form, its version, the old keys and its own.
        // The registry served it: a bad one is the registry's, not the
        // operator's trust root.
        let next = Root::parse(&at.display(), &bytes).map_err(|e| match e {
            Error::TrustRootInvalid { reason, .. } => refuse(format!("{name}: {reason}")),
            other => other,
        })?;
        check_successor(&current, &next).map_err(|why| refuse(format!("{name} {why}")))?;
        accepted.push(next.clone());
        current = next;
    }
    let expired = clock::parse(&current.expires).is_ok_and(clock::is_past);
    if expired && !allow_expired {
        return Err(refuse(format!(
            "its newest root.json (version {}) expired at {}: the registry's keys may be frozen \
             by someone withholding a rotation; pass --allow-expired to accept it anyway",
            current.version, current.expires
        )));
    }
    Ok(accepted)
}

/// Whether `next` may follow `current`: it says it is the next version,
/// and a threshold of `current`'s root keys and of its own signed it. The
/// reason, when not, reads after the root's name. The walk asks this of
/// every root a registry serves, and the record in a plugins directory
/// asks it again of every root it keeps, from the trust root's own.
pub fn check_successor(current: &Root, next: &Root) -> std::result::Result<(), String> {
    let wanted = current.version.checked_add(1);
    if Some(next.version) != wanted {
        return Err(match wanted {
            Some(wanted) => format!("says it is root version {}, not {wanted}", next.version),
            None => "follows a root at the largest version".to_string(),
        });
    }
    next.check_signed_by(current).map_err(|why| {
        format!(
            "is not signed by the keys of root version {}: {why}; a rotation must be signed by \
             the old root keys as well as the new",
            current.version
        )
    })?;
    next.check_signed_by(next)
        .map_err(|why| format!("is not signed by its own root keys: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::source::NoNetwork;
    use crate::trust::metadata::tests::{key, signed_root};

    fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) {
        std::fs::write(dir.join(name), bytes).unwrap();
    }

    #[test]
    fn the_walk_takes_each_version_signed_by_the_old_and_the_new_keys() {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (key(1), key(2));
        let v1 = signed_root(
            1,
            &[("old", &old)],
            (&["old"], 1),
            (&["old"], 1),
            &[],
            &[&old],
        );
        let v1 = Root::parse("root.json", &v1).unwrap();
        let registry = RegistryRef::File(dir.path().join("index.json"));
        // Nothing served: the trusted root stands.
        assert_eq!(walk(&registry, &v1, &NoNetwork, false).unwrap().version, 1);

        // Signed only by the new key: refused.
        let only_new = signed_root(
            2,
            &[("new", &new)],
            (&["new"], 1),
            (&["new"], 1),
            &[],
            &[&new],
        );
        write(dir.path(), "2.root.json", &only_new);
        let err = walk(&registry, &v1, &NoNetwork, false).unwrap_err();
        assert!(
            format!("{err:?}").contains("old root keys as well"),
            "{err:?}"
        );

        // Signed by both: taken, then version 3 (signed by 2's key) too.
        let v2 = signed_root(
            2,
            &[("new", &new)],
            (&["new"], 1),
            (&["new"], 1),
            &[],
            &[&old, &new],
        );
        write(dir.path(), "2.root.json", &v2);
        let v3 = signed_root(
            3,
            &[("new", &new)],
            (&["new"], 1),
            (&["new"], 1),
            &[],
            &[&new],
        );
        write(dir.path(), "3.root.json", &v3);
        assert_eq!(walk(&registry, &v1, &NoNetwork, false).unwrap().version, 3);

        // A file claiming another version than its name is refused.
        write(dir.path(), "4.root.json", &v3);
        let err = walk(&registry, &v1, &NoNetwork, false).unwrap_err();
        assert!(format!("{err:?}").contains("not 4"), "{err:?}");
    }

    #[test]
    fn over_http_a_404_or_403_ends_the_walk_and_other_failures_stop_it() {
        use crate::error::FetchError;
        use crate::transfer::source::testing::{Script, ScriptedFetcher};
        let a = key(1);
        let v1 = signed_root(1, &[("a", &a)], (&["a"], 1), (&["a"], 1), &[], &[&a]);
        let v1 = Root::parse("root.json", &v1).unwrap();
        let registry = RegistryRef::Url("https://r/reg/index.json".into());
        let fetcher = ScriptedFetcher::default();
        // Unscripted: 404.
        assert_eq!(walk(&registry, &v1, &fetcher, false).unwrap().version, 1);
        let v2 = signed_root(2, &[("a", &a)], (&["a"], 1), (&["a"], 1), &[], &[&a]);
        fetcher.serve("https://r/reg/2.root.json", Script::Body(v2, None, 64));
        fetcher.serve(
            "https://r/reg/3.root.json",
            Script::Fail(FetchError::HttpStatus(403)),
        );
        assert_eq!(walk(&registry, &v1, &fetcher, false).unwrap().version, 2);
        fetcher.serve(
            "https://r/reg/3.root.json",
            Script::Fail(FetchError::HttpStatus(500)),
        );
        assert!(walk(&registry, &v1, &fetcher, false).is_err());
    }

    #[test]
    fn an_expired_newest_root_is_refused_unless_allowed_and_the_last_version_ends_the_walk() {
        let dir = tempfile::tempdir().unwrap();
        let a = key(1);
        let v1 = signed_root(1, &[("a", &a)], (&["a"], 1), (&["a"], 1), &[], &[&a]);
        let mut doc: serde_json::Value = serde_json::from_slice(&v1).unwrap();
        doc["signed"]["expires"] = serde_json::json!("2001-01-01T00:00:00Z");
        // Re-sign the edited root.
        use ed25519_dalek::Signer;
        let message = crate::trust::metadata::canonical(&doc["signed"]).unwrap();
        doc["signatures"][0]["sig"] = serde_json::json!(hex::encode(a.sign(&message).to_bytes()));
        let expired = Root::parse("root.json", &serde_json::to_vec(&doc).unwrap()).unwrap();
        let registry = RegistryRef::File(dir.path().join("index.json"));
        let err = walk(&registry, &expired, &NoNetwork, false).unwrap_err();
        assert!(format!("{err:?}").contains("expired"), "{err:?}");
        assert!(walk(&registry, &expired, &NoNetwork, true).is_ok());

        // A root at u64::MAX has no successor to fetch.
        let last = signed_root(u64::MAX, &[("a", &a)], (&["a"], 1), (&["a"], 1), &[], &[&a]);
        let last = Root::parse("root.json", &last).unwrap();
        assert_eq!(
            walk(&registry, &last, &NoNetwork, false).unwrap().version,
            u64::MAX
        );
    }
}
