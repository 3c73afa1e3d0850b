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

#[test]
fn sync_pins_the_highest_version_that_fits_the_manifests_world() {
    let env = Env::new();
    env.write(
        "wit/plugin.wit",
        "package example:runtime; world plugin { export greet: func() -> u32; }",
    );
    let (fits, renamed) = (exporting("greet"), exporting("salute"));
    for (bytes, version) in [(&fits, "1.0.0"), (&renamed, "2.0.0")] {
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
    let manifest = |requirement: &str| {
        env.write(
            "wasm-plugin.toml",
            format!(
                "dest = \"plugins\"\nworld = \"wit/plugin.wit\"\n\n[registries]\n\
                 default = \"reg/index.json\"\n\n[plugins]\ngreeter = \"{requirement}\"\n"
            ),
        );
    };

    // 2.0.0 lacks `greet` by its published exports: 1.0.0 is pinned.
    manifest(">=1");
    env.run(&["sync", "--json"]).expect(OK);
    assert_eq!(env.read("plugins/greeter.wasm"), fits);
    let lock = String::from_utf8(env.read("wasm-plugin.lock")).unwrap();
    assert!(lock.contains("version = \"1.0.0\""), "{lock}");

    // Pinned exactly, 2.0.0's bytes are refused; 1.0.0 stays.
    manifest("=2.0.0");
    let refused = env.run(&["sync", "--json"]);
    assert_ne!(refused.code, OK, "{}", refused.stdout);
    assert!(
        refused.stdout.contains("incompatible"),
        "{}",
        refused.stdout
    );
    assert!(refused.stdout.contains("`greet`"), "{}", refused.stdout);
    assert_eq!(env.read("plugins/greeter.wasm"), fits);

    // --world on the command line stands in for the manifest's.
    env.write(
        "other.wit",
        "package example:runtime; world plugin { export salute: func() -> u32; }",
    );
    // (the lock gone, so that the pin is chosen again).
    std::fs::remove_file(env.path("wasm-plugin.lock")).unwrap();
    manifest(">=1");
    env.run(&["sync", "--world", "other.wit", "--json"])
        .expect(OK);
    assert_eq!(env.read("plugins/greeter.wasm"), renamed);
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
