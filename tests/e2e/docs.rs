//! Where the tool and its documentation once disagreed (issue 12): each
//! place, checked against what the tool does now.

use crate::util::*;
use std::path::Path;

/// The component's exports, read off `wit/installer.wit`.
fn exports() -> Vec<String> {
    let wit =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit/installer.wit"))
            .unwrap();
    let body = wit
        .split("interface installer {")
        .nth(1)
        .expect("the installer interface");
    body.lines()
        .filter_map(|line| line.trim().split_once(": func"))
        .map(|(name, _)| name.to_string())
        .collect()
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap()
}

#[test]
fn the_readme_lists_every_export_of_the_component() {
    let readme = readme();
    let exports = exports();
    assert!(exports.len() > 15, "{exports:?}");
    for name in exports {
        assert!(
            readme.contains(&format!("`{name}`")),
            "the README does not list `{name}`"
        );
    }
}

/// A local registry whose one artefact lies outside its directory, named by
/// an absolute path.
fn registry_with_an_outside_artefact(env: &Env) -> String {
    let bytes = b"\0asm outside";
    let file = env.write("elsewhere/colmask.wasm", bytes);
    let index = serde_json::json!({"plugins": [{
        "name": "colmask", "version": "1.0.0",
        "artifact": file.to_str().unwrap(), "sha256": sha256_hex(bytes),
    }]});
    env.write("reg/index.json", serde_json::to_vec(&index).unwrap());
    env.path("reg/index.json").to_str().unwrap().to_string()
}

#[test]
fn mirror_takes_allow_read_as_its_error_says() {
    let env = Env::new();
    let registry = registry_with_an_outside_artefact(&env);
    env.run(&["mirror", "--registry", &registry, "--out", "usb"])
        .expect(INPUT)
        .says(&["--allow-read"]);
    assert!(!env.path("usb").exists());
    let elsewhere = env.path("elsewhere");
    env.run(&[
        "mirror",
        "--registry",
        &registry,
        "--out",
        "usb",
        "--allow-read",
        elsewhere.to_str().unwrap(),
    ])
    .expect(OK);
    assert_eq!(env.read("usb/colmask-1.0.0.wasm"), b"\0asm outside");
}

#[test]
fn a_mirror_signed_with_key_says_so_and_an_older_source_names_the_mirror() {
    let env = Env::new();
    let key = Key::new(70);
    env.run(&["keygen", "--name", "mirror"]).expect(OK);
    // Unsigned, with relative paths: copied verbatim, signed by --key.
    let mut reg = Registry::new("reg");
    reg.publish(&env, "colmask", "1.0.0", b"\0asm one", Some(&key));
    let with_version = |version: u64| {
        let index = serde_json::json!({"version": version, "plugins": reg.entries});
        env.write("reg/index.json", serde_json::to_vec(&index).unwrap());
    };
    with_version(2);
    let mirror = || {
        env.run(&[
            "mirror",
            "--registry",
            "reg/index.json",
            "--out",
            "usb",
            "--key",
            "mirror.key",
        ])
    };
    let out = mirror().expect(OK);
    assert!(
        out.stdout
            .contains("copied as published (it was unsigned) and signed with --key"),
        "{}",
        out.stdout
    );
    assert!(env.path("usb/index.json.sig").exists());
    // An older index than the mirror holds: the hint names the mirror's
    // index, not a plugins directory's state.
    with_version(1);
    mirror().expect(INTEGRITY).says(&[
        "older than version 2",
        "for mirror, remove the mirror's index.json",
    ]);
}

#[test]
fn upgrade_says_it_needs_an_existing_dest() {
    let env = Env::new();
    let help = env.run(&["upgrade", "--help"]).expect(OK).stdout;
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("upgrade needs it to exist"), "{help}");
    assert!(!help.contains("(created if missing)"), "{help}");
    env.run(&[
        "upgrade",
        "--all",
        "--registry",
        "x.json",
        "--dest",
        "missing",
    ])
    .expect(INPUT)
    .says(&["--dest", "missing"]);
}

#[test]
fn publish_creates_the_index_directory_and_takes_it_back_on_failure() {
    let env = Env::new();
    env.write("colmask-1.2.0.wasm", b"\0asm colmask");
    env.run(&[
        "publish",
        "colmask-1.2.0.wasm",
        "--registry",
        "registry/sub/index.json",
    ])
    .expect(OK);
    assert!(env.path("registry/sub/index.json").exists());
    assert!(env.path("registry/sub/colmask-1.2.0.wasm").exists());
    // A publish that fails leaves no directory it made.
    env.run(&["publish", "missing.wasm", "--registry", "other/index.json"])
        .expect(INPUT);
    env.write("bad.wasm", b"\0asm bad");
    env.run(&[
        "publish",
        "bad.wasm",
        "--registry",
        "other/deeper/index.json",
        "--name",
        "bad name",
    ])
    .expect(INPUT);
    assert!(!env.path("other").exists());
}
