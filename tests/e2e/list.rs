//! `list`: what a registry offers.

use crate::util::*;

#[test]
fn plugins_are_listed_with_version_signing_and_description() {
    let env = Env::new();
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.2.0", b"a", Some(&Key::new(1)));
    reg.publish(&env, "rowfilter", "0.3.0", b"b", None);
    let index = reg.index();
    let run = env.run(&["list", "--registry", &index]).expect(OK);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].starts_with("NAME"), "{}", run.stdout);
    // A signature list does not check (it reads no artefact) is not
    // called verified.
    assert!(lines[0].contains("SIGNATURE"), "{}", run.stdout);
    assert!(
        lines[1].contains("colmask")
            && lines[1].contains("1.2.0")
            && lines[1].contains("unverified")
    );
    assert!(lines[2].contains("rowfilter") && lines[2].contains(" none"));
    assert!(lines[2].contains("rowfilter test plugin"));
    assert!(
        lines[3].contains("the index's signature was not verified"),
        "{}",
        run.stdout
    );

    // With a trust root the index's own signature is verified, and said so.
    let key = Key::new(1);
    key.trust(&env, "trust", "acme");
    let signature = key.sign_b64(&env.read(&index));
    env.write(&format!("{index}.sig"), signature);
    let run = env
        .run(&["list", "--registry", &index, "--trust-root", "trust"])
        .expect(OK);
    assert!(
        run.stdout
            .contains("the index is signed by 'acme', verified against the trust root"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("entry signatures are verified over the artefact's bytes by install")
    );
}

#[test]
fn json_lists_every_entry() {
    let env = Env::new();
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.2.0", b"a", Some(&Key::new(1)));
    reg.publish(&env, "colmask", "1.3.0", b"c", None);
    let index = reg.index();
    let listing = env
        .run(&["list", "--registry", &index, "--json"])
        .expect(OK)
        .json();
    let plugins = listing["plugins"].as_array().unwrap();
    assert_eq!(plugins.len(), 2);
    assert_eq!(plugins[1]["version"], "1.3.0");
    assert_eq!(plugins[0]["sha256"], sha256_hex(b"a"));
    assert!(plugins[0]["signature"].is_string());
    assert!(plugins[1]["signature"].is_null());
    // --json before the verb is the same flag.
    let before = env
        .run(&["--json", "list", "--registry", &index])
        .expect(OK)
        .json();
    assert_eq!(before, listing);
    // A verb without --json refuses it there too, as JSON.
    let refused = env.run(&["--json", "new", "x"]).expect(INPUT).json();
    assert_eq!(refused["error"]["kind"], "usage", "{refused}");
    assert!(!env.path("x").exists());
}

#[test]
fn a_malformed_index_exits_2() {
    let env = Env::new();
    env.write("index.json", "[1, 2]");
    env.run(&["list", "--registry", "index.json"])
        .expect(INPUT)
        .says(&["index.json:1:1"]);
    let run = env
        .run(&["list", "--registry", "index.json", "--json"])
        .expect(INPUT);
    assert_eq!(run.json()["error"]["kind"], "index-malformed");
    assert_eq!(run.json()["error"]["details"]["line"], 1);
}

/// The attack run found `list` saying "no --trust-root" when one was given:
/// an unsigned index under a trust root is said to be unsigned.
#[test]
fn an_unsigned_index_listed_with_a_trust_root_is_said_to_be_unsigned() {
    let env = Env::new();
    let key = Key::new(1);
    key.trust(&env, "trust", "acme");
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.2.0", b"a", Some(&key));
    let index = reg.index();
    let listed = env
        .run(&["list", "--registry", &index, "--trust-root", "trust"])
        .expect(OK);
    let info = env
        .run(&[
            "info",
            "colmask",
            "--registry",
            &index,
            "--trust-root",
            "trust",
        ])
        .expect(OK);
    for out in [&listed.stdout, &info.stdout] {
        assert!(out.contains("the index is not signed"), "{out}");
        assert!(!out.contains("no --trust-root"), "{out}");
    }
    let without = env.run(&["list", "--registry", &index]).expect(OK);
    assert!(
        without.stdout.contains("(no --trust-root)"),
        "{}",
        without.stdout
    );
}
