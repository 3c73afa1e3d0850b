//! `verify`: auditing plugin files already on disk.

use crate::util::*;

const PLUGIN: &[u8] = b"\0asm installed plugin";

/// plugins/p.wasm with a sidecar signed by `ops`, and trust/ops.pub.
fn signed_plugin() -> (Env, Key) {
    let env = Env::new();
    let key = Key::new(8);
    key.trust(&env, "trust", "ops");
    env.write("plugins/p.wasm", PLUGIN);
    env.write("plugins/p.sig", key.sign_b64(PLUGIN));
    (env, key)
}

#[test]
fn the_sidecar_verifies_and_the_signer_is_named() {
    let (env, _) = signed_plugin();
    let run = env
        .run(&["verify", "plugins/p.wasm", "--trust-root", "trust"])
        .expect(OK);
    assert!(run.stdout.contains(&sha256_hex(PLUGIN)), "{}", run.stdout);
    assert!(run.stdout.contains("verified by 'ops'"), "{}", run.stdout);
}

#[test]
fn json_reports_digest_size_and_signer() {
    let (env, _) = signed_plugin();
    let report = env
        .run(&[
            "verify",
            "plugins/p.wasm",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    assert_eq!(report["sha256"], sha256_hex(PLUGIN));
    assert_eq!(report["size"], PLUGIN.len());
    assert_eq!(report["signed_by"], "ops");
    assert_eq!(
        report["signature_path"],
        env.path("plugins/p.sig").display().to_string()
    );
}

#[test]
fn an_explicit_signature_file_is_used() {
    let (env, key) = signed_plugin();
    env.write("plugins/p.sig", key.sign_b64(b"something else"));
    env.run(&["verify", "plugins/p.wasm", "--trust-root", "trust"])
        .expect(INTEGRITY);
    env.write("sigs/p.sig", key.sign_b64(PLUGIN));
    env.run(&[
        "verify",
        "plugins/p.wasm",
        "--trust-root",
        "trust",
        "--sig",
        "sigs/p.sig",
    ])
    .expect(OK);
}

#[test]
fn a_tampered_plugin_exits_1() {
    let (env, _) = signed_plugin();
    env.write("plugins/p.wasm", b"\0asm tampered");
    env.run(&["verify", "plugins/p.wasm", "--trust-root", "trust"])
        .expect(INTEGRITY)
        .says(&["does not verify", "ops"]);
}

#[test]
fn a_missing_signature_with_a_trust_root_exits_1() {
    let (env, _) = signed_plugin();
    std::fs::remove_file(env.path("plugins/p.sig")).unwrap();
    env.run(&["verify", "plugins/p.wasm", "--trust-root", "trust"])
        .expect(INTEGRITY)
        .says(&["not signed", "p.sig"]);
}

#[test]
fn without_a_trust_root_only_the_digest_is_reported() {
    let (env, _) = signed_plugin();
    let run = env.run(&["verify", "plugins/p.wasm"]).expect(OK);
    assert!(run.stdout.contains(&sha256_hex(PLUGIN)));
    assert!(run.stdout.contains("not checked"), "{}", run.stdout);
}

#[test]
fn a_missing_file_exits_2() {
    let env = Env::new();
    env.run(&["verify", "nope.wasm"])
        .expect(INPUT)
        .says(&["nope.wasm does not exist"]);
}

#[test]
fn openssl_signatures_verify_against_a_pem_key() {
    let env = Env::new();
    env.write("plugins/p.wasm", PLUGIN);
    openssl(
        &["genpkey", "-algorithm", "ed25519", "-out", "k.pem"],
        &env.root,
    );
    std::fs::create_dir(env.path("trust")).unwrap();
    openssl(
        &[
            "pkey",
            "-in",
            "k.pem",
            "-pubout",
            "-out",
            "trust/openssl.pub",
        ],
        &env.root,
    );
    openssl(
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            "k.pem",
            "-rawin",
            "-in",
            "plugins/p.wasm",
            "-out",
            "raw.sig",
        ],
        &env.root,
    );
    use base64::Engine as _;
    env.write(
        "plugins/p.sig",
        base64::engine::general_purpose::STANDARD.encode(env.read("raw.sig")),
    );
    env.run(&["verify", "plugins/p.wasm", "--trust-root", "trust"])
        .expect(OK);
}
