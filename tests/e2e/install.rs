//! `install` against registries in temp dirs: what lands, and that a refused
//! install writes nothing and leaves the previous plugin byte for byte.

use crate::util::*;

const V1: &[u8] = b"\0asm\x0d\x00\x01\x00 colmask v1";
const V2: &[u8] = b"\0asm\x0d\x00\x01\x00 colmask v2";

fn install(env: &Env, reg: &Registry, extra: &[&str]) -> Run {
    let index = reg.index();
    let mut args = vec![
        "install",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

const TRUSTED: &[&str] = &["--trust-root", "trust"];

/// A registry with colmask 1.0.0 signed by `release`, installed.
fn with_v1_installed() -> (Env, Registry, Key) {
    let env = Env::new();
    let key = Key::new(1);
    key.trust(&env, "trust", "release");
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", V1, Some(&key));
    install(&env, &reg, TRUSTED).expect(OK);
    (env, reg, key)
}

/// Runs a failing install and checks the destination did not change at all.
#[track_caller]
fn refused(env: &Env, reg: &Registry, extra: &[&str], code: i32) -> Run {
    let before = env.snapshot("plugins");
    let run = install(env, reg, extra).expect(code);
    assert_eq!(
        env.snapshot("plugins"),
        before,
        "the plugins directory changed"
    );
    run
}

#[test]
fn a_signed_plugin_is_installed_with_its_sidecar() {
    let (env, _reg, key) = with_v1_installed();
    assert_eq!(env.visible("plugins"), ["colmask.sig", "colmask.wasm"]);
    assert_eq!(env.read("plugins/colmask.wasm"), V1);
    assert_eq!(
        String::from_utf8(env.read("plugins/colmask.sig")).unwrap(),
        key.sign_b64(V1)
    );
}

#[test]
fn the_report_names_version_digest_and_signer() {
    let env = Env::new();
    let key = Key::new(1);
    key.trust(&env, "trust", "release");
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", V1, Some(&key));
    let run = install(&env, &reg, TRUSTED).expect(OK);
    assert!(
        run.stdout.contains("installed colmask 1.0.0"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&sha256_hex(V1)), "{}", run.stdout);
    assert!(
        run.stdout.contains("verified by 'release'"),
        "{}",
        run.stdout
    );

    let json = install(&env, &reg, &["--trust-root", "trust", "--json"])
        .expect(OK)
        .json();
    let report = &json[0];
    assert_eq!(report["name"], "colmask");
    assert_eq!(report["version"], "1.0.0");
    assert_eq!(report["sha256"], sha256_hex(V1));
    assert_eq!(report["size"], V1.len());
    assert_eq!(report["signed_by"], "release");
    assert_eq!(report["action"], "unchanged");
    assert_eq!(report["previous_version"], "1.0.0");
    assert_eq!(
        report["wasm_path"],
        env.path("plugins/colmask.wasm").display().to_string()
    );
}

#[test]
fn an_unsigned_plugin_installs_without_a_trust_root() {
    let env = Env::new();
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", V1, None);
    let run = install(&env, &reg, &[]).expect(OK);
    assert!(run.stdout.contains("unsigned"), "{}", run.stdout);
    assert_eq!(env.visible("plugins"), ["colmask.wasm"]);
}

#[test]
fn without_a_trust_root_the_sidecar_is_still_written() {
    let env = Env::new();
    let key = Key::new(1);
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", V1, Some(&key));
    install(&env, &reg, &[]).expect(OK);
    assert_eq!(
        String::from_utf8(env.read("plugins/colmask.sig")).unwrap(),
        key.sign_b64(V1)
    );
}

#[test]
fn the_highest_semver_is_installed_unless_a_version_is_given() {
    let (env, mut reg, key) = with_v1_installed();
    reg.publish(&env, "colmask", "0.10.0", b"0.10", Some(&key));
    reg.publish(&env, "colmask", "1.10.0", V2, Some(&key));
    reg.publish(&env, "colmask", "1.9.0", b"1.9", Some(&key));
    install(&env, &reg, TRUSTED).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V2);
    install(
        &env,
        &reg,
        &["--trust-root", "trust", "--version", "0.10.0"],
    )
    .expect(INPUT)
    .says(&["refusing to downgrade", "--allow-downgrade"]);
    assert_eq!(env.read("plugins/colmask.wasm"), V2);
    install(
        &env,
        &reg,
        &[
            "--trust-root",
            "trust",
            "--version",
            "0.10.0",
            "--allow-downgrade",
        ],
    )
    .expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"0.10");
}

#[test]
fn an_unsigned_upgrade_removes_the_stale_sidecar() {
    let (env, mut reg, _key) = with_v1_installed();
    reg.publish(&env, "colmask", "2.0.0", V2, None);
    install(&env, &reg, &[]).expect(OK);
    assert_eq!(env.visible("plugins"), ["colmask.wasm"]);
    assert_eq!(env.read("plugins/colmask.wasm"), V2);
}

#[test]
fn the_destination_is_created_when_missing() {
    let env = Env::new();
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", V1, None);
    let index = reg.index();
    env.run(&[
        "install",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "deep/new/plugins",
    ])
    .expect(OK);
    assert_eq!(env.read("deep/new/plugins/colmask.wasm"), V1);
}

#[test]
fn a_digest_mismatch_exits_1_and_keeps_the_old_plugin() {
    let (env, mut reg, key) = with_v1_installed();
    reg.publish(&env, "colmask", "2.0.0", V2, Some(&key));
    env.write("registry/colmask-2.0.0.wasm", b"tampered bytes");
    refused(&env, &reg, TRUSTED, INTEGRITY).says(&[
        "digest mismatch",
        &sha256_hex(V2),
        &sha256_hex(b"tampered bytes"),
    ]);
}

#[test]
fn an_untrusted_signer_exits_1_and_keeps_the_old_plugin() {
    let (env, mut reg, _key) = with_v1_installed();
    reg.publish(&env, "colmask", "2.0.0", V2, Some(&Key::new(66)));
    refused(&env, &reg, TRUSTED, INTEGRITY).says(&["does not verify", "release"]);
}

#[test]
fn a_missing_signature_with_a_trust_root_exits_1() {
    let (env, mut reg, _key) = with_v1_installed();
    reg.publish(&env, "colmask", "2.0.0", V2, None);
    refused(&env, &reg, TRUSTED, INTEGRITY).says(&["not signed", "trust root"]);
}

#[test]
fn a_malformed_signature_exits_1() {
    let (env, mut reg, _key) = with_v1_installed();
    reg.publish(&env, "colmask", "2.0.0", V2, None)["signature"] = "AAAA".into();
    reg.save(&env);
    refused(&env, &reg, TRUSTED, INTEGRITY).says(&["malformed signature", "3 bytes"]);
}

#[test]
fn a_malformed_index_exits_2_naming_line_and_column() {
    let (env, reg, _key) = with_v1_installed();
    env.write(
        &reg.index(),
        "{\n  \"schema_version\": \"1\",\n  \"plugins\": [\n    {\"name\": }\n  ]\n}",
    );
    refused(&env, &reg, TRUSTED, INPUT).says(&["index.json:4:14", "malformed"]);
}

#[test]
fn an_invalid_index_exits_2() {
    let (env, mut reg, key) = with_v1_installed();
    reg.publish(&env, "colmask", "1.0.0", V2, Some(&key));
    refused(&env, &reg, TRUSTED, INPUT).says(&["listed twice"]);
    reg.entries.pop();
    reg.entries[0]["sha256"] = "not-hex".into();
    reg.save(&env);
    refused(&env, &reg, TRUSTED, INPUT).says(&["invalid sha256"]);
}

#[test]
fn a_malformed_key_in_the_trust_root_exits_2_naming_it() {
    let (env, reg, _key) = with_v1_installed();
    env.write("trust/broken.pub", "this is not a key");
    refused(&env, &reg, TRUSTED, INPUT).says(&["broken.pub", "base64"]);
    env.write("trust/broken.pub", base64_of(&[1u8; 31]));
    refused(&env, &reg, TRUSTED, INPUT).says(&["broken.pub", "31 bytes"]);
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn an_empty_trust_root_exits_2() {
    let (env, reg, _key) = with_v1_installed();
    std::fs::create_dir(env.path("empty")).unwrap();
    refused(&env, &reg, &["--trust-root", "empty"], INPUT).says(&["no *.pub"]);
}

#[test]
fn hostile_names_exit_2_and_touch_nothing() {
    let (env, mut reg, key) = with_v1_installed();
    // The index itself lists a hostile name: the whole index is refused.
    reg.publish(&env, "good", "1.0.0", V2, Some(&key));
    let index = reg.index();
    for name in ["../x", "a/b", "", "../plugins/colmask", ".hidden"] {
        let before = env.snapshot("");
        env.run(&[
            "install",
            name,
            "--registry",
            &index,
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ])
        .expect(INPUT)
        .says(&["invalid name"]);
        assert_eq!(env.snapshot(""), before, "{name:?} changed something");
    }
    reg.entries.last_mut().unwrap()["name"] = "../escape".into();
    reg.save(&env);
    let before = env.snapshot("plugins");
    env.run(&["install", "good", "--registry", &index, "--dest", "plugins"])
        .expect(INPUT)
        .says(&["invalid name"]);
    assert_eq!(env.snapshot("plugins"), before);
}

#[test]
fn a_refused_install_into_a_new_destination_leaves_no_directory() {
    let env = Env::new();
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", V1, None);
    env.write("registry/colmask-1.0.0.wasm", b"tampered");
    let index = reg.index();
    env.run(&[
        "install",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "fresh",
    ])
    .expect(INTEGRITY);
    assert!(
        !env.path("fresh").exists(),
        "the destination was left behind"
    );
    env.run(&["install", "nope", "--registry", &index, "--dest", "fresh"])
        .expect(INPUT);
    assert!(!env.path("fresh").exists());
}

#[test]
fn unknown_plugins_and_versions_exit_2_listing_what_exists() {
    let (env, mut reg, key) = with_v1_installed();
    reg.publish(&env, "other", "0.1.0", V2, Some(&key));
    let index = reg.index();
    env.run(&["install", "nope", "--registry", &index, "--dest", "plugins"])
        .expect(INPUT)
        .says(&["no plugin named 'nope'", "colmask, other"]);
    env.run(&[
        "install",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
        "--version",
        "9.9.9",
    ])
    .expect(INPUT)
    .says(&["no version '9.9.9'", "available: 1.0.0"]);
}

#[test]
fn an_artifact_outside_the_grants_exits_2_naming_allow_read() {
    let (env, mut reg, key) = with_v1_installed();
    let outside = env.write("elsewhere/colmask.wasm", V2);
    reg.publish(&env, "colmask", "2.0.0", V2, Some(&key))["artifact"] =
        outside.display().to_string().into();
    reg.save(&env);
    let elsewhere = env.path("elsewhere").display().to_string();
    refused(&env, &reg, TRUSTED, INPUT).says(&[
        &outside.display().to_string(),
        &format!("--allow-read {elsewhere}"),
    ]);
    // A relative path climbing out of the registry is outside too.
    reg.entries[1]["artifact"] = "../elsewhere/colmask.wasm".into();
    reg.save(&env);
    refused(&env, &reg, TRUSTED, INPUT).says(&["--allow-read"]);
    // Granting it makes the same install work.
    install(
        &env,
        &reg,
        &["--trust-root", "trust", "--allow-read", "elsewhere"],
    )
    .expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V2);
}

#[test]
fn a_symlink_out_of_the_grants_is_refused() {
    let (env, mut reg, key) = with_v1_installed();
    env.write("secret/colmask.wasm", V2);
    std::os::unix::fs::symlink(
        env.path("secret/colmask.wasm"),
        env.path("registry/link.wasm"),
    )
    .unwrap();
    reg.publish(&env, "colmask", "2.0.0", V2, Some(&key))["artifact"] = "link.wasm".into();
    reg.save(&env);
    refused(&env, &reg, TRUSTED, INPUT).says(&["outside the directories"]);
}

#[test]
fn file_urls_and_absolute_paths_are_read() {
    let env = Env::new();
    let mut reg = Registry::new("my registry");
    reg.publish(&env, "colmask", "1.0.0", V1, None)["artifact"] = format!(
        "file://{}",
        env.path("my registry/colmask-1.0.0.wasm")
            .display()
            .to_string()
            .replace(' ', "%20")
    )
    .into();
    reg.save(&env);
    install(&env, &reg, &[]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V1);
}

#[test]
fn openssl_keys_and_signatures_are_accepted() {
    let env = Env::new();
    openssl(
        &["genpkey", "-algorithm", "ed25519", "-out", "signing.key"],
        &env.root,
    );
    std::fs::create_dir(env.path("trust")).unwrap();
    openssl(
        &[
            "pkey",
            "-in",
            "signing.key",
            "-pubout",
            "-out",
            "trust/ops.pub",
        ],
        &env.root,
    );
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", V1, None);
    let sig = openssl(
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            "signing.key",
            "-rawin",
            "-in",
            "registry/colmask-1.0.0.wasm",
        ],
        &env.root,
    )
    .stdout;
    assert_eq!(sig.len(), 64);
    reg.entries[0]["signature"] = base64_of(&sig).into();
    reg.save(&env);
    install(&env, &reg, TRUSTED).expect(OK);
    let run = install(&env, &reg, &["--trust-root", "trust", "--json"]).expect(OK);
    assert_eq!(run.json()[0]["signed_by"], "ops");
}

#[test]
fn json_errors_carry_kind_code_and_details() {
    let (env, mut reg, key) = with_v1_installed();
    reg.publish(&env, "colmask", "2.0.0", V2, Some(&key));
    env.write("registry/colmask-2.0.0.wasm", b"tampered");
    let run = refused(&env, &reg, &["--trust-root", "trust", "--json"], INTEGRITY);
    let json = run.json();
    assert_eq!(json[0]["spec"], "colmask");
    let error = &json[0]["error"];
    assert_eq!(error["kind"], "digest-mismatch");
    assert_eq!(error["exit_code"], 1);
    assert_eq!(error["details"]["expected"], sha256_hex(V2));
    assert_eq!(error["details"]["actual"], sha256_hex(b"tampered"));
}

#[test]
fn missing_command_line_paths_exit_2() {
    let env = Env::new();
    env.run(&["install", "x", "--registry", "nope.json", "--dest", "p"])
        .expect(INPUT)
        .says(&["--registry nope.json does not exist"]);
    assert!(!env.path("p").exists());
    env.run(&["install"]).expect(INPUT);
}

/// The README's first command: the example registry in the repository.
#[test]
fn the_example_registry_installs_and_verifies() {
    let env = Env::new();
    let registry = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/registry");
    let index = registry.join("index.json").display().to_string();
    let trust = registry.join("trust").display().to_string();
    let run = env
        .run(&[
            "install",
            "hello",
            "--registry",
            &index,
            "--trust-root",
            &trust,
            "--dest",
            "plugins",
        ])
        .expect(OK);
    assert!(
        run.stdout.contains("verified by 'example'"),
        "{}",
        run.stdout
    );
    crate::scaffold::assert_component(&env.read("plugins/hello.wasm"));
    env.run(&["verify", "plugins/hello.wasm", "--trust-root", &trust])
        .expect(OK);
}

/// macOS and Windows fold case in file names: `Colmask` beside `colmask`
/// would be one `colmask.wasm` there, so the second is refused, naming the
/// one installed, and nothing is written; so is a plugin set declaring both.
#[test]
fn a_plugin_differing_only_by_case_from_an_installed_one_is_refused() {
    let (env, mut reg, key) = with_v1_installed();
    reg.publish(&env, "Colmask", "2.0.0", V2, Some(&key));
    let index = reg.index();
    let before = env.snapshot("plugins");
    for verb in ["install", "upgrade"] {
        env.run(&[
            verb,
            "Colmask",
            "--registry",
            &index,
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ])
        .expect(INPUT)
        .says(&[
            "'colmask' is installed in",
            "differs from it only by case",
            "nothing was installed",
        ]);
        assert_eq!(env.snapshot("plugins"), before, "{verb} wrote something");
    }
    let json = env
        .run(&[
            "upgrade",
            "Colmask",
            "--registry",
            &index,
            "--dest",
            "plugins",
            "--dry-run",
            "--json",
        ])
        .expect(INPUT)
        .json();
    assert_eq!(json[0]["error"]["kind"], "invalid-request", "{json}");
    assert_eq!(env.snapshot("plugins"), before);

    // A `.wasm` put there by hand, with no receipt, counts the same.
    env.write("hand/Rowfilter.wasm", b"\0asm by hand");
    reg.publish(&env, "rowfilter", "1.0.0", V1, None);
    env.run(&[
        "install",
        "rowfilter",
        "--registry",
        &index,
        "--dest",
        "hand",
    ])
    .expect(INPUT)
    .says(&["'Rowfilter' is installed in"]);
    assert_eq!(env.visible("hand"), ["Rowfilter.wasm"]);

    // A plugin set declaring both is refused before anything is read.
    env.write(
        "set/wasm-plugin.toml",
        format!(
            "dest = \"plugins\"\n[registries]\ndefault = \"{}\"\n[plugins]\nrowfilter = \"1\"\n\
             RowFilter = \"1\"\n",
            env.path(&index).display()
        ),
    );
    let config = env.path("set/wasm-plugin.toml");
    env.run(&["sync", "--config", config.to_str().unwrap()])
        .expect(INPUT)
        .says(&["plugins.RowFilter and plugins.rowfilter differ only by case"]);
    assert!(!env.path("set/plugins").exists());
}

/// Renaming a plugin only by case in a plugin set: the old name is removed
/// before the new one is installed, whatever the number of jobs.
#[test]
fn a_plugin_set_renaming_a_plugin_by_case_syncs_in_one_run() {
    let env = Env::new();
    let mut reg = Registry::new("registry");
    reg.publish(&env, "rowfilter", "1.0.0", V1, None);
    reg.publish(&env, "RowFilter", "1.0.0", V2, None);
    reg.publish(&env, "colmask", "1.0.0", V1, None);
    let manifest = |name: &str| {
        env.write(
            "wasm-plugin.toml",
            format!(
                "dest = \"plugins\"\n[registries]\ndefault = \"{}\"\n[plugins]\n{name} = \"1\"\n\
                 colmask = \"1\"\n",
                env.path(&reg.index()).display()
            ),
        );
    };
    manifest("rowfilter");
    env.run(&["sync"]).expect(OK);
    manifest("RowFilter");
    for jobs in ["1", "4"] {
        env.run(&["sync", "-j", jobs]).expect(OK);
        let mut files = env.visible("plugins");
        files.sort();
        assert_eq!(files, ["RowFilter.wasm", "colmask.wasm"], "-j {jobs}");
        assert_eq!(env.read("plugins/RowFilter.wasm"), V2);
        manifest("rowfilter");
        env.run(&["sync", "-j", jobs]).expect(OK);
        assert_eq!(env.read("plugins/rowfilter.wasm"), V1);
        manifest("RowFilter");
    }
}

#[test]
fn a_windows_device_name_is_refused_as_a_plugin_name() {
    let env = Env::new();
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", V1, None);
    for name in ["con", "NUL", "com1.txt", "Lpt9"] {
        install_named(&env, &reg, name)
            .expect(INPUT)
            .says(&["device name on Windows"]);
    }
    assert!(!env.path("plugins").exists() || env.visible("plugins").is_empty());
}

fn install_named(env: &Env, reg: &Registry, name: &str) -> Run {
    let index = reg.index();
    env.run(&["install", name, "--registry", &index, "--dest", "plugins"])
}
