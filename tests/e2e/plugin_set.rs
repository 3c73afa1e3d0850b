//! `wasm-plugin.toml`: the defaults the verbs take from it, and the errors
//! a broken one gives.

use crate::util::*;

const MANIFEST: &str = r#"
dest = "plugins"
trust_root = "trust"

[registries]
default = "registry/index.json"

[plugins]
colmask = "^1.0"
"#;

/// A scratch dir holding `project/` (manifest, registry, trust root).
fn project() -> Env {
    let env = Env::new();
    let key = Key::new(60);
    key.trust(&env, "project/trust", "release");
    let mut reg = Registry::new("project/registry");
    reg.publish(&env, "colmask", "1.0.0", b"\0asm colmask", Some(&key));
    reg.publish(&env, "rowfilter", "0.3.1", b"\0asm rowfilter", Some(&key));
    env.write("project/wasm-plugin.toml", MANIFEST);
    env
}

#[test]
fn the_verbs_take_dest_trust_root_and_registry_from_the_manifest() {
    let env = project();
    let config = env.path("project/wasm-plugin.toml");
    let config = config.to_str().unwrap();
    // Relative paths resolve against the manifest's directory, not the
    // working directory.
    env.run(&["install", "colmask", "--config", config])
        .expect(OK);
    assert_eq!(env.read("project/plugins/colmask.wasm"), b"\0asm colmask");
    assert!(!env.path("plugins").exists());
    let receipt: serde_json::Value =
        serde_json::from_slice(&env.read("project/plugins/.wasm-plugin/receipts/colmask.json"))
            .unwrap();
    assert_eq!(
        receipt["signed_by"], "release",
        "the trust root was not used"
    );

    let via_env = |args: &[&str]| env.run_with(args, &[("WASM_PLUGIN_CONFIG", config.as_ref())]);
    let listed = via_env(&["list", "--json"]).expect(OK).json();
    assert_eq!(listed["plugins"].as_array().unwrap().len(), 2);
    let installed = via_env(&["list", "--installed", "--json"])
        .expect(OK)
        .json();
    assert_eq!(installed[0]["name"], "colmask");
    via_env(&["audit"]).expect(OK);
    via_env(&["upgrade", "--all"]).expect(OK);

    // A flag wins over the manifest.
    std::fs::create_dir(env.path("elsewhere")).unwrap();
    via_env(&["install", "rowfilter", "--dest", "elsewhere"]).expect(OK);
    assert_eq!(
        env.visible("elsewhere"),
        ["rowfilter.sig", "rowfilter.wasm"]
    );
    via_env(&["uninstall", "colmask"]).expect(OK);
    assert!(!env.path("project/plugins/colmask.wasm").exists());
}

#[test]
fn the_manifest_in_the_working_directory_is_found() {
    let env = project();
    let run = std::process::Command::new(bin())
        .args(["install", "colmask"])
        .current_dir(env.path("project"))
        .env("XDG_CACHE_HOME", shared_cache())
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    assert_eq!(env.read("project/plugins/colmask.wasm"), b"\0asm colmask");
}

#[test]
fn a_broken_manifest_names_the_key_and_line_and_nothing_is_written() {
    let env = project();
    let config = env.path("project/wasm-plugin.toml");
    let config = config.to_str().unwrap();
    let broken = |text: &str, wanted: &[&str]| {
        env.write("project/wasm-plugin.toml", text);
        env.run(&["install", "colmask", "--config", config])
            .expect(INPUT)
            .says(wanted);
        assert!(!env.path("project/plugins").exists());
    };
    broken(
        "dest = \"plugins\"\ntrust-root = \"trust\"\n",
        &[
            "wasm-plugin.toml:2:1",
            "unknown field `trust-root`",
            "trust_root",
        ],
    );
    broken("dest = \n", &["wasm-plugin.toml:1:"]);
    broken(
        "[registries]\na = \"r/index.json\"\n[plugins]\ncolmask = \"not a version\"\n",
        &["plugins.colmask", "not a version requirement"],
    );
    broken(
        "[registries]\na = \"r/index.json\"\n[plugins]\ncolmask = { registry = \"b\" }\n",
        &["registry 'b'"],
    );
    env.run(&["install", "colmask", "--config", "missing.toml"])
        .expect(INPUT)
        .says(&["--config", "missing.toml"]);
    // Without a manifest, the flags are needed and the message says so.
    env.run(&["install", "colmask"])
        .expect(INPUT)
        .says(&["--registry is required", "wasm-plugin.toml"]);
}
