//! `verify` on real bundles (the vendored sigstore-conformance cases) and on
//! junk. Every case of that suite runs in `conformance.rs`;
//! these pin down what this module adds: matching, refusals, limits.

use super::*;

macro_rules! case {
    ($dir:literal, $file:literal) => {
        include_bytes!(concat!(
            "../../../../tests/assets/sigstore-conformance/bundle-verify/",
            $dir,
            "/",
            $file
        ))
    };
}

const A_TXT: &[u8] =
    include_bytes!("../../../../tests/assets/sigstore-conformance/bundle-verify/a.txt");
const KEYLESS: &[u8] = case!("happy-path-v0.3", "bundle.sigstore.json");
const KEYED: &[u8] = case!("managed-key-happy-path", "bundle.sigstore.json");
const KEY_PEM: &[u8] = case!("managed-key-happy-path", "key.pub");

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

// Valid keys nothing here was signed with (made with openssl).
const OTHER_P256_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEpevTDk4QYsiUNdUn2pEX6D1iR9iC
mrZKYAh5qXekRt2EDPVbOYhypbE7G0KauxLrI1A5fMfZWLyixlUY6Pru8Q==
-----END PUBLIC KEY-----
";
const ED25519_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAHkTiNK0YW5jiufk7WRmLAHa9csADRVi+xGmHOqbtWqY=
-----END PUBLIC KEY-----
";
const RSA_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1Xs/vpq5xjvIoiIsrp0b
0rVERQmpeCEUcde30G6iKnPc+j1YOQREyyyUXot6cxd0ro7i4OxJBBtgD16xuV9g
4m4sjX70TESezIq7jujlVQst+Th6OTvBMJL0tCbqLXisuWEp0c3L7cfWFlxVVOLZ
IkHTO2HBCF1NlPZZZv5mYKKIBIah2g3loqt0kO14RfMjIcY9IbITAfYUtdB9wHcq
22VYOUYjjpz7oYD03TXgkrwUxS/jZ0gx6XqmE1XxH9Azm0rOL8zxjS/iBwHU0Zj+
ZXrKiV5mdTFiFpoFuofP5ZTGgWfTChZHqWoOBMfzV3tKtaM9fo1vsVYFMzbVKqLs
8QIDAQAB
-----END PUBLIC KEY-----
";
const P521_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQB1AqVNJYTHhQKhd7XC35bvp5vpqhz
6YMN51Cccw8tCLED3GiSUuDjGtzeyqmFtl+Ax+945fZvuELeRn1OR4ckSGMBcyzE
maUKNsxlHiOg+O+xQDulU1zdCUHei31k3VVP6yT4mTKCgxc15M1Ew67CK4o83CK1
NTShCFjY0kEwvdyR+RM=
-----END PUBLIC KEY-----
";

fn identity(identity: &str, issuer: &str) -> Expectation {
    Expectation::Identity {
        identity: Identity::pattern(identity),
        issuer: issuer.to_string(),
    }
}

fn key(label: &str, pem: &[u8]) -> Expectation {
    Expectation::Key(PublicKey::from_pem(label, pem).unwrap())
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

fn verify_keyless(accepted: &[Expectation]) -> Result<Signer, Refusal> {
    verify(
        Artefact::Bytes(A_TXT),
        KEYLESS,
        accepted,
        &TrustedRootSource::Production,
    )
}

fn refused(result: Result<Signer, Refusal>) -> Refusal {
    result.expect_err("should have been refused")
}

#[test]
fn a_keyless_bundle_names_its_signer_from_the_bytes_or_the_digest() {
    let accepted = [identity(IDENTITY, ISSUER)];
    let expected = format!("sigstore:{IDENTITY} ({ISSUER})");
    let signer = verify_keyless(&accepted).unwrap();
    assert_eq!(signer.to_string(), expected);
    let from_digest = verify(
        Artefact::Sha256(sha256(A_TXT)),
        KEYLESS,
        &accepted,
        &TrustedRootSource::Production,
    );
    assert_eq!(from_digest.unwrap(), signer);
}

#[test]
fn an_identity_glob_matches_and_any_accepted_signer_suffices() {
    let glob = identity(
        "https://github.com/sigstore-conformance/*/.github/workflows/*.yml@refs/heads/*",
        ISSUER,
    );
    assert!(verify_keyless(std::slice::from_ref(&glob)).is_ok());
    let accepted = [
        identity("https://github.com/acme/plugins/*", ISSUER),
        key("ops", KEY_PEM),
        glob,
    ];
    assert!(verify_keyless(&accepted).is_ok());
}

#[test]
fn another_identity_is_refused_naming_who_signed() {
    let refusal = refused(verify_keyless(&[identity(
        "https://github.com/acme/plugins/.github/workflows/release.yml@refs/tags/v*",
        ISSUER,
    )]));
    assert_eq!(refusal.check, Check::Identity);
    assert!(
        refusal
            .detail
            .contains(&format!("signed by {IDENTITY} ({ISSUER})")),
        "{refusal}"
    );
    assert!(
        refusal
            .detail
            .contains("accepted: https://github.com/acme/plugins/"),
        "{refusal}"
    );
}

#[test]
fn the_right_identity_from_another_issuer_is_refused_for_its_issuer() {
    let refusal = refused(verify_keyless(&[identity(
        IDENTITY,
        "https://accounts.google.com",
    )]));
    assert_eq!(refusal.check, Check::Issuer);
    // Nor is the issuer a prefix match.
    let refusal = refused(verify_keyless(&[identity(
        IDENTITY,
        "https://token.actions",
    )]));
    assert_eq!(refusal.check, Check::Issuer);
}

#[test]
fn a_bundle_for_other_bytes_is_refused() {
    let accepted = [identity(IDENTITY, ISSUER)];
    let root = TrustedRootSource::Production;
    for artefact in [Artefact::Bytes(b"other bytes"), Artefact::Sha256([0; 32])] {
        let refusal = refused(verify(artefact, KEYLESS, &accepted, &root));
        assert_eq!(refusal.check, Check::ArtefactMismatch, "{refusal}");
        assert!(
            refusal
                .to_string()
                .starts_with("the bundle was made for other bytes")
        );
    }
}

#[test]
fn a_keyless_bundle_is_not_accepted_where_only_keys_are_and_the_reverse() {
    let refusal = refused(verify_keyless(&[key("ops", KEY_PEM)]));
    assert_eq!(refusal.check, Check::SignerKind);
    assert!(
        refusal.detail.contains("only keys are accepted: key ops"),
        "{refusal}"
    );
    let refusal = refused(verify(
        Artefact::Bytes(A_TXT),
        KEYED,
        &[identity(IDENTITY, ISSUER)],
        &TrustedRootSource::Production,
    ));
    assert_eq!(refusal.check, Check::SignerKind);
}

#[test]
fn a_key_bundle_verifies_with_whichever_accepted_key_signed_it() {
    let accepted = [
        key("other", OTHER_P256_PEM.as_bytes()),
        identity(IDENTITY, ISSUER),
        key("release", KEY_PEM),
    ];
    for artefact in [Artefact::Bytes(A_TXT), Artefact::Sha256(sha256(A_TXT))] {
        let signer = verify(artefact, KEYED, &accepted, &TrustedRootSource::Production).unwrap();
        assert_eq!(signer.to_string(), "sigstore-key:release");
    }
}

#[test]
fn a_key_bundle_is_refused_when_no_accepted_key_signed_it() {
    let root = TrustedRootSource::Production;
    let one = [key("other", OTHER_P256_PEM.as_bytes())];
    let refusal = refused(verify(Artefact::Bytes(A_TXT), KEYED, &one, &root));
    assert_eq!(refusal.check, Check::Signature, "{refusal}");
    let two = [one[0].clone(), key("ed", ED25519_PEM.as_bytes())];
    let refusal = refused(verify(Artefact::Bytes(A_TXT), KEYED, &two, &root));
    assert_eq!(refusal.check, Check::Signature, "{refusal}");
}

#[test]
fn public_keys_are_p256_p384_or_ed25519_pem() {
    assert_eq!(
        PublicKey::from_pem("ed", ED25519_PEM.as_bytes())
            .unwrap()
            .label(),
        "ed"
    );
    for (pem, why) in [
        (RSA_PEM.as_bytes(), "Rsa keys are not supported"),
        (P521_PEM.as_bytes(), "unsupported or invalid EC curve"),
        (b"junk".as_slice(), "failed to parse PEM"),
        (&[0xff, 0xfe][..], "not PEM text"),
    ] {
        let refusal = PublicKey::from_pem("k", pem).unwrap_err();
        assert_eq!(refusal.check, Check::Key);
        assert!(refusal.to_string().contains(why), "{refusal}");
    }
}

#[test]
fn nothing_expected_is_refused_before_anything_is_parsed() {
    let refusal = refused(verify_keyless(&[]));
    assert_eq!(refusal.check, Check::NothingExpected);
}

#[test]
fn an_oversized_bundle_is_refused_before_it_is_parsed() {
    let huge = vec![b'{'; MAX_BUNDLE_BYTES + 1];
    let accepted = [identity(IDENTITY, ISSUER)];
    let refusal = refused(verify(
        Artefact::Bytes(A_TXT),
        &huge,
        &accepted,
        &TrustedRootSource::Production,
    ));
    assert_eq!(refusal.check, Check::BundleTooLarge);
    assert!(
        refusal.detail.contains("over the limit of 4194304"),
        "{refusal}"
    );
}

#[test]
fn junk_is_a_malformed_bundle() {
    let accepted = [identity(IDENTITY, ISSUER)];
    for junk in [
        &b""[..],
        b"null",
        b"[]",
        b"{}",
        b"\xff\xfe",
        b"{\"mediaType\": 3}",
    ] {
        let refusal = refused(verify(
            Artefact::Bytes(A_TXT),
            junk,
            &accepted,
            &TrustedRootSource::Production,
        ));
        assert_eq!(refusal.check, Check::BundleMalformed, "{junk:?}: {refusal}");
    }
}

#[test]
fn an_operator_trusted_root_is_used_and_checked() {
    let accepted = [identity(IDENTITY, ISSUER)];
    let production = PRODUCTION_TRUSTED_ROOT.as_bytes();
    let own = TrustedRootSource::Json(production);
    assert!(verify(Artefact::Bytes(A_TXT), KEYLESS, &accepted, &own).is_ok());
    let oversized = vec![b' '; MAX_TRUSTED_ROOT_BYTES + 1];
    for junk in [&b"not json"[..], b"{}", &oversized] {
        let root = TrustedRootSource::Json(junk);
        let refusal = refused(verify(Artefact::Bytes(A_TXT), KEYLESS, &accepted, &root));
        assert_eq!(refusal.check, Check::TrustedRoot, "{refusal}");
    }
}

#[test]
fn a_production_bundle_does_not_verify_against_the_staging_root() {
    let refusal = refused(verify(
        Artefact::Bytes(A_TXT),
        KEYLESS,
        &[identity(IDENTITY, ISSUER)],
        &TrustedRootSource::Staging,
    ));
    assert_ne!(refusal.check, Check::TrustedRoot, "{refusal}");
}

/// Every JSON leaf of real bundles replaced, one at a time, by values of
/// other types and sizes, and each bundle cut short: nothing panics, and
/// what still verifies is only a field no signature covers.
#[test]
fn mangled_bundles_are_refused_without_panicking() {
    let bundles: [&[u8]; 4] = [
        KEYLESS,
        KEYED,
        case!("happy-path-v0.1", "bundle.sigstore.json"),
        case!("happy-path-intoto-in-dsse-v3", "bundle.sigstore.json"),
    ];
    let accepted = [identity(IDENTITY, ISSUER), key("release", KEY_PEM)];
    let verifies = |bytes: &[u8]| {
        let root = TrustedRootSource::Production;
        verify(Artefact::Bytes(A_TXT), bytes, &accepted, &root).is_ok()
    };
    let replacements = [
        serde_json::json!(null),
        serde_json::json!(""),
        serde_json::json!("AAAA"),
        serde_json::json!("-1"),
        serde_json::json!(-1),
        serde_json::json!(u64::MAX),
        serde_json::json!([]),
        serde_json::json!({}),
    ];
    let mut still_verified = std::collections::BTreeSet::new();
    for bundle in bundles {
        let value: serde_json::Value = serde_json::from_slice(bundle).unwrap();
        for path in leaves(&value, String::new()) {
            for replacement in &replacements {
                let mut mangled = value.clone();
                *mangled.pointer_mut(&path).unwrap() = replacement.clone();
                if mangled != value && verifies(&serde_json::to_vec(&mangled).unwrap()) {
                    still_verified.insert(path.clone());
                }
            }
        }
        for cut in (0..bundle.len()).step_by(97) {
            assert!(!verifies(&bundle[..cut]), "cut at {cut}");
        }
    }
    let unsigned: std::collections::BTreeSet<String> =
        UNSIGNED_FIELDS.iter().map(|s| s.to_string()).collect();
    assert!(still_verified.is_subset(&unsigned), "{still_verified:#?}");
}

/// Bundle fields no signature or proof covers. The key hint only helps a
/// verifier find a key; the key used is the trust policy's.
const UNSIGNED_FIELDS: &[&str] = &["/verificationMaterial/publicKey/hint"];

fn leaves(value: &serde_json::Value, at: String) -> Vec<String> {
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| {
                leaves(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                )
            })
            .collect(),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .flat_map(|(i, v)| leaves(v, format!("{at}/{i}")))
            .collect(),
        _ => vec![at],
    }
}

#[test]
fn a_bundle_attached_at_publish_is_checked_for_shape_and_stated_digest() {
    assert_eq!(check_for_artefact(KEYLESS, sha256(A_TXT)), Ok(()));
    let other = refused_shape(check_for_artefact(KEYLESS, sha256(b"other bytes")));
    assert_eq!(other.check, Check::ArtefactMismatch, "{other}");
    assert!(
        other.detail.contains(&hex::encode(sha256(A_TXT))),
        "{other}"
    );
    let junk = refused_shape(check_for_artefact(
        b"{\"not\": \"a bundle\"}",
        sha256(A_TXT),
    ));
    assert_eq!(junk.check, Check::BundleMalformed, "{junk}");
    let big = vec![b' '; MAX_BUNDLE_BYTES + 1];
    let large = refused_shape(check_for_artefact(&big, sha256(A_TXT)));
    assert_eq!(large.check, Check::BundleTooLarge, "{large}");
}

fn refused_shape(result: Result<(), Refusal>) -> Refusal {
    result.expect_err("refused")
}
