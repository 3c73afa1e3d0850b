//! The operator's loop (issue 12): what is out of date, and upgrades that
//! keep to the requirement a plugin was installed with.

use crate::util::*;

#[test]
fn outdated_and_upgrade_keep_to_the_requirement_given_at_install() {
    let env = Env::new();
    let key = Key::new(73);
    key.trust(&env, "trust", "release");
    let mut reg = Registry::new("reg");
    reg.publish(&env, "colmask", "1.2.0", b"\0asm colmask 1.2.0", Some(&key));
    reg.publish(&env, "rowfilter", "1.0.0", b"\0asm rowfilter", Some(&key));
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&[
            "--registry",
            "reg/index.json",
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ]);
        env.run(&all)
    };
    run(&["install", "colmask@~1.2", "rowfilter"]).expect(OK);
    reg.publish(&env, "colmask", "1.2.5", b"\0asm colmask 1.2.5", Some(&key));
    reg.publish(&env, "colmask", "1.3.0", b"\0asm colmask 1.3.0", Some(&key));

    let rows = run(&["outdated", "--json"]).expect(OK).json();
    assert_eq!(
        rows,
        serde_json::json!([
            {"name": "colmask", "installed": "1.2.0", "requirement": "~1.2", "wanted": "1.2.5", "latest": "1.3.0", "yanked": false},
            {"name": "rowfilter", "installed": "1.0.0", "requirement": null, "wanted": "1.0.0", "latest": "1.0.0", "yanked": false},
        ])
    );
    let text = run(&["outdated"]).expect(OK).stdout;
    assert!(
        text.contains("colmask    1.2.0      1.2.5   1.3.0   ~1.2"),
        "{text}"
    );

    // The plan first: nothing fetched, nothing changed.
    let before = env.snapshot("plugins");
    let plan = run(&["upgrade", "--all", "--dry-run"]).expect(OK).stdout;
    assert!(
        plan.contains("would upgrade colmask 1.2.0 -> 1.2.5"),
        "{plan}"
    );
    assert!(plan.contains("rowfilter 1.0.0 is up to date"), "{plan}");
    assert_eq!(env.snapshot("plugins"), before);

    // upgrade --all stays within ~1.2.
    run(&["upgrade", "--all"]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm colmask 1.2.5");
    // upgrade NAME@REQ moves it and records the new requirement.
    run(&["upgrade", "colmask@^1"]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm colmask 1.3.0");
    let rows = run(&["outdated", "--json"]).expect(OK).json();
    assert_eq!(rows[0]["requirement"], "^1");
    assert_eq!(rows[0]["installed"], rows[0]["latest"]);
}

#[test]
fn upgrade_dry_run_prints_the_digest_and_size_the_index_lists() {
    let env = Env::new();
    let mut reg = Registry::new("reg");
    reg.publish(&env, "colmask", "1.0.0", b"\0asm colmask 1.0.0", None);
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--registry", "reg/index.json", "--dest", "plugins"]);
        env.run(&all)
    };
    run(&["install", "colmask"]).expect(OK);
    let newer = b"\0asm colmask 1.1.0, longer";
    reg.publish(&env, "colmask", "1.1.0", newer, None)["size"] = newer.len().into();
    reg.save(&env);
    let before = env.snapshot("plugins");
    let plan = run(&["upgrade", "colmask", "--dry-run"]).expect(OK).stdout;
    let digest = sha256_hex(newer);
    assert!(
        plan.contains(&format!("sha256 {digest} ({} bytes) from", newer.len())),
        "{plan}"
    );
    let plan = run(&["upgrade", "colmask", "--dry-run", "--json"])
        .expect(OK)
        .json();
    assert_eq!(plan[0]["sha256"], digest.as_str(), "{plan}");
    assert_eq!(plan[0]["size"], newer.len(), "{plan}");
    assert_eq!(env.snapshot("plugins"), before);
}

#[test]
fn a_yanked_version_is_passed_over_unless_asked_for_exactly_and_audit_flags_it() {
    let env = Env::new();
    let key = Key::new(74);
    key.trust(&env, "trust", "release");
    env.run(&["keygen", "--name", "release"]).expect(OK);
    for version in ["1.0.0", "1.1.0"] {
        env.write(
            &format!("colmask-{version}.wasm"),
            format!("\0asm colmask {version}"),
        );
        env.run(&[
            "publish",
            &format!("colmask-{version}.wasm"),
            "--registry",
            "reg/index.json",
            "--key",
            "release.key",
        ])
        .expect(OK);
    }
    // A trust root holding the publishing key.
    std::fs::copy(env.path("release.pub"), env.path("trust/publisher.pub")).unwrap();
    let install = |spec: &str, dest: &str| {
        env.run(&[
            "install",
            spec,
            "--registry",
            "reg/index.json",
            "--dest",
            dest,
            "--trust-root",
            "trust",
        ])
    };
    install("colmask", "early").expect(OK);
    assert_eq!(env.read("early/colmask.wasm"), b"\0asm colmask 1.1.0");

    let yank = env
        .run(&[
            "publish",
            "--yank",
            "colmask@1.1.0",
            "--registry",
            "reg/index.json",
            "--key",
            "release.key",
        ])
        .expect(OK);
    assert!(
        yank.stdout.contains("yanked colmask 1.1.0"),
        "{}",
        yank.stdout
    );
    // The index is still signed and still verifies; loaders see the entry.
    let listed = env
        .run(&[
            "list",
            "--registry",
            "reg/index.json",
            "--trust-root",
            "trust",
        ])
        .expect(OK)
        .stdout;
    assert!(listed.contains("1.1.0 (yanked)"), "{listed}");

    // Not chosen by name; chosen exactly.
    install("colmask", "plugins").expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm colmask 1.0.0");
    install("colmask@=1.1.0", "pinned").expect(OK);
    assert_eq!(env.read("pinned/colmask.wasm"), b"\0asm colmask 1.1.0");

    // audit (given the registry) and outdated flag the installed yanked one.
    let audit = |dest: &str| {
        env.run(&[
            "audit",
            "--dest",
            dest,
            "--trust-root",
            "trust",
            "--registry",
            "reg/index.json",
            "--json",
        ])
    };
    let found = audit("early").expect(INTEGRITY).json();
    assert_eq!(
        found["plugins"][0]["findings"][0]["kind"], "yanked",
        "{found}"
    );
    audit("plugins").expect(OK);
    env.run(&["audit", "--dest", "early", "--trust-root", "trust"])
        .expect(OK);
    let rows = env
        .run(&[
            "outdated",
            "--dest",
            "early",
            "--registry",
            "reg/index.json",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    assert_eq!(rows[0]["yanked"], true);
    assert_eq!(rows[0]["latest"], "1.0.0");

    // Undone, it is chosen again; yanking what is yanked writes nothing.
    env.run(&[
        "publish",
        "--yank",
        "colmask@1.1.0",
        "--undo",
        "--registry",
        "reg/index.json",
        "--key",
        "release.key",
    ])
    .expect(OK);
    let (index, sig) = (env.read("reg/index.json"), env.read("reg/index.json.sig"));
    let again = env
        .run(&[
            "publish",
            "--yank",
            "colmask@1.1.0",
            "--undo",
            "--registry",
            "reg/index.json",
            "--key",
            "release.key",
        ])
        .expect(OK);
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);
    assert_eq!(
        env.read("reg/index.json"),
        index,
        "a no-op yank rewrote the index"
    );
    assert_eq!(env.read("reg/index.json.sig"), sig);
    install("colmask", "later").expect(OK);
    assert_eq!(env.read("later/colmask.wasm"), b"\0asm colmask 1.1.0");
    env.run(&[
        "publish",
        "--yank",
        "colmask@9.9.9",
        "--registry",
        "reg/index.json",
        "--key",
        "release.key",
    ])
    .expect(INPUT)
    .says(&["9.9.9", "1.0.0"]);
}

#[test]
fn yank_is_a_verb_of_its_own_as_publish_yank_is() {
    let env = Env::new();
    let mut reg = Registry::new("reg");
    reg.publish(&env, "colmask", "1.0.0", b"\0asm colmask 1.0.0", None);
    reg.publish(&env, "colmask", "1.1.0", b"\0asm colmask 1.1.0", None);
    let yanked = env
        .run(&["yank", "colmask@1.1.0", "--registry", "reg/index.json"])
        .expect(OK);
    assert!(
        yanked.stdout.contains("yanked colmask 1.1.0 in"),
        "{}",
        yanked.stdout
    );
    let index: serde_json::Value = serde_json::from_slice(&env.read("reg/index.json")).unwrap();
    assert_eq!(index["plugins"][1]["yanked"], true, "{index}");
    let undone = env
        .run(&[
            "yank",
            "colmask@1.1.0",
            "--undo",
            "--registry",
            "reg/index.json",
            "--json",
        ])
        .expect(OK)
        .json();
    assert_eq!(undone["yanked"], false, "{undone}");
    let before = env.read("reg/index.json");
    env.run(&["yank", "colmask", "--registry", "reg/index.json"])
        .expect(INPUT)
        .says(&["yank takes NAME@VERSION"]);
    assert_eq!(env.read("reg/index.json"), before);
}

#[test]
fn info_search_and_list_latest_show_what_install_takes() {
    let env = Env::new();
    let mut reg = Registry::new("reg");
    for (name, version) in [
        ("colmask", "1.0.0"),
        ("colmask", "1.1.0"),
        ("colmask", "2.0.0-beta.1"),
        ("rowfilter", "0.3.1"),
    ] {
        reg.publish(
            &env,
            name,
            version,
            format!("\0asm {name} {version}").as_bytes(),
            None,
        );
    }
    reg.entries[0]["description"] = serde_json::json!("Masks columns of a table");
    reg.entries[1]["yanked"] = serde_json::json!(true);
    reg.save(&env);
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--registry", "reg/index.json"]);
        env.run(&all)
    };
    let info = run(&["info", "colmask", "--json"]).expect(OK).json();
    let versions: Vec<&str> = info["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["2.0.0-beta.1", "1.1.0", "1.0.0"]);
    // 1.1.0 is yanked and 2.0.0-beta.1 a pre-release: install takes 1.0.0.
    let latest: Vec<&str> = info["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["latest"] == true)
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(latest, ["1.0.0"]);
    let text = run(&["info", "colmask"]).expect(OK).stdout;
    assert!(
        text.contains("1.1.0 (yanked)") && text.contains("1.0.0 (what `install` takes)"),
        "{text}"
    );
    run(&["info", "nosuch"])
        .expect(INPUT)
        .says(&["no plugin named 'nosuch'", "colmask, rowfilter"]);

    let found = run(&["search", "COLUMNS", "--json"]).expect(OK).json();
    let names: Vec<&str> = found["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["colmask"]);
    let none = run(&["search", "nothing-like-it"]).expect(OK).stdout;
    assert!(none.contains("no plugin in"), "{none}");

    let listed = run(&["list", "--latest", "--json"]).expect(OK).json();
    let rows: Vec<(String, String)> = listed["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["version"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("colmask".to_string(), "1.0.0".to_string()),
            ("rowfilter".into(), "0.3.1".into())
        ]
    );
}

#[test]
fn version_errors_say_what_to_write() {
    let env = Env::new();
    let mut reg = Registry::new("reg");
    reg.publish(&env, "colmask", "1.2.0", b"\0asm colmask", None);
    let install = |spec: &str| {
        env.run(&[
            "install",
            spec,
            "--registry",
            "reg/index.json",
            "--dest",
            "p",
        ])
    };
    install("colmask@^9").expect(INPUT).says(&[
        "no version of 'colmask' matches ^9",
        "available: 1.2.0",
        "colmask@=VERSION",
    ]);
    install("colmask@=9.0.0")
        .expect(INPUT)
        .says(&["matches =9.0.0", "available: 1.2.0"]);
    let bad = install("colmask@^^1").expect(INPUT);
    assert!(!bad.stderr.contains("cannot do that"), "{}", bad.stderr);
    bad.says(&["colmask@^^1: '^^1' is not a semver requirement"]);

    // A pre-release the requirement passed over is named, with what to
    // write; the JSON repeats the requirement as typed (`2`, not `^2`).
    reg.publish(&env, "colmask", "2.0.0-beta.1", b"\0asm colmask beta", None);
    install("colmask@2").expect(INPUT).says(&[
        "no version of 'colmask' matches 2;",
        "2.0.0-beta.1 is a pre-release",
        "colmask@^2.0.0-beta.1",
        "colmask@=2.0.0-beta.1",
    ]);
    let json = env
        .run(&[
            "install",
            "colmask@2",
            "--registry",
            "reg/index.json",
            "--dest",
            "p",
            "--json",
        ])
        .expect(INPUT)
        .json();
    let details = &json[0]["error"]["details"];
    assert_eq!(details["requested"], "2", "{json}");
    assert_eq!(details["requirement"], true, "{json}");
    assert_eq!(
        details["pre_releases"],
        serde_json::json!(["2.0.0-beta.1"]),
        "{json}"
    );
    install("colmask@^2.0.0-beta.1").expect(0);
}

#[test]
fn an_unchanged_install_says_who_signed_it_only_when_it_checked() {
    let env = Env::new();
    let key = Key::new(75);
    key.trust(&env, "trust", "release");
    let mut reg = Registry::new("reg");
    reg.publish(&env, "colmask", "1.0.0", b"\0asm colmask", Some(&key));
    let install = |extra: &[&str]| {
        let mut args = vec![
            "install",
            "colmask",
            "--registry",
            "reg/index.json",
            "--dest",
            "p",
        ];
        args.extend_from_slice(extra);
        env.run(&args).expect(OK).stdout
    };
    install(&["--trust-root", "trust"]);
    let checked = install(&["--trust-root", "trust"]);
    assert!(
        checked.contains("already installed and intact, verified by 'release'"),
        "{checked}"
    );
    let unchecked = install(&[]);
    assert!(
        unchecked.contains("already installed and intact; nothing to do"),
        "{unchecked}"
    );
}

#[test]
fn a_single_pub_file_is_a_trust_root() {
    let env = Env::new();
    let key = Key::new(76);
    key.trust(&env, "keys", "release");
    let stranger = Key::new(77);
    stranger.trust(&env, "other", "stranger");
    let mut reg = Registry::new("reg");
    reg.publish(&env, "colmask", "1.0.0", b"\0asm colmask", Some(&key));
    let install = |root: &str| {
        env.run(&[
            "install",
            "colmask",
            "--registry",
            "reg/index.json",
            "--dest",
            "p",
            "--trust-root",
            root,
            "--json",
        ])
    };
    let report = install("keys/release.pub").expect(OK).json();
    assert_eq!(report[0]["signed_by"], "release");
    env.run(&[
        "verify",
        "p/colmask.wasm",
        "--trust-root",
        "other/stranger.pub",
    ])
    .expect(INTEGRITY);
    env.write("keys/notes.txt", "not a key");
    env.run(&["verify", "p/colmask.wasm", "--trust-root", "keys/notes.txt"])
        .expect(INPUT)
        .says(&["--trust-root", "*.pub"]);
}

#[test]
fn quiet_prints_nothing_but_errors() {
    let env = Env::new();
    let mut reg = Registry::new("reg");
    reg.publish(&env, "colmask", "1.0.0", b"\0asm colmask", None);
    let install = |spec: &str, extra: &[&str]| {
        let mut args = vec![
            "install",
            spec,
            "--registry",
            "reg/index.json",
            "--dest",
            "p",
            "-q",
        ];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let done = install("colmask", &[]).expect(OK);
    assert_eq!((done.stdout.as_str(), done.stderr.as_str()), ("", ""));
    assert!(env.path("p/colmask.wasm").exists());
    let failed = install("nosuch", &[]).expect(INPUT);
    assert!(
        failed.stdout.is_empty() && failed.stderr.contains("nosuch"),
        "{failed:?}"
    );
    // JSON is for scripts: -q does not silence it.
    let json = install("colmask", &["--json"]).expect(OK).json();
    assert_eq!(json[0]["action"], "unchanged");
}

#[test]
fn a_missing_artefact_is_named_without_wasis_errno() {
    let env = Env::new();
    let mut reg = Registry::new("reg");
    reg.publish(&env, "colmask", "1.0.0", b"\0asm colmask", None);
    std::fs::remove_file(env.path("reg/colmask-1.0.0.wasm")).unwrap();
    let run = env
        .run(&[
            "install",
            "colmask",
            "--registry",
            "reg/index.json",
            "--dest",
            "p",
        ])
        .expect(IO)
        .says(&["colmask-1.0.0.wasm: No such file or directory"]);
    // WASI numbers errors its own way (44 is ENOENT there, ECHRNG on Linux).
    assert!(!run.stderr.contains("os error"), "{}", run.stderr);
}

#[test]
fn list_dest_implies_installed_and_a_version_said_twice_or_no_plugin_to_upgrade_is_a_usage_error() {
    let env = Env::new();
    let key = Key::new(71);
    key.trust(&env, "trust", "release");
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", b"\0asm colmask", Some(&key));
    let index = reg.index();
    env.run(&[
        "install",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
    ])
    .expect(OK);

    // --dest alone lists what is installed there, as --installed --dest does.
    let by_dest = env.run(&["list", "--dest", "plugins", "--json"]).expect(OK);
    let explicit = env
        .run(&["list", "--installed", "--dest", "plugins", "--json"])
        .expect(OK);
    assert_eq!(by_dest.stdout, explicit.stdout);
    assert!(by_dest.stdout.contains("colmask"), "{}", by_dest.stdout);
    env.run(&["list", "--dest", "plugins", "--long"]).expect(OK);
    env.run(&["list", "--registry", &index, "--long"])
        .expect(INPUT)
        .says(&["--installed or --dest"]);

    // upgrade with nothing to upgrade names the way to upgrade everything.
    env.run(&["upgrade", "--registry", &index, "--dest", "plugins"])
        .expect(INPUT)
        .says(&["--all"]);

    // A requirement and --version both: refused, nothing created.
    env.run(&[
        "install",
        "colmask@^1",
        "--version",
        "1.0.0",
        "--registry",
        &index,
        "--dest",
        "other",
    ])
    .expect(INPUT)
    .says(&["both say which version", "colmask@=1.0.0"]);
    assert!(!env.path("other").exists());
}
