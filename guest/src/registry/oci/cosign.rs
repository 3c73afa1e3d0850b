//! cosign's older signatures of an OCI artefact: the tag `sha256-<hex>.sig`.
//!
//! Before it attached bundles as referrers, cosign pushed an image's
//! signatures as an OCI manifest under the tag `sha256-<hex of the signed
//! manifest's digest>.sig` in the image's repository: each layer a
//! simple-signing payload, its signature and the rest in the layer's
//! annotations (`trust::sigstore::cosign` reads them). The tag is read
//! here, in the component, only as candidates: each payload layer is
//! fetched within `MAX_BUNDLE_BYTES` and must be what its digest says;
//! whether one vouches for the plugin (its signer, and the manifest digest
//! it names) is the trust policy's, offline.

use super::{ACCEPTED_MANIFESTS, Host, MAX_MANIFEST_BYTES, refused};
use crate::error::{Error, Result};
use crate::limits::{MAX_BUNDLE_BYTES, MAX_BUNDLE_REFERRERS};
use crate::transfer::location::Location;
use crate::transfer::source::{self, Fetcher, Method, Request};
use crate::trust::digest::Sha256Digest;
use crate::trust::sigstore::cosign::{Layer, PAYLOAD_MEDIA_TYPE};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A signature layer found under the tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// `oci://HOST/REPO:sha256-<hex>.sig`, as messages name it.
    pub reference: String,
    pub layer: Layer,
}

#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    layers: Vec<Descriptor>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// `sha256-<hex>.sig`: the tag cosign signs manifest `subject` under.
pub fn signature_tag(subject: &Sha256Digest) -> String {
    format!("sha256-{}.sig", subject.to_hex())
}

/// The signature layers under manifest `subject`'s signature tag in
/// `repository`, in order: the first `MAX_BUNDLE_REFERRERS` simple-signing
/// layers within `MAX_BUNDLE_BYTES`. No tag: none.
pub fn signatures(
    fetcher: &dyn Fetcher,
    host: &Host,
    repository: &str,
    subject: &Sha256Digest,
) -> Result<Vec<Signed>> {
    let tag = signature_tag(subject);
    let url = format!("{}/{repository}/manifests/{tag}", host.api());
    let request = Request::new(Method::Get, &url).header("accept", ACCEPTED_MANIFESTS);
    let (head, body) = source::exchange(fetcher, &request, MAX_MANIFEST_BYTES)?;
    match head.status {
        200 => {}
        404 => return Ok(Vec::new()),
        status => return Err(refused(&url, status)),
    }
    let manifest: Manifest = serde_json::from_slice(&body).map_err(|e| Error::OciInvalid {
        path: url.clone(),
        problem: format!("the cosign signature tag {tag} is not an OCI image manifest ({e})"),
    })?;
    let reference = format!("{}{host}/{repository}:{tag}", host.scheme());
    let mut found = Vec::new();
    for layer in manifest
        .layers
        .into_iter()
        .filter(|l| l.media_type == PAYLOAD_MEDIA_TYPE && l.size <= MAX_BUNDLE_BYTES as u64)
        .take(MAX_BUNDLE_REFERRERS)
    {
        let Some(digest) = layer
            .digest
            .strip_prefix("sha256:")
            .and_then(|hex| Sha256Digest::parse_hex(hex).ok())
        else {
            continue;
        };
        let blob = format!("{}/{repository}/blobs/{}", host.api(), layer.digest);
        let payload = source::read_all(
            &Location::Registry(blob.clone()),
            fetcher,
            MAX_BUNDLE_BYTES as u64,
        )?
        .ok_or_else(|| Error::TooLarge {
            source: blob.clone(),
            limit: MAX_BUNDLE_BYTES as u64,
        })?;
        super::referrers::pinned(&blob, &digest, &payload)?;
        found.push(Signed {
            reference: reference.clone(),
            layer: Layer {
                payload,
                annotations: layer.annotations,
            },
        });
    }
    Ok(found)
}
