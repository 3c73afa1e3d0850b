//! Sigstore bundles attached to OCI artefacts: `publish --oci
//! --sigstore-bundle` pushes the bundle as a referrer of the plugin's
//! manifest (Debian's docker-registry 2.8 has no referrers API, so under the
//! `sha256-<hex>` tag too), and `install` under a `sigstore.json` finds it,
//! verifies it offline and places it. The conformance suite's `a.txt` is the
//! plugin's bytes (any bytes install when no world or policy is asked).

use crate::oci::OciRegistry;
use crate::util::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn asset(path: &str) -> Vec<u8> {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/assets/sigstore-conformance/bundle-verify");
    std::fs::read(dir.join(path)).unwrap()
}

/// trust/sigstore.json accepting `identity` (from the beacon's issuer) for
/// `colmask`.
fn policy(env: &Env, identity: &str) {
    let policy = json!({"identities": [
        {"plugins": "colmask", "issuer": ISSUER, "identity": identity}]});
    env.write("trust/sigstore.json", policy.to_string());
}

/// `publish --oci` of a.txt as colmask `version`, with the happy bundle
/// unless `bundle` is false.
fn publish(env: &Env, oci: &OciRegistry, version: &str, bundle: bool) -> Value {
    let file = format!("build/colmask-{version}.wasm");
    env.write(&file, asset("a.txt"));
    env.write(
        "build/a.sigstore.json",
        asset("happy-path-v0.3/bundle.sigstore.json"),
    );
    let registry = oci.url("acme");
    let mut args = vec!["publish", &file, "--oci", &registry, "--json"];
    if bundle {
        args.extend(["--sigstore-bundle", "build/a.sigstore.json"]);
    }
    env.run(&args).expect(OK).json()
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

fn signer() -> String {
    format!("sigstore:{IDENTITY} ({ISSUER})")
}

#[test]
fn a_bundle_pushed_as_a_referrer_installs_verified_and_placed() {
    let env = Env::new();
    policy(&env, IDENTITY);
    let oci = OciRegistry::start();
    let report = publish(&env, &oci, "1.0.0", true);
    let referrer = report["sigstore_bundle"].as_str().unwrap();
    assert!(
        referrer.starts_with(&format!("oci://{}/acme/colmask@sha256:", oci.host)),
        "{report}"
    );
    // docker-registry has no referrers API: the tag fallback lists it.
    let manifest = report["artifact"].as_str().unwrap();
    let hex = manifest.rsplit_once("@sha256:").unwrap().1;
    let tag = format!("sha256-{hex}");
    let tags = env
        .run(&["list", "--registry", &oci.url("acme/colmask"), "--json"])
        .expect(OK);
    assert!(!tags.stdout.contains(&tag), "a referrers tag is no version");
    let index = curl_json(&format!(
        "http://{}/v2/acme/colmask/manifests/{tag}",
        oci.host
    ));
    assert_eq!(
        index["manifests"][0]["digest"],
        referrer.rsplit_once('@').unwrap().1,
        "{index}"
    );

    let run = install(&env, &oci, "1.0.0").expect(OK).json();
    assert_eq!(run[0]["signed_by"], signer().as_str(), "{run}");
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
    // Checked again offline: verify and audit read only the plugins dir.
    env.run(&["verify", "plugins/colmask.wasm", "--trust-root", "trust"])
        .expect(OK);
    env.run(&["audit", "--dest", "plugins", "--trust-root", "trust"])
        .expect(OK);
    // Installed again: intact, unchanged.
    let again = install(&env, &oci, "1.0.0").expect(OK).json();
    assert_eq!(again[0]["action"], "unchanged", "{again}");
}

#[test]
fn without_an_attached_bundle_or_by_another_signer_the_install_is_refused() {
    let env = Env::new();
    policy(&env, IDENTITY);
    let oci = OciRegistry::start();
    publish(&env, &oci, "1.0.0", false);
    std::fs::create_dir_all(env.path("plugins")).unwrap();
    let refused = install(&env, &oci, "1.0.0").expect(INTEGRITY).json();
    assert_eq!(
        refused[0]["error"]["kind"], "signature-missing",
        "{refused}"
    );
    assert!(env.visible("plugins").is_empty());

    // Attached, but the policy expects someone else.
    publish(&env, &oci, "1.0.1", true);
    policy(
        &env,
        "https://github.com/mallory/x/.github/workflows/r.yml@refs/heads/main",
    );
    let refused = install(&env, &oci, "1.0.1").expect(INTEGRITY).json();
    assert_eq!(
        refused[0]["error"]["kind"], "sigstore-unverified",
        "{refused}"
    );
    assert!(env.visible("plugins").is_empty());
}

fn curl_json(url: &str) -> Value {
    let out = std::process::Command::new("curl")
        .args([
            "-fsS",
            "-H",
            "Accept: application/vnd.oci.image.index.v1+json",
            url,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn mirror_copies_bundles_into_a_directory_and_a_namespace_and_back() {
    let env = Env::new();
    policy(&env, IDENTITY);
    env.write("build/colmask-1.0.0.wasm", asset("a.txt"));
    env.write(
        "build/a.sigstore.json",
        asset("happy-path-v0.3/bundle.sigstore.json"),
    );
    env.run(&[
        "publish",
        "build/colmask-1.0.0.wasm",
        "--registry",
        "registry/index.json",
        "--sigstore-bundle",
        "build/a.sigstore.json",
    ])
    .expect(OK);
    let mirror = |from: &str, to: &str| {
        env.run(&[
            "mirror",
            "--registry",
            from,
            "--out",
            to,
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json()
    };
    let installs_from = |registry: &str| {
        let _ = std::fs::remove_dir_all(env.path("plugins"));
        let run = env
            .run(&[
                "install",
                "colmask",
                "--registry",
                registry,
                "--dest",
                "plugins",
                "--trust-root",
                "trust",
                "--json",
            ])
            .expect(OK)
            .json();
        assert_eq!(run[0]["signed_by"], signer().as_str(), "{registry}: {run}");
        assert_eq!(
            env.read("plugins/colmask.sigstore.json"),
            asset("happy-path-v0.3/bundle.sigstore.json"),
            "{registry}"
        );
    };
    let bundle = asset("happy-path-v0.3/bundle.sigstore.json");

    // Index -> directory: the bundle beside the copy, the index verbatim.
    let report = mirror("registry/index.json", "offline");
    assert_eq!(report["index_verbatim"], true, "{report}");
    assert_eq!(env.read("offline/colmask-1.0.0.sigstore.json"), bundle);
    installs_from("offline/index.json");

    // Index -> OCI namespace: pushed as a referrer; again, kept.
    let oci = OciRegistry::start();
    mirror("offline/index.json", &oci.url("copy"));
    let again = mirror("offline/index.json", &oci.url("copy"));
    assert_eq!(again["kept"].as_array().unwrap().len(), 1, "{again}");
    installs_from(&oci.url("copy"));

    // OCI namespace -> directory: the referrer's bundle, named by the entry.
    mirror(&oci.url("copy"), "back");
    assert_eq!(env.read("back/colmask-1.0.0.sigstore.json"), bundle);
    let index: Value = serde_json::from_slice(&env.read("back/index.json")).unwrap();
    assert_eq!(
        index["plugins"][0]["sigstore_bundle"],
        "colmask-1.0.0.sigstore.json"
    );
    installs_from("back/index.json");
}
