//! A trust root's `sigstore.json`: which Sigstore signers each plugin must
//! be signed by.
//!
//! ```json
//! {
//!   "identities": [{"plugins": "acme-*",
//!                   "issuer": "https://token.actions.githubusercontent.com",
//!                   "identity": "https://github.com/acme/plugins/.github/workflows/release.yml@refs/tags/v*"}],
//!   "keys": [{"plugins": "tools-*", "key": "cosign.pub"}],
//!   "trusted_root": "trusted_root.json"
//! }
//! ```
//!
//! `plugins` is a glob over plugin names (the same matcher as a
//! `root.json` publishers role: `*` any run of characters, `?` one); the
//! issuer is matched exactly; the identity exactly, or as a glob when it
//! holds `*` or `?`. `key` and `trusted_root` name files beside this one;
//! without `trusted_root`, the embedded public-good production root is
//! used. A plugin covered by several rules may be signed by any one of
//! them. Unknown fields are refused (a misspelt `identites` would otherwise
//! silently require nothing), with the field's path in the message.
//!
//! This module only reads the file and chooses; reading the key and
//! trusted-root files it names is the trust-root loader's.

use super::{Expectation, Identity, PublicKey};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt;
use wildmatch::WildMatch;

pub use crate::limits::{MAX_POLICY_BYTES, MAX_POLICY_RULES};

/// A parsed, checked `sigstore.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigstorePolicy {
    pub identities: Vec<IdentityRule>,
    pub keys: Vec<KeyRule>,
    /// A file name in the trust root; `None`: the embedded production root.
    pub trusted_root: Option<String>,
}

/// Plugins matching `plugins` may be signed keyless by `identity` (exact
/// or glob) with a certificate from `issuer` (exact).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityRule {
    pub plugins: String,
    pub issuer: String,
    pub identity: String,
}

/// Plugins matching `plugins` may be signed with the PEM public key in the
/// trust root's file `key`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRule {
    pub plugins: String,
    pub key: String,
}

/// A rule that covers a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule<'a> {
    Identity(&'a IdentityRule),
    Key(&'a KeyRule),
}

/// What is wrong with a `sigstore.json`, and where: `field` is a path such
/// as `identities[1].issuer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub field: String,
    pub reason: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "sigstore.json: {}", self.reason)
        } else {
            write!(f, "sigstore.json: {}: {}", self.field, self.reason)
        }
    }
}

impl std::error::Error for PolicyError {}

fn error(field: impl Into<String>, reason: impl Into<String>) -> PolicyError {
    PolicyError {
        field: field.into(),
        reason: reason.into(),
    }
}

// The file as read: entries kept as JSON values so each can be parsed on
// its own and its errors prefixed with its index.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    identities: Vec<serde_json::Value>,
    #[serde(default)]
    keys: Vec<serde_json::Value>,
    #[serde(default)]
    trusted_root: Option<String>,
}

impl SigstorePolicy {
    /// Reads and checks a `sigstore.json`.
    pub fn parse(json: &[u8]) -> Result<SigstorePolicy, PolicyError> {
        if json.len() > MAX_POLICY_BYTES {
            return Err(error(
                "",
                format!("{} bytes, over the limit of {MAX_POLICY_BYTES}", json.len()),
            ));
        }
        let raw: Raw = from_object("", serde_json::from_slice(json))?;
        if raw.identities.len() + raw.keys.len() > MAX_POLICY_RULES {
            return Err(error(
                "",
                format!("more than {MAX_POLICY_RULES} identities and keys"),
            ));
        }
        let identities: Vec<IdentityRule> = entries("identities", raw.identities)?;
        let keys: Vec<KeyRule> = entries("keys", raw.keys)?;
        if identities.is_empty() && keys.is_empty() {
            return Err(error(
                "",
                "it names no identities and no keys, so it would accept no signer",
            ));
        }
        for (i, rule) in identities.iter().enumerate() {
            let at = |field: &str| format!("identities[{i}].{field}");
            not_empty(&at("plugins"), &rule.plugins)?;
            not_empty(&at("identity"), &rule.identity)?;
            not_empty(&at("issuer"), &rule.issuer)?;
            if rule.issuer.contains(['*', '?']) {
                return Err(error(
                    at("issuer"),
                    "an issuer is matched exactly, not as a glob; name the one issuer",
                ));
            }
        }
        for (i, rule) in keys.iter().enumerate() {
            not_empty(&format!("keys[{i}].plugins"), &rule.plugins)?;
            file_name(&format!("keys[{i}].key"), &rule.key)?;
        }
        if let Some(name) = &raw.trusted_root {
            file_name("trusted_root", name)?;
        }
        Ok(SigstorePolicy {
            identities,
            keys,
            trusted_root: raw.trusted_root,
        })
    }

    /// The rules covering `plugin`, identities first, each in file order.
    /// None: this policy does not ask for a Sigstore signature on it.
    pub fn rules_for(&self, plugin: &str) -> Vec<Rule<'_>> {
        let covers = |glob: &str| WildMatch::new(glob).matches(plugin);
        let identities = self
            .identities
            .iter()
            .filter(|rule| covers(&rule.plugins))
            .map(Rule::Identity);
        let keys = self
            .keys
            .iter()
            .filter(|rule| covers(&rule.plugins))
            .map(Rule::Key);
        identities.chain(keys).collect()
    }

    /// The key files the rules name, each once: what the loader reads (with
    /// `PublicKey::from_pem`, labelled with the file stem) to give
    /// `expectations_for`.
    pub fn key_files(&self) -> Vec<&str> {
        let mut files: Vec<&str> = self.keys.iter().map(|rule| rule.key.as_str()).collect();
        files.sort_unstable();
        files.dedup();
        files
    }

    /// What `plugin` must be signed by, for `super::verify`: any one of
    /// these. Empty: the policy does not cover it. `keys` holds the keys of
    /// `key_files`, by file name; a missing one is an error, never a rule
    /// silently dropped.
    pub fn expectations_for(
        &self,
        plugin: &str,
        keys: &BTreeMap<String, PublicKey>,
    ) -> Result<Vec<Expectation>, PolicyError> {
        self.rules_for(plugin)
            .into_iter()
            .map(|rule| match rule {
                Rule::Identity(rule) => Ok(Expectation::Identity {
                    identity: Identity::pattern(&rule.identity),
                    issuer: rule.issuer.clone(),
                }),
                Rule::Key(rule) => keys
                    .get(&rule.key)
                    .map(|key| Expectation::Key(key.clone()))
                    .ok_or_else(|| {
                        error("keys", format!("the key file {} is not loaded", rule.key))
                    }),
            })
            .collect()
    }
}

fn entries<T: DeserializeOwned>(
    field: &str,
    values: Vec<serde_json::Value>,
) -> Result<Vec<T>, PolicyError> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, value)| from_object(&format!("{field}[{i}]"), Ok(value)))
        .collect()
}

/// `T` from a JSON object only: serde would also fill a struct from an
/// array, by position, which no one writing this file means.
fn from_object<T: DeserializeOwned>(
    field: &str,
    value: serde_json::Result<serde_json::Value>,
) -> Result<T, PolicyError> {
    let value = value.map_err(|e| error(field, e.to_string()))?;
    if !value.is_object() {
        return Err(error(field, "not a JSON object"));
    }
    serde_json::from_value(value).map_err(|e| error(field, e.to_string()))
}

fn not_empty(field: &str, value: &str) -> Result<(), PolicyError> {
    if value.trim().is_empty() {
        return Err(error(field, "is empty"));
    }
    Ok(())
}

/// A file beside `sigstore.json`: a plain name, never a path out of the
/// trust root.
fn file_name(field: &str, name: &str) -> Result<(), PolicyError> {
    not_empty(field, name)?;
    if name.contains(['/', '\\']) || name == "." || name == ".." || name.starts_with('.') {
        return Err(error(
            field,
            format!("{name:?} is not a file name in the trust root (no paths, no hidden files)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://token.actions.githubusercontent.com";
    const EXAMPLE: &str = r#"{
        "identities": [{"plugins": "acme-*",
                        "issuer": "https://token.actions.githubusercontent.com",
                        "identity": "https://github.com/acme/plugins/.github/workflows/release.yml@refs/tags/v*"}],
        "keys": [{"plugins": "tools-*", "key": "cosign.pub"},
                 {"plugins": "*", "key": "ops.pub"}],
        "trusted_root": "trusted_root.json"
    }"#;

    fn parse(json: &str) -> Result<SigstorePolicy, PolicyError> {
        SigstorePolicy::parse(json.as_bytes())
    }

    fn key(label: &str) -> PublicKey {
        let pem = "-----BEGIN PUBLIC KEY-----\n\
            MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExRRST79+PsrRBnGAI4cMu6Omz2Jh\n\
            fwlMW+gIutNKVRaMyS4rQKvgngc5p8UbLj55pVHhIoAxi/SRgURZI0J3Xw==\n\
            -----END PUBLIC KEY-----\n";
        PublicKey::from_pem(label, pem.as_bytes()).unwrap()
    }

    #[test]
    fn the_issue_example_parses() {
        let policy = parse(EXAMPLE).unwrap();
        assert_eq!(policy.identities.len(), 1);
        assert_eq!(policy.identities[0].issuer, ISSUER);
        assert_eq!(policy.keys[0].key, "cosign.pub");
        assert_eq!(policy.trusted_root.as_deref(), Some("trusted_root.json"));
        assert_eq!(policy.key_files(), ["cosign.pub", "ops.pub"]);
    }

    #[test]
    fn a_plugin_gets_every_rule_whose_glob_covers_it_identities_first() {
        let policy = parse(EXAMPLE).unwrap();
        let keys = BTreeMap::from([
            ("cosign.pub".to_string(), key("cosign")),
            ("ops.pub".to_string(), key("ops")),
        ]);
        let acme = policy.expectations_for("acme-lint", &keys).unwrap();
        assert_eq!(acme.len(), 2);
        let Expectation::Identity { identity, issuer } = &acme[0] else {
            panic!("{acme:?}")
        };
        assert_eq!(issuer, ISSUER);
        assert!(matches!(identity, Identity::Glob(_)));
        assert!(identity.matches(
            "https://github.com/acme/plugins/.github/workflows/release.yml@refs/tags/v1.2.0"
        ));
        assert!(!identity.matches(
            "https://github.com/acme/plugins/.github/workflows/other.yml@refs/tags/v1.2.0"
        ));
        assert!(matches!(&acme[1], Expectation::Key(k) if k.label() == "ops"));
        let tools = policy.expectations_for("tools-fmt", &keys).unwrap();
        let labels: Vec<_> = tools.iter().map(ToString::to_string).collect();
        assert_eq!(labels, ["key cosign", "key ops"]);
    }

    #[test]
    fn a_plugin_no_rule_covers_gets_nothing() {
        let policy = parse(r#"{"keys": [{"plugins": "tools-*", "key": "cosign.pub"}]}"#).unwrap();
        assert!(policy.rules_for("acme-lint").is_empty());
        assert!(policy.trusted_root.is_none());
    }

    #[test]
    fn a_key_that_was_not_loaded_is_an_error_not_a_dropped_rule() {
        let policy = parse(EXAMPLE).unwrap();
        let error = policy
            .expectations_for("tools-fmt", &BTreeMap::new())
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "sigstore.json: keys: the key file cosign.pub is not loaded"
        );
    }

    #[test]
    fn an_identity_without_wildcards_is_exact() {
        let identity =
            Identity::pattern("https://github.com/a/b/.github/workflows/r.yml@refs/heads/main");
        assert!(matches!(identity, Identity::Exact(_)));
        assert!(
            !identity.matches("https://github.com/a/b/.github/workflows/r.yml@refs/heads/mainx")
        );
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (r#"{"identites": []}"#, "unknown field `identites`"),
            (
                r#"{"identities": [{"plugins": "a", "identity": "i"}]}"#,
                "identities[0]: missing field `issuer`",
            ),
            (
                r#"{"identities": [{"plugins": "a", "issuer": "o", "identity": "i", "isuer": "x"}]}"#,
                "identities[0]: unknown field `isuer`",
            ),
            (
                r#"{"identities": [{"plugins": "a", "issuer": "https://*", "identity": "i"}]}"#,
                "identities[0].issuer: an issuer is matched exactly",
            ),
            (
                r#"{"identities": [{"plugins": "", "issuer": "o", "identity": "i"}]}"#,
                "identities[0].plugins: is empty",
            ),
            (
                r#"{"keys": [{"plugins": "a", "key": "../../etc/key.pub"}]}"#,
                "keys[0].key: \"../../etc/key.pub\" is not a file name",
            ),
            (
                r#"{"keys": [{"plugins": "a", "key": 3}]}"#,
                "keys[0]: invalid type: integer `3`, expected a string",
            ),
            (
                r#"{"keys": [{"plugins": "a", "key": "k.pub"}], "trusted_root": "/etc/root.json"}"#,
                "trusted_root: \"/etc/root.json\" is not a file name",
            ),
            ("{}", "it names no identities and no keys"),
            ("[]", "sigstore.json: not a JSON object"),
            (
                r#"{"identities": [["acme-*", "o", "i"]]}"#,
                "identities[0]: not a JSON object",
            ),
            ("not json", "expected ident"),
        ];
        for (json, expected) in cases {
            let message = parse(json).unwrap_err().to_string();
            assert!(message.contains(expected), "{json}: {message}");
            assert!(message.starts_with("sigstore.json: "), "{message}");
        }
    }

    #[test]
    fn an_oversized_policy_is_refused_before_parsing() {
        let json = vec![b' '; MAX_POLICY_BYTES + 1];
        let message = SigstorePolicy::parse(&json).unwrap_err().to_string();
        assert!(message.contains("over the limit"), "{message}");
    }

    #[test]
    fn too_many_rules_are_refused() {
        let rule = r#"{"plugins": "a", "key": "k.pub"}"#;
        let json = format!(
            r#"{{"keys": [{}]}}"#,
            vec![rule; MAX_POLICY_RULES + 1].join(",")
        );
        let message = parse(&json).unwrap_err().to_string();
        assert!(message.contains("more than"), "{message}");
    }
}
