//! Key management with `root.json`: publishers scoped by name, thresholds
//! of distinct keys, and key rotation served by the registry.

use crate::util::*;
use serde::Serialize;
use serde_json::{Value, json};

fn key_id(key: &Key) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(key.0.verifying_key().as_bytes()))
}

fn canonical(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, olpc_cjson::CanonicalFormatter::new());
    value.serialize(&mut ser).unwrap();
    out
}

/// One role: (labels, threshold).
type RoleSpec<'a> = (&'a [&'a str], u32);

/// A `root.json` in TUF's envelope over `keys`, signed by `signers`.
fn root_json(
    version: u64,
    keys: &[(&str, &Key)],
    root: RoleSpec<'_>,
    index: RoleSpec<'_>,
    publishers: &[(RoleSpec<'_>, &[&str])],
    signers: &[&Key],
) -> Vec<u8> {
    let id = |label: &str| key_id(keys.iter().find(|(l, _)| *l == label).unwrap().1);
    let role = |(labels, threshold): RoleSpec<'_>| json!({"keyids": labels.iter().map(|l| id(l)).collect::<Vec<_>>(), "threshold": threshold});
    let mut listed = serde_json::Map::new();
    for (label, key) in keys {
        listed.insert(
            key_id(key),
            json!({"keytype": "ed25519", "scheme": "ed25519", "label": label,
                   "keyval": {"public": hex::encode(key.0.verifying_key().as_bytes())}}),
        );
    }
    let publishers: Vec<Value> = publishers
        .iter()
        .map(|(spec, names)| {
            let mut r = role(*spec);
            r["names"] = json!(names);
            r
        })
        .collect();
    let signed = json!({"_type": "root", "spec_version": "1", "version": version,
        "expires": "2999-01-01T00:00:00Z", "keys": listed,
        "roles": {"root": role(root), "index": role(index), "publishers": publishers}});
    let message = canonical(&signed);
    use ed25519_dalek::Signer as _;
    let signatures: Vec<Value> = signers
        .iter()
        .map(|k| json!({"keyid": key_id(k), "sig": hex::encode(k.0.sign(&message).to_bytes())}))
        .collect();
    serde_json::to_vec_pretty(&json!({"signed": signed, "signatures": signatures})).unwrap()
}

/// Signs `reg/index.json` with `key` (root.json requires an index signature).
fn sign_index(env: &Env, key: &Key) {
    let signature = key.sign_b64(&env.read("reg/index.json"));
    env.write("reg/index.json.sig", signature);
}

fn install(env: &Env, spec: &str) -> Run {
    env.run(&[
        "install",
        spec,
        "--registry",
        "reg/index.json",
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
        "--json",
    ])
}

#[test]
fn a_publisher_key_signs_only_the_plugins_its_role_names() {
    let env = Env::new();
    let acme = Key::new(31);
    // acme.pub is in the trust root, as a loader would have it; root.json
    // scopes the key to acme-*.
    acme.trust(&env, "trust", "acme");
    env.write(
        "trust/root.json",
        root_json(
            1,
            &[("acme", &acme)],
            (&["acme"], 1),
            (&["acme"], 1),
            &[((&["acme"], 1), &["acme-*"])],
            &[&acme],
        ),
    );
    let mut reg = Registry::new("reg");
    reg.publish(&env, "acme-mask", "1.0.0", b"\0asm acme", Some(&acme));
    reg.publish(&env, "other", "1.0.0", b"\0asm other", Some(&acme));
    sign_index(&env, &acme);

    let refused = install(&env, "other").expect(INTEGRITY);
    assert_eq!(
        refused.json()[0]["error"]["kind"],
        "signature-insufficient",
        "{}",
        refused.stdout
    );
    assert!(!env.path("plugins/other.wasm").exists());

    let report = install(&env, "acme-mask").expect(OK).json();
    assert_eq!(
        report[0]["signed_by"], "acme (publishers acme-*)",
        "{report}"
    );
    assert!(
        env.path("plugins/acme-mask.sig").exists(),
        "loaders still get a sidecar"
    );
}

#[test]
fn a_threshold_needs_that_many_distinct_keys() {
    let env = Env::new();
    let (a, b) = (Key::new(41), Key::new(42));
    env.write(
        "trust/root.json",
        root_json(
            1,
            &[("alice", &a), ("bob", &b)],
            (&["alice"], 1),
            (&["alice"], 1),
            &[((&["alice", "bob"], 2), &["*"])],
            &[&a],
        ),
    );
    let bytes = b"\0asm two-person";
    let mut reg = Registry::new("reg");
    reg.publish(&env, "p", "1.0.0", bytes, Some(&a));
    sign_index(&env, &a);
    let named = |k: &Key| json!({"keyid": key_id(k), "sig": k.sign_b64(bytes)});

    // One valid signature of two needed.
    install(&env, "p").expect(INTEGRITY);
    // The same key twice still counts once.
    reg.entries[0]["signatures"] = json!([named(&a)]);
    reg.save(&env);
    sign_index(&env, &a);
    install(&env, "p").expect(INTEGRITY);
    // Two distinct keys.
    reg.entries[0]["signatures"] = json!([named(&b)]);
    reg.save(&env);
    sign_index(&env, &a);
    let report = install(&env, "p").expect(OK).json();
    assert_eq!(
        report[0]["signed_by"], "alice, bob (publishers *)",
        "{report}"
    );
}

#[test]
fn a_rotation_served_by_the_registry_reaches_every_host_without_a_change() {
    let env = Env::new();
    let (old, new) = (Key::new(51), Key::new(52));
    // Version 1: `old` holds the root and index roles; version 2 moves
    // both to `new`.
    let both = |version: u64, index_key: &str, signers: &[&Key]| {
        root_json(
            version,
            &[("old", &old), ("new", &new)],
            (&[index_key], 1),
            (&[index_key], 1),
            &[((&["old", "new"], 1), &["*"])],
            signers,
        )
    };
    env.write("trust/root.json", both(1, "old", &[&old]));
    let mut reg = Registry::new("reg");
    reg.publish(&env, "p", "1.0.0", b"\0asm p1", Some(&old));
    let sign_index = |key: &Key| {
        let signature = key.sign_b64(&env.read("reg/index.json"));
        env.write("reg/index.json.sig", signature);
    };
    sign_index(&old);
    install(&env, "p").expect(OK);

    // The registry moves the index to the new key; a 2.root.json signed
    // only by the new key is refused.
    reg.publish(&env, "p", "1.1.0", b"\0asm p2", Some(&new));
    sign_index(&new);
    env.write("reg/2.root.json", both(2, "new", &[&new]));
    let refused = install(&env, "p").expect(INTEGRITY);
    assert!(
        refused.stdout.contains("old root keys as well"),
        "{}",
        refused.stdout
    );

    // Signed by the old and the new keys: the host takes it, unchanged.
    env.write("reg/2.root.json", both(2, "new", &[&old, &new]));
    let report = install(&env, "p").expect(OK).json();
    assert_eq!(report[0]["version"], "1.1.0", "{report}");

    // After the rotation dropped `old` from the index role, an index
    // signed by `old` is refused, even with 2.root.json gone from the
    // registry (the host recorded it).
    std::fs::remove_file(env.path("reg/2.root.json")).unwrap();
    sign_index(&old);
    let refused = install(&env, "p").expect(INTEGRITY);
    assert_eq!(
        refused.json()[0]["error"]["kind"],
        "index-untrusted",
        "{}",
        refused.stdout
    );
}

#[test]
fn a_trust_root_whose_root_json_is_not_self_signed_is_refused() {
    let env = Env::new();
    let (a, b) = (Key::new(61), Key::new(62));
    env.write(
        "trust/root.json",
        root_json(1, &[("a", &a)], (&["a"], 1), (&["a"], 1), &[], &[&b]),
    );
    let mut reg = Registry::new("reg");
    reg.publish(&env, "p", "1.0.0", b"\0asm p", Some(&a));
    let run = install(&env, "p").expect(INPUT);
    assert!(
        run.stdout.contains("not signed by its own root keys"),
        "{}",
        run.stdout
    );
}

#[test]
fn trust_tooling_writes_signs_and_rotates_roots_and_audit_follows_revocations() {
    let env = Env::new();
    for label in ["alice", "bob", "carol"] {
        env.run(&["keygen", "--name", label]).expect(OK);
    }
    std::fs::create_dir_all(env.path("trust")).unwrap();
    std::fs::create_dir_all(env.path("reg")).unwrap();
    // A root where acme-* plugins need alice and bob; alice signs it.
    env.run(&[
        "trust",
        "init",
        "--out",
        "trust/root.json",
        "--key",
        "alice=alice.pub",
        "--key",
        "bob=bob.pub",
        "--root",
        "alice",
        "--index",
        "alice",
        "--publisher",
        "alice,bob:2=acme-*",
    ])
    .expect(OK);
    let unsigned = env
        .run(&["trust", "show", "trust", "--json"])
        .expect(OK)
        .json();
    assert_eq!(unsigned["complete"], false, "{unsigned}");
    env.run(&["trust", "sign", "trust/root.json", "--key", "alice.key"])
        .expect(OK);
    let shown = env
        .run(&["trust", "show", "trust", "--json"])
        .expect(OK)
        .json();
    assert_eq!(shown["complete"], true, "{shown}");
    assert_eq!(shown["publishers"][0]["names"], json!(["acme-*"]));

    // alice publishes; one signature of two is refused; bob co-signs.
    env.write("acme-x-1.0.0.wasm", b"\0asm acme-x");
    env.run(&[
        "publish",
        "acme-x-1.0.0.wasm",
        "--registry",
        "reg/index.json",
        "--key",
        "alice.key",
    ])
    .expect(OK);
    install(&env, "acme-x").expect(INTEGRITY);
    env.run(&[
        "trust",
        "sign",
        "--registry",
        "reg/index.json",
        "--entry",
        "acme-x@1.0.0",
        "--key",
        "bob.key",
        "--index-key",
        "alice.key",
    ])
    .expect(OK);
    let report = install(&env, "acme-x").expect(OK).json();
    assert_eq!(
        report[0]["signed_by"], "alice, bob (publishers acme-*)",
        "{report}"
    );

    // Rotation 2 drops bob (signed by alice, root key of both versions).
    env.run(&[
        "trust",
        "rotate",
        "--from",
        "trust/root.json",
        "--out",
        "reg/2.root.json",
        "--remove-key",
        "bob",
        "--publisher",
        "alice=acme-*",
    ])
    .expect(OK);
    env.run(&["trust", "sign", "reg/2.root.json", "--key", "alice.key"])
        .expect(OK);
    install(&env, "acme-x").expect(OK);
    env.run(&["audit", "--dest", "plugins", "--trust-root", "trust"])
        .expect(OK);

    // Rotation 3 hands everything to carol and revokes alice. The index is
    // co-signed by carol, but the entry only by alice and bob: the install
    // is refused, and audit now flags the plugin alice signed.
    env.run(&[
        "trust",
        "rotate",
        "--from",
        "reg/2.root.json",
        "--out",
        "reg/3.root.json",
        "--key",
        "carol=carol.pub",
        "--remove-key",
        "alice",
        "--root",
        "carol",
        "--index",
        "carol",
        "--publisher",
        "carol=*",
    ])
    .expect(OK);
    let half = env
        .run(&["trust", "sign", "reg/3.root.json", "--key", "carol.key"])
        .expect(OK);
    assert!(half.stdout.contains("signed"), "{}", half.stdout);
    install(&env, "acme-x").expect(INTEGRITY); // 3 lacks alice's signature (root v2's key)
    env.run(&["trust", "sign", "reg/3.root.json", "--key", "alice.key"])
        .expect(OK);
    env.run(&[
        "trust",
        "sign",
        "--registry",
        "reg/index.json",
        "--key",
        "carol.key",
    ])
    .expect(OK);
    let refused = install(&env, "acme-x").expect(INTEGRITY);
    assert_eq!(
        refused.json()[0]["error"]["kind"],
        "signature-insufficient",
        "{}",
        refused.stdout
    );
    env.run(&["audit", "--dest", "plugins", "--trust-root", "trust"])
        .expect(INTEGRITY);
}

#[test]
fn list_sync_and_mirror_follow_a_rotation_and_the_mirror_carries_it() {
    let env = Env::new();
    let (old, new) = (Key::new(71), Key::new(72));
    let root = |version: u64, holder: &str, signers: &[&Key]| {
        root_json(
            version,
            &[("old", &old), ("new", &new)],
            (&[holder], 1),
            (&[holder], 1),
            &[((&["old", "new"], 1), &["*"])],
            signers,
        )
    };
    env.write("trust/root.json", root(1, "old", &[&old]));
    let mut reg = Registry::new("reg");
    reg.publish(&env, "p", "1.0.0", b"\0asm p", Some(&new));
    // The index is signed by the new key only, which root 1 does not allow.
    let signature = new.sign_b64(&env.read("reg/index.json"));
    env.write("reg/index.json.sig", signature);
    let list = || {
        env.run(&[
            "list",
            "--registry",
            "reg/index.json",
            "--trust-root",
            "trust",
        ])
    };
    list().expect(INTEGRITY);
    env.write("reg/2.root.json", root(2, "new", &[&old, &new]));
    list().expect(OK);

    // sync walks it too, and records it for the jobs.
    env.write(
        "wasm-plugin.toml",
        "dest = \"plugins\"\ntrust_root = \"trust\"\n[registries]\ndefault = \"reg/index.json\"\n[plugins]\np = \"*\"\n",
    );
    env.run(&["sync"]).expect(OK);
    assert!(env.path("plugins/p.wasm").exists());
    let recorded: Vec<_> = std::fs::read_dir(env.path("plugins/.wasm-plugin/roots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let record: Value = serde_json::from_slice(&std::fs::read(&recorded[0]).unwrap()).unwrap();
    assert_eq!(record["chain"][0]["signed"]["version"], 2, "{record}");

    // The mirror holds 2.root.json, so installing from it walks the same way.
    env.run(&[
        "mirror",
        "--registry",
        "reg/index.json",
        "--out",
        "usb",
        "--trust-root",
        "trust",
    ])
    .expect(OK);
    assert_eq!(env.read("usb/2.root.json"), env.read("reg/2.root.json"));
    env.run(&[
        "install",
        "p",
        "--registry",
        "usb/index.json",
        "--dest",
        "other",
        "--trust-root",
        "trust",
    ])
    .expect(OK);
}

#[test]
fn with_root_json_an_unsigned_index_is_refused() {
    let env = Env::new();
    let a = Key::new(81);
    env.write(
        "trust/root.json",
        root_json(
            1,
            &[("a", &a)],
            (&["a"], 1),
            (&["a"], 1),
            &[((&["a"], 1), &["*"])],
            &[&a],
        ),
    );
    let mut reg = Registry::new("reg");
    reg.publish(&env, "p", "1.0.0", b"\0asm p", Some(&a));
    let refused = install(&env, "p").expect(INTEGRITY);
    assert_eq!(
        refused.json()[0]["error"]["kind"],
        "index-untrusted",
        "{}",
        refused.stdout
    );
    assert!(
        refused.stdout.contains("requires one by its index role"),
        "{}",
        refused.stdout
    );
}

#[test]
fn an_installed_plugin_is_not_kept_when_a_rotation_raises_its_threshold() {
    let env = Env::new();
    let (a, b) = (Key::new(91), Key::new(92));
    let root = |version: u64, threshold: u32| {
        root_json(
            version,
            &[("a", &a), ("b", &b)],
            (&["a"], 1),
            (&["a"], 1),
            &[((&["a", "b"], threshold), &["*"])],
            &[&a],
        )
    };
    env.write("trust/root.json", root(1, 1));
    let mut reg = Registry::new("reg");
    reg.publish(&env, "p", "1.0.0", b"\0asm p", Some(&a));
    let signature = a.sign_b64(&env.read("reg/index.json"));
    env.write("reg/index.json.sig", signature);
    install(&env, "p").expect(OK);
    // Version 2 needs both publishers: the installed copy, signed by one,
    // is not kept as intact; the install is refused and the copy stays.
    env.write("reg/2.root.json", root(2, 2));
    let refused = install(&env, "p").expect(INTEGRITY);
    assert_eq!(
        refused.json()[0]["error"]["kind"],
        "signature-insufficient",
        "{}",
        refused.stdout
    );
    assert_eq!(env.read("plugins/p.wasm"), b"\0asm p");
}

#[test]
fn a_plugin_kept_after_a_rotation_is_reported_as_verified_by_the_current_roles() {
    let env = Env::new();
    let a = Key::new(93);
    // Version 2 files the same key under a new label: who vouches for the
    // installed copy is said as root.json says it now.
    let root = |version: u64, label: &str| {
        root_json(
            version,
            &[(label, &a)],
            (&[label], 1),
            (&[label], 1),
            &[((&[label], 1), &["*"])],
            &[&a],
        )
    };
    env.write("trust/root.json", root(1, "alice"));
    let mut reg = Registry::new("reg");
    reg.publish(&env, "p", "1.0.0", b"\0asm p", Some(&a));
    sign_index(&env, &a);
    let first = install(&env, "p").expect(OK).json();
    let before = first[0]["signed_by"].as_str().unwrap().to_string();
    assert!(
        before.contains("alice") && !before.contains("alice-2025"),
        "{first}"
    );
    env.write("reg/2.root.json", root(2, "alice-2025"));
    let kept = install(&env, "p").expect(OK).json();
    assert_eq!(kept[0]["action"], "unchanged", "{kept}");
    let now = kept[0]["signed_by"].as_str().unwrap();
    assert!(now.contains("alice-2025"), "{kept}");
    assert_ne!(now, before, "{kept}");
}

/// The attack run's first finding: whoever can write the plugins directory
/// but not the trust root forged `.wasm-plugin/roots/<registry>.json` (a
/// self-signed root of their own, filed under the digest anyone can compute
/// from the trust root) and so had their index, artefacts and sidecars
/// trusted. A record is now a chain walked again from the trust root.
#[test]
fn a_forged_root_record_in_the_plugins_directory_widens_no_trust() {
    let env = Env::new();
    let (operator, mallory) = (Key::new(91), Key::new(92));
    let root = |version: u64, holder: &str, key: &Key| {
        root_json(
            version,
            &[(holder, key)],
            (&[holder], 1),
            (&[holder], 1),
            &[((&[holder], 1), &["*"])],
            &[key],
        )
    };
    env.write("trust/root.json", root(1, "operator", &operator));
    let mut reg = Registry::new("reg");
    reg.publish(&env, "p", "1.0.0", b"\0asm p1", Some(&operator));
    sign_index(&env, &operator);
    install(&env, "p").expect(OK);

    // Mallory serves their own release and index, and files a root of
    // their own as this registry's record, in both the chain format and
    // the one that kept only the newest root.
    reg.publish(&env, "p", "2.0.0", b"\0asm mallory", Some(&mallory));
    sign_index(&env, &mallory);
    let registry = std::fs::canonicalize(env.path("reg/index.json"))
        .unwrap()
        .display()
        .to_string();
    let record = env.path(&format!(
        "plugins/.wasm-plugin/roots/{}.json",
        sha256_hex(registry.as_bytes())
    ));
    std::fs::create_dir_all(record.parent().unwrap()).unwrap();
    let own: Value = serde_json::from_slice(&env.read("trust/root.json")).unwrap();
    let from = sha256_hex(&canonical(&own["signed"]));
    let forged: Value = serde_json::from_slice(&root(2, "mallory", &mallory)).unwrap();
    for record_text in [
        json!({"registry": registry, "from": from, "chain": [forged]}),
        json!({"registry": registry, "from": from, "root": forged}),
    ] {
        std::fs::write(&record, serde_json::to_vec(&record_text).unwrap()).unwrap();
        let before = env.snapshot("plugins");
        let refused = install(&env, "p").expect(INTEGRITY);
        assert_eq!(
            refused.json()[0]["error"]["kind"],
            "index-untrusted",
            "{}",
            refused.stdout
        );
        assert!(!refused.stdout.contains("mallory"), "{}", refused.stdout);
        assert_eq!(env.snapshot("plugins"), before);

        // Mallory swaps in their bytes, sidecar and receipt: audit, judging
        // by the record, must not call that clean.
        let bytes = b"\0asm mallory";
        std::fs::write(env.path("plugins/p.wasm"), bytes).unwrap();
        std::fs::write(env.path("plugins/p.sig"), mallory.sign_b64(bytes)).unwrap();
        let receipt_path = "plugins/.wasm-plugin/receipts/p.json";
        let mut receipt: Value = serde_json::from_slice(&env.read(receipt_path)).unwrap();
        receipt["sha256"] = json!(sha256_hex(bytes));
        receipt["size"] = json!(bytes.len());
        env.write(receipt_path, serde_json::to_vec(&receipt).unwrap());
        let audit = env
            .run(&[
                "audit",
                "--dest",
                "plugins",
                "--trust-root",
                "trust",
                "--json",
            ])
            .expect(INTEGRITY);
        assert!(
            audit.stdout.contains("\"p\"") && !audit.stdout.contains("mallory"),
            "{}",
            audit.stdout
        );
    }
}

/// The attack run's fifth finding, with a trust root of `*.pub` keys (no
/// root.json, so an index need not be signed): the registry served
/// unsigned, with `version: 999` and an entry relabelled 1.0.0 -> 9.9.9 (its
/// artefact signature still good), installed as an upgrade and recorded
/// 999, so the genuine signed index was then refused as a rollback.
#[test]
fn a_signature_stripped_index_is_refused_and_records_nothing() {
    let env = Env::new();
    let key = Key::new(93);
    key.trust(&env, "trust", "registry");
    let serve = |version: u64, entries: Value, signed: bool| {
        let index = json!({"schema_version": "1", "version": version, "plugins": entries});
        let bytes = serde_json::to_vec_pretty(&index).unwrap();
        env.write("reg/index.json.sig", key.sign_b64(&bytes));
        if !signed {
            std::fs::remove_file(env.path("reg/index.json.sig")).unwrap();
        }
        env.write("reg/index.json", bytes);
    };
    let entry = |version: &str, file: &str, bytes: &[u8]| {
        env.write(&format!("reg/{file}"), bytes);
        json!({"name": "p", "version": version, "artifact": file,
               "sha256": sha256_hex(bytes), "signature": key.sign_b64(bytes)})
    };
    serve(
        7,
        json!([entry("1.0.0", "p-1.0.0.wasm", b"\0asm one")]),
        true,
    );
    install(&env, "p").expect(OK);
    let recorded = env.read("plugins/.wasm-plugin/registries.json");

    // Stripped: the same signed artefact relabelled, the index unsigned.
    let stripped = json!([entry("9.9.9", "p-1.0.0.wasm", b"\0asm one")]);
    serve(999, stripped.clone(), false);
    let before = env.snapshot("plugins");
    let refused = install(&env, "p").expect(INTEGRITY);
    assert_eq!(
        refused.json()[0]["error"]["kind"],
        "index-untrusted",
        "{}",
        refused.stdout
    );
    for part in ["not signed", "forget-registry"] {
        assert!(refused.stdout.contains(part), "{}", refused.stdout);
    }
    assert_eq!(env.snapshot("plugins"), before);
    assert_eq!(env.read("plugins/.wasm-plugin/registries.json"), recorded);

    // The genuine index still installs: nothing recorded 999.
    serve(
        8,
        json!([entry("1.1.0", "p-1.1.0.wasm", b"\0asm newer")]),
        true,
    );
    install(&env, "p").expect(OK);

    // A registry that really stopped signing: forgotten, then accepted, but
    // its unverified version is never recorded against the signed ones.
    let registry = std::fs::canonicalize(env.path("reg/index.json")).unwrap();
    env.run(&[
        "forget-registry",
        registry.to_str().unwrap(),
        "--dest",
        "plugins",
    ])
    .expect(OK);
    serve(999, stripped, false);
    install(&env, "p").expect(OK);
    let state =
        String::from_utf8_lossy(&env.read("plugins/.wasm-plugin/registries.json")).into_owned();
    assert!(!state.contains("999"), "{state}");
    serve(
        9,
        json!([entry("9.9.10", "p-9.9.10.wasm", b"\0asm newest")]),
        true,
    );
    install(&env, "p").expect(OK);
}

#[test]
fn trust_show_escapes_what_a_root_json_says_before_it_reaches_a_terminal() {
    let env = Env::new();
    // A root.json (as a registry may serve one, as N.root.json) whose key
    // label holds an escape sequence (recolour, then clear the screen) and a
    // line separator; `trust init` would refuse the label, a file need not.
    let a = Key::new(1);
    let label = "ali\u{1b}[31mce\u{1b}[2J\u{2028}x";
    let root = root_json(1, &[(label, &a)], (&[label], 1), (&[label], 1), &[], &[&a]);
    env.write("trust/root.json", root);
    let shown = env.run(&["trust", "show", "trust"]).expect(OK);
    assert!(
        !shown.stdout.contains('\u{1b}') && !shown.stdout.contains('\u{2028}'),
        "{:?}",
        shown.stdout
    );
    assert!(
        shown
            .stdout
            .contains("ali\\u{1b}[31mce\\u{1b}[2J\\u{2028}x"),
        "{}",
        shown.stdout
    );
    // JSON carries the label as it is, escaped by JSON itself.
    let json = env
        .run(&["trust", "show", "trust", "--json"])
        .expect(OK)
        .json();
    assert_eq!(json["keys"][0]["label"], label);
}
