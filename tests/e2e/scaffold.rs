//! `new`: the scaffolded project builds into a component that installs.

use crate::util::*;
use std::path::Path;
use std::process::Command;

#[test]
fn new_refuses_hostile_names_and_existing_directories() {
    let env = Env::new();
    for name in ["../x", "a/b", ""] {
        env.run(&["new", name])
            .expect(INPUT)
            .says(&["invalid name"]);
    }
    assert!(env.names("").is_empty());
    std::fs::create_dir(env.path("taken")).unwrap();
    env.run(&["new", "taken"])
        .expect(INPUT)
        .says(&["already exists"]);
}

#[test]
fn new_writes_into_the_given_parent() {
    let env = Env::new();
    std::fs::create_dir(env.path("projects")).unwrap();
    env.run(&["new", "colmask", "--dir", "projects"]).expect(OK);
    let cargo = String::from_utf8(env.read("projects/colmask/Cargo.toml")).unwrap();
    assert!(cargo.contains("name = \"colmask\""));
    assert!(env.path("projects/colmask/wit/plugin.wit").is_file());
}

/// Every verb that writes files names where with --out; the old names
/// (keygen --out-dir, new and man --dir) still work, hidden from the help.
#[test]
fn every_verb_that_writes_takes_out_and_its_old_name_still_works() {
    let env = Env::new();
    std::fs::create_dir(env.path("out")).unwrap();
    env.run(&["new", "colmask", "--out", "out"]).expect(OK);
    assert!(env.path("out/colmask/Cargo.toml").is_file());
    env.run(&["keygen", "--name", "release", "--out", "out"])
        .expect(OK);
    assert!(env.path("out/release.pub").is_file());
    env.run(&["keygen", "--name", "old", "--out-dir", "out"])
        .expect(OK);
    assert!(env.path("out/old.pub").is_file());
    env.run(&["keygen", "--name", "x", "--out", "missing"])
        .expect(INPUT)
        .says(&["--out missing does not exist"]);
    for verb in ["keygen", "new", "man"] {
        let help = env.run(&[verb, "--help"]).expect(OK).stdout;
        assert!(help.contains("--out"), "{verb}: {help}");
        assert!(
            !help.contains("--out-dir") && !help.contains("--dir"),
            "{verb}: {help}"
        );
    }
}

/// The slow one: a real `cargo build --target wasm32-wasip2` of the template.
#[test]
fn a_new_plugin_builds_into_a_component_that_installs_and_verifies() {
    let env = Env::new();
    env.run(&["new", "hello-plugin"]).expect(OK);
    let wasm = build_plugin(&env.path("hello-plugin"), "hello_plugin");

    // Publish it signed with an openssl key, install it, verify it.
    openssl(
        &["genpkey", "-algorithm", "ed25519", "-out", "k.pem"],
        &env.root,
    );
    std::fs::create_dir(env.path("trust")).unwrap();
    openssl(
        &["pkey", "-in", "k.pem", "-pubout", "-out", "trust/me.pub"],
        &env.root,
    );
    let mut reg = Registry::new("registry");
    reg.publish(&env, "hello-plugin", "0.1.0", &wasm, None);
    let sig = openssl(
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            "k.pem",
            "-rawin",
            "-in",
            "registry/hello-plugin-0.1.0.wasm",
        ],
        &env.root,
    )
    .stdout;
    use base64::Engine as _;
    reg.entries[0]["signature"] = base64::engine::general_purpose::STANDARD.encode(sig).into();
    reg.save(&env);
    let index = reg.index();
    env.run(&[
        "install",
        "hello-plugin",
        "--registry",
        &index,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ])
    .expect(OK);
    assert_eq!(env.read("plugins/hello-plugin.wasm"), wasm);
    env.run(&[
        "verify",
        "plugins/hello-plugin.wasm",
        "--trust-root",
        "trust",
    ])
    .expect(OK);
}

/// Builds a scaffolded project with `cargo build --target wasm32-wasip2
/// --release` and returns the validated component `<artifact>.wasm`.
pub fn build_plugin(project: &Path, artifact: &str) -> Vec<u8> {
    // A target dir shared between tests and runs keeps this to seconds after
    // the first build; flags the outer cargo set for the host are dropped.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffold-target");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--target", "wasm32-wasip2", "--release"])
        .current_dir(project)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "the scaffold does not build:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wasm =
        std::fs::read(target.join(format!("wasm32-wasip2/release/{artifact}.wasm"))).unwrap();
    assert_component(&wasm);
    wasm
}

/// Fully validates `bytes` as a WebAssembly component.
pub fn assert_component(bytes: &[u8]) {
    assert!(wasmparser::Parser::is_component(bytes), "not a component");
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(bytes)
        .expect("a valid component");
}
