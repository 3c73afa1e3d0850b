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
//! Sigstore bundles attached to the manifest are read and written in
//! `referrers`. Requests go through the host's `send`, which owns
//! credentials.

pub mod cosign;
pub mod referrers;

use crate::error::{Error, Result};
use crate::registry::index::{Entry, Index};
use crate::registry::name::PluginName;
use crate::registry::{Loaded, RegistryRef};
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
/// The layer's file name (`NAME.wasm`): what `oras pull` saves it as.
pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";

/// What manifest requests accept: ours, and the index types, so that an
/// index is seen as one (and refused by name) rather than as a 404.
const ACCEPTED_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json";

/// Manifests and tag lists are small; anything larger is not one.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Pages of a tag list followed at most.
const MAX_TAG_PAGES: usize = 100;

/// A registry host and how to reach it: https, or plain http for a
/// loopback address (as docker does) or when the reference says
/// `oci+http://` (`--plain-http`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub plain_http: bool,
    /// Plain http by request, not by being loopback: shown as `oci+http://`.
    asked_plain: bool,
}

impl Host {
    fn new(name: &str, plain_http: bool) -> Host {
        let loopback = crate::error::is_loopback(name);
        Host {
            name: name.to_string(),
            plain_http: plain_http || loopback,
            asked_plain: plain_http && !loopback,
        }
    }

    /// `oci://`, or `oci+http://` for plain http that was asked for.
    pub fn scheme(&self) -> &'static str {
        if self.asked_plain {
            "oci+http://"
        } else {
            "oci://"
        }
    }

    /// The distribution API's root, `http(s)://HOST/v2`.
    fn api(&self) -> String {
        let scheme = if self.plain_http { "http" } else { "https" };
        format!("{scheme}://{}/v2", self.name)
    }

    /// `http(s)://HOST`, what relative `Location`s and links resolve against.
    fn origin(&self) -> String {
        self.api().trim_end_matches("/v2").to_string()
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// `oci://HOST[:PORT]/NAMESPACE`: a registry of plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciRegistry {
    pub host: Host,
    pub namespace: String,
}

/// `oci://HOST/REPOSITORY[:TAG][@sha256:HEX]`: one artefact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciReference {
    pub host: Host,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Sha256Digest>,
}

/// A resolved artefact: where its layer is and what it must be.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// `oci://HOST/REPO:TAG@sha256:MANIFEST`: what the receipt records.
    pub reference: String,
    pub host: Host,
    pub repository: String,
    /// The manifest's digest and size: what referrers name as `subject`.
    pub manifest: Sha256Digest,
    pub manifest_size: u64,
    pub layer: Sha256Digest,
    pub size: u64,
    /// The layer blob's URL, for the host's fetch.
    pub blob_url: String,
    pub signature: Option<String>,
    pub description: Option<String>,
}

/// Whether `text` names an OCI registry or artefact (`oci://`, or
/// `oci+http://` for plain http).
pub fn is_oci(text: &str) -> bool {
    scheme_len(text).is_some()
}

fn scheme_len(text: &str) -> Option<usize> {
    ["oci://", "oci+http://"].iter().find_map(|scheme| {
        text.get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
            .then_some(scheme.len())
    })
}

fn invalid(value: &str, reason: impl Into<String>) -> Error {
    Error::UnsupportedLocation {
        location: value.to_string(),
        reason: reason.into(),
    }
}

/// `HOST` and the path after it, both checked.
fn split(text: &str) -> Result<(Host, &str)> {
    let Some(skip) = scheme_len(text) else {
        return Err(invalid(text, "not an oci:// reference"));
    };
    // `oci://user:password@host/...`: credentials come from the docker
    // config or a token file, never from the reference.
    crate::transfer::location::refuse_credentials(text)?;
    let plain_http = skip > "oci://".len();
    let rest = &text[skip..];
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
    Ok((Host::new(&host.to_ascii_lowercase(), plain_http), path))
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

/// A tag as the distribution spec allows it: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn is_valid_tag(tag: &str) -> bool {
    tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn check_tag(text: &str, tag: &str) -> Result<()> {
    if is_valid_tag(tag) {
        Ok(())
    } else {
        Err(invalid(
            text,
            format!("'{tag}' is not a tag (letters, digits, _ . -)"),
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
        format!("{}{}/{}", self.host.scheme(), self.host, self.namespace)
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
        if let Some(tag) = &tag {
            check_tag(text, tag)?;
        }
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

/// A failed API call, with the status and what it means.
fn refused(url: &str, status: u16) -> Error {
    Error::fetch_failed(url, crate::error::FetchError::HttpStatus(status))
}

/// The repository's tags, in the registry's order. A repository the
/// registry does not know has none.
pub fn tags(fetcher: &dyn Fetcher, host: &Host, repository: &str) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct TagList {
        #[serde(default)]
        tags: Option<Vec<String>>,
    }
    let mut url = format!("{}/{repository}/tags/list", host.api());
    let mut tags = Vec::new();
    for _ in 0..MAX_TAG_PAGES {
        let request = Request::new(Method::Get, &url).header("accept", "application/json");
        let (head, body) = source::exchange(fetcher, &request, MAX_MANIFEST_BYTES)?;
        match head.status {
            200 => {}
            404 => return Ok(tags),
            status => return Err(refused(&url, status)),
        }
        let page: TagList = serde_json::from_slice(&body).map_err(|e| Error::OciInvalid {
            path: url.clone(),
            problem: format!("the tag list is not what the distribution API answers ({e})"),
        })?;
        tags.extend(page.tags.unwrap_or_default());
        // RFC 8288 `Link: </v2/...?last=x&n=y>; rel="next"`.
        match head.header("link").and_then(next_link) {
            Some(next) => url = page_url(host, &next)?,
            None => return Ok(tags),
        }
    }
    // Stopping here could hide the highest version.
    Err(Error::OciInvalid {
        path: format!("{}{host}/{repository}", host.scheme()),
        problem: format!("its tag list goes on for more than {MAX_TAG_PAGES} pages"),
    })
}

/// A next page's URL: a path on the registry, or an absolute URL on it.
fn page_url(host: &Host, next: &str) -> Result<String> {
    if next.starts_with('/') {
        return Ok(format!("{}{next}", host.origin()));
    }
    let origin = host.origin();
    match next.get(..origin.len()) {
        Some(start) if start.eq_ignore_ascii_case(&origin) => Ok(next.to_string()),
        _ => Err(Error::fetch_failed(
            next.to_string(),
            crate::error::FetchError::Protocol(format!(
                "the registry's next page is on another host than {origin}"
            )),
        )),
    }
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
fn catalog(fetcher: &dyn Fetcher, host: &Host, namespace: &str) -> Result<Option<Vec<String>>> {
    #[derive(Deserialize)]
    struct Catalog {
        #[serde(default)]
        repositories: Vec<String>,
    }
    let mut url = format!("{}/_catalog", host.api());
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
            Some(next) => url = page_url(host, &next)?,
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
            // A tag that is not a plugin (an image pushed beside them) is
            // left out, not fatal to the whole listing.
            let found = match artifact(fetcher, &registry.host, repository, Some(&tag), None) {
                Ok(found) => found,
                Err(Error::OciInvalid { .. }) => continue,
                Err(e) => return Err(e),
            };
            plugins.push(Entry {
                signatures: Vec::new(),
                name: name.clone(),
                version: tag,
                description: found.description,
                artifact: found.reference,
                sha256: found.layer,
                signature: found.signature,
                size: Some(found.size),
                // OCI has no yanking: a withdrawn tag is deleted.
                yanked: false,
                imports: None,
                exports: None,
                sigstore_bundle: None,
                minisig: None,
            });
        }
    }
    if plugins.is_empty() && listed.is_none() {
        return Err(Error::OciInvalid {
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

/// Bytes sent per PATCH of a chunked blob upload.
const UPLOAD_CHUNK: usize = 8 << 20;

/// A plugin's Wasm artifact to push: what its manifest says (the layer's
/// digest and size, the component's types for the config, annotations) and
/// the layer's bytes, in chunks as a [`Blob`] gives them.
pub struct Push<'a> {
    pub name: &'a str,
    pub tag: &'a str,
    pub layer: (Sha256Digest, u64),
    /// The component's imports and exports, for the config.
    pub types: Option<(&'a [String], &'a [String])>,
    pub annotations: BTreeMap<String, String>,
    pub next: &'a mut dyn FnMut() -> Result<Vec<u8>>,
}

/// Pushes `artifact` into `repository`: the config and layer blobs
/// (skipping those the registry has), then the manifest naming them under
/// its tag. Returns the manifest's digest and size.
pub fn push_artifact(
    fetcher: &dyn Fetcher,
    host: &Host,
    repository: &str,
    artifact: Push<'_>,
) -> Result<(Sha256Digest, u64)> {
    let (layer, size) = artifact.layer;
    let config = config(&layer, artifact.types, &crate::clock::now());
    let config_digest = Sha256Digest::of(&config);
    let mut config_chunks = Some(config.clone());
    let config_blob = Blob {
        digest: config_digest,
        size: config.len() as u64,
        next: &mut || Ok(config_chunks.take().unwrap_or_default()),
    };
    push_blob(fetcher, host, repository, config_blob)?;
    let layer_blob = Blob {
        digest: layer,
        size,
        next: artifact.next,
    };
    push_blob(fetcher, host, repository, layer_blob)?;
    let manifest = manifest(
        artifact.name,
        (&config_digest, config.len() as u64),
        (&layer, size),
        &artifact.annotations,
    );
    let manifest_size = manifest.len() as u64;
    let digest = push_manifest(fetcher, host, repository, artifact.tag, manifest)?;
    Ok((digest, manifest_size))
}

/// A blob to push: its digest, its size, and its bytes from the start, in
/// chunks (`next` returns an empty chunk at the end).
pub struct Blob<'a> {
    pub digest: Sha256Digest,
    pub size: u64,
    pub next: &'a mut dyn FnMut() -> Result<Vec<u8>>,
}

fn expect_status(url: &str, head: &source::Head, wanted: &[u16]) -> Result<()> {
    if wanted.contains(&head.status) {
        Ok(())
    } else {
        Err(refused(url, head.status))
    }
}

/// An upload's next URL, from a `Location` that may be relative.
fn upload_location(host: &Host, url: &str, head: &source::Head) -> Result<String> {
    let location = head.header("location").ok_or_else(|| {
        Error::fetch_failed(
            url,
            crate::error::FetchError::Protocol("an upload answer without a Location".into()),
        )
    })?;
    if !(location.starts_with("http://") || location.starts_with("https://")) {
        return Ok(format!("{}{location}", host.origin()));
    }
    // An absolute Location must stay on the registry: a registry behind a
    // proxy may build it from a Host header, and the upload's bytes must
    // not go elsewhere, nor down to plain http.
    let origin = host.origin();
    if location.len() > origin.len()
        && location[..origin.len()].eq_ignore_ascii_case(&origin)
        && location[origin.len()..].starts_with('/')
    {
        Ok(location.to_string())
    } else {
        Err(Error::fetch_failed(
            url,
            crate::error::FetchError::Protocol(format!(
                "the registry sent the upload to {location}, not to {origin}; refused"
            )),
        ))
    }
}

/// Pushes `blob` into `repository` unless the registry has it already
/// (what the registry says it has is checked by digest on its side).
/// Returns whether bytes were sent.
pub fn push_blob(
    fetcher: &dyn Fetcher,
    host: &Host,
    repository: &str,
    blob: Blob<'_>,
) -> Result<bool> {
    let digest = format!("sha256:{}", blob.digest.to_hex());
    let exists_url = format!("{}/{repository}/blobs/{digest}", host.api());
    let (head, _) = source::exchange(fetcher, &Request::new(Method::Head, &exists_url), 0)?;
    if head.status == 200 {
        return Ok(false);
    }
    // Start, then PATCH chunks (each answer names the next URL), then PUT
    // with the digest, which the registry verifies.
    let start = format!("{}/{repository}/blobs/uploads/", host.api());
    let (head, _) = source::exchange(fetcher, &Request::new(Method::Post, &start), 1 << 20)?;
    expect_status(&start, &head, &[202])?;
    let mut location = upload_location(host, &start, &head)?;
    let mut offset = 0u64;
    loop {
        let mut chunk = Vec::new();
        while chunk.len() < UPLOAD_CHUNK {
            let more = (blob.next)()?;
            if more.is_empty() {
                break;
            }
            chunk.extend_from_slice(&more);
        }
        if chunk.is_empty() {
            break;
        }
        let end = offset + chunk.len() as u64 - 1;
        let mut request = Request::new(Method::Patch, &location)
            .header("content-type", "application/octet-stream")
            .header("content-range", &format!("{offset}-{end}"));
        request.body = Some(chunk);
        // Once: a PATCH sent again after a failure would not continue the
        // upload where the registry has it.
        let (head, _) = source::exchange_once(fetcher, &request, 1 << 20)?;
        expect_status(&location, &head, &[202])?;
        location = upload_location(host, &location, &head)?;
        offset = end + 1;
    }
    if offset != blob.size {
        return Err(Error::SizeMismatch {
            source: exists_url,
            expected: blob.size,
            actual: offset,
        });
    }
    let separator = if location.contains('?') { '&' } else { '?' };
    let finish = format!("{location}{separator}digest={digest}");
    let mut request =
        Request::new(Method::Put, &finish).header("content-type", "application/octet-stream");
    request.body = Some(Vec::new());
    let (head, _) = source::exchange(fetcher, &request, 1 << 20)?;
    expect_status(&finish, &head, &[201])?;
    Ok(true)
}

/// The config blob of a plugin's Wasm artifact, as the CNCF Wasm OCI
/// artifact layout has it and wkg writes it: `architecture` `wasm`, `os`
/// `wasip2`, the layer's digest, when it was `created` (RFC 3339), and,
/// when the bytes are a component whose types were read, its `component`
/// `imports` and `exports` (world names such as `wasi:io/streams@0.2.3`),
/// which wkg shows and a runtime can judge without pulling the layer.
pub fn config(
    layer: &Sha256Digest,
    types: Option<(&[String], &[String])>,
    created: &str,
) -> Vec<u8> {
    let mut config = serde_json::json!({
        "created": created,
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [format!("sha256:{}", layer.to_hex())],
    });
    if let Some((imports, exports)) = types {
        config["component"] = serde_json::json!({"exports": exports, "imports": imports});
    }
    serde_json::to_vec(&config).expect("a JSON value serializes")
}

/// The manifest of plugin `name`'s Wasm artifact: config and layer
/// descriptors (the layer titled `NAME.wasm`, so `oras pull` saves it by
/// that name), and the annotations (signature, description).
pub fn manifest(
    name: &str,
    config: (&Sha256Digest, u64),
    layer: (&Sha256Digest, u64),
    annotations: &BTreeMap<String, String>,
) -> Vec<u8> {
    let mut manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": format!("sha256:{}", config.0.to_hex()), "size": config.1},
        "layers": [{"mediaType": LAYER_MEDIA_TYPE, "digest": format!("sha256:{}", layer.0.to_hex()), "size": layer.1,
                    "annotations": {TITLE_ANNOTATION: format!("{name}.wasm")}}],
    });
    if !annotations.is_empty() {
        manifest["annotations"] = serde_json::json!(annotations);
    }
    serde_json::to_vec(&manifest).expect("a JSON value serializes")
}

/// Whether `repository` has a manifest tagged `tag`.
pub fn has_tag(fetcher: &dyn Fetcher, host: &Host, repository: &str, tag: &str) -> Result<bool> {
    let url = format!("{}/{repository}/manifests/{tag}", host.api());
    // Any manifest counts: an image index under the tag is still a tag.
    let request = Request::new(Method::Head, &url).header("accept", ACCEPTED_MANIFESTS);
    let (head, _) = source::exchange(fetcher, &request, 0)?;
    match head.status {
        200 => Ok(true),
        404 => Ok(false),
        status => Err(refused(&url, status)),
    }
}

/// Puts `manifest` under `tag`; returns its digest.
pub fn push_manifest(
    fetcher: &dyn Fetcher,
    host: &Host,
    repository: &str,
    tag: &str,
    manifest: Vec<u8>,
) -> Result<Sha256Digest> {
    let digest = Sha256Digest::of(&manifest);
    put_manifest(
        fetcher,
        host,
        repository,
        tag,
        MANIFEST_MEDIA_TYPE,
        manifest,
    )?;
    Ok(digest)
}

/// Puts `bytes` (of `media_type`) under `reference`, a tag or
/// `sha256:HEX`; returns the registry's answer (its `OCI-Subject` says
/// whether it indexes referrers itself).
fn put_manifest(
    fetcher: &dyn Fetcher,
    host: &Host,
    repository: &str,
    reference: &str,
    media_type: &str,
    bytes: Vec<u8>,
) -> Result<source::Head> {
    let url = format!("{}/{repository}/manifests/{reference}", host.api());
    let mut request = Request::new(Method::Put, &url).header("content-type", media_type);
    request.body = Some(bytes);
    let (head, _) = source::exchange(fetcher, &request, 1 << 20)?;
    expect_status(&url, &head, &[201])?;
    Ok(head)
}

/// `oci://HOST/REPO:TAG@sha256:DIGEST`, as receipts and reports show it.
pub fn reference(host: &Host, repository: &str, tag: &str, digest: &Sha256Digest) -> String {
    format!(
        "{}{host}/{repository}:{tag}@sha256:{}",
        host.scheme(),
        digest.to_hex()
    )
}

/// The artefact the reference `text` names; its layer must be `expected`
/// when given (an index entry's `sha256`).
pub fn resolve(
    fetcher: &dyn Fetcher,
    text: &str,
    expected: Option<&Sha256Digest>,
) -> Result<Artifact> {
    let reference = OciReference::parse(text)?;
    let found = artifact(
        fetcher,
        &reference.host,
        &reference.repository,
        reference.tag.as_deref(),
        reference.digest.as_ref(),
    )?;
    match expected {
        Some(expected) if *expected != found.layer => Err(Error::DigestMismatch {
            source: found.reference,
            expected: expected.to_hex(),
            actual: found.layer.to_hex(),
        }),
        _ => Ok(found),
    }
}

/// An `oci://HOST/NAMESPACE` registry as a loaded index (see [`index`]),
/// with the bytes of the index it amounts to, for `mirror`.
pub fn loaded(fetcher: &dyn Fetcher, text: &str) -> Result<Loaded> {
    let index = index(fetcher, text)?;
    let plugins: Vec<serde_json::Value> = index
        .plugins
        .iter()
        .map(|e| {
            let mut entry = serde_json::json!({
                "name": e.name.as_str(), "version": e.version, "artifact": e.artifact,
                "sha256": e.sha256.to_hex(), "size": e.size,
            });
            if let Some(description) = &e.description {
                entry["description"] = description.clone().into();
            }
            if let Some(signature) = &e.signature {
                entry["signature"] = signature.clone().into();
            }
            entry
        })
        .collect();
    let mut bytes = serde_json::to_vec_pretty(&serde_json::json!({
        "schema_version": index.schema_version, "plugins": plugins,
    }))
    .expect("a JSON value serializes");
    bytes.push(b'\n');
    Ok(Loaded {
        registry: RegistryRef::Url(index.path.clone()),
        index,
        bytes,
        signature: None,
        signed_by: None,
        trust_checked: false,
        timestamp: None,
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
    host: &Host,
    repository: &str,
    tag: Option<&str>,
    pinned: Option<&Sha256Digest>,
) -> Result<Artifact> {
    let reference = match (pinned, tag) {
        (Some(digest), _) => format!("sha256:{}", digest.to_hex()),
        (None, Some(tag)) => tag.to_string(),
        (None, None) => unreachable!("OciReference::parse requires one"),
    };
    let url = format!("{}/{repository}/manifests/{reference}", host.api());
    // Fetch: ask for what we accept and for the index types, so that an
    // index is seen as one and refused by name.
    let request = Request::new(Method::Get, &url).header("accept", ACCEPTED_MANIFESTS);
    let (head, bytes) = source::exchange(fetcher, &request, MAX_MANIFEST_BYTES)?;
    if head.status != 200 {
        return Err(refused(&url, head.status));
    }

    // Pin: the bytes are what was asked for and what the registry says.
    let digest = Sha256Digest::of(&bytes);
    let shown = format!(
        "{}{host}/{repository}{}@sha256:{}",
        host.scheme(),
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
    let not_wasm = |problem: String| Error::OciInvalid {
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
        host: host.clone(),
        repository: repository.to_string(),
        manifest: digest,
        manifest_size: bytes.len() as u64,
        blob_url: format!(
            "{}/{repository}/blobs/sha256:{}",
            host.api(),
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
            (r.host.name.as_str(), r.namespace.as_str()),
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
            (t.host.name.as_str(), t.tag.as_deref(), t.digest),
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
    fn credentials_in_a_reference_are_refused_without_showing_them() {
        for text in [
            "oci://user:secret@ghcr.io/acme/hello:1.0.0",
            "oci+http://user:secret@registry.lan:5000/acme/hello:1.0.0",
        ] {
            let e = OciReference::parse(text).unwrap_err();
            let Error::UnsupportedLocation { location, reason } = &e else {
                panic!("{e:?}")
            };
            assert!(location.contains("://***@"), "{location}");
            assert!(reason.contains("--registry-token-file"), "{reason}");
            assert!(!format!("{e:?}").contains("secret"), "{e:?}");
        }
        let e = OciRegistry::parse("oci://secret@ghcr.io/acme").unwrap_err();
        assert!(!format!("{e:?}").contains("secret"), "{e:?}");
    }

    #[test]
    fn plain_http_only_for_loopback_or_when_asked() {
        let api = |text: &str| OciRegistry::parse(text).unwrap().host.api();
        assert_eq!(api("oci://127.0.0.1:5000/a"), "http://127.0.0.1:5000/v2");
        assert_eq!(api("oci://localhost/a"), "http://localhost/v2");
        assert_eq!(api("oci://[::1]:5000/a"), "http://[::1]:5000/v2");
        assert_eq!(api("oci://ghcr.io/a"), "https://ghcr.io/v2");
        assert_eq!(
            api("oci+http://registry.lan:5000/a"),
            "http://registry.lan:5000/v2"
        );
        assert!(is_oci("OCI+HTTP://h/a") && !is_oci("http://h/a"));
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
