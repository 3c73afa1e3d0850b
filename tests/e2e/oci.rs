//! OCI registries: Debian's `docker-registry` (the CNCF distribution
//! registry) started by each test on 127.0.0.1 with its own storage, plugins
//! pushed into it with nothing but curl (`oci-push.sh`, the README's
//! requests), installed with `--registry oci://HOST:PORT/NAMESPACE`.

use crate::util::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PUSH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/e2e/oci-push.sh");

/// Installs Debian's `docker-registry` once per test process when it is
/// missing (as root, or through sudo), so `cargo test` needs no set-up.
fn ensure_installed() {
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        let present = || {
            Command::new("sh")
                .args(["-c", "command -v docker-registry"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if present() {
            return;
        }
        let script = "sudo=''; [ \"$(id -u)\" = 0 ] || sudo='sudo -n'; \
                      export DEBIAN_FRONTEND=noninteractive; \
                      $sudo apt-get install -y -q docker-registry || \
                      { $sudo apt-get update -q && $sudo apt-get install -y -q docker-registry; }";
        let out = Command::new("sh")
            .args(["-c", script])
            .output()
            .expect("run apt-get");
        assert!(
            out.status.success() && present(),
            "the OCI tests need Debian's docker-registry and installing it failed; \
             run `apt-get install docker-registry`\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// A running `docker-registry serve`, stopped when dropped.
pub struct OciRegistry {
    child: Child,
    pub host: String,
    dir: tempfile::TempDir,
    /// `-u user:password` for pushes, when the registry wants a login.
    login: Option<String>,
}

impl Drop for OciRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OciRegistry {
    pub fn start() -> OciRegistry {
        OciRegistry::start_with(None)
    }

    /// With `login` (user, password), the registry requires basic auth
    /// (an htpasswd file with a bcrypt hash, as the registry reads them).
    fn start_with(login: Option<(&str, &str)>) -> OciRegistry {
        OciRegistry::start_on("127.0.0.1", login)
    }

    /// Listening on `ip` (the machine's own non-loopback address, for the
    /// plain-http tests).
    fn start_on(ip: &str, login: Option<(&str, &str)>) -> OciRegistry {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind((ip, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  \
             delete:\n    enabled: true\nhttp:\n  addr: {ip}:{port}\n",
            dir.path().join("storage").display()
        );
        if let Some((user, password)) = login {
            let hash = Command::new("python3")
                .args([
                    "-c",
                    "import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))",
                    password,
                ])
                .output()
                .expect("python3 makes the bcrypt hash");
            let hash = String::from_utf8(hash.stdout).unwrap();
            std::fs::write(
                dir.path().join("htpasswd"),
                format!("{user}:{}", hash.trim()),
            )
            .unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
                dir.path().join("htpasswd").display()
            ));
        }
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        ensure_installed();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let registry = OciRegistry {
            child,
            host: format!("{ip}:{port}"),
            dir,
            login: login.map(|(u, p)| format!("-u {u}:{p}")),
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(&registry.host).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "docker-registry did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        registry
    }

    pub fn url(&self, namespace: &str) -> String {
        format!("oci://{}/{namespace}", self.host)
    }

    /// Pushes `file` as `repository:tag`, optionally signed, with curl.
    pub fn push(&self, repository: &str, tag: &str, file: &Path, signature: Option<&str>) {
        self.push_as(repository, tag, file, signature, None);
    }

    fn push_as(
        &self,
        repository: &str,
        tag: &str,
        file: &Path,
        signature: Option<&str>,
        config_type: Option<&str>,
    ) {
        let mut cmd = Command::new("sh");
        cmd.arg(PUSH).args([&self.host, repository, tag]).arg(file);
        cmd.arg(signature.unwrap_or(""));
        if let Some(config_type) = config_type {
            cmd.arg(config_type);
        }
        if let Some(login) = &self.login {
            cmd.env("CURL_AUTH", login);
        }
        let out = cmd.output().expect("run oci-push.sh (needs curl)");
        assert!(out.status.success(), "push failed: {out:?}");
    }

    /// The digest the registry gives `repository:tag`'s manifest.
    fn manifest_digest(&self, repository: &str, tag: &str) -> String {
        let out = Command::new("curl")
            .args([
                "-fsSI",
                "-H",
                "Accept: application/vnd.oci.image.manifest.v1+json",
            ])
            .arg(format!(
                "http://{}/v2/{repository}/manifests/{tag}",
                self.host
            ))
            .output()
            .unwrap();
        let head = String::from_utf8_lossy(&out.stdout);
        head.lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("docker-content-digest: ")
                    .map(|d| d.trim().to_string())
            })
            .expect("a Docker-Content-Digest")
    }

    /// `repository:tag`'s manifest, as a client such as `oras pull` reads it.
    fn manifest(&self, repository: &str, tag: &str) -> serde_json::Value {
        let out = Command::new("curl")
            .args([
                "-fsS",
                "-H",
                "Accept: application/vnd.oci.image.manifest.v1+json",
            ])
            .arg(format!(
                "http://{}/v2/{repository}/manifests/{tag}",
                self.host
            ))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Where the registry keeps the blob with this sha256.
    fn blob(&self, hex: &str) -> PathBuf {
        self.dir.path().join(format!(
            "storage/docker/registry/v2/blobs/sha256/{}/{hex}/data",
            &hex[..2]
        ))
    }
}

/// A plugin file and its signature by `key`.
fn plugin(env: &Env, name: &str, bytes: &[u8], key: &Key) -> (PathBuf, String) {
    (
        env.write(&format!("files/{name}"), bytes),
        key.sign_b64(bytes),
    )
}

fn install(env: &Env, registry: &str, spec: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "install",
        spec,
        "--registry",
        registry,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

#[test]
fn a_plugin_pushed_with_curl_installs_and_a_corrupted_blob_is_refused() {
    let env = Env::new();
    let key = Key::new(41);
    key.trust(&env, "trust", "release");
    let oci = OciRegistry::start();
    let v1 = b"\0asm oci hello one".to_vec();
    let (file, signature) = plugin(&env, "hello-1.wasm", &v1, &key);
    oci.push("acme/hello", "1.0.0", &file, Some(&signature));

    let out = install(&env, &oci.url("acme"), "hello", &[]).expect(OK);
    assert!(
        out.stdout.contains("installed hello 1.0.0"),
        "{}",
        out.stdout
    );
    assert_eq!(env.read("plugins/hello.wasm"), v1);
    assert_eq!(
        String::from_utf8(env.read("plugins/hello.sig")).unwrap(),
        signature
    );
    let receipt: serde_json::Value =
        serde_json::from_slice(&env.read("plugins/.wasm-plugin/receipts/hello.json")).unwrap();
    assert_eq!(receipt["registry"], oci.url("acme"));
    let digest = oci.manifest_digest("acme/hello", "1.0.0");
    assert_eq!(
        receipt["artifact"],
        format!("oci://{}/acme/hello:1.0.0@{digest}", oci.host)
    );
    env.run(&["audit", "--dest", "plugins", "--trust-root", "trust"])
        .expect(OK);

    // 1.0.1's stored layer gets a flipped byte: refused, 1.0.0 stays.
    let v2 = b"\0asm oci hello two".to_vec();
    let (file, signature) = plugin(&env, "hello-2.wasm", &v2, &key);
    oci.push("acme/hello", "1.0.1", &file, Some(&signature));
    let blob = oci.blob(&sha256_hex(&v2));
    let mut stored = std::fs::read(&blob).unwrap();
    stored[5] ^= 0x01;
    std::fs::write(&blob, stored).unwrap();
    let before = env.snapshot("plugins");
    install(&env, &oci.url("acme"), "hello", &[])
        .expect(INTEGRITY)
        .says(&["digest mismatch", &sha256_hex(&v2)]);
    assert_eq!(env.snapshot("plugins"), before);
    assert!(env.temp_files("plugins").is_empty());
}

#[test]
fn versions_are_the_semver_tags() {
    let env = Env::new();
    let key = Key::new(42);
    key.trust(&env, "trust", "release");
    let oci = OciRegistry::start();
    for tag in ["1.0.0", "1.5.0", "2.0.0-rc.1", "latest", "2.0.0"] {
        let bytes = format!("\0asm {tag}").into_bytes();
        let (file, signature) = plugin(&env, &format!("{tag}.wasm"), &bytes, &key);
        oci.push("acme/colmask", tag, &file, Some(&signature));
    }
    let registry = oci.url("acme");
    // `list` shows the semver tags, of the namespace (from the catalog) or
    // of one plugin's repository.
    let listed = env
        .run(&["list", "--registry", &oci.url("acme/colmask"), "--json"])
        .expect(OK)
        .json();
    let mut versions: Vec<&str> = listed["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["version"].as_str().unwrap())
        .collect();
    versions.sort();
    assert_eq!(versions, ["1.0.0", "1.5.0", "2.0.0", "2.0.0-rc.1"]);
    assert_eq!(listed["plugins"][0]["sha256"].as_str().unwrap().len(), 64);
    let table = env.run(&["list", "--registry", &registry]).expect(OK);
    assert!(
        table.stdout.contains("colmask") && table.stdout.contains("1.5.0"),
        "{}",
        table.stdout
    );
    assert!(!table.stdout.contains("latest"), "{}", table.stdout);
    install(&env, &registry, "colmask@^1", &[]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm 1.5.0");
    install(
        &env,
        &registry,
        "colmask",
        &["--version", "1.0.0", "--allow-downgrade"],
    )
    .expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm 1.0.0");
    install(&env, &registry, "colmask", &[]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm 2.0.0");
    // A missing tag lists the versions there are; `latest` is not one.
    install(&env, &registry, "colmask", &["--version", "3.0.0"])
        .expect(INPUT)
        .says(&["no version '3.0.0'", "2.0.0", "1.5.0"]);
    // A repository the registry does not have.
    install(&env, &registry, "nothing", &[])
        .expect(INPUT)
        .says(&["no plugin named 'nothing'"]);
    // Several at once: each plugin reads its own repository's tags.
    std::fs::remove_dir_all(env.path("plugins")).unwrap();
    let args = [
        "install",
        "colmask@=1.0.0",
        "nothing",
        "--registry",
        &registry,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ];
    env.run(&args)
        .expect(INPUT)
        .says(&["no plugin named 'nothing'"]);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm 1.0.0");
}

#[test]
fn an_index_entry_can_pin_an_oci_manifest_and_a_moved_tag_is_caught() {
    let env = Env::new();
    let key = Key::new(43);
    key.trust(&env, "trust", "release");
    let oci = OciRegistry::start();
    let v1 = b"\0asm pinned one".to_vec();
    let (file, signature) = plugin(&env, "one.wasm", &v1, &key);
    oci.push("acme/rowfilter", "1.0.0", &file, Some(&signature));
    let digest = oci.manifest_digest("acme/rowfilter", "1.0.0");

    let mut reg = Registry::new("registry");
    let entry = reg.publish(&env, "rowfilter", "1.0.0", &v1, Some(&key));
    entry["artifact"] = format!("oci://{}/acme/rowfilter@{digest}", oci.host).into();
    let pinned = reg.entries.len() - 1;
    reg.publish(&env, "tagged", "1.0.0", &v1, Some(&key))["artifact"] =
        format!("oci://{}/acme/rowfilter:1.0.0", oci.host).into();
    reg.save(&env);
    let index = reg.index();
    install(&env, &index, "rowfilter", &[]).expect(OK);
    install(&env, &index, "tagged", &[]).expect(OK);
    assert_eq!(env.read("plugins/rowfilter.wasm"), v1);

    // The tag moves to other bytes: the pinned entry still gets its
    // manifest; the tagged one now finds a layer its digest does not name.
    let v2 = b"\0asm pinned two".to_vec();
    let (file, signature) = plugin(&env, "two.wasm", &v2, &key);
    oci.push("acme/rowfilter", "1.0.0", &file, Some(&signature));
    std::fs::remove_dir_all(env.path("plugins")).unwrap();
    install(&env, &index, "rowfilter", &[]).expect(OK);
    assert_eq!(env.read("plugins/rowfilter.wasm"), v1);
    install(&env, &index, "tagged", &[])
        .expect(INTEGRITY)
        .says(&["digest mismatch", &sha256_hex(&v1), &sha256_hex(&v2)]);

    // A pinned digest the registry's manifest does not hash to.
    let wrong = format!(
        "oci://{}/acme/rowfilter@sha256:{}",
        oci.host,
        "0".repeat(64)
    );
    reg.entries[pinned]["artifact"] = wrong.into();
    reg.save(&env);
    install(&env, &index, "rowfilter", &["--version", "1.0.0"]).expect(IO);
}

#[test]
fn what_is_not_a_wasm_artifact_is_refused_by_name() {
    let env = Env::new();
    let key = Key::new(44);
    key.trust(&env, "trust", "release");
    let oci = OciRegistry::start();
    let bytes = b"\0asm image".to_vec();
    let (file, signature) = plugin(&env, "image.wasm", &bytes, &key);
    oci.push_as(
        "acme/image",
        "1.0.0",
        &file,
        Some(&signature),
        Some("application/vnd.oci.image.config.v1+json"),
    );
    install(&env, &oci.url("acme"), "image", &[])
        .expect(INPUT)
        .says(&[
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.wasm.config.v0+json",
        ]);
    assert!(!env.path("plugins").exists());

    // Unsigned, with a trust root: refused before the blob is fetched.
    let (file, _) = plugin(&env, "unsigned.wasm", b"\0asm unsigned", &key);
    oci.push("acme/unsigned", "1.0.0", &file, None);
    install(&env, &oci.url("acme"), "unsigned", &[])
        .expect(INTEGRITY)
        .says(&["not signed"]);
}

#[test]
fn a_registry_login_comes_from_the_docker_config() {
    let env = Env::new();
    let key = Key::new(45);
    key.trust(&env, "trust", "release");
    let oci = OciRegistry::start_with(Some(("ci", "s3cret-pw")));
    let bytes = b"\0asm private".to_vec();
    let (file, signature) = plugin(&env, "private.wasm", &bytes, &key);
    oci.push("acme/private", "1.0.0", &file, Some(&signature));
    let registry = oci.url("acme");
    let args = [
        "install",
        "private",
        "--registry",
        &registry,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
    ];

    // No credentials: a clear error naming how to give them.
    let empty = env.path("no-docker");
    std::fs::create_dir(&empty).unwrap();
    let refused = env.run_with(&args, &[("DOCKER_CONFIG", empty.as_os_str())]);
    let refused = refused
        .expect(IO)
        .says(&["401", "docker login", "--registry-token-file"]);
    assert!(!refused.stderr.contains("s3cret"));

    let docker = env.path("docker");
    std::fs::create_dir(&docker).unwrap();
    let auth = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode("ci:s3cret-pw")
    };
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"auths": {{"{}": {{"auth": "{auth}"}}}}}}"#, oci.host),
    )
    .unwrap();
    let run = env
        .run_with(&args, &[("DOCKER_CONFIG", docker.as_os_str())])
        .expect(OK);
    assert!(!run.stdout.contains("s3cret") && !run.stderr.contains("s3cret"));
    assert_eq!(env.read("plugins/private.wasm"), bytes);
}

/// The flow of public registries (ghcr.io, Docker Hub), against a fake one:
/// a 401 with a bearer challenge, a token from the realm for that scope,
/// the retry with it; the blob redirected to a storage host, which must not
/// receive the token.
#[test]
fn the_bearer_token_flow_and_a_blob_redirect_that_carries_no_credentials() {
    use crate::server::{Reply, Server};
    let env = Env::new();
    let key = Key::new(46);
    key.trust(&env, "trust", "release");
    let registry = Server::start();
    let storage = Server::start();
    let bytes = b"\0asm behind a token".to_vec();
    let layer = sha256_hex(&bytes);
    let token = "Bearer tok-123";
    let challenge = format!(
        r#"Bearer realm="{}/token",service="fake",scope="repository:acme/hello:pull""#,
        registry.base
    );
    let guarded = |reply: Reply| Reply::Guarded(token.into(), challenge.clone(), Box::new(reply));
    registry.route("/token", Reply::Body(br#"{"token": "tok-123"}"#.to_vec()));
    registry.route(
        "/v2/acme/hello/tags/list",
        guarded(Reply::Body(
            br#"{"name": "acme/hello", "tags": ["1.0.0"]}"#.to_vec(),
        )),
    );
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.wasm.config.v0+json",
                   "digest": format!("sha256:{}", sha256_hex(b"{}")), "size": 2},
        "layers": [{"mediaType": "application/wasm", "digest": format!("sha256:{layer}"),
                    "size": bytes.len()}],
        "annotations": {"dev.wasm-plugin.signature": key.sign_b64(&bytes)}
    }))
    .unwrap();
    let headers = vec![
        (
            "Content-Type".to_string(),
            "application/vnd.oci.image.manifest.v1+json".to_string(),
        ),
        (
            "Docker-Content-Digest".to_string(),
            format!("sha256:{}", sha256_hex(&manifest)),
        ),
    ];
    registry.route(
        "/v2/acme/hello/manifests/1.0.0",
        guarded(Reply::WithHeaders(manifest, headers)),
    );
    let blob = storage.route("/blobs/hello", Reply::Body(bytes.clone()));
    registry.route(
        &format!("/v2/acme/hello/blobs/sha256:{layer}"),
        guarded(Reply::Redirect(blob)),
    );

    let url = format!("oci://127.0.0.1:{}/acme", registry.port());
    install(&env, &url, "hello", &[]).expect(OK);
    assert_eq!(env.read("plugins/hello.wasm"), bytes);

    let asked: Vec<String> = registry
        .requests()
        .into_iter()
        .filter(|(target, _)| target.starts_with("/token"))
        .map(|(target, _)| target)
        .collect();
    assert!(!asked.is_empty(), "no token was asked for");
    assert!(
        asked
            .iter()
            .all(|t| t.contains("service=fake")
                && t.contains("scope=repository%3Aacme%2Fhello%3Apull")),
        "{asked:?}"
    );
    let authorized = registry
        .requests()
        .into_iter()
        .filter(|(t, auth)| t.starts_with("/v2/") && auth.as_deref() == Some(token))
        .count();
    assert!(authorized >= 3, "{:?}", registry.requests());
    let fetched = storage.requests();
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert_eq!(
        fetched[0].1, None,
        "the storage host received the registry's token"
    );
}

#[test]
fn publish_pushes_a_plugin_that_lists_and_installs() {
    let env = Env::new();
    std::fs::create_dir(env.path("keys")).unwrap();
    env.run(&["keygen", "--name", "release", "--out-dir", "keys"])
        .expect(OK);
    std::fs::create_dir(env.path("trust")).unwrap();
    std::fs::rename(env.path("keys/release.pub"), env.path("trust/release.pub")).unwrap();
    let oci = OciRegistry::start();
    let registry = oci.url("acme");
    let publish = |file: &str, extra: &[&str]| {
        let mut args = vec![
            "publish",
            file,
            "--oci",
            &registry,
            "--key",
            "keys/release.key",
        ];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    env.write("colmask-1.0.0.wasm", b"\0asm colmask one");
    let big: Vec<u8> = (0..20_000_000u32).map(|i| (i % 253) as u8).collect();
    env.write("colmask-1.1.0.wasm", &big);

    let report = publish(
        "colmask-1.0.0.wasm",
        &["--description", "Masks columns", "--json"],
    )
    .expect(OK)
    .json();
    let digest = oci.manifest_digest("acme/colmask", "1.0.0");
    assert_eq!(
        report["artifact"],
        format!("oci://{}/acme/colmask:1.0.0@{digest}", oci.host)
    );
    assert_eq!(report["signed"], true);
    // The tag exists: replaced only with --force.
    let exists = publish("colmask-1.0.0.wasm", &[]).expect(INPUT);
    assert!(!exists.stderr.contains("trust sign"), "{}", exists.stderr);
    exists.says(&["acme/colmask already has the tag 1.0.0", "--force"]);
    let replaced = publish(
        "colmask-1.0.0.wasm",
        &["--force", "--description", "Masks columns", "--json"],
    )
    .expect(OK)
    .json();
    assert_eq!(replaced["replaced"], true);
    // Larger than one upload chunk: sent in several PATCHes.
    publish("colmask-1.1.0.wasm", &[]).expect(OK);

    let listed = env
        .run(&["list", "--registry", &registry, "--json"])
        .expect(OK)
        .json();
    let plugins = listed["plugins"].as_array().unwrap();
    assert_eq!(plugins.len(), 2, "{listed}");
    assert!(
        plugins
            .iter()
            .any(|p| p["version"] == "1.0.0" && p["description"] == "Masks columns")
    );
    // An OCI registry has no index: info says so, not "index version none".
    let info = env
        .run(&["info", "colmask", "--registry", &registry])
        .expect(OK)
        .stdout;
    assert!(
        info.contains("in the OCI registry") && !info.contains("index version"),
        "{info}"
    );

    // The layer is titled with the plugin's file name, so `oras pull`
    // saves it as colmask.wasm.
    let manifest = oci.manifest("acme/colmask", "1.1.0");
    assert_eq!(
        manifest["layers"][0]["annotations"]["org.opencontainers.image.title"], "colmask.wasm",
        "{manifest}"
    );

    install(&env, &registry, "colmask", &[]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), big);
    env.run(&["verify", "plugins/colmask.wasm", "--trust-root", "trust"])
        .expect(OK);
    install(
        &env,
        &registry,
        "colmask",
        &["--version", "1.0.0", "--allow-downgrade"],
    )
    .expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm colmask one");
}

/// The config as the CNCF Wasm OCI layout and wkg have it: what the
/// component imports and exports, and when it was made.
#[test]
fn publish_writes_the_components_types_into_the_config_as_wkg_does() {
    let env = Env::new();
    let oci = OciRegistry::start();
    let registry = oci.url("acme");
    let component = wat::parse_str(
        r#"(component (import "wasi:io/streams@0.2.3" (instance))
             (core module $m (func (export "f")))
             (core instance $i (instantiate $m))
             (func $h (canon lift (core func $i "f")))
             (export "handle" (func $h)))"#,
    )
    .unwrap();
    env.write("p.wasm", &component);
    env.write("not-a-component.wasm", b"\0asm not a component");
    let config = |tag: &str| {
        let manifest = oci.manifest("acme/p", tag);
        let digest = manifest["config"]["digest"].as_str().unwrap().to_string();
        let hex = digest.strip_prefix("sha256:").unwrap();
        let bytes = std::fs::read(oci.blob(hex)).unwrap();
        assert_eq!(sha256_hex(&bytes), hex);
        (
            manifest,
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
        )
    };

    env.run(&[
        "publish",
        "p.wasm",
        "--oci",
        &registry,
        "--name",
        "p",
        "--version",
        "1.0.0",
    ])
    .expect(OK);
    let (manifest, made) = config("1.0.0");
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(made["architecture"], "wasm", "{made}");
    assert_eq!(made["os"], "wasip2");
    assert_eq!(made["layerDigests"][0], manifest["layers"][0]["digest"]);
    assert_eq!(
        made["component"]["imports"],
        serde_json::json!(["wasi:io/streams@0.2.3"])
    );
    assert_eq!(made["component"]["exports"], serde_json::json!(["handle"]));
    // RFC 3339, UTC, as wkg parses it.
    let created = made["created"].as_str().unwrap();
    assert!(
        created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );

    // Bytes whose types cannot be read get the rest of the config.
    env.run(&[
        "publish",
        "not-a-component.wasm",
        "--oci",
        &registry,
        "--name",
        "p",
        "--version",
        "0.1.0",
    ])
    .expect(OK);
    let (_, made) = config("0.1.0");
    assert_eq!(made["architecture"], "wasm", "{made}");
    assert!(made.get("component").is_none(), "{made}");
}

#[test]
fn mirror_copies_a_namespace_into_a_directory_and_a_directory_into_a_namespace() {
    let env = Env::new();
    let key = Key::new(47);
    key.trust(&env, "trust", "release");
    let source = OciRegistry::start();
    let plugins: &[(&str, &str, &[u8])] = &[
        ("colmask", "1.0.0", b"\0asm colmask 1"),
        ("colmask", "1.1.0", b"\0asm colmask 1.1"),
        ("rowfilter", "0.3.1", b"\0asm rowfilter"),
    ];
    for (name, version, bytes) in plugins {
        let (file, signature) = plugin(&env, &format!("{name}-{version}.wasm"), bytes, &key);
        source.push(&format!("acme/{name}"), version, &file, Some(&signature));
    }

    // OCI namespace -> an offline directory registry that installs.
    let out = env
        .run(&[
            "mirror",
            "--registry",
            &source.url("acme"),
            "--out",
            "offline",
            "--trust-root",
            "trust",
        ])
        .expect(OK);
    assert!(out.stdout.contains("rowfilter 0.3.1"), "{}", out.stdout);
    install(&env, "offline/index.json", "colmask", &[]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm colmask 1.1");
    assert_eq!(env.read("offline/rowfilter-0.3.1.wasm"), b"\0asm rowfilter");

    // That directory -> another registry's namespace; again keeps what is
    // there.
    let target = OciRegistry::start();
    let args = [
        "mirror",
        "--registry",
        "offline/index.json",
        "--out",
        &target.url("copy"),
        "--trust-root",
        "trust",
        "--json",
    ];
    let pushed = env.run(&args).expect(OK).json();
    assert_eq!(pushed["fetched"].as_array().unwrap().len(), 3, "{pushed}");
    let again = env.run(&args).expect(OK).json();
    assert_eq!(again["kept"].as_array().unwrap().len(), 3, "{again}");
    // No index was written, so none asks for --key.
    let text = env.run(&args[..args.len() - 1]).expect(OK).stdout;
    assert!(
        text.contains("has no index to sign") && !text.contains("--key"),
        "{text}"
    );
    // A tag holding other bytes is never replaced by a mirror.
    let (other, other_sig) = plugin(&env, "other.wasm", b"\0asm other", &key);
    target.push("copy/rowfilter", "0.3.1", &other, Some(&other_sig));
    let refused = env.run(&args).expect(INPUT);
    assert!(
        refused.stdout.contains("already holds other bytes"),
        "{}",
        refused.stdout
    );
    target.push(
        "copy/rowfilter",
        "0.3.1",
        &env.path("offline/rowfilter-0.3.1.wasm"),
        Some(&key.sign_b64(b"\0asm rowfilter")),
    );
    std::fs::remove_dir_all(env.path("plugins")).unwrap();
    install(&env, &target.url("copy"), "rowfilter", &[]).expect(OK);
    assert_eq!(env.read("plugins/rowfilter.wasm"), b"\0asm rowfilter");
    assert_eq!(
        String::from_utf8(env.read("plugins/rowfilter.sig")).unwrap(),
        key.sign_b64(b"\0asm rowfilter")
    );

    // A tampered source artefact is refused before anything is pushed.
    env.write("offline/colmask-1.0.0.wasm", b"\0asm colmask X");
    let third = OciRegistry::start();
    env.run(&[
        "mirror",
        "--registry",
        "offline/index.json",
        "--out",
        &third.url("x"),
        "--trust-root",
        "trust",
    ])
    .expect(INTEGRITY)
    .says(&["digest mismatch"]);
}

#[test]
fn an_oci_namespace_mirrors_to_a_sparse_registry_and_back() {
    let env = Env::new();
    let key = Key::new(48);
    key.trust(&env, "trust", "release");
    let source = OciRegistry::start();
    let plugins: &[(&str, &str, &[u8])] = &[
        ("colmask", "1.0.0", b"\0asm colmask 1"),
        ("colmask", "1.1.0", b"\0asm colmask 1.1"),
        ("rowfilter", "0.3.1", b"\0asm rowfilter"),
    ];
    for (name, version, bytes) in plugins {
        let (file, signature) = plugin(&env, &format!("{name}-{version}.wasm"), bytes, &key);
        source.push(&format!("acme/{name}"), version, &file, Some(&signature));
    }

    // OCI namespace -> a sparse registry, each artefact checked on the way.
    let args = [
        "mirror",
        "--registry",
        &source.url("acme"),
        "--out",
        "offline",
        "--sparse",
        "--trust-root",
        "trust",
        "--json",
    ];
    let report = env.run(&args).expect(OK).json();
    assert_eq!(report["fetched"].as_array().unwrap().len(), 3, "{report}");
    assert!(env.path("offline/config.json").exists());
    assert!(env.path("offline/timestamp.json").exists());
    let file: serde_json::Value =
        serde_json::from_slice(&env.read("offline/co/lm/colmask")).unwrap();
    let artefacts: Vec<_> = file["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["artifact"].as_str().unwrap())
        .collect();
    assert_eq!(artefacts.len(), 2, "{file}");
    assert!(artefacts.contains(&"colmask-1.1.0.wasm"), "{file}");
    install(&env, "offline", "colmask", &[]).expect(OK);
    assert_eq!(env.read("plugins/colmask.wasm"), b"\0asm colmask 1.1");
    // Again: every artefact is there already.
    let again = env.run(&args).expect(OK).json();
    assert_eq!(again["kept"].as_array().unwrap().len(), 3, "{again}");

    // That sparse registry -> another namespace, which installs.
    let target = OciRegistry::start();
    let pushed = env
        .run(&[
            "mirror",
            "--registry",
            "offline",
            "--out",
            &target.url("copy"),
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(OK)
        .json();
    assert_eq!(pushed["fetched"].as_array().unwrap().len(), 3, "{pushed}");
    std::fs::remove_dir_all(env.path("plugins")).unwrap();
    install(&env, &target.url("copy"), "rowfilter", &[]).expect(OK);
    assert_eq!(env.read("plugins/rowfilter.wasm"), b"\0asm rowfilter");
}

/// This machine's first non-loopback IPv4 address.
fn own_address() -> String {
    let out = Command::new("hostname")
        .arg("-I")
        .output()
        .expect("hostname -I");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find(|a| {
            a.parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| !ip.is_loopback())
        })
        .expect("a non-loopback IPv4 address, for the plain-http test")
        .to_string()
}

#[test]
fn plain_http_beyond_loopback_only_when_asked_and_never_with_credentials() {
    let env = Env::new();
    let key = Key::new(48);
    key.trust(&env, "trust", "release");
    let oci = OciRegistry::start_on(&own_address(), None);
    let bytes = b"\0asm lan".to_vec();
    let (file, signature) = plugin(&env, "lan.wasm", &bytes, &key);
    oci.push("acme/lan", "1.0.0", &file, Some(&signature));
    let registry = oci.url("acme");

    // https by default: a plain-http registry does not answer TLS.
    install(&env, &registry, "lan", &[]).expect(IO);
    let run = install(&env, &registry, "lan", &["--plain-http"]).expect(OK);
    assert_eq!(env.read("plugins/lan.wasm"), bytes);
    let receipt: serde_json::Value =
        serde_json::from_slice(&env.read("plugins/.wasm-plugin/receipts/lan.json")).unwrap();
    assert!(
        receipt["artifact"]
            .as_str()
            .unwrap()
            .starts_with("oci+http://"),
        "{receipt} {}",
        run.stdout
    );

    // sync and lock take the flag for the manifest's oci:// registries.
    env.write(
        "wasm-plugin.toml",
        format!("dest = \"synced\"\ntrust_root = \"trust\"\n[registries]\ndefault = \"{registry}\"\n[plugins]\nlan = \"1\"\n"),
    );
    env.run(&["sync", "--config", "wasm-plugin.toml"])
        .expect(IO);
    assert!(!env.path("synced").exists() && !env.path("wasm-plugin.lock").exists());
    env.run(&["lock", "--config", "wasm-plugin.toml", "--plain-http"])
        .expect(OK);
    env.run(&[
        "sync",
        "--config",
        "wasm-plugin.toml",
        "--plain-http",
        "--locked",
    ])
    .expect(OK);
    assert_eq!(env.read("synced/lan.wasm"), bytes);

    // A login held for that host is not sent over plain http.
    let private = OciRegistry::start_on(&own_address(), Some(("ci", "s3cret-pw")));
    private.push("acme/lan", "1.0.0", &file, Some(&signature));
    let docker = env.path("docker");
    std::fs::create_dir(&docker).unwrap();
    let auth = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode("ci:s3cret-pw")
    };
    std::fs::write(
        docker.join("config.json"),
        format!(
            r#"{{"auths": {{"{}": {{"auth": "{auth}"}}}}}}"#,
            private.host
        ),
    )
    .unwrap();
    let url = private.url("acme");
    let args = [
        "install",
        "lan",
        "--registry",
        &url,
        "--dest",
        "other",
        "--trust-root",
        "trust",
        "--plain-http",
    ];
    env.run_with(&args, &[("DOCKER_CONFIG", docker.as_os_str())])
        .expect(IO)
        .says(&["401", "never sent over plain http"]);
}

/// A CI token is for the registries the command names: an index server that
/// asks for credentials never gets it; the named OCI registry does.
#[test]
fn a_ci_token_goes_only_to_the_registry_named() {
    use crate::server::{Reply, Server};
    let env = Env::new();
    let key = Key::new(49);
    key.trust(&env, "trust", "release");
    let token = (
        "WASM_PLUGIN_REGISTRY_TOKEN",
        std::ffi::OsStr::new("ci-token"),
    );
    let wants_token = |reply: Reply| {
        Reply::Guarded(
            "Bearer ci-token".into(),
            r#"Basic realm="x""#.into(),
            Box::new(reply),
        )
    };

    // An index server that asks: refused, and it saw no Authorization.
    let index_server = Server::start();
    let url = index_server.route("/index.json", wants_token(Reply::Body(b"{}".to_vec())));
    env.run_with(
        &[
            "install",
            "x",
            "--registry",
            &url,
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ],
        &[token],
    )
    .expect(IO);
    assert!(
        index_server
            .requests()
            .iter()
            .all(|(_, auth)| auth.is_none())
    );

    // The OCI registry on the command line gets it.
    let registry = Server::start();
    let bytes = b"\0asm ci".to_vec();
    let layer = sha256_hex(&bytes);
    registry.route(
        "/v2/acme/hello/tags/list",
        wants_token(Reply::Body(br#"{"tags": ["1.0.0"]}"#.to_vec())),
    );
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.wasm.config.v0+json",
                   "digest": format!("sha256:{}", sha256_hex(b"{}")), "size": 2},
        "layers": [{"mediaType": "application/wasm", "digest": format!("sha256:{layer}"), "size": bytes.len()}],
        "annotations": {"dev.wasm-plugin.signature": key.sign_b64(&bytes)}
    }))
    .unwrap();
    registry.route(
        "/v2/acme/hello/manifests/1.0.0",
        wants_token(Reply::WithHeaders(manifest, vec![])),
    );
    registry.route(
        &format!("/v2/acme/hello/blobs/sha256:{layer}"),
        wants_token(Reply::Body(bytes.clone())),
    );
    let oci = format!("oci://127.0.0.1:{}/acme", registry.port());
    env.run_with(
        &[
            "install",
            "hello",
            "--registry",
            &oci,
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ],
        &[token],
    )
    .expect(OK);
    assert_eq!(env.read("plugins/hello.wasm"), bytes);

    // The same token from a file, as CI passes a secret.
    env.write("token", "ci-token\n");
    std::fs::remove_dir_all(env.path("plugins")).unwrap();
    env.run(&[
        "install",
        "hello",
        "--registry",
        &oci,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
        "--registry-token-file",
        "token",
    ])
    .expect(OK);
    assert_eq!(env.read("plugins/hello.wasm"), bytes);
}

/// A 401 from where a redirect led belongs to that host: the registry's
/// credentials are not offered to it, nor to the token service it names.
#[test]
fn a_redirect_target_that_asks_for_credentials_gets_none() {
    use crate::server::{Reply, Server};
    let env = Env::new();
    let key = Key::new(50);
    key.trust(&env, "trust", "release");
    let registry = Server::start();
    let storage = Server::start();
    let bytes = b"\0asm stored".to_vec();
    let layer = sha256_hex(&bytes);
    registry.route(
        "/v2/acme/hello/tags/list",
        Reply::Body(br#"{"tags": ["1.0.0"]}"#.to_vec()),
    );
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.wasm.config.v0+json",
                   "digest": format!("sha256:{}", sha256_hex(b"{}")), "size": 2},
        "layers": [{"mediaType": "application/wasm", "digest": format!("sha256:{layer}"), "size": bytes.len()}],
        "annotations": {"dev.wasm-plugin.signature": key.sign_b64(&bytes)}
    }))
    .unwrap();
    registry.route(
        "/v2/acme/hello/manifests/1.0.0",
        Reply::WithHeaders(manifest, vec![]),
    );
    let challenge = format!(r#"Bearer realm="{}/token",service="storage""#, storage.base);
    let blob = storage.route(
        "/blob",
        Reply::Guarded(
            "Bearer never".into(),
            challenge,
            Box::new(Reply::Body(bytes)),
        ),
    );
    registry.route(
        &format!("/v2/acme/hello/blobs/sha256:{layer}"),
        Reply::Redirect(blob),
    );
    let docker = env.path("docker");
    std::fs::create_dir(&docker).unwrap();
    std::fs::write(
        docker.join("config.json"),
        format!(
            r#"{{"auths": {{"127.0.0.1:{}": {{"auth": "YWxpY2U6cHc="}}}}}}"#,
            registry.port()
        ),
    )
    .unwrap();
    let oci = format!("oci://127.0.0.1:{}/acme", registry.port());
    env.run_with(
        &[
            "install",
            "hello",
            "--registry",
            &oci,
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
        ],
        &[("DOCKER_CONFIG", docker.as_os_str())],
    )
    .expect(IO)
    .says(&["401"]);
    let asked = storage.requests();
    assert!(
        asked
            .iter()
            .all(|(t, auth)| auth.is_none() && !t.starts_with("/token")),
        "{asked:?}"
    );
}
