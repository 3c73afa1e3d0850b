//! Sigstore bundles attached to an OCI artefact, as cosign v3 attaches them.
//!
//! A bundle is a *referrer* of the plugin's manifest: an OCI image manifest
//! whose `artifactType` is the bundle media type, whose config is the OCI
//! empty descriptor, whose one layer is the bundle, and whose `subject` is
//! the plugin's manifest. A registry with the OCI 1.1 referrers API lists
//! them at `GET /v2/<repo>/referrers/<digest>`; one without it (404, as
//! Debian's docker-registry 2.8) holds the same list as an image index under
//! the tag `sha256-<hex>` (the spec's fallback), which the publisher keeps up
//! to date. Both lists are read here, in the component; what is listed is
//! only a candidate: each referrer manifest is pinned to its digest, must
//! name the plugin's manifest as its subject, and its layer is fetched
//! within `MAX_BUNDLE_BYTES` and checked against its digest. Whether a
//! bundle vouches for the plugin is the trust policy's, offline.

use super::{ACCEPTED_MANIFESTS, Host, MANIFEST_MEDIA_TYPE, MAX_MANIFEST_BYTES, refused};
use crate::error::{Error, Result};
use crate::limits::{MAX_BUNDLE_BYTES, MAX_BUNDLE_REFERRERS};
use crate::transfer::source::{self, Fetcher, Method, Request};
use crate::trust::digest::Sha256Digest;
use serde::Deserialize;
use serde_json::{Value, json};

/// The media type of a Sigstore bundle v0.3, as `artifactType` and as the
/// referrer's layer.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// What every bundle media type starts with (v0.1 and v0.2 are
/// `application/vnd.dev.sigstore.bundle+json;version=0.N`).
const BUNDLE_MEDIA_PREFIX: &str = "application/vnd.dev.sigstore.bundle";
/// The OCI empty descriptor: the config of an artifact that has none.
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
const EMPTY_CONFIG: &[u8] = b"{}";
/// An OCI image index: the referrers API's answer, and the fallback tag.
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

/// A bundle found attached to a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// `oci://HOST/REPO@sha256:REFERRER`: the referrer manifest, as
    /// messages name it.
    pub reference: String,
    /// The bundle's JSON, as fetched.
    pub json: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageIndex {
    #[serde(default)]
    manifests: Vec<Listed>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    digest: String,
    #[serde(default)]
    artifact_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Referrer {
    #[serde(default)]
    artifact_type: Option<String>,
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    subject: Option<Descriptor>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: String,
    digest: String,
    size: u64,
}

fn is_bundle_type(media_type: &str) -> bool {
    media_type.starts_with(BUNDLE_MEDIA_PREFIX)
}

fn digest_of(text: &str) -> Option<Sha256Digest> {
    text.strip_prefix("sha256:")
        .and_then(|hex| Sha256Digest::parse_hex(hex).ok())
}

/// `sha256-<hex>`: the tag the OCI 1.1 fallback lists a manifest's
/// referrers under.
pub fn fallback_tag(subject: &Sha256Digest) -> String {
    format!("sha256-{}", subject.to_hex())
}

/// The Sigstore bundles attached to manifest `subject` of `repository`, in
/// the order listed (the newest last, for the fallback tag): the first
/// `MAX_BUNDLE_REFERRERS` that are bundle referrers of `subject`.
pub fn bundles(
    fetcher: &dyn Fetcher,
    host: &Host,
    repository: &str,
    subject: &Sha256Digest,
) -> Result<Vec<Attached>> {
    let listed = listed(fetcher, host, repository, subject)?;
    let mut found = Vec::new();
    for candidate in listed
        .iter()
        .filter(|l| l.artifact_type.as_deref().is_none_or(is_bundle_type))
    {
        if found.len() == MAX_BUNDLE_REFERRERS {
            break;
        }
        let Some(digest) = digest_of(&candidate.digest) else {
            continue;
        };
        if let Some(bundle) = fetch_bundle(fetcher, host, repository, &digest, subject)? {
            found.push(bundle);
        }
    }
    Ok(found)
}

/// What lists `subject`'s referrers: the referrers API (asked for bundles
/// only; a registry may ignore that, so the caller filters again), else,
/// where the registry has none (404), the fallback tag. Neither: none.
fn listed(
    fetcher: &dyn Fetcher,
    host: &Host,
    repository: &str,
    subject: &Sha256Digest,
) -> Result<Vec<Listed>> {
    let wanted = percent_encoding::utf8_percent_encode(
        BUNDLE_MEDIA_TYPE,
        percent_encoding::NON_ALPHANUMERIC,
    );
    let api = format!(
        "{}/{repository}/referrers/sha256:{}?artifactType={wanted}",
        host.api(),
        subject.to_hex()
    );
    if let Some(index) = image_index(fetcher, &api, INDEX_MEDIA_TYPE)? {
        return Ok(index.manifests);
    }
    let tag = format!(
        "{}/{repository}/manifests/{}",
        host.api(),
        fallback_tag(subject)
    );
    Ok(image_index(fetcher, &tag, ACCEPTED_MANIFESTS)?
        .map(|index| index.manifests)
        .unwrap_or_default())
}

/// The image index at `url`; `None` on 404.
fn image_index(fetcher: &dyn Fetcher, url: &str, accept: &str) -> Result<Option<ImageIndex>> {
    let request = Request::new(Method::Get, url).header("accept", accept);
    let (head, body) = source::exchange(fetcher, &request, MAX_MANIFEST_BYTES)?;
    match head.status {
        200 => {}
        404 => return Ok(None),
        status => return Err(refused(url, status)),
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| Error::OciInvalid {
            path: url.to_string(),
            problem: format!("the list of referrers is not an OCI image index ({e})"),
        })
}

/// The bundle of referrer manifest `digest`, when it is a bundle referrer
/// of `subject` (anything else listed beside it is passed over); its
/// manifest and layer must be what their digests say.
fn fetch_bundle(
    fetcher: &dyn Fetcher,
    host: &Host,
    repository: &str,
    digest: &Sha256Digest,
    subject: &Sha256Digest,
) -> Result<Option<Attached>> {
    let url = format!(
        "{}/{repository}/manifests/sha256:{}",
        host.api(),
        digest.to_hex()
    );
    let request = Request::new(Method::Get, &url).header("accept", MANIFEST_MEDIA_TYPE);
    let (head, bytes) = source::exchange(fetcher, &request, MAX_MANIFEST_BYTES)?;
    if head.status != 200 {
        return Err(refused(&url, head.status));
    }
    pinned(&url, digest, &bytes)?;
    let Ok(referrer) = serde_json::from_slice::<Referrer>(&bytes) else {
        return Ok(None);
    };
    let Some(layer) = bundle_layer(&referrer, subject) else {
        return Ok(None);
    };
    let blob = format!("{}/{repository}/blobs/{}", host.api(), layer.digest);
    let json = match source::read_all(
        &crate::transfer::location::Location::Registry(blob.clone()),
        fetcher,
        MAX_BUNDLE_BYTES as u64,
    )? {
        Some(json) => json,
        None => {
            return Err(Error::TooLarge {
                source: blob,
                limit: MAX_BUNDLE_BYTES as u64,
            });
        }
    };
    let expected = digest_of(&layer.digest).expect("checked in bundle_layer");
    pinned(&blob, &expected, &json)?;
    Ok(Some(Attached {
        reference: format!(
            "{}{host}/{repository}@sha256:{}",
            host.scheme(),
            digest.to_hex()
        ),
        json,
    }))
}

/// The referrer's bundle layer, when it is a bundle referrer of `subject`:
/// a bundle artifact type (or config type, as older writers put it), the
/// subject named, and exactly one layer, a bundle of a size within limits.
fn bundle_layer<'r>(referrer: &'r Referrer, subject: &Sha256Digest) -> Option<&'r Descriptor> {
    let kind = referrer
        .artifact_type
        .as_deref()
        .or(referrer.config.as_ref().map(|c| c.media_type.as_str()));
    let of_subject = referrer
        .subject
        .as_ref()
        .and_then(|s| digest_of(&s.digest))
        .is_some_and(|d| d == *subject);
    let [layer] = referrer.layers.as_slice() else {
        return None;
    };
    (kind.is_some_and(is_bundle_type)
        && of_subject
        && is_bundle_type(&layer.media_type)
        && layer.size <= MAX_BUNDLE_BYTES as u64
        && digest_of(&layer.digest).is_some())
    .then_some(layer)
}

pub(super) fn pinned(url: &str, expected: &Sha256Digest, bytes: &[u8]) -> Result<()> {
    let actual = Sha256Digest::of(bytes);
    if actual == *expected {
        Ok(())
    } else {
        Err(Error::DigestMismatch {
            source: url.to_string(),
            expected: expected.to_hex(),
            actual: actual.to_hex(),
        })
    }
}

/// The referrer manifest attaching a bundle (`bundle`: its digest and
/// size) to `subject` (the plugin manifest's digest and size), as cosign
/// v3 writes it.
pub fn referrer_manifest(bundle: (&Sha256Digest, u64), subject: (&Sha256Digest, u64)) -> Vec<u8> {
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "artifactType": BUNDLE_MEDIA_TYPE,
        "config": {
            "mediaType": EMPTY_MEDIA_TYPE,
            "digest": format!("sha256:{}", Sha256Digest::of(EMPTY_CONFIG).to_hex()),
            "size": EMPTY_CONFIG.len(),
        },
        "layers": [{
            "mediaType": BUNDLE_MEDIA_TYPE,
            "digest": format!("sha256:{}", bundle.0.to_hex()),
            "size": bundle.1,
        }],
        "subject": {
            "mediaType": MANIFEST_MEDIA_TYPE,
            "digest": format!("sha256:{}", subject.0.to_hex()),
            "size": subject.1,
        },
    });
    serde_json::to_vec(&manifest).expect("a JSON value serializes")
}

/// Attaches `bundle` to manifest `subject` (its digest and size) of
/// `repository`: the empty config and the bundle as blobs, the referrer
/// manifest by its digest, and, unless the registry answers that it
/// indexes referrers itself (`OCI-Subject`), the referrer added to the
/// fallback tag's image index. Returns the referrer's reference.
pub fn attach(
    fetcher: &dyn Fetcher,
    host: &Host,
    repository: &str,
    subject: (&Sha256Digest, u64),
    bundle: &[u8],
) -> Result<String> {
    for blob in [EMPTY_CONFIG, bundle] {
        let mut chunk = Some(blob.to_vec());
        super::push_blob(
            fetcher,
            host,
            repository,
            super::Blob {
                digest: Sha256Digest::of(blob),
                size: blob.len() as u64,
                next: &mut || Ok(chunk.take().unwrap_or_default()),
            },
        )?;
    }
    let manifest = referrer_manifest((&Sha256Digest::of(bundle), bundle.len() as u64), subject);
    let size = manifest.len() as u64;
    let digest = Sha256Digest::of(&manifest);
    let reference = format!("sha256:{}", digest.to_hex());
    let head = super::put_manifest(
        fetcher,
        host,
        repository,
        &reference,
        MANIFEST_MEDIA_TYPE,
        manifest,
    )?;
    if head.header("oci-subject").is_none() {
        add_to_fallback(fetcher, host, repository, subject.0, (&digest, size))?;
    }
    Ok(format!("{}{host}/{repository}@{reference}", host.scheme()))
}

/// Adds the referrer `(digest, size)` to the image index under `subject`'s
/// fallback tag (made when there is none); one already listed is not added
/// again. What the tag holds otherwise is kept.
fn add_to_fallback(
    fetcher: &dyn Fetcher,
    host: &Host,
    repository: &str,
    subject: &Sha256Digest,
    referrer: (&Sha256Digest, u64),
) -> Result<()> {
    let tag = fallback_tag(subject);
    let url = format!("{}/{repository}/manifests/{tag}", host.api());
    let request = Request::new(Method::Get, &url).header("accept", INDEX_MEDIA_TYPE);
    let (head, body) = source::exchange(fetcher, &request, MAX_MANIFEST_BYTES)?;
    let mut index = match head.status {
        404 => json!({"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": []}),
        200 => serde_json::from_slice::<Value>(&body)
            .ok()
            .filter(|v| v["manifests"].is_array())
            .ok_or_else(|| Error::OciInvalid {
                path: url.clone(),
                problem: format!(
                    "the tag {tag} holds something other than an OCI image index of referrers; \
                     it is left as it is: remove it, or attach the bundle where the registry \
                     has the referrers API"
                ),
            })?,
        status => return Err(refused(&url, status)),
    };
    let digest = format!("sha256:{}", referrer.0.to_hex());
    let manifests = index["manifests"].as_array_mut().expect("checked above");
    if manifests.iter().any(|m| m["digest"] == digest.as_str()) {
        return Ok(());
    }
    manifests.push(json!({
        "mediaType": MANIFEST_MEDIA_TYPE,
        "digest": digest,
        "size": referrer.1,
        "artifactType": BUNDLE_MEDIA_TYPE,
    }));
    let bytes = serde_json::to_vec(&index).expect("a JSON value serializes");
    super::put_manifest(fetcher, host, repository, &tag, INDEX_MEDIA_TYPE, bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests;
