//! `wasm-plugin.toml`: the defaults the verbs take from it, and the errors
//! a broken one gives.

use crate::util::*;
use std::time::Duration;

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
    // info and search read the manifest's registry too, as their help says.
    let info = via_env(&["info", "colmask", "--json"]).expect(OK).json();
    assert_eq!(info["name"], "colmask", "{info}");
    let found = via_env(&["search", "colm"]).expect(OK);
    assert!(found.stdout.contains("colmask"), "{}", found.stdout);

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
    // Its lock is named after it: one named *.lock would overwrite itself.
    std::fs::copy(
        env.path("project/wasm-plugin.toml"),
        env.path("project/set.lock"),
    )
    .unwrap();
    let set_lock = env.path("project/set.lock");
    env.run(&["sync", "--config", set_lock.to_str().unwrap()])
        .expect(INPUT)
        .says(&["*.lock", "*.toml"]);
    env.run(&["install", "colmask", "--config", "missing.toml"])
        .expect(INPUT)
        .says(&["--config", "missing.toml"]);
    // Without a manifest, the flags are needed and the message says so.
    env.run(&["install", "colmask"])
        .expect(INPUT)
        .says(&["--registry is required", "wasm-plugin.toml"]);
}

/// A project with two registries and a manifest declaring three plugins.
fn fleet() -> (Env, Key, Registry, Registry) {
    let env = Env::new();
    let key = Key::new(61);
    key.trust(&env, "project/trust", "release");
    let mut main = Registry::new("project/main");
    for (name, version) in [
        ("colmask", "1.0.0"),
        ("colmask", "1.1.0"),
        ("colmask", "2.0.0"),
        ("rowfilter", "0.3.1"),
        ("audit-log", "1.0.0"),
    ] {
        main.publish(
            &env,
            name,
            version,
            format!("\0asm {name} {version}").as_bytes(),
            Some(&key),
        );
    }
    let mut internal = Registry::new("project/internal");
    internal.publish(&env, "geoip", "0.1.0", b"\0asm geoip", Some(&key));
    env.write(
        "project/wasm-plugin.toml",
        "dest = \"plugins\"\ntrust_root = \"trust\"\n\n[registries]\ndefault = \"main/index.json\"\n\
         internal = \"internal/index.json\"\n\n[plugins]\ncolmask = \"^1\"\nrowfilter = \"*\"\n\
         audit-log = \"1\"\n",
    );
    (env, key, main, internal)
}

fn sync(env: &Env, extra: &[&str]) -> Run {
    let config = env.path("project/wasm-plugin.toml");
    let mut args = vec!["sync", "--config", config.to_str().unwrap()];
    args.extend_from_slice(extra);
    env.run(&args)
}

/// Files a destination holds, with contents, receipts aside.
fn plugins_of(env: &Env, dir: &str) -> Vec<(String, String)> {
    env.snapshot(dir)
        .into_iter()
        .filter(|(name, _)| !name.starts_with(".wasm-plugin"))
        .collect()
}

#[test]
fn three_hosts_synced_from_one_manifest_and_lock_hold_the_same_bytes() {
    let (env, ..) = fleet();
    let first = sync(&env, &[]).expect(OK);
    assert!(
        first.stdout.contains("install colmask 1.1.0"),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains("wrote"), "{}", first.stdout);
    let lock = env.read("project/wasm-plugin.lock");
    for host in ["host-b", "host-c"] {
        let out = sync(&env, &["--dest", host, "--locked"]).expect(OK);
        assert!(out.stdout.contains("unchanged"), "{}", out.stdout);
    }
    let a = plugins_of(&env, "project/plugins");
    assert_eq!(a.len(), 6, "{a:?}");
    assert_eq!(plugins_of(&env, "host-b"), a);
    assert_eq!(plugins_of(&env, "host-c"), a);
    assert_eq!(
        env.read("project/wasm-plugin.lock"),
        lock,
        "the lock changed"
    );
    // Again: nothing to do.
    let again = sync(&env, &[]).expect(OK);
    assert!(
        again.stdout.contains("3 plugins as pinned"),
        "{}",
        again.stdout
    );
}

#[test]
fn an_edited_manifest_is_exactly_three_changes_and_dry_run_lists_them_first() {
    let (env, ..) = fleet();
    sync(&env, &[]).expect(OK);
    // Remove audit-log, tighten colmask to =1.0.0, add geoip from internal.
    env.write(
        "project/wasm-plugin.toml",
        "dest = \"plugins\"\ntrust_root = \"trust\"\n\n[registries]\ndefault = \"main/index.json\"\n\
         internal = \"internal/index.json\"\n\n[plugins]\ncolmask = \"=1.0.0\"\nrowfilter = \"*\"\n\
         geoip = { version = \"^0.1\", registry = \"internal\" }\n",
    );
    let before = env.snapshot("project");
    let plan = sync(&env, &["--dry-run", "--json"]).expect(OK).json();
    assert_eq!(
        env.snapshot("project"),
        before,
        "--dry-run changed something"
    );
    let steps = |report: &serde_json::Value| {
        let mut steps: Vec<String> = report["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["step"] != "keep")
            .map(|c| {
                format!(
                    "{} {}",
                    c["step"].as_str().unwrap(),
                    c["name"].as_str().unwrap()
                )
            })
            .collect();
        steps.sort();
        steps
    };
    let expected = ["downgrade colmask", "install geoip", "remove audit-log"];
    assert_eq!(steps(&plan), expected);
    let done = sync(&env, &["--json"]).expect(OK).json();
    assert_eq!(steps(&done), expected);
    assert_eq!(
        env.read("project/plugins/colmask.wasm"),
        b"\0asm colmask 1.0.0"
    );
    assert_eq!(env.read("project/plugins/geoip.wasm"), b"\0asm geoip");
    assert!(!env.path("project/plugins/audit-log.wasm").exists());
    let lock = String::from_utf8(env.read("project/wasm-plugin.lock")).unwrap();
    assert!(
        lock.contains("name = \"geoip\"") && !lock.contains("audit-log"),
        "{lock}"
    );
}

#[test]
fn a_registry_that_swaps_a_locked_version_is_refused() {
    let (env, key, mut main, _) = fleet();
    sync(&env, &[]).expect(OK);
    let before = env.snapshot("project/plugins");
    // The registry now serves other bytes (with their digest) as 1.1.0.
    main.entries
        .retain(|e| !(e["name"] == "colmask" && e["version"] == "1.1.0"));
    main.publish(&env, "colmask", "1.1.0", b"\0asm swapped", Some(&key));
    std::fs::remove_file(env.path("project/plugins/colmask.wasm")).unwrap();
    // A plugin added meanwhile is not installed either: the run stops first.
    let mut manifest = String::from_utf8(env.read("project/wasm-plugin.toml")).unwrap();
    manifest.push_str("geoip = { registry = \"internal\" }\n");
    env.write("project/wasm-plugin.toml", &manifest);
    let run = sync(&env, &[]).expect(INTEGRITY);
    let locked = sha256_hex(b"\0asm colmask 1.1.0");
    let served = sha256_hex(b"\0asm swapped");
    let run = run.says(&["colmask", &locked, &served]);
    assert!(
        !env.path("project/plugins/colmask.wasm").exists(),
        "{}",
        run.stdout
    );
    let mut after = env.snapshot("project/plugins");
    after.retain(|(n, _)| n != "colmask.wasm");
    let mut expected = before;
    expected.retain(|(n, _)| n != "colmask.wasm");
    assert_eq!(after, expected);
}

#[test]
fn locked_refuses_a_manifest_the_lock_does_not_match_and_writes_nothing() {
    let (env, ..) = fleet();
    sync(&env, &[]).expect(OK);
    let mut manifest = String::from_utf8(env.read("project/wasm-plugin.toml")).unwrap();
    manifest.push_str("geoip = { registry = \"internal\" }\n");
    env.write("project/wasm-plugin.toml", &manifest);
    let before = env.snapshot("project");
    sync(&env, &["--locked"])
        .expect(INPUT)
        .says(&["geoip", "without --locked"]);
    assert_eq!(env.snapshot("project"), before);
}

#[test]
fn one_plugin_that_fails_does_not_stop_the_others_and_keeps_its_old_pin() {
    let (env, ..) = fleet();
    sync(&env, &[]).expect(OK);
    let lock = String::from_utf8(env.read("project/wasm-plugin.lock")).unwrap();
    // audit-log now wants a version its registry does not have; rowfilter
    // is dropped; both registries are read.
    env.write(
        "project/wasm-plugin.toml",
        "dest = \"plugins\"\ntrust_root = \"trust\"\n\n[registries]\ndefault = \"main/index.json\"\n\
         internal = \"internal/index.json\"\n\n[plugins]\ncolmask = \"^1\"\naudit-log = \"^9\"\n\
         geoip = { registry = \"internal\" }\n",
    );
    let run = sync(&env, &[]).expect(INPUT);
    let run = run.says(&["audit-log", "no version"]);
    assert!(
        run.stdout.contains("install geoip") && run.stdout.contains("remove rowfilter"),
        "{}",
        run.stdout
    );
    assert_eq!(env.read("project/plugins/geoip.wasm"), b"\0asm geoip");
    assert!(
        env.path("project/plugins/audit-log.wasm").exists(),
        "the failed plugin's old version was removed"
    );
    // Nothing failed but audit-log: its old pin stays, the rest move on.
    let after = String::from_utf8(env.read("project/wasm-plugin.lock")).unwrap();
    let pin_of = |text: &str, name: &str| {
        text.split("[[plugin]]")
            .find(|p| p.contains(&format!("name = \"{name}\"")))
            .map(str::to_string)
    };
    assert_eq!(pin_of(&after, "audit-log"), pin_of(&lock, "audit-log"));
    assert!(
        pin_of(&after, "geoip").is_some() && pin_of(&after, "rowfilter").is_none(),
        "{after}"
    );
}

#[test]
fn sync_removes_only_what_it_installed() {
    let (env, ..) = fleet();
    std::fs::create_dir_all(env.path("project/plugins")).unwrap();
    env.write("project/plugins/handmade.wasm", b"\0asm by hand");
    env.write("project/plugins/My Plugin.wasm", b"\0asm stray");
    sync(&env, &[]).expect(OK);
    assert_eq!(env.read("project/plugins/handmade.wasm"), b"\0asm by hand");
    assert!(env.path("project/plugins/My Plugin.wasm").exists());
}

#[test]
fn a_broken_manifest_does_not_stop_a_command_that_names_everything() {
    let env = project();
    env.write("project/wasm-plugin.toml", "bogus = 1\n");
    let run = std::process::Command::new(bin())
        .args([
            "install",
            "colmask",
            "--registry",
            "registry/index.json",
            "--dest",
            "plugins",
        ])
        .current_dir(env.path("project"))
        .env("XDG_CACHE_HOME", shared_cache())
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
}

#[test]
fn a_manifest_may_name_an_oci_registry() {
    let env = Env::new();
    let key = Key::new(62);
    key.trust(&env, "project/trust", "release");
    let oci = crate::oci::OciRegistry::start();
    for version in ["1.0.0", "1.4.0"] {
        let bytes = format!("\0asm oci colmask {version}").into_bytes();
        let file = env.write(&format!("files/{version}.wasm"), &bytes);
        oci.push("acme/colmask", version, &file, Some(&key.sign_b64(&bytes)));
    }
    env.write(
        "project/wasm-plugin.toml",
        format!(
            "dest = \"plugins\"\ntrust_root = \"trust\"\n[registries]\ndefault = \"{}\"\n[plugins]\ncolmask = \"^1\"\n",
            oci.url("acme")
        ),
    );
    sync(&env, &[]).expect(OK);
    assert_eq!(
        env.read("project/plugins/colmask.wasm"),
        b"\0asm oci colmask 1.4.0"
    );
    let lock = String::from_utf8(env.read("project/wasm-plugin.lock")).unwrap();
    assert!(
        lock.contains("version = \"1.4.0\"") && lock.contains("registry = \"default\""),
        "{lock}"
    );
    sync(&env, &["--dest", "second", "--locked"]).expect(OK);
    assert_eq!(env.read("second/colmask.wasm"), b"\0asm oci colmask 1.4.0");
}

#[test]
fn pins_hold_until_lock_upgrade_moves_them_and_sync_follows() {
    let (env, key, mut main, _) = fleet();
    sync(&env, &[]).expect(OK);
    main.publish(&env, "colmask", "1.2.0", b"\0asm colmask 1.2.0", Some(&key));
    // A newer release does not move a pinned fleet.
    let kept = sync(&env, &[]).expect(OK);
    assert!(
        kept.stdout.contains("3 plugins as pinned"),
        "{}",
        kept.stdout
    );
    assert_eq!(
        env.read("project/plugins/colmask.wasm"),
        b"\0asm colmask 1.1.0"
    );

    let config = env.path("project/wasm-plugin.toml");
    let lock = |extra: &[&str]| {
        let mut args = vec!["lock", "--config", config.to_str().unwrap()];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let before = env.snapshot("project");
    let plan = lock(&["--upgrade", "colmask", "--dry-run"]).expect(OK);
    assert!(
        plan.stdout.contains("would move colmask 1.1.0 -> 1.2.0"),
        "{}",
        plan.stdout
    );
    assert_eq!(env.snapshot("project"), before);
    let moved = lock(&["--upgrade", "colmask"]).expect(OK);
    assert!(
        moved.stdout.contains("move colmask 1.1.0 -> 1.2.0"),
        "{}",
        moved.stdout
    );
    // The lock moved; the plugins did not, until sync.
    assert_eq!(
        env.read("project/plugins/colmask.wasm"),
        b"\0asm colmask 1.1.0"
    );
    let lock_text = String::from_utf8(env.read("project/wasm-plugin.lock")).unwrap();
    assert!(lock_text.contains("version = \"1.2.0\""), "{lock_text}");
    let synced = sync(&env, &["--locked"]).expect(OK);
    assert!(
        synced.stdout.contains("upgrade colmask 1.1.0 -> 1.2.0"),
        "{}",
        synced.stdout
    );
    assert_eq!(
        env.read("project/plugins/colmask.wasm"),
        b"\0asm colmask 1.2.0"
    );
}

#[test]
fn install_takes_a_plugin_from_its_declared_registry_or_the_first_that_has_it() {
    let (env, ..) = fleet();
    let config = env.path("project/wasm-plugin.toml");
    let config = config.to_str().unwrap();
    // geoip is in `internal` only and not declared: found by searching.
    let run = env
        .run(&["install", "geoip", "colmask", "--config", config])
        .expect(OK);
    run.says(&["geoip: found in registry 'internal'"]);
    assert_eq!(env.read("project/plugins/geoip.wasm"), b"\0asm geoip");
    assert_eq!(
        env.read("project/plugins/colmask.wasm"),
        b"\0asm colmask 2.0.0"
    );
    let receipt: serde_json::Value =
        serde_json::from_slice(&env.read("project/plugins/.wasm-plugin/receipts/geoip.json"))
            .unwrap();
    assert!(
        receipt["registry"]
            .as_str()
            .unwrap()
            .ends_with("internal/index.json"),
        "{receipt}"
    );
    // Nowhere: the default registry's answer.
    env.run(&["install", "nothing", "--config", config])
        .expect(INPUT)
        .says(&["no plugin named 'nothing'"]);
}

#[test]
fn list_in_a_project_with_several_registries_names_each_plugins_registry() {
    let (env, ..) = fleet();
    let config = env.path("project/wasm-plugin.toml");
    let config = config.to_str().unwrap();
    let table = env.run(&["list", "--config", config]).expect(OK);
    let geoip = table
        .stdout
        .lines()
        .find(|l| l.starts_with("geoip"))
        .expect("geoip listed");
    assert!(geoip.contains("internal"), "{}", table.stdout);
    let colmask = table
        .stdout
        .lines()
        .find(|l| l.starts_with("colmask"))
        .expect("colmask listed");
    assert!(colmask.contains("default"), "{}", table.stdout);
    let listed = env
        .run(&["list", "--config", config, "--json"])
        .expect(OK)
        .json();
    let registries: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["registry"].as_str().unwrap())
        .collect();
    assert_eq!(registries, ["default", "internal"]);
    // Naming one still lists that one alone.
    env.run(&[
        "list",
        "--config",
        config,
        "--registry",
        "project/internal/index.json",
        "--json",
    ])
    .expect(OK);
}

#[test]
fn list_of_several_registries_marks_yanked_versions_and_latest_keeps_one_row_each() {
    let (env, _key, mut main, _internal) = fleet();
    main.entries[1]["yanked"] = serde_json::json!(true);
    main.save(&env);
    let config = env.path("project/wasm-plugin.toml");
    let config = config.to_str().unwrap();
    let table = env.run(&["list", "--config", config]).expect(OK);
    let rows = |stdout: &str, name: &str| -> Vec<String> {
        stdout
            .lines()
            .filter(|l| l.starts_with(&format!("{name} ")))
            .map(str::to_string)
            .collect()
    };
    let colmask = rows(&table.stdout, "colmask");
    assert_eq!(colmask.len(), 3, "{}", table.stdout);
    assert!(colmask[1].contains("1.1.0 (yanked)"), "{}", table.stdout);
    assert!(!colmask[0].contains("yanked"), "{}", table.stdout);
    // --latest: the version install NAME takes, one row per plugin.
    let latest = env
        .run(&["list", "--config", config, "--latest"])
        .expect(OK);
    let colmask = rows(&latest.stdout, "colmask");
    assert_eq!(colmask.len(), 1, "{}", latest.stdout);
    assert!(colmask[0].contains("2.0.0"), "{}", latest.stdout);
    assert_eq!(rows(&latest.stdout, "geoip").len(), 1, "{}", latest.stdout);
    let listed = env
        .run(&["list", "--config", config, "--latest", "--json"])
        .expect(OK)
        .json();
    let counts: Vec<usize> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"]["plugins"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [3, 1], "{listed}");
}

/// A remote registry of `n` plugins whose artefacts each take a while to
/// send, and a manifest declaring them all.
fn slow_remote(n: usize) -> (Env, crate::server::Server, Vec<String>) {
    use crate::server::{Reply, Server};
    let env = Env::new();
    let server = Server::start();
    // Over plain http the index must be signed, so the plugins are too.
    let key = Key::new(62);
    key.trust(&env, "project/trust", "release");
    let mut entries = Vec::new();
    let mut names = Vec::new();
    for k in 0..n {
        let name = format!("p{k:02}");
        let bytes = format!("\0asm {name}").repeat(64).into_bytes();
        // Three pieces 150 ms apart: long enough that jobs overlap.
        let url = server.route(
            &format!("/{name}.wasm"),
            Reply::Slow(
                bytes.clone(),
                bytes.len() / 3 + 1,
                Duration::from_millis(150),
            ),
        );
        entries.push(serde_json::json!({
            "name": name, "version": "1.0.0", "artifact": url, "sha256": sha256_hex(&bytes),
            "signature": key.sign_b64(&bytes),
        }));
        names.push(name);
    }
    let index = serde_json::json!({"schema_version": "1", "plugins": entries});
    let index = serde_json::to_vec(&index).unwrap();
    server.route(
        "/index.json.sig",
        Reply::Body(key.sign_b64(&index).into_bytes()),
    );
    let index_url = server.route("/index.json", Reply::Body(index));
    let declared: String = names.iter().map(|n| format!("{n} = \"1\"\n")).collect();
    env.write(
        "project/wasm-plugin.toml",
        format!("dest = \"plugins\"\ntrust_root = \"trust\"\n[registries]\ndefault = \"{index_url}\"\n[plugins]\n{declared}"),
    );
    (env, server, names)
}

#[test]
fn a_sync_that_installs_nothing_leaves_no_directory_behind() {
    let env = project();
    env.write(
        "project/wasm-plugin.toml",
        "dest = \"plugins\"\ntrust_root = \"trust\"\n[registries]\ndefault = \"registry/index.json\"\n\
         [plugins]\nnosuch = \"1\"\n",
    );
    let before = env.snapshot("project");
    let config = env.path("project/wasm-plugin.toml");
    env.run(&["sync", "--config", config.to_str().unwrap()])
        .expect(INPUT)
        .says(&["nosuch"]);
    assert_eq!(env.snapshot("project"), before);
    assert!(!env.path("project/plugins").exists());
}

#[test]
fn sync_fetches_a_few_plugins_at_once_and_the_index_once() {
    let (env, server, names) = slow_remote(8);
    let config = env.path("project/wasm-plugin.toml");
    let report = env
        .run(&[
            "sync",
            "--config",
            config.to_str().unwrap(),
            "-j",
            "3",
            "--json",
        ])
        .expect(OK)
        .json();
    // Each plugin placed and reported on its own, in the plan's order.
    let changes = report["changes"].as_array().unwrap();
    let reported: Vec<&str> = changes
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(reported, names);
    assert!(
        changes
            .iter()
            .all(|c| c["step"] == "install" && c["error"].is_null())
    );
    for name in &names {
        assert!(env.path(&format!("project/plugins/{name}.wasm")).exists());
    }
    assert_eq!(server.hits("/index.json"), 1, "{:?}", server.requests());
    let peak = server.peak_in_flight();
    assert!(
        (2..=3).contains(&peak),
        "{peak} artefacts at once with -j 3"
    );
    assert!(env.temp_files("project/plugins").is_empty());

    // One at a time when asked: the same result, never two at once.
    let (env, server, _) = slow_remote(3);
    let config = env.path("project/wasm-plugin.toml");
    env.run(&["sync", "--config", config.to_str().unwrap(), "-j", "1"])
        .expect(OK);
    assert_eq!(server.peak_in_flight(), 1);
    assert_eq!(
        env.visible("project/plugins"),
        [
            "p00.sig", "p00.wasm", "p01.sig", "p01.wasm", "p02.sig", "p02.wasm"
        ]
    );
}

#[test]
fn audit_with_a_manifest_reports_what_differs_from_the_set_and_its_lock() {
    let (env, ..) = fleet();
    sync(&env, &[]).expect(OK);
    let config = env.path("project/wasm-plugin.toml");
    let config = config.to_str().unwrap();
    let audit = || env.run(&["audit", "--config", config, "--json"]);
    let clean = audit().expect(OK).json();
    assert_eq!(clean["plugins"].as_array().unwrap().len(), 3, "{clean}");

    // By hand, around the set: colmask moved off its pin, rowfilter
    // removed, geoip (not declared) added.
    let dest = env.path("project/plugins");
    let dest = dest.to_str().unwrap();
    let main = env.path("project/main/index.json");
    env.run(&[
        "install",
        "colmask@=1.0.0",
        "--allow-downgrade",
        "--registry",
        main.to_str().unwrap(),
        "--dest",
        dest,
        "--config",
        config,
    ])
    .expect(OK);
    env.run(&["uninstall", "rowfilter", "--dest", dest])
        .expect(OK);
    let internal = env.path("project/internal/index.json");
    env.run(&[
        "install",
        "geoip",
        "--registry",
        internal.to_str().unwrap(),
        "--dest",
        dest,
        "--config",
        config,
    ])
    .expect(OK);

    let found = audit().expect(1).json();
    let kinds: Vec<(String, Vec<String>)> = found["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let kinds = p["findings"].as_array().unwrap().iter();
            (
                p["name"].as_str().unwrap().to_string(),
                kinds
                    .map(|f| f["kind"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let expect = |name: &str, kinds: &[&str]| {
        (
            name.to_string(),
            kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        kinds,
        [
            expect("audit-log", &[]),
            expect("colmask", &["lock-mismatch"]),
            expect("geoip", &["not-declared"]),
            expect("rowfilter", &["declared-missing"]),
        ]
    );
    // For people: what differs, and what to run.
    let text = env.run(&["audit", "--config", config]).expect(1).stdout;
    for part in [
        "not as locked",
        "installed 1.0.0",
        "the lock pins 1.1.0",
        "`wasm-plugin sync`",
    ] {
        assert!(text.contains(part), "{part:?} not in:\n{text}");
    }

    // A sync puts it right, and the audit is clean again.
    sync(&env, &[]).expect(OK);
    audit().expect(OK);
    // An explicit --dest without --config audits only the directory.
    env.run(&[
        "install",
        "geoip",
        "--registry",
        internal.to_str().unwrap(),
        "--dest",
        dest,
    ])
    .expect(OK);
    env.run(&["audit", "--dest", dest]).expect(OK);
}

#[test]
fn a_pinned_version_the_registry_withdrew_fails_that_plugin_until_re_pinned() {
    let (env, _key, mut main, _) = fleet();
    sync(&env, &[]).expect(OK);
    let lock = env.read("project/wasm-plugin.lock");
    main.entries
        .retain(|e| !(e["name"] == "colmask" && e["version"] == "1.1.0"));
    main.save(&env);
    let out = sync(&env, &[]).expect(INPUT);
    out.says(&["colmask 1.1.0", "no longer lists", "lock --upgrade colmask"]);
    // The rest of the set is untouched, the old plugin stays, so does its pin.
    assert_eq!(
        env.read("project/plugins/colmask.wasm"),
        b"\0asm colmask 1.1.0"
    );
    assert_eq!(env.read("project/wasm-plugin.lock"), lock);
    // Re-pinned by whoever owns the lock, the fleet follows.
    let config = env.path("project/wasm-plugin.toml");
    env.run(&[
        "lock",
        "--config",
        config.to_str().unwrap(),
        "--upgrade",
        "colmask",
    ])
    .expect(OK);
    sync(&env, &["--locked"]).expect(OK);
    assert_eq!(
        env.read("project/plugins/colmask.wasm"),
        b"\0asm colmask 1.0.0"
    );
}

/// A sync job stopped by the host (its deadline, here a server trickling
/// the artefact) is that plugin's failure: the others are installed, the
/// report and the lock keep them, the stopped one keeps no pin, and the
/// plugins directory (and its lock file) stays.
#[test]
fn a_sync_job_stopped_at_its_deadline_is_that_plugins_failure_only() {
    use crate::server::{Reply, Server};
    let (env, key, mut main, _internal) = fleet();
    let server = Server::start();
    let slow: Vec<u8> = (0..300).map(|i| (i % 251) as u8).collect();
    let url = server.route(
        "/rowfilter.wasm",
        Reply::Trickle(slow.clone(), Duration::from_millis(200)),
    );
    main.publish(&env, "rowfilter", "0.4.0", &slow, Some(&key))["artifact"] = url.into();
    main.save(&env);
    let config = env.path("project/wasm-plugin.toml");
    let json = env
        .run(&[
            "sync",
            "--config",
            config.to_str().unwrap(),
            "--deadline",
            "3s",
            "-j",
            "2",
            "--json",
        ])
        .expect(3)
        .json();
    let change = |name: &str| {
        json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no change for {name}: {json:#}"))
    };
    assert_eq!(
        change("rowfilter")["error"]["kind"],
        "deadline-exceeded",
        "{json:#}"
    );
    assert_eq!(change("rowfilter")["error"]["exit_code"], 3);
    assert!(change("colmask")["error"].is_null(), "{json:#}");
    assert!(env.path("project/plugins/colmask.wasm").exists());
    assert!(!env.path("project/plugins/rowfilter.wasm").exists());
    assert!(env.path("project/plugins/.wasm-plugin/lock").exists());
    assert!(env.temp_files("project/plugins").is_empty());
    let lock = String::from_utf8(env.read("project/wasm-plugin.lock")).unwrap();
    assert!(lock.contains("colmask"), "{lock}");
    assert!(!lock.contains("rowfilter"), "{lock}");
}

#[test]
fn lock_with_a_registry_that_fails_prints_no_pin_names_the_registry_and_writes_nothing() {
    let (env, _key, _main, internal) = fleet();
    let manifest = String::from_utf8(env.read("project/wasm-plugin.toml")).unwrap();
    env.write(
        "project/wasm-plugin.toml",
        format!("{manifest}geoip = {{ registry = \"internal\" }}\n"),
    );
    env.write(
        "project/internal/index.json",
        "{\"schema_version\": \"1\", \"plugins\": [",
    );
    let config = env.path("project/wasm-plugin.toml");
    let lock = |extra: &[&str]| {
        let mut args = vec!["lock", "--config", config.to_str().unwrap()];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let before = env.snapshot("project");
    let failed = lock(&[]).expect(INPUT);
    assert!(!failed.stdout.contains("pin "), "{}", failed.stdout);
    failed.says(&[
        "error: geoip (registry 'internal'):",
        "internal/index.json",
        "wasm-plugin.lock not written: geoip could not be pinned",
    ]);
    assert_eq!(env.snapshot("project"), before, "lock wrote something");
    let json = lock(&["--json"]).expect(INPUT).json();
    assert!(json.get("dest").is_none(), "{json}");
    assert_eq!(json["lock_changed"], false, "{json}");
    assert_eq!(json["changes"].as_array().unwrap().len(), 1, "{json}");
    assert_eq!(json["changes"][0]["name"], "geoip", "{json}");
    assert_eq!(json["changes"][0]["error"]["kind"], "index-malformed");
    assert_eq!(
        env.snapshot("project"),
        before,
        "lock --json wrote something"
    );

    // Mended, it pins them all, in lock's words.
    internal.save(&env);
    let plan = lock(&["--dry-run", "--json"]).expect(OK).json();
    assert!(plan.get("dest").is_none(), "{plan}");
    assert!(
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["step"] == "pin" && c.get("signed_by").is_none()),
        "{plan}"
    );
    let pinned = lock(&[]).expect(OK);
    assert!(
        pinned.stdout.contains("pin geoip 0.1.0")
            && pinned.stdout.contains("changed 4 pins; wrote"),
        "{}",
        pinned.stdout
    );
    let again = lock(&[]).expect(OK);
    assert!(
        again.stdout.contains("every pin kept (4);"),
        "{}",
        again.stdout
    );
}

#[test]
fn outdated_in_a_synced_directory_follows_the_manifest_and_advises_lock_upgrade() {
    let (env, key, _main, mut internal) = fleet();
    env.write(
        "project/wasm-plugin.toml",
        "dest = \"plugins\"\ntrust_root = \"trust\"\n\n[registries]\ndefault = \"main/index.json\"\n\
         internal = \"internal/index.json\"\n\n[plugins]\ncolmask = \"=1.1.0\"\n\
         geoip = { version = \"0.1\", registry = \"internal\" }\n",
    );
    sync(&env, &[]).expect(OK);
    internal.publish(&env, "geoip", "0.1.5", b"\0asm geoip 0.1.5", Some(&key));
    internal.publish(&env, "geoip", "0.2.0", b"\0asm geoip 0.2.0", Some(&key));
    let config = env.path("project/wasm-plugin.toml");
    let config = config.to_str().unwrap();
    let rows = env
        .run(&["outdated", "--config", config, "--json"])
        .expect(OK)
        .json();
    let row = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}: {rows}"))
    };
    // colmask: the manifest's =1.1.0, not the receipt's none (any).
    assert_eq!(row("colmask")["requirement"], "=1.1.0", "{rows}");
    assert_eq!(row("colmask")["wanted"], "1.1.0", "{rows}");
    assert_eq!(row("colmask")["latest"], "2.0.0", "{rows}");
    // geoip: its own registry's versions, within 0.1.
    assert_eq!(row("geoip")["requirement"], "0.1", "{rows}");
    assert_eq!(row("geoip")["wanted"], "0.1.5", "{rows}");
    assert_eq!(row("geoip")["latest"], "0.2.0", "{rows}");
    let text = env.run(&["outdated", "--config", config]).expect(OK).stdout;
    let colmask = text.lines().find(|l| l.starts_with("colmask")).unwrap();
    assert!(colmask.ends_with("=1.1.0"), "{text}");
    assert!(
        text.contains("1 of 2 plugin(s) behind what wasm-plugin.toml admits")
            && text.contains("`wasm-plugin lock --upgrade` pins them there")
            && !text.contains("upgrade --all"),
        "{text}"
    );
}

#[test]
fn a_trust_root_the_manifest_names_is_reported_as_the_manifests_not_as_a_flag() {
    let env = project();
    let manifest = String::from_utf8(env.read("project/wasm-plugin.toml")).unwrap();
    env.write(
        "project/wasm-plugin.toml",
        manifest.replace("trust_root = \"trust\"", "trust_root = \"no-such-trust\""),
    );
    let config = env.path("project/wasm-plugin.toml");
    let config = config.to_str().unwrap();
    for verb in [&["install", "colmask"][..], &["list"], &["sync"], &["lock"]] {
        let mut args = verb.to_vec();
        args.extend_from_slice(&["--config", config]);
        let run = env.run(&args).expect(INPUT);
        assert!(
            !run.stderr.contains("--trust-root"),
            "{verb:?}: {}",
            run.stderr
        );
        run.says(&[
            "trust_root",
            "no-such-trust",
            "wasm-plugin.toml)",
            "does not exist",
        ]);
    }
    assert!(!env.path("project/plugins").exists());
    assert!(!env.path("project/wasm-plugin.lock").exists());
}

#[test]
fn lock_and_sync_write_the_same_bytes_for_the_same_pins() {
    let (env, _, _, _) = fleet();
    let config = env.path("project/wasm-plugin.toml");
    env.run(&["lock", "--config", config.to_str().unwrap()])
        .expect(OK);
    let locked = env.read("project/wasm-plugin.lock");
    let text = String::from_utf8(locked.clone()).unwrap();
    assert!(
        text.contains("# Written by wasm-plugin (sync, lock)") && !text.contains("signed_by"),
        "{text}"
    );
    // sync installs what the lock pins (signed, with a trust root) and
    // leaves the committed lock as it is.
    let synced = sync(&env, &["--json"]).expect(OK).json();
    assert_eq!(synced["lock_changed"], false, "{synced}");
    assert_eq!(env.read("project/wasm-plugin.lock"), locked);
}

#[test]
fn audit_with_dest_in_a_project_checks_against_the_manifests_trust_root() {
    let env = project();
    let run_in_project = |args: &[&str]| {
        Run::from(
            std::process::Command::new(bin())
                .args(args)
                .current_dir(env.path("project"))
                .env("XDG_CACHE_HOME", shared_cache())
                .output()
                .unwrap(),
        )
    };
    run_in_project(&["install", "colmask"]).expect(OK);
    // A signature by a key the manifest's trust root does not hold.
    let stranger = Key::new(99);
    env.write(
        "project/plugins/colmask.sig",
        stranger.sign_b64(b"\0asm colmask"),
    );
    let found = run_in_project(&["audit", "--dest", "plugins", "--json"]).expect(INTEGRITY);
    assert!(
        found.stdout.contains("signature-invalid"),
        "{}",
        found.stdout
    );
}
