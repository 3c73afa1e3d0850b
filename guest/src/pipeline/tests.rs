//! The pipeline end to end on a local registry: what is placed, kept,
//! refused, and what is left untouched.

use super::*;
use crate::error::Error;
use crate::error::FetchError;
use crate::plugins_dir::receipt::Receipt;
use crate::transfer::source::NoNetwork;
use crate::transfer::source::testing::{Script, ScriptedFetcher};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::json;
use std::path::Path;

/// A registry, a trust root and a plugins directory in a temp dir.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    key: SigningKey,
    plugins: Vec<serde_json::Value>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for sub in ["registry", "trust", "plugins"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        let key = SigningKey::from_bytes(&[42; 32]);
        std::fs::write(
            root.join("trust/release.pub"),
            STANDARD.encode(key.verifying_key().to_bytes()),
        )
        .unwrap();
        Fixture {
            _dir: dir,
            root,
            key,
            plugins: Vec::new(),
        }
    }

    /// Publishes `bytes` as `name` `version`, signed when `signed`.
    fn publish(&mut self, name: &str, version: &str, bytes: &[u8], signed: bool) -> &mut Self {
        let file = format!("{name}-{version}.wasm");
        std::fs::write(self.root.join("registry").join(&file), bytes).unwrap();
        let mut entry = json!({
            "name": name, "version": version, "artifact": file,
            "sha256": crate::trust::digest::Sha256Digest::of(bytes).to_hex(),
        });
        if signed {
            entry["signature"] = json!(STANDARD.encode(self.key.sign(bytes).to_bytes()));
        }
        self.plugins.push(entry);
        self.write_index();
        self
    }

    fn write_index(&self) {
        let index = json!({"schema_version": "1", "plugins": self.plugins});
        std::fs::write(self.index(), index.to_string()).unwrap();
    }

    fn index(&self) -> PathBuf {
        self.root.join("registry/index.json")
    }

    fn dest(&self) -> PathBuf {
        self.root.join("plugins")
    }

    fn request(&self, spec: &str, trusted: bool) -> InstallRequest {
        InstallRequest {
            registry: self.index().display().to_string(),
            spec: spec.to_string(),
            version: None,
            dest: self.dest(),
            trust_root: trusted.then(|| self.root.join("trust")),
            mode: Mode::Install,
            allow_downgrade: false,
            allow_expired: false,
            max_size: DEFAULT_MAX_SIZE,
            preloaded: None,
            pinned: None,
            planned: false,
            dry_run: false,
            imports: ImportPolicy::default(),
            world: None,
        }
    }

    fn install(&self, name: &str, trusted: bool) -> Result<InstallReport> {
        install(&self.request(name, trusted), &NoNetwork)
    }

    /// Every file under the plugins directory (receipts included).
    fn dest_listing(&self) -> Vec<(String, Vec<u8>)> {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, base, out);
                } else {
                    let name = path.strip_prefix(base).unwrap().display().to_string();
                    out.push((name, std::fs::read(&path).unwrap()));
                }
            }
        }
        let mut files = Vec::new();
        walk(&self.dest(), &self.dest(), &mut files);
        files.sort();
        files
    }

    fn receipt(&self, name: &str) -> Receipt {
        match receipt::read(&self.dest(), &PluginName::parse(name).unwrap()).unwrap() {
            Found::Valid(r) => r,
            other => panic!("no receipt for {name}: {other:?}"),
        }
    }

    fn run(&self, request: InstallRequest) -> Result<InstallReport> {
        install(&request, &NoNetwork)
    }
}

#[test]
fn a_signed_plugin_installs_with_its_sidecar_and_signer() {
    let mut fx = Fixture::new();
    fx.publish("colmask", "1.0.0", b"\0asm v1", true);
    let report = fx.install("colmask", true).unwrap();
    assert_eq!(report.version, "1.0.0");
    assert_eq!(report.signed_by.as_deref(), Some("release"));
    assert_eq!(report.size, 7);
    assert_eq!(report.action, InstallAction::Installed);
    assert_eq!(report.previous_version, None);
    let names: Vec<String> = fx.dest_listing().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            ".wasm-plugin/receipts/colmask.json",
            "colmask.sig",
            "colmask.wasm"
        ]
    );
    assert_eq!(
        std::fs::read(fx.dest().join("colmask.wasm")).unwrap(),
        b"\0asm v1"
    );
    let sig = std::fs::read_to_string(fx.dest().join("colmask.sig")).unwrap();
    assert_eq!(sig, STANDARD.encode(fx.key.sign(b"\0asm v1").to_bytes()));
}

#[test]
fn the_highest_version_is_installed_and_replaces_the_old_one() {
    let mut fx = Fixture::new();
    fx.publish("colmask", "0.9.0", b"old", true);
    fx.install("colmask", true).unwrap();
    fx.publish("colmask", "0.10.0", b"new", true);
    let report = fx.install("colmask", true).unwrap();
    assert_eq!(report.version, "0.10.0");
    assert_eq!(report.action, InstallAction::Upgraded);
    assert_eq!(report.previous_version.as_deref(), Some("0.9.0"));
    assert_eq!(
        std::fs::read(fx.dest().join("colmask.wasm")).unwrap(),
        b"new"
    );
}

#[test]
fn without_a_trust_root_an_unsigned_plugin_installs() {
    let mut fx = Fixture::new();
    fx.publish("plain", "1.0.0", b"bytes", false);
    let report = fx.install("plain", false).unwrap();
    assert_eq!(report.signed_by, None);
    assert_eq!(report.sig_path, None);
    let names: Vec<String> = fx.dest_listing().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, [".wasm-plugin/receipts/plain.json", "plain.wasm"]);
}

/// Installs v1, publishes a bad v2, and checks v2 fails with `expected`
/// and leaves v1 (and its sidecar) exactly as they were, with no temp file.
fn assert_refused_and_untouched(
    mutate: impl FnOnce(&mut Fixture),
    trusted: bool,
    expected: impl Fn(&Error) -> bool,
) {
    let mut fx = Fixture::new();
    fx.publish("colmask", "1.0.0", b"good v1", true);
    fx.install("colmask", trusted).unwrap();
    let before = fx.dest_listing();
    mutate(&mut fx);
    let err = fx.install("colmask", trusted).unwrap_err();
    assert!(expected(&err), "unexpected error {err:?}");
    assert_eq!(fx.dest_listing(), before, "the installed plugin changed");
}

#[test]
fn a_digest_mismatch_leaves_the_old_plugin() {
    assert_refused_and_untouched(
        |fx| {
            fx.publish("colmask", "2.0.0", b"v2", true);
            std::fs::write(fx.root.join("registry/colmask-2.0.0.wasm"), b"v2 tampered").unwrap();
        },
        true,
        |e| matches!(e, Error::DigestMismatch { .. }),
    );
}

#[test]
fn an_untrusted_signer_leaves_the_old_plugin() {
    assert_refused_and_untouched(
        |fx| {
            fx.key = SigningKey::from_bytes(&[7; 32]);
            fx.publish("colmask", "2.0.0", b"v2", true);
        },
        true,
        |e| matches!(e, Error::SignatureUntrusted { keys, .. } if keys == &["release"]),
    );
}

#[test]
fn a_missing_signature_with_a_trust_root_leaves_the_old_plugin() {
    assert_refused_and_untouched(
        |fx| {
            fx.publish("colmask", "2.0.0", b"v2", false);
        },
        true,
        |e| matches!(e, Error::SignatureMissing { .. }),
    );
}

#[test]
fn a_malformed_signature_is_refused_even_without_a_trust_root() {
    assert_refused_and_untouched(
        |fx| {
            fx.publish("colmask", "2.0.0", b"v2", true);
            fx.plugins[1]["signature"] = json!("bm90IDY0IGJ5dGVz");
            fx.write_index();
        },
        false,
        |e| matches!(e, Error::SignatureMalformed { reason, .. } if reason.contains("64 bytes")),
    );
}

#[test]
fn an_unreadable_co_signature_alone_installs_unsigned_without_a_trust_root() {
    let mut fx = Fixture::new();
    fx.publish("colmask", "1.0.0", b"v1", false);
    fx.plugins[0]["signatures"] = json!([{"keyid": "k", "sig": "not base64"}]);
    fx.write_index();
    let report = fx.install("colmask", false).unwrap();
    assert_eq!(report.sig_path, None);
}

#[test]
fn a_signature_over_other_bytes_is_untrusted() {
    assert_refused_and_untouched(
        |fx| {
            fx.publish("colmask", "2.0.0", b"v2", true);
            fx.plugins[1]["signature"] = fx.plugins[0]["signature"].clone();
            fx.write_index();
        },
        true,
        |e| matches!(e, Error::SignatureUntrusted { .. }),
    );
}

#[test]
fn a_missing_artifact_is_an_io_error() {
    assert_refused_and_untouched(
        |fx| {
            fx.publish("colmask", "2.0.0", b"v2", true);
            std::fs::remove_file(fx.root.join("registry/colmask-2.0.0.wasm")).unwrap();
        },
        true,
        |e| {
            matches!(
                e,
                Error::Io {
                    operation: "open",
                    ..
                }
            )
        },
    );
}

#[test]
fn a_remote_artifact_streams_through_the_fetcher() {
    let mut fx = Fixture::new();
    fx.publish("net", "1.0.0", b"remote bytes", true);
    fx.plugins[0]["artifact"] = json!("http://127.0.0.1:1/net.wasm");
    fx.write_index();
    let fetcher = ScriptedFetcher::default();
    fetcher.serve(
        "http://127.0.0.1:1/net.wasm",
        Script::Body(b"remote bytes".to_vec(), Some(12), 4),
    );
    let report = install(&fx.request("net", true), &fetcher).unwrap();
    assert_eq!(report.source, "http://127.0.0.1:1/net.wasm");
    assert_eq!(
        std::fs::read(fx.dest().join("net.wasm")).unwrap(),
        b"remote bytes"
    );

    // Reinstalling it is a no-op: nothing is fetched.
    fetcher.clear();
    let report = install(&fx.request("net", true), &fetcher).unwrap();
    assert_eq!(report.action, InstallAction::Unchanged);

    // A 404 is reported as such, not as a digest mismatch.
    fx.publish("net", "2.0.0", b"v2", true);
    fx.plugins[1]["artifact"] = json!("http://127.0.0.1:1/net.wasm");
    fx.write_index();
    fetcher.serve(
        "http://127.0.0.1:1/net.wasm",
        Script::Fail(FetchError::HttpStatus(404)),
    );
    let err = install(&fx.request("net", true), &fetcher).unwrap_err();
    assert!(matches!(
        err,
        Error::FetchFailed {
            cause: FetchError::HttpStatus(404),
            ..
        }
    ));
    assert_eq!(
        std::fs::read(fx.dest().join("net.wasm")).unwrap(),
        b"remote bytes"
    );
}

#[test]
fn input_errors_come_before_any_fetch() {
    let mut fx = Fixture::new();
    fx.publish("colmask", "1.0.0", b"v1", true);
    // Hostile names are refused before the index is even read.
    std::fs::write(fx.index(), "not json").unwrap();
    let err = fx.install("../x", true).unwrap_err();
    assert!(matches!(err, Error::InvalidName { .. }));
    let err = fx.install("colmask", true).unwrap_err();
    assert!(
        matches!(
            err,
            Error::IndexMalformed {
                line: 1,
                column: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(fx.dest_listing().is_empty());
    assert!(Path::new(&fx.dest()).exists());
}

#[test]
fn an_unknown_version_names_the_ones_that_exist() {
    let mut fx = Fixture::new();
    fx.publish("colmask", "1.0.0", b"v1", true);
    let mut request = fx.request("colmask", true);
    request.version = Some("3.0.0".into());
    let err = install(&request, &NoNetwork).unwrap_err();
    assert_eq!(
        err,
        Error::UnknownVersion {
            name: "colmask".into(),
            requested: "3.0.0".into(),
            requirement: false,
            available: vec!["1.0.0".into()],
            pre_releases: vec![],
        }
    );
}

#[test]
fn the_receipt_records_what_was_installed() {
    let mut fx = Fixture::new();
    fx.publish("colmask", "1.0.0", b"\0asm v1", true);
    let report = fx.install("colmask", true).unwrap();
    let r = fx.receipt("colmask");
    assert_eq!(r.name, "colmask");
    assert_eq!(r.version, "1.0.0");
    assert_eq!(r.sha256, report.sha256);
    assert_eq!(r.size, 7);
    assert_eq!(r.signed_by.as_deref(), Some("release"));
    assert_eq!(r.registry, fx.index().display().to_string());
    assert!(r.artifact.ends_with("colmask-1.0.0.wasm"), "{}", r.artifact);
    assert!(crate::clock::parse(&r.installed_at).is_ok());
}

#[test]
fn installing_the_installed_version_again_writes_nothing() {
    let mut fx = Fixture::new();
    fx.publish("colmask", "1.0.0", b"\0asm v1", true);
    fx.install("colmask", true).unwrap();
    let before = fx.dest_listing();
    let report = fx.install("colmask", true).unwrap();
    assert_eq!(report.action, InstallAction::Unchanged);
    assert_eq!(report.signed_by.as_deref(), Some("release"));
    assert_eq!(fx.dest_listing(), before);
}

#[test]
fn a_tampered_installed_copy_is_reinstalled() {
    let mut fx = Fixture::new();
    fx.publish("colmask", "1.0.0", b"\0asm v1", true);
    fx.install("colmask", true).unwrap();
    std::fs::write(fx.dest().join("colmask.wasm"), b"tampered").unwrap();
    let report = fx.install("colmask", true).unwrap();
    assert_eq!(report.action, InstallAction::Reinstalled);
    assert_eq!(
        std::fs::read(fx.dest().join("colmask.wasm")).unwrap(),
        b"\0asm v1"
    );
    // A lost sidecar too.
    std::fs::remove_file(fx.dest().join("colmask.sig")).unwrap();
    assert_eq!(
        fx.install("colmask", true).unwrap().action,
        InstallAction::Reinstalled
    );
    assert!(fx.dest().join("colmask.sig").exists());
}

#[test]
fn a_downgrade_is_refused_unless_allowed() {
    let mut fx = Fixture::new();
    fx.publish("colmask", "0.1.0", b"v0.1", true);
    fx.publish("colmask", "0.2.0", b"v0.2", true);
    fx.install("colmask", true).unwrap();
    let before = fx.dest_listing();
    let err = fx.install("colmask@=0.1.0", true).unwrap_err();
    assert_eq!(
        err,
        Error::DowngradeRefused {
            name: "colmask".into(),
            installed: "0.2.0".into(),
            requested: "0.1.0".into()
        }
    );
    assert_eq!(fx.dest_listing(), before);
    let mut request = fx.request("colmask@=0.1.0", true);
    request.allow_downgrade = true;
    let report = fx.run(request).unwrap();
    assert_eq!(report.action, InstallAction::Downgraded);
    assert_eq!(fx.receipt("colmask").version, "0.1.0");
}

#[test]
fn a_requirement_selects_the_highest_match() {
    let mut fx = Fixture::new();
    for v in ["1.1.0", "1.4.2", "2.0.0"] {
        fx.publish("colmask", v, v.as_bytes(), true);
    }
    assert_eq!(fx.install("colmask@^1.2", true).unwrap().version, "1.4.2");
    let err = fx.install("colmask@^3", true).unwrap_err();
    assert!(matches!(err, Error::UnknownVersion { .. }), "{err:?}");
}

#[test]
fn upgrade_moves_up_and_never_down() {
    let mut fx = Fixture::new();
    fx.publish("colmask", "1.0.0", b"v1", true);
    let upgrade = |fx: &Fixture| {
        let mut request = fx.request("colmask", true);
        request.mode = Mode::Upgrade;
        fx.run(request)
    };
    let err = upgrade(&fx).unwrap_err();
    assert!(
        matches!(err, Error::NotInstalled { ref installed, .. } if installed.is_empty()),
        "{err:?}"
    );
    fx.install("colmask", true).unwrap();
    assert_eq!(upgrade(&fx).unwrap().action, InstallAction::Unchanged);
    fx.publish("colmask", "1.1.0", b"v1.1", true);
    let report = upgrade(&fx).unwrap();
    assert_eq!(
        (report.action, report.version.as_str()),
        (InstallAction::Upgraded, "1.1.0")
    );
    // Installed 1.1.0, registry now tops out lower: kept, not downgraded.
    fx.plugins.pop();
    fx.write_index();
    let report = upgrade(&fx).unwrap();
    assert_eq!(
        (report.action, report.version.as_str()),
        (InstallAction::Unchanged, "1.1.0")
    );
}

#[test]
fn upgrade_stays_within_the_requirement_the_install_recorded() {
    let mut fx = Fixture::new();
    for (version, bytes) in [("1.2.0", b"a"), ("1.2.5", b"b"), ("1.3.0", b"c")] {
        fx.publish("colmask", version, bytes, true);
    }
    let run = |fx: &Fixture, spec: &str, mode: Mode, dry_run: bool| {
        let mut request = fx.request(spec, true);
        request.mode = mode;
        request.dry_run = dry_run;
        fx.run(request).unwrap()
    };
    let report = run(&fx, "colmask@~1.2", Mode::Install, false);
    assert_eq!(report.version, "1.2.5");
    assert_eq!(fx.receipt("colmask").requirement.as_deref(), Some("~1.2"));
    // Not moved to 1.3.0 by a plain upgrade.
    let report = run(&fx, "colmask", Mode::Upgrade, false);
    assert_eq!(
        (report.action, report.version.as_str()),
        (InstallAction::Unchanged, "1.2.5")
    );
    // A dry run of a new requirement says what it would do, and does
    // nothing.
    let before = fx.dest_listing();
    let plan = run(&fx, "colmask@^1", Mode::Upgrade, true);
    assert_eq!(
        (plan.action, plan.version.as_str()),
        (InstallAction::Upgraded, "1.3.0")
    );
    assert_eq!(fx.dest_listing(), before);
    // Given, it moves and is recorded.
    let report = run(&fx, "colmask@^1", Mode::Upgrade, false);
    assert_eq!(
        (report.action, report.version.as_str()),
        (InstallAction::Upgraded, "1.3.0")
    );
    assert_eq!(fx.receipt("colmask").requirement.as_deref(), Some("^1"));
    // Already at the highest match, a new requirement is still recorded.
    run(&fx, "colmask@>=1.3", Mode::Upgrade, false);
    assert_eq!(fx.receipt("colmask").requirement.as_deref(), Some(">=1.3"));
    // One the installed version does not meet is refused, not recorded:
    // upgrade never moves down.
    let mut request = fx.request("colmask@~1.2", true);
    request.mode = Mode::Upgrade;
    let err = fx.run(request).unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest { ref reason, .. } if reason.contains("--allow-downgrade")),
        "{err:?}"
    );
    assert_eq!(fx.receipt("colmask").requirement.as_deref(), Some(">=1.3"));
    // Every match of the recorded requirement withdrawn: kept as it is.
    fx.plugins.retain(|p| p["version"] != "1.3.0");
    fx.write_index();
    let report = run(&fx, "colmask", Mode::Upgrade, false);
    assert_eq!(
        (report.action, report.version.as_str()),
        (InstallAction::Unchanged, "1.3.0")
    );
    // A recorded requirement that does not parse is an error, not "any".
    let mut receipt = fx.receipt("colmask");
    receipt.requirement = Some("not a requirement".into());
    let staged = receipt::stage(&fx.dest(), &receipt).unwrap();
    receipt::commit(&fx.dest(), &PluginName::parse("colmask").unwrap(), staged).unwrap();
    let mut request = fx.request("colmask", true);
    request.mode = Mode::Upgrade;
    let err = fx.run(request).unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest { ref reason, .. } if reason.contains("does not parse")),
        "{err:?}"
    );
}

#[test]
fn a_failed_install_keeps_the_old_receipt() {
    let mut fx = Fixture::new();
    fx.publish("colmask", "1.0.0", b"v1", true);
    fx.install("colmask", true).unwrap();
    let receipt_before = fx.receipt("colmask");
    fx.publish("colmask", "2.0.0", b"v2", true);
    std::fs::write(fx.root.join("registry/colmask-2.0.0.wasm"), b"bad").unwrap();
    assert!(fx.install("colmask", true).is_err());
    assert_eq!(fx.receipt("colmask"), receipt_before);
}

/// Sigstore: the trust root's `sigstore.json` covers `colmask`, whose
/// artefact is the conformance suite's `a.txt` (any bytes install when no
/// world or policy is asked) with its real keyless bundle.
mod sigstore {
    use super::*;

    const ASSETS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/assets/sigstore-conformance/bundle-verify"
    );
    const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    const ISSUER: &str = "https://token.actions.githubusercontent.com";

    fn asset(path: &str) -> Vec<u8> {
        std::fs::read(format!("{ASSETS}/{path}")).unwrap()
    }

    fn bundle(case: &str) -> serde_json::Value {
        serde_json::from_slice(&asset(&format!("{case}/bundle.sigstore.json"))).unwrap()
    }

    /// `colmask` 1.0.0 = a.txt, Ed25519-signed when `signed`, with `bundle`
    /// inline (or none); the policy accepts `identity`.
    fn fixture(identity: &str, signed: bool, bundle: Option<serde_json::Value>) -> Fixture {
        let mut fx = Fixture::new();
        let policy = json!({"identities": [
            {"plugins": "col*", "issuer": ISSUER, "identity": identity}]});
        std::fs::write(fx.root.join("trust/sigstore.json"), policy.to_string()).unwrap();
        fx.publish("colmask", "1.0.0", &asset("a.txt"), signed);
        if let Some(bundle) = bundle {
            fx.plugins[0]["sigstore_bundle"] = bundle;
            fx.write_index();
        }
        fx
    }

    fn files(fx: &Fixture) -> Vec<String> {
        fx.dest_listing()
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| !n.starts_with(".wasm-plugin"))
            .collect()
    }

    #[test]
    fn a_bundle_by_the_accepted_identity_installs_and_is_placed() {
        let fx = fixture(IDENTITY, false, Some(bundle("happy-path-v0.3")));
        let report = fx.install("colmask", true).unwrap();
        let signer = format!("sigstore:{IDENTITY} ({ISSUER})");
        assert_eq!(report.signed_by.as_deref(), Some(signer.as_str()));
        assert_eq!(
            fx.receipt("colmask").signed_by.as_deref(),
            Some(signer.as_str())
        );
        assert_eq!(files(&fx), ["colmask.sigstore.json", "colmask.wasm"]);
        // Again: intact, nothing written.
        let again = fx.install("colmask", true).unwrap();
        assert_eq!(again.action, InstallAction::Unchanged);
    }

    #[test]
    fn a_bundle_given_by_location_is_read_beside_the_index() {
        let fx = fixture(IDENTITY, false, None);
        std::fs::write(
            fx.root.join("registry/colmask.sigstore.json"),
            asset("happy-path-v0.3/bundle.sigstore.json"),
        )
        .unwrap();
        let mut fx = fx;
        fx.plugins[0]["sigstore_bundle"] = json!("colmask.sigstore.json");
        fx.write_index();
        assert!(
            fx.install("colmask", true)
                .unwrap()
                .signed_by
                .unwrap()
                .starts_with("sigstore:")
        );
    }

    #[test]
    fn a_bundle_that_does_not_verify_is_refused_even_beside_a_good_signature() {
        for (identity, case) in [
            ("https://github.com/mallory/x", "happy-path-v0.3"),
            (IDENTITY, "message-digest-mismatch_fail"),
            (IDENTITY, "inclusion-proof-corrupted-hash_fail"),
        ] {
            let fx = fixture(identity, true, Some(bundle(case)));
            let err = fx.install("colmask", true).unwrap_err();
            assert!(
                matches!(err, Error::SigstoreUnverified { .. }),
                "{case}: {err:?}"
            );
            assert!(files(&fx).is_empty(), "{case}");
        }
    }

    #[test]
    fn without_a_bundle_the_ed25519_signature_decides() {
        let fx = fixture(IDENTITY, true, None);
        let report = fx.install("colmask", true).unwrap();
        assert_eq!(report.signed_by.as_deref(), Some("release"));
        let fx = fixture(IDENTITY, false, None);
        let err = fx.install("colmask", true).unwrap_err();
        assert!(matches!(err, Error::SignatureMissing { .. }), "{err:?}");
        assert!(files(&fx).is_empty());
    }

    #[test]
    fn an_upgrade_without_a_bundle_removes_the_stale_one() {
        let mut fx = fixture(IDENTITY, false, Some(bundle("happy-path-v0.3")));
        fx.install("colmask", true).unwrap();
        fx.publish("colmask", "1.1.0", b"\0asm v2", true);
        let mut request = fx.request("colmask", true);
        request.mode = Mode::Upgrade;
        let report = fx.run(request).unwrap();
        assert_eq!(report.signed_by.as_deref(), Some("release"));
        assert_eq!(files(&fx), ["colmask.sig", "colmask.wasm"]);
    }
}

mod minisign {
    use super::*;
    use crate::trust::minisign::tests::{key_file, sign};

    const ID: [u8; 8] = [9, 8, 7, 6, 5, 4, 3, 2];

    fn ops() -> SigningKey {
        SigningKey::from_bytes(&[77; 32])
    }

    /// `colmask` 1.0.0 with `minisig` (made by `signer`), Ed25519-signed
    /// when `signed`; `ops.pub` a minisign key of the trust root.
    fn fixture(signer: &SigningKey, prehashed: bool, signed: bool) -> Fixture {
        let mut fx = Fixture::new();
        std::fs::write(fx.root.join("trust/ops.pub"), key_file(&ops(), ID)).unwrap();
        let bytes = b"\0asm minisigned";
        fx.publish("colmask", "1.0.0", bytes, signed);
        let minisig = sign(
            signer,
            ID,
            bytes,
            prehashed,
            "timestamp:1\tfile:colmask.wasm",
        );
        fx.plugins[0]["minisig"] = json!(minisig);
        fx.write_index();
        fx
    }

    fn files(fx: &Fixture) -> Vec<String> {
        fx.dest_listing()
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| !n.starts_with(".wasm-plugin"))
            .collect()
    }

    #[test]
    fn a_minisig_by_a_trusted_key_installs_and_is_placed() {
        for prehashed in [true, false] {
            let fx = fixture(&ops(), prehashed, false);
            let report = fx.install("colmask", true).unwrap();
            assert_eq!(report.signed_by.as_deref(), Some("minisign:ops"));
            assert_eq!(
                fx.receipt("colmask").signed_by.as_deref(),
                Some("minisign:ops")
            );
            assert_eq!(files(&fx), ["colmask.minisig", "colmask.wasm"]);
            let placed = std::fs::read_to_string(fx.dest().join("colmask.minisig")).unwrap();
            assert_eq!(placed, fx.plugins[0]["minisig"].as_str().unwrap());
            // Again: intact, nothing written.
            let again = fx.install("colmask", true).unwrap();
            assert_eq!(again.action, InstallAction::Unchanged);
            // An altered sidecar is not intact: installed again.
            std::fs::write(fx.dest().join("colmask.minisig"), "x").unwrap();
            let again = fx.install("colmask", true).unwrap();
            assert_eq!(again.action, InstallAction::Reinstalled, "{again:?}");
        }
    }

    #[test]
    fn beside_an_ed25519_signature_both_are_shown_and_placed() {
        let fx = fixture(&ops(), true, true);
        let report = fx.install("colmask", true).unwrap();
        assert_eq!(report.signed_by.as_deref(), Some("release, minisign:ops"));
        assert_eq!(
            files(&fx),
            ["colmask.minisig", "colmask.sig", "colmask.wasm"]
        );
    }

    #[test]
    fn a_minisig_that_does_not_verify_is_refused_even_beside_a_good_signature() {
        let check_of = |fx: &Fixture| match fx.install("colmask", true).unwrap_err() {
            Error::MinisignUnverified { check, .. } => check,
            other => panic!("{other:?}"),
        };
        // Another key with the trusted key's id: not these bytes by it.
        let fx = fixture(&SigningKey::from_bytes(&[1; 32]), true, true);
        assert_eq!(check_of(&fx), "signature");
        assert!(files(&fx).is_empty());
        // An altered trusted comment.
        let mut fx = fixture(&ops(), false, true);
        let altered = fx.plugins[0]["minisig"]
            .as_str()
            .unwrap()
            .replace("file:colmask.wasm", "file:other.wasm");
        fx.plugins[0]["minisig"] = json!(altered);
        fx.write_index();
        assert_eq!(check_of(&fx), "trusted-comment");
        assert!(files(&fx).is_empty());
        // Not a .minisig at all.
        fx.plugins[0]["minisig"] = json!("untrusted comment: x\nAAAA\n");
        fx.write_index();
        assert_eq!(check_of(&fx), "malformed");
        // A key id the trust root does not hold.
        let fx = fixture(&ops(), true, false);
        std::fs::write(fx.root.join("trust/ops.pub"), key_file(&ops(), [0; 8])).unwrap();
        fx.write_index();
        let err = fx.install("colmask", true).unwrap_err();
        let Error::MinisignUnverified { check, reason, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(check, "key");
        assert!(
            reason.contains("signed by minisign key 0203040506070809"),
            "{reason}"
        );
        assert!(reason.contains("ops.pub (0000000000000000)"), "{reason}");
        assert!(files(&fx).is_empty());
    }

    #[test]
    fn without_minisign_keys_a_minisig_beside_a_signature_is_left_alone() {
        let fx = fixture(&ops(), true, true);
        std::fs::remove_file(fx.root.join("trust/ops.pub")).unwrap();
        let report = fx.install("colmask", true).unwrap();
        assert_eq!(report.signed_by.as_deref(), Some("release"));
        assert_eq!(files(&fx), ["colmask.sig", "colmask.wasm"]);
    }

    #[test]
    fn an_upgrade_without_a_minisig_removes_the_stale_one() {
        let mut fx = fixture(&ops(), true, false);
        fx.install("colmask", true).unwrap();
        fx.publish("colmask", "1.1.0", b"\0asm v2", true);
        let mut request = fx.request("colmask", true);
        request.mode = Mode::Upgrade;
        let report = fx.run(request).unwrap();
        assert_eq!(report.signed_by.as_deref(), Some("release"));
        assert_eq!(files(&fx), ["colmask.sig", "colmask.wasm"]);
    }
}
