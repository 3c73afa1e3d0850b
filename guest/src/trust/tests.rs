//! Trust roots loaded, keys and signatures parsed, and signatures checked
//! (against the Wycheproof, CCTV and RFC 8032 vectors among others).

use super::metadata::Root;
use super::*;
use crate::error::{Error, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, VerifyingKey};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::Value;

fn vectors(file: &str) -> Value {
    let path = format!("{}/../tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().unwrap()).unwrap()
}

fn root_of(keys: &[(&str, VerifyingKey)]) -> TrustRoot {
    TrustRoot {
        metadata: None,
        sigstore: None,
        minisign: Vec::new(),
        path: "/trust".into(),
        keys: keys
            .iter()
            .map(|(l, k)| TrustedKey {
                label: l.to_string(),
                key: *k,
            })
            .collect(),
    }
}

/// The installer's verdict on raw inputs, streamed in `chunk`-byte pieces.
fn streamed_verdict(key: &[u8], sig: &[u8], msg: &[u8], chunk: usize) -> bool {
    let Ok(raw_key) = <[u8; 32]>::try_from(key) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&raw_key) else {
        return false;
    };
    let Ok(signature) = parse_signature(&STANDARD.encode(sig)) else {
        return false;
    };
    let root = root_of(&[("k", key)]);
    let mut check = SignatureCheck::for_plugin(&root, "p", &[Claimed::unnamed(signature)]);
    for piece in msg.chunks(chunk.max(1)) {
        check.update(piece);
    }
    check.finish("m").is_ok()
}

fn strict_verdict(key: &[u8], sig: &[u8], msg: &[u8]) -> bool {
    let (Ok(raw_key), Ok(raw_sig)) = (<[u8; 32]>::try_from(key), <[u8; 64]>::try_from(sig)) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&raw_key) else {
        return false;
    };
    key.verify_strict(msg, &Signature::from_bytes(&raw_sig))
        .is_ok()
}

#[test]
fn agrees_with_every_wycheproof_verdict() {
    let doc = vectors("wycheproof_ed25519_test.json");
    let mut checked = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        let key = hex_field(&group["publicKey"], "pk");
        for case in group["tests"].as_array().unwrap() {
            let (msg, sig) = (hex_field(case, "msg"), hex_field(case, "sig"));
            let expected = case["result"].as_str().unwrap() == "valid";
            for chunk in [1, 7, 64, 4096] {
                assert_eq!(
                    streamed_verdict(&key, &sig, &msg, chunk),
                    expected,
                    "tcId {} ({}) with {chunk}-byte chunks",
                    case["tcId"],
                    case["comment"]
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 151, "every Wycheproof case was checked");
}

#[test]
fn streamed_verdicts_match_verify_strict_on_cctv_edge_cases() {
    let doc = vectors("cctv_ed25519vectors.json");
    let cases = doc.as_array().unwrap();
    assert_eq!(cases.len(), 914);
    let mut accepted = 0;
    for case in cases {
        let (key, sig) = (hex_field(case, "key"), hex_field(case, "sig"));
        let msg = case["msg"].as_str().unwrap().as_bytes();
        let strict = strict_verdict(&key, &sig, msg);
        assert_eq!(
            streamed_verdict(&key, &sig, msg, 5),
            strict,
            "CCTV case {} {:?}",
            case["number"],
            case["flags"]
        );
        accepted += strict as usize;
    }
    // The strict rules accept only the cases with no low-order or
    // non-canonical component; a verifier accepting all or none would fail.
    assert!(accepted > 0 && accepted < cases.len(), "{accepted}");
}

#[test]
fn rfc8032_signatures_verify_and_reproduce() {
    let doc = vectors("rfc8032_7.1_ed25519.json");
    for case in doc["tests"].as_array().unwrap() {
        let secret: [u8; 32] = hex_field(case, "secret_key").try_into().unwrap();
        let (public, msg, sig) = (
            hex_field(case, "public_key"),
            hex_field(case, "message"),
            hex_field(case, "signature"),
        );
        let signing = SigningKey::from_bytes(&secret);
        assert_eq!(signing.verifying_key().to_bytes().as_slice(), public);
        assert_eq!(signing.sign(&msg).to_bytes().as_slice(), sig);
        assert!(streamed_verdict(&public, &sig, &msg, 3), "{}", case["name"]);
        let mut flipped = msg.clone();
        flipped.push(0);
        assert!(!streamed_verdict(&public, &sig, &flipped, 3));
    }
}

fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

#[test]
fn the_first_key_that_verifies_is_reported() {
    let (a, b) = (signing_key(1), signing_key(2));
    let msg = b"plugin bytes";
    let signature = b.sign(msg);
    let root = root_of(&[("alice", a.verifying_key()), ("bob", b.verifying_key())]);
    let mut check = SignatureCheck::for_plugin(&root, "p", &[Claimed::unnamed(signature)]);
    check.update(msg);
    assert_eq!(check.finish("m").unwrap().signers, "bob");

    let root = root_of(&[("alice", a.verifying_key())]);
    let mut check = SignatureCheck::for_plugin(&root, "p", &[Claimed::unnamed(signature)]);
    check.update(msg);
    assert_eq!(
        check.finish("m").unwrap_err(),
        Error::SignatureUntrusted {
            artifact: "m".into(),
            trust_root: "/trust".into(),
            keys: vec!["alice".into()],
        }
    );
}

#[test]
fn base64_and_pem_keys_parse_to_the_same_key() {
    let key = signing_key(9).verifying_key();
    let b64 = STANDARD.encode(key.to_bytes());
    assert_eq!(parse_public_key(&format!("  {b64}\n")).unwrap(), key);
    // DER SubjectPublicKeyInfo for Ed25519 is a fixed 12-byte prefix + key.
    let mut der = hex::decode("302a300506032b6570032100").unwrap();
    der.extend_from_slice(&key.to_bytes());
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(der)
    );
    assert_eq!(parse_public_key(&pem).unwrap(), key);
}

#[test]
fn malformed_keys_are_refused_with_a_reason() {
    let cases = [
        ("not base64 !!", "base64"),
        (&*STANDARD.encode([7u8; 31]), "31 bytes"),
        (&*STANDARD.encode([7u8; 33]), "33 bytes"),
        (
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "PEM",
        ),
        // The identity point: valid encoding, small order.
        (
            &*STANDARD.encode({
                let mut k = [0u8; 32];
                k[0] = 1;
                k
            }),
            "small-order",
        ),
    ];
    for (text, expected) in cases {
        let reason = parse_public_key(text).unwrap_err();
        assert!(reason.contains(expected), "{text}: {reason}");
    }
}

#[test]
fn signatures_must_be_64_bytes_of_base64() {
    let sig = signing_key(3).sign(b"m");
    let text = encode_signature(&sig);
    assert_eq!(parse_signature(&format!("\n{text}\n")).unwrap(), sig);
    let wrapped = format!("{}\n{}", &text[..40], &text[40..]);
    assert_eq!(parse_signature(&wrapped).unwrap(), sig);
    assert!(parse_signature("%%%").unwrap_err().contains("base64"));
    assert!(
        parse_signature(&STANDARD.encode([1u8; 63]))
            .unwrap_err()
            .contains("63 bytes")
    );
    assert!(parse_signature("").unwrap_err().contains("0 bytes"));
}

#[test]
fn load_reads_pub_files_and_names_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let key = signing_key(4).verifying_key();
    std::fs::write(
        dir.path().join("release.pub"),
        STANDARD.encode(key.to_bytes()),
    )
    .unwrap();
    std::fs::write(dir.path().join("README.txt"), "not a key").unwrap();
    let root = TrustRoot::load(dir.path()).unwrap();
    assert_eq!(root.labels(), vec!["release".to_string()]);

    std::fs::write(dir.path().join("broken.pub"), "garbage").unwrap();
    let Err(Error::TrustRootInvalid { path, reason }) = TrustRoot::load(dir.path()) else {
        panic!("a broken key was accepted")
    };
    assert!(path.ends_with("broken.pub"), "{path}");
    assert!(reason.contains("base64"), "{reason}");
}

#[test]
fn an_oversized_or_odd_key_file_makes_the_trust_root_invalid() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.pub"), vec![b'A'; 20_000]).unwrap();
    assert!(
        matches!(TrustRoot::load(dir.path()), Err(Error::TrustRootInvalid { ref reason, .. }) if reason.contains("larger"))
    );
    std::fs::remove_file(dir.path().join("big.pub")).unwrap();
    std::fs::create_dir(dir.path().join("dir.pub")).unwrap();
    assert!(
        matches!(TrustRoot::load(dir.path()), Err(Error::TrustRootInvalid { ref reason, .. }) if reason.contains("regular file"))
    );
}

#[test]
fn a_trust_root_without_keys_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let Err(Error::TrustRootInvalid { reason, .. }) = TrustRoot::load(dir.path()) else {
        panic!()
    };
    assert!(reason.contains("no *.pub"), "{reason}");
}

fn with_root(bytes: &[u8]) -> TrustRoot {
    TrustRoot {
        path: "/trust".into(),
        keys: Vec::new(),
        minisign: Vec::new(),
        metadata: Some(Root::parse("/trust/root.json", bytes).unwrap()),
        sigstore: None,
    }
}

fn judge(root: &TrustRoot, plugin: &str, sigs: &[Claimed], msg: &[u8]) -> Result<Verified> {
    let mut check = SignatureCheck::for_plugin(root, plugin, sigs);
    check.update(msg);
    check.finish(plugin)
}

#[test]
fn a_publisher_key_signs_only_the_names_its_role_covers() {
    use crate::trust::metadata::tests::{key, signed_root};
    let acme = key(7);
    let root = with_root(&signed_root(
        1,
        &[("acme", &acme)],
        (&["acme"], 1),
        (&["acme"], 1),
        &[(&["acme"], 1, &["acme-*"])],
        &[&acme],
    ));
    let sig = |msg: &[u8]| Claimed::unnamed(acme.sign(msg));
    let ok = judge(&root, "acme-mask", &[sig(b"m")], b"m").unwrap();
    assert_eq!(ok.signers, "acme (publishers acme-*)");
    let err = judge(&root, "other", &[sig(b"m")], b"m").unwrap_err();
    assert!(
        matches!(&err, Error::SignatureInsufficient { reason, .. } if reason.contains("no role")),
        "{err:?}"
    );
}

#[test]
fn a_threshold_counts_distinct_keys() {
    use crate::trust::metadata::{
        key_id,
        tests::{key, signed_root},
    };
    let (a, b) = (key(7), key(8));
    let root = with_root(&signed_root(
        1,
        &[("a", &a), ("b", &b)],
        (&["a"], 1),
        (&["a"], 1),
        &[(&["a", "b"], 2, &["*"])],
        &[&a],
    ));
    let named = |k: &SigningKey| Claimed {
        keyid: Some(key_id(&k.verifying_key())),
        signature: k.sign(b"m"),
    };
    let one = judge(&root, "p", &[named(&a)], b"m").unwrap_err();
    assert!(
        format!("{one:?}").contains("needs 2 distinct key(s) and 1 signed"),
        "{one:?}"
    );
    let twice = judge(&root, "p", &[named(&a), named(&a)], b"m").unwrap_err();
    assert!(
        matches!(twice, Error::SignatureInsufficient { .. }),
        "{twice:?}"
    );
    let both = judge(&root, "p", &[named(&a), named(&b)], b"m").unwrap();
    assert_eq!(both.signers, "a, b (publishers *)");
    // The loader's unnamed `signature` counts for whichever key made it.
    let unnamed = Claimed::unnamed(a.sign(b"m"));
    assert!(judge(&root, "p", &[unnamed, named(&b)], b"m").is_ok());
    // A signature naming another key than the one that made it counts for none.
    let lying = Claimed {
        keyid: Some(key_id(&b.verifying_key())),
        signature: a.sign(b"m"),
    };
    assert!(judge(&root, "p", &[named(&a), lying], b"m").is_err());
    // Over other bytes nothing counts.
    assert!(judge(&root, "p", &[named(&a), named(&b)], b"x").is_err());
}

#[test]
fn an_index_role_threshold_counts_distinct_signers() {
    use crate::trust::metadata::tests::{key, signed_root};
    let (a, b) = (key(7), key(8));
    let root = with_root(&signed_root(
        1,
        &[("a", &a), ("b", &b)],
        (&["a"], 1),
        (&["a", "b"], 2),
        &[],
        &[&a],
    ));
    let judge = |sigs: &[Claimed]| {
        let mut check = SignatureCheck::for_index(&root, sigs);
        check.update(b"index");
        check.finish("index")
    };
    let by = |k: &SigningKey| Claimed::unnamed(k.sign(b"index"));
    assert!(judge(&[by(&a)]).is_err());
    assert!(judge(&[by(&a), by(&a)]).is_err());
    assert_eq!(judge(&[by(&a), by(&b)]).unwrap().signers, "a, b (index)");
}

#[test]
fn without_root_json_only_the_loaders_signature_counts() {
    let a = SigningKey::from_bytes(&[9; 32]);
    let root = root_of(&[("a", a.verifying_key())]);
    let named = Claimed {
        keyid: Some("whatever".into()),
        signature: a.sign(b"m"),
    };
    // A named co-signature alone is no signature at all here.
    assert!(matches!(
        check_for(Some(&root), "p", std::slice::from_ref(&named), None, || {
            Error::SignatureMissing {
                artifact: "m".into(),
                looked_for: "the entry".into(),
            }
        }),
        Err(Error::SignatureMissing { .. })
    ));
    let unnamed = Claimed::unnamed(a.sign(b"m"));
    let mut check = check_for(Some(&root), "p", &[named, unnamed], None, || unreachable!())
        .unwrap()
        .unwrap();
    check.update(b"m");
    assert_eq!(check.finish("m").unwrap().signers, "a");
}

#[test]
fn a_minisign_signature_counts_towards_a_role_as_its_key() {
    use crate::trust::metadata::{
        key_id,
        tests::{key, signed_root},
    };
    use crate::trust::minisign::{self, tests::sign};
    let (a, b) = (key(7), key(8));
    let mut root = with_root(&signed_root(
        1,
        &[("a", &a), ("b", &b)],
        (&["a"], 1),
        (&["a"], 1),
        &[(&["a", "b"], 2, &["*"])],
        &[&a],
    ));
    // b's key is also a minisign key of the trust root (`ops.pub`).
    let id = [4; 8];
    root.minisign.push(minisign::MinisignKey {
        label: "ops".into(),
        id: minisign::KeyId(id),
        key: b.verifying_key(),
    });
    let claim = |signer: &SigningKey, msg: &[u8]| {
        MinisigClaim::parse(&sign(signer, id, msg, true, "c"), "m.minisig", "m").unwrap()
    };
    let judge_with = |sigs: &[Claimed], minisig: &MinisigClaim| {
        let mut check = SignatureCheck::for_plugin(&root, "p", sigs)
            .with_minisig(&root, minisig)
            .unwrap();
        check.update(b"m");
        check.finish("m")
    };
    let named_a = Claimed {
        keyid: Some(key_id(&a.verifying_key())),
        signature: a.sign(b"m"),
    };
    // a's Ed25519 signature and b's minisign signature: two distinct keys.
    let both = judge_with(std::slice::from_ref(&named_a), &claim(&b, b"m")).unwrap();
    assert_eq!(both.signers, "a, minisign:b (publishers *)");
    assert!(both.signature.is_some());
    // b's minisign signature alone is one key of the two needed.
    let alone = judge_with(&[], &claim(&b, b"m")).unwrap_err();
    assert!(
        format!("{alone:?}").contains("needs 2 distinct key(s) and 1 signed"),
        "{alone:?}"
    );
    // One for other bytes is refused, whatever else verified.
    let other = judge_with(&[named_a], &claim(&b, b"x")).unwrap_err();
    assert!(
        matches!(&other, Error::MinisignUnverified { check, .. } if check == "signature"),
        "{other:?}"
    );
}
