//! A publisher's keys: [`Installer::keygen`] makes an Ed25519 key pair and
//! [`Installer::sign`] signs a plugin file with it.

use crate::engine::Grants;
use crate::error::Error;
use crate::installer::Installer;
use crate::paths;
use std::path::{Path, PathBuf};

pub use crate::engine::wit::{KeygenReport, SignReport};

/// A key pair to make: for [`Installer::keygen`](crate::Installer::keygen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeygenRequest {
    pub(crate) label: String,
    pub(crate) out_dir: PathBuf,
}

impl KeygenRequest {
    /// Write `<out_dir>/<label>.key` (owner-only) and `<label>.pub`.
    pub fn new(label: impl Into<String>, out_dir: impl AsRef<Path>) -> Self {
        KeygenRequest {
            label: label.into(),
            out_dir: out_dir.as_ref().to_path_buf(),
        }
    }
}

/// A file to sign: for [`Installer::sign`](crate::Installer::sign).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignRequest {
    pub(crate) artifact: PathBuf,
    pub(crate) key: PathBuf,
    pub(crate) out: Option<PathBuf>,
    pub(crate) force: bool,
}

impl SignRequest {
    /// Sign `artifact` with the PKCS#8 PEM private key in `key`.
    pub fn new(artifact: impl AsRef<Path>, key: impl AsRef<Path>) -> Self {
        SignRequest {
            artifact: artifact.as_ref().to_path_buf(),
            key: key.as_ref().to_path_buf(),
            out: None,
            force: false,
        }
    }

    /// Write the signature to `file` instead of the `.sig` sidecar.
    pub fn out(mut self, file: impl AsRef<Path>) -> Self {
        self.out = Some(file.as_ref().to_path_buf());
        self
    }

    /// Replace an existing signature file (otherwise `already-exists`).
    pub fn force(mut self, yes: bool) -> Self {
        self.force = yes;
        self
    }
}

impl Installer {
    /// Makes an Ed25519 key pair: `<label>.key` (owner-only) and `<label>.pub`.
    ///
    /// WASI cannot set file modes, so the process umask is 077 while the
    /// component writes the key: files other threads create meanwhile are
    /// owner-only too. Calls of `keygen` are serialized.
    pub fn keygen(&self, request: &KeygenRequest) -> Result<KeygenReport, Error> {
        let out_dir = paths::existing_dir(&request.out_dir, "--out")?;
        let mut grants = Grants::default();
        grants.write(&out_dir);
        // WASI has no file modes: files the component creates get the
        // process umask, so it is made owner-only while the key is written.
        let report = paths::with_private_umask(|| {
            self.call(grants, false, |i, s| {
                i.call_keygen(s, &request.label, &paths::guest(&out_dir))
            })
        })?;
        // The public half is meant to be shared.
        paths::make_world_readable(Path::new(&report.pub_path));
        Ok(report)
    }

    /// Signs a plugin file, writing its `.sig` sidecar (or another file).
    pub fn sign(&self, request: &SignRequest) -> Result<SignReport, Error> {
        let file = paths::existing_file(&request.artifact, "the file")?;
        let key = paths::existing_file(&request.key, "--key")?;
        let out = match &request.out {
            Some(out) => paths::file_in_existing_dir(out, "--out")?,
            None => file.with_extension("sig"),
        };
        let mut grants = Grants::reading(paths::parent(&file));
        grants.read(paths::parent(&key)).write(paths::parent(&out));
        let report = self.call(grants, false, |i, s| {
            i.call_sign(
                s,
                &paths::guest(&file),
                &paths::guest(&key),
                Some(paths::guest(&out).as_str()),
                request.force,
            )
        })?;
        Ok(report)
    }
}
