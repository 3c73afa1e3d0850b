//! Loading a trust root: a directory of `*.pub` files (a key's label is its
//! file stem; each a raw Ed25519 key, or a minisign public key, which
//! vouches through `.minisig` signatures), its `root.json` when it has one, which then decides who may
//! sign what, and its `sigstore.json` when it has one: the Sigstore
//! identities and keys that may sign which plugins (`SigstoreTrust`).

use super::digest::Sha256Digest;
use super::encoding::parse_public_key;
use super::metadata::RoleIdentity;
use super::metadata::Root;
use super::minisign::{self, MinisignKey};
use super::sigstore::policy::SigstorePolicy;
use super::sigstore::{self, Artefact, Expectation, PublicKey, Refusal, Signer, TrustedRootSource};
use crate::error::{Error, Result};
use crate::limits::{
    MAX_KEY_FILE_BYTES, MAX_POLICY_BYTES, MAX_ROOT_BYTES, MAX_TRUST_KEYS, MAX_TRUSTED_ROOT_BYTES,
};
use crate::sandbox;
use ed25519_dalek::VerifyingKey;
use std::collections::BTreeMap;
use std::path::Path;

/// One trusted key and the label it reports as.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    pub label: String,
    pub key: VerifyingKey,
}

/// The keys of a trust root directory, sorted by label, and its
/// `root.json` when it has one (which then decides who may sign what).
#[derive(Debug, Clone, Default)]
pub struct TrustRoot {
    pub path: String,
    pub keys: Vec<TrustedKey>,
    /// Its minisign public keys (`*.pub` files in minisign's format),
    /// sorted by label: they verify `.minisig` signatures, not raw ones.
    pub minisign: Vec<MinisignKey>,
    pub metadata: Option<Root>,
    /// Its `sigstore.json`, with the files it names, read.
    pub sigstore: Option<SigstoreTrust>,
}

#[cfg(test)]
impl TrustRoot {
    /// A trust root of one `*.pub` key, `label`, at `/trust`: for tests.
    pub fn of_key(label: &str, key: VerifyingKey) -> TrustRoot {
        TrustRoot {
            path: "/trust".into(),
            keys: vec![TrustedKey {
                label: label.into(),
                key,
            }],
            minisign: Vec::new(),
            metadata: None,
            sigstore: None,
        }
    }
}

/// A trust root's Sigstore policy, loaded: the rules, the PEM keys they
/// name (by file name; labelled with the file stem) and the operator's
/// `trusted_root.json` when the policy names one.
#[derive(Debug, Clone)]
pub struct SigstoreTrust {
    /// The `sigstore.json`, as shown in messages.
    pub path: String,
    pub policy: SigstorePolicy,
    keys: BTreeMap<String, PublicKey>,
    /// `None`: the embedded public-good production root.
    trusted_root: Option<Vec<u8>>,
}

impl SigstoreTrust {
    /// Who may sign `plugin` with Sigstore: any one of these. Empty: the
    /// policy does not cover it (it is then trusted as without the policy).
    pub fn expectations_for(&self, plugin: &str) -> Vec<Expectation> {
        // Every key file the rules name was loaded with the policy.
        self.policy
            .expectations_for(plugin, &self.keys)
            .unwrap_or_default()
    }

    /// Whether the policy has rules for `plugin`.
    pub fn covers(&self, plugin: &str) -> bool {
        !self.policy.rules_for(plugin).is_empty()
    }

    /// The Sigstore trusted root bundles are verified against.
    fn trusted_root(&self) -> TrustedRootSource<'_> {
        match &self.trusted_root {
            Some(json) => TrustedRootSource::Json(json),
            None => TrustedRootSource::Production,
        }
    }
}

/// How a trust root lets a Sigstore bundle vouch for one plugin: who may
/// sign it, against which trusted root, and what a verified bundle is
/// worth. Made by [`TrustRoot::bundle_check`], the one place that decides.
#[derive(Debug, Clone)]
pub struct BundleCheck<'a> {
    expectations: Vec<Expectation>,
    trusted_root: TrustedRootSource<'a>,
    /// `sigstore.json` covers the plugin: a verified bundle trusts it on
    /// its own. Otherwise `root.json`'s publishers roles list identities,
    /// and a verified one counts toward their threshold like a key.
    pub decides: bool,
}

impl BundleCheck<'_> {
    /// Verifies `bundle` for the artefact of SHA-256 `digest`, by a signer
    /// this check accepts.
    pub fn verify(
        &self,
        digest: &Sha256Digest,
        bundle: &[u8],
    ) -> std::result::Result<Signer, Refusal> {
        sigstore::verify(
            Artefact::Sha256(digest.bytes()),
            bundle,
            &self.expectations,
            &self.trusted_root,
        )
    }
}

impl BundleCheck<'_> {
    /// Verifies a layer of cosign's signature tag (`sha256-<hex>.sig`) for
    /// the OCI manifest of SHA-256 `manifest`, by a signer this check
    /// accepts: its payload signed, logged, and naming that manifest.
    pub fn verify_cosign(
        &self,
        manifest: &Sha256Digest,
        layer: &sigstore::cosign::Layer,
    ) -> std::result::Result<Signer, Refusal> {
        sigstore::cosign::verify(
            layer,
            manifest.bytes(),
            &self.expectations,
            &self.trusted_root,
        )
    }
}

impl TrustRoot {
    /// Whether, and how, a Sigstore bundle may vouch for `plugin`: by the
    /// rules of `sigstore.json` when they cover it (they decide alone, as
    /// documented there), else by the Sigstore identities of the
    /// `root.json` publishers roles covering it (counted toward their
    /// thresholds), against `sigstore.json`'s trusted root if it names
    /// one, else the embedded public-good one. `None`: no bundle counts.
    pub fn bundle_check(&self, plugin: &str) -> Option<BundleCheck<'_>> {
        let trusted_root = self
            .sigstore
            .as_ref()
            .map_or(TrustedRootSource::Production, |s| s.trusted_root());
        if let Some(policy) = self.sigstore.as_ref().filter(|p| p.covers(plugin)) {
            return Some(BundleCheck {
                expectations: policy.expectations_for(plugin),
                trusted_root,
                decides: true,
            });
        }
        let expectations: Vec<Expectation> = self
            .metadata
            .iter()
            .flat_map(|meta| meta.publishers_of(plugin))
            .flat_map(|role| &role.identities)
            .map(RoleIdentity::expectation)
            .collect();
        (!expectations.is_empty()).then_some(BundleCheck {
            expectations,
            trusted_root,
            decides: false,
        })
    }

    /// Reads every `*.pub` in `dir`. A malformed key file is an error naming
    /// it: silently skipping it could leave an operator trusting fewer keys
    /// than they think, or none.
    pub fn load(dir: &Path) -> Result<TrustRoot> {
        let shown = dir.display().to_string();
        let invalid = |reason: String| Error::TrustRootInvalid {
            path: shown.clone(),
            reason,
        };
        sandbox::check_granted(dir)?;
        // One `*.pub` file is a trust root of that one key, labelled by its
        // stem: trusting a single publisher needs no directory.
        if sandbox::is_file(dir) {
            if dir.extension().is_none_or(|x| x != "pub") {
                return Err(invalid(
                    "a trust root is a directory of *.pub files, or one *.pub file".into(),
                ));
            }
            let (keys, minisign) = load_keys(&[dir.to_path_buf()])?;
            return Ok(TrustRoot {
                path: shown,
                keys,
                minisign,
                metadata: None,
                sigstore: None,
            });
        }
        let metadata = load_metadata(&dir.join(ROOT_FILE))?;
        let sigstore = load_sigstore(dir)?;
        // The PEM keys sigstore.json names are Sigstore's, not ours.
        let sigstore_keys: Vec<&str> = sigstore
            .as_ref()
            .map(|s| s.policy.key_files())
            .unwrap_or_default();
        let entries = crate::sandbox::entries(dir).map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => Error::io(dir, "list", &e),
            _ => invalid(format!(
                "cannot list the directory: {}",
                crate::error::io_message(&e)
            )),
        })?;
        let mut key_files = Vec::new();
        for path in entries {
            let named_by_policy = path
                .file_name()
                .is_some_and(|f| sigstore_keys.iter().any(|k| f == *k));
            if path.extension().is_some_and(|x| x == "pub") && !named_by_policy {
                key_files.push(path);
            }
        }
        key_files.sort();
        // With root.json the `*.pub` files are for loaders; it lists the keys.
        if key_files.is_empty() && metadata.is_none() && sigstore.is_none() {
            return Err(invalid(
                "it holds no *.pub key files (each is the base64 of a raw 32-byte Ed25519 \
                 public key, a PEM PUBLIC KEY or a minisign public key), no root.json and no \
                 sigstore.json"
                    .to_string(),
            ));
        }
        if key_files.len() > MAX_TRUST_KEYS {
            return Err(invalid(format!(
                "it holds {} *.pub files; at most {MAX_TRUST_KEYS} are read",
                key_files.len()
            )));
        }
        let (keys, minisign) = load_keys(&key_files)?;
        Ok(TrustRoot {
            path: shown,
            keys,
            minisign,
            metadata,
            sigstore,
        })
    }

    /// The labels of the keys that may sign something.
    pub fn labels(&self) -> Vec<String> {
        match &self.metadata {
            Some(meta) => meta.keys.values().map(|k| k.label.clone()).collect(),
            None => self.keys.iter().map(|k| k.label.clone()).collect(),
        }
    }

    /// This trust root with `newer` as its metadata: the root a rotation
    /// walk reached.
    pub fn with_metadata(&self, newer: Root) -> TrustRoot {
        TrustRoot {
            metadata: Some(newer),
            ..self.clone()
        }
    }
}

/// The trust metadata's file name in a trust root (and, versioned as
/// `N.root.json`, next to a registry's index).
pub const ROOT_FILE: &str = "root.json";

/// `root.json` if the trust root has one: well formed and signed by a
/// threshold of its own root keys (a root nobody signed is a mistake caught
/// here rather than at the first rotation).
fn load_metadata(path: &Path) -> Result<Option<Root>> {
    if !sandbox::exists(path)? {
        return Ok(None);
    }
    let shown = path.display().to_string();
    let bytes =
        sandbox::read_at_most(path, MAX_ROOT_BYTES, sandbox::Links::Follow)?.ok_or_else(|| {
            Error::TrustRootInvalid {
                path: shown.clone(),
                reason: format!("it is larger than {MAX_ROOT_BYTES} bytes"),
            }
        })?;
    let root = Root::parse(&shown, &bytes)?;
    root.check_signed_by(&root)
        .map_err(|why| Error::TrustRootInvalid {
            path: shown,
            reason: format!("it is not signed by its own root keys: {why}"),
        })?;
    Ok(Some(root))
}

/// The Sigstore policy's file name in a trust root.
pub const SIGSTORE_FILE: &str = "sigstore.json";

/// `sigstore.json` if the trust root has one, with the key files and the
/// trusted root it names, each read and checked now: a policy that cannot
/// be used is an error naming the file and the field, never a rule
/// silently dropped.
fn load_sigstore(dir: &Path) -> Result<Option<SigstoreTrust>> {
    let path = dir.join(SIGSTORE_FILE);
    if !sandbox::exists(&path)? {
        return Ok(None);
    }
    let shown = path.display().to_string();
    let invalid = |path: &Path, reason: String| Error::TrustRootInvalid {
        path: path.display().to_string(),
        reason,
    };
    let bytes = read_file(&path, MAX_POLICY_BYTES as u64)?;
    let policy = SigstorePolicy::parse(&bytes).map_err(|e| {
        let reason = match e.field.is_empty() {
            true => e.reason,
            false => format!("{}: {}", e.field, e.reason),
        };
        invalid(&path, reason)
    })?;
    let mut keys = BTreeMap::new();
    for file in policy.key_files() {
        let key_path = dir.join(file);
        let field = policy
            .keys
            .iter()
            .position(|rule| rule.key == file)
            .map(|i| format!("keys[{i}].key"))
            .unwrap_or_else(|| "keys".into());
        if !sandbox::exists(&key_path)? {
            return Err(invalid(
                &path,
                format!("{field}: the key file {file} is not in the trust root"),
            ));
        }
        let pem = read_file(&key_path, MAX_KEY_FILE_BYTES)?;
        let label = key_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let key = PublicKey::from_pem(&label, &pem).map_err(|refusal| {
            invalid(
                &key_path,
                format!("named by {SIGSTORE_FILE} {field}: {}", refusal.detail),
            )
        })?;
        keys.insert(file.to_string(), key);
    }
    let trusted_root = match &policy.trusted_root {
        None => None,
        Some(file) => {
            let root_path = dir.join(file);
            if !sandbox::exists(&root_path)? {
                return Err(invalid(
                    &path,
                    format!("trusted_root: the file {file} is not in the trust root"),
                ));
            }
            let json = read_file(&root_path, MAX_TRUSTED_ROOT_BYTES as u64)?;
            sigstore::check_trusted_root(&json).map_err(|refusal| {
                invalid(
                    &root_path,
                    format!(
                        "named by {SIGSTORE_FILE} trusted_root: not a usable Sigstore trusted \
                         root: {}",
                        refusal.detail
                    ),
                )
            })?;
            Some(json)
        }
    };
    Ok(Some(SigstoreTrust {
        path: shown,
        policy,
        keys,
        trusted_root,
    }))
}

/// A file of a trust root read whole: one larger than `max` bytes, or that
/// is not a regular file, is the trust root's error naming it.
fn read_file(path: &Path, max: u64) -> Result<Vec<u8>> {
    let invalid = |reason: String| Error::TrustRootInvalid {
        path: path.display().to_string(),
        reason,
    };
    if !path.is_file() {
        return Err(invalid("it is not a regular file".into()));
    }
    sandbox::read_at_most(path, max, sandbox::Links::Follow)?
        .ok_or_else(|| invalid(format!("it is larger than {max} bytes")))
}

/// The `*.pub` files, sorted: the raw Ed25519 keys and the minisign keys.
/// Two minisign keys of one key id are refused: a signature names its key
/// by that id.
fn load_keys(paths: &[std::path::PathBuf]) -> Result<(Vec<TrustedKey>, Vec<MinisignKey>)> {
    let mut keys = Vec::new();
    let mut minisign: Vec<MinisignKey> = Vec::new();
    for path in paths {
        match load_key(path)? {
            Loaded::Raw(key) => keys.push(key),
            Loaded::Minisign(key) => {
                if let Some(same) = minisign.iter().find(|k| k.id == key.id) {
                    return Err(Error::TrustRootInvalid {
                        path: path.display().to_string(),
                        reason: format!(
                            "it is the minisign key {} again, as {}.pub is; keep one of them",
                            key.id, same.label
                        ),
                    });
                }
                minisign.push(key);
            }
        }
    }
    Ok((keys, minisign))
}

enum Loaded {
    Raw(TrustedKey),
    Minisign(MinisignKey),
}

/// One `*.pub` file, labelled by its stem: a minisign key when it is in
/// minisign's format, else a raw Ed25519 key.
fn load_key(path: &Path) -> Result<Loaded> {
    let label = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let invalid_key = |reason: String| Error::TrustRootInvalid {
        path: path.display().to_string(),
        reason,
    };
    if !path.is_file() {
        return Err(invalid_key("it is not a regular file".into()));
    }
    let text = read_small(path, MAX_KEY_FILE_BYTES)?.ok_or_else(|| {
        invalid_key(format!(
            "it is larger than {MAX_KEY_FILE_BYTES} bytes, too large for a key"
        ))
    })?;
    if minisign::is_minisign_key(&text) {
        let (id, key) = minisign::parse_public_key(&text).map_err(invalid_key)?;
        return Ok(Loaded::Minisign(MinisignKey { label, id, key }));
    }
    let key = parse_public_key(&text).map_err(invalid_key)?;
    Ok(Loaded::Raw(TrustedKey { label, key }))
}

/// Reads a key or signature file as text; `None` when it is larger than
/// `max` bytes (which no key or signature is).
pub fn read_small(path: &Path, max: u64) -> Result<Option<String>> {
    Ok(sandbox::read_at_most(path, max, sandbox::Links::Follow)?
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

#[cfg(test)]
mod sigstore_tests {
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

    fn policy(plugins: &str, identity: &str, issuer: &str) -> String {
        format!(
            r#"{{"identities": [{{"plugins": "{plugins}", "issuer": "{issuer}", "identity": "{identity}"}}]}}"#
        )
    }

    fn root_with(files: &[(&str, &[u8])]) -> (tempfile::TempDir, Result<TrustRoot>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let loaded = TrustRoot::load(dir.path());
        (dir, loaded)
    }

    fn reason(result: Result<TrustRoot>) -> (String, String) {
        match result {
            Err(Error::TrustRootInvalid { path, reason }) => (path, reason),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_trust_root_may_hold_only_sigstore_json() {
        let json = policy("acme-*", IDENTITY, ISSUER);
        let (_dir, root) = root_with(&[("sigstore.json", json.as_bytes())]);
        let root = root.unwrap();
        assert!(root.keys.is_empty());
        let sigstore = root.sigstore.unwrap();
        assert!(sigstore.covers("acme-lint"));
        assert!(!sigstore.covers("other"));
    }

    #[test]
    fn a_pem_key_named_by_the_policy_is_sigstores_not_an_ed25519_key() {
        let json = r#"{"keys": [{"plugins": "tools-*", "key": "cosign.pub"}]}"#;
        let cosign = asset("managed-key-happy-path/key.pub");
        let ours = b"HkTiNK0YW5jiufk7WRmLAHa9csADRVi+xGmHOqbtWqY=";
        let (_dir, root) = root_with(&[
            ("sigstore.json", json.as_bytes()),
            ("cosign.pub", &cosign),
            ("ops.pub", ours),
        ]);
        let root = root.unwrap();
        let labels: Vec<_> = root.keys.iter().map(|k| k.label.as_str()).collect();
        assert_eq!(labels, ["ops"]);
        let expected = root.sigstore.unwrap().expectations_for("tools-fmt");
        assert!(matches!(&expected[..], [Expectation::Key(k)] if k.label() == "cosign"));
    }

    #[test]
    fn a_policy_that_cannot_be_used_names_the_file_and_field() {
        let (_dir, root) = root_with(&[("sigstore.json", br#"{"identites": []}"#)]);
        let (path, why) = reason(root);
        assert!(path.ends_with("/sigstore.json"), "{path}");
        assert!(why.contains("unknown field `identites`"), "{why}");

        let json = r#"{"keys": [{"plugins": "t-*", "key": "cosign.pub"}]}"#;
        let (_dir, root) = root_with(&[("sigstore.json", json.as_bytes())]);
        let (path, why) = reason(root);
        assert!(path.ends_with("/sigstore.json"), "{path}");
        assert!(
            why.starts_with("keys[0].key: the key file cosign.pub"),
            "{why}"
        );

        let (_dir, root) = root_with(&[
            ("sigstore.json", json.as_bytes()),
            ("cosign.pub", b"not pem"),
        ]);
        let (path, why) = reason(root);
        assert!(path.ends_with("/cosign.pub"), "{path}");
        assert!(why.contains("keys[0].key"), "{why}");

        let json =
            r#"{"keys": [{"plugins": "t-*", "key": "cosign.pub"}], "trusted_root": "tr.json"}"#;
        let cosign = asset("managed-key-happy-path/key.pub");
        let (_dir, root) =
            root_with(&[("sigstore.json", json.as_bytes()), ("cosign.pub", &cosign)]);
        let (_, why) = reason(root);
        assert!(why.starts_with("trusted_root: the file tr.json"), "{why}");
        let (_dir, root) = root_with(&[
            ("sigstore.json", json.as_bytes()),
            ("cosign.pub", &cosign),
            ("tr.json", b"{}"),
        ]);
        let (path, why) = reason(root);
        assert!(path.ends_with("/tr.json"), "{path}");
        assert!(why.contains("not a usable Sigstore trusted root"), "{why}");
    }

    #[test]
    fn the_policy_decides_which_bundles_verify() {
        let a_txt = Sha256Digest::of(&asset("a.txt"));
        let bundle = asset("happy-path-v0.3/bundle.sigstore.json");
        let load = |json: String, extra: &[(&str, &[u8])]| {
            let mut files = vec![("sigstore.json", json.as_bytes())];
            files.extend_from_slice(extra);
            let (_dir, root) = root_with(&files);
            root.unwrap()
        };
        let verify = |trust: &TrustRoot, plugin: &str, digest: &Sha256Digest| {
            let check = trust.bundle_check(plugin).ok_or("no check")?;
            assert!(check.decides, "sigstore.json decides");
            check.verify(digest, &bundle).map_err(|_| "refused")
        };
        let trust = load(policy("*", IDENTITY, ISSUER), &[]);
        let signer = verify(&trust, "p", &a_txt).unwrap();
        assert_eq!(
            signer.to_string(),
            format!("sigstore:{IDENTITY} ({ISSUER})")
        );
        // Other bytes, another identity or issuer: refused.
        let other = Sha256Digest::of(b"other");
        assert!(verify(&trust, "p", &other).is_err());
        let trust = load(policy("*", "https://github.com/x/y", ISSUER), &[]);
        assert!(verify(&trust, "p", &a_txt).is_err());
        let trust = load(policy("*", IDENTITY, "https://accounts.google.com"), &[]);
        assert!(verify(&trust, "p", &a_txt).is_err());
        // The same bundle against another instance's trusted root: refused.
        let staging = include_bytes!("sigstore/roots/staging.trusted_root.json");
        let json =
            policy("*", IDENTITY, ISSUER).replace("]}", r#"], "trusted_root": "staging.json"}"#);
        let trust = load(json, &[("staging.json", staging)]);
        assert!(verify(&trust, "p", &a_txt).is_err());
        // A plugin the policy does not cover has no signer to verify.
        let trust = load(policy("acme-*", IDENTITY, ISSUER), &[]);
        assert_eq!(verify(&trust, "other", &a_txt), Err("no check"));
    }

    /// A trust root of `root.json` alone: alice's key and `identities` in
    /// one publishers role over `acme-*` of `threshold`.
    fn roles_with(identities: serde_json::Value, threshold: u32) -> Result<TrustRoot> {
        use crate::trust::metadata::tests::{key, signed_root_edited};
        let alice = key(1);
        let json = signed_root_edited(
            1,
            &[("alice", &alice)],
            (&["alice"], 1),
            (&["alice"], 1),
            &[(&["alice"], 1, &["acme-*"])],
            &[&alice],
            |signed| {
                let role = &mut signed["roles"]["publishers"][0];
                role["identities"] = identities;
                role["threshold"] = threshold.into();
            },
        );
        let (_dir, root) = root_with(&[("root.json", &json)]);
        root
    }

    #[test]
    fn a_publishers_role_identity_lets_a_bundle_count_toward_its_threshold() {
        use crate::trust::{Claimed, SignatureCheck};
        let a_txt = asset("a.txt");
        let bundle = asset("happy-path-v0.3/bundle.sigstore.json");
        let glob = "https://github.com/sigstore-conformance/*";
        let root =
            roles_with(serde_json::json!([{"issuer": ISSUER, "identity": glob}]), 1).unwrap();
        assert!(root.bundle_check("other").is_none(), "no role covers it");
        let check = root.bundle_check("acme-lint").unwrap();
        assert!(
            !check.decides,
            "it counts toward the role, it does not decide"
        );
        let signer = check.verify(&Sha256Digest::of(&a_txt), &bundle).unwrap();
        // Threshold 1: the identity alone meets it, with no signature to place.
        let mut count = SignatureCheck::for_plugin(&root, "acme-lint", &[]);
        count.update(&a_txt);
        count.count_signer(signer.clone());
        let verified = count.finish("a.txt").unwrap();
        assert_eq!(
            verified.signers,
            format!("sigstore:{IDENTITY} ({ISSUER}) (publishers acme-*)")
        );
        assert!(verified.signature.is_none());
        // Threshold 2: the identity and alice's key together, not either alone.
        let root =
            roles_with(serde_json::json!([{"issuer": ISSUER, "identity": glob}]), 2).unwrap();
        let alice = crate::trust::metadata::tests::key(1);
        let signed = [Claimed::unnamed(ed25519_dalek::Signer::sign(
            &alice, &a_txt,
        ))];
        let finish = |claimed: &[Claimed], signer: Option<&Signer>| {
            let mut count = SignatureCheck::for_plugin(&root, "acme-lint", claimed);
            count.update(&a_txt);
            if let Some(signer) = signer {
                count.count_signer(signer.clone());
            }
            count.finish("a.txt")
        };
        let both = finish(&signed, Some(&signer)).unwrap();
        assert!(
            both.signers.starts_with("alice, sigstore:"),
            "{}",
            both.signers
        );
        assert!(both.signature.is_some());
        let key_alone = finish(&signed, None).unwrap_err().to_string();
        assert!(
            key_alone.contains("needs 2 distinct key(s) or Sigstore identities and 1 signed"),
            "{key_alone}"
        );
        assert!(finish(&[], Some(&signer)).is_err());
        // Another issuer's identity does not count.
        let other = Signer::Identity {
            identity: IDENTITY.into(),
            issuer: "https://accounts.google.com".into(),
        };
        assert!(finish(&signed, Some(&other)).is_err());
    }

    #[test]
    fn a_role_threshold_may_count_identities_and_they_must_be_whole() {
        let one = serde_json::json!([{"issuer": ISSUER, "identity": IDENTITY}]);
        // One key and one identity: a threshold of 2 is possible, 3 is not.
        assert!(roles_with(one.clone(), 2).is_ok());
        let (_, why) = reason(roles_with(one, 3));
        assert!(
            why.contains("threshold 3 with 1 distinct key(s) and 1 identities"),
            "{why}"
        );
        let (_, why) = reason(roles_with(
            serde_json::json!([{"issuer": "", "identity": IDENTITY}]),
            1,
        ));
        assert!(why.contains("empty issuer or identity"), "{why}");
        let (_, why) = reason(roles_with(serde_json::json!([{"issuer": ISSUER}]), 1));
        assert!(why.contains("identity"), "{why}");
    }
}

#[cfg(test)]
mod minisign_tests {
    use super::*;
    use crate::trust::minisign::tests::key_file;
    use ed25519_dalek::SigningKey;

    #[test]
    fn a_minisign_pub_is_a_minisign_key_labelled_by_its_stem() {
        let dir = tempfile::tempdir().unwrap();
        let ops = SigningKey::from_bytes(&[3; 32]);
        std::fs::write(dir.path().join("ops.pub"), key_file(&ops, [1; 8])).unwrap();
        std::fs::write(
            dir.path().join("release.pub"),
            "HkTiNK0YW5jiufk7WRmLAHa9csADRVi+xGmHOqbtWqY=",
        )
        .unwrap();
        let root = TrustRoot::load(dir.path()).unwrap();
        let raw: Vec<_> = root.keys.iter().map(|k| k.label.as_str()).collect();
        assert_eq!(raw, ["release"]);
        let [minisign] = &root.minisign[..] else {
            panic!("{:?}", root.minisign);
        };
        assert_eq!(minisign.label, "ops");
        assert_eq!(minisign.key, ops.verifying_key());
        // One file is a trust root of that one key too.
        let one = TrustRoot::load(&dir.path().join("ops.pub")).unwrap();
        assert_eq!(one.minisign.len(), 1);
        assert!(one.keys.is_empty());

        // The same key id twice: refused, naming the second file.
        std::fs::write(dir.path().join("ops2.pub"), key_file(&ops, [1; 8])).unwrap();
        match TrustRoot::load(dir.path()) {
            Err(Error::TrustRootInvalid { path, reason }) => {
                assert!(path.ends_with("/ops2.pub"), "{path}");
                assert!(reason.contains("as ops.pub is"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
