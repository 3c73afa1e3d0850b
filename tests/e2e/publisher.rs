//! The publisher's side: keygen, sign, publish, and the whole round trip
//! from `new` to an audited, uninstalled plugin.

use crate::scaffold::build_plugin;
use crate::util::*;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;

fn mode(env: &Env, relative: &str) -> u32 {
    std::fs::metadata(env.path(relative))
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn keygen_writes_an_owner_only_key_and_a_public_trust_root_key() {
    let env = Env::new();
    let out = env.run(&["keygen", "--name", "release"]).expect(OK);
    assert!(out.stdout.contains("release.key") && out.stdout.contains("release.pub"));
    assert_eq!(mode(&env, "release.key"), 0o600);
    assert_eq!(mode(&env, "release.pub"), 0o644);
    let pem = String::from_utf8(env.read("release.key")).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
    // The .pub is what a trust root holds: base64 of 32 raw bytes.
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(env.read("release.pub"))
        .unwrap();
    assert_eq!(raw.len(), 32);
    // OpenSSL reads the private key and derives the same public key.
    let der = openssl(
        &["pkey", "-in", "release.key", "-pubout", "-outform", "DER"],
        &env.root,
    )
    .stdout;
    assert_eq!(&der[der.len() - 32..], raw.as_slice());
}

#[test]
fn keygen_refuses_to_overwrite() {
    let env = Env::new();
    std::fs::create_dir(env.path("keys")).unwrap();
    env.run(&["keygen", "--name", "ops", "--out-dir", "keys"])
        .expect(OK);
    let before = env.snapshot("keys");
    env.run(&["keygen", "--name", "ops", "--out-dir", "keys"])
        .expect(INPUT)
        .says(&["ops.key already exists"]);
    assert_eq!(env.snapshot("keys"), before);
    env.run(&["keygen", "--name", "../x"])
        .expect(INPUT)
        .says(&["invalid name"]);
}

#[test]
fn an_openssl_key_signs_through_wasm_plugin_sign() {
    let env = Env::new();
    env.write("plugins/p.wasm", b"\0asm plugin bytes");
    openssl(
        &["genpkey", "-algorithm", "ed25519", "-out", "openssl.key"],
        &env.root,
    );
    std::fs::create_dir(env.path("trust")).unwrap();
    openssl(
        &[
            "pkey",
            "-in",
            "openssl.key",
            "-pubout",
            "-out",
            "trust/openssl.pub",
        ],
        &env.root,
    );
    let out = env
        .run(&["sign", "plugins/p.wasm", "--key", "openssl.key"])
        .expect(OK);
    assert!(out.stdout.contains("plugins/p.sig"), "{}", out.stdout);
    env.run(&["verify", "plugins/p.wasm", "--trust-root", "trust"])
        .expect(OK);
    // An existing signature is replaced only with --force, as keygen never
    // replaces a key.
    let before = env.read("plugins/p.sig");
    env.run(&["sign", "plugins/p.wasm", "--key", "openssl.key"])
        .expect(INPUT)
        .says(&["plugins/p.sig"]);
    assert_eq!(env.read("plugins/p.sig"), before);
    env.run(&["sign", "plugins/p.wasm", "--key", "openssl.key", "--force"])
        .expect(OK);
    // OpenSSL agrees with the signature wasm-plugin made.
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(env.read("plugins/p.sig"))
        .unwrap();
    env.write("raw.sig", raw);
    openssl(
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "trust/openssl.pub",
            "-rawin",
            "-in",
            "plugins/p.wasm",
            "-sigfile",
            "raw.sig",
        ],
        &env.root,
    );
}

#[test]
fn an_openssl_signature_verifies_with_a_keygen_pub() {
    let env = Env::new();
    std::fs::create_dir(env.path("trust")).unwrap();
    env.run(&["keygen", "--name", "ours", "--out-dir", "trust"])
        .expect(OK);
    env.write("plugins/p.wasm", b"\0asm plugin bytes");
    let raw = openssl(
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            "trust/ours.key",
            "-rawin",
            "-in",
            "plugins/p.wasm",
        ],
        &env.root,
    )
    .stdout;
    use base64::Engine as _;
    env.write(
        "plugins/p.sig",
        base64::engine::general_purpose::STANDARD.encode(raw),
    );
    std::fs::remove_file(env.path("trust/ours.key")).unwrap();
    let out = env
        .run(&["verify", "plugins/p.wasm", "--trust-root", "trust"])
        .expect(OK);
    assert!(out.stdout.contains("verified by 'ours'"), "{}", out.stdout);
}

#[test]
fn sign_refuses_a_public_key_and_writes_nothing() {
    let env = Env::new();
    env.run(&["keygen", "--name", "k"]).expect(OK);
    env.write("p.wasm", b"x");
    let refused = env.run(&["sign", "p.wasm", "--key", "k.pub"]).expect(INPUT);
    assert!(!refused.stderr.contains("preamble"), "{}", refused.stderr);
    refused.says(&["cannot use the key", "this is a public key", "private .key"]);
    assert!(!env.path("p.sig").exists());
}

#[test]
fn publish_keeps_the_index_sorted_and_refuses_duplicates() {
    let env = Env::new();
    env.run(&["keygen", "--name", "release"]).expect(OK);
    env.write("build/colmask-0.10.0.wasm", b"ten");
    env.write("build/colmask-0.9.0.wasm", b"nine");
    env.write("build/alpha.wasm", b"alpha");
    std::fs::create_dir(env.path("registry")).unwrap();
    for file in ["build/colmask-0.10.0.wasm", "build/colmask-0.9.0.wasm"] {
        env.run(&["publish", file, "--registry", "registry/index.json"])
            .expect(OK);
    }
    env.run(&[
        "publish",
        "build/alpha.wasm",
        "--registry",
        "registry/index.json",
        "--version",
        "1.0.0",
        "--description",
        "first",
    ])
    .expect(OK);
    let index: Value = serde_json::from_slice(&env.read("registry/index.json")).unwrap();
    let order: Vec<(&str, &str)> = index["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            ("alpha", "1.0.0"),
            ("colmask", "0.9.0"),
            ("colmask", "0.10.0")
        ]
    );
    assert_eq!(index["plugins"][0]["description"], "first");
    assert!(index["plugins"][0]["signature"].is_null());
    assert_eq!(index["plugins"][2]["artifact"], "colmask-0.10.0.wasm");
    assert_eq!(env.read("registry/colmask-0.10.0.wasm"), b"ten");

    let before = env.snapshot("registry");
    env.write("build/colmask-0.9.0.wasm", b"nine, rebuilt");
    env.run(&[
        "publish",
        "build/colmask-0.9.0.wasm",
        "--registry",
        "registry/index.json",
    ])
    .expect(INPUT)
    .says(&["already lists colmask 0.9.0", "--force"]);
    assert_eq!(env.snapshot("registry"), before);
    env.run(&[
        "publish",
        "build/colmask-0.9.0.wasm",
        "--registry",
        "registry/index.json",
        "--force",
    ])
    .expect(OK);
    assert_eq!(env.read("registry/colmask-0.9.0.wasm"), b"nine, rebuilt");
    // What was published installs.
    env.run(&[
        "install",
        "colmask",
        "--registry",
        "registry/index.json",
        "--dest",
        "plugins",
    ])
    .expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"ten");
}

/// The whole life of a plugin, publisher and operator, through the binary.
#[test]
fn round_trip_from_new_to_uninstall() {
    let env = Env::new();
    // Publisher: a project, two builds, a key, two published versions.
    env.run(&["new", "roundtrip"]).expect(OK);
    let v1 = build_plugin(&env.path("roundtrip"), "roundtrip");
    env.write("roundtrip-0.1.0.wasm", &v1);
    let manifest = String::from_utf8(env.read("roundtrip/Cargo.toml")).unwrap();
    env.write(
        "roundtrip/Cargo.toml",
        manifest.replace("version = \"0.1.0\"", "version = \"0.2.0\""),
    );
    let v2 = build_plugin(&env.path("roundtrip"), "roundtrip");
    assert_ne!(v1, v2, "the version is compiled in, so the builds differ");
    env.write("roundtrip-0.2.0.wasm", &v2);
    std::fs::create_dir_all(env.path("trust")).unwrap();
    env.run(&["keygen", "--name", "publisher", "--out-dir", "trust"])
        .expect(OK);
    std::fs::rename(env.path("trust/publisher.key"), env.path("publisher.key")).unwrap();
    std::fs::create_dir(env.path("registry")).unwrap();
    for file in ["roundtrip-0.1.0.wasm", "roundtrip-0.2.0.wasm"] {
        env.run(&[
            "publish",
            file,
            "--registry",
            "registry/index.json",
            "--key",
            "publisher.key",
        ])
        .expect(OK);
    }

    // Operator: install (gets 0.2.0), audit clean.
    let install = |extra: &[&str]| {
        let mut args = vec![
            "install",
            "roundtrip",
            "--registry",
            "registry/index.json",
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let out = install(&[]).expect(OK);
    assert!(
        out.stdout.contains("installed roundtrip 0.2.0"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("verified by 'publisher'"),
        "{}",
        out.stdout
    );
    assert_eq!(env.read("plugins/roundtrip.wasm"), v2);
    let audit = |code| {
        env.run(&["audit", "--dest", "plugins", "--trust-root", "trust"])
            .expect(code)
    };
    assert!(audit(OK).stdout.contains("1 plugin(s), clean"));

    // Tampering is drift.
    let mut tampered = v2.clone();
    *tampered.last_mut().unwrap() ^= 1;
    env.write("plugins/roundtrip.wasm", &tampered);
    let found = audit(INTEGRITY);
    assert!(found.stdout.contains("drift"), "{}", found.stdout);

    // Going back to 0.1.0 needs --allow-downgrade.
    let refused = install(&[]).expect(OK); // repairs the tampered copy first
    assert!(
        refused.stdout.contains("reinstalled roundtrip 0.2.0"),
        "{}",
        refused.stdout
    );
    let before = env.snapshot("plugins");
    let mut args = vec![
        "install",
        "roundtrip@=0.1.0",
        "--registry",
        "registry/index.json",
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ];
    env.run(&args)
        .expect(INPUT)
        .says(&["refusing to downgrade", "--allow-downgrade"]);
    assert_eq!(env.snapshot("plugins"), before);
    args.push("--allow-downgrade");
    env.run(&args).expect(OK);
    assert_eq!(env.read("plugins/roundtrip.wasm"), v1);

    // Uninstall: the audit is clean and empty.
    env.run(&["uninstall", "roundtrip", "--dest", "plugins"])
        .expect(OK);
    let empty = audit(OK);
    assert!(
        empty.stdout.contains("0 plugin(s), clean"),
        "{}",
        empty.stdout
    );
    assert_eq!(env.visible("plugins"), Vec::<String>::new());
}

#[test]
fn a_keyed_publish_signs_the_index_and_bumps_its_version() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("trust")).unwrap();
    env.run(&["keygen", "--name", "release", "--out-dir", "trust"])
        .expect(OK);
    std::fs::rename(env.path("trust/release.key"), env.path("release.key")).unwrap();
    std::fs::create_dir(env.path("registry")).unwrap();
    env.write("build/colmask-1.0.0.wasm", b"one");
    env.write("build/colmask-1.1.0.wasm", b"two");
    let publish = |file: &str, extra: &[&str]| {
        let mut args = vec!["publish", file, "--registry", "registry/index.json"];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let out = publish(
        "build/colmask-1.0.0.wasm",
        &["--key", "release.key", "--json"],
    )
    .expect(OK);
    assert_eq!(out.json()["index_version"], 1);
    assert_eq!(out.json()["index_signed"], true);
    publish(
        "build/colmask-1.1.0.wasm",
        &["--key", "release.key", "--expires-in", "30d"],
    )
    .expect(OK);
    let index: Value = serde_json::from_slice(&env.read("registry/index.json")).unwrap();
    assert_eq!(index["version"], 2);
    assert!(index["expires"].is_string());
    // The index signature verifies with OpenSSL against the published key.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    env.write(
        "raw.sig",
        b64.decode(env.read("registry/index.json.sig")).unwrap(),
    );
    let der = [
        hex::decode("302a300506032b6570032100").unwrap(),
        b64.decode(env.read("trust/release.pub")).unwrap(),
    ]
    .concat();
    env.write("release.der", der);
    openssl(
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-keyform",
            "DER",
            "-inkey",
            "release.der",
            "-rawin",
            "-in",
            "registry/index.json",
            "-sigfile",
            "raw.sig",
        ],
        &env.root,
    );
    // An operator with the trust root installs through the signed index.
    env.run(&[
        "install",
        "colmask",
        "--registry",
        "registry/index.json",
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ])
    .expect(OK);
    // Without the key the signed index is not rewritten.
    env.write("build/colmask-1.2.0.wasm", b"three");
    let before = env.snapshot("registry");
    publish("build/colmask-1.2.0.wasm", &[])
        .expect(INPUT)
        .says(&["the index is signed", "--key"]);
    assert_eq!(env.snapshot("registry"), before);
}

#[test]
fn publish_reads_the_version_from_the_crate_that_built_the_file_and_says_what_it_wrote() {
    let env = Env::new();
    env.write(
        "col-mask/Cargo.toml",
        "[package]\nname = \"col-mask\"\nversion = \"0.4.0\"\ndescription = \"Masks columns\"\n",
    );
    let built = "col-mask/target/wasm32-wasip2/release/col_mask.wasm";
    env.write(built, b"\0asm col-mask");
    let out = env
        .run(&[
            "publish",
            built,
            "--name",
            "col-mask",
            "--registry",
            "reg/index.json",
            "--expires-in",
            "30d",
        ])
        .expect(OK);
    for part in [
        "published col-mask 0.4.0",
        "version read from",
        "col-mask/Cargo.toml",
        "index version 1 (unsigned), expires 20",
    ] {
        assert!(out.stdout.contains(part), "{part}: {}", out.stdout);
    }
    let index: Value = serde_json::from_slice(&env.read("reg/index.json")).unwrap();
    assert_eq!(index["plugins"][0]["version"], "0.4.0", "{index}");
    assert_eq!(
        index["plugins"][0]["description"], "Masks columns",
        "{index}"
    );

    // A file outside cargo's layout still needs --version, and says so.
    env.write("loose.wasm", b"\0asm loose");
    env.run(&["publish", "loose.wasm", "--registry", "reg/index.json"])
        .expect(INPUT)
        .says(&["Cargo.toml", "pass --version"]);

    // Written as asked, with a warning for each thing install will not
    // handle as the publisher may expect; the expiry is printed again.
    let out = env
        .run(&[
            "publish",
            "loose.wasm",
            "--registry",
            "reg/index.json",
            "--version",
            "nightly",
            "--artifact",
            "ftp://example.com/loose.wasm",
            "--json",
        ])
        .expect(OK);
    let report = out.json();
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{report}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("'nightly' is not semver")
    );
    assert!(warnings[1].as_str().unwrap().contains("ftp:"), "{report}");
    assert!(report["index_expires"].as_str().unwrap().starts_with("20"));
    assert!(
        out.stderr
            .contains("warning: version 'nightly' is not semver"),
        "{}",
        out.stderr
    );
    let index: Value = serde_json::from_slice(&env.read("reg/index.json")).unwrap();
    assert_eq!(index["plugins"].as_array().unwrap().len(), 2, "{index}");
}
