//! The library as a runtime uses it: `wasm_plugin::Installer` and its
//! requests, reports and errors, with no command line in between.

use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;
use wasm_plugin::{
    AuditRequest, ConvertRequest, Error, IndexRequest, InstallAction, InstallRequest, Installer,
    SyncRequest, UninstallRequest, VerifyRequest,
};

/// One compiled-component cache and one installer for the whole test
/// process: the component is compiled once.
fn shared() -> &'static (tempfile::TempDir, Installer) {
    static SHARED: OnceLock<(tempfile::TempDir, Installer)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let cache = tempfile::tempdir().unwrap();
        let installer = Installer::builder()
            .cache_dir(cache.path())
            .build()
            .unwrap();
        (cache, installer)
    })
}

fn installer() -> &'static Installer {
    &shared().1
}

fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A registry of `plugins` (name, bytes) signed by a key whose trust root
/// is `<dir>/trust`, in a temp dir.
fn registry(plugins: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, PathBuf) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let key = SigningKey::from_bytes(&[77; 32]);
    std::fs::create_dir_all(root.join("trust")).unwrap();
    std::fs::create_dir_all(root.join("registry")).unwrap();
    std::fs::write(
        root.join("trust/lib.pub"),
        b64.encode(key.verifying_key().to_bytes()),
    )
    .unwrap();
    let entries: Vec<serde_json::Value> = plugins
        .iter()
        .map(|(name, bytes)| {
            std::fs::write(root.join(format!("registry/{name}.wasm")), bytes).unwrap();
            serde_json::json!({"name": name, "version": "1.0.0", "artifact": format!("{name}.wasm"),
                "sha256": sha256_hex(bytes), "signature": b64.encode(key.sign(bytes).to_bytes())})
        })
        .collect();
    let index = serde_json::json!({"schema_version": "1", "plugins": entries});
    std::fs::write(root.join("registry/index.json"), index.to_string()).unwrap();
    (dir, root)
}

#[test]
fn the_embedding_example_installs_verifies_and_names_a_tampered_artifact() {
    let scratch = tempfile::tempdir().unwrap();
    let plugins = scratch.path().join("plugins");
    let index = repo("examples/registry/index.json");
    let trust = repo("examples/registry/trust");
    let report = installer()
        .install(
            &InstallRequest::new(index.to_str().unwrap(), "hello", &plugins).trust_root(&trust),
        )
        .unwrap();
    let version: &String = &report.version;
    assert_eq!(version, "0.1.0");
    assert_eq!(report.signed_by.as_deref(), Some("example"));
    assert_eq!(report.action, InstallAction::Installed);
    let bytes = std::fs::read(plugins.join("hello.wasm")).unwrap();
    assert_eq!(report.sha256, sha256_hex(&bytes));
    let checked = installer()
        .verify(&VerifyRequest::new(plugins.join("hello.wasm")).trust_root(&trust))
        .unwrap();
    assert_eq!(checked.sha256, report.sha256);

    // A registry whose artefact was altered after publishing.
    let copy = scratch.path().join("registry");
    std::fs::create_dir(&copy).unwrap();
    for file in ["index.json", "hello-0.1.0.wasm"] {
        std::fs::copy(repo("examples/registry").join(file), copy.join(file)).unwrap();
    }
    std::fs::write(copy.join("hello-0.1.0.wasm"), b"\0asm tampered").unwrap();
    let fresh = scratch.path().join("fresh");
    let err: Error = installer()
        .install(
            &InstallRequest::new(copy.join("index.json").to_str().unwrap(), "hello", &fresh)
                .trust_root(&trust),
        )
        .unwrap_err();
    assert_eq!(err.kind(), "digest-mismatch");
    assert_eq!(err.exit_code(), 1);
    assert!(err.to_string().contains("digest mismatch"), "{err}");
    assert!(
        !fresh.exists(),
        "a failed install into a new directory left it behind"
    );
    fn is_a_proper_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    is_a_proper_error(&err);
}

#[test]
fn eight_threads_share_one_installer() {
    fn shareable<T: Send + Sync + Clone>(_: &T) {}
    shareable(installer());
    let plugins: Vec<(String, Vec<u8>)> = (0..8)
        .map(|i| {
            (
                format!("p{i}"),
                format!("\0asm plugin {i}").repeat(1000 + i).into_bytes(),
            )
        })
        .collect();
    let borrowed: Vec<(&str, Vec<u8>)> = plugins
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    let (_dir, root) = registry(&borrowed);
    let index = root.join("registry/index.json").display().to_string();
    std::thread::scope(|scope| {
        for (name, bytes) in &plugins {
            let (index, root) = (&index, &root);
            scope.spawn(move || {
                let dest = root.join(format!("dest-{name}"));
                let report = installer()
                    .install(
                        &InstallRequest::new(index, name, &dest).trust_root(root.join("trust")),
                    )
                    .unwrap();
                assert_eq!(report.signed_by.as_deref(), Some("lib"));
                assert_eq!(
                    std::fs::read(dest.join(format!("{name}.wasm"))).unwrap(),
                    *bytes
                );
                let audit = installer()
                    .audit(&AuditRequest::new(&dest).trust_root(root.join("trust")))
                    .unwrap();
                assert!(audit.is_clean(), "{audit:?}");
            });
        }
    });
}

#[test]
fn a_call_past_its_deadline_is_stopped_and_the_previous_plugin_stays() {
    let big: Vec<u8> = (0..(48usize << 20)).map(|i| (i % 251) as u8).collect();
    let (_dir, root) = registry(&[("small", b"\0asm small".to_vec())]);
    let dest = root.join("plugins");
    let index = root.join("registry/index.json").display().to_string();
    installer()
        .install(&InstallRequest::new(&index, "small", &dest))
        .unwrap();
    let before = std::fs::read(dest.join("small.wasm")).unwrap();
    // The same name, now a large artefact that takes longer than the deadline.
    let (_dir2, root2) = registry(&[("small", big)]);
    let index2 = root2.join("registry/index.json").display().to_string();
    let hurried = Installer::builder()
        .cache_dir(shared().0.path())
        .deadline(Duration::from_millis(1))
        .build()
        .unwrap();
    let err = hurried
        .install(&InstallRequest::new(&index2, "small", &dest).allow_downgrade(true))
        .unwrap_err();
    assert_eq!(err.kind(), "deadline-exceeded", "{err}");
    assert_eq!(err.exit_code(), 3);
    assert_eq!(std::fs::read(dest.join("small.wasm")).unwrap(), before);
    let left: Vec<String> = std::fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temp files left: {left:?}");
    // The library holds the lock and cleans up: the next call finds all in order.
    let removed = installer()
        .uninstall(&UninstallRequest::new(&dest, "small"))
        .unwrap();
    assert!(removed[0].1.is_ok(), "{removed:?}");
}

#[test]
fn a_sparse_registry_is_synced_searched_and_audited_through_the_library() {
    let (_dir, root) = registry(&[
        ("colmask", b"\0asm colmask".to_vec()),
        ("hello", b"\0asm hello".to_vec()),
    ]);
    // The flat registry converted in place: its directory is sparse too.
    installer()
        .convert_registry(&ConvertRequest::new(
            root.join("registry/index.json"),
            root.join("registry"),
        ))
        .unwrap();
    std::fs::write(
        root.join("wasm-plugin.toml"),
        "dest = \"plugins\"\ntrust_root = \"trust\"\n[registries]\ndefault = \"registry\"\n\
         [plugins]\ncolmask = \"*\"\nhello = \"^1\"\n",
    )
    .unwrap();
    let report = installer()
        .sync(&SyncRequest::new(root.join("wasm-plugin.toml")))
        .unwrap();
    assert_eq!(report.changes.len(), 2, "{report:?}");
    assert!(
        report.changes.iter().all(|c| c.error.is_none()),
        "{report:?}"
    );
    assert_eq!(
        std::fs::read(root.join("plugins/hello.wasm")).unwrap(),
        b"\0asm hello"
    );

    let sparse = || {
        IndexRequest::new(root.join("registry").display().to_string())
            .trust_root(root.join("trust"))
    };
    let found = installer().load_index(&sparse().search("COL")).unwrap();
    let names: Vec<&str> = found.plugins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["colmask"]);
    let one = installer().load_index(&sparse().plugin("hello")).unwrap();
    assert_eq!(one.plugins.len(), 1);

    let audit = installer()
        .audit(
            &AuditRequest::new(root.join("plugins"))
                .trust_root(root.join("trust"))
                .registry(sparse()),
        )
        .unwrap();
    assert_eq!(audit.plugins.len(), 2);
    assert!(
        audit.plugins.iter().all(|p| p.findings.is_empty()),
        "{audit:?}"
    );
}

#[test]
fn a_registry_mirrors_into_a_sparse_one_by_flag_or_by_naming_its_config_json() {
    let (dir, root) = registry(&[("alpha", b"\0asm alpha".to_vec())]);
    let index = root.join("registry/index.json");
    let source = index.to_str().unwrap();
    for (out, request) in [
        (
            root.join("by-flag"),
            wasm_plugin::MirrorRequest::new(source, root.join("by-flag")).sparse(true),
        ),
        (
            root.join("by-name"),
            wasm_plugin::MirrorRequest::new(source, root.join("by-name/config.json")),
        ),
    ] {
        let report = installer()
            .mirror(&request.trust_root(root.join("trust")))
            .unwrap();
        assert_eq!(report.index, out.join("config.json").display().to_string());
        assert!(!report.index_signed);
        // A sparse registry, installed from by its directory.
        let plugins = root.join("plugins");
        installer()
            .install(
                &InstallRequest::new(out.to_str().unwrap(), "alpha", &plugins)
                    .trust_root(root.join("trust")),
            )
            .unwrap();
        assert_eq!(
            std::fs::read(plugins.join("alpha.wasm")).unwrap(),
            b"\0asm alpha"
        );
        std::fs::remove_dir_all(&plugins).unwrap();
    }
    drop(dir);
}
