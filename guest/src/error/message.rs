//! Every error in words, made once, here: what was wrong (the message), and
//! apart from it what to do about it or what it means (the hint), so that
//! every host says the same. A host that shows both puts the hint on the
//! lines after the message (as `Display` does).

use super::{Error, FetchError, Fetched, is_loopback};
use crate::wit::UnfitVersion;
use std::path::Path;

/// A message, and a hint when there is something to say.
type Words = (String, Option<String>);

impl Error {
    /// What was wrong, in words (may span lines).
    pub fn message(&self) -> String {
        self.words().0
    }

    /// What to do about it (may span lines), if there is something to say.
    pub fn hint(&self) -> Option<String> {
        self.words().1
    }

    /// One arm per case: the wording table.
    fn words(&self) -> Words {
        use Error as E;
        match self {
            E::ManifestInvalid {
                path,
                line,
                column,
                message,
            } => hinted(
                format!("{path}:{line}:{column}: {message}"),
                "fix wasm-plugin.toml (see the README's \"Plugin sets\"), or name another one \
                 with --config",
            ),
            E::IndexMalformed {
                path,
                line,
                column,
                message,
            } => hinted(
                format!("{path}:{line}:{column}: the registry index is malformed: {message}"),
                "fix the JSON (schema: {\"schema_version\": \"1\", \"plugins\": [...]}) or ask \
                 the registry's publisher",
            ),
            E::OciInvalid { path, problem } => hinted(
                format!("what the OCI registry answered for {path} is not usable: {problem}"),
                "ask the registry's operator, or the plugin's publisher, to fix it",
            ),
            E::IndexInvalid { path, problem } => hinted(
                format!("the registry index {path} is invalid: {problem}"),
                "ask the registry's publisher to fix it",
            ),
            E::UnknownPlugin {
                name,
                registry,
                available,
            } => unknown_plugin(name, registry, available),
            E::UnknownVersion {
                name,
                requested,
                requirement,
                available,
                pre_releases,
            } => unknown_version(name, requested, *requirement, available, pre_releases),
            E::InvalidName { name, reason } => hinted(
                format!("invalid name '{name}': {reason}"),
                "plugin names and key labels match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ and are \
                 not a Windows device name (CON, NUL, COM1, ...)",
            ),
            E::NotGranted { path, link } => not_granted(path, link.as_ref()),
            E::NotRegularFile { path, found } => hinted(
                format!(
                    "{path} is {found}, not a regular file; the installer reads only regular \
                     files (a named pipe would block and a device never ends)"
                ),
                "point at a regular file instead, or, in a plugins directory, remove it \
                 (`wasm-plugin uninstall` removes a link, never its target)",
            ),
            E::UnsupportedLocation { location, reason } => {
                alone(format!("cannot use location '{location}': {reason}"))
            }
            E::TrustRootInvalid { path, reason } => hinted(
                format!("cannot use trust root {path}: {reason}"),
                trust_root_hint(path),
            ),
            E::AlreadyExists(path) => already_exists(path),
            E::DowngradeRefused {
                name,
                installed,
                requested,
            } => hinted(
                format!("refusing to downgrade '{name}' from {installed} to {requested}"),
                "pass --allow-downgrade to install the lower version anyway",
            ),
            E::NotInstalled {
                name,
                dest,
                installed,
            } => alone(format!(
                "'{name}' is not installed in {dest}; {}",
                match installed.is_empty() {
                    true => "nothing is installed there".to_string(),
                    false => format!("installed: {}", installed.join(", ")),
                }
            )),
            E::EntryExists {
                name,
                version,
                registry,
            } if is_oci(registry) => hinted(
                format!("{registry}/{name} already has the tag {version}"),
                "publish a new version, or pass --force to push over that tag",
            ),
            E::EntryExists {
                name,
                version,
                registry,
            } => hinted(
                format!("{registry} already lists {name} {version}"),
                "publish a new version, or pass --force to replace that entry (to add your \
                 signature to it instead, for a root.json threshold: `wasm-plugin trust sign \
                 --registry INDEX --entry NAME@VERSION --key KEY`)",
            ),
            E::KeyInvalid { path, reason } => hinted(
                format!("cannot use the key {path}: {reason}"),
                "keys are Ed25519 PKCS#8 PEM private keys, as `wasm-plugin keygen` or `openssl \
                 genpkey -algorithm ed25519` write them",
            ),
            E::InvalidRequest { value, reason } => alone(format!("{value}: {reason}")),
            E::TooLarge { source, limit } => hinted(
                format!(
                    "{source} is larger than the limit of {limit} bytes; nothing was installed"
                ),
                "raise the limit with --max-size if the artefact really is that large",
            ),
            E::IndexUntrusted { registry, reason } => {
                alone(format!("refusing the registry index {registry}: {reason}"))
            }
            E::IndexExpired { registry, expires } => hinted(
                format!(
                    "the registry index {registry} expired at {expires}; a registry that \
                     stopped being updated may be withholding fixes"
                ),
                "ask its publisher to republish it, or pass --allow-expired to use it anyway",
            ),
            E::IndexRollback {
                registry,
                seen,
                got,
            } => hinted(
                format!(
                    "the registry index {registry} is version {got}, older than version {seen} \
                     seen before; an older index could bring back versions that were withdrawn"
                ),
                format!(
                    "if the registry was really reset: for install, upgrade and sync, run \
                     `wasm-plugin forget-registry {registry} --dest DIR`; for mirror, remove the \
                     mirror's index.json"
                ),
            ),
            E::SizeMismatch {
                source,
                expected,
                actual,
            } => hinted(
                format!(
                    "size mismatch for {source}: the registry publishes {expected} bytes, the \
                     source has {actual}"
                ),
                NOT_PUBLISHED,
            ),
            E::DigestMismatch {
                source,
                expected,
                actual,
            } => hinted(
                format!(
                    "digest mismatch for {source}\n  expected sha256 {expected}\n  \
                     actual   sha256 {actual}"
                ),
                NOT_PUBLISHED,
            ),
            E::SignatureMissing {
                artifact,
                looked_for,
            } => hinted(
                format!(
                    "{artifact} is not signed (looked in {looked_for}), but a trust root was given"
                ),
                "a trust root requires a signature; ask the publisher to sign it, or go \
                 without a trust root (no --trust-root, nor trust_root in wasm-plugin.toml) \
                 to accept unsigned plugins",
            ),
            E::SignatureMalformed { source, reason } => hinted(
                format!("malformed signature in {source}: {reason}"),
                "a signature is the base64 of a raw 64-byte Ed25519 signature",
            ),
            E::SignatureUntrusted {
                artifact,
                trust_root,
                keys,
            } => hinted(
                format!(
                    "the signature of {artifact} does not verify against any key in the trust \
                     root {trust_root} (tried: {})",
                    keys.join(", ")
                ),
                "the artefact was altered or signed by a key you do not trust",
            ),
            E::CapabilityDenied { artifact, denied } => hinted(
                format!(
                    "{artifact} imports what the capability policy forbids: {}",
                    by_rule(denied)
                ),
                "nothing was placed; change --allow-import/--deny-import (or the manifest's \
                 [policy]) if it may have them",
            ),
            E::Incompatible {
                artifact,
                world,
                mismatch,
                skipped,
            } => incompatible(artifact, world, mismatch, skipped),
            E::MetadataMismatch {
                artifact,
                index,
                reason,
            } => hinted(
                format!(
                    "the index {index} describes {artifact} otherwise than its bytes are: {reason}"
                ),
                "nothing was placed; ask the registry's publisher to publish it again \
                 (`wasm-plugin publish` reads imports and exports from the file)",
            ),
            E::SignatureInsufficient { artifact, reason } => hinted(
                format!(
                    "{artifact} is not signed as the trust root's root.json requires: {reason}"
                ),
                "the roles in that root.json say which keys may sign which plugin names, and \
                 how many must",
            ),
            E::SigstoreUnverified {
                artifact,
                bundle,
                reason,
                ..
            } => hinted(
                format!("the Sigstore bundle {bundle} does not verify {artifact}: {reason}"),
                "nothing was trusted; check that the bundle is the one made for these bytes, and \
                 that the identity and issuer (or key) and the trusted root are the signer's",
            ),
            E::MinisignUnverified {
                artifact,
                minisig,
                reason,
                ..
            } => hinted(
                format!("the minisign signature {minisig} does not verify {artifact}: {reason}"),
                "nothing was trusted; check that the .minisig was made (minisign -S) for these \
                 bytes, unaltered, with the secret key of a minisign *.pub in the trust root",
            ),
            E::FetchFailed {
                url,
                cause,
                fetched,
            } => fetch_failed(url, cause, *fetched),
            E::PassedOver { error, skipped } => {
                let (message, hint) = error.words();
                (format!("{message}{}", skipped_lines(skipped)), hint)
            }
            E::Io {
                path,
                operation,
                message,
            } => alone(format!("cannot {operation} {path}: {message}")),
        }
    }
}

/// What a size or digest mismatch means.
const NOT_PUBLISHED: &str = "the bytes are not what the registry published; nothing was installed";

/// What to do about a file that is in the way: the way out depends on
/// which verb's file it is (only `sign` replaces, with `--force`).
fn already_exists(path: &str) -> Words {
    let hint = if path.ends_with(".sig") {
        "pass --force to replace the signature, or remove it first"
    } else if path.ends_with(".key") || path.ends_with(".pub") {
        "a key is never overwritten: choose another --name (or --out), or move the old key away first"
    } else if path.ends_with(".json") {
        "choose another --out, or remove it first"
    } else {
        "choose another name or directory, or remove it first"
    };
    hinted(format!("{path} already exists"), hint)
}

/// The hint for a trust root that cannot be used, by the file at fault.
fn trust_root_hint(path: &str) -> &'static str {
    if path.ends_with("root.json") {
        "fix root.json, or have a threshold of its root keys sign it again (`wasm-plugin trust \
         show` says what it holds, `trust sign` adds a signature)"
    } else if path.ends_with("sigstore.json") || path.ends_with(".json") {
        "the book's Sigstore page lists sigstore.json's fields; a trusted_root.json is \
         Sigstore's TrustedRoot format"
    } else {
        "a trust root is a directory of *.pub files, each the base64 of a raw 32-byte Ed25519 \
         public key, a PEM PUBLIC KEY (openssl pkey -pubout) or a minisign public key \
         (minisign -G)"
    }
}

/// Denied imports (`IMPORT (WHY)` each, as the policy words them) with
/// each reason said once, after the imports it refuses, in the order the
/// reasons first come: `a, b (denied by 'x'); c (allowed are only: y)`.
fn by_rule(denied: &[String]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for item in denied {
        let (import, why) = match item.split_once(" (") {
            Some((import, why)) => (import, why),
            None => (item.as_str(), ""),
        };
        match groups.iter_mut().find(|(w, _)| *w == why) {
            Some((_, imports)) => imports.push(import),
            None => groups.push((why, vec![import])),
        }
    }
    groups
        .iter()
        .map(|(why, imports)| match why.is_empty() {
            true => imports.join(", "),
            false => format!("{} ({why}", imports.join(", ")),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn hinted(message: String, hint: impl Into<String>) -> Words {
    (message, Some(hint.into()))
}

fn alone(message: String) -> Words {
    (message, None)
}

fn unknown_plugin(name: &str, registry: &str, available: &[String]) -> Words {
    // A sparse registry (named by its config.json) has no file for it, and
    // no listing to offer instead.
    if available.is_empty() && registry.ends_with("/config.json") {
        return hinted(
            format!(
                "no plugin named '{name}' in the sparse registry {registry}: it has no file for it"
            ),
            "check the name's spelling; a sparse registry cannot be listed yet",
        );
    }
    let offer = match available.is_empty() {
        true => "it lists no plugins".to_string(),
        false => format!("it has: {}", available.join(", ")),
    };
    hinted(
        format!("no plugin named '{name}' in {registry}; {offer}"),
        format!("run `wasm-plugin list --registry {registry}` to see what it offers"),
    )
}

/// Three forms: every version yanked (nothing requested), a requirement
/// nothing matches, an exact version that is not there.
fn unknown_version(
    name: &str,
    requested: &str,
    requirement: bool,
    available: &[String],
    pre_releases: &[String],
) -> Words {
    let available = match available.is_empty() {
        true => "none that is not yanked".to_string(),
        false => available.join(", "),
    };
    match requirement {
        false if requested.is_empty() => alone(format!(
            "every version of '{name}' is yanked; name one exactly ({name}@=VERSION, see \
             `wasm-plugin info {name}`) to install it anyway"
        )),
        true => hinted(
            format!(
                "no version of '{name}' matches {requested}; available: {available}{}",
                passed_over(name, pre_releases)
            ),
            format!("change the requirement, or name one exactly as {name}@=VERSION"),
        ),
        false => hinted(
            format!("plugin '{name}' has no version '{requested}'; available: {available}"),
            format!(
                "name one of those exactly ({name}@=VERSION), or give no version for the highest"
            ),
        ),
    }
}

/// Semver passes pre-releases over unless the requirement names one: say
/// so on a line of its own, or a beta published alone looks missing.
fn passed_over(name: &str, pre_releases: &[String]) -> String {
    let Some(newest) = pre_releases.first() else {
        return String::new();
    };
    let are = match pre_releases.len() {
        1 => "is a pre-release",
        _ => "are pre-releases",
    };
    format!(
        "\n{} {are}, which a requirement matches only when it names one (e.g. \
         {name}@^{newest}); {name}@={newest} takes exactly that one",
        pre_releases.join(", ")
    )
}

/// `link` is the symbolic link leading out and, when it could be read,
/// where it points (a host that can read it may say instead).
fn not_granted(path: &str, link: Option<&(String, Option<String>)>) -> Words {
    match link {
        Some((link, target)) => hinted(
            format!(
                "{path} leads outside the directories granted to the installer: {link} is a \
                 symbolic link to {}",
                target.as_deref().unwrap_or("a place outside the grants")
            ),
            "the sandbox never follows a link out of a granted directory, and granting the \
             link's target does not change that; copy the file in place of the link, or point \
             the registry at the target's real path and grant that with --allow-read",
        ),
        None => {
            let dir = Path::new(path)
                .parent()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|| path.to_string());
            hinted(
                format!("{path} is outside the directories the installer may read"),
                format!(
                    "grant it with --allow-read {dir} (the installer sees only the registry's \
                     directory, the trust root, the destination and --allow-read directories)"
                ),
            )
        }
    }
}

/// The versions a world passed over, a line each.
fn skipped_lines(skipped: &[UnfitVersion]) -> String {
    skipped
        .iter()
        .map(|u| format!("\n  skipped {}: {}", u.version, u.reason))
        .collect()
}

fn incompatible(artifact: &str, world: &str, mismatch: &str, skipped: &[UnfitVersion]) -> Words {
    let skipped = skipped_lines(skipped);
    // `verify` names a file; install, upgrade and sync name `NAME VERSION`.
    let a_file = artifact.contains('/') || artifact.ends_with(".wasm");
    let hint = match a_file {
        true => {
            "the file was built for another world: build it against this one, or verify \
                 it without --world"
        }
        false => {
            "nothing was placed; a version built for that world installs (ask its \
                  publisher; in a plugin set, `wasm-plugin lock --upgrade NAME` pins another), \
                  and without a world (--world, or the manifest's world) any version installs"
        }
    };
    hinted(
        format!("{artifact} does not fit the {world}: {mismatch}{skipped}"),
        hint,
    )
}

fn fetch_failed(url: &str, cause: &FetchError, fetched: Fetched) -> Words {
    match cause {
        FetchError::UnsupportedScheme(scheme) => alone(format!(
            "cannot fetch {url}: the {scheme} scheme is not supported (use http:// or a local path)"
        )),
        FetchError::InvalidUrl(msg) => alone(format!("cannot fetch {url}: invalid URL: {msg}")),
        FetchError::Connect(msg) => hinted(
            format!("cannot connect to fetch {url}: {msg}"),
            "check the address and that the server is reachable",
        ),
        FetchError::HttpStatus(code @ (401 | 403)) => hinted(
            format!(
                "fetching {url} failed: the server answered HTTP {code}{}",
                status_name(*code)
            ),
            format!(
                "the registry wants credentials it was not given or does not accept: log in with \
                 `docker login` (wasm-plugin reads $DOCKER_CONFIG/config.json or \
                 ~/.docker/config.json), or pass a token with --registry-token-file or \
                 WASM_PLUGIN_REGISTRY_TOKEN{}",
                match is_plain_http_to_remote(url) {
                    true =>
                        "; credentials are never sent over plain http except to a loopback \
                             address, so use https for this registry",
                    false => "",
                }
            ),
        ),
        FetchError::HttpStatus(code) => alone(format!(
            "fetching {url} failed: the server answered HTTP {code}{}",
            status_reason(*code, fetched)
        )),
        FetchError::Timeout(msg) => alone(format!("fetching {url} timed out: {msg}")),
        FetchError::Truncated(got, announced) => alone(format!(
            "fetching {url} failed: the connection closed after {got} of {announced} bytes; try \
             again"
        )),
        FetchError::Transport(msg) | FetchError::Protocol(msg) => {
            alone(format!("fetching {url} failed: {msg}"))
        }
        FetchError::Tls(msg) => alone(format!("cannot fetch {url}: {msg}")),
    }
}

/// Whether `registry` is an OCI namespace (`oci://`, `oci+http://`) rather
/// than an index: it has tags and manifests, no entries or root.json.
fn is_oci(registry: &str) -> bool {
    let scheme = registry.get(..11).unwrap_or(registry).to_ascii_lowercase();
    scheme.starts_with("oci://") || scheme.starts_with("oci+http://")
}

/// Whether `url` is plain http to a host other than a loopback address:
/// where hosts never send credentials. A URL that does not parse (no host
/// fetched one) counts as remote.
fn is_plain_http_to_remote(url: &str) -> bool {
    let plain = url
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
    plain
        && !fluent_uri::Uri::parse(url)
            .is_ok_and(|uri| uri.authority().is_some_and(|a| is_loopback(a.host())))
}

/// A status's name and, for a 404, the URL to check: the registry's own
/// for its index, the index's entry for an artefact.
fn status_reason(code: u16, fetched: Fetched) -> &'static str {
    match (code, fetched) {
        (404, Fetched::Index) => {
            " Not Found (check the registry's location: --registry, or the manifest's \
             [registries])"
        }
        (404, Fetched::Artifact) => " Not Found (check the artifact URL in the index)",
        (code, _) => status_name(code),
    }
}

fn status_name(code: u16) -> &'static str {
    match code {
        401 => " Unauthorized",
        403 => " Forbidden",
        404 => " Not Found",
        410 => " Gone",
        429 => " Too Many Requests",
        500 => " Internal Server Error",
        502 => " Bad Gateway",
        503 => " Service Unavailable",
        504 => " Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error, its message, and its hint.
    type Case = (Error, &'static str, Option<&'static str>);

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn check(cases: Vec<Case>) {
        for (error, message, hint) in cases {
            assert_eq!(error.message(), message, "{error:?}");
            assert_eq!(error.hint().as_deref(), hint, "{error:?}");
            let full = match hint {
                Some(hint) => format!("{message}\n{hint}"),
                None => message.to_string(),
            };
            assert_eq!(error.to_string(), full, "{error:?}");
        }
    }

    fn unknown_version(requested: &str, requirement: bool, pre: &[&str]) -> Error {
        Error::UnknownVersion {
            name: "hello".into(),
            requested: requested.into(),
            requirement,
            available: strings(&["1.0.0", "0.9.0"]),
            pre_releases: strings(pre),
        }
    }

    #[test]
    fn a_manifest_an_index_or_a_name_that_is_wrong_is_worded_with_what_to_fix() {
        check(vec![
            (
                Error::ManifestInvalid {
                    path: "/w/wasm-plugin.toml".into(),
                    line: 3,
                    column: 7,
                    message: "expected a table".into(),
                },
                "/w/wasm-plugin.toml:3:7: expected a table",
                Some(
                    "fix wasm-plugin.toml (see the README's \"Plugin sets\"), or name another one with --config",
                ),
            ),
            (
                Error::IndexMalformed {
                    path: "/r/index.json".into(),
                    line: 1,
                    column: 2,
                    message: "expected value".into(),
                },
                "/r/index.json:1:2: the registry index is malformed: expected value",
                Some(
                    "fix the JSON (schema: {\"schema_version\": \"1\", \"plugins\": [...]}) or ask the registry's publisher",
                ),
            ),
            (
                Error::IndexInvalid {
                    path: "/r/index.json".into(),
                    problem: "hello 1.0.0 is listed twice".into(),
                },
                "the registry index /r/index.json is invalid: hello 1.0.0 is listed twice",
                Some("ask the registry's publisher to fix it"),
            ),
            (
                Error::OciInvalid {
                    path: "oci://r.example/acme/hello:1.0.0".into(),
                    problem: "the manifest is not valid JSON".into(),
                },
                "what the OCI registry answered for oci://r.example/acme/hello:1.0.0 is not \
                 usable: the manifest is not valid JSON",
                Some("ask the registry's operator, or the plugin's publisher, to fix it"),
            ),
            (
                Error::UnknownPlugin {
                    name: "nope".into(),
                    registry: "/r/index.json".into(),
                    available: strings(&["hello", "world"]),
                },
                "no plugin named 'nope' in /r/index.json; it has: hello, world",
                Some("run `wasm-plugin list --registry /r/index.json` to see what it offers"),
            ),
            (
                Error::UnknownPlugin {
                    name: "nope".into(),
                    registry: "/r/index.json".into(),
                    available: vec![],
                },
                "no plugin named 'nope' in /r/index.json; it lists no plugins",
                Some("run `wasm-plugin list --registry /r/index.json` to see what it offers"),
            ),
            (
                Error::UnknownPlugin {
                    name: "nope".into(),
                    registry: "https://r/s/config.json".into(),
                    available: vec![],
                },
                "no plugin named 'nope' in the sparse registry https://r/s/config.json: it has no file for it",
                Some("check the name's spelling; a sparse registry cannot be listed yet"),
            ),
            (
                Error::InvalidName {
                    name: "CON".into(),
                    reason: "a Windows device name".into(),
                },
                "invalid name 'CON': a Windows device name",
                Some(
                    "plugin names and key labels match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ and are not a Windows device name (CON, NUL, COM1, ...)",
                ),
            ),
        ]);
    }

    #[test]
    fn an_unknown_version_is_worded_by_how_it_was_asked_for() {
        check(vec![
            (
                unknown_version("", false, &[]),
                "every version of 'hello' is yanked; name one exactly (hello@=VERSION, see `wasm-plugin info hello`) to install it anyway",
                None,
            ),
            (
                unknown_version("^2", true, &[]),
                "no version of 'hello' matches ^2; available: 1.0.0, 0.9.0",
                Some("change the requirement, or name one exactly as hello@=VERSION"),
            ),
            (
                unknown_version("^2", true, &["2.0.0-rc.1"]),
                "no version of 'hello' matches ^2; available: 1.0.0, 0.9.0\n2.0.0-rc.1 is a pre-release, which a requirement matches only when it names one (e.g. hello@^2.0.0-rc.1); hello@=2.0.0-rc.1 takes exactly that one",
                Some("change the requirement, or name one exactly as hello@=VERSION"),
            ),
            (
                unknown_version("^2", true, &["2.0.0-rc.2", "2.0.0-rc.1"]),
                "no version of 'hello' matches ^2; available: 1.0.0, 0.9.0\n2.0.0-rc.2, 2.0.0-rc.1 are pre-releases, which a requirement matches only when it names one (e.g. hello@^2.0.0-rc.2); hello@=2.0.0-rc.2 takes exactly that one",
                Some("change the requirement, or name one exactly as hello@=VERSION"),
            ),
            (
                Error::UnknownVersion {
                    name: "hello".into(),
                    requested: "^2".into(),
                    requirement: true,
                    available: vec![],
                    pre_releases: vec![],
                },
                "no version of 'hello' matches ^2; available: none that is not yanked",
                Some("change the requirement, or name one exactly as hello@=VERSION"),
            ),
            (
                unknown_version("3.0.0", false, &["3.0.0-beta"]),
                "plugin 'hello' has no version '3.0.0'; available: 1.0.0, 0.9.0",
                Some(
                    "name one of those exactly (hello@=VERSION), or give no version for the highest",
                ),
            ),
        ]);
    }

    #[test]
    fn a_path_outside_the_grants_or_not_a_regular_file_says_how_to_reach_a_file() {
        let link_hint = "the sandbox never follows a link out of a granted directory, and granting the link's target does not change that; copy the file in place of the link, or point the registry at the target's real path and grant that with --allow-read";
        check(vec![
            (
                Error::NotGranted {
                    path: "/elsewhere/index.json".into(),
                    link: None,
                },
                "/elsewhere/index.json is outside the directories the installer may read",
                Some(
                    "grant it with --allow-read /elsewhere (the installer sees only the registry's directory, the trust root, the destination and --allow-read directories)",
                ),
            ),
            (
                Error::NotGranted {
                    path: "/r/hello.wasm".into(),
                    link: Some(("/r/hello.wasm".into(), None)),
                },
                "/r/hello.wasm leads outside the directories granted to the installer: /r/hello.wasm is a symbolic link to a place outside the grants",
                Some(link_hint),
            ),
            (
                Error::NotGranted {
                    path: "/r/sub/hello.wasm".into(),
                    link: Some(("/r/sub".into(), Some("../../etc".into()))),
                },
                "/r/sub/hello.wasm leads outside the directories granted to the installer: /r/sub is a symbolic link to ../../etc",
                Some(link_hint),
            ),
            (
                Error::NotRegularFile {
                    path: "/r/index.json".into(),
                    found: "a named pipe".into(),
                },
                "/r/index.json is a named pipe, not a regular file; the installer reads only regular files (a named pipe would block and a device never ends)",
                Some(
                    "point at a regular file instead, or, in a plugins directory, remove it (`wasm-plugin uninstall` removes a link, never its target)",
                ),
            ),
            (
                Error::UnsupportedLocation {
                    location: "ftp://h/a.wasm".into(),
                    reason: "the ftp: scheme is not supported".into(),
                },
                "cannot use location 'ftp://h/a.wasm': the ftp: scheme is not supported",
                None,
            ),
            (
                Error::TrustRootInvalid {
                    path: "/keys".into(),
                    reason: "it holds no *.pub file".into(),
                },
                "cannot use trust root /keys: it holds no *.pub file",
                Some(
                    "a trust root is a directory of *.pub files, each the base64 of a raw 32-byte Ed25519 public key, a PEM PUBLIC KEY (openssl pkey -pubout) or a minisign public key (minisign -G)",
                ),
            ),
            (
                Error::KeyInvalid {
                    path: "/k.pem".into(),
                    reason: "not PEM".into(),
                },
                "cannot use the key /k.pem: not PEM",
                Some(
                    "keys are Ed25519 PKCS#8 PEM private keys, as `wasm-plugin keygen` or `openssl genpkey -algorithm ed25519` write them",
                ),
            ),
        ]);
    }

    #[test]
    fn a_request_that_cannot_be_carried_out_names_the_flag_that_would_help() {
        check(vec![
            (
                Error::AlreadyExists("/r/index.json.sig".into()),
                "/r/index.json.sig already exists",
                Some("pass --force to replace the signature, or remove it first"),
            ),
            (
                Error::AlreadyExists("/k/release.key".into()),
                "/k/release.key already exists",
                Some(
                    "a key is never overwritten: choose another --name (or --out), or move the old key away first",
                ),
            ),
            (
                Error::AlreadyExists("/p/hello".into()),
                "/p/hello already exists",
                Some("choose another name or directory, or remove it first"),
            ),
            (
                Error::TrustRootInvalid {
                    path: "/t/root.json".into(),
                    reason: "2 of the 1 signatures needed".into(),
                },
                "cannot use trust root /t/root.json: 2 of the 1 signatures needed",
                Some(
                    "fix root.json, or have a threshold of its root keys sign it again (`wasm-plugin trust show` says what it holds, `trust sign` adds a signature)",
                ),
            ),
            (
                Error::DowngradeRefused {
                    name: "hello".into(),
                    installed: "1.0.0".into(),
                    requested: "0.9.0".into(),
                },
                "refusing to downgrade 'hello' from 1.0.0 to 0.9.0",
                Some("pass --allow-downgrade to install the lower version anyway"),
            ),
            (
                Error::NotInstalled {
                    name: "hello".into(),
                    dest: "/p".into(),
                    installed: strings(&["a", "b"]),
                },
                "'hello' is not installed in /p; installed: a, b",
                None,
            ),
            (
                Error::NotInstalled {
                    name: "hello".into(),
                    dest: "/p".into(),
                    installed: vec![],
                },
                "'hello' is not installed in /p; nothing is installed there",
                None,
            ),
            (
                Error::EntryExists {
                    name: "hello".into(),
                    version: "1.0.0".into(),
                    registry: "/r/index.json".into(),
                },
                "/r/index.json already lists hello 1.0.0",
                Some(
                    "publish a new version, or pass --force to replace that entry (to add your signature to it instead, for a root.json threshold: `wasm-plugin trust sign --registry INDEX --entry NAME@VERSION --key KEY`)",
                ),
            ),
            (
                Error::EntryExists {
                    name: "hello".into(),
                    version: "1.0.0".into(),
                    registry: "oci://r.example/acme".into(),
                },
                "oci://r.example/acme/hello already has the tag 1.0.0",
                Some("publish a new version, or pass --force to push over that tag"),
            ),
            (
                Error::InvalidRequest {
                    value: "--only".into(),
                    reason: "names no plugin of the set".into(),
                },
                "--only: names no plugin of the set",
                None,
            ),
            (
                Error::TooLarge {
                    source: "/r/big.wasm".into(),
                    limit: 1024,
                },
                "/r/big.wasm is larger than the limit of 1024 bytes; nothing was installed",
                Some("raise the limit with --max-size if the artefact really is that large"),
            ),
        ]);
    }

    #[test]
    fn an_index_that_is_not_to_be_trusted_says_why_and_what_would_do() {
        check(vec![
            (
                Error::IndexUntrusted {
                    registry: "/r/index.json".into(),
                    reason: "it is not signed".into(),
                },
                "refusing the registry index /r/index.json: it is not signed",
                None,
            ),
            (
                Error::IndexExpired {
                    registry: "/r/index.json".into(),
                    expires: "2020-01-01T00:00:00Z".into(),
                },
                "the registry index /r/index.json expired at 2020-01-01T00:00:00Z; a registry that stopped being updated may be withholding fixes",
                Some("ask its publisher to republish it, or pass --allow-expired to use it anyway"),
            ),
            (
                Error::IndexRollback {
                    registry: "/r/index.json".into(),
                    seen: 7,
                    got: 5,
                },
                "the registry index /r/index.json is version 5, older than version 7 seen before; an older index could bring back versions that were withdrawn",
                Some(
                    "if the registry was really reset: for install, upgrade and sync, run `wasm-plugin forget-registry /r/index.json --dest DIR`; for mirror, remove the mirror's index.json",
                ),
            ),
        ]);
    }

    #[test]
    fn bytes_that_are_not_the_published_ones_show_what_was_expected_and_found() {
        let not_published = "the bytes are not what the registry published; nothing was installed";
        check(vec![
            (
                Error::SizeMismatch {
                    source: "/r/a.wasm".into(),
                    expected: 10,
                    actual: 12,
                },
                "size mismatch for /r/a.wasm: the registry publishes 10 bytes, the source has 12",
                Some(not_published),
            ),
            (
                Error::DigestMismatch {
                    source: "/r/a.wasm".into(),
                    expected: "aa".into(),
                    actual: "bb".into(),
                },
                "digest mismatch for /r/a.wasm\n  expected sha256 aa\n  actual   sha256 bb",
                Some(not_published),
            ),
            (
                Error::MetadataMismatch {
                    artifact: "hello 1.0.0".into(),
                    index: "/r/index.json".into(),
                    reason: "it imports wasi:http".into(),
                },
                "the index /r/index.json describes hello 1.0.0 otherwise than its bytes are: it imports wasi:http",
                Some(
                    "nothing was placed; ask the registry's publisher to publish it again (`wasm-plugin publish` reads imports and exports from the file)",
                ),
            ),
            (
                Error::CapabilityDenied {
                    artifact: "/r/a.wasm".into(),
                    denied: strings(&["wasi:http (denied)", "wasi:sockets (denied)"]),
                },
                "/r/a.wasm imports what the capability policy forbids: wasi:http, wasi:sockets (denied)",
                Some(
                    "nothing was placed; change --allow-import/--deny-import (or the manifest's [policy]) if it may have them",
                ),
            ),
            (
                Error::CapabilityDenied {
                    artifact: "/r/a.wasm".into(),
                    denied: strings(&[
                        "wasi:sockets/tcp@0.2.3 (denied by 'wasi:sockets/*')",
                        "wasi:http/outgoing-handler@0.2.3 (allowed are only: wasi:io/*)",
                        "wasi:sockets/udp@0.2.3 (denied by 'wasi:sockets/*')",
                    ]),
                },
                "/r/a.wasm imports what the capability policy forbids: wasi:sockets/tcp@0.2.3, \
                 wasi:sockets/udp@0.2.3 (denied by 'wasi:sockets/*'); \
                 wasi:http/outgoing-handler@0.2.3 (allowed are only: wasi:io/*)",
                Some(
                    "nothing was placed; change --allow-import/--deny-import (or the manifest's [policy]) if it may have them",
                ),
            ),
            (
                Error::Incompatible {
                    artifact: "hello".into(),
                    world: "world host:app/plugin".into(),
                    mismatch: "it exports no run".into(),
                    skipped: vec![UnfitVersion {
                        version: "1.1.0".into(),
                        reason: "it imports wasi:http".into(),
                    }],
                },
                "hello does not fit the world host:app/plugin: it exports no run\n  skipped 1.1.0: it imports wasi:http",
                Some(
                    "nothing was placed; a version built for that world installs (ask its publisher; in a plugin set, `wasm-plugin lock --upgrade NAME` pins another), and without a world (--world, or the manifest's world) any version installs",
                ),
            ),
            (
                Error::Incompatible {
                    artifact: "/p/hello.wasm".into(),
                    world: "world host:app/plugin".into(),
                    mismatch: "it exports no run".into(),
                    skipped: Vec::new(),
                },
                "/p/hello.wasm does not fit the world host:app/plugin: it exports no run",
                Some(
                    "the file was built for another world: build it against this one, or verify it without --world",
                ),
            ),
        ]);
    }

    #[test]
    fn a_signature_that_is_missing_or_does_not_verify_says_what_a_trust_root_wants() {
        check(vec![
            (
                Error::SignatureMissing {
                    artifact: "/r/a.wasm".into(),
                    looked_for: "/r/a.wasm.sig".into(),
                },
                "/r/a.wasm is not signed (looked in /r/a.wasm.sig), but a trust root was given",
                Some(
                    "a trust root requires a signature; ask the publisher to sign it, or go without a trust root (no --trust-root, nor trust_root in wasm-plugin.toml) to accept unsigned plugins",
                ),
            ),
            (
                Error::SignatureMalformed {
                    source: "/r/a.wasm.sig".into(),
                    reason: "not base64".into(),
                },
                "malformed signature in /r/a.wasm.sig: not base64",
                Some("a signature is the base64 of a raw 64-byte Ed25519 signature"),
            ),
            (
                Error::SigstoreUnverified {
                    artifact: "/r/a.wasm".into(),
                    bundle: "/r/a.wasm.sigstore.json".into(),
                    check: "identity".into(),
                    reason: "the certificate's identity is x, not y".into(),
                },
                "the Sigstore bundle /r/a.wasm.sigstore.json does not verify /r/a.wasm: the certificate's identity is x, not y",
                Some(
                    "nothing was trusted; check that the bundle is the one made for these bytes, and that the identity and issuer (or key) and the trusted root are the signer's",
                ),
            ),
            (
                Error::MinisignUnverified {
                    artifact: "/r/a.wasm".into(),
                    minisig: "/r/a.minisig".into(),
                    check: "trusted-comment".into(),
                    reason: "its trusted comment was altered".into(),
                },
                "the minisign signature /r/a.minisig does not verify /r/a.wasm: its trusted comment was altered",
                Some(
                    "nothing was trusted; check that the .minisig was made (minisign -S) for these bytes, unaltered, with the secret key of a minisign *.pub in the trust root",
                ),
            ),
            (
                Error::SignatureUntrusted {
                    artifact: "/r/a.wasm".into(),
                    trust_root: "/keys".into(),
                    keys: strings(&["alice", "bob"]),
                },
                "the signature of /r/a.wasm does not verify against any key in the trust root /keys (tried: alice, bob)",
                Some("the artefact was altered or signed by a key you do not trust"),
            ),
            (
                Error::SignatureInsufficient {
                    artifact: "hello 1.0.0".into(),
                    reason: "1 of 2 keys of role publishers".into(),
                },
                "hello 1.0.0 is not signed as the trust root's root.json requires: 1 of 2 keys of role publishers",
                Some(
                    "the roles in that root.json say which keys may sign which plugin names, and how many must",
                ),
            ),
            (
                Error::Io {
                    path: "/p/hello.wasm".into(),
                    operation: "write",
                    message: "No space left on device".into(),
                },
                "cannot write /p/hello.wasm: No space left on device",
                None,
            ),
        ]);
    }

    fn fetch(url: &str, cause: FetchError) -> Error {
        Error::fetch_failed(url, cause)
    }

    #[test]
    fn a_failure_after_versions_were_passed_over_keeps_them_in_its_words() {
        let skipped = vec![UnfitVersion {
            version: "2.0.0".into(),
            reason: "it exports no greet".into(),
        }];
        let failed = fetch("https://r.example/a.wasm", FetchError::HttpStatus(500));
        let (message, hint) = (failed.message(), failed.hint());
        let kept = failed.passed_over(skipped.clone());
        assert_eq!(
            kept.message(),
            format!("{message}\n  skipped 2.0.0: it exports no greet")
        );
        assert_eq!(kept.hint(), hint);
        // Nothing passed over, or an Incompatible that lists them: as it is.
        let alone = fetch("https://r.example/a.wasm", FetchError::HttpStatus(500));
        assert_eq!(alone.clone().passed_over(Vec::new()), alone);
        let incompatible = Error::Incompatible {
            artifact: "hello".into(),
            world: "world host:app/plugin".into(),
            mismatch: "it exports no run".into(),
            skipped: skipped.clone(),
        };
        assert_eq!(incompatible.clone().passed_over(skipped), incompatible);
    }

    #[test]
    fn a_failed_fetch_is_worded_by_its_cause() {
        let url = "https://r.example/a.wasm";
        check(vec![
            (
                fetch(
                    "ftp://r.example/a.wasm",
                    FetchError::UnsupportedScheme("ftp".into()),
                ),
                "cannot fetch ftp://r.example/a.wasm: the ftp scheme is not supported (use http:// or a local path)",
                None,
            ),
            (
                fetch("http://", FetchError::InvalidUrl("empty host".into())),
                "cannot fetch http://: invalid URL: empty host",
                None,
            ),
            (
                fetch(url, FetchError::Connect("connection refused".into())),
                "cannot connect to fetch https://r.example/a.wasm: connection refused",
                Some("check the address and that the server is reachable"),
            ),
            (
                fetch(url, FetchError::HttpStatus(404)).fetching(Fetched::Artifact),
                "fetching https://r.example/a.wasm failed: the server answered HTTP 404 Not Found (check the artifact URL in the index)",
                None,
            ),
            (
                fetch("https://r.example/index.json", FetchError::HttpStatus(404))
                    .fetching(Fetched::Index),
                "fetching https://r.example/index.json failed: the server answered HTTP 404 Not Found (check the registry's location: --registry, or the manifest's [registries])",
                None,
            ),
            (
                fetch(url, FetchError::HttpStatus(404)),
                "fetching https://r.example/a.wasm failed: the server answered HTTP 404 Not Found",
                None,
            ),
            (
                fetch(url, FetchError::HttpStatus(418)),
                "fetching https://r.example/a.wasm failed: the server answered HTTP 418",
                None,
            ),
            (
                fetch(url, FetchError::HttpStatus(503)),
                "fetching https://r.example/a.wasm failed: the server answered HTTP 503 Service Unavailable",
                None,
            ),
            (
                fetch(url, FetchError::Timeout("no answer in 30s".into())),
                "fetching https://r.example/a.wasm timed out: no answer in 30s",
                None,
            ),
            (
                fetch(url, FetchError::Truncated(10, 20)),
                "fetching https://r.example/a.wasm failed: the connection closed after 10 of 20 bytes; try again",
                None,
            ),
            (
                fetch(url, FetchError::Tls("certificate not trusted".into())),
                "cannot fetch https://r.example/a.wasm: certificate not trusted",
                None,
            ),
            (
                fetch(url, FetchError::Protocol("bad chunk".into())),
                "fetching https://r.example/a.wasm failed: bad chunk",
                None,
            ),
            (
                fetch(url, FetchError::Transport("connection reset".into())),
                "fetching https://r.example/a.wasm failed: connection reset",
                None,
            ),
        ]);
    }

    #[test]
    fn a_refused_fetch_says_credentials_go_over_plain_http_only_to_a_loopback_address() {
        let hint = "the registry wants credentials it was not given or does not accept: log in with `docker login` (wasm-plugin reads $DOCKER_CONFIG/config.json or ~/.docker/config.json), or pass a token with --registry-token-file or WASM_PLUGIN_REGISTRY_TOKEN";
        let plain = format!(
            "{hint}; credentials are never sent over plain http except to a loopback address, so use https for this registry"
        );
        let plain: &'static str = plain.leak();
        let refused = |url: &str, code: u16| fetch(url, FetchError::HttpStatus(code));
        check(vec![
            (
                refused("http://registry.lan:5000/v2/acme/hello/tags/list", 401),
                "fetching http://registry.lan:5000/v2/acme/hello/tags/list failed: the server answered HTTP 401 Unauthorized",
                Some(plain),
            ),
            (
                refused("HTTP://10.0.0.2/v2/", 403),
                "fetching HTTP://10.0.0.2/v2/ failed: the server answered HTTP 403 Forbidden",
                Some(plain),
            ),
            (
                refused("http://127.0.0.1:5000/v2/", 401),
                "fetching http://127.0.0.1:5000/v2/ failed: the server answered HTTP 401 Unauthorized",
                Some(hint),
            ),
            (
                refused("http://localhost/v2/", 401),
                "fetching http://localhost/v2/ failed: the server answered HTTP 401 Unauthorized",
                Some(hint),
            ),
            (
                refused("http://[::1]:5000/v2/", 403),
                "fetching http://[::1]:5000/v2/ failed: the server answered HTTP 403 Forbidden",
                Some(hint),
            ),
            (
                refused("https://ghcr.io/v2/", 401),
                "fetching https://ghcr.io/v2/ failed: the server answered HTTP 401 Unauthorized",
                Some(hint),
            ),
        ]);
    }
}
