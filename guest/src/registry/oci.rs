//! OCI registries: plugins stored as CNCF Wasm OCI artifacts.
//!
//! `oci://HOST[:PORT]/NAMESPACE` names a registry of plugins: plugin `NAME`
//! is repository `NAMESPACE/NAME`, its versions the repository's tags that
//! parse as semver. An artefact is an OCI image manifest whose config has
//! media type `application/vnd.wasm.config.v0+json` and whose one layer is
//! `application/wasm` (what `wkg oci push` and `oci-wasm` write). Anything
//! else (another config, several layers, an image index) is refused, naming
//! what was found: a loader could not tell which bytes are the plugin.
//!
//! What is trusted is decided here, as for an index: the manifest's digest
//! against a pinned reference and `Docker-Content-Digest`; the layer's
//! digest and size are the entry's `sha256` and `size`, checked while the
//! blob streams; the signature is the manifest annotation
//! `dev.wasm-plugin.signature`, over the layer bytes, as an index entry's.
//! Requests go through the host's `send`, which owns credentials.

use crate::error::{Error, Result};
use crate::registry::index::{Entry, Index};
use crate::registry::name::PluginName;
use crate::transfer::source::{self, Fetcher, Method, Request};
use crate::trust::digest::Sha256Digest;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The config media type of a Wasm OCI artifact.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The media type of its one layer.
pub const LAYER_MEDIA_TYPE: &str = "application/wasm";
/// An OCI image manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The annotation holding the base64 Ed25519 signature over the layer.
pub const SIGNATURE_ANNOTATION: &str = "dev.wasm-plugin.signature";
/// The annotation read as the plugin's description.
pub const DESCRIPTION_ANNOTATION: &str = "org.opencontainers.image.description";

/// Manifests and tag lists are small; anything larger is not one.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Pages of a tag list followed at most.
const MAX_TAG_PAGES: usize = 100;

/// `oci://HOST[:PORT]/NAMESPACE`: a registry of plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciRegistry {
    pub host: String,
    pub namespace: String,
}

/// `oci://HOST/REPOSITORY[:TAG][@sha256:HEX]`: one artefact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciReference {
    pub host: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Sha256Digest>,
}

/// A resolved artefact: where its layer is and what it must be.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// `oci://HOST/REPO:TAG@sha256:MANIFEST`: what the receipt records.
    pub reference: String,
    pub layer: Sha256Digest,
    pub size: u64,
    /// The layer blob's URL, for the host's fetch.
    pub blob_url: String,
    pub signature: Option<String>,
    pub description: Option<String>,
}

/// Whether `text` names an OCI registry or artefact.
pub fn is_oci(text: &str) -> bool {
    text.get(..6)
        .is_some_and(|s| s.eq_ignore_ascii_case("oci://"))
}

fn invalid(value: &str, reason: impl Into<String>) -> Error {
    Error::UnsupportedLocation {
        location: value.to_string(),
        reason: reason.into(),
    }
}

/// `HOST` and the path after it, both checked.
fn split(text: &str) -> Result<(String, &str)> {
    if !is_oci(text) {
        return Err(invalid(text, "not an oci:// reference"));
    }
    let rest = &text[6..];
    let (host, path) = rest
        .split_once('/')
        .ok_or_else(|| invalid(text, "no repository after the host (oci://HOST/NAMESPACE)"))?;
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return Err(invalid(text, format!("'{host}' is not a registry host")));
    }
    Ok((host.to_ascii_lowercase(), path))
}

/// A repository path as the distribution spec allows it.
fn check_repository(text: &str, path: &str) -> Result<()> {
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
            && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
    };
    if path.split('/').all(component_ok) {
        Ok(())
    } else {
        Err(invalid(
            text,
            format!("'{path}' is not a repository name (lowercase letters, digits, . _ - and /)"),
        ))
    }
}

impl OciRegistry {
    pub fn parse(text: &str) -> Result<OciRegistry> {
        let (host, path) = split(text)?;
        let namespace = path.trim_end_matches('/');
        check_repository(text, namespace)?;
        Ok(OciRegistry {
            host,
            namespace: namespace.to_string(),
        })
    }

    pub fn shown(&self) -> String {
        format!("oci://{}/{}", self.host, self.namespace)
    }

    /// The repository of plugin `name`.
    pub fn repository(&self, name: &str) -> String {
        format!("{}/{}", self.namespace, name)
    }
}

impl OciReference {
    pub fn parse(text: &str) -> Result<OciReference> {
        let (host, path) = split(text)?;
        let (path, digest) = match path.split_once('@') {
            Some((path, digest)) => {
                let hex = digest.strip_prefix("sha256:").ok_or_else(|| {
                    invalid(text, "a pinned digest is written @sha256:<64 hex digits>")
                })?;
                let digest = Sha256Digest::parse_hex(hex).map_err(|e| invalid(text, e))?;
                (path, Some(digest))
            }
            None => (path, None),
        };
        // A tag follows the last ':' after the last '/'.
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag.to_string())),
            _ => (path, None),
        };
        check_repository(text, repository)?;
        if tag.is_none() && digest.is_none() {
            return Err(invalid(text, "name a tag (:TAG) or a digest (@sha256:HEX)"));
        }
        Ok(OciReference {
            host,
            repository: repository.to_string(),
            tag,
            digest,
        })
    }
}

/// `http` for a registry on a loopback address (as docker does), else
/// `https`.
fn api(host: &str) -> String {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let loopback = name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let scheme = if loopback { "http" } else { "https" };
    format!("{scheme}://{host}/v2")
}

/// A failed API call, with the status and what it means.
fn refused(url: &str, status: u16) -> Error {
    Error::FetchFailed {
        url: url.to_string(),
        cause: crate::error::FetchError::HttpStatus(status),
    }
}

/// The repository's tags, in the registry's order. A repository the
/// registry does not know has none.
pub fn tags(fetcher: &dyn Fetcher, host: &str, repository: &str) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct TagList {
        #[serde(default)]
        tags: Option<Vec<String>>,
    }
    let mut url = format!("{}/{repository}/tags/list", api(host));
    let mut tags = Vec::new();
    for _ in 0..MAX_TAG_PAGES {
        let request = Request::new(Method::Get, &url).header("accept", "application/json");
        let (head, body) = source::exchange(fetcher, &request, MAX_MANIFEST_BYTES)?;
        match head.status {
            200 => {}
            404 => return Ok(tags),
            status => return Err(refused(&url, status)),
        }
        let page: TagList = serde_json::from_slice(&body).map_err(|e| Error::IndexInvalid {
            path: url.clone(),
            problem: format!("the tag list is not what the distribution API answers ({e})"),
        })?;
        tags.extend(page.tags.unwrap_or_default());
        // RFC 8288 `Link: </v2/...?last=x&n=y>; rel="next"`.
        match head.header("link").and_then(next_link) {
            Some(next) => url = format!("{}{}", api(host).trim_end_matches("/v2"), next),
            None => return Ok(tags),
        }
    }
    Ok(tags)
}

fn next_link(value: &str) -> Option<String> {
    value.split(',').find_map(|link| {
        let (target, params) = link.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"" || p.trim() == "rel=next")
            .then(|| target.to_string())
    })
}

/// The repositories directly under `namespace`, from `/v2/_catalog`;
/// `None` when the registry does not offer its catalog (many public ones
/// do not).
fn catalog(fetcher: &dyn Fetcher, host: &str, namespace: &str) -> Result<Option<Vec<String>>> {
    #[derive(Deserialize)]
    struct Catalog {
        #[serde(default)]
        repositories: Vec<String>,
    }
    let mut url = format!("{}/_catalog", api(host));
    let mut repositories = Vec::new();
    for _ in 0..MAX_TAG_PAGES {
        let request = Request::new(Method::Get, &url).header("accept", "application/json");
        let (head, body) = source::exchange(fetcher, &request, MAX_MANIFEST_BYTES)?;
        if head.status != 200 {
            return Ok(None);
        }
        let Ok(page) = serde_json::from_slice::<Catalog>(&body) else {
            return Ok(None);
        };
        repositories.extend(page.repositories);
        match head.header("link").and_then(next_link) {
            Some(next) => url = format!("{}{}", api(host).trim_end_matches("/v2"), next),
            None => break,
        }
    }
    let prefix = format!("{namespace}/");
    repositories.retain(|r| {
        r.strip_prefix(&prefix)
            .is_some_and(|rest| !rest.contains('/'))
    });
    Ok(Some(repositories))
}

/// Everything an `oci://HOST/NAMESPACE` registry offers, as an index: each
/// repository directly under the namespace (from the catalog) with its
/// semver tags, each completed from its manifest. `oci://HOST/NS/NAME`
/// lists that one plugin's versions.
pub fn index(fetcher: &dyn Fetcher, text: &str) -> Result<Index> {
    let registry = OciRegistry::parse(text)?;
    let listed = catalog(fetcher, &registry.host, &registry.namespace)?;
    let repositories = match &listed {
        Some(repositories) if !repositories.is_empty() => repositories.clone(),
        // No repository under it: the path may be one plugin's repository.
        _ => vec![registry.namespace.clone()],
    };
    let mut plugins = Vec::new();
    for repository in &repositories {
        let last = repository.rsplit('/').next().unwrap_or(repository);
        let Ok(name) = PluginName::parse(last) else {
            continue;
        };
        for tag in tags(fetcher, &registry.host, repository)? {
            if semver::Version::parse(&tag).is_err() {
                continue;
            }
            let found = artifact(fetcher, &registry.host, repository, Some(&tag), None)?;
            plugins.push(Entry {
                name: name.clone(),
                version: tag,
                description: found.description,
                artifact: found.reference,
                sha256: found.layer,
                signature: found.signature,
                size: Some(found.size),
            });
        }
    }
    if plugins.is_empty() && listed.is_none() {
        return Err(Error::IndexInvalid {
            path: registry.shown(),
            problem: "the registry does not list its repositories (/v2/_catalog), and this is \
                      not a repository with semver tags; name one plugin: oci://HOST/NAMESPACE/NAME"
                .into(),
        });
    }
    Ok(Index {
        path: registry.shown(),
        schema_version: "1".into(),
        version: None,
        expires: None,
        plugins,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    #[serde(default)]
    media_type: Option<String>,
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: String,
    digest: String,
    size: u64,
}

/// Fetches the manifest `reference` (a tag or `sha256:HEX`) of `repository`
/// and checks that it is a Wasm artifact, pinned to `pinned` if given.
pub fn artifact(
    fetcher: &dyn Fetcher,
    host: &str,
    repository: &str,
    tag: Option<&str>,
    pinned: Option<&Sha256Digest>,
) -> Result<Artifact> {
    let reference = match (pinned, tag) {
        (Some(digest), _) => format!("sha256:{}", digest.to_hex()),
        (None, Some(tag)) => tag.to_string(),
        (None, None) => unreachable!("OciReference::parse requires one"),
    };
    let url = format!("{}/{repository}/manifests/{reference}", api(host));
    // Fetch: ask for what we accept and for the index types, so that an
    // index is seen as one and refused by name.
    let request = Request::new(Method::Get, &url).header(
        "accept",
        "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, \
         application/vnd.docker.distribution.manifest.list.v2+json, \
         application/vnd.docker.distribution.manifest.v2+json",
    );
    let (head, bytes) = source::exchange(fetcher, &request, MAX_MANIFEST_BYTES)?;
    if head.status != 200 {
        return Err(refused(&url, head.status));
    }

    // Pin: the bytes are what was asked for and what the registry says.
    let digest = Sha256Digest::of(&bytes);
    let shown = format!(
        "oci://{host}/{repository}{}@sha256:{}",
        tag.map(|t| format!(":{t}")).unwrap_or_default(),
        digest.to_hex()
    );
    for expected in pinned.map(|d| d.to_hex()).into_iter().chain(
        head.header("docker-content-digest")
            .and_then(|d| d.strip_prefix("sha256:"))
            .map(str::to_string),
    ) {
        if expected != digest.to_hex() {
            return Err(Error::DigestMismatch {
                source: url.clone(),
                expected,
                actual: digest.to_hex(),
            });
        }
    }

    // Shape: exactly the Wasm artifact layout.
    let content_type = head.header("content-type").unwrap_or_default().to_string();
    let not_wasm = |problem: String| Error::IndexInvalid {
        path: shown.clone(),
        problem: format!(
            "{problem}; a plugin is an OCI image manifest with config {CONFIG_MEDIA_TYPE} and one {LAYER_MEDIA_TYPE} layer"
        ),
    };
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| not_wasm(format!("the manifest is not valid JSON ({e})")))?;
    let media_type = manifest.media_type.clone().unwrap_or(content_type);
    if manifest.manifests.is_some() || media_type.contains("index") || media_type.contains("list") {
        return Err(not_wasm(format!(
            "it is an image index ({media_type}), not a single manifest"
        )));
    }
    let config = manifest
        .config
        .ok_or_else(|| not_wasm("the manifest has no config".into()))?;
    if config.media_type != CONFIG_MEDIA_TYPE {
        return Err(not_wasm(format!("its config is {}", config.media_type)));
    }
    let [layer] = manifest.layers.as_slice() else {
        return Err(not_wasm(format!("it has {} layers", manifest.layers.len())));
    };
    if layer.media_type != LAYER_MEDIA_TYPE {
        return Err(not_wasm(format!("its layer is {}", layer.media_type)));
    }
    let layer_digest = layer
        .digest
        .strip_prefix("sha256:")
        .and_then(|hex| Sha256Digest::parse_hex(hex).ok())
        .ok_or_else(|| not_wasm(format!("the layer digest {} is not sha256", layer.digest)))?;
    Ok(Artifact {
        reference: shown,
        blob_url: format!(
            "{}/{repository}/blobs/sha256:{}",
            api(host),
            layer_digest.to_hex()
        ),
        layer: layer_digest,
        size: layer.size,
        signature: manifest.annotations.get(SIGNATURE_ANNOTATION).cloned(),
        description: manifest.annotations.get(DESCRIPTION_ANNOTATION).cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_and_references_parse() {
        let r = OciRegistry::parse("oci://127.0.0.1:5000/acme/tools/").unwrap();
        assert_eq!(
            (r.host.as_str(), r.namespace.as_str()),
            ("127.0.0.1:5000", "acme/tools")
        );
        assert_eq!(r.repository("hello"), "acme/tools/hello");
        let hex = "ab".repeat(32);
        let p =
            OciReference::parse(&format!("oci://ghcr.io/acme/hello:1.0.0@sha256:{hex}")).unwrap();
        assert_eq!(p.repository, "acme/hello");
        assert_eq!(p.tag.as_deref(), Some("1.0.0"));
        assert_eq!(p.digest.unwrap().to_hex(), hex);
        let t = OciReference::parse("oci://localhost:5000/acme/hello:2.0.0").unwrap();
        assert_eq!(
            (t.host.as_str(), t.tag.as_deref(), t.digest),
            ("localhost:5000", Some("2.0.0"), None)
        );
    }

    #[test]
    fn bad_references_say_why() {
        for (text, why) in [
            ("oci://host", "no repository"),
            ("oci://ho st/acme", "not a registry host"),
            ("oci://host/Acme", "not a repository name"),
            ("oci://host/acme/../x", "not a repository name"),
            ("oci://host/acme/hello", "name a tag"),
            ("oci://host/acme/hello@md5:00", "@sha256:"),
        ] {
            let e = OciReference::parse(text).unwrap_err();
            assert!(format!("{e:?}").contains(why), "{text}: {e:?}");
        }
    }

    #[test]
    fn loopback_registries_are_plain_http() {
        assert_eq!(api("127.0.0.1:5000"), "http://127.0.0.1:5000/v2");
        assert_eq!(api("localhost"), "http://localhost/v2");
        assert_eq!(api("[::1]:5000"), "http://[::1]:5000/v2");
        assert_eq!(api("ghcr.io"), "https://ghcr.io/v2");
    }

    #[test]
    fn next_links_are_followed() {
        assert_eq!(
            next_link(r#"</v2/acme/hello/tags/list?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/acme/hello/tags/list?last=b&n=2")
        );
        assert_eq!(next_link(r#"</x>; rel="prev""#), None);
    }
}
