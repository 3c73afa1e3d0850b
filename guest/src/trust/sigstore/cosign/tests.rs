//! A signature-tag layer made here as cosign makes one (a managed P-256
//! key, a test-made Rekor key in a private trusted root), converted and
//! verified; and what is refused.

use super::*;
use crate::trust::sigstore::PublicKey;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey as _;

const MANIFEST: [u8; 32] = [0xab; 32];
const INTEGRATED_TIME: i64 = 1_700_000_000;

fn spki(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn pem_of(key: &SigningKey) -> String {
    pem::encode(&pem::Pem::new("PUBLIC KEY", spki(key)))
}

fn sign(key: &SigningKey, message: &[u8]) -> String {
    let signature: Signature = key.sign(message);
    STANDARD.encode(signature.to_der().as_bytes())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The Rekor key's trusted root: one log, its ID the SHA-256 of its key.
fn trusted_root(rekor: &SigningKey) -> Vec<u8> {
    use sha2::Digest as _;
    let der = spki(rekor);
    let root = json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{
            "baseUrl": "https://rekor.example",
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": STANDARD.encode(&der),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": "2020-01-01T00:00:00Z"},
            },
            "logId": {"keyId": STANDARD.encode(sha2::Sha256::digest(&der))},
        }],
        "certificateAuthorities": [],
        "ctlogs": [],
        "timestampAuthorities": [],
    });
    serde_json::to_vec(&root).unwrap()
}

/// A layer for manifest `manifest`, signed by `signer` and logged (its
/// SET made) by `rekor`.
fn layer(signer: &SigningKey, rekor: &SigningKey, manifest: [u8; 32]) -> Layer {
    use sha2::Digest as _;
    let payload = serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": "localhost:5000/acme/colmask"},
            "image": {"docker-manifest-digest": format!("sha256:{}", hex::encode(manifest))},
            "type": "cosign container image signature",
        },
        "optional": null,
    }))
    .unwrap();
    let signature = sign(signer, &payload);
    let body = serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": sha256_hex(&payload)}},
            "signature": {
                "content": signature,
                "publicKey": {"content": STANDARD.encode(pem_of(signer))},
            },
        },
    }))
    .unwrap();
    let log_id = hex::encode(sha2::Sha256::digest(spki(rekor)));
    let set_payload = json!({
        "body": STANDARD.encode(&body),
        "integratedTime": INTEGRATED_TIME,
        "logID": log_id,
        "logIndex": 7,
    });
    let set = sign(rekor, &serde_json::to_vec(&set_payload).unwrap());
    let bundle = json!({"SignedEntryTimestamp": set, "Payload": set_payload});
    Layer {
        payload,
        annotations: BTreeMap::from([
            (SIGNATURE_ANNOTATION.to_string(), signature),
            (BUNDLE_ANNOTATION.to_string(), bundle.to_string()),
        ]),
    }
}

fn keys() -> (SigningKey, SigningKey) {
    (
        SigningKey::from_slice(&[3u8; 32]).unwrap(),
        SigningKey::from_slice(&[5u8; 32]).unwrap(),
    )
}

fn accepted(signer: &SigningKey) -> Vec<Expectation> {
    vec![Expectation::Key(
        PublicKey::from_pem("release", pem_of(signer).as_bytes()).unwrap(),
    )]
}

#[test]
fn a_signature_layer_becomes_a_v0_1_bundle_with_its_rekor_entry() {
    let (signer, rekor) = keys();
    let layer = layer(&signer, &rekor, MANIFEST);
    let bundle: serde_json::Value = serde_json::from_slice(&to_bundle(&layer).unwrap()).unwrap();
    assert_eq!(bundle["mediaType"], BUNDLE_V01);
    let entry = &bundle["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(entry["kindVersion"]["kind"], "hashedrekord");
    assert_eq!(entry["kindVersion"]["version"], "0.0.1");
    assert_eq!(entry["logIndex"], "7");
    assert!(entry["inclusionPromise"]["signedEntryTimestamp"].is_string());
    assert!(bundle["verificationMaterial"]["publicKey"].is_object());
    let digest = bundle["messageSignature"]["messageDigest"]["digest"]
        .as_str()
        .unwrap();
    assert_eq!(
        hex::encode(STANDARD.decode(digest).unwrap()),
        sha256_hex(&layer.payload)
    );
}

#[test]
fn a_signature_layer_verifies_for_its_manifest_by_the_accepted_key() {
    let (signer, rekor) = keys();
    let root = trusted_root(&rekor);
    let signer_found = verify(
        &layer(&signer, &rekor, MANIFEST),
        MANIFEST,
        &accepted(&signer),
        &TrustedRootSource::Json(&root),
    )
    .unwrap();
    assert_eq!(signer_found.to_string(), "sigstore-key:release");
}

#[test]
fn a_signature_for_another_manifest_is_refused_naming_it() {
    let (signer, rekor) = keys();
    let root = trusted_root(&rekor);
    let refusal = verify(
        &layer(&signer, &rekor, [0xcd; 32]),
        MANIFEST,
        &accepted(&signer),
        &TrustedRootSource::Json(&root),
    )
    .unwrap_err();
    assert_eq!(refusal.check, Check::ArtefactMismatch, "{refusal}");
    assert!(
        refusal.to_string().contains(&hex::encode([0xcd; 32])),
        "{refusal}"
    );
}

#[test]
fn a_wrong_signature_another_key_or_an_unknown_log_is_refused() {
    let (signer, rekor) = keys();
    let root = trusted_root(&rekor);
    let root = TrustedRootSource::Json(&root);
    // The signature of other bytes, logged as it is.
    let mut tampered = layer(&signer, &rekor, MANIFEST);
    tampered.annotations.insert(
        SIGNATURE_ANNOTATION.into(),
        sign(&signer, b"something else"),
    );
    let refusal = verify(&tampered, MANIFEST, &accepted(&signer), &root).unwrap_err();
    assert!(
        matches!(refusal.check, Check::Signature | Check::LogEntryMismatch),
        "{refusal}"
    );
    // Signed by a key the policy does not name.
    let other = SigningKey::from_slice(&[9u8; 32]).unwrap();
    let refusal = verify(
        &layer(&other, &rekor, MANIFEST),
        MANIFEST,
        &accepted(&signer),
        &root,
    )
    .unwrap_err();
    assert!(
        matches!(refusal.check, Check::Signature | Check::LogEntryMismatch),
        "{refusal}"
    );
    // Logged by a Rekor the trusted root does not list.
    let refusal = verify(
        &layer(&signer, &other, MANIFEST),
        MANIFEST,
        &accepted(&signer),
        &root,
    )
    .unwrap_err();
    assert!(
        matches!(refusal.check, Check::UnknownLog | Check::InclusionPromise),
        "{refusal}"
    );
}

#[test]
fn a_layer_without_a_signature_or_a_log_entry_is_refused() {
    let (signer, rekor) = keys();
    let root = trusted_root(&rekor);
    let root = TrustedRootSource::Json(&root);
    let mut unsigned = layer(&signer, &rekor, MANIFEST);
    unsigned.annotations.remove(SIGNATURE_ANNOTATION);
    let refusal = verify(&unsigned, MANIFEST, &accepted(&signer), &root).unwrap_err();
    assert_eq!(refusal.check, Check::BundleMalformed, "{refusal}");
    assert!(refusal.to_string().contains(SIGNATURE_ANNOTATION));
    let mut unlogged = layer(&signer, &rekor, MANIFEST);
    unlogged.annotations.remove(BUNDLE_ANNOTATION);
    assert!(verify(&unlogged, MANIFEST, &accepted(&signer), &root).is_err());
    let mut junk = layer(&signer, &rekor, MANIFEST);
    junk.annotations
        .insert(BUNDLE_ANNOTATION.into(), "{\"Payload\":1}".into());
    let refusal = verify(&junk, MANIFEST, &accepted(&signer), &root).unwrap_err();
    assert_eq!(refusal.check, Check::BundleMalformed, "{refusal}");
}

/// A real keyless v0.1 bundle (the conformance suite's, over `a.txt`) taken
/// apart into the annotations cosign writes (leaf, chain, the Rekor entry
/// with only its SET): the conversion verifies it as it was, up to the
/// payload, which is no simple-signing payload.
#[test]
fn a_keyless_layer_converts_back_into_a_bundle_that_verifies() {
    use crate::trust::sigstore::Identity;
    let a_txt =
        include_bytes!("../../../../../tests/assets/sigstore-conformance/bundle-verify/a.txt");
    let bundle: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../../../../../tests/assets/sigstore-conformance/bundle-verify/happy-path-v0.1/bundle.sigstore.json"
    ))
    .unwrap();
    let material = &bundle["verificationMaterial"];
    let certificates: Vec<String> = material["x509CertificateChain"]["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let der = STANDARD.decode(c["rawBytes"].as_str().unwrap()).unwrap();
            pem::encode(&pem::Pem::new("CERTIFICATE", der))
        })
        .collect();
    let entry = &material["tlogEntries"][0];
    let log_id = STANDARD
        .decode(entry["logId"]["keyId"].as_str().unwrap())
        .unwrap();
    let rekor = json!({
        "SignedEntryTimestamp": entry["inclusionPromise"]["signedEntryTimestamp"],
        "Payload": {
            "body": entry["canonicalizedBody"],
            "integratedTime": entry["integratedTime"].as_str().unwrap().parse::<i64>().unwrap(),
            "logIndex": entry["logIndex"].as_str().unwrap().parse::<i64>().unwrap(),
            "logID": hex::encode(log_id),
        },
    });
    let mut annotations = BTreeMap::from([
        (
            SIGNATURE_ANNOTATION.to_string(),
            bundle["messageSignature"]["signature"]
                .as_str()
                .unwrap()
                .to_string(),
        ),
        (CERTIFICATE_ANNOTATION.to_string(), certificates[0].clone()),
        (BUNDLE_ANNOTATION.to_string(), rekor.to_string()),
    ]);
    if certificates.len() > 1 {
        annotations.insert(CHAIN_ANNOTATION.to_string(), certificates[1..].concat());
    }
    let layer = Layer {
        payload: a_txt.to_vec(),
        annotations,
    };
    let accepted = [Expectation::Identity {
        identity: Identity::pattern("https://github.com/*"),
        issuer: "https://token.actions.githubusercontent.com".into(),
    }];
    let root = TrustedRootSource::Production;
    let converted = to_bundle(&layer).unwrap();
    let signer =
        super::super::verify(Artefact::Bytes(a_txt), &converted, &accepted, &root).unwrap();
    assert!(
        signer
            .to_string()
            .starts_with("sigstore:https://github.com/")
    );
    let refusal = verify(&layer, MANIFEST, &accepted, &root).unwrap_err();
    assert_eq!(refusal.check, Check::BundleMalformed, "{refusal}");
    assert!(refusal.to_string().contains("simple-signing"), "{refusal}");
}
