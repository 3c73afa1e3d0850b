//! The runtime's world (`--world`) and the index's `imports`/`exports`,
//! with plugins built from the `new` template: a version that does not fit
//! is passed over, one named exactly is refused, and an index that
//! misdescribes the bytes is refused.

use crate::scaffold::build_plugin;
use crate::util::*;
use serde_json::Value;

/// `p`, built from the template three times: 0.1.0 as generated; 0.2.0
/// opening a TCP connection (so it imports `wasi:sockets`); 0.3.0 built
/// against a world whose `handle` is renamed. Returns the three builds.
fn three_versions(env: &Env) -> [Vec<u8>; 3] {
    env.run(&["new", "p"]).expect(OK);
    // The runtime's copy of the world, as the template shipped it.
    std::fs::copy(env.path("p/wit/plugin.wit"), env.path("plugin.wit")).unwrap();
    let edit = |file: &str, from: &str, to: &str| {
        let text = String::from_utf8(env.read(file)).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        env.write(file, text.replacen(from, to, 1));
    };
    let v1 = build_plugin(&env.path("p"), "p");

    edit("p/Cargo.toml", "version = \"0.1.0\"", "version = \"0.2.0\"");
    edit(
        "p/src/lib.rs",
        "        Ok(input)",
        "        let reached = std::net::TcpStream::connect(\"127.0.0.1:9\").is_ok();\n        \
         Ok(if reached { input } else { Vec::new() })",
    );
    let v2 = build_plugin(&env.path("p"), "p");

    edit("p/Cargo.toml", "version = \"0.2.0\"", "version = \"0.3.0\"");
    edit("p/wit/plugin.wit", "export handle:", "export handle-event:");
    edit("p/src/lib.rs", "fn handle(", "fn handle_event(");
    let v3 = build_plugin(&env.path("p"), "p");
    [v1, v2, v3]
}

/// `wasm-plugin publish` of `bytes` as `p` `version` into `reg/index.json`.
fn publish(env: &Env, bytes: &[u8], version: &str) {
    let file = format!("build-{version}.wasm");
    env.write(&file, bytes);
    env.run(&[
        "publish",
        &file,
        "--registry",
        "reg/index.json",
        "--name",
        "p",
        "--version",
        version,
    ])
    .expect(OK);
}

fn install(env: &Env, spec: &str, dest: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "install",
        spec,
        "--registry",
        "reg/index.json",
        "--dest",
        dest,
        "--json",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

fn index_entry<'a>(index: &'a mut Value, version: &str) -> &'a mut Value {
    index["plugins"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["version"] == version)
        .unwrap()
}

/// The issue's "done when", end to end: capabilities, then the world,
/// then an index whose metadata lies.
#[test]
fn template_builds_are_judged_by_their_capabilities_and_their_world() {
    let env = Env::new();
    let [v1, v2, v3] = three_versions(&env);
    publish(&env, &v1, "0.1.0");
    publish(&env, &v2, "0.2.0");

    // publish wrote what the bytes import and export.
    let index: Value = serde_json::from_slice(&env.read("reg/index.json")).unwrap();
    let exports = &index["plugins"][1]["exports"];
    assert_eq!(exports, &serde_json::json!(["name", "version", "handle"]));
    let imports = index["plugins"][1]["imports"].to_string();
    assert!(imports.contains("wasi:sockets/"), "{imports}");
    assert!(
        !index["plugins"][0]["imports"]
            .to_string()
            .contains("wasi:sockets/")
    );
    let info = env.run(&["info", "p", "--registry", "reg/index.json"]);
    let info = info.expect(OK).stdout;
    assert!(info.contains("    exports name, version, handle"), "{info}");
    assert!(info.contains("    imports wasi:"), "{info}");

    // 0.2.0 connects: a policy denying sockets refuses it, naming the
    // import and the rule, and places nothing.
    let refused = install(&env, "p", "plugins", &["--deny-import", "wasi:sockets/*"]);
    let refused = refused.expect(INTEGRITY);
    let error = &refused.json()[0]["error"];
    assert_eq!(error["kind"], "capability-denied", "{}", refused.stdout);
    let denied = error["details"]["denied"].to_string();
    assert!(denied.contains("wasi:sockets/"), "{denied}");
    assert!(denied.contains("(denied by 'wasi:sockets/*')"), "{denied}");
    assert!(!env.path("plugins").exists() || env.names("plugins") == [".wasm-plugin"]);

    // Without the policy it installs, and the report lists the import.
    let report = install(&env, "p", "plugins", &[]).expect(OK).json();
    assert_eq!(report[0]["version"], "0.2.0");
    assert!(report[0]["imports"].to_string().contains("wasi:sockets/"));

    // 0.3.0 renamed `handle`: under the template's world it is skipped (by
    // its published exports), and 0.2.0 installs.
    publish(&env, &v3, "0.3.0");
    let report = install(&env, "p", "fresh", &["--world", "plugin.wit"]).expect(OK);
    let json = report.json();
    assert_eq!(json[0]["version"], "0.2.0", "{}", report.stdout);
    assert_eq!(json[0]["skipped"][0]["version"], "0.3.0");
    let reason = json[0]["skipped"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("does not export `handle`"), "{reason}");
    assert_eq!(env.read("fresh/p.wasm"), v2);
    // The text report says so too.
    let text = env.run(&[
        "install",
        "p",
        "--registry",
        "reg/index.json",
        "--dest",
        "text",
        "--world",
        "plugin.wit",
    ]);
    let text = text.expect(OK).stdout;
    for part in ["p 0.2.0", "skipped p 0.3.0: incompatible", "`handle`"] {
        assert!(text.contains(part), "{text}");
    }

    // A publisher checks a build before publishing it: verify --world.
    env.run(&["verify", "build-0.2.0.wasm", "--world", "plugin.wit"])
        .expect(OK);
    let json = env.run(&[
        "verify",
        "build-0.2.0.wasm",
        "--world",
        "plugin.wit",
        "--json",
    ]);
    let fits = json.expect(OK).json()["fits"].to_string();
    assert!(fits.contains("world plugin"), "{fits}");
    let refused = env.run(&[
        "verify",
        "build-0.3.0.wasm",
        "--world",
        "plugin.wit",
        "--json",
    ]);
    let refused = refused.expect(INTEGRITY);
    assert_eq!(
        refused.json()["error"]["kind"],
        "incompatible",
        "{}",
        refused.stdout
    );
    assert!(refused.stdout.contains("`handle`"), "{}", refused.stdout);
    // verify placed nothing and pins nothing: its hint says what it can do.
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("verify it without --world") && !message.contains("placed"),
        "{}",
        refused.stdout
    );

    // Pinned exactly, 0.3.0 is refused, naming `handle`; nothing placed.
    let refused = install(&env, "p@=0.3.0", "fresh", &["--world", "plugin.wit"]);
    let refused = refused.expect(INTEGRITY);
    let error = &refused.json()[0]["error"];
    assert_eq!(error["kind"], "incompatible", "{}", refused.stdout);
    assert!(error["message"].as_str().unwrap().contains("`handle`"));
    assert_eq!(env.read("fresh/p.wasm"), v2);

    // Without published exports the bytes decide: downloaded, checked,
    // skipped all the same; the mismatch comes from the component's types.
    let mut index: Value = serde_json::from_slice(&env.read("reg/index.json")).unwrap();
    for version in ["0.2.0", "0.3.0"] {
        let entry = index_entry(&mut index, version).as_object_mut().unwrap();
        entry.remove("exports");
        entry.remove("imports");
    }
    env.write("reg/index.json", serde_json::to_vec(&index).unwrap());
    let json = install(&env, "p", "bytes", &["--world", "plugin.wit"])
        .expect(OK)
        .json();
    assert_eq!(json[0]["version"], "0.2.0");
    let reason = json[0]["skipped"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("does not export `handle`"), "{reason}");
    assert!(!reason.contains("by its exports in the index"), "{reason}");

    // An index whose imports omit the sockets import is refused.
    let mut index: Value = serde_json::from_slice(&env.read("reg/index.json")).unwrap();
    let imports: Vec<Value> = serde_json::from_str(&imports).unwrap();
    let without: Vec<&Value> = imports
        .iter()
        .filter(|i| !i.as_str().unwrap().starts_with("wasi:sockets/"))
        .collect();
    index_entry(&mut index, "0.2.0")["imports"] = serde_json::json!(without);
    env.write("reg/index.json", serde_json::to_vec(&index).unwrap());
    let refused = install(&env, "p@0.2.0", "lied", &[]).expect(INTEGRITY);
    let error = &refused.json()[0]["error"];
    assert_eq!(error["kind"], "metadata-mismatch", "{}", refused.stdout);
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("omit wasi:sockets/"), "{message}");
    assert!(!env.path("lied/p.wasm").exists());
}

/// A component exporting `greet: func() -> u32` under `name`.
fn exporting(name: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(component
             (core module $m (func (export "f") (result i32) i32.const 1))
             (core instance $i (instantiate $m))
             (func $f (result u32) (canon lift (core func $i "f")))
             (export "{name}" (func $f)))"#
    ))
    .unwrap()
}

/// `greeter` 1.0.0 and 1.1.0 exporting `greet`, 2.0.0 exporting `salute`,
/// each published with `wasm-plugin publish` (so with their exports), and
/// `wit/plugin.wit`, a world exporting `greet`. Returns the three builds.
fn greeters(env: &Env) -> [Vec<u8>; 3] {
    env.write(
        "wit/plugin.wit",
        "package example:runtime; world plugin { export greet: func() -> u32; }",
    );
    // 1.1.0 differs from 1.0.0 by a custom section: other bytes, same type.
    let mut v11 = exporting("greet");
    v11.extend_from_slice(&[0, 4, 3, b'v', b'1', b'1']);
    let builds = [exporting("greet"), v11, exporting("salute")];
    for (bytes, version) in builds.iter().zip(["1.0.0", "1.1.0", "2.0.0"]) {
        env.write("build.wasm", bytes);
        env.run(&[
            "publish",
            "build.wasm",
            "--registry",
            "reg/index.json",
            "--name",
            "greeter",
            "--version",
            version,
        ])
        .expect(OK);
    }
    builds
}

fn error_kind(run: &Run) -> String {
    let json = run.json();
    let error = match &json {
        Value::Array(reports) => &reports[0]["error"],
        report => &report["changes"][0]["error"],
    };
    error["kind"].as_str().unwrap_or_default().to_string()
}

#[test]
fn upgrade_moves_to_the_highest_version_that_fits_and_no_further() {
    let env = Env::new();
    let [v10, v11, v20] = greeters(&env);
    let upgrade = |extra: &[&str]| {
        let mut args = vec!["upgrade", "greeter", "--registry", "reg/index.json"];
        args.extend_from_slice(&["--dest", "plugins", "--world", "wit/plugin.wit"]);
        args.extend_from_slice(extra);
        env.run(&args)
    };
    // (--version records no requirement, which upgrade would stay within.)
    install(&env, "greeter", "plugins", &["--version", "1.0.0"]).expect(OK);
    assert_eq!(env.read("plugins/greeter.wasm"), v10);

    let json = upgrade(&["--json"]).expect(OK).json();
    assert_eq!(json[0]["action"], "upgraded", "{json}");
    assert_eq!(json[0]["version"], "1.1.0");
    assert_eq!(json[0]["skipped"][0]["version"], "2.0.0");
    assert_eq!(env.read("plugins/greeter.wasm"), v11);
    // Up to date, and the text says what was passed over.
    let text = upgrade(&[]).expect(OK).stdout;
    assert!(text.contains("is up to date"), "{text}");
    assert!(
        text.contains("skipped greeter 2.0.0: incompatible"),
        "{text}"
    );

    // Installed without a world, 2.0.0 is then kept by no upgrade under it.
    install(&env, "greeter", "plugins", &[]).expect(OK);
    assert_eq!(env.read("plugins/greeter.wasm"), v20);
    let refused = upgrade(&["--json"]).expect(INTEGRITY);
    assert_eq!(error_kind(&refused), "incompatible", "{}", refused.stdout);
    assert!(
        refused.stdout.contains("greeter 2.0.0 (installed)"),
        "{}",
        refused.stdout
    );
    assert_eq!(env.read("plugins/greeter.wasm"), v20);

    // Exports that lie to look fit are caught on the bytes.
    let mut index: Value = serde_json::from_slice(&env.read("reg/index.json")).unwrap();
    index_entry(&mut index, "2.0.0")["exports"] = serde_json::json!(["greet"]);
    env.write("reg/index.json", serde_json::to_vec(&index).unwrap());
    let refused = install(&env, "greeter", "fresh", &["--world", "wit/plugin.wit"]);
    let refused = refused.expect(INTEGRITY);
    assert_eq!(
        error_kind(&refused),
        "metadata-mismatch",
        "{}",
        refused.stdout
    );
    assert!(!env.path("fresh/greeter.wasm").exists());
}

#[test]
fn a_failure_after_the_world_passed_versions_over_still_names_them() {
    let env = Env::new();
    greeters(&env);
    // 1.1.0, the highest that fits, no longer matches its digest.
    let mut index: Value = serde_json::from_slice(&env.read("reg/index.json")).unwrap();
    index_entry(&mut index, "1.1.0")["sha256"] = serde_json::json!("00".repeat(32));
    env.write("reg/index.json", serde_json::to_vec(&index).unwrap());
    let refused = install(&env, "greeter", "plugins", &["--world", "wit/plugin.wit"]);
    let refused = refused.expect(INTEGRITY);
    assert_eq!(
        error_kind(&refused),
        "digest-mismatch",
        "{}",
        refused.stdout
    );
    let json = refused.json();
    let message = json[0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("\n  skipped 2.0.0: "), "{message}");
    assert!(!env.path("plugins/greeter.wasm").exists());
    // As text too.
    let mut args = vec!["install", "greeter", "--registry", "reg/index.json"];
    args.extend_from_slice(&["--dest", "plugins", "--world", "wit/plugin.wit"]);
    let text = env.run(&args).expect(INTEGRITY);
    text.says(&["digest mismatch", "skipped 2.0.0: "]);
}

#[test]
fn sync_pins_the_highest_version_that_fits_the_manifests_world() {
    let env = Env::new();
    let [_, v11, v20] = greeters(&env);
    let manifest = |world: bool, requirement: &str| {
        let world = if world {
            "world = \"wit/plugin.wit\"\n"
        } else {
            ""
        };
        env.write(
            "wasm-plugin.toml",
            format!(
                "dest = \"plugins\"\n{world}\n[registries]\ndefault = \"reg/index.json\"\n\n\
                 [plugins]\ngreeter = \"{requirement}\"\n"
            ),
        );
    };
    let lock = || String::from_utf8(env.read("wasm-plugin.lock")).unwrap();

    // Without a world, 2.0.0 is pinned.
    manifest(false, ">=1");
    env.run(&["sync", "--json"]).expect(OK);
    assert_eq!(env.read("plugins/greeter.wasm"), v20);

    // Adding the world: the pin it rules out is no longer kept (--locked
    // says the lock must change), and 1.1.0 is pinned.
    manifest(true, ">=1");
    env.run(&["sync", "--locked", "--json"]).expect(INPUT);
    let json = env.run(&["sync", "--json"]).expect(OK).json();
    assert_eq!(
        json["changes"][0]["skipped"][0]["version"], "2.0.0",
        "{json}"
    );
    assert_eq!(env.read("plugins/greeter.wasm"), v11);
    // The text names it too (as `lock --upgrade` chooses the pin again).
    let text = env.run(&["lock", "--upgrade"]).expect(OK).stdout;
    assert!(
        text.contains("skipped greeter 2.0.0: incompatible"),
        "{text}"
    );
    assert!(lock().contains("version = \"1.1.0\""), "{}", lock());

    // Pinned exactly, 2.0.0 is refused by its bytes (its published exports
    // removed, so that the job has to read them); 1.1.0 stays.
    let mut index: Value = serde_json::from_slice(&env.read("reg/index.json")).unwrap();
    index_entry(&mut index, "2.0.0")
        .as_object_mut()
        .unwrap()
        .remove("exports");
    env.write("reg/index.json", serde_json::to_vec(&index).unwrap());
    manifest(true, "=2.0.0");
    let refused = env.run(&["sync", "--json"]).expect(INTEGRITY);
    assert_eq!(error_kind(&refused), "incompatible", "{}", refused.stdout);
    assert!(refused.stdout.contains("`greet`"), "{}", refused.stdout);
    assert_eq!(env.read("plugins/greeter.wasm"), v11);

    // No version the requirement allows fits: refused as such, each named.
    let mut index: Value = serde_json::from_slice(&env.read("reg/index.json")).unwrap();
    index_entry(&mut index, "2.0.0")["exports"] = serde_json::json!(["salute"]);
    env.write("reg/index.json", serde_json::to_vec(&index).unwrap());
    manifest(true, ">=2");
    let refused = env.run(&["sync", "--json"]).expect(INTEGRITY);
    assert_eq!(error_kind(&refused), "incompatible", "{}", refused.stdout);
    assert!(refused.stdout.contains("\"2.0.0\""), "{}", refused.stdout);

    // --world on the command line stands in for the manifest's.
    env.write(
        "other.wit",
        "package example:runtime; world plugin { export salute: func() -> u32; }",
    );
    manifest(true, ">=1");
    env.run(&["sync", "--world", "other.wit", "--json"])
        .expect(OK);
    assert_eq!(env.read("plugins/greeter.wasm"), v20);
}

/// A component exporting `deep: func(x: T)` where T is `list<...<u8>>`
/// nested `depth` times.
fn deep_chain(depth: usize) -> Vec<u8> {
    let mut types = String::from("(type $t0 (list u8))");
    for i in 1..depth {
        types.push_str(&format!(" (type $t{i} (list $t{}))", i - 1));
    }
    wat::parse_str(format!(
        r#"(component
             {types}
             (core module $m
               (memory (export "memory") 1)
               (func (export "realloc") (param i32 i32 i32 i32) (result i32) unreachable)
               (func (export "deep") (param i32 i32) unreachable))
             (core instance $i (instantiate $m))
             (alias core export $i "memory" (core memory $mem))
             (alias core export $i "realloc" (core func $realloc))
             (func $deep (param "x" $t{last})
               (canon lift (core func $i "deep") (memory $mem) (realloc $realloc)))
             (export "deep" (func $deep)))"#,
        last = depth - 1
    ))
    .unwrap()
}

/// Decoding a world recurses along a chain of types: inside the component
/// (a 1 MiB stack) a chain as deep as wasmparser's validation allows (~100)
/// is still judged, not a trap, and a deeper one is refused for its depth
/// before any recursion.
#[test]
fn a_chain_of_types_is_judged_up_to_the_limit_and_refused_past_it() {
    let env = Env::new();
    env.write(
        "plugin.wit",
        "package a:b; world plugin { export deep: func(x: list<u8>); }",
    );
    let mut reg = Registry::new("reg");
    reg.publish(&env, "p", "1.0.0", &deep_chain(90), None);
    reg.publish(&env, "p", "2.0.0", &deep_chain(5000), None);
    let judged = install(&env, "p@=1.0.0", "plugins", &["--world", "plugin.wit"]);
    let judged = judged.expect(INTEGRITY);
    let mismatch = judged.json()[0]["error"]["details"]["mismatch"].to_string();
    assert!(
        mismatch.contains("its `deep` is `func(x: list<list<"),
        "{mismatch}"
    );
    let refused = install(&env, "p@=2.0.0", "plugins", &["--world", "plugin.wit"]);
    let refused = refused.expect(INTEGRITY);
    let mismatch = refused.json()[0]["error"]["details"]["mismatch"].to_string();
    assert!(mismatch.contains("type nesting is too deep"), "{mismatch}");
}
