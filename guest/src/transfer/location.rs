//! Where an artefact lives, from the `artifact` string of an index entry.
//!
//! In a local index: a path relative to the index's directory, an absolute
//! path, a `file://` URL (percent-decoded), or an `http(s)://` URL handed to
//! the host's fetch capability. In a remote index: an `http(s)://` URL, or a
//! reference resolved against the index's URL (RFC 3986), never a local file.
//! Anything else is refused up front, not guessed at.
//!
//! No URL may carry credentials (`user:password@host`): HTTP clients send
//! them to whichever server the URL names (in the clear over plain http),
//! and a URL is shown in messages and recorded in receipts and state. One
//! that does is refused, and shown with them replaced by `***`.

use crate::error::{Error, Result};
use crate::sandbox::normalize;
use std::path::{Path, PathBuf};

/// A registry index's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryRef {
    /// An absolute local path.
    File(PathBuf),
    /// An `http(s)://` URL.
    Url(String),
}

impl RegistryRef {
    /// `http(s)://...` is a URL; anything else an absolute path (the host
    /// canonicalized it). A URL ending in `/` is a sparse registry's root,
    /// named by its `config.json` (`registry::sparse`).
    pub fn parse(text: &str) -> RegistryRef {
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            match text.ends_with('/') {
                true => RegistryRef::Url(format!("{text}config.json")),
                false => RegistryRef::Url(text.to_string()),
            }
        } else {
            RegistryRef::File(PathBuf::from(text))
        }
    }

    /// How the registry is named in messages, receipts and state (never
    /// with credentials: see [`redacted`]).
    pub fn shown(&self) -> String {
        match self {
            RegistryRef::File(path) => path.display().to_string(),
            RegistryRef::Url(url) => redacted(url),
        }
    }

    /// Whether it is fetched over plain http.
    pub fn is_plain_http(&self) -> bool {
        matches!(self, RegistryRef::Url(url) if url.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://")))
    }

    pub fn location(&self) -> Location {
        match self {
            RegistryRef::File(path) => Location::File(path.clone()),
            RegistryRef::Url(url) => Location::Remote(url.clone()),
        }
    }

    /// The detached signature's location: the index's with `.sig` appended.
    pub fn signature(&self) -> Location {
        match self {
            RegistryRef::File(path) => {
                let mut name = path.clone().into_os_string();
                name.push(".sig");
                Location::File(PathBuf::from(name))
            }
            RegistryRef::Url(url) => Location::Remote(format!("{url}.sig")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An absolute, normalized local path.
    File(PathBuf),
    /// A URL for the host's fetch capability.
    Remote(String),
    /// A blob in an OCI registry: fetched through the host's `send`, which
    /// authenticates to the registry (a plain `get` never carries
    /// credentials).
    Registry(String),
}

impl Location {
    /// How the location is shown in reports and messages (never with
    /// credentials: see [`redacted`]).
    pub fn display(&self) -> String {
        match self {
            Location::File(path) => path.display().to_string(),
            Location::Remote(url) | Location::Registry(url) => redacted(url),
        }
    }
}

/// Why a URL with credentials is refused, and where credentials go instead.
const CREDENTIALS_IN_URL: &str = "a URL may not carry credentials (user:password@host): they would \
    be sent to every server the URL leads to, and shown and recorded with it. Registry credentials \
    are given with --registry-token-file (or WASM_PLUGIN_REGISTRY_TOKEN), or by docker login (the \
    docker config), and go only to the OCI registries a command names";

/// Where the credentials of a `scheme://user:password@host/...` URL are:
/// the authority (up to the first `/`, `?` or `#`) up to its last `@`, as
/// HTTP clients read it. `None` without a scheme or an `@` there.
fn userinfo(url: &str) -> Option<std::ops::Range<usize>> {
    let start = url.find("://")? + 3;
    let scheme = &url[..start - 3];
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid {
        return None;
    }
    let rest = &url[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    Some(start..start + at + 1)
}

/// `url` with any credentials replaced by `***` (`http://***@host/...`):
/// how a URL is shown and recorded.
pub fn redacted(url: &str) -> String {
    match userinfo(url) {
        Some(range) => format!("{}***@{}", &url[..range.start], &url[range.end..]),
        None => url.to_string(),
    }
}

/// Refuses a URL that carries credentials, naming it without them.
pub fn refuse_credentials(url: &str) -> Result<()> {
    match userinfo(url) {
        Some(_) => Err(Error::UnsupportedLocation {
            location: redacted(url),
            reason: CREDENTIALS_IN_URL.into(),
        }),
        None => Ok(()),
    }
}

/// Resolves `artifact` as written in the index at `registry`.
pub fn resolve(artifact: &str, registry: &RegistryRef) -> Result<Location> {
    match registry {
        RegistryRef::File(index_path) => resolve_local(artifact, index_path),
        RegistryRef::Url(index_url) => resolve_remote(artifact, index_url),
    }
}

fn resolve_remote(artifact: &str, index_url: &str) -> Result<Location> {
    let unsupported = |reason: String| Error::UnsupportedLocation {
        location: redacted(artifact),
        reason,
    };
    if let Some((scheme, _)) = split_scheme(artifact) {
        return match scheme.to_ascii_lowercase().as_str() {
            "http" | "https" => {
                refuse_credentials(artifact)?;
                Ok(Location::Remote(artifact.to_string()))
            }
            other => Err(unsupported(format!(
                "a remote index may only point at http(s):// artifacts, not {other}:"
            ))),
        };
    }
    refuse_credentials(index_url)?;
    let base = fluent_uri::Uri::parse(index_url).map_err(|e| {
        unsupported(format!(
            "the index URL {index_url} is not a valid URI ({e})"
        ))
    })?;
    let reference = fluent_uri::UriRef::parse(artifact).map_err(|e| {
        unsupported(format!(
            "not a valid URI reference ({e}); percent-encode spaces and the like"
        ))
    })?;
    let resolved = reference
        .resolve_against(&base)
        .map_err(|e| unsupported(format!("cannot be resolved against {index_url} ({e})")))?;
    // A network-path reference (`//user:password@host/a.wasm`) brings its own.
    refuse_credentials(resolved.as_str())?;
    Ok(Location::Remote(resolved.as_str().to_string()))
}

fn resolve_local(artifact: &str, index_path: &Path) -> Result<Location> {
    let unsupported = |reason: &str| Error::UnsupportedLocation {
        location: redacted(artifact),
        reason: reason.to_string(),
    };
    if let Some((scheme, rest)) = split_scheme(artifact) {
        return match scheme.to_ascii_lowercase().as_str() {
            "http" | "https" => {
                refuse_credentials(artifact)?;
                Ok(Location::Remote(artifact.to_string()))
            }
            "file" => file_url_path(rest)
                .map(Location::File)
                .map_err(|r| unsupported(&r)),
            other => Err(unsupported(&format!(
                "the {other}: scheme is not supported; use a path, a file:// URL or an http(s):// URL"
            ))),
        };
    }
    let path = Path::new(artifact);
    if path.is_absolute() {
        return Ok(Location::File(normalize(path)));
    }
    let base = index_path.parent().unwrap_or(Path::new("/"));
    Ok(Location::File(normalize(&base.join(path))))
}

/// Whether `artifact` is a relative path (no URL scheme, not absolute):
/// the one form whose meaning depends on where the index is.
pub fn is_relative_path(artifact: &str) -> bool {
    split_scheme(artifact).is_none() && !Path::new(artifact).is_absolute()
}

/// `scheme:rest` when `text` starts with a URL scheme followed by `//`, or is
/// a `file:` URL. A relative file name with a colon (`a:b.wasm`) is a path.
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (valid && (rest.starts_with("//") || scheme.eq_ignore_ascii_case("file")))
        .then_some((scheme, rest))
}

/// The path of a `file:` URL (the part after `file:`): `///p`, `//localhost/p`
/// or `/p`, percent-decoded.
fn file_url_path(rest: &str) -> std::result::Result<PathBuf, String> {
    let path = match rest.strip_prefix("//") {
        Some(after) => {
            let (host, path) = after.split_at(after.find('/').unwrap_or(after.len()));
            if !(host.is_empty() || host.eq_ignore_ascii_case("localhost")) {
                return Err(format!(
                    "file:// URLs on another host ({host}) are not supported; use a local path"
                ));
            }
            path
        }
        None => rest,
    };
    if !path.starts_with('/') {
        return Err("a file: URL needs an absolute path, as in file:///srv/plugins/x.wasm".into());
    }
    if path.contains(['?', '#']) {
        return Err("a file: URL cannot have a query or fragment".into());
    }
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| "the path does not decode to UTF-8".to_string())?;
    if decoded.contains('\0') {
        return Err("the path contains a NUL byte".into());
    }
    Ok(normalize(Path::new(decoded.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "/srv/registry/index.json";

    fn local() -> RegistryRef {
        RegistryRef::File(INDEX.into())
    }

    fn file(artifact: &str) -> PathBuf {
        match resolve(artifact, &local()) {
            Ok(Location::File(p)) => p,
            other => panic!("{artifact}: {other:?}"),
        }
    }

    fn refused(artifact: &str) -> String {
        match resolve(artifact, &local()) {
            Err(Error::UnsupportedLocation { reason, .. }) => reason,
            other => panic!("{artifact}: {other:?}"),
        }
    }

    #[test]
    fn relative_paths_resolve_against_the_index_directory() {
        assert_eq!(file("a.wasm"), PathBuf::from("/srv/registry/a.wasm"));
        assert_eq!(
            file("./bin/a.wasm"),
            PathBuf::from("/srv/registry/bin/a.wasm")
        );
        assert_eq!(
            file("../shared/a.wasm"),
            PathBuf::from("/srv/shared/a.wasm")
        );
        assert_eq!(file("a:b.wasm"), PathBuf::from("/srv/registry/a:b.wasm"));
    }

    #[test]
    fn absolute_paths_are_kept_and_normalized() {
        assert_eq!(file("/opt/p/a.wasm"), PathBuf::from("/opt/p/a.wasm"));
        assert_eq!(file("/opt/p/../q/a.wasm"), PathBuf::from("/opt/q/a.wasm"));
    }

    #[test]
    fn file_urls_are_percent_decoded() {
        assert_eq!(
            file("file:///opt/my%20plugins/a.wasm"),
            PathBuf::from("/opt/my plugins/a.wasm")
        );
        assert_eq!(
            file("FILE://localhost/opt/a.wasm"),
            PathBuf::from("/opt/a.wasm")
        );
        assert_eq!(file("file:/opt/a.wasm"), PathBuf::from("/opt/a.wasm"));
        assert_eq!(
            file("file:///opt/%C3%A9.wasm"),
            PathBuf::from("/opt/é.wasm")
        );
    }

    #[test]
    fn http_urls_go_to_the_fetch_capability() {
        for url in [
            "http://127.0.0.1:8080/a.wasm",
            "https://example.com/a.wasm",
            "HTTP://x/a",
        ] {
            assert_eq!(
                resolve(url, &local()).unwrap(),
                Location::Remote(url.to_string())
            );
        }
    }

    #[test]
    fn unusable_locations_are_refused_with_a_reason() {
        assert!(refused("ftp://host/a.wasm").contains("ftp: scheme"));
        assert!(refused("file://otherhost/a.wasm").contains("otherhost"));
        assert!(refused("file:relative.wasm").contains("absolute"));
        assert!(refused("file:///a.wasm?x=1").contains("query"));
        assert!(refused("file:///a%00.wasm").contains("NUL"));
        assert!(refused("file:///a%FF.wasm").contains("UTF-8"));
    }

    fn remote(artifact: &str) -> Result<Location> {
        resolve(
            artifact,
            &RegistryRef::Url("https://plugins.example/v1/index.json".into()),
        )
    }

    #[test]
    fn references_in_a_remote_index_resolve_against_its_url() {
        let at = |a: &str| remote(a).unwrap();
        assert_eq!(
            at("colmask.wasm"),
            Location::Remote("https://plugins.example/v1/colmask.wasm".into())
        );
        assert_eq!(
            at("./bin/c.wasm"),
            Location::Remote("https://plugins.example/v1/bin/c.wasm".into())
        );
        assert_eq!(
            at("../v2/c.wasm"),
            Location::Remote("https://plugins.example/v2/c.wasm".into())
        );
        assert_eq!(
            at("/top.wasm"),
            Location::Remote("https://plugins.example/top.wasm".into())
        );
        assert_eq!(
            at("http://mirror.example/c.wasm"),
            Location::Remote("http://mirror.example/c.wasm".into())
        );
    }

    #[test]
    fn a_remote_index_cannot_point_at_local_files() {
        let err = remote("file:///etc/passwd").unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedLocation { ref reason, .. } if reason.contains("file:")),
            "{err:?}"
        );
        assert!(remote("has space.wasm").is_err());
    }

    #[test]
    fn credentials_in_urls_are_found_where_http_clients_find_them() {
        for (url, shown) in [
            (
                "http://user:secret@127.0.0.1:8080/index.json",
                "http://***@127.0.0.1:8080/index.json",
            ),
            ("https://t0ken@host/a.wasm", "https://***@host/a.wasm"),
            ("HTTPS://a@b:c@host?q", "HTTPS://***@host?q"),
            ("https://:secret@host", "https://***@host"),
            ("https://user:secret@host#f", "https://***@host#f"),
        ] {
            assert_eq!(redacted(url), shown);
            match refuse_credentials(url) {
                Err(Error::UnsupportedLocation { location, reason }) => {
                    assert_eq!(location, shown);
                    assert!(!location.contains("secret") && !reason.contains("secret"));
                    assert!(reason.contains("--registry-token-file"), "{reason}");
                    assert!(reason.contains("docker"), "{reason}");
                }
                other => panic!("{url}: {other:?}"),
            }
        }
        // An @ after the host is not userinfo.
        for url in [
            "https://host/a@b.wasm",
            "https://host/p?x=a@b",
            "https://host#a@b",
            "/srv/a@b/index.json",
            "a@b.wasm",
        ] {
            assert_eq!(redacted(url), url);
            refuse_credentials(url).unwrap();
        }
    }

    #[test]
    fn artifacts_with_credentials_are_refused_without_showing_them() {
        let secret = |result: Result<Location>| match result {
            Err(Error::UnsupportedLocation { location, reason }) => {
                assert!(!location.contains("secret"), "{location}");
                assert!(location.contains("***@"), "{location}");
                reason
            }
            other => panic!("{other:?}"),
        };
        secret(resolve("http://u:secret@h/a.wasm", &local()));
        secret(remote("https://u:secret@plugins.example/a.wasm"));
        // A network-path reference brings its own authority.
        secret(remote("//u:secret@plugins.example/a.wasm"));
        // So does an index URL that carries them (refused before this,
        // when it is read).
        let index = RegistryRef::parse("https://u:secret@plugins.example/index.json");
        secret(resolve("a.wasm", &index));
        assert_eq!(index.shown(), "https://***@plugins.example/index.json");
        assert_eq!(
            index.location().display(),
            "https://***@plugins.example/index.json"
        );
    }

    #[test]
    fn registry_refs_tell_urls_from_paths() {
        assert!(RegistryRef::parse("HTTP://x/i.json").is_plain_http());
        assert!(!RegistryRef::parse("https://x/i.json").is_plain_http());
        assert_eq!(
            RegistryRef::parse("/srv/i.json"),
            RegistryRef::File("/srv/i.json".into())
        );
    }
}
