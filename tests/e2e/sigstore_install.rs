//! Installing a plugin an index entry's Sigstore bundle vouches for, under a
//! trust root's `sigstore.json`; `verify` and `audit` of what was placed.
//! Real keyless material: the sigstore-conformance suite's `a.txt` (any
//! bytes install when no world or policy is asked) and its bundles.

use crate::util::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/assets/sigstore-conformance/bundle-verify")
}

fn asset(path: &str) -> Vec<u8> {
    std::fs::read(cases_dir().join(path)).unwrap()
}

/// trust/sigstore.json accepting `identity` from `issuer` for `colmask`,
/// with `extra` fields (a `trusted_root`).
fn policy(env: &Env, identity: &str, issuer: &str, extra: Value) {
    let mut policy = json!({"identities": [
        {"plugins": "colmask", "issuer": issuer, "identity": identity}]});
    if let Value::Object(fields) = extra {
        policy.as_object_mut().unwrap().extend(fields);
    }
    env.write("trust/sigstore.json", policy.to_string());
}

/// colmask 1.0.0 with `artifact`'s bytes (a.txt unless given) and
/// `sigstore_bundle` set to `bundle` (none when `Value::Null`).
fn publish(env: &Env, artifact: &[u8], bundle: Value) -> Registry {
    let mut reg = Registry::new("registry");
    let entry = reg.publish(env, "colmask", "1.0.0", artifact, None);
    if !bundle.is_null() {
        entry["sigstore_bundle"] = bundle;
    }
    reg.save(env);
    reg
}

/// The bundle of a conformance case, beside the index, by location.
fn bundle_file(env: &Env, case: &str) -> Value {
    env.write(
        "registry/colmask.sigstore.json",
        asset(&format!("{case}/bundle.sigstore.json")),
    );
    json!("colmask.sigstore.json")
}

fn install(env: &Env, reg: &Registry, json: bool) -> Run {
    let index = reg.index();
    let mut args = vec![
        "install",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ];
    if json {
        args.push("--json");
    }
    env.run(&args)
}

/// An install refused with exit 1, naming `says`, with nothing placed.
#[track_caller]
fn refused(env: &Env, reg: &Registry, says: &[&str]) {
    std::fs::create_dir_all(env.path("plugins")).unwrap();
    install(env, reg, false).expect(INTEGRITY).says(says);
    assert!(
        env.visible("plugins").is_empty(),
        "{:?}",
        env.visible("plugins")
    );
}

fn signer() -> String {
    format!("sigstore:{IDENTITY} ({ISSUER})")
}

#[test]
fn a_keyless_bundle_by_the_accepted_identity_installs_beside_the_plugin() {
    let env = Env::new();
    policy(&env, IDENTITY, ISSUER, json!({}));
    let bundle = bundle_file(&env, "happy-path-v0.3");
    let reg = publish(&env, &asset("a.txt"), bundle);
    let report = install(&env, &reg, true).expect(OK).json()[0].clone();
    assert_eq!(report["signed_by"], signer().as_str(), "{report}");
    assert!(
        report["bundle_path"]
            .as_str()
            .is_some_and(|p| p.ends_with("plugins/colmask.sigstore.json")),
        "{report}"
    );
    assert_eq!(
        env.visible("plugins"),
        ["colmask.sigstore.json", "colmask.wasm"]
    );
    assert_eq!(
        env.read("plugins/colmask.sigstore.json"),
        asset("happy-path-v0.3/bundle.sigstore.json")
    );
    let receipt: Value =
        serde_json::from_slice(&env.read("plugins/.wasm-plugin/receipts/colmask.json")).unwrap();
    assert_eq!(receipt["signed_by"], signer().as_str());
    // Installed again: intact, unchanged.
    let again = install(&env, &reg, true).expect(OK).json()[0].clone();
    assert_eq!(again["action"], "unchanged", "{again}");
}

#[test]
fn an_inline_bundle_installs() {
    let env = Env::new();
    policy(&env, IDENTITY, ISSUER, json!({}));
    let bundle: Value =
        serde_json::from_slice(&asset("happy-path-v0.3/bundle.sigstore.json")).unwrap();
    let reg = publish(&env, &asset("a.txt"), bundle);
    let run = install(&env, &reg, false).expect(OK);
    assert!(run.stdout.contains(IDENTITY), "{}", run.stdout);
    assert!(env.path("plugins/colmask.sigstore.json").is_file());
}

#[test]
fn another_identity_or_issuer_is_refused() {
    let env = Env::new();
    policy(
        &env,
        "https://github.com/mallory/x/.github/workflows/r.yml@refs/heads/main",
        ISSUER,
        json!({}),
    );
    let bundle = bundle_file(&env, "happy-path-v0.3");
    let reg = publish(&env, &asset("a.txt"), bundle);
    refused(&env, &reg, &["does not verify", "mallory"]);

    let env = Env::new();
    policy(&env, IDENTITY, "https://accounts.google.com", json!({}));
    let bundle = bundle_file(&env, "happy-path-v0.3");
    let reg = publish(&env, &asset("a.txt"), bundle);
    refused(&env, &reg, &["does not verify", "accounts.google.com"]);
}

#[test]
fn a_bundle_for_other_bytes_or_with_a_tampered_proof_is_refused() {
    for case in [
        "message-digest-mismatch_fail",
        "inclusion-proof-corrupted-hash_fail",
        "checkpoint-wrong-roothash_fail",
    ] {
        let env = Env::new();
        policy(&env, IDENTITY, ISSUER, json!({}));
        let bundle = bundle_file(&env, case);
        let reg = publish(&env, &asset("a.txt"), bundle);
        refused(&env, &reg, &["does not verify"]);
    }
    // The happy bundle for bytes it does not sign.
    let env = Env::new();
    policy(&env, IDENTITY, ISSUER, json!({}));
    let bundle = bundle_file(&env, "happy-path-v0.3");
    let reg = publish(&env, b"\0asm other bytes", bundle);
    refused(&env, &reg, &["does not verify"]);
}

#[test]
fn a_certificate_expired_at_signing_time_is_refused() {
    // The case's own artefact and trusted root: the certificate was issued
    // outside the CA's validity window.
    let env = Env::new();
    let case = "intoto-expired-certificate_fail";
    env.write(
        "trust/trusted_root.json",
        asset(&format!("{case}/trusted_root.json")),
    );
    policy(
        &env,
        IDENTITY,
        ISSUER,
        json!({"trusted_root": "trusted_root.json"}),
    );
    let bundle = bundle_file(&env, case);
    let reg = publish(&env, &asset(&format!("{case}/artifact")), bundle);
    refused(&env, &reg, &["does not verify"]);
}

#[test]
fn a_certificate_from_an_untrusted_ca_is_refused() {
    let env = Env::new();
    policy(&env, IDENTITY, ISSUER, json!({}));
    let bundle = bundle_file(&env, "bundle-from-wrong-instance_fail");
    let reg = publish(&env, &asset("a.txt"), bundle);
    refused(&env, &reg, &["does not verify"]);
    // The happy bundle, against the staging instance's root.
    let env = Env::new();
    env.write(
        "trust/staging.json",
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../guest/src/trust/sigstore/roots/staging.trusted_root.json"),
        )
        .unwrap(),
    );
    policy(
        &env,
        IDENTITY,
        ISSUER,
        json!({"trusted_root": "staging.json"}),
    );
    let bundle = bundle_file(&env, "happy-path-v0.3");
    let reg = publish(&env, &asset("a.txt"), bundle);
    refused(&env, &reg, &["does not verify"]);
}

#[test]
fn without_a_bundle_or_a_signature_the_policy_refuses() {
    let env = Env::new();
    policy(&env, IDENTITY, ISSUER, json!({}));
    let reg = publish(&env, &asset("a.txt"), Value::Null);
    std::fs::create_dir_all(env.path("plugins")).unwrap();
    let run = install(&env, &reg, true).expect(INTEGRITY);
    assert_eq!(run.json()[0]["error"]["kind"], "signature-missing");
    assert!(env.visible("plugins").is_empty());
}

#[test]
fn verify_and_audit_check_the_placed_bundle() {
    let env = Env::new();
    policy(&env, IDENTITY, ISSUER, json!({}));
    let bundle = bundle_file(&env, "happy-path-v0.3");
    let reg = publish(&env, &asset("a.txt"), bundle);
    install(&env, &reg, false).expect(OK);
    let verified = env
        .run(&[
            "verify",
            "plugins/colmask.wasm",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    assert_eq!(verified["signed_by"], signer().as_str(), "{verified}");
    let audit = |code| {
        env.run(&[
            "audit",
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(code)
        .json()
    };
    let clean = audit(OK);
    assert_eq!(
        clean["plugins"][0]["signed_by"],
        signer().as_str(),
        "{clean}"
    );

    // Altered: a bundle for other bytes.
    env.write(
        "plugins/colmask.sigstore.json",
        asset("message-digest-mismatch_fail/bundle.sigstore.json"),
    );
    let found = audit(INTEGRITY);
    let finding = &found["plugins"][0]["findings"][0];
    assert_eq!(finding["kind"], "signature-invalid", "{found}");
    assert!(
        finding["path"]
            .as_str()
            .unwrap()
            .ends_with("colmask.sigstore.json")
    );
    env.run(&["verify", "plugins/colmask.wasm", "--trust-root", "trust"])
        .expect(INTEGRITY)
        .says(&["does not verify"]);

    // Removed.
    std::fs::remove_file(env.path("plugins/colmask.sigstore.json")).unwrap();
    let found = audit(INTEGRITY);
    let kinds: Vec<&str> = found["plugins"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"signature-missing"), "{found}");
    // Uninstall removes the bundle with the plugin.
    env.write(
        "plugins/colmask.sigstore.json",
        asset("happy-path-v0.3/bundle.sigstore.json"),
    );
    env.run(&["uninstall", "colmask", "--dest", "plugins"])
        .expect(OK);
    assert!(
        env.visible("plugins").is_empty(),
        "{:?}",
        env.visible("plugins")
    );
}

/// `root.json` made with the CLI: alice's key and the conformance identity
/// in one publishers role over colmask of `threshold`; colmask (a.txt)
/// published signed by alice, its entry carrying `bundle` (a case's).
fn roles_registry(env: &Env, threshold: u32, bundle: Option<&str>) {
    env.run(&["keygen", "--name", "alice"]).expect(OK);
    std::fs::create_dir_all(env.path("trust")).unwrap();
    let publisher = format!("alice:{threshold}=colmask");
    let identity = format!("colmask={ISSUER}={IDENTITY}");
    env.run(&[
        "trust",
        "init",
        "--out",
        "trust/root.json",
        "--key",
        "alice=alice.pub",
        "--root",
        "alice",
        "--index",
        "alice",
        "--publisher",
        &publisher,
        "--publisher-identity",
        &identity,
    ])
    .expect(OK);
    env.run(&["trust", "sign", "trust/root.json", "--key", "alice.key"])
        .expect(OK);
    env.write("colmask-1.0.0.wasm", asset("a.txt"));
    env.run(&[
        "publish",
        "colmask-1.0.0.wasm",
        "--registry",
        "registry/index.json",
        "--key",
        "alice.key",
    ])
    .expect(OK);
    if let Some(case) = bundle {
        let mut index: Value = serde_json::from_slice(&env.read("registry/index.json")).unwrap();
        index["plugins"][0]["sigstore_bundle"] = bundle_file(env, case);
        env.write("registry/index.json", serde_json::to_vec(&index).unwrap());
        std::fs::remove_file(env.path("registry/index.json.sig")).unwrap();
        env.run(&[
            "trust",
            "sign",
            "--registry",
            "registry/index.json",
            "--key",
            "alice.key",
        ])
        .expect(OK);
    }
}

fn install_roles(env: &Env) -> Run {
    env.run(&[
        "install",
        "colmask",
        "--registry",
        "registry/index.json",
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
        "--json",
    ])
}

#[test]
fn a_publishers_role_counts_a_verified_identity_toward_its_threshold() {
    // Threshold 2 of alice's key and the identity: both together install.
    let env = Env::new();
    roles_registry(&env, 2, Some("happy-path-v0.3"));
    let shown = env
        .run(&["trust", "show", "trust", "--json"])
        .expect(OK)
        .json();
    assert_eq!(
        shown["publishers"][0]["identities"],
        json!([{"issuer": ISSUER, "identity": IDENTITY}])
    );
    let report = install_roles(&env).expect(OK).json()[0].clone();
    assert_eq!(
        report["signed_by"],
        format!("alice, {} (publishers colmask)", signer()),
        "{report}"
    );
    assert_eq!(
        env.visible("plugins"),
        ["colmask.sig", "colmask.sigstore.json", "colmask.wasm"]
    );
    let again = install_roles(&env).expect(OK).json()[0].clone();
    assert_eq!(again["action"], "unchanged", "{again}");
    env.run(&["audit", "--dest", "plugins", "--trust-root", "trust"])
        .expect(OK);

    // Without the bundle, alice alone is one of the two needed.
    let env = Env::new();
    roles_registry(&env, 2, None);
    let run = install_roles(&env).expect(INTEGRITY);
    assert!(
        run.stdout
            .contains("needs 2 distinct key(s) or Sigstore identities and 1 signed"),
        "{}",
        run.stdout
    );
    assert!(!env.path("plugins/colmask.wasm").exists());

    // A bundle by the identity but for other bytes is refused outright.
    let env = Env::new();
    roles_registry(&env, 1, Some("message-digest-mismatch_fail"));
    let run = install_roles(&env).expect(INTEGRITY);
    assert_eq!(
        run.json()[0]["error"]["kind"],
        "sigstore-unverified",
        "{}",
        run.stdout
    );
    assert!(!env.path("plugins/colmask.wasm").exists());
}

#[test]
fn publish_attaches_a_bundle_made_elsewhere_and_install_verifies_it() {
    let env = Env::new();
    policy(&env, IDENTITY, ISSUER, json!({}));
    env.write("build/colmask-1.0.0.wasm", asset("a.txt"));
    env.write(
        "build/a.sigstore.json",
        asset("happy-path-v0.3/bundle.sigstore.json"),
    );
    let publish = |bundle: &str| {
        env.run(&[
            "publish",
            "build/colmask-1.0.0.wasm",
            "--registry",
            "registry/index.json",
            "--sigstore-bundle",
            bundle,
            "--json",
        ])
    };
    // A bundle made for other bytes is refused, and nothing is written.
    env.write(
        "build/other.sigstore.json",
        asset("message-digest-mismatch_fail/bundle.sigstore.json"),
    );
    let refused = publish("build/other.sigstore.json").expect(INTEGRITY);
    assert!(
        refused.stdout.contains("other.sigstore.json") && refused.stdout.contains("other bytes"),
        "{}",
        refused.stdout
    );
    assert!(!env.path("registry").exists());

    let report = publish("build/a.sigstore.json").expect(OK).json();
    assert!(
        report["sigstore_bundle"]
            .as_str()
            .unwrap()
            .ends_with("registry/colmask-1.0.0.sigstore.json"),
        "{report}"
    );
    let index: Value = serde_json::from_slice(&env.read("registry/index.json")).unwrap();
    assert_eq!(
        index["plugins"][0]["sigstore_bundle"],
        "colmask-1.0.0.sigstore.json"
    );
    let run = env
        .run(&[
            "install",
            "colmask",
            "--registry",
            "registry/index.json",
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    assert_eq!(run[0]["signed_by"], signer().as_str(), "{run}");
    assert_eq!(
        env.read("plugins/colmask.sigstore.json"),
        asset("happy-path-v0.3/bundle.sigstore.json")
    );
}

/// `wasm-plugin args` in a network namespace of its own (`unshare -rn`):
/// no interface but a loopback that is down, so no route to anywhere.
fn without_network(env: &Env, args: &[&str]) -> Run {
    Run::from(
        env.wrapped(&["unshare", "-rn"], args)
            .output()
            .expect("run unshare"),
    )
}

#[test]
fn verification_needs_no_network() {
    let env = Env::new();
    // The namespace itself works here: a fetch from it fails.
    let unreachable = without_network(
        &env,
        &[
            "info",
            "colmask",
            "--registry",
            "http://192.0.2.1/index.json",
        ],
    );
    assert_eq!(unreachable.code, IO, "{}", unreachable.stderr);

    // A keyless bundle, checked at install, by verify, by audit and by
    // verify-bundle, with no route to Rekor, Fulcio or a TUF mirror.
    policy(&env, IDENTITY, ISSUER, json!({}));
    let bundle = bundle_file(&env, "happy-path-v0.3");
    let reg = publish(&env, &asset("a.txt"), bundle);
    let index = reg.index();
    let install = without_network(
        &env,
        &[
            "install",
            "colmask",
            "--registry",
            &index,
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ],
    )
    .expect(OK);
    assert!(install.stdout.contains(IDENTITY), "{}", install.stdout);
    without_network(
        &env,
        &["verify", "plugins/colmask.wasm", "--trust-root", "trust"],
    )
    .expect(OK);
    without_network(
        &env,
        &["audit", "--dest", "plugins", "--trust-root", "trust"],
    )
    .expect(OK);
    without_network(
        &env,
        &[
            "verify-bundle",
            "--bundle",
            "plugins/colmask.sigstore.json",
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
            "plugins/colmask.wasm",
        ],
    )
    .expect(OK);
}
