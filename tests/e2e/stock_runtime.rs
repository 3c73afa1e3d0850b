//! The standard-WASI variant (`component --wasi-http`) in a stock runtime:
//! the wasmtime CLI, with no host code of ours, driven as the README shows
//! (`wasmtime run [-S http] --dir ... --invoke '...'`).

use crate::server::{Reply, Server};
use crate::util::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The wasi:http variant, written once per test process by the real binary
/// (into cargo's scratch directory for tests, replaced whole each time).
fn wasi_http_component() -> &'static Path {
    static COMPONENT: OnceLock<PathBuf> = OnceLock::new();
    COMPONENT.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("installer-wasi-http.wasm");
        let run = Command::new(bin())
            .args(["component", "--wasi-http", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(run.status.success(), "{run:?}");
        out
    })
}

/// The names a component imports at its top level.
fn top_level_imports(bytes: &[u8]) -> Vec<String> {
    use wasmparser::{Parser, Payload};
    let mut depth = 0;
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("a valid component") {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth -= 1,
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    names.push(import.unwrap().name.name.to_string());
                }
            }
            _ => {}
        }
    }
    names
}

#[test]
fn the_wasi_http_variant_imports_only_standard_wasi() {
    let env = Env::new();
    let run = env
        .run(&["component", "--wasi-http", "--out", "i.wasm"])
        .expect(OK);
    assert!(
        run.stdout.contains("(wasi:http variant) to i.wasm"),
        "{}",
        run.stdout
    );
    let bytes = env.read("i.wasm");
    crate::scaffold::assert_component(&bytes);
    // Readable by a runtime running as another user.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(env.path("i.wasm"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    let imports = top_level_imports(&bytes);
    assert!(
        imports.iter().all(|name| name.starts_with("wasi:")),
        "non-WASI imports: {imports:?}"
    );
    assert!(
        imports
            .iter()
            .any(|n| n.starts_with("wasi:http/outgoing-handler@0.2")),
        "{imports:?}"
    );
    // The default component still asks its host for `fetch` and `digest`
    // (which the variant carries in WebAssembly).
    env.run(&["component", "--out", "d.wasm"]).expect(OK);
    let default = top_level_imports(&env.read("d.wasm"));
    for interface in ["fetch", "digest"] {
        assert!(
            default
                .iter()
                .any(|n| n.starts_with(&format!("wasm-plugin:installer/{interface}@"))),
            "{default:?}"
        );
    }
    assert!(!default.iter().any(|n| n.starts_with("wasi:http/")));
}

/// `--host-digest`: the wasi:http variant for a JavaScript host that hashes
/// natively (the Node package): `fetch` still composed in, `digest` left
/// its only import outside `wasi:*`.
#[test]
fn the_host_digest_variant_leaves_only_digest_to_its_host() {
    let env = Env::new();
    let run = env
        .run(&[
            "component",
            "--wasi-http",
            "--host-digest",
            "--out",
            "h.wasm",
        ])
        .expect(OK);
    assert!(
        run.stdout.contains("digest imported) to h.wasm"),
        "{}",
        run.stdout
    );
    // Its own default name: not the plain variant's, which it would replace.
    env.run(&["component", "--wasi-http", "--host-digest"])
        .expect(OK);
    assert_eq!(
        env.read("wasm-plugin-installer-wasi-http-host-digest.wasm"),
        env.read("h.wasm")
    );
    assert!(!env.path("wasm-plugin-installer-wasi-http.wasm").exists());
    let bytes = env.read("h.wasm");
    crate::scaffold::assert_component(&bytes);
    let imports = top_level_imports(&bytes);
    let own: Vec<_> = imports.iter().filter(|n| !n.starts_with("wasi:")).collect();
    assert_eq!(own.len(), 1, "{imports:?}");
    assert!(
        own[0].starts_with("wasm-plugin:installer/digest@"),
        "{imports:?}"
    );
    assert!(
        imports
            .iter()
            .any(|n| n.starts_with("wasi:http/outgoing-handler@0.2")),
        "{imports:?}"
    );
    // It only makes sense of the wasi:http variant.
    let refused = env
        .run(&["component", "--host-digest", "--out", "x.wasm"])
        .expect(INPUT);
    assert!(refused.stderr.contains("--wasi-http"), "{}", refused.stderr);
    assert!(!env.path("x.wasm").exists());
}

/// `wasmtime run` of the wasi:http variant with each of `dirs` (relative to
/// the scratch directory) preopened as `/<dir>`, invoking `call` (WAVE), as
/// the README shows it. `prefix` wraps the command (a read-only mount).
fn wasmtime(env: &Env, prefix: &[&str], dirs: &[&str], call: &str) -> Run {
    let (program, before) = match prefix.split_first() {
        Some((program, rest)) => (Path::new(program), rest),
        None => (wasmtime_cli(), &[][..]),
    };
    let mut cmd = Command::new(program);
    cmd.args(before);
    if !prefix.is_empty() {
        cmd.arg(wasmtime_cli());
    }
    cmd.args(["run", "-S", "http"]);
    for dir in dirs {
        cmd.arg("--dir").arg(format!("{dir}::/{dir}"));
    }
    cmd.arg("--invoke").arg(call).arg(wasi_http_component());
    Run::from(
        cmd.current_dir(env.path(""))
            .output()
            .expect("run wasmtime"),
    )
}

/// A string as a WAVE literal.
fn wave(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// An install of colmask into `/plugins` with the trust root `/trust`.
fn install_call(registry: &str) -> String {
    format!(
        "install({{registry: {}, spec: \"colmask\", version: none, dest: \"/plugins\", \
         trust-root: some(\"/trust\"), mode: install, allow-downgrade: false, \
         allow-expired: false, max-size: 536870912, preloaded: none, dry-run: false, \
         allow-imports: [], deny-imports: []}})",
        wave(registry),
    )
}

/// A plugins directory with colmask 1.0.0 installed by the native CLI.
fn installed() -> (Env, Registry) {
    let env = Env::new();
    let key = Key::new(5);
    key.trust(&env, "trust", "release");
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", b"\0asm stock v1", Some(&key));
    std::fs::create_dir(env.path("plugins")).unwrap();
    let index = reg.index();
    env.run(&[
        "install",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ])
    .expect(OK);
    (env, reg)
}

/// Runs `wasmtime` with `plugins` bind-mounted read-only onto itself in a
/// private mount namespace: wasmtime's `--dir` has no read-only mode, so the
/// operating system makes the grant read-only.
fn read_only(env: &Env, call: &str) -> Run {
    let plugins = env.path("plugins").display().to_string();
    let script = format!(
        "mount --bind {plugins} {plugins} && mount -o remount,bind,ro {plugins} && exec \"$@\""
    );
    wasmtime(
        env,
        &["unshare", "-rm", "sh", "-c", &script, "sh"],
        &["plugins", "trust", "registry"],
        call,
    )
}

#[test]
fn the_wasmtime_cli_audits_a_read_only_plugins_directory_and_reports_drift() {
    let (env, _reg) = installed();
    let audit = "audit(\"/plugins\", some(\"/trust\"), none, none, [], [])";
    let clean = read_only(&env, audit).expect(OK);
    assert!(
        clean.stdout.starts_with("ok(") && clean.stdout.contains("findings: []"),
        "{}",
        clean.stdout
    );
    assert!(clean.stdout.contains("signed-by: some(\"release\")"));

    env.write("plugins/colmask.wasm", b"\0asm tampered");
    let before = env.snapshot("plugins");
    let drift = read_only(&env, audit).expect(OK);
    assert!(drift.stdout.contains("kind: drift"), "{}", drift.stdout);
    assert!(drift.stdout.contains("colmask.wasm"), "{}", drift.stdout);

    // The grant really is read-only: an install through it fails and
    // changes nothing.
    let refused = read_only(&env, &install_call("/registry/index.json"));
    assert!(
        refused.stdout.starts_with("err({message: ")
            && refused.stdout.contains("detail: io(")
            && refused.stdout.contains("operation: \"create\""),
        "{}",
        refused.stdout
    );
    assert_eq!(env.snapshot("plugins"), before);
}

#[test]
fn the_wasmtime_cli_verifies_one_plugin() {
    let (env, _reg) = installed();
    let call = |trust: &str| {
        format!(
            "verify({{artifact: \"/plugins/colmask.wasm\", signature: none, trust-root: some(\"/{trust}\")}})"
        )
    };
    let ok = wasmtime(&env, &[], &["plugins", "trust"], &call("trust")).expect(OK);
    assert!(ok.stdout.starts_with("ok("), "{}", ok.stdout);
    assert!(ok.stdout.contains(&sha256_hex(b"\0asm stock v1")));
    assert!(
        ok.stdout.contains("signed-by: some(\"release\")"),
        "{}",
        ok.stdout
    );

    Key::new(6).trust(&env, "strangers", "someone");
    let untrusted = wasmtime(&env, &[], &["plugins", "strangers"], &call("strangers")).expect(OK);
    assert!(
        untrusted
            .stdout
            .starts_with("err({message: \"the signature of /plugins/colmask.wasm does not verify")
            && untrusted.stdout.contains("detail: signature-untrusted("),
        "{}",
        untrusted.stdout
    );
}

/// A signed registry on a loopback server: index, index signature and an
/// artefact, some reached through redirects.
fn served_registry(env: &Env, server: &Server, artifact: &str, bytes: &[u8]) -> String {
    let key = Key::new(7);
    key.trust(env, "trust", "registry");
    let index = serde_json::json!({"schema_version": "1", "version": 1, "plugins": [{
        "name": "colmask", "version": "2.0.0", "artifact": artifact,
        "sha256": sha256_hex(bytes), "signature": key.sign_b64(bytes)}]});
    let index = serde_json::to_vec(&index).unwrap();
    server.route(
        "/reg/index.json.sig",
        Reply::Body(key.sign_b64(&index).into_bytes()),
    );
    server.route("/reg/index.json", Reply::Body(index))
}

#[test]
fn the_wasmtime_cli_installs_from_an_http_registry_following_redirects() {
    let env = Env::new();
    std::fs::create_dir(env.path("plugins")).unwrap();
    let server = Server::start();
    let v2: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    server.route("/files/colmask-2.0.0.wasm", Reply::Body(v2.clone()));
    // Relative, through a redirect to a relative Location.
    server.route(
        "/reg/colmask.wasm",
        Reply::Redirect("/files/colmask-2.0.0.wasm".into()),
    );
    let url = served_registry(&env, &server, "colmask.wasm", &v2);

    let run = wasmtime(&env, &[], &["plugins", "trust"], &install_call(&url)).expect(OK);
    assert!(run.stdout.contains("action: installed"), "{}", run.stdout);
    assert_eq!(env.read("plugins/colmask.wasm"), v2);

    // What the component wrote is what the native CLI reads.
    let audit = env
        .run(&[
            "audit",
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    assert_eq!(audit["plugins"][0]["name"], "colmask");
    assert_eq!(audit["plugins"][0]["signed_by"], "registry");
}

#[test]
fn over_wasi_http_transport_failures_are_reported_as_the_native_host_reports_them() {
    let env = Env::new();
    std::fs::create_dir(env.path("plugins")).unwrap();
    let server = Server::start();
    let v2: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    // Each failure through the component in wasmtime, then through the
    // native CLI: the same cause, the same number of tries, nothing placed.
    let attempt = |artifact: &str, reply: Reply| {
        let path = format!("/reg/{artifact}");
        server.route(&path, reply);
        let url = served_registry(&env, &server, artifact, &v2);
        let wasi = wasmtime(&env, &[], &["plugins", "trust"], &install_call(&url)).expect(OK);
        let wasi_tries = server.hits(&path);
        let native = env
            .run(&[
                "install",
                "colmask",
                "--registry",
                &url,
                "--dest",
                "plugins",
                "--trust-root",
                "trust",
                "--json",
            ])
            .expect(IO)
            .json();
        assert_eq!(
            server.hits(&path) - wasi_tries,
            wasi_tries,
            "{}",
            wasi.stdout
        );
        assert_eq!(env.visible("plugins"), Vec::<String>::new());
        assert!(env.temp_files("plugins").is_empty());
        (wasi.stdout, native[0]["error"]["details"]["cause"].clone())
    };
    let (wasi, native) = attempt("missing.wasm", Reply::Status(404));
    assert!(wasi.contains("cause: http-status(404)"), "{wasi}");
    assert_eq!(
        native,
        serde_json::json!({"kind": "http-status", "value": 404})
    );
    let (wasi, native) = attempt("cut.wasm", Reply::CutAfter(v2.clone(), 100_000));
    assert!(
        wasi.contains("cause: truncated((100000, 300000))"),
        "{wasi}"
    );
    assert_eq!(
        native,
        serde_json::json!({"kind": "truncated", "value": [100000, 300000]})
    );
    let (wasi, native) = attempt("loop.wasm", Reply::Redirect("/reg/loop.wasm".into()));
    assert!(
        wasi.contains("cause: protocol(\"more than 5 redirects\")"),
        "{wasi}"
    );
    assert_eq!(
        native,
        serde_json::json!({"kind": "protocol", "value": "more than 5 redirects"})
    );
}

/// The wasi:http `send` (headers, any status) in a stock runtime: an
/// install from an OCI registry (Debian's docker-registry) by wasmtime.
#[test]
fn the_wasmtime_cli_installs_from_an_oci_registry() {
    let env = Env::new();
    std::fs::create_dir(env.path("plugins")).unwrap();
    let key = Key::new(8);
    key.trust(&env, "trust", "release");
    let oci = crate::oci::OciRegistry::start();
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 249) as u8).collect();
    let file = env.write("files/colmask.wasm", &bytes);
    oci.push("acme/colmask", "1.2.0", &file, Some(&key.sign_b64(&bytes)));
    let run = wasmtime(
        &env,
        &[],
        &["plugins", "trust"],
        &install_call(&oci.url("acme")),
    )
    .expect(OK);
    assert!(run.stdout.contains("action: installed"), "{}", run.stdout);
    assert!(run.stdout.contains("version: \"1.2.0\""), "{}", run.stdout);
    assert_eq!(env.read("plugins/colmask.wasm"), bytes);
    assert_eq!(
        String::from_utf8(env.read("plugins/colmask.sig")).unwrap(),
        key.sign_b64(&bytes)
    );
}
