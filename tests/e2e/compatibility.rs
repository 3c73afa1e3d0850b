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

/// The "done when", end to end: capabilities, then the world,
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
