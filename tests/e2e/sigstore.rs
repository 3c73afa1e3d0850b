//! Sigstore bundles through the real binary: the public sigstore-conformance
//! suite's `bundle-verify` cases, driven as the suite drives a client
//! (`tests/assets/sigstore-conformance/PROVENANCE.md`), and what a user sees
//! when a bundle is refused.

use crate::util::{Env, Run, sha256_hex};
use std::path::{Path, PathBuf};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/assets/sigstore-conformance/bundle-verify")
}

fn text(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|t| t.trim().to_string())
}

/// The protocol's arguments for one case: with the artefact's path, or with
/// `sha256:HEX` when `digest`.
fn protocol_args(case: &Path, digest: bool) -> Vec<String> {
    let mut args = vec!["verify-bundle".to_string(), "--bundle".into()];
    args.push(case.join("bundle.sigstore.json").display().to_string());
    match case.join("key.pub").exists() {
        true => args.extend(["--key".into(), case.join("key.pub").display().to_string()]),
        false => args.extend([
            "--certificate-identity".into(),
            text(&case.join("identity")).unwrap_or(DEFAULT_IDENTITY.into()),
            "--certificate-oidc-issuer".into(),
            text(&case.join("issuer")).unwrap_or(DEFAULT_ISSUER.into()),
        ]),
    }
    if case.join("trusted_root.json").exists() {
        args.extend([
            "--trusted-root".into(),
            case.join("trusted_root.json").display().to_string(),
        ]);
    }
    let artefact = match case.join("artifact").exists() {
        true => case.join("artifact"),
        false => cases_dir().join("a.txt"),
    };
    args.push(match digest {
        true => format!("sha256:{}", sha256_hex(&std::fs::read(&artefact).unwrap())),
        false => artefact.display().to_string(),
    });
    args
}

#[test]
fn every_conformance_case_verifies_or_is_refused_as_its_name_says() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 70, "{} cases", cases.len());
    let runs: Vec<(PathBuf, bool)> = cases
        .iter()
        .flat_map(|c| [(c.clone(), false), (c.clone(), true)])
        .collect();
    // Side by side: each run is a process of its own.
    let env = Env::new();
    let results: Vec<(PathBuf, bool, Run)> = std::thread::scope(|scope| {
        let chunks: Vec<_> = runs.chunks(runs.len().div_ceil(4)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let env = &env;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(case, digest)| {
                            let args = protocol_args(case, *digest);
                            let args: Vec<&str> = args.iter().map(String::as_str).collect();
                            (case.clone(), *digest, env.run(&args))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut wrong = Vec::new();
    for (case, digest, run) in &results {
        let name = case.file_name().unwrap().to_string_lossy();
        let should_fail = name.ends_with("_fail");
        let verified = run.code == 0;
        // A refusal is exit 1 (the bundle does not verify) or 2 (input the
        // verifier cannot use, such as a key file that is no key); never a
        // crash or a runtime failure.
        let refused_cleanly = matches!(run.code, 1 | 2) && run.stderr.starts_with("error: ");
        if verified == should_fail || (!verified && !refused_cleanly) {
            wrong.push(format!(
                "{name} ({}): exit {}\n{}{}",
                if *digest { "digest" } else { "file" },
                run.code,
                run.stdout,
                run.stderr
            ));
        }
        if verified {
            assert!(run.stdout.starts_with("verified "), "{}", run.stdout);
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} runs wrong:\n{}",
        wrong.len(),
        results.len(),
        wrong.join("\n")
    );
}

#[test]
fn a_refused_bundle_names_the_check_and_json_says_who_signed() {
    let case = cases_dir().join("happy-path-v0.3");
    let env = Env::new();
    let mut args = protocol_args(&case, false);
    args.push("--json".into());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let ok = env.run(&argv).expect(0).json();
    assert_eq!(
        ok["signed_by"],
        format!("sigstore:{DEFAULT_IDENTITY} ({DEFAULT_ISSUER})").as_str()
    );
    assert_eq!(
        ok["sha256"],
        sha256_hex(&std::fs::read(cases_dir().join("a.txt")).unwrap()).as_str()
    );

    // Another identity: refused, exit 1, naming the identity check.
    let other = args
        .iter()
        .map(|a| match a.as_str() {
            DEFAULT_IDENTITY => {
                "https://github.com/mallory/x/.github/workflows/r.yml@refs/heads/main".to_string()
            }
            _ => a.clone(),
        })
        .collect::<Vec<_>>();
    let argv: Vec<&str> = other.iter().map(String::as_str).collect();
    let refused = env.run(&argv).expect(1).json();
    assert_eq!(refused["error"]["kind"], "sigstore-unverified");
    assert_eq!(refused["error"]["details"]["check"], "identity");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("mallory"), "{message}");

    // Another issuer, in words on stderr.
    let other = args
        .iter()
        .filter(|a| a.as_str() != "--json")
        .map(|a| match a.as_str() {
            DEFAULT_ISSUER => "https://accounts.google.com".to_string(),
            _ => a.clone(),
        })
        .collect::<Vec<_>>();
    let argv: Vec<&str> = other.iter().map(String::as_str).collect();
    env.run(&argv)
        .expect(1)
        .says(&["does not verify", "accounts.google.com"]);
}

#[test]
fn verify_bundle_without_a_signer_or_with_a_missing_file_is_a_usage_error() {
    let env = Env::new();
    env.write("a.txt", b"hello");
    env.write("b.json", b"{}");
    let missing_signer = env.run(&["verify-bundle", "--bundle", "b.json", "a.txt"]);
    assert_eq!(missing_signer.code, 2, "{}", missing_signer.stderr);
    env.run(&[
        "verify-bundle",
        "--bundle",
        "nope.json",
        "--key",
        "k.pub",
        "a.txt",
    ])
    .expect(2)
    .says(&["nope.json"]);
    // A bundle that is not one: refused as such, exit 1.
    env.write("k.pub", b"not a key");
    let run = env.run(&[
        "verify-bundle",
        "--bundle",
        "b.json",
        "--certificate-identity",
        "x",
        "--certificate-oidc-issuer",
        "y",
        "a.txt",
    ]);
    run.expect(1).says(&["b.json", "a.txt"]);
}
