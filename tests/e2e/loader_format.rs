//! Registries written for the existing loader: no `schema_version`, entries
//! without `version`, a byte-order mark from an editor. Everything the
//! earlier issues checked must hold for them too.

use crate::util::*;
use serde_json::{Value, json};

const V1: &[u8] = b"\0asm\x0d\x00\x01\x00 loader format v1";
const V2: &[u8] = b"\0asm\x0d\x00\x01\x00 loader format v2";

/// An index exactly as the loader's own tests write one: a bare `plugins`
/// array, entries of name, artifact, sha256 and signature.
fn loader_index(env: &Env, entries: &[Value]) -> String {
    let text = serde_json::to_string(&json!({ "plugins": entries })).unwrap();
    env.write("registry/index.json", text);
    "registry/index.json".to_string()
}

fn entry(env: &Env, name: &str, bytes: &[u8], key: Option<&Key>) -> Value {
    env.write(&format!("registry/{name}.wasm"), bytes);
    let mut entry =
        json!({"name": name, "artifact": format!("{name}.wasm"), "sha256": sha256_hex(bytes)});
    if let Some(key) = key {
        entry["signature"] = json!(key.sign_b64(bytes));
    }
    entry
}

fn install(env: &Env, index: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "install",
        "colmask",
        "--registry",
        index,
        "--dest",
        "plugins",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

const TRUSTED: &[&str] = &["--trust-root", "trust"];

fn setup() -> (Env, Key, String) {
    let env = Env::new();
    let key = Key::new(9);
    key.trust(&env, "trust", "release");
    let index = loader_index(&env, &[entry(&env, "colmask", V1, Some(&key))]);
    (env, key, index)
}

#[test]
fn an_unversioned_plugin_installs_lists_verifies_and_audits() {
    let (env, key, index) = setup();
    let out = install(&env, &index, TRUSTED).expect(OK);
    assert!(
        out.stdout.contains("installed colmask (unversioned)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("verified by 'release'"),
        "{}",
        out.stdout
    );
    assert_eq!(env.visible("plugins"), ["colmask.sig", "colmask.wasm"]);
    assert_eq!(env.read("plugins/colmask.wasm"), V1);
    assert_eq!(
        String::from_utf8(env.read("plugins/colmask.sig")).unwrap(),
        key.sign_b64(V1)
    );
    let receipt: Value =
        serde_json::from_slice(&env.read("plugins/.wasm-plugin/receipts/colmask.json")).unwrap();
    assert_eq!(receipt["version"], "");

    // Again: nothing to do, nothing written.
    let before = env.snapshot("plugins");
    let out = install(&env, &index, TRUSTED).expect(OK);
    assert!(out.stdout.contains("nothing to do"), "{}", out.stdout);
    assert_eq!(env.snapshot("plugins"), before);

    let listed = env
        .run(&["list", "--registry", &index, "--json"])
        .expect(OK)
        .json();
    assert_eq!(listed["schema_version"], "");
    assert_eq!(listed["plugins"][0]["version"], "");
    let text = env.run(&["list", "--registry", &index]).expect(OK).stdout;
    assert!(text.contains("(unversioned)"), "{text}");
    env.run(&["list", "--installed", "--dest", "plugins"])
        .expect(OK);
    env.run(&["verify", "plugins/colmask.wasm", "--trust-root", "trust"])
        .expect(OK);
    env.run(&["audit", "--dest", "plugins", "--trust-root", "trust"])
        .expect(OK);
}

#[test]
fn the_integrity_checks_hold_for_the_loaders_format() {
    let (env, key, index) = setup();
    install(&env, &index, TRUSTED).expect(OK);
    let before = env.snapshot("plugins");
    let refused = |index: &str, code: i32, says: &[&str]| {
        install(&env, index, TRUSTED).expect(code).says(says);
        assert_eq!(
            env.snapshot("plugins"),
            before,
            "the plugins directory changed"
        );
    };
    // Another build published without a version: its bytes were altered.
    let mut tampered = entry(&env, "colmask", V2, Some(&key));
    env.write("registry/colmask.wasm", b"altered");
    tampered["artifact"] = json!("colmask.wasm");
    let index2 = loader_index(&env, &[tampered]);
    refused(&index2, INTEGRITY, &["digest mismatch"]);
    // Unsigned, with a trust root.
    let index2 = loader_index(&env, &[entry(&env, "colmask", V2, None)]);
    refused(&index2, INTEGRITY, &["not signed"]);
    // Signed by a stranger.
    let index2 = loader_index(&env, &[entry(&env, "colmask", V2, Some(&Key::new(10)))]);
    refused(&index2, INTEGRITY, &["does not verify"]);
    // A hostile name.
    let mut hostile = entry(&env, "colmask", V2, Some(&key));
    hostile["name"] = json!("../colmask");
    let index2 = loader_index(&env, &[hostile]);
    refused(&index2, INPUT, &["invalid name"]);
    // A new unversioned build, honestly signed: reinstalled (no order, so
    // not a downgrade).
    let index2 = loader_index(&env, &[entry(&env, "colmask", V2, Some(&key))]);
    let out = install(&env, &index2, TRUSTED).expect(OK);
    assert!(
        out.stdout.contains("reinstalled colmask (unversioned)"),
        "{}",
        out.stdout
    );
    assert_eq!(env.read("plugins/colmask.wasm"), V2);
}

#[test]
fn upgrade_moves_an_unversioned_plugin_to_a_release_and_not_back() {
    let (env, key, index) = setup();
    install(&env, &index, TRUSTED).expect(OK);
    let mut release = entry(&env, "colmask-1", V2, Some(&key));
    release["name"] = json!("colmask");
    release["version"] = json!("1.0.0");
    let unversioned = entry(&env, "colmask", V1, Some(&key));
    let index = loader_index(&env, &[unversioned.clone(), release]);
    // `install NAME` takes the versioned entry once there is one.
    let upgrade = [
        "upgrade",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ];
    let out = env.run(&upgrade).expect(OK);
    assert!(
        out.stdout
            .contains("upgraded colmask (unversioned) -> 1.0.0"),
        "{}",
        out.stdout
    );
    assert_eq!(env.read("plugins/colmask.wasm"), V2);
    // An index offering only the unversioned build does not move 1.0.0 sideways.
    let index = loader_index(&env, &[unversioned]);
    let upgrade = [
        "upgrade",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ];
    let out = env.run(&upgrade).expect(OK);
    assert!(out.stdout.contains("1.0.0 is up to date"), "{}", out.stdout);
}

#[test]
fn a_byte_order_mark_is_accepted_and_a_newer_schema_is_named() {
    let (env, _key, _) = setup();
    let text = std::fs::read_to_string(env.path("registry/index.json")).unwrap();
    env.write("registry/index.json", format!("\u{feff}{text}"));
    install(&env, "registry/index.json", TRUSTED).expect(OK);
    env.write(
        "registry/v2.json",
        r#"{"schema_version": "2", "plugins": []}"#,
    );
    env.run(&["list", "--registry", "registry/v2.json"])
        .expect(INPUT)
        .says(&[
            "schema_version is \"2\"",
            "reads schema_version \"1\" (or none)",
        ]);
}
