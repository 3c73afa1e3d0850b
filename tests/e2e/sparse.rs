//! Sparse registries (`config.json` at the root, one file per plugin at
//! cargo's path): installing one plugin reads only that plugin's file,
//! which is signed, expires and is rolled back on its own; the verbs that
//! need the whole index refuse a sparse registry by name.

use crate::server::{Reply, Server};
use crate::util::*;
use serde_json::{Value, json};

/// The path of a plugin's file, as cargo derives it (written out here, not
/// taken from the installer, so a wrong derivation fails these tests).
fn cargo_path(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match lower.len() {
        1 => format!("1/{lower}"),
        2 => format!("2/{lower}"),
        3 => format!("3/{}/{lower}", &lower[..1]),
        _ => format!("{}/{}/{lower}", &lower[..2], &lower[2..4]),
    }
}

/// A sparse registry in `dir`: its config.json, artefacts under
/// `artifacts/`, and the plugin files written by `write`.
struct Sparse {
    dir: String,
}

impl Sparse {
    fn new(env: &Env, dir: &str) -> Sparse {
        env.write(&format!("{dir}/config.json"), r#"{"schema_version": "1"}"#);
        Sparse {
            dir: dir.to_string(),
        }
    }

    /// Writes the artefact `<name>-<version>.wasm` under `artifacts/` and
    /// returns its entry (signed by `key`), its location relative to the
    /// registry's root.
    fn artefact(
        &self,
        env: &Env,
        name: &str,
        version: &str,
        bytes: &[u8],
        key: Option<&Key>,
    ) -> Value {
        let file = format!("artifacts/{name}-{version}.wasm");
        env.write(&format!("{}/{file}", self.dir), bytes);
        let mut entry = json!({
            "name": name,
            "version": version,
            "artifact": file,
            "sha256": sha256_hex(bytes),
        });
        if let Some(key) = key {
            entry["signature"] = json!(key.sign_b64(bytes));
        }
        entry
    }

    /// Writes `name`'s file at `version` (and its `.sig` by `key`), and
    /// returns its bytes and signature.
    fn write(
        &self,
        env: &Env,
        name: &str,
        version: u64,
        expires: Option<&str>,
        entries: &[Value],
        key: Option<&Key>,
    ) -> (Vec<u8>, Option<String>) {
        let mut file = json!({"schema_version": "1", "version": version, "plugins": entries});
        if let Some(expires) = expires {
            file["expires"] = json!(expires);
        }
        let bytes = serde_json::to_vec_pretty(&file).unwrap();
        let path = format!("{}/{}", self.dir, cargo_path(name));
        env.write(&path, &bytes);
        let sig = key.map(|key| key.sign_b64(&bytes));
        if let Some(sig) = &sig {
            env.write(&format!("{path}.sig"), sig);
        }
        (bytes, sig)
    }

    /// Puts back a file and signature `write` returned earlier.
    fn replay(&self, env: &Env, name: &str, (bytes, sig): &(Vec<u8>, Option<String>)) {
        let path = format!("{}/{}", self.dir, cargo_path(name));
        env.write(&path, bytes);
        if let Some(sig) = sig {
            env.write(&format!("{path}.sig"), sig);
        }
    }
}

const V1: &[u8] = b"\0asm colmask 1";
const V2: &[u8] = b"\0asm colmask 2";

/// A signed sparse registry `reg` offering colmask 1.0.0 (file version 1)
/// and hello 0.1.0, and the trust root `trust`.
fn signed() -> (Env, Sparse, Key) {
    let env = Env::new();
    let key = Key::new(5);
    key.trust(&env, "trust", "registry");
    let reg = Sparse::new(&env, "reg");
    let v1 = reg.artefact(&env, "colmask", "1.0.0", V1, Some(&key));
    reg.write(&env, "colmask", 1, None, &[v1], Some(&key));
    let hello = reg.artefact(&env, "hello", "0.1.0", b"\0asm hello", Some(&key));
    reg.write(&env, "hello", 1, None, &[hello], Some(&key));
    (env, reg, key)
}

fn install(env: &Env, registry: &str, spec: &str) -> Run {
    env.run(&[
        "install",
        spec,
        "--registry",
        registry,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ])
}

fn recorded(env: &Env) -> Value {
    serde_json::from_slice(&env.read("plugins/.wasm-plugin/registries.json")).unwrap()
}

#[test]
fn a_plugin_is_installed_from_a_sparse_directory_with_artefacts_relative_to_its_root() {
    let env = Env::new();
    let reg = Sparse::new(&env, "reg");
    let v1 = reg.artefact(&env, "ColMask", "1.0.0", V1, None);
    let v2 = reg.artefact(&env, "ColMask", "2.0.0", V2, None);
    reg.write(&env, "ColMask", 1, None, &[v1, v2], None);
    env.run(&[
        "install",
        "ColMask@^1",
        "--registry",
        "reg",
        "--dest",
        "plugins",
    ])
    .expect(OK);
    assert_eq!(env.read("plugins/ColMask.wasm"), V1);
    let receipt: Value =
        serde_json::from_slice(&env.read("plugins/.wasm-plugin/receipts/ColMask.json")).unwrap();
    assert_eq!(
        receipt["registry"],
        json!(env.path("reg/config.json").display().to_string())
    );

    // info, outdated and upgrade read the same file.
    let info = env
        .run(&["info", "ColMask", "--registry", "reg", "--json"])
        .expect(OK)
        .json();
    assert_eq!(info["versions"].as_array().unwrap().len(), 2, "{info}");
    let rows = env
        .run(&[
            "outdated",
            "--registry",
            "reg",
            "--dest",
            "plugins",
            "--json",
        ])
        .expect(OK)
        .json();
    assert_eq!(rows[0]["latest"], json!("2.0.0"), "{rows}");
    env.run(&[
        "upgrade",
        "ColMask@*",
        "--registry",
        "reg",
        "--dest",
        "plugins",
    ])
    .expect(OK);
    assert_eq!(env.read("plugins/ColMask.wasm"), V2);

    // A plugin without a file is not offered.
    env.run(&["install", "nope", "--registry", "reg", "--dest", "plugins"])
        .expect(INPUT)
        .says(&["no plugin named 'nope'", "sparse registry"]);
}

/// Serves every file of the registry `dir` under `/reg/`; returns the
/// registry's URL.
fn serve(env: &Env, server: &Server, dir: &str) -> String {
    for (file, _) in env.snapshot(dir) {
        let bytes = env.read(&format!("{dir}/{file}"));
        server.route(&format!("/reg/{file}"), Reply::Body(bytes));
    }
    format!("{}/reg/", server.base)
}

#[test]
fn over_http_only_config_json_the_plugin_file_its_signature_and_the_artefact_are_fetched() {
    let (env, reg, key) = signed();
    let server = Server::start();
    let url = serve(&env, &server, "reg");
    install(&env, &url, "colmask").expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V1);
    let mut fetched: Vec<String> = server.requests().into_iter().map(|(p, _)| p).collect();
    fetched.sort();
    assert_eq!(
        fetched,
        [
            "/reg/artifacts/colmask-1.0.0.wasm",
            "/reg/co/lm/colmask",
            "/reg/co/lm/colmask.sig",
            "/reg/config.json",
            "/reg/timestamp.json",
        ],
        "hello's file, or anything else, was fetched"
    );
    // The rollback record is the plugin file's.
    assert_eq!(
        recorded(&env)["versions"][format!("{url}co/lm/colmask")],
        json!(1)
    );

    // A new version: upgrade fetches the file again, and records it.
    let v1 = reg.artefact(&env, "colmask", "1.0.0", V1, Some(&key));
    let v2 = reg.artefact(&env, "colmask", "2.0.0", V2, Some(&key));
    reg.write(&env, "colmask", 2, None, &[v1, v2], Some(&key));
    serve(&env, &server, "reg");
    env.run(&[
        "upgrade",
        "colmask@*",
        "--registry",
        &url,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ])
    .expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V2);
    assert_eq!(
        recorded(&env)["versions"][format!("{url}co/lm/colmask")],
        json!(2)
    );
    assert_eq!(server.hits(&format!("/reg/{}", cargo_path("hello"))), 0);
}

#[test]
fn an_unsigned_plugin_file_over_plain_http_is_refused() {
    let env = Env::new();
    let key = Key::new(5);
    key.trust(&env, "trust", "registry");
    let reg = Sparse::new(&env, "reg");
    let v1 = reg.artefact(&env, "colmask", "1.0.0", V1, Some(&key));
    reg.write(&env, "colmask", 1, None, &[v1], None);
    let server = Server::start();
    let url = serve(&env, &server, "reg");
    install(&env, &url, "colmask")
        .expect(INTEGRITY)
        .says(&["co/lm/colmask", "plain http"]);
    assert!(!env.path("plugins/colmask.wasm").exists());
}

#[test]
fn a_tampered_plugin_file_is_refused_before_anything_is_placed() {
    let (env, _reg, _key) = signed();
    let file = env.path("reg/co/lm/colmask");
    let text = std::fs::read_to_string(&file).unwrap();
    let tampered = text.replace(&sha256_hex(V1), &sha256_hex(b"\0asm evil"));
    assert_ne!(text, tampered);
    std::fs::write(&file, tampered).unwrap();
    install(&env, "reg", "colmask")
        .expect(INTEGRITY)
        .says(&["co/lm/colmask", "does not verify"]);
    assert!(!env.path("plugins/colmask.wasm").exists());
    // The other plugin's file is untouched, and installs.
    install(&env, "reg", "hello").expect(OK);
}

#[test]
fn a_replayed_older_plugin_file_is_refused_as_a_rollback_of_that_plugin() {
    let (env, reg, key) = signed();
    let old = reg.artefact(&env, "colmask", "1.0.0", V1, Some(&key));
    let mut yanked = old.clone();
    yanked["yanked"] = json!(true);
    let v2 = reg.artefact(&env, "colmask", "2.0.0", V2, Some(&key));
    // Version 4 withdrew 1.0.0 for 2.0.0; version 3 still offered it.
    let replayed = reg.write(
        &env,
        "colmask",
        3,
        None,
        std::slice::from_ref(&old),
        Some(&key),
    );
    reg.write(&env, "colmask", 4, None, &[yanked, v2], Some(&key));
    install(&env, "reg", "colmask").expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V2);

    reg.replay(&env, "colmask", &replayed);
    let before = env.snapshot("plugins");
    install(&env, "reg", "colmask@=1.0.0")
        .expect(INTEGRITY)
        .says(&["co/lm/colmask", "version 3, older than version 4"]);
    assert_eq!(env.snapshot("plugins"), before);
    env.run(&[
        "outdated",
        "--registry",
        "reg",
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ])
    .expect(INTEGRITY)
    .says(&["older than version 4"]);

    // Each plugin's file is judged against its own record: hello's
    // version 1 is no rollback.
    install(&env, "reg", "hello").expect(OK);

    // After a deliberate reset, forget-registry forgets every plugin file.
    let run = env
        .run(&["forget-registry", "reg", "--dest", "plugins"])
        .expect(OK);
    assert!(run.stdout.contains("4"), "{}", run.stdout);
    assert_eq!(recorded(&env)["versions"], json!({}));
    env.run(&[
        "install",
        "colmask@=1.0.0",
        "--registry",
        "reg",
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
        "--allow-downgrade",
    ])
    .expect(OK);
}

#[test]
fn an_expired_plugin_file_is_refused_unless_allowed() {
    let (env, reg, key) = signed();
    let v1 = reg.artefact(&env, "colmask", "1.0.0", V1, Some(&key));
    reg.write(
        &env,
        "colmask",
        2,
        Some("2001-01-01T00:00:00Z"),
        &[v1],
        Some(&key),
    );
    install(&env, "reg", "colmask")
        .expect(INTEGRITY)
        .says(&["co/lm/colmask", "expired at 2001-01-01T00:00:00Z"]);
    assert!(!env.path("plugins/colmask.wasm").exists());
    env.run(&[
        "install",
        "colmask",
        "--registry",
        "reg",
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
        "--allow-expired",
    ])
    .expect(OK);
}

#[test]
fn a_plugin_file_listing_another_plugin_is_refused() {
    let (env, reg, key) = signed();
    let evil = reg.artefact(&env, "evil", "1.0.0", b"\0asm evil", Some(&key));
    reg.write(&env, "colmask", 2, None, &[evil], Some(&key));
    install(&env, "reg", "colmask")
        .expect(INPUT)
        .says(&["co/lm/colmask", "evil"]);
}

#[test]
fn a_name_whose_sparse_path_would_climb_is_refused_before_any_read() {
    let (env, _reg, _key) = signed();
    // ab/../ab..c would be reg/ab..c.
    env.write("reg/ab..c", "{}");
    install(&env, "reg", "ab..c")
        .expect(INPUT)
        .says(&["invalid name", "'..'"]);
}

#[test]
fn verbs_that_need_the_whole_index_refuse_a_sparse_registry_by_name() {
    let (env, _reg, _key) = signed();
    install(&env, "reg", "colmask").expect(OK);
    env.run(&["list", "--registry", "reg"])
        .expect(INPUT)
        .says(&["sparse registry", "not supported", "list NAME"]);
    for args in [
        &[
            "trust",
            "sign",
            "--registry",
            "reg",
            "--entry",
            "colmask@1.0.0",
            "--key",
            "k.key",
        ][..],
        &["registry", "convert", "reg/config.json", "--out", "x"],
    ] {
        env.run(args)
            .expect(INPUT)
            .says(&["sparse registry", "not supported"]);
    }
}

/// A manifest in `project/` declaring colmask `^1` and hello from the
/// registry `registry` (a directory relative to it, or a URL), into
/// `plugins`, under the trust root `trust`.
fn manifest(env: &Env, registry: &str) -> String {
    env.write(
        "project/wasm-plugin.toml",
        format!(
            "dest = \"../plugins\"\ntrust_root = \"../trust\"\n[registries]\ndefault = \"{registry}\"\n\
             [plugins]\ncolmask = \"^1\"\nhello = \"*\"\n"
        ),
    );
    env.path("project/wasm-plugin.toml")
        .to_str()
        .unwrap()
        .to_string()
}

/// How often each registry file was asked for, the artefacts aside.
fn registry_hits(server: &Server) -> std::collections::BTreeMap<String, usize> {
    let mut hits = std::collections::BTreeMap::new();
    for (path, _) in server.requests() {
        if !path.ends_with(".wasm") {
            *hits.entry(path).or_insert(0) += 1;
        }
    }
    hits
}

#[test]
fn a_manifest_of_a_sparse_registry_over_http_is_locked_synced_and_synced_again() {
    let (env, _reg, _key) = signed();
    let server = Server::start();
    let url = serve_cacheable(&env, &server, "reg");
    let config = manifest(&env, &url);

    // lock pins from each plugin's file, and installs nothing.
    let lock = env
        .run(&["lock", "--config", &config, "--json"])
        .expect(OK)
        .json();
    assert_eq!(lock["lock_changed"], json!(true), "{lock}");
    let pins = String::from_utf8(env.read("project/wasm-plugin.lock")).unwrap();
    assert!(pins.contains(&sha256_hex(V1)), "{pins}");
    assert!(!env.path("plugins").exists());
    assert_eq!(server.hits(&format!("/reg/{}", cargo_path("hello"))), 1);

    // sync reads each plugin's file once (the jobs check the plan's copy
    // again), and records each file's version.
    let before = registry_hits(&server);
    let report = env
        .run(&["sync", "--config", &config, "--json"])
        .expect(OK)
        .json();
    let steps: Vec<&Value> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["step"])
        .collect();
    assert_eq!(steps, [&json!("install"), &json!("install")], "{report}");
    assert_eq!(env.read("plugins/colmask.wasm"), V1);
    assert_eq!(env.read("plugins/hello.wasm"), b"\0asm hello");
    let after = registry_hits(&server);
    for file in [
        "/reg/co/lm/colmask".into(),
        format!("/reg/{}", cargo_path("hello")),
    ] {
        assert_eq!(after[&file] - before[&file], 1, "{file}: {after:?}");
    }
    let versions = &recorded(&env)["versions"];
    assert_eq!(versions[format!("{url}co/lm/colmask")], json!(1));
    assert_eq!(versions[format!("{url}{}", cargo_path("hello"))], json!(1));
    let receipt: Value =
        serde_json::from_slice(&env.read("plugins/.wasm-plugin/receipts/hello.json")).unwrap();
    assert_eq!(receipt["registry"], json!(format!("{url}config.json")));

    // Again, nothing changed: every plugin kept, each file asked for once
    // more, and answered 304 from what the first sync kept.
    let before = after;
    let answered = server.cacheable().len();
    let again = env
        .run(&["sync", "--config", &config, "--locked"])
        .expect(OK);
    assert!(
        again.stdout.contains("2 plugins as pinned"),
        "{}",
        again.stdout
    );
    let after = registry_hits(&server);
    for file in [
        "/reg/co/lm/colmask".into(),
        format!("/reg/{}", cargo_path("hello")),
    ] {
        assert_eq!(after[&file] - before[&file], 1, "{file}: {after:?}");
    }
    let second = &server.cacheable()[answered..];
    for file in [
        "/reg/co/lm/colmask".into(),
        format!("/reg/{}", cargo_path("hello")),
    ] {
        for path in [file.clone(), format!("{file}.sig")] {
            assert!(
                second
                    .iter()
                    .any(|(p, status)| *p == path && *status == 304),
                "{path}: {second:?}"
            );
        }
    }
    assert!(
        second.iter().all(|(_, status)| *status == 304),
        "{second:?}"
    );
}

/// Serves every file of the registry `dir` under `/reg/` slowly (two
/// pieces 300 ms apart), so that requests sent side by side overlap;
/// returns the registry's URL.
fn serve_slowly(env: &Env, server: &Server, dir: &str) -> String {
    for (file, _) in env.snapshot(dir) {
        let bytes = env.read(&format!("{dir}/{file}"));
        let half = bytes.len() / 2 + 1;
        let pause = std::time::Duration::from_millis(300);
        server.route(&format!("/reg/{file}"), Reply::Slow(bytes, half, pause));
    }
    format!("{}/reg/", server.base)
}

#[test]
fn several_plugins_files_over_http_are_fetched_side_by_side_by_lock_sync_and_outdated() {
    let (env, _reg, _key) = signed();
    let files = [
        "/reg/co/lm/colmask".to_string(),
        format!("/reg/{}", cargo_path("hello")),
    ];
    // lock reads both plugins' files (and signatures) at once, each once.
    let server = Server::start();
    let config = manifest(&env, &serve_slowly(&env, &server, "reg"));
    env.run(&["lock", "--config", &config]).expect(OK);
    let peak = server.peak_in_flight();
    assert!(peak >= 2, "{peak} at once: {:?}", server.requests());
    for file in &files {
        assert_eq!(server.hits(file), 1, "{file}: {:?}", server.requests());
        assert_eq!(server.hits(&format!("{file}.sig")), 1, "{file}.sig");
    }

    // sync, its jobs one at a time (-j 1): only the plan's reads overlap.
    // (From another server: the lock the first one made is dropped.)
    std::fs::remove_file(env.path("project/wasm-plugin.lock")).unwrap();
    let server = Server::start();
    let config = manifest(&env, &serve_slowly(&env, &server, "reg"));
    env.run(&["sync", "--config", &config, "-j", "1"])
        .expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V1);
    assert_eq!(env.read("plugins/hello.wasm"), b"\0asm hello");
    let peak = server.peak_in_flight();
    assert!(peak >= 2, "{peak} at once: {:?}", server.requests());

    // outdated reads the installed plugins' files side by side.
    let server = Server::start();
    let url = serve_slowly(&env, &server, "reg");
    let rows = env
        .run(&[
            "outdated",
            "--registry",
            &url,
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    assert!(rows.is_array(), "{rows}");
    let peak = server.peak_in_flight();
    assert!(peak >= 2, "{peak} at once: {:?}", server.requests());
    for file in &files {
        assert_eq!(server.hits(file), 1, "{file}: {:?}", server.requests());
    }
}

#[test]
fn an_install_that_fails_on_its_artefact_keeps_no_http_cache() {
    let (env, _reg, _key) = signed();
    let server = Server::start();
    let url = serve_cacheable(&env, &server, "reg");
    server.route(
        "/reg/artifacts/colmask-1.0.0.wasm",
        Reply::Body(b"\0asm not what the index lists".to_vec()),
    );
    install(&env, &url, "colmask").expect(INTEGRITY);
    // Nothing written: not the plugin, not the registry files read.
    assert!(
        !env.path("plugins").exists(),
        "{:?}",
        env.snapshot("plugins")
    );
}

#[test]
fn a_sync_over_http_with_freshness_files_reads_each_plugin_file_once_then_revalidates() {
    // Bins pinning each plugin file's digest: the plan reads each file
    // once and its jobs judge the plan's copy through the timestamp again,
    // without asking for the file (nor its .sig).
    let (env, reg) = flat();
    converted_in_place(&env, &reg);
    let server = Server::start();
    let url = serve_cacheable(&env, &server, "registry");
    let config = manifest(&env, &url);
    let files = [
        "/reg/co/lm/colmask".to_string(),
        format!("/reg/{}", cargo_path("hello")),
    ];
    env.run(&["sync", "--config", &config]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V1);
    assert_eq!(env.read("plugins/hello.wasm"), b"\0asm hello");
    for file in &files {
        assert_eq!(server.hits(file), 1, "{file}: {:?}", server.requests());
        assert_eq!(server.hits(&format!("{file}.sig")), 0, "{file}.sig");
    }
    // Nothing changed: the timestamp revalidated (304s), the snapshot,
    // bins and plugin files taken from the cache by their digests.
    let answered = server.cacheable().len();
    env.run(&["sync", "--config", &config]).expect(OK);
    let second = &server.cacheable()[answered..];
    assert!(!second.is_empty());
    assert!(
        second.iter().all(|(_, status)| *status == 304),
        "{second:?}"
    );
    for file in &files {
        assert_eq!(server.hits(file), 1, "{file} asked for again");
    }
}

#[test]
fn a_replayed_older_plugin_file_is_refused_by_sync_and_lock_and_nothing_is_written() {
    let (env, reg, key) = signed();
    // The manifest names the registry by its directory.
    let config = manifest(&env, "../reg");
    let v1 = reg.artefact(&env, "colmask", "1.0.0", V1, Some(&key));
    let replayed = reg.write(
        &env,
        "colmask",
        2,
        None,
        std::slice::from_ref(&v1),
        Some(&key),
    );
    let v11 = reg.artefact(&env, "colmask", "1.1.0", b"\0asm colmask 1.1", Some(&key));
    reg.write(&env, "colmask", 3, None, &[v1, v11], Some(&key));
    env.run(&["sync", "--config", &config]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm colmask 1.1");

    // Version 2 put back (validly signed): refused, naming the file.
    reg.replay(&env, "colmask", &replayed);
    env.write(
        "project/wasm-plugin.toml",
        String::from_utf8(env.read("project/wasm-plugin.toml"))
            .unwrap()
            .replace("^1", "=1.0.0"),
    );
    let before = (
        env.snapshot("plugins"),
        env.read("project/wasm-plugin.lock"),
    );
    env.run(&["sync", "--config", &config])
        .expect(INTEGRITY)
        .says(&["co/lm/colmask", "version 2, older than version 3"]);
    assert_eq!(
        (
            env.snapshot("plugins"),
            env.read("project/wasm-plugin.lock")
        ),
        before
    );
    // lock reads the plugins directory's record too.
    env.run(&["lock", "--config", &config])
        .expect(INTEGRITY)
        .says(&["older than version 3"]);
    assert_eq!(env.read("project/wasm-plugin.lock"), before.1);
}

#[test]
fn search_reads_a_sparse_registrys_name_list_and_shows_what_the_signed_files_say() {
    let (env, _reg, _key) = signed();
    // Without a name list: nothing to search, said so.
    env.run(&[
        "search",
        "col",
        "--registry",
        "reg",
        "--trust-root",
        "trust",
    ])
    .expect(INPUT)
    .says(&["no name list", "names.json", "info NAME"]);

    // The list is a hint: a name without a file is passed over, and what
    // is shown comes from the signed file (its description, not the list).
    env.write(
        "reg/names.json",
        r#"{"names": ["colmask", "colour-gone", "hello"]}"#,
    );
    let server = Server::start();
    let url = serve(&env, &server, "reg");
    let found = env
        .run(&[
            "search",
            "COL",
            "--registry",
            &url,
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    let names: Vec<&str> = found["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["colmask"], "{found}");
    assert_eq!(found["signed_by"], json!("registry"), "{found}");
    assert_eq!(
        server.hits(&format!("/reg/{}", cargo_path("hello"))),
        0,
        "hello's file was read"
    );
    assert_eq!(server.hits("/reg/co/lo/colour-gone"), 1);
    let none = env
        .run(&["search", "zzz", "--registry", &url, "--trust-root", "trust"])
        .expect(OK);
    assert!(none.stdout.contains("no plugin"), "{}", none.stdout);

    // A tampered file is refused, whatever the list says.
    let file = env.path("reg/co/lm/colmask");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("1.0.0", "1.0.9")).unwrap();
    env.run(&[
        "search",
        "col",
        "--registry",
        "reg",
        "--trust-root",
        "trust",
    ])
    .expect(INTEGRITY)
    .says(&["co/lm/colmask", "does not verify"]);
}

#[test]
fn list_name_shows_one_plugins_versions_from_its_file() {
    let (env, reg, key) = signed();
    let v1 = reg.artefact(&env, "colmask", "1.0.0", V1, Some(&key));
    let v2 = reg.artefact(&env, "colmask", "2.0.0", V2, Some(&key));
    reg.write(&env, "colmask", 2, None, &[v1, v2], Some(&key));
    let server = Server::start();
    let url = serve(&env, &server, "reg");
    let listed = env
        .run(&[
            "list",
            "colmask",
            "--registry",
            &url,
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    let versions: Vec<&str> = listed["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions.len(), 2, "{listed}");
    assert!(versions.contains(&"2.0.0"), "{listed}");
    assert_eq!(server.hits(&format!("/reg/{}", cargo_path("hello"))), 0);
    let latest = env
        .run(&["list", "colmask", "--latest", "--registry", "reg", "--json"])
        .expect(OK)
        .json();
    assert_eq!(latest["plugins"][0]["version"], json!("2.0.0"), "{latest}");
    env.run(&["list", "nope", "--registry", "reg"])
        .expect(INPUT)
        .says(&["no plugin named 'nope'"]);
    // A flat index too: only that plugin's rows.
    let (env, reg) = flat();
    let listed = env
        .run(&["list", "hello", "--registry", &reg.index(), "--json"])
        .expect(OK)
        .json();
    assert_eq!(listed["plugins"].as_array().unwrap().len(), 1, "{listed}");
}

#[test]
fn audit_registry_reads_each_installed_plugins_file_for_yanks() {
    let (env, reg, key) = signed();
    install(&env, "reg", "colmask").expect(OK);
    install(&env, "reg", "hello").expect(OK);
    let audit = |env: &Env| {
        env.run(&[
            "audit",
            "--dest",
            "plugins",
            "--registry",
            "reg",
            "--trust-root",
            "trust",
            "--json",
        ])
    };
    audit(&env).expect(OK);

    // colmask 1.0.0 yanked in its file (version 2): found, naming the file.
    let mut v1 = reg.artefact(&env, "colmask", "1.0.0", V1, Some(&key));
    v1["yanked"] = json!(true);
    let yanked = reg.write(&env, "colmask", 2, None, &[v1], Some(&key));
    let report = audit(&env).expect(INTEGRITY).json();
    let findings: Vec<&Value> = report["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["findings"].as_array().unwrap())
        .collect();
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["kind"], json!("yanked"), "{report}");
    assert!(
        findings[0]["detail"]
            .as_str()
            .unwrap()
            .contains("co/lm/colmask"),
        "{report}"
    );

    // Withdrawn again in version 3, which an install records; version 2
    // put back (validly signed, and hiding nothing here) is a rollback.
    let v1 = reg.artefact(&env, "colmask", "1.0.0", V1, Some(&key));
    reg.write(&env, "colmask", 3, None, &[v1], Some(&key));
    install(&env, "reg", "colmask").expect(OK);
    audit(&env).expect(OK);
    reg.replay(&env, "colmask", &yanked);
    env.run(&[
        "audit",
        "--dest",
        "plugins",
        "--registry",
        "reg",
        "--trust-root",
        "trust",
    ])
    .expect(INTEGRITY)
    .says(&["co/lm/colmask", "version 2, older than version 3"]);
}

#[test]
fn several_plugins_are_installed_from_a_sparse_registry_in_one_run() {
    let (env, _reg, _key) = signed();
    env.run(&[
        "install",
        "colmask",
        "hello",
        "--registry",
        "reg",
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ])
    .expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V1);
    assert_eq!(env.read("plugins/hello.wasm"), b"\0asm hello");
}

/// A flat registry `registry/` of colmask 1.0.0 and 2.0.0 and hello 0.1.0,
/// signed by `release`, and an index key `index.key` made by keygen; the
/// trust root `trust` holds both.
fn flat() -> (Env, Registry) {
    let env = Env::new();
    let release = Key::new(9);
    release.trust(&env, "trust", "release");
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", V1, Some(&release));
    reg.publish(&env, "colmask", "2.0.0", V2, Some(&release));
    reg.publish(&env, "hello", "0.1.0", b"\0asm hello", Some(&release));
    std::fs::create_dir(env.path("keys")).unwrap();
    env.run(&["keygen", "--name", "index", "--out-dir", "keys"])
        .expect(OK);
    std::fs::copy(env.path("keys/index.pub"), env.path("trust/index.pub")).unwrap();
    (env, reg)
}

#[test]
fn a_converted_registry_installs_the_same_bytes_as_the_flat_index() {
    let (env, mut reg) = flat();
    // A plugin file far larger than one write (64 KiB), written whole.
    reg.entries[0]["description"] = json!("x".repeat(300_000));
    reg.save(&env);
    let run = env
        .run(&[
            "registry",
            "convert",
            &reg.index(),
            "--out",
            "sparse",
            "--key",
            "keys/index.key",
            "--json",
        ])
        .expect(OK)
        .json();
    assert_eq!(run["signed"], json!(true));
    assert_eq!(run["files"].as_array().unwrap().len(), 2, "{run}");
    assert!(env.path("sparse/config.json").exists());
    assert!(env.path("sparse/co/lm/colmask.sig").exists());
    let file: Value = serde_json::from_slice(&env.read("sparse/co/lm/colmask")).unwrap();
    assert_eq!(
        file["plugins"][0]["artifact"],
        json!("../registry/colmask-1.0.0.wasm")
    );

    // The artefacts stay in registry/, outside the sparse registry's
    // directory: a local install is granted them with --allow-read.
    for (registry, dest) in [
        (reg.index(), "flat-plugins"),
        ("sparse".into(), "sparse-plugins"),
    ] {
        for spec in ["colmask@^1", "hello"] {
            env.run(&[
                "install",
                spec,
                "--registry",
                &registry,
                "--dest",
                dest,
                "--trust-root",
                "trust",
                "--allow-read",
                "registry",
            ])
            .expect(OK);
        }
    }
    for file in ["colmask.wasm", "colmask.sig", "hello.wasm", "hello.sig"] {
        assert_eq!(
            env.read(&format!("flat-plugins/{file}")),
            env.read(&format!("sparse-plugins/{file}")),
            "{file}"
        );
    }
    assert_eq!(env.read("sparse-plugins/colmask.wasm"), V1);

    // Over http, served beside the flat registry: ../registry/ resolves too.
    let server = Server::start();
    for dir in ["registry", "sparse"] {
        for (file, _) in env.snapshot(dir) {
            let bytes = env.read(&format!("{dir}/{file}"));
            server.route(&format!("/{dir}/{file}"), Reply::Body(bytes));
        }
    }
    let url = format!("{}/sparse/", server.base);
    install(&env, &url, "colmask@=2.0.0").expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V2);
    assert_eq!(server.hits("/registry/colmask-2.0.0.wasm"), 1);
    assert_eq!(server.hits("/registry/index.json"), 0);

    // Signed files are not rewritten unsigned.
    env.run(&["registry", "convert", &reg.index(), "--out", "sparse"])
        .expect(INPUT)
        .says(&["--key"]);
}

#[test]
fn converting_again_after_a_publish_raises_the_changed_files_version() {
    let (env, mut reg) = flat();
    // Converted in place: the one directory serves both layouts.
    let convert = |env: &Env, reg: &Registry| {
        env.run(&[
            "registry",
            "convert",
            &reg.index(),
            "--out",
            "registry",
            "--key",
            "keys/index.key",
        ])
        .expect(OK)
    };
    convert(&env, &reg);
    install(&env, "registry", "colmask").expect(OK);
    reg.publish(
        &env,
        "colmask",
        "2.1.0",
        b"\0asm colmask 2.1",
        Some(&Key::new(9)),
    );
    convert(&env, &reg);
    let file: Value = serde_json::from_slice(&env.read("registry/co/lm/colmask")).unwrap();
    assert_eq!(file["version"], json!(2));
    assert_eq!(file["plugins"][2]["artifact"], json!("colmask-2.1.0.wasm"));
    let hello: Value = serde_json::from_slice(&env.read("registry/he/ll/hello")).unwrap();
    assert_eq!(hello["version"], json!(1));
    env.run(&[
        "upgrade",
        "colmask@*",
        "--registry",
        "registry",
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ])
    .expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm colmask 2.1");
}

#[test]
fn publish_and_yank_write_the_plugins_file_and_its_signature_in_a_sparse_registry() {
    let (env, _reg) = flat();
    env.write("sparse/config.json", "{}");
    let publish = |file: &str, bytes: &[u8]| {
        env.write(file, bytes);
        env.run(&[
            "publish",
            file,
            "--registry",
            "sparse",
            "--key",
            "keys/index.key",
            "--json",
        ])
        .expect(OK)
        .json()
    };
    let report = publish("colmask-1.0.0.wasm", V1);
    assert_eq!(
        report["registry"],
        json!(env.path("sparse/co/lm/colmask").display().to_string())
    );
    publish("colmask-2.0.0.wasm", V2);
    publish("hello-0.1.0.wasm", b"\0asm hello");
    let file: Value = serde_json::from_slice(&env.read("sparse/co/lm/colmask")).unwrap();
    assert_eq!(file["version"], json!(2), "{file}");
    assert_eq!(file["plugins"][1]["artifact"], json!("colmask-2.0.0.wasm"));
    assert!(env.path("sparse/colmask-2.0.0.wasm").exists());
    assert!(env.path("sparse/he/ll/hello.sig").exists());
    assert!(!env.path("sparse/index.json").exists());

    // The index key signed the files and the artefacts (one key here):
    // its public half is in the trust root.
    install(&env, "sparse", "colmask").expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V2);
    env.run(&[
        "publish",
        "--yank",
        "colmask@2.0.0",
        "--registry",
        "sparse",
        "--key",
        "keys/index.key",
    ])
    .expect(OK);
    let file: Value = serde_json::from_slice(&env.read("sparse/co/lm/colmask")).unwrap();
    assert_eq!(file["version"], json!(3), "{file}");
    let rows = env
        .run(&[
            "outdated",
            "--registry",
            "sparse",
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    assert_eq!(rows[0]["yanked"], json!(true), "{rows}");
}

/// The bin a plugin's name hashes into, as the registry's files name it.
fn bin_of(name: &str) -> String {
    sha256_hex(name.to_ascii_lowercase().as_bytes())[..2].to_string()
}

/// `flat()` converted in place (signed with the index key); returns the
/// files of colmask's plugin file and its signature, and of the timestamp
/// and its signature, as this conversion wrote them.
fn converted_in_place(env: &Env, reg: &Registry) -> [(String, Vec<u8>); 4] {
    env.run(&[
        "registry",
        "convert",
        &reg.index(),
        "--out",
        "registry",
        "--key",
        "keys/index.key",
    ])
    .expect(OK);
    [
        "registry/co/lm/colmask",
        "registry/co/lm/colmask.sig",
        "registry/timestamp.json",
        "registry/timestamp.json.sig",
    ]
    .map(|file| (file.to_string(), env.read(file)))
}

#[test]
fn a_signed_timestamp_pins_the_snapshot_its_bins_and_each_plugin_files_version() {
    let (env, mut reg) = flat();
    let first = converted_in_place(&env, &reg);
    let timestamp: Value = serde_json::from_slice(&env.read("registry/timestamp.json")).unwrap();
    assert_eq!(timestamp["version"], json!(1), "{timestamp}");
    let bin = bin_of("colmask");
    assert!(env.path(&format!("registry/bins/{bin}.1.json")).exists());

    // Over http: the timestamp and its signature, the snapshot, the
    // plugin's bin, its file: five registry files. Not config.json (the
    // signed timestamp stands for it) nor the file's signature (its bin
    // pins its SHA-256).
    let server = Server::start();
    let url = serve(&env, &server, "registry");
    install(&env, &url, "colmask").expect(OK);
    let mut fetched: Vec<String> = server.requests().into_iter().map(|(p, _)| p).collect();
    fetched.sort();
    let mut wanted = vec![
        "/reg/1.snapshot.json".to_string(),
        format!("/reg/bins/{bin}.1.json"),
        "/reg/co/lm/colmask".into(),
        "/reg/colmask-2.0.0.wasm".into(),
        "/reg/timestamp.json".into(),
        "/reg/timestamp.json.sig".into(),
    ];
    wanted.sort();
    assert_eq!(fetched, wanted);
    assert_eq!(
        recorded(&env)["versions"][format!("{url}timestamp.json")],
        json!(1)
    );

    // A new release, converted again: generation 2.
    reg.publish(
        &env,
        "colmask",
        "2.1.0",
        b"\0asm colmask 2.1",
        Some(&Key::new(9)),
    );
    let second = converted_in_place(&env, &reg);
    install(&env, "registry", "colmask@=2.0.0").expect(OK);

    // colmask's older file, validly signed, is refused by its bin even here
    // (this plugins directory never read the newer one from this path).
    for (file, bytes) in &first[..2] {
        env.write(file, bytes);
    }
    install(&env, "registry", "colmask")
        .expect(INTEGRITY)
        .says(&["co/lm/colmask", "SHA-256", "stale or altered"]);

    // The whole older generation put back (its snapshot and bins are still
    // there, named by version): the timestamp is the rollback.
    for (file, bytes) in &first[2..] {
        env.write(file, bytes);
    }
    install(&env, "registry", "colmask")
        .expect(INTEGRITY)
        .says(&["timestamp.json", "version 1, older than version 2"]);

    // And taking the timestamp away does not turn the check off.
    for (file, bytes) in &second {
        env.write(file, bytes);
    }
    std::fs::remove_file(env.path("registry/timestamp.json")).unwrap();
    std::fs::remove_file(env.path("registry/timestamp.json.sig")).unwrap();
    install(&env, "registry", "colmask")
        .expect(INTEGRITY)
        .says(&["timestamp.json"]);
}

#[test]
fn an_expired_timestamp_is_refused_as_a_freeze_naming_it() {
    let (env, reg) = flat();
    // The flat index's expiry is the timestamp's.
    let mut index: Value = serde_json::from_slice(&env.read(&reg.index())).unwrap();
    index["expires"] = json!("2001-01-01T00:00:00Z");
    env.write(&reg.index(), serde_json::to_vec(&index).unwrap());
    converted_in_place(&env, &reg);
    install(&env, "registry", "colmask")
        .expect(INTEGRITY)
        .says(&["timestamp.json", "expired at 2001-01-01T00:00:00Z"]);
    assert!(!env.path("plugins/colmask.wasm").exists());
}

#[test]
fn a_tampered_bin_is_refused_by_the_snapshots_digest() {
    let (env, reg) = flat();
    converted_in_place(&env, &reg);
    let bin = format!("registry/bins/{}.1.json", bin_of("colmask"));
    let mut listed: Value = serde_json::from_slice(&env.read(&bin)).unwrap();
    listed["plugins"]["colmask"]["version"] = json!(7);
    env.write(&bin, serde_json::to_vec(&listed).unwrap());
    install(&env, "registry", "colmask")
        .expect(INTEGRITY)
        .says(&[&bin_of("colmask"), "SHA-256"]);
}

/// Serves every file of the registry `dir` under `/reg/` as a file server
/// does, with an ETag and a 304 for a request naming it.
fn serve_cacheable(env: &Env, server: &Server, dir: &str) -> String {
    for (file, _) in env.snapshot(dir) {
        let bytes = env.read(&format!("{dir}/{file}"));
        server.route(&format!("/reg/{file}"), Reply::Cacheable(bytes));
    }
    format!("{}/reg/", server.base)
}

/// The cacheable answers since `from` (an earlier `cacheable().len()`).
fn answered(server: &Server, from: usize) -> Vec<(String, u16)> {
    let mut answers = server.cacheable()[from..].to_vec();
    answers.sort();
    answers
}

#[test]
fn a_second_look_over_http_revalidates_the_registry_files_and_gets_304s() {
    // Without freshness files: config.json, the plugin file and its
    // signature, each revalidated by its ETag.
    let (env, reg, key) = signed();
    let server = Server::start();
    let url = serve_cacheable(&env, &server, "reg");
    install(&env, &url, "colmask").expect(OK);
    let first = server.cacheable().len();
    assert!(env.path("plugins/.wasm-plugin/http-cache").is_dir());
    let outdated = |env: &Env| {
        env.run(&[
            "outdated",
            "--registry",
            &url,
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json()
    };
    assert_eq!(outdated(&env)[0]["latest"], json!("1.0.0"));
    assert_eq!(
        answered(&server, first),
        [
            ("/reg/co/lm/colmask".to_string(), 304),
            ("/reg/co/lm/colmask.sig".to_string(), 304),
            ("/reg/config.json".to_string(), 304),
        ]
    );
    // A new release: fetched in full, and seen.
    let v1 = reg.artefact(&env, "colmask", "1.0.0", V1, Some(&key));
    let v2 = reg.artefact(&env, "colmask", "2.0.0", V2, Some(&key));
    reg.write(&env, "colmask", 2, None, &[v1, v2], Some(&key));
    serve_cacheable(&env, &server, "reg");
    let second = server.cacheable().len();
    assert_eq!(outdated(&env)[0]["latest"], json!("2.0.0"));
    let answers = answered(&server, second);
    assert!(
        answers.contains(&("/reg/co/lm/colmask".into(), 200)),
        "{answers:?}"
    );
}

/// The cache entry of the registry file at `url` in `plugins/`, rewritten
/// by `change` with its header made to match again (as someone who can
/// write the plugins directory could).
fn tamper_cache_entry(env: &Env, url: &str, change: impl Fn(Vec<u8>) -> Vec<u8>) {
    let name = format!("{}.http", &sha256_hex(url.as_bytes())[..32]);
    let path = format!("plugins/.wasm-plugin/http-cache/{name}");
    let bytes = env.read(&path);
    let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
    let mut header: Value = serde_json::from_slice(&bytes[..newline]).unwrap();
    assert_eq!(header["url"], json!(url));
    let body = change(bytes[newline + 1..].to_vec());
    header["len"] = json!(body.len());
    header["sha256"] = json!(sha256_hex(&body));
    let mut entry = serde_json::to_vec(&header).unwrap();
    entry.push(b'\n');
    entry.extend(body);
    env.write(&path, entry);
}

#[test]
fn with_freshness_files_a_second_install_asks_only_for_the_timestamp_and_trusts_no_cache() {
    let (env, reg) = flat();
    converted_in_place(&env, &reg);
    let server = Server::start();
    let url = serve_cacheable(&env, &server, "registry");
    install(&env, &url, "colmask@=1.0.0").expect(OK);
    let registry_files = |from: usize| {
        answered(&server, from)
            .into_iter()
            .filter(|(path, _)| !path.ends_with(".wasm"))
            .collect::<Vec<_>>()
    };
    assert_eq!(registry_files(0).len(), 5, "{:?}", registry_files(0));

    // Again: the timestamp and its signature revalidated (304s); the
    // snapshot, the bin and the plugin file, pinned by digest, taken from
    // the cache without asking.
    let first = server.cacheable().len();
    env.run(&[
        "upgrade",
        "colmask@*",
        "--registry",
        &url,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ])
    .expect(OK);
    assert_eq!(
        registry_files(first),
        [
            ("/reg/timestamp.json".to_string(), 304),
            ("/reg/timestamp.json.sig".to_string(), 304),
        ]
    );
    assert_eq!(env.read("plugins/colmask.wasm"), V2);

    // A cached timestamp altered (its entry made consistent again): the
    // 304 reuses it, its signature fails, and it is fetched anew rather
    // than trusted or left to block every later run.
    tamper_cache_entry(&env, &format!("{url}timestamp.json"), |body| {
        String::from_utf8(body)
            .unwrap()
            .replace("\"version\": 1", "\"version\": 99")
            .into_bytes()
    });
    let second = server.cacheable().len();
    install(&env, &url, "hello").expect(OK);
    let answers = registry_files(second);
    assert!(
        answers.contains(&("/reg/timestamp.json".into(), 304)),
        "{answers:?}"
    );
    assert!(
        answers.contains(&("/reg/timestamp.json".into(), 200)),
        "{answers:?}"
    );
    assert_eq!(
        recorded(&env)["versions"][format!("{url}timestamp.json")],
        json!(1)
    );

    // outdated of the two plugins: the files they share asked for once.
    let third = server.cacheable().len();
    env.run(&[
        "outdated",
        "--registry",
        &url,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
        "--json",
    ])
    .expect(OK);
    assert_eq!(
        registry_files(third),
        [
            ("/reg/timestamp.json".to_string(), 304),
            ("/reg/timestamp.json.sig".to_string(), 304),
        ]
    );
}

#[test]
fn a_timestamp_that_expired_since_it_was_cached_is_refused_as_a_freeze() {
    let (env, reg) = flat();
    // Room for the set-up and a first install on a loaded machine (the
    // expiry is cut to whole seconds), then waited out below.
    let soon = std::time::SystemTime::now() + std::time::Duration::from_secs(8);
    let mut index: Value = serde_json::from_slice(&env.read(&reg.index())).unwrap();
    index["expires"] = json!(rfc3339(soon));
    env.write(&reg.index(), serde_json::to_vec(&index).unwrap());
    converted_in_place(&env, &reg);
    let server = Server::start();
    let url = serve_cacheable(&env, &server, "registry");
    install(&env, &url, "colmask@=1.0.0").expect(OK);
    let expired = soon + std::time::Duration::from_secs(1);
    if let Ok(left) = expired.duration_since(std::time::SystemTime::now()) {
        std::thread::sleep(left);
    }
    let first = server.cacheable().len();
    env.run(&[
        "upgrade",
        "colmask",
        "--registry",
        &url,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ])
    .expect(INTEGRITY)
    .says(&["timestamp.json", "expired"]);
    // The cached copy was judged (a 304), then a fresh one: refused both.
    let answers = answered(&server, first);
    assert!(
        answers.contains(&("/reg/timestamp.json".into(), 304)),
        "{answers:?}"
    );
    assert!(
        answers.contains(&("/reg/timestamp.json".into(), 200)),
        "{answers:?}"
    );
    assert_eq!(env.read("plugins/colmask.wasm"), V1);
}

/// `when` as RFC 3339 in UTC (seconds).
fn rfc3339(when: std::time::SystemTime) -> String {
    let secs = when
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn publishing_a_new_plugin_adds_it_to_the_name_list_search_reads() {
    let (env, reg) = flat();
    converted_in_place(&env, &reg);
    let names = || -> Value { serde_json::from_slice(&env.read("registry/names.json")).unwrap() };
    let before = names();
    // A new version of a listed plugin leaves the list as it was.
    env.write("colmask-2.1.0.wasm", b"\0asm colmask 2.1");
    env.run(&[
        "publish",
        "colmask-2.1.0.wasm",
        "--registry",
        "registry",
        "--key",
        "keys/index.key",
    ])
    .expect(OK);
    assert_eq!(names(), before);
    // A new plugin is added, and search finds it through its signed file.
    env.write("newplug-1.0.0.wasm", b"\0asm newplug");
    env.run(&[
        "publish",
        "newplug-1.0.0.wasm",
        "--registry",
        "registry",
        "--key",
        "keys/index.key",
    ])
    .expect(OK);
    let after = names();
    assert_eq!(
        after["names"].as_array().unwrap().len(),
        before["names"].as_array().unwrap().len() + 1
    );
    assert!(
        after["names"]
            .as_array()
            .unwrap()
            .contains(&json!("newplug")),
        "{after}"
    );
    let found = env
        .run(&[
            "search",
            "newpl",
            "--registry",
            "registry",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    assert!(found.to_string().contains("newplug"), "{found}");
}

#[test]
fn publish_and_yank_into_a_registry_with_freshness_files_write_a_new_generation() {
    let (env, reg) = flat();
    converted_in_place(&env, &reg);
    let index_key = ["--key", "keys/index.key"];
    env.write("colmask-2.1.0.wasm", b"\0asm colmask 2.1");
    let report = env
        .run(
            &[
                &["publish", "colmask-2.1.0.wasm", "--registry", "registry"][..],
                &index_key,
                &["--timestamp-expires", "2h", "--json"],
            ]
            .concat(),
        )
        .expect(OK)
        .json();
    let timestamp: Value = serde_json::from_slice(&env.read("registry/timestamp.json")).unwrap();
    assert_eq!(timestamp["version"], json!(2), "{timestamp}");
    assert_eq!(report["timestamp"]["version"], json!(2), "{report}");
    assert_eq!(
        report["timestamp"]["expires"], timestamp["expires"],
        "{report}"
    );
    assert_eq!(timestamp["snapshot"]["version"], json!(2), "{timestamp}");
    // Two hours from now, not the index's (absent) expiry nor a day.
    let expires = timestamp["expires"].as_str().unwrap().to_string();
    assert!(
        expires > later(3_600) && expires < later(3 * 3_600),
        "{expires}"
    );
    let bin: Value =
        serde_json::from_slice(&env.read(&format!("registry/bins/{}.2.json", bin_of("colmask"))))
            .unwrap();
    // Its new version, and the digest that stands for its `.sig`.
    let file = env.read("registry/co/lm/colmask");
    assert_eq!(
        bin["plugins"]["colmask"],
        json!({"version": 2, "sha256": sha256_hex(&file)}),
        "{bin}"
    );
    // The generation before stays, for clients holding its timestamp.
    assert!(env.path("registry/1.snapshot.json").exists());

    // Over http, through the new timestamp, snapshot and bin.
    let server = Server::start();
    let url = serve(&env, &server, "registry");
    install(&env, &url, "colmask").expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm colmask 2.1");
    assert_eq!(server.hits("/reg/2.snapshot.json"), 1);
    // hello's file is untouched, and still listed by its bin.
    install(&env, "registry", "hello").expect(OK);

    let yanked = env
        .run(
            &[
                &["yank", "colmask@2.1.0", "--registry", "registry"][..],
                &index_key,
            ]
            .concat(),
        )
        .expect(OK);
    assert!(
        yanked.stdout.contains("timestamp.json version 3, expires"),
        "{}",
        yanked.stdout
    );
    let timestamp: Value = serde_json::from_slice(&env.read("registry/timestamp.json")).unwrap();
    assert_eq!(timestamp["version"], json!(3), "{timestamp}");
    let rows = env
        .run(&[
            "outdated",
            "--registry",
            "registry",
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    let colmask = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "colmask")
        .unwrap();
    assert_eq!(colmask["yanked"], json!(true), "{rows}");

    // The signed timestamp is not rewritten unsigned: refused, nothing written.
    env.write("hello-0.2.0.wasm", b"\0asm hello 2");
    // (hello's own signature taken away, so that the timestamp's refuses.)
    std::fs::remove_file(env.path("registry/he/ll/hello.sig")).unwrap();
    let before = env.snapshot("registry");
    env.run(&["publish", "hello-0.2.0.wasm", "--registry", "registry"])
        .expect(INPUT)
        .says(&["timestamp.json is signed", "--key"]);
    assert_eq!(env.snapshot("registry"), before);
}

fn later(seconds: u64) -> String {
    let then = std::time::SystemTime::now() + std::time::Duration::from_secs(seconds);
    humantime::format_rfc3339_seconds(then).to_string()
}

#[test]
fn a_sparse_registry_over_http_mirrors_through_its_name_list() {
    let (env, reg) = flat();
    converted_in_place(&env, &reg);
    let server = Server::start();
    let url = serve_cacheable(&env, &server, "registry");
    // A stale name in the list (no file) is passed over.
    let mut names: Value = serde_json::from_slice(&env.read("registry/names.json")).unwrap();
    names["names"].as_array_mut().unwrap().push(json!("gone"));
    server.route(
        "/reg/names.json",
        Reply::Body(serde_json::to_vec(&names).unwrap()),
    );
    let back = env
        .run(&[
            "mirror",
            "--registry",
            &url,
            "--out",
            "back",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    assert_eq!(back["fetched"].as_array().unwrap().len(), 3, "{back}");
    assert_eq!(
        entries_of(&env, "back/index.json"),
        entries_of(&env, &reg.index())
    );
    // Without a name list, refused naming what to do; nothing written.
    server.route("/reg/names.json", Reply::Status(404));
    env.run(&[
        "mirror",
        "--registry",
        &url,
        "--out",
        "none",
        "--trust-root",
        "trust",
    ])
    .expect(INPUT)
    .says(&["no name list", "local copy"]);
    assert!(!env.path("none").exists());
}

fn entries_of(env: &Env, index: &str) -> Vec<(String, String, String, String)> {
    let index: Value = serde_json::from_slice(&env.read(index)).unwrap();
    let mut all: Vec<_> = index["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let field = |f: &str| e[f].as_str().unwrap_or_default().to_string();
            (
                field("name"),
                field("version"),
                field("sha256"),
                field("signature"),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn mirror_flat_to_sparse_to_flat_gives_the_same_entries() {
    let (env, reg) = flat();
    let trust = ["--trust-root", "trust"];
    let out = env
        .run(
            &[
                &[
                    "mirror",
                    "--registry",
                    &reg.index(),
                    "--out",
                    "sparse",
                    "--sparse",
                ][..],
                &["--key", "keys/index.key"],
                &trust,
            ]
            .concat(),
        )
        .expect(OK);
    assert!(
        out.stdout.contains("wrote a sparse registry") && out.stdout.contains("signed with --key"),
        "{}",
        out.stdout
    );
    for file in [
        "config.json",
        "co/lm/colmask.sig",
        "timestamp.json.sig",
        "1.snapshot.json",
    ] {
        assert!(env.path(&format!("sparse/{file}")).exists(), "{file}");
    }
    assert!(!env.path("sparse/index.json").exists());
    // The artefacts were copied into it, checked: it stands on its own.
    assert_eq!(env.read("sparse/colmask-2.0.0.wasm"), V2);
    install(&env, "sparse", "colmask").expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V2);

    // Back to a flat index: every plugin file walked, judged (signature
    // under the trust root, bin) and its artefacts checked again.
    let back = env
        .run(
            &[
                &["mirror", "--registry", "sparse", "--out", "back", "--json"][..],
                &trust,
            ]
            .concat(),
        )
        .expect(OK)
        .json();
    assert_eq!(back["fetched"].as_array().unwrap().len(), 3, "{back}");
    assert_eq!(
        entries_of(&env, "back/index.json"),
        entries_of(&env, &reg.index())
    );
    assert_eq!(entries_of(&env, "back/index.json").len(), 3);
    std::fs::remove_dir_all(env.path("plugins")).unwrap();
    install(&env, "back/index.json", "hello").expect(OK);

    // A sparse plugin file that its bin does not vouch for stops the mirror.
    let file = env.read("sparse/he/ll/hello");
    let text = String::from_utf8(file).unwrap();
    env.write(
        "sparse/he/ll/hello",
        text.replace("\"version\": 1", "\"version\": 9"),
    );
    env.run(
        &[
            &["mirror", "--registry", "sparse", "--out", "again"][..],
            &trust,
        ]
        .concat(),
    )
    .expect(INTEGRITY)
    .says(&["he/ll/hello"]);
    assert!(!env.path("again/index.json").exists());
}

#[test]
fn trust_sign_adds_a_key_to_every_plugin_file_and_the_timestamp_of_a_sparse_registry() {
    let (env, reg) = flat();
    converted_in_place(&env, &reg);
    env.run(&["keygen", "--name", "index2", "--out-dir", "keys"])
        .expect(OK);
    // A trust root that knows only the second index key (and the release
    // key the artefacts are signed with).
    std::fs::create_dir(env.path("trust2")).unwrap();
    for (from, to) in [
        ("trust/release.pub", "trust2/release.pub"),
        ("keys/index2.pub", "trust2/index2.pub"),
    ] {
        std::fs::copy(env.path(from), env.path(to)).unwrap();
    }
    let install2 = |env: &Env| {
        env.run(&[
            "install",
            "colmask",
            "--registry",
            "registry",
            "--dest",
            "plugins",
            "--trust-root",
            "trust2",
        ])
    };
    install2(&env).expect(INTEGRITY);

    let sign = [
        "trust",
        "sign",
        "--registry",
        "registry",
        "--key",
        "keys/index2.key",
    ];
    let out = env.run(&sign).expect(OK);
    assert!(
        out.stdout.contains("to 3 of the 3 signed files") && out.stdout.contains("2 signature(s)"),
        "{}",
        out.stdout
    );
    for file in ["co/lm/colmask.sig", "he/ll/hello.sig", "timestamp.json.sig"] {
        let text = String::from_utf8(env.read(&format!("registry/{file}"))).unwrap();
        assert_eq!(text.lines().count(), 2, "{file}: {text}");
    }
    install2(&env).expect(OK);
    // Both keys' signatures hold: the first trust root still installs.
    install(&env, "registry", "hello").expect(OK);
    // Again: nothing to add.
    let again = env
        .run(&[&sign[..], &["--json"]].concat())
        .expect(OK)
        .json();
    assert_eq!(
        (again["added"].clone(), again["unchanged"].clone()),
        (json!(0), json!(true))
    );
}
