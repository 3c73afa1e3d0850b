//! cosign's older signatures: `install` from an OCI registry finds the tag
//! `sha256-<hex>.sig` when no bundle referrer is attached, and verifies its
//! simple-signing payload offline (a managed key, a Rekor SET) for the
//! plugin's manifest. No cosign binary offline: the tag is made here as
//! cosign makes it (a P-256 key, a test-made Rekor key in a private
//! trusted root named by sigstore.json) and pushed with curl to
//! docker-registry.

use crate::oci::OciRegistry;
use crate::util::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey as _;
use serde_json::{Value, json};
use sha2::Digest as _;
use std::process::Command;

fn spki(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn pem(key: &SigningKey) -> String {
    key.verifying_key()
        .to_public_key_pem(p256::pkcs8::LineEnding::LF)
        .unwrap()
}

fn sign(key: &SigningKey, message: &[u8]) -> String {
    let signature: Signature = key.sign(message);
    STANDARD.encode(signature.to_der().as_bytes())
}

fn signer_key() -> SigningKey {
    SigningKey::from_slice(&[3u8; 32]).unwrap()
}

fn rekor_key() -> SigningKey {
    SigningKey::from_slice(&[5u8; 32]).unwrap()
}

/// trust/: sigstore.json accepting the key `cosign.pub` for colmask, with
/// a trusted root holding only the test's Rekor key.
fn trust(env: &Env) {
    let der = spki(&rekor_key());
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
    env.write("trust/trusted_root.json", root.to_string());
    env.write("trust/cosign.pub", pem(&signer_key()));
    let policy = json!({
        "keys": [{"plugins": "colmask", "key": "cosign.pub"}],
        "trusted_root": "trusted_root.json",
    });
    env.write("trust/sigstore.json", policy.to_string());
}

/// `publish --oci` of some bytes as colmask `version`: its manifest's
/// digest, as hex.
fn publish(env: &Env, oci: &OciRegistry, version: &str) -> String {
    let file = format!("build/colmask-{version}.wasm");
    env.write(&file, format!("colmask {version}"));
    let registry = oci.url("acme");
    let report = env
        .run(&["publish", &file, "--oci", &registry, "--json"])
        .expect(OK)
        .json();
    let artifact = report["artifact"].as_str().unwrap().to_string();
    artifact.rsplit_once("@sha256:").unwrap().1.to_string()
}

/// A signature layer as cosign writes it: the payload for manifest `hex`,
/// signed by `signer`, logged by the test's Rekor (its SET).
fn signature_layer(signer: &SigningKey, hex: &str) -> (Vec<u8>, Value) {
    let payload = serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": "127.0.0.1/acme/colmask"},
            "image": {"docker-manifest-digest": format!("sha256:{hex}")},
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
            "data": {"hash": {
                "algorithm": "sha256",
                "value": hex::encode(sha2::Sha256::digest(&payload)),
            }},
            "signature": {
                "content": signature,
                "publicKey": {"content": STANDARD.encode(pem(signer))},
            },
        },
    }))
    .unwrap();
    // Rekor signs the canonical JSON of these four (keys sorted, compact).
    let logged = json!({
        "body": STANDARD.encode(&body),
        "integratedTime": 1_700_000_000,
        "logID": hex::encode(sha2::Sha256::digest(spki(&rekor_key()))),
        "logIndex": 42,
    });
    let set = sign(&rekor_key(), &serde_json::to_vec(&logged).unwrap());
    let annotations = json!({
        "dev.cosignproject.cosign/signature": signature,
        "dev.sigstore.cosign/bundle":
            json!({"SignedEntryTimestamp": set, "Payload": logged}).to_string(),
    });
    (payload, annotations)
}

/// Uploads `bytes` as a blob of `repository`: its digest.
fn push_blob(oci: &OciRegistry, repository: &str, bytes: &[u8]) -> String {
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)));
    let start = Command::new("curl")
        .args(["-fsS", "-X", "POST", "-D", "-", "-o", "/dev/null"])
        .arg(format!(
            "http://{}/v2/{repository}/blobs/uploads/",
            oci.host
        ))
        .output()
        .unwrap();
    assert!(start.status.success(), "{start:?}");
    let headers = String::from_utf8(start.stdout).unwrap();
    let location = headers
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap();
    let location = match location.starts_with("http") {
        true => location,
        false => format!("http://{}{location}", oci.host),
    };
    let separator = if location.contains('?') { '&' } else { '?' };
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    let put = Command::new("curl")
        .args([
            "-fsS",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/octet-stream",
        ])
        .arg("--data-binary")
        .arg(format!("@{}", file.path().display()))
        .arg(format!("{location}{separator}digest={digest}"))
        .output()
        .unwrap();
    assert!(put.status.success(), "{put:?}");
    digest
}

/// Pushes cosign's signature tag for manifest `hex` of acme/colmask,
/// holding `layers` (payload and annotations each).
fn push_signatures(oci: &OciRegistry, hex: &str, layers: &[(Vec<u8>, Value)]) {
    let repository = "acme/colmask";
    let config =
        br#"{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = push_blob(oci, repository, config);
    let layers: Vec<Value> = layers
        .iter()
        .map(|(payload, annotations)| {
            json!({
                "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                "digest": push_blob(oci, repository, payload),
                "size": payload.len(),
                "annotations": annotations,
            })
        })
        .collect();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": layers,
    });
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), manifest.to_string()).unwrap();
    let put = Command::new("curl")
        .args(["-fsS", "-X", "PUT", "-H"])
        .arg("Content-Type: application/vnd.oci.image.manifest.v1+json")
        .arg("--data-binary")
        .arg(format!("@{}", file.path().display()))
        .arg(format!(
            "http://{}/v2/{repository}/manifests/sha256-{hex}.sig",
            oci.host
        ))
        .output()
        .unwrap();
    assert!(put.status.success(), "{put:?}");
}

fn install(env: &Env, oci: &OciRegistry, version: &str) -> Run {
    env.run(&[
        "install",
        &format!("colmask@={version}"),
        "--registry",
        &oci.url("acme"),
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
        "--json",
    ])
}

#[test]
fn a_cosign_signature_tag_installs_verified_by_the_managed_key() {
    let env = Env::new();
    trust(&env);
    let oci = OciRegistry::start();
    let hex = publish(&env, &oci, "1.0.0");
    // An unsigned layer beside the signed one is passed over.
    let (payload, mut unsigned) = signature_layer(&signer_key(), &hex);
    unsigned
        .as_object_mut()
        .unwrap()
        .remove("dev.cosignproject.cosign/signature");
    push_signatures(
        &oci,
        &hex,
        &[(payload, unsigned), signature_layer(&signer_key(), &hex)],
    );

    let run = install(&env, &oci, "1.0.0").expect(OK).json();
    assert_eq!(run[0]["signed_by"], "sigstore-key:cosign", "{run}");
    // The payload vouches for the manifest, not for these bytes: nothing
    // is placed beside the plugin.
    assert_eq!(env.visible("plugins"), ["colmask.wasm"]);
    let receipt: Value =
        serde_json::from_slice(&env.read("plugins/.wasm-plugin/receipts/colmask.json")).unwrap();
    assert_eq!(receipt["signed_by"], "sigstore-key:cosign");
    assert_eq!(
        receipt["cosign_signature"],
        format!("oci://{}/acme/colmask:sha256-{hex}.sig", oci.host).as_str()
    );
    // audit checks the bytes by the digest the receipt records; verify has
    // no file beside the plugin to check.
    env.run(&["audit", "--dest", "plugins", "--trust-root", "trust"])
        .expect(OK);
    env.run(&["audit", "--dest", "plugins"]).expect(OK);
    let verify = env
        .run(&[
            "verify",
            "plugins/colmask.wasm",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(INTEGRITY)
        .json();
    assert_eq!(verify["error"]["kind"], "signature-missing", "{verify}");
    env.write("plugins/colmask.wasm", "tampered");
    env.run(&["audit", "--dest", "plugins", "--trust-root", "trust"])
        .expect(INTEGRITY);
    env.write("plugins/colmask.wasm", "colmask 1.0.0");
    // Installed again: the tag verifies again, the bytes are intact.
    let again = install(&env, &oci, "1.0.0").expect(OK).json();
    assert_eq!(again[0]["action"], "unchanged", "{again}");
}

#[test]
fn a_signature_tag_for_another_manifest_or_by_another_key_is_refused() {
    let env = Env::new();
    trust(&env);
    let oci = OciRegistry::start();
    let first = publish(&env, &oci, "1.0.0");
    let second = publish(&env, &oci, "1.0.1");
    // 1.0.1's tag holds a payload signing 1.0.0's manifest.
    push_signatures(&oci, &second, &[signature_layer(&signer_key(), &first)]);
    std::fs::create_dir_all(env.path("plugins")).unwrap();
    let refused = install(&env, &oci, "1.0.1").expect(INTEGRITY).json();
    let error = &refused[0]["error"];
    assert_eq!(error["kind"], "sigstore-unverified", "{refused}");
    assert_eq!(error["details"]["check"], "artefact-mismatch", "{refused}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains(&format!("sha256:{first}")), "{message}");
    assert!(
        message.contains(&format!("sha256-{second}.sig")),
        "{message}"
    );
    assert!(env.visible("plugins").is_empty());

    // Signed by a key the policy does not name.
    let mallory = SigningKey::from_slice(&[9u8; 32]).unwrap();
    push_signatures(&oci, &first, &[signature_layer(&mallory, &first)]);
    let refused = install(&env, &oci, "1.0.0").expect(INTEGRITY).json();
    assert_eq!(
        refused[0]["error"]["kind"], "sigstore-unverified",
        "{refused}"
    );
    assert!(env.visible("plugins").is_empty());
}
