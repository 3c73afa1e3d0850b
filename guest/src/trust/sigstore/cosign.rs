//! cosign's older signature scheme: a signature tag, read as a bundle.
//!
//! Before Sigstore bundles, `cosign sign` pushed an image's signatures
//! under the tag `sha256-<hex>.sig` (the hex of the signed manifest's
//! digest): each layer a simple-signing payload (JSON naming the manifest
//! digest it vouches for, under `critical.image.docker-manifest-digest`),
//! with the signature over the payload's bytes in the annotation
//! `dev.cosignproject.cosign/signature`, the signing certificate and its
//! chain (keyless) in `dev.sigstore.cosign/certificate` and
//! `dev.sigstore.cosign/chain`, and the Rekor entry's signed entry
//! timestamp in `dev.sigstore.cosign/bundle`.
//!
//! Such a layer holds what a v0.1 bundle holds, so it is converted into one
//! (`to_bundle`: a message signature over the payload, the certificate
//! chain or the managed key, the Rekor entry with its SET as an inclusion
//! promise) and checked by [`super::verify`] with the payload as the
//! artefact, under the same policy as any bundle. Then the payload must
//! vouch for the plugin's manifest: its `docker-manifest-digest` is the
//! manifest's (`verify`). The registry side (`registry::oci::cosign`)
//! fetches the layers; nothing here does I/O.

use super::{Artefact, Check, Expectation, Refusal, Signer, TrustedRootSource};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// The media type of a simple-signing payload layer.
pub const PAYLOAD_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The base64 signature over the payload's bytes.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The PEM signing certificate (keyless).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The PEM certificates from the signing certificate's issuer up.
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// The Rekor entry: its signed entry timestamp and what it signs.
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// The bundle media type the conversion writes: v0.1 allows a log entry
/// with only a signed entry timestamp, which is what cosign kept.
const BUNDLE_V01: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";
/// What a simple-signing payload's `critical.type` says for cosign.
const PAYLOAD_TYPE: &str = "cosign container image signature";

/// One layer of a signature tag: the payload and its annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub payload: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
}

/// The annotation `dev.sigstore.cosign/bundle`, as cosign writes it.
#[derive(Deserialize)]
struct RekorBundle {
    #[serde(rename = "SignedEntryTimestamp")]
    signed_entry_timestamp: String,
    #[serde(rename = "Payload")]
    payload: RekorPayload,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RekorPayload {
    body: String,
    integrated_time: i64,
    log_index: i64,
    #[serde(rename = "logID")]
    log_id: String,
}

/// What the Rekor entry's body says it is.
#[derive(Deserialize)]
struct RekorBody {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
}

#[derive(Deserialize)]
struct SimpleSigning {
    critical: Critical,
}

#[derive(Deserialize)]
struct Critical {
    image: Image,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

fn malformed(why: impl Into<String>) -> Refusal {
    Refusal::new(Check::BundleMalformed, why)
}

/// The layer as a Sigstore bundle v0.1 for its payload: the signature, the
/// certificate chain (leaf first) when it has one, else a public key to be
/// supplied by the policy, and the Rekor entry when it has one (without it
/// the bundle has no log entry, which the verifier refuses).
pub fn to_bundle(layer: &Layer) -> Result<Vec<u8>, Refusal> {
    use sha2::Digest as _;
    let annotation = |name: &str| layer.annotations.get(name).map(String::as_str);
    let signature = annotation(SIGNATURE_ANNOTATION).ok_or_else(|| {
        malformed(format!(
            "the layer has no {SIGNATURE_ANNOTATION} annotation"
        ))
    })?;
    STANDARD
        .decode(signature.trim())
        .map_err(|e| malformed(format!("{SIGNATURE_ANNOTATION} is not base64: {e}")))?;
    let material = match annotation(CERTIFICATE_ANNOTATION) {
        Some(leaf) => {
            let mut certificates = Vec::new();
            for (name, pem_text) in [
                (CERTIFICATE_ANNOTATION, Some(leaf)),
                (CHAIN_ANNOTATION, annotation(CHAIN_ANNOTATION)),
            ] {
                let Some(pem_text) = pem_text else { continue };
                let blocks = pem::parse_many(pem_text)
                    .map_err(|e| malformed(format!("{name} is not PEM: {e}")))?;
                for block in blocks {
                    if block.tag() != "CERTIFICATE" {
                        return Err(malformed(format!(
                            "{name} holds a {} PEM block, not a certificate",
                            block.tag()
                        )));
                    }
                    certificates.push(json!({"rawBytes": STANDARD.encode(block.contents())}));
                }
            }
            json!({"x509CertificateChain": {"certificates": certificates}})
        }
        None => json!({"publicKey": {"hint": ""}}),
    };
    let tlog_entries = match annotation(BUNDLE_ANNOTATION) {
        Some(text) => vec![tlog_entry(text)?],
        None => Vec::new(),
    };
    let digest = sha2::Sha256::digest(&layer.payload);
    let mut material = material;
    material["tlogEntries"] = json!(tlog_entries);
    let bundle = json!({
        "mediaType": BUNDLE_V01,
        "verificationMaterial": material,
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": STANDARD.encode(digest)},
            "signature": signature.trim(),
        },
    });
    Ok(serde_json::to_vec(&bundle).expect("a JSON value serializes"))
}

/// The annotation `dev.sigstore.cosign/bundle` as a bundle's log entry: the
/// SET as its inclusion promise, the body as its canonicalized body, of the
/// kind and version the body states.
fn tlog_entry(text: &str) -> Result<serde_json::Value, Refusal> {
    let rekor: RekorBundle = serde_json::from_str(text)
        .map_err(|e| malformed(format!("{BUNDLE_ANNOTATION} is not a Rekor bundle: {e}")))?;
    let payload = rekor.payload;
    let body = STANDARD
        .decode(&payload.body)
        .map_err(|e| malformed(format!("{BUNDLE_ANNOTATION}: its body is not base64: {e}")))?;
    let kind: RekorBody = serde_json::from_slice(&body).map_err(|e| {
        malformed(format!(
            "{BUNDLE_ANNOTATION}: its body is not a Rekor entry: {e}"
        ))
    })?;
    let log_id = hex::decode(&payload.log_id)
        .map_err(|e| malformed(format!("{BUNDLE_ANNOTATION}: its logID is not hex: {e}")))?;
    Ok(json!({
        "logIndex": payload.log_index.to_string(),
        "logId": {"keyId": STANDARD.encode(log_id)},
        "kindVersion": {"kind": kind.kind, "version": kind.api_version},
        "integratedTime": payload.integrated_time.to_string(),
        "inclusionPromise": {"signedEntryTimestamp": rekor.signed_entry_timestamp},
        "canonicalizedBody": payload.body,
    }))
}

/// The manifest digest (`sha256:<hex>`) a simple-signing payload vouches
/// for.
pub fn signed_manifest(payload: &[u8]) -> Result<String, Refusal> {
    let signing: SimpleSigning = serde_json::from_slice(payload)
        .map_err(|e| malformed(format!("the payload is not a simple-signing payload: {e}")))?;
    if signing.critical.kind != PAYLOAD_TYPE {
        return Err(Refusal::new(
            Check::BundleUnsupported,
            format!(
                "the payload's critical.type is {:?}, not {PAYLOAD_TYPE:?}",
                signing.critical.kind
            ),
        ));
    }
    Ok(signing.critical.image.docker_manifest_digest)
}

/// Verifies `layer` as [`super::verify`] verifies a bundle (who signed,
/// by `accepted`, against `root`), then that its payload vouches for the
/// manifest of SHA-256 `manifest`.
pub fn verify(
    layer: &Layer,
    manifest: [u8; 32],
    accepted: &[Expectation],
    root: &TrustedRootSource<'_>,
) -> Result<Signer, Refusal> {
    let bundle = to_bundle(layer)?;
    let signer = super::verify(Artefact::Bytes(&layer.payload), &bundle, accepted, root)?;
    let signed = signed_manifest(&layer.payload)?;
    let expected = format!("sha256:{}", hex::encode(manifest));
    if signed != expected {
        return Err(Refusal::new(
            Check::ArtefactMismatch,
            format!("the signed payload is for manifest {signed}, the plugin's is {expected}"),
        ));
    }
    Ok(signer)
}

#[cfg(test)]
mod tests;
