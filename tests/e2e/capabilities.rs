//! What a plugin imports, read from its bytes: reported, recorded, and
//! judged by `--allow-import`/`--deny-import` before anything is placed.

use crate::util::*;

/// A component importing `imports` and exporting `handle`.
fn component(imports: &[&str]) -> Vec<u8> {
    let imports: String = imports
        .iter()
        .map(|name| format!("(import \"{name}\" (instance))"))
        .collect();
    wat::parse_str(format!(
        r#"(component {imports}
             (core module $m (func (export "f")))
             (core instance $i (instantiate $m))
             (func $h (canon lift (core func $i "f")))
             (export "handle" (func $h)))"#
    ))
    .unwrap()
}

fn install(env: &Env, extra: &[&str]) -> Run {
    let mut args = vec![
        "install",
        "p",
        "--registry",
        "reg/index.json",
        "--dest",
        "plugins",
        "--json",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

#[test]
fn a_denial_says_each_rule_once_after_the_imports_it_refuses() {
    let env = Env::new();
    let mut reg = Registry::new("reg");
    let bytes = component(&[
        "wasi:io/streams@0.2.3",
        "wasi:sockets/tcp@0.2.3",
        "wasi:sockets/udp@0.2.3",
    ]);
    reg.publish(&env, "p", "0.2.0", &bytes, None);
    let refused = install(&env, &["--deny-import", "wasi:sockets/*"]).expect(INTEGRITY);
    let error = &refused.json()[0]["error"];
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(
            "wasi:sockets/tcp@0.2.3, wasi:sockets/udp@0.2.3 (denied by 'wasi:sockets/*')"
        ) && message.matches("denied by").count() == 1,
        "{message}"
    );
    // The details keep one entry per import.
    assert_eq!(
        error["details"]["denied"].as_array().unwrap().len(),
        2,
        "{error}"
    );
}

#[test]
fn a_denied_import_refuses_the_plugin_before_anything_is_placed() {
    let env = Env::new();
    let mut reg = Registry::new("reg");
    let bytes = component(&["wasi:io/streams@0.2.3", "wasi:sockets/tcp@0.2.3"]);
    reg.publish(&env, "p", "0.2.0", &bytes, None);

    let refused = install(&env, &["--deny-import", "wasi:sockets/*"]).expect(INTEGRITY);
    let error = &refused.json()[0]["error"];
    assert_eq!(error["kind"], "capability-denied", "{}", refused.stdout);
    let denied = error["details"]["denied"].to_string();
    assert!(
        denied.contains("wasi:sockets/tcp@0.2.3 (denied by 'wasi:sockets/*')"),
        "{denied}"
    );
    assert!(!env.path("plugins/p.wasm").exists());
    assert!(
        env.names("plugins").iter().all(|n| n == ".wasm-plugin"),
        "{:?}",
        env.names("plugins")
    );

    // An allow list the sockets import is not on refuses it too.
    let refused = install(&env, &["--allow-import", "wasi:io/*"]).expect(INTEGRITY);
    assert!(
        refused.stdout.contains("allowed are only: wasi:io/*"),
        "{}",
        refused.stdout
    );

    // Without a policy it installs, and says what it imports.
    let report = install(&env, &[]).expect(OK).json();
    assert_eq!(
        report[0]["imports"],
        serde_json::json!(["wasi:io/streams@0.2.3", "wasi:sockets/tcp@0.2.3"]),
        "{report}"
    );
    assert_eq!(report[0]["exports"], serde_json::json!(["handle"]));
    let receipt: serde_json::Value =
        serde_json::from_slice(&env.read("plugins/.wasm-plugin/receipts/p.json")).unwrap();
    assert_eq!(receipt["imports"], report[0]["imports"]);

    // verify counts them for a file on disk, and lists them with --long.
    let counted = env.run(&["verify", "plugins/p.wasm"]).expect(OK);
    assert!(
        counted
            .stdout
            .contains("2 imports, 1 export (--long lists them)")
            && !counted.stdout.contains("wasi:sockets/tcp"),
        "{}",
        counted.stdout
    );
    let shown = env.run(&["verify", "plugins/p.wasm", "--long"]).expect(OK);
    assert!(
        shown
            .stdout
            .contains("imports:\n  wasi:io/streams@0.2.3\n  wasi:sockets/tcp@0.2.3"),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains("exports:\n  handle"),
        "{}",
        shown.stdout
    );
    let long = env
        .run(&["list", "--installed", "--dest", "plugins", "--long"])
        .expect(OK);
    assert!(long.stdout.contains("p 0.2.0"), "{}", long.stdout);
    assert!(
        long.stdout.contains("  wasi:sockets/tcp@0.2.3"),
        "{}",
        long.stdout
    );
}

#[test]
fn under_a_policy_bytes_whose_imports_cannot_be_read_are_refused() {
    let env = Env::new();
    let mut reg = Registry::new("reg");
    reg.publish(&env, "p", "1.0.0", b"\0asm not really", None);
    let refused = install(&env, &["--allow-import", "wasi:io/*"]).expect(INTEGRITY);
    assert!(
        refused.stdout.contains("its imports cannot be read"),
        "{}",
        refused.stdout
    );
    // Without one, such bytes install as before (the loader's format allows them).
    install(&env, &[]).expect(OK);
}

#[test]
fn an_upgrade_names_a_new_capability_and_audit_and_the_manifest_apply_the_policy() {
    let env = Env::new();
    let mut reg = Registry::new("reg");
    reg.publish(
        &env,
        "p",
        "0.1.0",
        &component(&["wasi:io/streams@0.2.3"]),
        None,
    );
    install(&env, &[]).expect(OK);
    reg.publish(
        &env,
        "p",
        "0.2.0",
        &component(&["wasi:io/streams@0.2.3", "wasi:sockets/tcp@0.2.3"]),
        None,
    );
    let upgrade = |extra: &[&str]| {
        let mut args = vec![
            "upgrade",
            "p",
            "--registry",
            "reg/index.json",
            "--dest",
            "plugins",
        ];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    // Under a policy forbidding it, the upgrade is refused; the old stays.
    upgrade(&["--deny-import", "wasi:sockets/*"])
        .expect(INTEGRITY)
        .says(&["wasi:sockets/tcp@0.2.3 (denied by 'wasi:sockets/*')"]);
    let receipt: serde_json::Value =
        serde_json::from_slice(&env.read("plugins/.wasm-plugin/receipts/p.json")).unwrap();
    assert_eq!(receipt["version"], "0.1.0");
    // Without one it goes ahead, and says what is new.
    let done = upgrade(&[]).expect(OK);
    assert!(
        done.stdout
            .contains("new capability: now imports wasi:sockets/tcp@0.2.3"),
        "{}",
        done.stdout
    );

    // audit judges what is installed against a policy.
    let audit = |extra: &[&str]| {
        let mut args = vec!["audit", "--dest", "plugins", "--json"];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    audit(&[]).expect(OK);
    let found = audit(&["--deny-import", "wasi:sockets/*"])
        .expect(INTEGRITY)
        .json();
    assert!(found.to_string().contains("capability-denied"), "{found}");

    // The manifest's [policy] stands in for the flags.
    env.write(
        "wasm-plugin.toml",
        "dest = \"plugins\"\n[registries]\ndefault = \"reg/index.json\"\n[plugins]\np = \"*\"\n\
         [policy]\ndeny_imports = [\"wasi:sockets/*\"]\n",
    );
    env.run(&["audit"]).expect(INTEGRITY);
    // sync judges what it installs (a plugin kept as pinned is audit's).
    env.run(&["uninstall", "p", "--dest", "plugins"]).expect(OK);
    env.run(&["sync"]).expect(INTEGRITY);
    assert!(!env.path("plugins/p.wasm").exists());
}

#[test]
fn a_policy_applies_to_a_plugin_kept_as_it_is() {
    let env = Env::new();
    let mut reg = Registry::new("reg");
    reg.publish(
        &env,
        "p",
        "1.0.0",
        &component(&["wasi:sockets/tcp@0.2.3"]),
        None,
    );
    install(&env, &[]).expect(OK);
    let refused = install(&env, &["--deny-import", "wasi:sockets/tcp@*"]).expect(INTEGRITY);
    assert!(
        refused.stdout.contains("p 1.0.0 (installed)"),
        "{}",
        refused.stdout
    );
    // A pattern without the version does not match a versioned name.
    install(&env, &["--deny-import", "wasi:sockets/tcp"]).expect(OK);
    // audit reads the bytes, not the receipt's record.
    let receipt = env.path("plugins/.wasm-plugin/receipts/p.json");
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&receipt).unwrap()).unwrap();
    record["imports"] = serde_json::json!([]);
    std::fs::write(&receipt, serde_json::to_vec(&record).unwrap()).unwrap();
    env.run(&[
        "audit",
        "--dest",
        "plugins",
        "--deny-import",
        "wasi:sockets/*",
    ])
    .expect(INTEGRITY);
}
