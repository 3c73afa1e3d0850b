//! `root.json`: who may sign what, in TUF's envelope.
//!
//! ```json
//! {"signed": {"_type": "root", "spec_version": "1", "version": 1,
//!             "expires": "2030-01-01T00:00:00Z",
//!             "keys": {"KEYID": {"keytype": "ed25519", "scheme": "ed25519",
//!                                "keyval": {"public": "HEX32"}, "label": "acme"}},
//!             "roles": {"root": {...}, "index": {...},
//!                       "publishers": [{"keyids": [...], "threshold": 1, "names": ["acme-*"],
//!                                       "identities": [{"issuer": "https://token.actions.githubusercontent.com",
//!                                                       "identity": "https://github.com/acme/*"}]}]}},
//!  "signatures": [{"keyid": "KEYID", "sig": "HEX64"}]}
//! ```
//!
//! A publishers role may list Sigstore `identities` beside its key ids (an
//! OIDC issuer, exact, and a certificate identity, exact or a glob): an
//! entry's Sigstore bundle that verifies for one of them counts toward the
//! role's threshold like one more key. Loaders that do not know the field
//! ignore it, as TUF clients ignore unknown fields.
//!
//! A key's id is the lowercase hex SHA-256 of its raw 32 bytes, checked on
//! load: an id is how a role names a key, so one that does not match its key
//! would let a role seem to list a key it does not. Signatures are over the
//! OLPC canonical JSON of `signed` (TUF's rule), so re-indenting the file
//! breaks nothing. Unknown fields are ignored, as TUF clients do.
//!
//! Thresholds count distinct keys: a key that signed twice counts once.

use super::digest::Sha256Digest;
use super::sigstore::{Expectation, Identity, Signer};
use crate::error::{Error, Result};
use crate::limits::{MAX_ROOT_KEYS, MAX_ROOT_ROLES};
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use wildmatch::WildMatch;

/// A `root.json`, checked for form and signed by itself.
#[derive(Debug, Clone)]
pub struct Root {
    pub version: u64,
    pub expires: String,
    /// By key id.
    pub keys: BTreeMap<String, RootKey>,
    pub root: Role,
    pub index: Role,
    pub publishers: Vec<PublisherRole>,
    /// The file as read, kept to record it (the signatures are over
    /// `signed`, not these bytes).
    pub bytes: Vec<u8>,
    /// Canonical JSON of `signed`: what the signatures cover.
    canonical: Vec<u8>,
    signatures: Vec<(String, Signature)>,
}

#[derive(Debug, Clone)]
pub struct RootKey {
    pub key: VerifyingKey,
    /// Shown in reports; the key id's first 8 characters when the root
    /// gives no label.
    pub label: String,
}

/// Keys of which `threshold` distinct ones must sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub keyids: Vec<String>,
    pub threshold: u32,
}

/// A publishers role: may sign artefacts of plugins whose name matches one
/// of `names` (globs: `*` any run of characters, `?` one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublisherRole {
    pub keyids: Vec<String>,
    pub threshold: u32,
    pub names: Vec<String>,
    /// Sigstore signers who count toward `threshold` like keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<RoleIdentity>,
}

/// A Sigstore signer a publishers role lists: a keyless certificate for
/// `identity` (exact, or a glob when it holds `*` or `?`) from the OIDC
/// `issuer` (exact), as `sigstore.json`'s identity rules say it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleIdentity {
    pub issuer: String,
    pub identity: String,
}

impl RoleIdentity {
    /// What a bundle must be signed by to count for this identity.
    pub fn expectation(&self) -> Expectation {
        Expectation::Identity {
            identity: Identity::pattern(&self.identity),
            issuer: self.issuer.clone(),
        }
    }

    /// Whether `signer` (a bundle that verified) is this identity.
    pub fn is(&self, signer: &Signer) -> bool {
        match signer {
            Signer::Identity { identity, issuer } => {
                *issuer == self.issuer && Identity::pattern(&self.identity).matches(identity)
            }
            Signer::Key { .. } => false,
        }
    }
}

impl PublisherRole {
    pub fn role(&self) -> Role {
        Role {
            keyids: self.keyids.clone(),
            threshold: self.threshold,
        }
    }

    pub fn covers(&self, plugin: &str) -> bool {
        self.names
            .iter()
            .any(|glob| WildMatch::new(glob).matches(plugin))
    }
}

// The envelope as read. Unknown fields are ignored.
#[derive(Deserialize)]
struct Envelope {
    signed: serde_json::Value,
    #[serde(default)]
    signatures: Vec<RawSignature>,
}

#[derive(Deserialize)]
struct RawSignature {
    keyid: String,
    sig: String,
}

#[derive(Deserialize)]
struct Signed {
    #[serde(rename = "_type")]
    kind: String,
    version: u64,
    expires: String,
    keys: BTreeMap<String, RawKey>,
    roles: Roles,
}

#[derive(Deserialize)]
struct RawKey {
    keytype: String,
    scheme: String,
    keyval: KeyVal,
    #[serde(default)]
    label: Option<String>,
}

#[derive(Deserialize)]
struct KeyVal {
    public: String,
}

#[derive(Deserialize)]
struct Roles {
    root: Role,
    index: Role,
    #[serde(default)]
    publishers: Vec<PublisherRole>,
}

/// The key id of `key`: lowercase hex SHA-256 of its raw 32 bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    Sha256Digest::of(key.as_bytes()).to_hex()
}

/// OLPC canonical JSON of `value`, as TUF signs it.
pub fn canonical(value: &serde_json::Value) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut out, olpc_cjson::CanonicalFormatter::new());
    value
        .serialize(&mut serializer)
        .map_err(|e| format!("it has no canonical form ({e}); TUF metadata holds no fractions"))?;
    Ok(out)
}

impl Root {
    /// Parses `bytes` (shown as `path` in errors) and checks its form: the
    /// type, each key's id, each role's keys and threshold. Signatures are
    /// checked by [`Root::check_signed_by`].
    pub fn parse(path: &str, bytes: &[u8]) -> Result<Root> {
        let invalid = |reason: String| Error::TrustRootInvalid {
            path: path.to_string(),
            reason,
        };
        let envelope: Envelope = serde_json::from_slice(bytes)
            .map_err(|e| invalid(format!("not TUF root metadata ({e})")))?;
        let canonical = canonical(&envelope.signed).map_err(&invalid)?;
        let signed: Signed = serde_json::from_value(envelope.signed)
            .map_err(|e| invalid(format!("its `signed` is not a root ({e})")))?;
        if signed.kind != "root" {
            return Err(invalid(format!(
                "its `_type` is {:?}, not \"root\"",
                signed.kind
            )));
        }
        crate::clock::parse(&signed.expires)
            .map_err(|e| invalid(format!("its `expires` is not RFC 3339 ({e})")))?;
        if signed.keys.len() > MAX_ROOT_KEYS {
            return Err(invalid(format!("it lists more than {MAX_ROOT_KEYS} keys")));
        }
        let mut keys = BTreeMap::new();
        for (id, raw) in signed.keys {
            let key = parse_key(&id, &raw).map_err(|why| invalid(format!("key {id}: {why}")))?;
            let label = raw.label.unwrap_or_else(|| id.chars().take(8).collect());
            keys.insert(id, RootKey { key, label });
        }
        let roles = signed.roles;
        if roles.publishers.len() > MAX_ROOT_ROLES {
            return Err(invalid(format!(
                "it lists more than {MAX_ROOT_ROLES} publishers roles"
            )));
        }
        check_role("root", &roles.root, &keys).map_err(&invalid)?;
        check_role("index", &roles.index, &keys).map_err(&invalid)?;
        for (i, p) in roles.publishers.iter().enumerate() {
            check_publishers(i, p, &keys).map_err(&invalid)?;
        }
        let signatures = envelope
            .signatures
            .iter()
            .filter_map(|s| {
                let raw: [u8; 64] = hex::decode(&s.sig).ok()?.try_into().ok()?;
                Some((s.keyid.clone(), Signature::from_bytes(&raw)))
            })
            .collect();
        Ok(Root {
            version: signed.version,
            expires: signed.expires,
            keys,
            root: roles.root,
            index: roles.index,
            publishers: roles.publishers,
            bytes: bytes.to_vec(),
            canonical,
            signatures,
        })
    }

    /// Refuses unless a threshold of `signer`'s `root` role signed this
    /// root: `signer` is this root itself (a root must be signed by its own
    /// keys) or the version before it (a rotation). Says how many of how
    /// many signed.
    pub fn check_signed_by(&self, signer: &Root) -> std::result::Result<(), String> {
        let valid = signer.signers(&signer.root, &self.canonical, &self.signatures);
        let need = signer.root.threshold as usize;
        match valid.len() >= need {
            true => Ok(()),
            false => Err(format!(
                "{} of the {need} signatures needed from the root keys of version {}",
                valid.len(),
                signer.version
            )),
        }
    }

    /// The distinct keys of `role` whose signature in `signatures` verifies
    /// over `message`.
    pub fn signers(
        &self,
        role: &Role,
        message: &[u8],
        signatures: &[(String, Signature)],
    ) -> BTreeSet<String> {
        signatures
            .iter()
            .filter(|(id, _)| role.keyids.contains(id))
            .filter(|(id, signature)| {
                self.keys
                    .get(id)
                    .is_some_and(|k| k.key.verify_strict(message, signature).is_ok())
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The ids of the keys this root lists whose signature over it
    /// verifies (a key it does not list, such as the previous root's in a
    /// rotation, cannot be told from here).
    pub fn signed_ids(&self) -> Vec<String> {
        let all = Role {
            keyids: self.keys.keys().cloned().collect(),
            threshold: 1,
        };
        self.signers(&all, &self.canonical, &self.signatures)
            .into_iter()
            .collect()
    }

    /// The label of key `id`, or the id itself.
    pub fn label(&self, id: &str) -> String {
        self.keys
            .get(id)
            .map_or_else(|| id.to_string(), |k| k.label.clone())
    }

    /// The publishers roles whose names cover `plugin`.
    pub fn publishers_of<'a>(&'a self, plugin: &'a str) -> impl Iterator<Item = &'a PublisherRole> {
        self.publishers.iter().filter(move |p| p.covers(plugin))
    }

    /// SHA-256 of what the signatures cover: the same root whatever its
    /// layout and however many signatures it has gathered.
    pub fn signed_digest(&self) -> String {
        Sha256Digest::of(&self.canonical).to_hex()
    }

    /// The key id of `key` if this root lists it.
    pub fn id_of(&self, key: &VerifyingKey) -> Option<String> {
        let id = key_id(key);
        self.keys.contains_key(&id).then_some(id)
    }
}

fn parse_key(id: &str, raw: &RawKey) -> std::result::Result<VerifyingKey, String> {
    if raw.keytype != "ed25519" || raw.scheme != "ed25519" {
        return Err(format!(
            "keytype {:?} / scheme {:?}; only ed25519 is supported",
            raw.keytype, raw.scheme
        ));
    }
    let bytes =
        hex::decode(&raw.keyval.public).map_err(|e| format!("keyval.public is not hex ({e})"))?;
    let raw_key: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| format!("keyval.public is {} bytes, not 32", bytes.len()))?;
    // Only the canonical encoding: a point also has non-canonical ones,
    // which would give one key two ids and let it count twice.
    let canonical = curve25519_dalek::edwards::CompressedEdwardsY(raw_key)
        .decompress()
        .is_some_and(|point| point.compress().0 == raw_key);
    if !canonical {
        return Err("keyval.public is not the canonical encoding of an Ed25519 point".into());
    }
    let key = VerifyingKey::from_bytes(&raw_key)
        .map_err(|_| "keyval.public is not a valid Ed25519 point".to_string())?;
    if key.is_weak() {
        return Err("a small-order point; nothing can be verified with it".into());
    }
    if key_id(&key) != id {
        return Err(format!(
            "its id is not the SHA-256 of its key (that is {})",
            key_id(&key)
        ));
    }
    Ok(key)
}

fn check_role(
    name: &str,
    role: &Role,
    keys: &BTreeMap<String, RootKey>,
) -> std::result::Result<(), String> {
    check_signers(name, role, 0, keys)
}

/// A publishers role: its keys and identities (the two count alike), and
/// the names it may sign.
fn check_publishers(
    i: usize,
    role: &PublisherRole,
    keys: &BTreeMap<String, RootKey>,
) -> std::result::Result<(), String> {
    let name = format!("publishers[{i}]");
    if role.identities.len() > MAX_ROOT_KEYS {
        return Err(format!(
            "role {name} lists more than {MAX_ROOT_KEYS} identities"
        ));
    }
    if let Some(empty) = role
        .identities
        .iter()
        .find(|id| id.issuer.is_empty() || id.identity.is_empty())
    {
        return Err(format!(
            "role {name} has an identity with an empty issuer or identity ({empty:?}); \
             give both, as `sigstore verify` would be given them"
        ));
    }
    let distinct: BTreeSet<&RoleIdentity> = role.identities.iter().collect();
    check_signers(&name, &role.role(), distinct.len(), keys)?;
    if role.names.is_empty() {
        return Err(format!("{name} lists no names, so it could sign nothing"));
    }
    Ok(())
}

/// `role`'s keys are listed, and its threshold is between 1 and the
/// number of its distinct keys and `identities`.
fn check_signers(
    name: &str,
    role: &Role,
    identities: usize,
    keys: &BTreeMap<String, RootKey>,
) -> std::result::Result<(), String> {
    if let Some(unknown) = role.keyids.iter().find(|id| !keys.contains_key(*id)) {
        return Err(format!(
            "role {name} names key {unknown}, which `keys` does not list"
        ));
    }
    let distinct: BTreeSet<&String> = role.keyids.iter().collect();
    let signers = distinct.len() + identities;
    if role.threshold == 0 || role.threshold as usize > signers {
        let what = match identities {
            0 => format!("{} distinct key(s)", distinct.len()),
            n => format!("{} distinct key(s) and {n} identities", distinct.len()),
        };
        return Err(format!(
            "role {name} has threshold {} with {what}; it must be between 1 and \
             the number of keys",
            role.threshold,
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};
    use serde_json::{Value, json};

    pub fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    /// A root over `keys` (label, key), every role given as labels.
    pub fn signed_root(
        version: u64,
        keys: &[(&str, &SigningKey)],
        root: (&[&str], u32),
        index: (&[&str], u32),
        publishers: &[(&[&str], u32, &[&str])],
        signers: &[&SigningKey],
    ) -> Vec<u8> {
        let edit = |_: &mut Value| {};
        signed_root_edited(version, keys, root, index, publishers, signers, edit)
    }

    /// `signed_root`, with `edit` applied to `signed` before it is signed.
    pub fn signed_root_edited(
        version: u64,
        keys: &[(&str, &SigningKey)],
        root: (&[&str], u32),
        index: (&[&str], u32),
        publishers: &[(&[&str], u32, &[&str])],
        signers: &[&SigningKey],
        edit: impl FnOnce(&mut Value),
    ) -> Vec<u8> {
        let id = |label: &str| {
            let (_, k) = keys.iter().find(|(l, _)| *l == label).unwrap();
            key_id(&k.verifying_key())
        };
        let role = |(labels, threshold): (&[&str], u32)| json!({"keyids": labels.iter().map(|l| id(l)).collect::<Vec<_>>(), "threshold": threshold});
        let signed = json!({
            "_type": "root", "spec_version": "1", "version": version,
            "expires": "2999-01-01T00:00:00Z",
            "keys": keys.iter().map(|(l, k)| (key_id(&k.verifying_key()), json!({
                "keytype": "ed25519", "scheme": "ed25519", "label": l,
                "keyval": {"public": hex::encode(k.verifying_key().as_bytes())}})))
                .collect::<serde_json::Map<String, Value>>(),
            "roles": {"root": role(root), "index": role(index),
                      "publishers": publishers.iter().map(|(labels, t, names)| {
                          let mut r = role((labels, *t));
                          r["names"] = json!(names);
                          r
                      }).collect::<Vec<_>>()},
        });
        let mut signed = signed;
        edit(&mut signed);
        let message = canonical(&signed).unwrap();
        let signatures: Vec<Value> = signers
            .iter()
            .map(|k| {
                json!({"keyid": key_id(&k.verifying_key()),
                            "sig": hex::encode(k.sign(&message).to_bytes())})
            })
            .collect();
        serde_json::to_vec_pretty(&json!({"signed": signed, "signatures": signatures})).unwrap()
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let value: Value =
            serde_json::from_str(r#"{ "b": [1, "x"], "a": {"d": true, "c": null} }"#).unwrap();
        assert_eq!(
            canonical(&value).unwrap(),
            br#"{"a":{"c":null,"d":true},"b":[1,"x"]}"#
        );
    }

    #[test]
    fn a_root_parses_and_is_signed_by_itself_whatever_its_layout() {
        let (a, b) = (key(1), key(2));
        let bytes = signed_root(
            1,
            &[("a", &a), ("b", &b)],
            (&["a", "b"], 2),
            (&["a"], 1),
            &[(&["b"], 1, &["acme-*"])],
            &[&a, &b],
        );
        let root = Root::parse("root.json", &bytes).unwrap();
        assert_eq!(root.version, 1);
        assert_eq!(root.label(&key_id(&a.verifying_key())), "a");
        assert!(root.check_signed_by(&root).is_ok());
        assert!(root.publishers_of("acme-x").next().is_some());
        assert!(root.publishers_of("other").next().is_none());
        // Re-indented, the signatures still hold: they cover canonical JSON.
        let reformatted =
            serde_json::to_vec(&serde_json::from_slice::<Value>(&bytes).unwrap()).unwrap();
        let again = Root::parse("root.json", &reformatted).unwrap();
        assert!(again.check_signed_by(&again).is_ok());
        // One signature of a threshold of two, or the same key twice, is not enough.
        let one = signed_root(
            1,
            &[("a", &a), ("b", &b)],
            (&["a", "b"], 2),
            (&["a"], 1),
            &[],
            &[&a, &a],
        );
        let one = Root::parse("root.json", &one).unwrap();
        assert!(
            one.check_signed_by(&one)
                .unwrap_err()
                .contains("1 of the 2")
        );
    }

    #[test]
    fn a_malformed_root_is_refused_naming_what_is_wrong() {
        let a = key(1);
        let good = signed_root(1, &[("a", &a)], (&["a"], 1), (&["a"], 1), &[], &[&a]);
        let mut doc: Value = serde_json::from_slice(&good).unwrap();
        let id = key_id(&a.verifying_key());
        type Mutation = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(Mutation, &str)> = vec![
            (
                Box::new(|d| d["signed"]["_type"] = json!("targets")),
                "_type",
            ),
            (
                Box::new(|d| d["signed"]["roles"]["index"]["threshold"] = json!(2)),
                "threshold 2",
            ),
            (
                Box::new(|d| d["signed"]["roles"]["root"]["keyids"] = json!(["ff"])),
                "does not list",
            ),
            (
                Box::new(|d| d["signed"]["expires"] = json!("soon")),
                "RFC 3339",
            ),
            (
                Box::new(|d| d["signed"]["version"] = json!(1.5)),
                "canonical",
            ),
        ];
        for (mutate, expected) in cases {
            let mut copy = doc.clone();
            mutate(&mut copy);
            let err = Root::parse("r", &serde_json::to_vec(&copy).unwrap()).unwrap_err();
            assert!(format!("{err:?}").contains(expected), "{expected}: {err:?}");
        }
        // A key filed under another key's id.
        let keys = doc["signed"]["keys"].as_object_mut().unwrap();
        let entry = keys.remove(&id).unwrap();
        keys.insert("00".repeat(32), entry);
        let err = Root::parse("r", &serde_json::to_vec(&doc).unwrap()).unwrap_err();
        assert!(format!("{err:?}").contains("not the SHA-256"), "{err:?}");
    }

    #[test]
    fn a_key_in_a_non_canonical_encoding_is_refused() {
        // y = p + 1 encodes the same point as y = 1 (the identity is weak
        // anyway; what matters is that the encoding itself is refused).
        let mut raw = [0xffu8; 32];
        raw[0] = 0xee;
        raw[31] = 0x7f;
        let raw_key = RawKey {
            keytype: "ed25519".into(),
            scheme: "ed25519".into(),
            keyval: KeyVal {
                public: hex::encode(raw),
            },
            label: None,
        };
        let err = parse_key("id", &raw_key).unwrap_err();
        assert!(err.contains("canonical"), "{err}");
    }
}
