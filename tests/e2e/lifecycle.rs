//! Managing what is installed: receipts, several plugins at once, semver
//! requirements, the downgrade guard, upgrade, uninstall, audit, and the
//! destination lock.

use crate::util::*;
use serde_json::Value;
use std::fs::File;
use std::time::{Duration, Instant};

/// A registry with colmask 1.0.0, 1.2.0, 1.3.0-beta.1, 2.0.0 and rowfilter
/// 0.3.1, all signed by `release`.
fn registry() -> (Env, Registry) {
    let env = Env::new();
    let key = Key::new(21);
    key.trust(&env, "trust", "release");
    let mut reg = Registry::new("registry");
    for v in ["1.0.0", "1.2.0", "1.3.0-beta.1", "2.0.0"] {
        reg.publish(
            &env,
            "colmask",
            v,
            format!("colmask {v}").as_bytes(),
            Some(&key),
        );
    }
    reg.publish(&env, "rowfilter", "0.3.1", b"rowfilter 0.3.1", Some(&key));
    (env, reg)
}

fn run(env: &Env, reg: &Registry, verb: &str, args: &[&str]) -> Run {
    let index = reg.index();
    let mut all = vec![verb];
    all.extend_from_slice(args);
    all.extend_from_slice(&[
        "--registry",
        &index,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ]);
    env.run(&all)
}

fn receipt(env: &Env, name: &str) -> Value {
    serde_json::from_slice(&env.read(&format!("plugins/.wasm-plugin/receipts/{name}.json")))
        .unwrap()
}

#[test]
fn a_receipt_records_each_install() {
    let (env, reg) = registry();
    run(&env, &reg, "install", &["colmask"]).expect(OK);
    let r = receipt(&env, "colmask");
    assert_eq!(r["name"], "colmask");
    assert_eq!(r["version"], "2.0.0");
    assert_eq!(r["sha256"], sha256_hex(b"colmask 2.0.0"));
    assert_eq!(r["size"], 13);
    assert_eq!(r["signed_by"], "release");
    assert_eq!(
        r["registry"],
        env.path("registry/index.json").display().to_string()
    );
    assert_eq!(
        r["artifact"],
        env.path("registry/colmask-2.0.0.wasm")
            .display()
            .to_string()
    );
    assert!(r["installed_at"].as_str().unwrap().ends_with('Z'));
    // Loaders scanning the directory see only the plugin and its signature.
    assert_eq!(env.visible("plugins"), ["colmask.sig", "colmask.wasm"]);
}

#[test]
fn several_plugins_and_requirements_in_one_run() {
    let (env, reg) = registry();
    let run = run(&env, &reg, "install", &["colmask@^1.2", "rowfilter@=0.3.1"]).expect(OK);
    assert!(
        run.stdout.contains("installed colmask 1.2.0"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("installed rowfilter 0.3.1"),
        "{}",
        run.stdout
    );
    assert_eq!(receipt(&env, "colmask")["version"], "1.2.0");
}

#[test]
fn a_quoted_range_requirement_works() {
    let (env, reg) = registry();
    run(&env, &reg, "install", &["colmask@>=1,<2"]).expect(OK);
    assert_eq!(receipt(&env, "colmask")["version"], "1.2.0");
    run(&env, &reg, "install", &["colmask@>=1.3.0-beta.1, <2"]).expect(OK);
    assert_eq!(receipt(&env, "colmask")["version"], "1.3.0-beta.1");
}

#[test]
fn one_failure_does_not_stop_the_others_but_sets_the_exit_code() {
    let (env, reg) = registry();
    let run = run(
        &env,
        &reg,
        "install",
        &["colmask@^1", "nope", "rowfilter", "colmask@banana"],
    );
    let run = run
        .expect(INPUT)
        .says(&["nope: no plugin named 'nope'", "colmask@banana"]);
    assert!(
        run.stdout.contains("installed colmask 1.2.0"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("installed rowfilter 0.3.1"),
        "{}",
        run.stdout
    );
    assert_eq!(
        env.visible("plugins"),
        [
            "colmask.sig",
            "colmask.wasm",
            "rowfilter.sig",
            "rowfilter.wasm"
        ]
    );
}

#[test]
fn json_reports_each_plugin_in_order() {
    let (env, reg) = registry();
    let run = run(
        &env,
        &reg,
        "install",
        &["rowfilter", "nope", "colmask", "--json"],
    )
    .expect(INPUT);
    let items = run.json();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["name"], "rowfilter");
    assert_eq!(items[0]["action"], "installed");
    assert_eq!(items[1]["spec"], "nope");
    assert_eq!(items[1]["error"]["kind"], "unknown-plugin");
    assert_eq!(items[2]["version"], "2.0.0");
}

#[test]
fn installing_the_installed_version_is_a_no_op_that_says_so() {
    let (env, reg) = registry();
    run(&env, &reg, "install", &["colmask"]).expect(OK);
    let before = env.snapshot("plugins");
    let again = run(&env, &reg, "install", &["colmask"]).expect(OK);
    assert!(
        again.stdout.contains("already installed"),
        "{}",
        again.stdout
    );
    assert_eq!(env.snapshot("plugins"), before, "a no-op wrote something");
}

#[test]
fn a_downgrade_is_refused_without_allow_downgrade() {
    let (env, reg) = registry();
    run(&env, &reg, "install", &["colmask"]).expect(OK);
    let before = env.snapshot("plugins");
    run(&env, &reg, "install", &["colmask@=1.0.0"])
        .expect(INPUT)
        .says(&[
            "refusing to downgrade 'colmask' from 2.0.0 to 1.0.0",
            "--allow-downgrade",
        ]);
    assert_eq!(env.snapshot("plugins"), before);
    let run = run(
        &env,
        &reg,
        "install",
        &["colmask@=1.0.0", "--allow-downgrade"],
    )
    .expect(OK);
    assert!(
        run.stdout.contains("downgraded colmask 2.0.0 -> 1.0.0"),
        "{}",
        run.stdout
    );
    assert_eq!(receipt(&env, "colmask")["version"], "1.0.0");
}

#[test]
fn upgrade_moves_named_or_all_plugins_to_the_highest_version() {
    let (env, reg) = registry();
    // An exact --version records no requirement (`colmask@=1.0.0` would
    // hold it at 1.0.0: see operator.rs).
    run(&env, &reg, "install", &["colmask", "--version", "1.0.0"]).expect(OK);
    run(&env, &reg, "install", &["rowfilter"]).expect(OK);
    run(&env, &reg, "upgrade", &["nope"])
        .expect(INPUT)
        .says(&["'nope' is not installed", "installed: colmask, rowfilter"]);
    let out = run(&env, &reg, "upgrade", &["--all"]).expect(OK);
    assert!(
        out.stdout.contains("upgraded colmask 1.0.0 -> 2.0.0"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("rowfilter 0.3.1 is up to date"),
        "{}",
        out.stdout
    );
    assert_eq!(receipt(&env, "colmask")["version"], "2.0.0");
    // Upgrade moves versions; it does not vouch for the copy on disk, and
    // says so. Install repairs it.
    env.write("plugins/colmask.wasm", b"tampered");
    let out = run(&env, &reg, "upgrade", &["colmask"]).expect(OK);
    assert!(
        out.stdout.contains("colmask 2.0.0 is up to date")
            && out.stdout.contains("does not re-check")
            && !out.stdout.contains("intact"),
        "{}",
        out.stdout
    );
    let out = run(&env, &reg, "install", &["colmask"]).expect(OK);
    assert!(
        out.stdout.contains("reinstalled colmask 2.0.0"),
        "{}",
        out.stdout
    );
}

#[test]
fn list_installed_shows_receipts() {
    let (env, reg) = registry();
    run(&env, &reg, "install", &["colmask@^1.2", "rowfilter"]).expect(OK);
    let out = env
        .run(&["list", "--installed", "--dest", "plugins"])
        .expect(OK);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("INSTALLED AT"),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].starts_with("colmask")
            && lines[1].contains("1.2.0")
            && lines[1].contains("release")
    );
    assert!(lines[2].starts_with("rowfilter"));
    let json = env
        .run(&["list", "--installed", "--dest", "plugins", "--json"])
        .expect(OK)
        .json();
    assert_eq!(json[1]["name"], "rowfilter");
    assert_eq!(json[1]["signed_by"], "release");
    env.run(&["list", "--installed"]).expect(INPUT);
}

#[test]
fn uninstall_removes_wasm_sig_and_receipt() {
    let (env, reg) = registry();
    run(&env, &reg, "install", &["colmask", "rowfilter"]).expect(OK);
    let out = env
        .run(&["uninstall", "colmask", "--dest", "plugins"])
        .expect(OK);
    let removed: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("removed"))
        .collect();
    assert!(removed[0].ends_with("colmask.wasm") && removed[1].ends_with("colmask.sig"));
    assert!(
        removed[2].ends_with("receipts/colmask.json"),
        "{}",
        out.stdout
    );
    assert_eq!(env.visible("plugins"), ["rowfilter.sig", "rowfilter.wasm"]);
    env.run(&["uninstall", "colmask", "--dest", "plugins"])
        .expect(INPUT)
        .says(&["'colmask' is not installed", "installed: rowfilter"]);
    env.run(&["uninstall", "../x", "--dest", "plugins"])
        .expect(INPUT)
        .says(&["invalid name"]);
}

#[test]
fn audit_is_clean_after_installs_and_finds_what_went_wrong() {
    let (env, reg) = registry();
    run(&env, &reg, "install", &["colmask", "rowfilter"]).expect(OK);
    let clean = env
        .run(&["audit", "--dest", "plugins", "--trust-root", "trust"])
        .expect(OK);
    assert!(
        clean.stdout.contains("2 plugin(s), clean"),
        "{}",
        clean.stdout
    );

    env.write("plugins/colmask.wasm", b"tampered");
    env.write("plugins/stray.wasm", b"not ours");
    env.write("plugins/.rowfilter.wasm.0011223344556677.tmp", b"partial");
    let json = env
        .run(&[
            "audit",
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(INTEGRITY)
        .json();
    assert_eq!(json["clean"], false);
    let status = |name: &str| {
        json["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} not in {json}"))
    };
    let colmask = status("colmask");
    assert_eq!(colmask["status"], "finding");
    let kinds: Vec<&str> = colmask["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["drift", "signature-invalid"]);
    assert_eq!(status("rowfilter")["status"], "ok");
    assert_eq!(status("rowfilter")["signed_by"], "release");
    assert_eq!(
        status("stray")["findings"][0]["kind"],
        "wasm-without-receipt"
    );
    assert_eq!(json["stray"][0]["kind"], "temp-file");
}

#[test]
fn audit_grants_the_destination_read_only() {
    let (env, reg) = registry();
    run(&env, &reg, "install", &["colmask"]).expect(OK);
    // Run as a reader would: the audit must not need to write anything but
    // its lock, and leaves every plugin file untouched.
    let before = env.snapshot("plugins");
    env.run(&["audit", "--dest", "plugins"]).expect(OK);
    assert_eq!(env.snapshot("plugins"), before);
}

#[test]
fn a_second_writer_waits_for_the_lock_then_gives_up() {
    let (env, reg) = registry();
    std::fs::create_dir_all(env.path("plugins/.wasm-plugin")).unwrap();
    let lock = File::create(env.path("plugins/.wasm-plugin/lock")).unwrap();
    lock.lock().unwrap();
    let started = Instant::now();
    let out = run(&env, &reg, "install", &["colmask", "--lock-timeout", "1"]).expect(IO);
    assert!(started.elapsed() >= Duration::from_secs(1));
    let out = out.says(&["waiting for another wasm-plugin run", "--lock-timeout"]);
    assert!(out.stderr.contains("locked for 1s"), "{}", out.stderr);
    assert_eq!(env.visible("plugins"), Vec::<String>::new());
    // Released: the same install goes through.
    drop(lock);
    run(&env, &reg, "install", &["colmask", "--lock-timeout", "1"]).expect(OK);
}

#[test]
fn eight_concurrent_installs_leave_one_consistent_plugin() {
    let env = Env::new();
    let key = Key::new(22);
    key.trust(&env, "trust", "release");
    let mut reg = Registry::new("registry");
    let versions: Vec<String> = (1..=8).map(|i| format!("1.{i}.0")).collect();
    for v in &versions {
        // Large enough that installs overlap in time.
        let bytes: Vec<u8> = format!("colmask {v} ")
            .bytes()
            .cycle()
            .take(2 << 20)
            .collect();
        reg.publish(&env, "colmask", v, &bytes, Some(&key));
    }
    let index = reg.index();
    std::thread::scope(|s| {
        for v in &versions {
            let (env, index) = (&env, &index);
            s.spawn(move || {
                let spec = format!("colmask@={v}");
                let out = env.run(&[
                    "install",
                    &spec,
                    "--registry",
                    index,
                    "--dest",
                    "plugins",
                    "--trust-root",
                    "trust",
                    "--allow-downgrade",
                ]);
                assert_eq!(out.code, OK, "{spec}: {}", out.stderr);
            });
        }
    });
    // Exactly the plugin, its sidecar, its receipt and the lock: no temp files.
    assert_eq!(
        env.names("plugins"),
        [
            ".wasm-plugin/lock",
            ".wasm-plugin/receipts/colmask.json",
            "colmask.sig",
            "colmask.wasm"
        ]
    );
    let r = receipt(&env, "colmask");
    let wasm = env.read("plugins/colmask.wasm");
    assert_eq!(
        r["sha256"],
        sha256_hex(&wasm),
        "receipt and plugin disagree"
    );
    assert!(versions.iter().any(|v| r["version"] == v.as_str()));
    let entry = reg
        .entries
        .iter()
        .find(|e| e["version"] == r["version"])
        .unwrap();
    assert_eq!(entry["sha256"], sha256_hex(&wasm));
    assert_eq!(
        String::from_utf8(env.read("plugins/colmask.sig")).unwrap(),
        entry["signature"].as_str().unwrap()
    );
    env.run(&["audit", "--dest", "plugins", "--trust-root", "trust"])
        .expect(OK);
}
