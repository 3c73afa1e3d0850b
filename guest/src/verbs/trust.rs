//! `trust`: writing, signing and reading `root.json` (see
//! `trust::metadata`), and adding signatures to `index.json.sig` (or to
//! every signed file of a sparse registry).
//!
//! Signing is offline and in turn: `write` makes a root with no signatures
//! (version 1, or the next version of a given root, its keys and roles
//! carried over unless changed), and each holder of a key adds theirs with
//! `sign_root`. A rotation is signed by the old root keys and the new.

use crate::clock;
use crate::error::{Error, Result};
use crate::limits::{MAX_ROOT_BYTES, MAX_SIG_FILE_BYTES};
use crate::registry::sparse;
use crate::sandbox::{self, Links};
use crate::transfer::staged::Staged;
use crate::trust::metadata::{self, Role, RoleIdentity, Root};
use crate::trust::{self, keys};
use crate::wit::{
    LabelledKey, PublisherSpec, RoleSpec, TrustSignedIndex, TrustSignedRoot, TrustSummary,
};
use ed25519_dalek::{Signer, VerifyingKey};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Default lifetime of a root written without one: a year, after which
/// clients refuse it (a frozen registry).
pub const DEFAULT_ROOT_SECONDS: u64 = 365 * 24 * 3600;

/// What `trust init` and `trust rotate` write.
#[derive(Debug, Clone, Default)]
pub struct WriteRequest {
    pub out: PathBuf,
    /// The root to follow (`trust rotate`): its keys and roles are carried
    /// over unless changed here, and the version is one more.
    pub previous: Option<PathBuf>,
    /// Keys added: label and `.pub` file.
    pub keys: Vec<(String, PathBuf)>,
    /// Labels of keys dropped (from `previous`); a role carried over that
    /// names one must be given anew.
    pub remove: Vec<String>,
    pub root: Option<RoleSpec>,
    pub index: Option<RoleSpec>,
    /// Replaces every publishers role when not empty.
    pub publishers: Vec<PublisherSpec>,
    pub expires_in: Option<u64>,
}

/// Writes a new root (refusing to replace a file), with no signatures.
pub fn write(request: &WriteRequest) -> Result<TrustSummary> {
    // Resolve: the starting point, then the keys after the changes.
    let out = &request.out;
    let dir = out.parent().unwrap_or(Path::new("/"));
    sandbox::check_granted(dir)?;
    if sandbox::exists(out)? {
        return Err(Error::AlreadyExists(out.display().to_string()));
    }
    let previous = request.previous.as_deref().map(read_root).transpose()?;
    let invalid = |reason: String| Error::InvalidRequest {
        value: out.display().to_string(),
        reason,
    };
    let keys = keys_after(request, previous.as_ref())?;

    // Decide: each role as given, else as it was less the removed keys.
    let carried = |role: Option<&Role>, root: &Root| -> Option<RoleSpec> {
        let role = role?;
        Some(RoleSpec {
            labels: role.keyids.iter().map(|id| root.label(id)).collect(),
            threshold: role.threshold,
        })
    };
    let role_or_carried = |given: &Option<RoleSpec>, pick: fn(&Root) -> &Role, name: &str| {
        given
            .clone()
            .or_else(|| previous.as_ref().and_then(|p| carried(Some(pick(p)), p)))
            .ok_or_else(|| {
                invalid(format!(
                    "a root needs the {name} role: pass --{name} LABELS[:THRESHOLD]"
                ))
            })
    };
    let root_role = role_or_carried(&request.root, |r| &r.root, "root")?;
    let index_role = role_or_carried(&request.index, |r| &r.index, "index")?;
    let publishers = match (&request.publishers[..], &previous) {
        ([], Some(p)) => p
            .publishers
            .iter()
            .map(|role| PublisherSpec {
                role: carried(Some(&role.role()), p).expect("a role"),
                names: role.names.clone(),
                identities: role.identities.iter().map(identity_spec).collect(),
            })
            .collect(),
        (given, _) => given.to_vec(),
    };
    let version = match &previous {
        None => 1,
        Some(p) => p
            .version
            .checked_add(1)
            .ok_or_else(|| invalid("the previous root's version cannot grow any further".into()))?,
    };
    let expires = clock::after(request.expires_in.unwrap_or(DEFAULT_ROOT_SECONDS))
        .ok_or_else(|| invalid("that expiry is past the year 9999".into()))?;

    // Build, check it as a client will read it, and write it.
    let roles = Roles {
        root: &root_role,
        index: &index_role,
        publishers: &publishers,
    };
    let document = document(out, &keys, version, &expires, roles)?;
    let text = pretty(&document);
    let root = Root::parse(&out.display().to_string(), &text)?;
    persist(dir, out, &text)?;
    Ok(summary(out, &root))
}

/// The keys of the new root by label: the previous root's, less those
/// removed, plus those added (read from their `.pub` files).
fn keys_after(
    request: &WriteRequest,
    previous: Option<&Root>,
) -> Result<BTreeMap<String, VerifyingKey>> {
    let out = &request.out;
    let invalid = |reason: String| Error::InvalidRequest {
        value: out.display().to_string(),
        reason,
    };
    let mut keys: BTreeMap<String, VerifyingKey> = BTreeMap::new();
    // Roles are carried over by label, so labels must tell keys apart.
    if let Some(previous) = previous {
        for k in previous.keys.values() {
            if keys.insert(k.label.clone(), k.key).is_some() {
                return Err(invalid(format!(
                    "two keys of the previous root are labelled {}; give each its own label \
                     (the `label` field of its entry in `keys`)",
                    k.label
                )));
            }
        }
    }
    for label in &request.remove {
        if keys.remove(label).is_none() {
            return Err(invalid(format!(
                "--remove-key {label}: the root has no key so labelled"
            )));
        }
    }
    for (label, path) in &request.keys {
        crate::registry::name::PluginName::parse(label)?;
        if keys.contains_key(label) && !request.remove.contains(label) {
            return Err(invalid(format!(
                "a key is labelled {label} already; pass --remove-key {label} to replace it"
            )));
        }
        let text = trust::read_small(path, crate::limits::MAX_KEY_FILE_BYTES)?
            .ok_or_else(|| invalid(format!("{} is too large for a key", path.display())))?;
        let key = trust::parse_public_key(&text).map_err(|why| Error::KeyInvalid {
            path: path.display().to_string(),
            reason: why,
        })?;
        keys.insert(label.clone(), key);
    }

    Ok(keys)
}

/// The roles a new root gives.
struct Roles<'a> {
    root: &'a RoleSpec,
    index: &'a RoleSpec,
    publishers: &'a [PublisherSpec],
}

/// The new root's JSON, unsigned: every role's labels turned into key ids.
fn document(
    out: &Path,
    keys: &BTreeMap<String, VerifyingKey>,
    version: u64,
    expires: &str,
    roles: Roles<'_>,
) -> Result<Value> {
    let invalid = |reason: String| Error::InvalidRequest {
        value: out.display().to_string(),
        reason,
    };
    let id_of = |label: &String| -> Result<String> {
        keys.get(label).map(metadata::key_id).ok_or_else(|| {
            invalid(format!(
                "no key is labelled {label}; add it with --key {label}=FILE.pub"
            ))
        })
    };
    let role_json = |spec: &RoleSpec| -> Result<Value> {
        let ids = spec.labels.iter().map(id_of).collect::<Result<Vec<_>>>()?;
        Ok(json!({"keyids": ids, "threshold": spec.threshold}))
    };
    let mut listed = Map::new();
    for (label, key) in keys {
        listed.insert(
            metadata::key_id(key),
            json!({"keytype": "ed25519", "scheme": "ed25519", "label": label,
                   "keyval": {"public": hex::encode(key.as_bytes())}}),
        );
    }
    let mut publisher_roles = Vec::new();
    for p in roles.publishers {
        let mut role = role_json(&p.role)?;
        role["names"] = json!(p.names);
        if !p.identities.is_empty() {
            role["identities"] = p
                .identities
                .iter()
                .map(|i| json!({"issuer": i.issuer, "identity": i.identity}))
                .collect();
        }
        publisher_roles.push(role);
    }
    Ok(json!({
        "signed": {"_type": "root", "spec_version": "1", "version": version,
                   "expires": expires, "keys": listed,
                   "roles": {"root": role_json(roles.root)?, "index": role_json(roles.index)?,
                             "publishers": publisher_roles}},
        "signatures": []
    }))
}

/// Adds the signature of `key` to the root at `path` (replacing an earlier
/// one by the same key).
pub fn sign_root(path: &Path, key: &Path) -> Result<TrustSignedRoot> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    sandbox::check_granted(dir)?;
    let key = keys::load_signing_key(key)?;
    // One read, checked as a client reads it, then edited as JSON.
    let shown = path.display().to_string();
    let bytes = read_bytes(path)?;
    let root = Root::parse(&shown, &bytes)?;
    let invalid = |reason: &str| Error::TrustRootInvalid {
        path: shown.clone(),
        reason: reason.to_string(),
    };
    let mut document: Value =
        serde_json::from_slice(&bytes).map_err(|_| invalid("it is not JSON"))?;
    let message = metadata::canonical(&document["signed"]).map_err(|why| invalid(&why))?;
    let keyid = metadata::key_id(&key.verifying_key());
    let signature = json!({"keyid": keyid, "sig": hex::encode(key.sign(&message).to_bytes())});
    if document.get("signatures").is_none() {
        document["signatures"] = json!([]);
    }
    let signatures = document
        .get_mut("signatures")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| invalid("its `signatures` is not a list"))?;
    let existing = signatures.iter().position(|s| s["keyid"] == keyid.as_str());
    match existing {
        Some(i) => signatures[i] = signature,
        None => signatures.push(signature),
    }
    let text = pretty(&document);
    let signed = Root::parse(&path.display().to_string(), &text)?;
    persist(dir, path, &text)?;
    Ok(TrustSignedRoot {
        label: root.keys.get(&keyid).map(|k| k.label.clone()),
        summary: summary(path, &signed),
        keyid,
        replaced: existing.is_some(),
    })
}

/// Adds the signature of `key` over the index's bytes as a line of
/// `index.json.sig`, for an `index` role with a threshold above one. The
/// lines there are kept (whose they are cannot be told without the trust
/// root; a stale one counts for nothing), and a key that already signed
/// these bytes is not added twice. `publish` and `--yank` rewrite the file
/// with one line, as they change the bytes.
///
/// For a sparse registry (`registry` its `config.json`) every file the
/// index role signs gets the line: each plugin file (found by walking the
/// registry's directory) and `timestamp.json` (bins and snapshots are
/// pinned by it, not signed). Every file is read, checked to parse and
/// signed before any signature file is written.
pub fn sign_index(registry: &Path, key: &Path) -> Result<TrustSignedIndex> {
    let dir = registry.parent().unwrap_or(Path::new("/"));
    sandbox::check_granted(dir)?;
    let key = keys::load_signing_key(key)?;
    let sparse_ref = crate::registry::RegistryRef::File(registry.to_path_buf());
    if !sparse::is_sparse(&sparse_ref) {
        let signed = add_signature(registry, &key, |shown, bytes| {
            crate::registry::index::parse(shown, bytes).map(|_| ())
        })?;
        if let Some(text) = &signed.text {
            persist(dir, &signed.sig_path, text.as_bytes())?;
        }
        return Ok(TrustSignedIndex {
            signature_path: signed.sig_path.display().to_string(),
            signatures: signed.lines,
            unchanged: signed.text.is_none(),
            files: 1,
            added: u32::from(signed.text.is_some()),
        });
    }
    sparse::read_config(&sparse_ref, &crate::transfer::source::NoNetwork)?;
    let mut signed = Vec::new();
    for name in sparse::local_plugins(dir)? {
        let file = dir.join(sparse::plugin_path(&name)?);
        signed.push(add_signature(&file, &key, |shown, bytes| {
            crate::registry::index::parse(shown, bytes).map(|_| ())
        })?);
    }
    let timestamp = dir.join(sparse::TIMESTAMP);
    if sandbox::exists(&timestamp)? {
        signed.push(add_signature(&timestamp, &key, |shown, bytes| {
            sparse::parse_json::<sparse::Timestamp>(shown, bytes).map(|_| ())
        })?);
    }
    // Then written, each through a temp file renamed into place.
    for file in &signed {
        if let Some(text) = &file.text {
            let file_dir = file.sig_path.parent().unwrap_or(dir);
            persist(file_dir, &file.sig_path, text.as_bytes())?;
        }
    }
    Ok(TrustSignedIndex {
        signature_path: registry.display().to_string(),
        signatures: signed.iter().map(|f| f.lines).min().unwrap_or(0),
        unchanged: signed.iter().all(|f| f.text.is_none()),
        files: signed.len() as u32,
        added: signed.iter().filter(|f| f.text.is_some()).count() as u32,
    })
}

/// A signature file with the key's line added, not written yet.
struct SignedFile {
    sig_path: PathBuf,
    /// Signatures (lines) it holds with the key's.
    lines: u32,
    /// Its new text; `None` when the key had signed these bytes already.
    text: Option<String>,
}

/// Reads the file at `path` (checked by `parse` to be what it says it is)
/// and its `<path>.sig`, and adds the key's signature over the bytes as a
/// line. Every line there is kept (whose it is cannot be told without the
/// trust root; a stale one counts for nothing), and a key that already
/// signed these bytes is not added twice.
fn add_signature(
    path: &Path,
    key: &ed25519_dalek::SigningKey,
    parse: impl Fn(&str, &[u8]) -> Result<()>,
) -> Result<SignedFile> {
    let shown = path.display().to_string();
    let bytes = sandbox::read_at_most(path, crate::limits::MAX_INDEX_BYTES, Links::Follow)?
        .ok_or_else(|| Error::IndexInvalid {
            path: shown.clone(),
            problem: "the index is too large".into(),
        })?;
    parse(&shown, &bytes)?;
    let sig_path = PathBuf::from(format!("{shown}.sig"));
    let old = match sandbox::exists(&sig_path)? {
        true => trust::read_small(&sig_path, MAX_SIG_FILE_BYTES)?.unwrap_or_default(),
        false => String::new(),
    };
    let mine = key.verifying_key();
    let mut lines = Vec::new();
    let mut unchanged = false;
    for line in old.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(signature) = trust::parse_signature(line) else {
            continue;
        };
        if mine.verify_strict(&bytes, &signature).is_ok() {
            unchanged = true;
        }
        lines.push(line.trim().to_string());
    }
    if unchanged {
        return Ok(SignedFile {
            sig_path,
            lines: lines.len() as u32,
            text: None,
        });
    }
    lines.push(trust::encode_signature(&key.sign(&bytes)));
    let mut text = lines.join("\n");
    text.push('\n');
    Ok(SignedFile {
        sig_path,
        lines: lines.len() as u32,
        text: Some(text),
    })
}

/// The root at `path` (a `root.json`, or a trust root directory holding
/// one), read and summarised.
pub fn show(path: &Path) -> Result<TrustSummary> {
    let file = match path.is_dir() {
        true => path.join(trust::ROOT_FILE),
        false => path.to_path_buf(),
    };
    let root = read_root(&file)?;
    Ok(summary(&file, &root))
}

fn summary(path: &Path, root: &Root) -> TrustSummary {
    let spec = |role: &Role| RoleSpec {
        labels: role.keyids.iter().map(|id| root.label(id)).collect(),
        threshold: role.threshold,
    };
    TrustSummary {
        path: path.display().to_string(),
        version: root.version,
        expires: root.expires.clone(),
        keys: root
            .keys
            .iter()
            .map(|(id, k)| LabelledKey {
                label: k.label.clone(),
                value: id.clone(),
            })
            .collect(),
        root: spec(&root.root),
        index: spec(&root.index),
        publishers: root
            .publishers
            .iter()
            .map(|p| PublisherSpec {
                role: spec(&p.role()),
                names: p.names.clone(),
                identities: p.identities.iter().map(identity_spec).collect(),
            })
            .collect(),
        signed_by: root.signed_ids().iter().map(|id| root.label(id)).collect(),
        complete: root.check_signed_by(root).is_ok(),
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    sandbox::read_at_most(path, MAX_ROOT_BYTES, Links::Follow)?.ok_or_else(|| {
        Error::TrustRootInvalid {
            path: path.display().to_string(),
            reason: format!("it is larger than {MAX_ROOT_BYTES} bytes"),
        }
    })
}

fn read_root(path: &Path) -> Result<Root> {
    Root::parse(&path.display().to_string(), &read_bytes(path)?)
}

fn pretty(document: &Value) -> Vec<u8> {
    let mut text = serde_json::to_vec_pretty(document).expect("JSON serializes");
    text.push(b'\n');
    text
}

/// Writes `text` to `path` through a temp file and a rename.
fn persist(dir: &Path, path: &Path, text: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut staged = Staged::create(dir, &name)?;
    staged.write_all(text)?;
    staged.persist(path)
}

/// A publishers role's identity as the WIT carries it.
fn identity_spec(identity: &RoleIdentity) -> crate::wit::RoleIdentity {
    crate::wit::RoleIdentity {
        issuer: identity.issuer.clone(),
        identity: identity.identity.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keygen(dir: &Path, label: &str) -> (PathBuf, PathBuf) {
        let made = crate::trust::keys::generate(label, dir).unwrap();
        (PathBuf::from(made.key_path), PathBuf::from(made.pub_path))
    }

    fn role(labels: &[&str], threshold: u32) -> RoleSpec {
        RoleSpec {
            labels: labels.iter().map(|l| l.to_string()).collect(),
            threshold,
        }
    }

    #[test]
    fn init_then_sign_makes_a_root_clients_accept_and_rotate_carries_it_over() {
        let dir = tempfile::tempdir().unwrap();
        let (a_key, a_pub) = keygen(dir.path(), "a");
        let (b_key, b_pub) = keygen(dir.path(), "b");
        let out = dir.path().join("root.json");
        let written = write(&WriteRequest {
            out: out.clone(),
            keys: vec![("a".into(), a_pub), ("b".into(), b_pub.clone())],
            root: Some(role(&["a"], 1)),
            index: Some(role(&["a"], 1)),
            publishers: vec![PublisherSpec {
                role: role(&["a", "b"], 2),
                names: vec!["acme-*".into()],
                identities: vec![crate::wit::RoleIdentity {
                    issuer: "https://token.actions.githubusercontent.com".into(),
                    identity: "https://github.com/acme/*".into(),
                }],
            }],
            ..WriteRequest::default()
        })
        .unwrap();
        assert_eq!((written.version, written.complete), (1, false));
        assert_eq!(written.publishers[0].identities.len(), 1);
        assert!(matches!(
            write(&WriteRequest {
                out: out.clone(),
                ..WriteRequest::default()
            }),
            Err(Error::AlreadyExists(_))
        ));
        let signed = sign_root(&out, &a_key).unwrap();
        assert_eq!(signed.label.as_deref(), Some("a"));
        assert!(signed.summary.complete);
        assert!(
            !sign_root(&out, &a_key)
                .unwrap()
                .summary
                .signed_by
                .is_empty()
        );
        assert!(sign_root(&out, &a_key).unwrap().replaced);
        // A client's trust root accepts it.
        let root = crate::trust::TrustRoot::load(dir.path()).unwrap();
        assert_eq!(root.metadata.unwrap().version, 1);
        // A rotation that gives no publishers carries them over, identities
        // and all.
        let carried = write(&WriteRequest {
            out: dir.path().join("carried.root.json"),
            previous: Some(out.clone()),
            ..WriteRequest::default()
        })
        .unwrap();
        assert_eq!(carried.publishers, written.publishers);

        // Rotate: b takes the root and index roles, a is dropped.
        let next = dir.path().join("2.root.json");
        let rotated = write(&WriteRequest {
            out: next.clone(),
            previous: Some(out.clone()),
            remove: vec!["a".into()],
            root: Some(role(&["b"], 1)),
            index: Some(role(&["b"], 1)),
            publishers: vec![PublisherSpec {
                role: role(&["b"], 1),
                names: vec!["*".into()],
                identities: Vec::new(),
            }],
            ..WriteRequest::default()
        })
        .unwrap();
        assert_eq!(rotated.version, 2);
        assert_eq!(rotated.keys.len(), 1);
        let by_old = sign_root(&next, &a_key).unwrap();
        assert_eq!(
            by_old.label, None,
            "the old key is not listed in the new root"
        );
        sign_root(&next, &b_key).unwrap();
        let old = read_root(&out).unwrap();
        let new = read_root(&next).unwrap();
        assert!(new.check_signed_by(&old).is_ok() && new.check_signed_by(&new).is_ok());
        // A role naming a removed key is refused, with what to do.
        let err = write(&WriteRequest {
            out: dir.path().join("3.root.json"),
            previous: Some(next),
            remove: vec!["b".into()],
            ..WriteRequest::default()
        })
        .unwrap_err();
        assert!(
            format!("{err:?}").contains("no key is labelled b"),
            "{err:?}"
        );
    }

    #[test]
    fn index_signatures_are_added_a_line_per_key() {
        let dir = tempfile::tempdir().unwrap();
        let (a_key, _) = keygen(dir.path(), "a");
        let (b_key, _) = keygen(dir.path(), "b");
        let index = dir.path().join("index.json");
        std::fs::write(&index, br#"{"plugins": []}"#).unwrap();
        assert_eq!(sign_index(&index, &a_key).unwrap().signatures, 1);
        assert!(sign_index(&index, &a_key).unwrap().unchanged);
        assert_eq!(sign_index(&index, &b_key).unwrap().signatures, 2);
        let text = std::fs::read_to_string(dir.path().join("index.json.sig")).unwrap();
        assert_eq!(text.lines().count(), 2);
    }
}
