//! Transport and remote registries: a loopback server that misbehaves on
//! demand, https with certificates made here, a CONNECT proxy, size limits,
//! signed remote indexes (tampering, rollback, expiry), mirrors, and the
//! progress bar.

use crate::server::{Proxy, Reply, Server};
use crate::util::*;
use serde_json::{Value, json};
use std::ffi::OsStr;
use std::time::Duration;

const V1: &[u8] = b"\0asm transport v1";

fn v2_bytes() -> Vec<u8> {
    (0..300_000u32).map(|i| (i % 253) as u8).collect()
}

/// A local registry whose colmask 1.0.0 comes from `server`, installed with
/// a trust root; returns what is needed to publish a 2.0.0.
fn installed_from(server: &Server) -> (Env, Registry, Key) {
    let env = Env::new();
    let key = Key::new(31);
    key.trust(&env, "trust", "release");
    let mut reg = Registry::new("registry");
    let url = server.route("/v1/colmask.wasm", Reply::Body(V1.to_vec()));
    reg.publish(&env, "colmask", "1.0.0", V1, Some(&key))["artifact"] = url.into();
    reg.save(&env);
    install(&env, &reg, &[]).expect(OK);
    (env, reg, key)
}

fn install(env: &Env, reg: &Registry, extra: &[&str]) -> Run {
    let index = reg.index();
    let mut args = vec![
        "install",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

/// Serves 2.0.0 with `reply`, installs it with `extra` flags, expects `code`
/// and, on failure, an untouched plugins directory (no temp file either).
fn v2_served_as(reply: Reply, extra: &[&str], code: i32) -> (Run, String, Server) {
    let server = Server::start();
    let (env, mut reg, key) = installed_from(&server);
    let url = server.route("/v2/colmask.wasm", reply);
    reg.publish(&env, "colmask", "2.0.0", &v2_bytes(), Some(&key))["artifact"] = url.clone().into();
    reg.save(&env);
    let before = env.snapshot("plugins");
    let run = install(&env, &reg, extra).expect(code);
    if code == OK {
        assert_eq!(env.read("plugins/colmask.wasm"), v2_bytes());
    } else {
        assert_eq!(
            env.snapshot("plugins"),
            before,
            "the plugins directory changed"
        );
    }
    (run, url, server)
}

#[test]
fn a_server_that_closes_without_answering_is_a_fetch_failure() {
    let (run, url, server) = v2_served_as(Reply::Drop, &[], IO);
    run.says(&[&url]);
    assert_eq!(
        server.hits("/v2/colmask.wasm"),
        3,
        "retried up to three tries"
    );
}

#[test]
fn a_connection_reset_mid_body_is_a_fetch_failure() {
    let (run, url, _) = v2_served_as(Reply::ResetAfter(v2_bytes(), 100_000), &[], IO);
    let run = run.says(&[&url]);
    assert!(!run.stderr.contains("digest"), "{}", run.stderr);
}

#[test]
fn half_a_body_is_retried_then_reported() {
    let (run, url, server) = v2_served_as(Reply::CutAfter(v2_bytes(), 150_000), &[], IO);
    run.says(&[&url]);
    assert_eq!(server.hits("/v2/colmask.wasm"), 3);
}

#[test]
fn a_corrupted_byte_is_a_digest_mismatch_and_not_retried() {
    let mut corrupt = v2_bytes();
    corrupt[123_456] ^= 1;
    let (run, url, server) = v2_served_as(Reply::Body(corrupt), &[], INTEGRITY);
    run.says(&["digest mismatch", &url]);
    assert_eq!(server.hits("/v2/colmask.wasm"), 1);
}

#[test]
fn a_trickling_server_times_out() {
    let (run, url, _) = v2_served_as(
        Reply::Trickle(v2_bytes(), Duration::from_millis(1500)),
        &["--timeout", "1"],
        IO,
    );
    assert!(!run.stderr.contains("per read"), "{}", run.stderr);
    run.says(&[&url, "timed out", "no data for too long"]);
}

#[test]
fn a_server_trickling_its_headers_times_out_within_the_timeout() {
    let started = std::time::Instant::now();
    let (run, url, _) = v2_served_as(
        Reply::TrickleHead(Duration::from_millis(100)),
        &["--timeout", "1"],
        IO,
    );
    run.says(&[&url, "timed out", "within the read timeout (--timeout)"]);
    // Three tries of about a second each, and the backoff between them;
    // each header byte alone would have restarted a per-read timeout.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_server_that_never_answers_times_out_in_words() {
    let (run, url, _) = v2_served_as(Reply::Hang(Duration::from_secs(4)), &["--timeout", "1"], IO);
    assert!(
        !run.stderr.contains("per read") && !run.stderr.contains("RecvResponse"),
        "{}",
        run.stderr
    );
    run.says(&[
        &url,
        "timed out",
        "no whole response head (status and headers) within the read timeout (--timeout)",
    ]);
}

#[test]
fn a_500_then_success_is_retried_into_an_install() {
    let (_, _, server) = v2_served_as(
        Reply::Sequence(vec![Reply::Status(500)], Box::new(Reply::Body(v2_bytes()))),
        &[],
        OK,
    );
    assert_eq!(server.hits("/v2/colmask.wasm"), 2);
}

#[test]
fn a_failure_mid_stream_restarts_the_stream_and_the_digest() {
    let (_, _, server) = v2_served_as(
        Reply::Sequence(
            vec![Reply::Status(503), Reply::CutAfter(v2_bytes(), 200_000)],
            Box::new(Reply::Body(v2_bytes())),
        ),
        &[],
        OK,
    );
    assert_eq!(server.hits("/v2/colmask.wasm"), 3);
}

#[test]
fn a_client_error_is_not_retried() {
    let (run, url, server) = v2_served_as(Reply::Status(403), &[], IO);
    run.says(&[&url, "HTTP 403"]);
    assert_eq!(server.hits("/v2/colmask.wasm"), 1);
}

#[test]
fn a_lasting_server_error_gives_up_after_three_tries() {
    let (run, url, server) = v2_served_as(Reply::Status(502), &[], IO);
    run.says(&[&url, "HTTP 502"]);
    assert_eq!(server.hits("/v2/colmask.wasm"), 3);
}

#[test]
fn a_redirect_loop_is_cut_off() {
    let (run, url, _) = v2_served_as(Reply::Redirect("/v2/colmask.wasm".into()), &[], IO);
    run.says(&[&url, "redirects"]);
}

/// The redirect limit at its edge: five hops are followed, six are not.
#[test]
fn five_redirects_are_followed_and_six_are_not() {
    for (hops, code) in [(5, OK), (6, IO)] {
        let server = Server::start();
        let (env, mut reg, key) = installed_from(&server);
        server.route(&format!("/hop{hops}"), Reply::Body(v2_bytes()));
        for hop in 0..hops {
            server.route(
                &format!("/hop{hop}"),
                Reply::Redirect(format!("/hop{}", hop + 1)),
            );
        }
        let url = format!("{}/hop0", server.base);
        reg.publish(&env, "colmask", "2.0.0", &v2_bytes(), Some(&key))["artifact"] = url.into();
        reg.save(&env);
        let run = install(&env, &reg, &[]).expect(code);
        if code == IO {
            run.says(&["more than 5 redirects"]);
        }
    }
}

#[test]
fn an_answer_that_is_not_http_is_reported_as_such_and_not_retried() {
    let (run, url, server) = v2_served_as(Reply::Garbage, &[], IO);
    run.says(&[&url, "valid HTTP"]);
    assert_eq!(server.hits("/v2/colmask.wasm"), 1);
}

#[test]
fn an_artifact_over_max_size_is_refused_early() {
    let (run, url, server) =
        v2_served_as(Reply::Body(v2_bytes()), &["--max-size", "100KiB"], INPUT);
    run.says(&[&url, "larger than the limit of 102400 bytes", "--max-size"]);
    assert_eq!(server.hits("/v2/colmask.wasm"), 1);
}

#[test]
fn a_source_disagreeing_with_the_published_size_is_refused() {
    let server = Server::start();
    let (env, mut reg, key) = installed_from(&server);
    let url = server.route("/v2/colmask.wasm", Reply::Body(v2_bytes()));
    let entry = reg.publish(&env, "colmask", "2.0.0", &v2_bytes(), Some(&key));
    entry["artifact"] = url.clone().into();
    entry["size"] = json!(299_999);
    reg.save(&env);
    let before = env.snapshot("plugins");
    install(&env, &reg, &[])
        .expect(INTEGRITY)
        .says(&["size mismatch", "299999", "300000"]);
    assert_eq!(env.snapshot("plugins"), before);
}

/// A CA, and a leaf for 127.0.0.1 and localhost signed by it: rustls
/// refuses a CA certificate used as the server's own, even when trusted.
struct Pki {
    ca_pem: String,
    chain_pem: String,
    key_pem: String,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, SanType};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "wasm-plugin test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let mut leaf_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
    Pki {
        ca_pem: ca.pem(),
        chain_pem: format!("{}{}", leaf.pem(), ca.pem()),
        key_pem: leaf_key.serialize_pem(),
    }
}

/// An https server with colmask 2.0.0, and a registry pointing at it.
fn https_setup() -> (Env, Registry, Server, Pki) {
    let pki = pki();
    let server = Server::start_tls(&pki.chain_pem, &pki.key_pem);
    let env = Env::new();
    let key = Key::new(32);
    key.trust(&env, "trust", "release");
    env.write("ca.pem", &pki.ca_pem);
    let mut reg = Registry::new("registry");
    let url = server.route("/colmask.wasm", Reply::Body(v2_bytes()));
    reg.publish(&env, "colmask", "2.0.0", &v2_bytes(), Some(&key))["artifact"] = url.into();
    reg.save(&env);
    (env, reg, server, pki)
}

#[test]
fn https_with_a_private_ca_needs_ca_cert() {
    let (env, reg, server, _) = https_setup();
    install(&env, &reg, &[]).expect(IO).says(&[
        "127.0.0.1",
        "not signed by a trusted authority",
        "--ca-cert",
    ]);
    assert!(env.visible("plugins").is_empty());
    assert_eq!(
        server.hits("/colmask.wasm"),
        0,
        "no request crosses an untrusted connection"
    );
    install(&env, &reg, &["--ca-cert", "ca.pem"]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), v2_bytes());
}

#[test]
fn a_redirect_from_https_down_to_plain_http_is_refused() {
    let (env, mut reg, server, _) = https_setup();
    let plain = Server::start();
    let downgrade = plain.route("/colmask.wasm", Reply::Body(v2_bytes()));
    let url = server.route("/moved.wasm", Reply::Redirect(downgrade));
    reg.entries[0]["artifact"] = url.clone().into();
    reg.save(&env);
    install(&env, &reg, &["--ca-cert", "ca.pem"])
        .expect(IO)
        .says(&[&url, "from https to plain http"]);
    assert_eq!(plain.hits("/colmask.wasm"), 0);
    assert!(env.visible("plugins").is_empty());
}

#[test]
fn the_ca_can_come_from_the_environment() {
    let (env, reg, _server, _) = https_setup();
    let index = reg.index();
    let ca = env.path("ca.pem");
    env.run_with(
        &[
            "install",
            "colmask",
            "--registry",
            &index,
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ],
        &[("WASM_PLUGIN_CA_CERT", ca.as_os_str())],
    )
    .expect(OK);
}

#[test]
fn a_bad_ca_file_is_a_usage_error() {
    let (env, reg, _server, _) = https_setup();
    env.write("bad.pem", "not a certificate");
    install(&env, &reg, &["--ca-cert", "bad.pem"])
        .expect(INPUT)
        .says(&["bad.pem holds no certificate"]);
}

#[test]
fn https_goes_through_the_proxy_named_by_https_proxy() {
    let (env, reg, server, _) = https_setup();
    let proxy = Proxy::start();
    let index = reg.index();
    let args = [
        "install",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
        "--ca-cert",
        "ca.pem",
    ];
    env.run_with(&args, &[("HTTPS_PROXY", OsStr::new(&proxy.url))])
        .expect(OK);
    assert_eq!(proxy.tunnels(), [format!("127.0.0.1:{}", server.port())]);
    // NO_PROXY lets it go direct.
    std::fs::remove_dir_all(env.path("plugins")).unwrap();
    env.run_with(
        &args,
        &[
            ("HTTPS_PROXY", OsStr::new(&proxy.url)),
            ("NO_PROXY", OsStr::new("127.0.0.1")),
        ],
    )
    .expect(OK);
    assert_eq!(proxy.tunnels().len(), 1, "NO_PROXY was not honoured");
}

/// A registry served over plain http: index.json, its signature, and
/// artefacts referenced relatively.
struct Remote {
    env: Env,
    server: Server,
    key: Key,
    url: String,
}

impl Remote {
    fn new() -> Remote {
        let env = Env::new();
        let key = Key::new(33);
        key.trust(&env, "trust", "registry");
        let server = Server::start();
        let url = format!("{}/reg/index.json", server.base);
        Remote {
            env,
            server,
            key,
            url,
        }
    }

    /// Serves an index of `version` listing `plugins` (name, version, bytes).
    fn publish(
        &self,
        version: u64,
        expires: Option<&str>,
        plugins: &[(&str, &str, &[u8])],
    ) -> Vec<u8> {
        let entries: Vec<Value> = plugins
            .iter()
            .map(|(name, v, bytes)| {
                let file = format!("{name}-{v}.wasm");
                self.server
                    .route(&format!("/reg/{file}"), Reply::Body(bytes.to_vec()));
                json!({"name": name, "version": v, "artifact": file, "sha256": sha256_hex(bytes),
                       "signature": self.key.sign_b64(bytes), "size": bytes.len()})
            })
            .collect();
        let mut index = json!({"schema_version": "1", "version": version, "plugins": entries});
        if let Some(expires) = expires {
            index["expires"] = json!(expires);
        }
        let bytes = serde_json::to_vec_pretty(&index).unwrap();
        self.server
            .route("/reg/index.json", Reply::Body(bytes.clone()));
        self.server.route(
            "/reg/index.json.sig",
            Reply::Body(self.key.sign_b64(&bytes).into_bytes()),
        );
        bytes
    }

    fn install(&self, extra: &[&str]) -> Run {
        let mut args = vec![
            "install",
            "colmask",
            "--registry",
            &self.url,
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ];
        args.extend_from_slice(extra);
        self.env.run(&args)
    }
}

#[test]
fn a_signed_remote_index_installs_with_relative_artifacts() {
    let remote = Remote::new();
    remote.publish(1, None, &[("colmask", "1.0.0", b"remote one")]);
    let out = remote.install(&[]).expect(OK);
    assert!(
        out.stdout.contains("installed colmask 1.0.0"),
        "{}",
        out.stdout
    );
    assert_eq!(remote.env.read("plugins/colmask.wasm"), b"remote one");
    let receipt: Value = serde_json::from_slice(
        &remote
            .env
            .read("plugins/.wasm-plugin/receipts/colmask.json"),
    )
    .unwrap();
    assert_eq!(receipt["registry"], remote.url);
    assert_eq!(
        receipt["artifact"],
        format!("{}/reg/colmask-1.0.0.wasm", remote.server.base)
    );
    let listed = remote
        .env
        .run(&[
            "list",
            "--registry",
            &remote.url,
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    assert_eq!(listed["signed_by"], "registry");
    assert_eq!(listed["version"], 1);
}

/// `url` with `user:secret@` before its host.
fn with_secret(url: &str) -> String {
    url.replacen("://", "://user:secret@", 1)
}

/// Refused as a usage error naming where credentials go, with the secret in
/// no output and no file under `plugins`.
#[track_caller]
fn refused_keeping_the_secret(env: &Env, run: Run) {
    let run = run.expect(INPUT);
    for (what, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(!text.contains("secret"), "{what} shows the secret:\n{text}");
    }
    if !run.stdout.trim_start().starts_with(['{', '[']) {
        run.says(&["credentials", "--registry-token-file", "docker"]);
    }
    fn walk(dir: &std::path::Path) {
        for entry in std::fs::read_dir(dir).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains("secret"),
                    "{} holds the secret",
                    path.display()
                );
            }
        }
    }
    walk(&env.path("plugins"));
}

#[test]
fn a_registry_url_with_credentials_is_refused_before_any_request() {
    let remote = Remote::new();
    remote.publish(1, None, &[("colmask", "1.0.0", b"remote one")]);
    let env = &remote.env;
    let url = with_secret(&remote.url);
    let install = |extra: &[&str]| {
        let mut args = vec![
            "install",
            "colmask",
            "--registry",
            &url,
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let run = install(&[]);
    assert!(
        run.stderr.contains(&format!(
            "http://***@127.0.0.1:{}/reg/index.json",
            remote.server.port()
        )),
        "{}",
        run.stderr
    );
    refused_keeping_the_secret(env, run);
    let run = install(&["--json"]);
    assert_eq!(run.json()[0]["error"]["kind"], "unsupported-location");
    refused_keeping_the_secret(env, run);
    for verb in ["list", "info colmask", "search col"] {
        let mut args: Vec<&str> = verb.split(' ').collect();
        args.extend(["--registry", &url, "--json"]);
        refused_keeping_the_secret(env, env.run(&args));
    }
    // Not a byte sent: no request at all, so no Authorization either.
    assert_eq!(remote.server.requests(), []);
    // The same registry without them installs.
    remote.install(&[]).expect(OK);
}

#[test]
fn an_artifact_url_with_credentials_is_refused_before_any_request() {
    let server = Server::start();
    let env = Env::new();
    let mut reg = Registry::new("registry");
    let url = server.route("/colmask.wasm", Reply::Body(V1.to_vec()));
    reg.publish(&env, "colmask", "1.0.0", V1, None)["artifact"] = with_secret(&url).into();
    reg.save(&env);
    let index = reg.index();
    let args = [
        "install",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
    ];
    refused_keeping_the_secret(&env, env.run(&args));
    let mut json = args.to_vec();
    json.push("--json");
    refused_keeping_the_secret(&env, env.run(&json));
    // Nor may publish write one into an index.
    env.write("x-1.0.0.wasm", V1);
    let before = env.read(&index);
    let publish = [
        "publish",
        "x-1.0.0.wasm",
        "--registry",
        &index,
        "--artifact",
        "https://user:secret@plugins.example/x.wasm",
    ];
    refused_keeping_the_secret(&env, env.run(&publish));
    assert_eq!(env.read(&index), before);
    assert_eq!(server.requests(), []);
}

#[test]
fn oci_references_with_credentials_are_refused_before_any_request() {
    let server = Server::start();
    let env = Env::new();
    let oci = format!("oci://user:secret@127.0.0.1:{}/acme", server.port());
    env.write("colmask-1.0.0.wasm", V1);
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", V1, None);
    let index = reg.index();
    for args in [
        vec![
            "install",
            "colmask",
            "--registry",
            &oci,
            "--dest",
            "plugins",
        ],
        vec!["list", "--registry", &oci, "--json"],
        vec!["publish", "colmask-1.0.0.wasm", "--oci", &oci],
        vec!["mirror", "--registry", &index, "--out", &oci],
    ] {
        refused_keeping_the_secret(&env, env.run(&args));
    }
    assert_eq!(server.requests(), []);
}

#[test]
fn a_proxy_url_with_credentials_is_refused_without_showing_them() {
    let server = Server::start();
    let env = Env::new();
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", V1, None);
    let index = reg.index();
    let args = [
        "install",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
    ];
    let proxy = with_secret(&server.base);
    for (var, value) in [
        ("HTTP_PROXY", proxy.as_str()),
        ("HTTPS_PROXY", proxy.as_str()),
        ("ALL_PROXY", "user:secret@127.0.0.1:3128"),
        // Not a URL at all: the error still does not repeat it.
        ("HTTPS_PROXY", "http://user:secret@bad host:1"),
    ] {
        let run = env
            .run_with(&args, &[(var, OsStr::new(value))])
            .expect(INPUT);
        assert!(!run.stderr.contains("secret"), "{var}: {}", run.stderr);
        run.says(&[var, "***@"]);
    }
    assert_eq!(server.requests(), []);
    assert!(!env.path("plugins/colmask.wasm").exists());
}

/// Resolve once: however many plugins a run installs, the index and its
/// signature are fetched once; each artefact once.
#[test]
fn an_install_of_several_plugins_fetches_the_index_once() {
    let remote = Remote::new();
    let plugins: &[(&str, &str, &[u8])] = &[
        ("colmask", "1.0.0", b"one"),
        ("rowfilter", "1.0.0", b"two"),
        ("audit-log", "1.0.0", b"three"),
    ];
    remote.publish(1, None, plugins);
    let args = [
        "install",
        "colmask",
        "rowfilter",
        "audit-log",
        "--registry",
        &remote.url,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ];
    remote.env.run(&args).expect(OK);
    assert_eq!(remote.server.hits("/reg/index.json"), 1);
    assert_eq!(remote.server.hits("/reg/index.json.sig"), 1);
    for (name, version, _) in plugins {
        assert_eq!(
            remote.server.hits(&format!("/reg/{name}-{version}.wasm")),
            1,
            "{name}"
        );
    }
    // Into a fresh directory too (there is no read-only pre-pass any more).
    let fresh = [
        "install",
        "colmask",
        "rowfilter",
        "--registry",
        &remote.url,
        "--dest",
        "fresh",
        "--trust-root",
        "trust",
    ];
    remote.env.run(&fresh).expect(OK);
    assert_eq!(remote.server.hits("/reg/index.json"), 2);
    assert_eq!(remote.server.hits("/reg/index.json.sig"), 2);
}

#[test]
fn a_tampered_remote_index_is_refused() {
    let remote = Remote::new();
    let honest = remote.publish(1, None, &[("colmask", "1.0.0", b"remote one")]);
    remote.install(&[]).expect(OK);
    let before = remote.env.snapshot("plugins");
    // Another artefact slipped into the index, the old signature kept.
    remote.publish(2, None, &[("colmask", "1.1.0", b"evil")]);
    remote.server.route(
        "/reg/index.json.sig",
        Reply::Body(remote.key.sign_b64(&honest).into_bytes()),
    );
    remote
        .install(&[])
        .expect(INTEGRITY)
        .says(&["does not verify", &remote.url]);
    assert_eq!(remote.env.snapshot("plugins"), before);
}

#[test]
fn an_unsigned_index_over_http_is_refused() {
    let remote = Remote::new();
    remote.publish(1, None, &[("colmask", "1.0.0", b"remote one")]);
    remote
        .server
        .route("/reg/index.json.sig", Reply::Status(404));
    remote
        .install(&[])
        .expect(INTEGRITY)
        .says(&["plain http", "no signature"]);
    assert!(remote.env.visible("plugins").is_empty());
    // Nor can it be accepted by leaving out the trust root.
    remote.publish(1, None, &[("colmask", "1.0.0", b"remote one")]);
    remote
        .env
        .run(&[
            "install",
            "colmask",
            "--registry",
            &remote.url,
            "--dest",
            "plugins",
        ])
        .expect(INTEGRITY)
        .says(&["--trust-root"]);
}

#[test]
fn an_older_index_is_refused_after_a_newer_one_was_seen() {
    let remote = Remote::new();
    remote.publish(7, None, &[("colmask", "1.0.0", b"one")]);
    remote.install(&[]).expect(OK);
    // A replayed, validly signed, older index bringing back 0.9.0.
    remote.publish(6, None, &[("colmask", "0.9.0", b"withdrawn")]);
    let before = remote.env.snapshot("plugins");
    remote
        .install(&["--allow-downgrade"])
        .expect(INTEGRITY)
        .says(&["version 6, older than version 7"]);
    assert_eq!(remote.env.snapshot("plugins"), before);
    remote.publish(8, None, &[("colmask", "1.1.0", b"newer")]);
    remote.install(&[]).expect(OK);
}

/// A registry that was deliberately reset: its recorded version is
/// forgotten by a command, not by editing JSON, and only its own.
#[test]
fn forget_registry_accepts_a_reset_registry_again() {
    let remote = Remote::new();
    remote.publish(7, None, &[("colmask", "1.0.0", b"one")]);
    remote.install(&[]).expect(OK);
    remote.publish(1, None, &[("colmask", "1.0.0", b"one")]);
    remote
        .install(&[])
        .expect(INTEGRITY)
        .says(&["forget-registry", &remote.url]);
    let forget = |json: bool| {
        let mut args = vec!["forget-registry", &remote.url, "--dest", "plugins"];
        if json {
            args.push("--json");
        }
        remote.env.run(&args).expect(OK)
    };
    let report = forget(true).json();
    assert_eq!(report["forgotten"], 7, "{report}");
    assert_eq!(report["registry"], remote.url.as_str());
    remote.install(&[]).expect(OK);
    // Recorded again at 1; forgetting what is not recorded says so.
    let state = remote.env.read("plugins/.wasm-plugin/registries.json");
    assert!(String::from_utf8_lossy(&state).contains(": 1"));
    let other = remote
        .env
        .run(&[
            "forget-registry",
            "https://elsewhere.example/index.json",
            "--dest",
            "plugins",
        ])
        .expect(OK);
    assert!(
        other.stdout.contains("nothing is recorded") && other.stdout.contains(&remote.url),
        "{}",
        other.stdout
    );
    assert_eq!(
        remote.env.read("plugins/.wasm-plugin/registries.json"),
        state
    );
}

/// The hole a no-op install used to leave: an index seen only while the
/// plugin was already current was never recorded, so an older one replayed
/// afterwards was accepted.
#[test]
fn an_index_seen_by_a_no_op_install_is_recorded_against_rollback() {
    let remote = Remote::new();
    let plugins: &[(&str, &str, &[u8])] = &[("colmask", "1.0.0", b"one")];
    remote.publish(2, None, plugins);
    remote.install(&[]).expect(OK);
    remote.publish(3, None, plugins);
    let out = remote.install(&[]).expect(OK);
    assert!(out.stdout.contains("nothing to do"), "{}", out.stdout);
    remote.publish(2, None, plugins);
    let before = remote.env.snapshot("plugins");
    remote
        .install(&[])
        .expect(INTEGRITY)
        .says(&["version 2, older than version 3"]);
    assert_eq!(remote.env.snapshot("plugins"), before);
    // upgrade records what it saw too.
    remote.publish(4, None, plugins);
    let upgrade = [
        "upgrade",
        "colmask",
        "--registry",
        &remote.url,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ];
    remote.env.run(&upgrade).expect(OK);
    remote.publish(3, None, plugins);
    remote
        .install(&[])
        .expect(INTEGRITY)
        .says(&["version 3, older than version 4"]);
}

/// A sync records the index versions it installed from, as install does:
/// its jobs run side by side, so the plan records them once.
#[test]
fn a_sync_records_the_index_version_against_rollback() {
    let remote = Remote::new();
    remote.env.write(
        "wasm-plugin.toml",
        format!(
            "dest = \"plugins\"\ntrust_root = \"trust\"\n[registries]\ndefault = \"{}\"\n\
             [plugins]\ncolmask = \"*\"\nrowfilter = \"*\"\n",
            remote.url
        ),
    );
    let sync = |extra: &[&str]| {
        let mut args = vec!["sync", "--config", "wasm-plugin.toml"];
        args.extend_from_slice(extra);
        remote.env.run(&args)
    };
    remote.publish(
        5,
        None,
        &[("colmask", "1.0.0", b"one"), ("rowfilter", "1.0.0", b"row")],
    );
    sync(&[]).expect(OK);
    let state = remote.env.read("plugins/.wasm-plugin/registries.json");
    assert!(
        String::from_utf8_lossy(&state).contains(": 5"),
        "{}",
        String::from_utf8_lossy(&state)
    );
    // A replayed older index: every plugin from it fails, nothing changes,
    // and the lock keeps its pins.
    remote.publish(
        4,
        None,
        &[("colmask", "1.0.0", b"one"), ("rowfilter", "1.0.0", b"row")],
    );
    let before = remote.env.snapshot(".");
    sync(&[])
        .expect(INTEGRITY)
        .says(&["version 4, older than version 5"]);
    assert_eq!(remote.env.snapshot("."), before);
}

/// The attack run's seventh finding: `lock --upgrade` pinned from an index
/// older than the one the plugins directory recorded, which `sync` would
/// then refuse on every host.
#[test]
fn lock_holds_to_the_index_versions_the_plugins_directory_recorded() {
    let remote = Remote::new();
    remote.env.write(
        "wasm-plugin.toml",
        format!(
            "dest = \"plugins\"\ntrust_root = \"trust\"\n[registries]\ndefault = \"{}\"\n\
             [plugins]\ncolmask = \"*\"\n",
            remote.url
        ),
    );
    remote.publish(5, None, &[("colmask", "1.0.0", b"one")]);
    remote
        .env
        .run(&["sync", "--config", "wasm-plugin.toml"])
        .expect(OK);
    // A replayed older index offering a withdrawn, higher version.
    remote.publish(4, None, &[("colmask", "2.0.0", b"withdrawn")]);
    let before = remote.env.snapshot(".");
    let lock = |extra: &[&str]| {
        let mut args = vec!["lock", "--upgrade", "--config", "wasm-plugin.toml"];
        args.extend_from_slice(extra);
        remote.env.run(&args)
    };
    lock(&[])
        .expect(INTEGRITY)
        .says(&["version 4, older than version 5"]);
    lock(&["--dest", "plugins"])
        .expect(INTEGRITY)
        .says(&["version 4, older than version 5"]);
    assert_eq!(remote.env.snapshot("."), before);
    // Without the plugins directory (another checkout), nothing is recorded
    // to hold it to.
    lock(&["--dest", "elsewhere", "--dry-run"]).expect(OK);
    // The next release pins as usual.
    remote.publish(6, None, &[("colmask", "1.1.0", b"newer")]);
    let out = lock(&[]).expect(OK);
    assert!(out.stdout.contains("1.1.0"), "{}", out.stdout);
}

#[test]
fn an_expired_index_is_refused_unless_allowed() {
    let remote = Remote::new();
    remote.publish(
        1,
        Some("2020-01-01T00:00:00Z"),
        &[("colmask", "1.0.0", b"one")],
    );
    remote
        .install(&[])
        .expect(INTEGRITY)
        .says(&["expired at 2020-01-01T00:00:00Z", "--allow-expired"]);
    assert!(remote.env.visible("plugins").is_empty());
    remote.install(&["--allow-expired"]).expect(OK);
}

#[test]
fn a_mirror_is_a_self_contained_registry_and_refetches_only_changes() {
    let remote = Remote::new();
    remote.publish(
        1,
        None,
        &[
            ("colmask", "1.0.0", b"one"),
            ("rowfilter", "0.1.0", b"rows"),
        ],
    );
    let mirror = |env: &Env| {
        env.run(&[
            "mirror",
            "--registry",
            &remote.url,
            "--out",
            "usb",
            "--trust-root",
            "trust",
        ])
    };
    let out = mirror(&remote.env).expect(OK);
    assert!(out.stdout.contains("2 fetched"), "{}", out.stdout);
    assert!(out.stdout.contains("with its signature"), "{}", out.stdout);
    // Offline: the mirror installs with no server involved.
    remote
        .server
        .route("/reg/colmask-1.0.0.wasm", Reply::Status(500));
    remote
        .env
        .run(&[
            "install",
            "colmask",
            "--registry",
            "usb/index.json",
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ])
        .expect(OK);
    assert_eq!(remote.env.read("plugins/colmask.wasm"), b"one");

    // A new version: only it is fetched.
    remote.publish(
        2,
        None,
        &[
            ("colmask", "1.0.0", b"one"),
            ("colmask", "1.1.0", b"one-one"),
            ("rowfilter", "0.1.0", b"rows"),
        ],
    );
    let out = mirror(&remote.env).expect(OK);
    assert!(
        out.stdout.contains("1 fetched, 2 already there"),
        "{}",
        out.stdout
    );
    assert_eq!(remote.server.hits("/reg/colmask-1.0.0.wasm"), 1);
    assert_eq!(remote.server.hits("/reg/rowfilter-0.1.0.wasm"), 1);
    assert_eq!(remote.env.read("usb/colmask-1.1.0.wasm"), b"one-one");
}

#[test]
fn a_mirror_refuses_a_corrupt_artifact_and_keeps_what_it_had() {
    let remote = Remote::new();
    remote.publish(1, None, &[("colmask", "1.0.0", b"one")]);
    remote
        .env
        .run(&[
            "mirror",
            "--registry",
            &remote.url,
            "--out",
            "usb",
            "--trust-root",
            "trust",
        ])
        .expect(OK);
    let before = remote.env.snapshot("usb");
    remote.publish(2, None, &[("colmask", "1.1.0", b"good")]);
    remote
        .server
        .route("/reg/colmask-1.1.0.wasm", Reply::Body(b"gooo".to_vec()));
    remote
        .env
        .run(&[
            "mirror",
            "--registry",
            &remote.url,
            "--out",
            "usb",
            "--trust-root",
            "trust",
        ])
        .expect(INTEGRITY)
        .says(&["digest mismatch"]);
    assert_eq!(remote.env.snapshot("usb"), before);
}

/// Runs `args` under `script`, which gives the process a terminal.
fn in_a_terminal(env: &Env, args: &[&str]) -> String {
    let command = std::iter::once(bin())
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(&env.root)
        .env("XDG_CACHE_HOME", env.path(".cache"))
        .env("TERM", "xterm")
        .output()
        .expect("script(1) is installed");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn large_downloads_show_progress_on_a_terminal_only() {
    let server = Server::start();
    let (env, mut reg, key) = installed_from(&server);
    let big: Vec<u8> = (0..3u32 << 20).map(|i| (i % 241) as u8).collect();
    let url = server.route(
        "/big/colmask.wasm",
        Reply::Slow(big.clone(), 128 << 10, Duration::from_millis(40)),
    );
    reg.publish(&env, "colmask", "2.0.0", &big, Some(&key))["artifact"] = url.into();
    reg.save(&env);
    let index = reg.index();
    let args = [
        "install",
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ];
    let shown = in_a_terminal(&env, &args);
    assert!(
        shown.contains("colmask.wasm [") && shown.contains("MiB"),
        "no progress bar:\n{shown}"
    );
    // Quiet, JSON, or no terminal: no bar.
    std::fs::remove_dir_all(env.path("plugins")).unwrap();
    let quiet = in_a_terminal(&env, &[&args[..], &["--quiet"]].concat());
    assert!(!quiet.contains("MiB"), "{quiet}");
    std::fs::remove_dir_all(env.path("plugins")).unwrap();
    let piped = install(&env, &reg, &[]).expect(OK);
    assert!(!piped.stderr.contains("MiB"), "{}", piped.stderr);
}
