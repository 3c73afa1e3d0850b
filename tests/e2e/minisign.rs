//! minisign: a trust root's minisign `*.pub` and an index entry's
//! `minisig`, made by Debian's `minisign` (installed with apt-get when
//! missing, as root or with `sudo -n`), installed, refused, verified and
//! audited through the real binary.

use crate::util::*;
use serde_json::{Value, json};
use std::process::{Command, Stdio};

/// Debian's `minisign`, installed once when missing.
pub fn ensure_installed() {
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        let present = || {
            Command::new("sh")
                .args(["-c", "command -v minisign"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if present() {
            return;
        }
        let script = "sudo=''; [ \"$(id -u)\" = 0 ] || sudo='sudo -n'; \
                      export DEBIAN_FRONTEND=noninteractive; \
                      $sudo apt-get install -y -q minisign || \
                      { $sudo apt-get update -q && $sudo apt-get install -y -q minisign; }";
        let out = Command::new("sh")
            .args(["-c", script])
            .output()
            .expect("run apt-get");
        assert!(
            out.status.success() && present(),
            "the minisign tests need Debian's minisign and installing it failed; \
             run `apt-get install minisign`\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// Runs `minisign args...` in the scratch directory, with no terminal.
fn minisign(env: &Env, args: &[&str]) {
    ensure_installed();
    let out = Command::new("minisign")
        .args(args)
        .current_dir(&env.root)
        .stdin(Stdio::null())
        .output()
        .expect("run minisign");
    assert!(out.status.success(), "minisign {args:?}: {out:?}");
}

/// A passwordless key pair: `trust/<label>.pub` (in the trust root when
/// `trusted`, else beside it) and `<label>.key`.
fn keygen(env: &Env, label: &str, trusted: bool) {
    std::fs::create_dir_all(env.path("trust")).unwrap();
    let public = match trusted {
        true => format!("trust/{label}.pub"),
        false => format!("{label}.pub"),
    };
    let secret = format!("{label}.key");
    minisign(env, &["-G", "-W", "-p", &public, "-s", &secret]);
}

/// The text of a `.minisig` of `bytes` by `label`'s key, prehashed unless
/// `legacy`, with `comment` as its trusted comment.
fn sign(env: &Env, label: &str, bytes: &[u8], legacy: bool, comment: &str) -> String {
    let file = format!("{label}-signed.bin");
    env.write(&file, bytes);
    let secret = format!("{label}.key");
    let mut args = vec!["-S", "-s", &secret, "-m", &file, "-t", comment];
    if legacy {
        args.push("-l");
    }
    minisign(env, &args);
    String::from_utf8(env.read(&format!("{file}.minisig"))).unwrap()
}

/// colmask `version` = `bytes`, with `minisig` and no Ed25519 signature.
fn publish(env: &Env, reg: &mut Registry, version: &str, bytes: &[u8], minisig: &str) {
    let entry = reg.publish(env, "colmask", version, bytes, None);
    entry["minisig"] = json!(minisig);
    reg.save(env);
}

fn install(env: &Env, reg: &Registry, verb: &str) -> Run {
    let index = reg.index();
    env.run(&[
        verb,
        "colmask",
        "--registry",
        &index,
        "--dest",
        "plugins",
        "--trust-root",
        "trust",
        "--json",
    ])
}

/// An install refused with exit 1 as `minisign-unverified`, naming
/// `says`, with the plugins directory as it was.
#[track_caller]
fn refused(env: &Env, reg: &Registry, verb: &str, says: &[&str]) {
    std::fs::create_dir_all(env.path("plugins")).unwrap();
    // Every file but the lock, which the first run makes.
    let files = || {
        let mut files = env.snapshot("plugins");
        files.retain(|(name, _)| name != ".wasm-plugin/lock");
        files
    };
    let before = files();
    let run = install(env, reg, verb).expect(INTEGRITY);
    let error = &run.json()[0]["error"];
    assert_eq!(error["kind"], "minisign-unverified", "{error}");
    let message = error.to_string();
    for part in says {
        assert!(message.contains(part), "{part:?} not in {message}");
    }
    assert_eq!(files(), before);
}

const PLUGIN: &[u8] = b"\0asm\x01\0\0\0 colmask, minisign-signed";

#[test]
fn prehashed_and_legacy_signatures_install_against_a_minisign_pub() {
    for legacy in [false, true] {
        let env = Env::new();
        keygen(&env, "ops", true);
        let minisig = sign(&env, "ops", PLUGIN, legacy, "colmask 1.0.0");
        // `Ed` (legacy) or `ED` (prehashed), in base64.
        assert_eq!(minisig.lines().nth(1).unwrap().starts_with("RW"), legacy);
        let mut reg = Registry::new("registry");
        publish(&env, &mut reg, "1.0.0", PLUGIN, &minisig);
        let report = install(&env, &reg, "install").expect(OK).json()[0].clone();
        assert_eq!(report["signed_by"], "minisign:ops", "{report}");
        assert_eq!(env.visible("plugins"), ["colmask.minisig", "colmask.wasm"]);
        assert_eq!(env.read("plugins/colmask.minisig"), minisig.as_bytes());
        assert_eq!(env.read("plugins/colmask.wasm"), PLUGIN);
        let receipt: Value =
            serde_json::from_slice(&env.read("plugins/.wasm-plugin/receipts/colmask.json"))
                .unwrap();
        assert_eq!(receipt["signed_by"], "minisign:ops");
        // Installed again: intact, unchanged.
        let again = install(&env, &reg, "install").expect(OK).json()[0].clone();
        assert_eq!(again["action"], "unchanged", "{again}");
        // The placed pair verifies with minisign itself.
        minisign(
            &env,
            &[
                "-V",
                "-p",
                "trust/ops.pub",
                "-m",
                "plugins/colmask.wasm",
                "-x",
                "plugins/colmask.minisig",
            ],
        );
    }
}

#[test]
fn another_key_is_refused_and_the_installed_plugin_is_untouched() {
    let env = Env::new();
    keygen(&env, "ops", true);
    keygen(&env, "mallory", false);
    let mut reg = Registry::new("registry");
    let good = sign(&env, "ops", PLUGIN, false, "colmask 1.0.0");
    publish(&env, &mut reg, "1.0.0", PLUGIN, &good);
    install(&env, &reg, "install").expect(OK);
    let v2 = b"\0asm\x01\0\0\0 colmask 2, by mallory";
    let bad = sign(&env, "mallory", v2, false, "colmask 2.0.0");
    publish(&env, &mut reg, "2.0.0", v2, &bad);
    refused(
        &env,
        &reg,
        "upgrade",
        &[
            "\"check\":\"key\"",
            "is not a *.pub of the trust root",
            "ops.pub (",
        ],
    );
    assert_eq!(env.read("plugins/colmask.wasm"), PLUGIN);
    assert_eq!(env.read("plugins/colmask.minisig"), good.as_bytes());
}

#[test]
fn a_tampered_trusted_comment_or_other_bytes_are_refused() {
    let env = Env::new();
    keygen(&env, "ops", true);
    for legacy in [false, true] {
        let minisig = sign(&env, "ops", PLUGIN, legacy, "colmask 1.0.0");
        let tampered = minisig.replace("colmask 1.0.0", "colmask 9.9.9");
        let mut reg = Registry::new("registry");
        publish(&env, &mut reg, "1.0.0", PLUGIN, &tampered);
        refused(
            &env,
            &reg,
            "install",
            &["\"check\":\"trusted-comment\"", "colmask 9.9.9"],
        );
        assert!(env.visible("plugins").is_empty());

        let other = sign(&env, "ops", b"other bytes", legacy, "colmask 1.0.0");
        let mut reg = Registry::new("registry");
        publish(&env, &mut reg, "1.0.0", PLUGIN, &other);
        refused(
            &env,
            &reg,
            "install",
            &["\"check\":\"signature\"", "is not of these bytes"],
        );
        assert!(env.visible("plugins").is_empty());
    }
    // Not a .minisig: refused as malformed, saying what one is.
    let mut reg = Registry::new("registry");
    publish(
        &env,
        &mut reg,
        "1.0.0",
        PLUGIN,
        "untrusted comment: x\nRWQ=\n",
    );
    refused(
        &env,
        &reg,
        "install",
        &["\"check\":\"malformed\"", "minisign -S"],
    );
}

#[test]
fn verify_and_audit_catch_a_removed_or_altered_minisig() {
    let env = Env::new();
    keygen(&env, "ops", true);
    let minisig = sign(&env, "ops", PLUGIN, false, "colmask 1.0.0");
    let mut reg = Registry::new("registry");
    publish(&env, &mut reg, "1.0.0", PLUGIN, &minisig);
    install(&env, &reg, "install").expect(OK);
    let verify = |code| {
        env.run(&[
            "verify",
            "plugins/colmask.wasm",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(code)
    };
    let audit = |code| {
        env.run(&[
            "audit",
            "--dest",
            "plugins",
            "--trust-root",
            "trust",
            "--json",
        ])
        .expect(code)
        .json()
    };
    assert_eq!(verify(OK).json()["signed_by"], "minisign:ops");
    let clean = audit(OK);
    assert_eq!(clean["plugins"][0]["signed_by"], "minisign:ops", "{clean}");

    // Altered: its trusted comment.
    env.write(
        "plugins/colmask.minisig",
        minisig.replace("colmask 1.0.0", "colmask 1.0.1"),
    );
    let found = audit(INTEGRITY);
    let finding = &found["plugins"][0]["findings"][0];
    assert_eq!(finding["kind"], "signature-invalid", "{found}");
    assert!(
        finding["path"]
            .as_str()
            .unwrap()
            .ends_with("colmask.minisig")
    );
    let refused = verify(INTEGRITY).json();
    assert_eq!(refused["error"]["kind"], "minisign-unverified", "{refused}");

    // Removed.
    std::fs::remove_file(env.path("plugins/colmask.minisig")).unwrap();
    let found = audit(INTEGRITY);
    let minisig_missing = found["plugins"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| {
            f["kind"] == "signature-missing" && f["path"].as_str().unwrap().ends_with(".minisig")
        });
    assert!(minisig_missing, "{found}");
    verify(INTEGRITY);

    // Uninstall removes it with the plugin.
    env.write("plugins/colmask.minisig", &minisig);
    env.run(&["uninstall", "colmask", "--dest", "plugins"])
        .expect(OK);
    assert!(env.visible("plugins").is_empty());
}

#[test]
fn a_malformed_minisign_pub_is_refused_naming_it() {
    let env = Env::new();
    env.write(
        "trust/ops.pub",
        "untrusted comment: minisign public key\nRWQ=\n",
    );
    let mut reg = Registry::new("registry");
    reg.publish(&env, "colmask", "1.0.0", PLUGIN, None);
    let run = install(&env, &reg, "install").expect(INPUT);
    let error = run.json()[0]["error"].to_string();
    assert!(error.contains("trust/ops.pub"), "{error}");
    assert!(error.contains("minisign -G"), "{error}");
}
