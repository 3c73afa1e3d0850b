//! `install` of http:// artefacts from a loopback server started here,
//! including servers that fail or misbehave. Each failure names the URL and
//! what happened, exits with its code, and leaves the old plugin intact.

use crate::server::{Reply, Server};
use crate::util::*;

const V1: &[u8] = b"\0asm remote v1";

/// Publishes `bytes` as colmask `version` at `url` (signed by `key`).
fn publish_remote(
    env: &Env,
    reg: &mut Registry,
    version: &str,
    bytes: &[u8],
    url: &str,
    key: &Key,
) {
    reg.publish(env, "colmask", version, bytes, Some(key))["artifact"] = url.into();
    reg.save(env);
}

fn install(env: &Env, reg: &Registry) -> Run {
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
}

/// A server, a registry whose colmask 1.0.0 comes from it, installed.
fn with_v1_from_server() -> (Env, Registry, Key, Server) {
    let env = Env::new();
    let key = Key::new(3);
    key.trust(&env, "trust", "release");
    let server = Server::start();
    let url = server.route("/v1/colmask.wasm", Reply::Body(V1.to_vec()));
    let mut reg = Registry::new("registry");
    publish_remote(&env, &mut reg, "1.0.0", V1, &url, &key);
    install(&env, &reg).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), V1);
    (env, reg, key, server)
}

/// Publishes a 2.0.0 served with `reply`, installs, expects `code` and, for
/// a failure, an untouched plugins directory; returns the run.
fn v2_served_as(reply: impl FnOnce(Vec<u8>) -> Reply, code: i32) -> (Run, String) {
    let (env, mut reg, key, server) = with_v1_from_server();
    let v2: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let url = server.route("/v2/colmask.wasm", reply(v2.clone()));
    publish_remote(&env, &mut reg, "2.0.0", &v2, &url, &key);
    let before = env.snapshot("plugins");
    let run = install(&env, &reg).expect(code);
    if code == OK {
        assert_eq!(env.read("plugins/colmask.wasm"), v2);
    } else {
        assert_eq!(
            env.snapshot("plugins"),
            before,
            "the plugins directory changed"
        );
    }
    (run, url)
}

#[test]
fn a_plugin_is_installed_over_http() {
    let (env, _reg, key, server) = with_v1_from_server();
    assert_eq!(server.hits("/v1/colmask.wasm"), 1);
    assert_eq!(
        String::from_utf8(env.read("plugins/colmask.sig")).unwrap(),
        key.sign_b64(V1)
    );
}

#[test]
fn a_large_body_streams_through() {
    let (run, _) = v2_served_as(Reply::Body, OK);
    assert!(
        run.stdout.contains("upgraded colmask 1.0.0 -> 2.0.0"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_404_is_reported_as_such() {
    let (run, url) = v2_served_as(|_| Reply::Status(404), IO);
    run.says(&[&url, "HTTP 404", "check the artifact URL in the index"]);
}

#[test]
fn a_404_on_the_index_names_the_registry_location_not_an_artefact() {
    let env = Env::new();
    let server = Server::start();
    let index = server.route("/gone/index.json", Reply::Status(404));
    let run = env
        .run(&[
            "install",
            "colmask",
            "--registry",
            &index,
            "--dest",
            "plugins",
        ])
        .expect(IO);
    assert!(!run.stderr.contains("artifact"), "{}", run.stderr);
    run.says(&[
        &index,
        "HTTP 404 Not Found (check the registry's location: --registry",
    ]);
    assert!(!env.path("plugins").exists());
}

#[test]
fn a_500_is_reported_as_such() {
    let (run, url) = v2_served_as(|_| Reply::Status(500), IO);
    run.says(&[&url, "HTTP 500"]);
}

#[test]
fn a_connection_dropped_mid_body_is_a_fetch_failure() {
    let (run, url) = v2_served_as(|v2| Reply::CutAfter(v2, 100_000), IO);
    let run = run.says(&[&url]);
    assert!(
        !run.stderr.contains("digest"),
        "reported as a digest problem:\n{}",
        run.stderr
    );
}

#[test]
fn corrupted_bytes_are_a_digest_mismatch() {
    let (run, url) = v2_served_as(
        |mut v2| {
            v2[12_345] ^= 0x40;
            Reply::Body(v2)
        },
        INTEGRITY,
    );
    run.says(&["digest mismatch", &url]);
}

#[test]
fn redirects_are_followed_up_to_a_limit() {
    let (env, mut reg, key, server) = with_v1_from_server();
    let v2 = b"\0asm remote v2".to_vec();
    server.route("/real.wasm", Reply::Body(v2.clone()));
    let url = server.route("/moved.wasm", Reply::Redirect("/real.wasm".into()));
    publish_remote(&env, &mut reg, "2.0.0", &v2, &url, &key);
    install(&env, &reg).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), v2);

    let url = server.route("/loop.wasm", Reply::Redirect("/loop.wasm".into()));
    publish_remote(&env, &mut reg, "3.0.0", b"v3", &url, &key);
    let before = env.snapshot("plugins");
    install(&env, &reg).expect(IO).says(&[&url, "redirects"]);
    assert_eq!(env.snapshot("plugins"), before);
}

#[test]
fn an_unreachable_server_is_a_fetch_failure() {
    let (env, mut reg, key, _server) = with_v1_from_server();
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/colmask.wasm");
    publish_remote(&env, &mut reg, "2.0.0", b"v2", &url, &key);
    let before = env.snapshot("plugins");
    install(&env, &reg)
        .expect(IO)
        .says(&["cannot connect", &url]);
    assert_eq!(env.snapshot("plugins"), before);
}

#[test]
fn an_unknown_host_is_a_fetch_failure() {
    let (env, mut reg, key, _server) = with_v1_from_server();
    let url = "https://registry.invalid/colmask.wasm";
    publish_remote(&env, &mut reg, "2.0.0", b"v2", url, &key);
    let before = env.snapshot("plugins");
    install(&env, &reg)
        .expect(IO)
        .says(&[url, "registry.invalid not found"]);
    assert_eq!(env.snapshot("plugins"), before);
}
