//! Loading a trust root: a directory of `*.pub` files (a key's label is its
//! file stem), and its `root.json` when it has one, which then decides who
//! may sign what.

use super::encoding::parse_public_key;
use super::metadata::Root;
use crate::error::{Error, Result};
use crate::limits::{MAX_KEY_FILE_BYTES, MAX_ROOT_BYTES, MAX_TRUST_KEYS};
use crate::sandbox;
use ed25519_dalek::VerifyingKey;
use std::path::Path;

/// One trusted key and the label it reports as.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    pub label: String,
    pub key: VerifyingKey,
}

/// The keys of a trust root directory, sorted by label, and its
/// `root.json` when it has one (which then decides who may sign what).
#[derive(Debug, Clone)]
pub struct TrustRoot {
    pub path: String,
    pub keys: Vec<TrustedKey>,
    pub metadata: Option<Root>,
}

impl TrustRoot {
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
        if dir.is_file() {
            if dir.extension().is_none_or(|x| x != "pub") {
                return Err(invalid(
                    "a trust root is a directory of *.pub files, or one *.pub file".into(),
                ));
            }
            let keys = vec![load_key(dir)?];
            return Ok(TrustRoot {
                path: shown,
                keys,
                metadata: None,
            });
        }
        let metadata = load_metadata(&dir.join(ROOT_FILE))?;
        let entries = std::fs::read_dir(dir).map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => Error::io(dir, "list", &e),
            _ => invalid(format!(
                "cannot list the directory: {}",
                crate::error::io_message(&e)
            )),
        })?;
        let mut key_files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, "list", &e))?;
            let path = entry.path();
            if path.extension().is_some_and(|x| x == "pub") {
                key_files.push(path);
            }
        }
        key_files.sort();
        // With root.json the `*.pub` files are for loaders; it lists the keys.
        if key_files.is_empty() && metadata.is_none() {
            return Err(invalid(
                "it holds no *.pub key files (each is the base64 of a raw 32-byte Ed25519 \
                 public key, or a PEM PUBLIC KEY)"
                    .to_string(),
            ));
        }
        if key_files.len() > MAX_TRUST_KEYS {
            return Err(invalid(format!(
                "it holds {} *.pub files; at most {MAX_TRUST_KEYS} are read",
                key_files.len()
            )));
        }
        let keys = key_files
            .iter()
            .map(|path| load_key(path))
            .collect::<Result<Vec<_>>>()?;
        Ok(TrustRoot {
            path: shown,
            keys,
            metadata,
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

/// One `*.pub` file, labelled by its stem.
fn load_key(path: &Path) -> Result<TrustedKey> {
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
    let key = parse_public_key(&text).map_err(invalid_key)?;
    Ok(TrustedKey { label, key })
}

/// Reads a key or signature file as text; `None` when it is larger than
/// `max` bytes (which no key or signature is).
pub fn read_small(path: &Path, max: u64) -> Result<Option<String>> {
    Ok(sandbox::read_at_most(path, max, sandbox::Links::Follow)?
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}
