//! The public sigstore-conformance suite's `bundle-verify` cases, run
//! through [`verify`](super::verify) as the suite runs a client (see
//! `tests/assets/sigstore-conformance/PROVENANCE.md`): each case twice, with
//! the artefact's bytes and with only its SHA-256, and each must verify, or
//! be refused when its name ends in `_fail`.
//!
//! A case this verifier gets wrong is listed in `KNOWN_FAILURES` with the
//! reason; the test fails when the list and the results disagree either
//! way, so a fixed case has to leave the list.

use crate::trust::sigstore::{
    self, Artefact, Expectation, Identity, PublicKey, Refusal, Signer, TrustedRootSource,
};
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// `(case, input, why)` for each run that does not come out as its name
/// says; `input` is `bytes` or `digest`.
const KNOWN_FAILURES: &[(&str, &str, &str)] = &[];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/assets/sigstore-conformance/bundle-verify")
}

#[derive(Clone, Copy, Debug)]
enum Input {
    Bytes,
    Digest,
}

impl Input {
    fn name(self) -> &'static str {
        match self {
            Input::Bytes => "bytes",
            Input::Digest => "digest",
        }
    }
}

fn read_text(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|text| text.trim().to_string())
}

/// One case, as the suite's `BundleMaterials.from_dir` and
/// `build_verify_args` make it.
fn run(dir: &Path, input: Input) -> Result<Signer, Refusal> {
    let bundle = std::fs::read(dir.join("bundle.sigstore.json")).unwrap();
    let artefact_path = if dir.join("artifact").exists() {
        dir.join("artifact")
    } else {
        cases_dir().join("a.txt")
    };
    let artefact = std::fs::read(artefact_path).unwrap();
    let expected = match std::fs::read(dir.join("key.pub")) {
        Ok(pem) => Expectation::Key(PublicKey::from_pem("key", &pem)?),
        Err(_) => Expectation::Identity {
            // The protocol's --certificate-identity is matched exactly.
            identity: Identity::Exact(
                read_text(&dir.join("identity")).unwrap_or(DEFAULT_IDENTITY.into()),
            ),
            issuer: read_text(&dir.join("issuer")).unwrap_or(DEFAULT_ISSUER.into()),
        },
    };
    let trusted_root = std::fs::read(dir.join("trusted_root.json")).ok();
    let root = match &trusted_root {
        Some(json) => TrustedRootSource::Json(json),
        None => TrustedRootSource::Production,
    };
    let artefact = match input {
        Input::Bytes => Artefact::Bytes(&artefact),
        Input::Digest => Artefact::Sha256(Sha256::digest(&artefact).into()),
    };
    sigstore::verify(artefact, &bundle, &[expected], &root)
}

#[test]
fn every_bundle_verify_case_passes_or_fails_as_its_name_says() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 70, "only {} cases found", dirs.len());

    let mut wrong = Vec::new();
    let mut runs = 0;
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_str().unwrap();
        let should_verify = !name.ends_with("_fail");
        for input in [Input::Bytes, Input::Digest] {
            runs += 1;
            let outcome = run(dir, input);
            let verdict = match &outcome {
                Ok(signer) => format!("verified: {signer}"),
                Err(refusal) => format!("refused [{}]: {refusal}", refusal.check),
            };
            eprintln!("{name} ({}): {verdict}", input.name());
            if outcome.is_ok() != should_verify {
                wrong.push((name.to_string(), input.name(), verdict));
            }
        }
    }
    eprintln!(
        "sigstore-conformance bundle-verify: {} of {runs} runs ({} cases, bytes and digest) \
         as their names say",
        runs - wrong.len(),
        dirs.len()
    );

    let known: Vec<(&str, &str)> = KNOWN_FAILURES.iter().map(|(c, i, _)| (*c, *i)).collect();
    let unexpected: Vec<_> = wrong
        .iter()
        .filter(|(case, input, _)| !known.contains(&(case.as_str(), *input)))
        .collect();
    let fixed: Vec<_> = known
        .iter()
        .filter(|(case, input)| !wrong.iter().any(|(c, i, _)| c == case && i == input))
        .collect();
    assert!(
        unexpected.is_empty() && fixed.is_empty(),
        "wrong outcomes not listed in KNOWN_FAILURES: {unexpected:#?}\n\
         listed in KNOWN_FAILURES but now as their names say: {fixed:#?}"
    );
}
