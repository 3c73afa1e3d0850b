//! Key management: writing, signing and reading a trust root's `root.json`
//! (who may sign what, thresholds, rotation), and co-signing an index or an
//! entry: the [`Installer`]'s `trust_*` methods, their requests and the
//! records they take and return. The component does the work; this grants
//! it the files.
//!
//! ```no_run
//! use wasm_plugin::{Installer, RoleSpec, PublisherSpec, TrustWriteRequest};
//! let installer = Installer::new()?;
//! installer.trust_write(
//!     &TrustWriteRequest::new("trust/root.json")
//!         .key("acme", "acme.pub")
//!         .root(RoleSpec::new(["acme"], 1))
//!         .index(RoleSpec::new(["acme"], 1))
//!         .publisher(PublisherSpec::new(RoleSpec::new(["acme"], 1), ["acme-*"])),
//! )?;
//! installer.trust_sign_root("trust/root.json", "acme.key")?;
//! # Ok::<(), wasm_plugin::Error>(())
//! ```

use crate::engine::{Grants, wit};
use crate::error::Error;
use crate::installer::Installer;
use crate::paths;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::engine::wit::{
    CosignReport, LabelledKey, PublisherSpec, RoleIdentity, RoleSpec, TrustSignedIndex,
    TrustSignedRoot, TrustSummary,
};

impl RoleSpec {
    /// `threshold` of the keys labelled `labels`.
    pub fn new<S: Into<String>>(labels: impl IntoIterator<Item = S>, threshold: u32) -> Self {
        RoleSpec {
            labels: labels.into_iter().map(Into::into).collect(),
            threshold,
        }
    }
}

impl PublisherSpec {
    /// `role` may sign plugins whose name matches one of `names`.
    pub fn new<S: Into<String>>(role: RoleSpec, names: impl IntoIterator<Item = S>) -> Self {
        PublisherSpec {
            role,
            names: names.into_iter().map(Into::into).collect(),
            identities: Vec::new(),
        }
    }

    /// Also a keyless Sigstore signer: `identity` (exact, or a glob when it
    /// holds `*` or `?`) with a certificate from the OIDC `issuer`; a
    /// verified bundle by it counts toward the role's threshold like a key.
    pub fn identity(mut self, issuer: impl Into<String>, identity: impl Into<String>) -> Self {
        self.identities.push(RoleIdentity {
            issuer: issuer.into(),
            identity: identity.into(),
        });
        self
    }
}

/// A `root.json` to write, unsigned: for [`Installer::trust_write`]. Version
/// 1, or with [`previous`](Self::previous) the next version of that root,
/// its keys and roles carried over unless changed (a rotation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustWriteRequest {
    out: PathBuf,
    previous: Option<PathBuf>,
    keys: Vec<(String, PathBuf)>,
    remove: Vec<String>,
    root: Option<RoleSpec>,
    index: Option<RoleSpec>,
    publishers: Vec<PublisherSpec>,
    expires_in: Option<Duration>,
}

impl TrustWriteRequest {
    /// Writes `out` (refused if it exists; its directory must exist).
    pub fn new(out: impl AsRef<Path>) -> Self {
        TrustWriteRequest {
            out: out.as_ref().to_path_buf(),
            previous: None,
            keys: Vec::new(),
            remove: Vec::new(),
            root: None,
            index: None,
            publishers: Vec::new(),
            expires_in: None,
        }
    }

    /// Follow this root: the version after it.
    pub fn previous(mut self, root: impl AsRef<Path>) -> Self {
        self.previous = Some(root.as_ref().to_path_buf());
        self
    }

    /// Add a key: its label and its `.pub` file.
    pub fn key(mut self, label: impl Into<String>, public: impl AsRef<Path>) -> Self {
        self.keys
            .push((label.into(), public.as_ref().to_path_buf()));
        self
    }

    /// Drop the key so labelled (from the previous root).
    pub fn remove_key(mut self, label: impl Into<String>) -> Self {
        self.remove.push(label.into());
        self
    }

    /// The keys that sign the next root.
    pub fn root(mut self, role: RoleSpec) -> Self {
        self.root = Some(role);
        self
    }

    /// The keys that sign `index.json`.
    pub fn index(mut self, role: RoleSpec) -> Self {
        self.index = Some(role);
        self
    }

    /// A publishers role; any given replaces all of the previous root's.
    pub fn publisher(mut self, role: PublisherSpec) -> Self {
        self.publishers.push(role);
        self
    }

    /// Expire after this long (default: a year).
    pub fn expires_in(mut self, after: Duration) -> Self {
        self.expires_in = Some(after);
        self
    }
}

/// A publisher's signature to add to an entry: for
/// [`Installer::trust_sign_entry`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignRequest {
    registry: PathBuf,
    name: String,
    version: String,
    key: PathBuf,
    index_key: Option<PathBuf>,
}

impl CosignRequest {
    /// Sign `name` `version` in the local index `registry` with `key`.
    pub fn new(
        registry: impl AsRef<Path>,
        name: impl Into<String>,
        version: impl Into<String>,
        key: impl AsRef<Path>,
    ) -> Self {
        CosignRequest {
            registry: registry.as_ref().to_path_buf(),
            name: name.into(),
            version: version.into(),
            key: key.as_ref().to_path_buf(),
            index_key: None,
        }
    }

    /// Sign the rewritten index with this key (required when it is signed).
    pub fn index_key(mut self, key: impl AsRef<Path>) -> Self {
        self.index_key = Some(key.as_ref().to_path_buf());
        self
    }
}

impl Installer {
    /// Writes a `root.json` with no signatures; each key holder then adds
    /// theirs with [`Installer::trust_sign_root`].
    pub fn trust_write(&self, request: &TrustWriteRequest) -> Result<TrustSummary, Error> {
        let out = paths::file_in_existing_dir(&request.out, "--out")?;
        let previous =
            paths::optional(request.previous.as_deref(), "--from", paths::existing_file)?;
        let keys = request
            .keys
            .iter()
            .map(|(label, path)| Ok((label.clone(), paths::existing_file(path, "--key")?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let mut grants = Grants::default();
        grants.write(paths::parent(&out));
        if let Some(previous) = &previous {
            grants.read(paths::parent(previous));
        }
        for (_, path) in &keys {
            grants.read(paths::parent(path));
        }
        let call = wit::TrustWriteRequest {
            out: paths::guest(&out),
            previous: previous.as_deref().map(paths::guest),
            keys: keys
                .iter()
                .map(|(label, path)| wit::LabelledKey {
                    label: label.clone(),
                    value: paths::guest(path),
                })
                .collect(),
            remove: request.remove.clone(),
            root: request.root.clone(),
            index: request.index.clone(),
            publishers: request.publishers.clone(),
            expires_in: request.expires_in.map(|d| d.as_secs()),
        };
        self.call(grants, false, |i, s| i.call_trust_write(s, &call))
    }

    /// Adds the signature of `key` to the `root.json` at `root`.
    pub fn trust_sign_root(
        &self,
        root: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<TrustSignedRoot, Error> {
        let root = paths::existing_file(root.as_ref(), "the root")?;
        let key = paths::existing_file(key.as_ref(), "--key")?;
        let mut grants = Grants::default();
        grants.write(paths::parent(&root)).read(paths::parent(&key));
        self.call(grants, false, |i, s| {
            i.call_trust_sign_root(s, &paths::guest(&root), &paths::guest(&key))
        })
    }

    /// Adds the signature of `key` over the local index `registry` as a
    /// line of `index.json.sig`; for a sparse registry (its directory or
    /// `config.json`), to the `.sig` of each plugin file and of
    /// `timestamp.json`.
    pub fn trust_sign_index(
        &self,
        registry: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<TrustSignedIndex, Error> {
        let registry = match super::sparse_config_of(registry.as_ref())? {
            Some(config) => config,
            None => super::flat_index(registry.as_ref())?,
        };
        let key = paths::existing_file(key.as_ref(), "--key")?;
        let mut grants = Grants::default();
        grants
            .write(paths::parent(&registry))
            .read(paths::parent(&key));
        self.call(grants, false, |i, s| {
            i.call_trust_sign_index(s, &paths::guest(&registry), &paths::guest(&key))
        })
    }

    /// Adds a publisher's signature to an entry's `signatures`.
    pub fn trust_sign_entry(&self, request: &CosignRequest) -> Result<CosignReport, Error> {
        let registry = super::flat_index(&request.registry)?;
        let key = paths::existing_file(&request.key, "--key")?;
        let index_key = paths::optional(
            request.index_key.as_deref(),
            "--index-key",
            paths::existing_file,
        )?;
        let mut grants = Grants::default();
        grants
            .write(paths::parent(&registry))
            .read(paths::parent(&key));
        if let Some(index_key) = &index_key {
            grants.read(paths::parent(index_key));
        }
        let call = wit::CosignRequest {
            registry: paths::guest(&registry),
            name: request.name.clone(),
            version: request.version.clone(),
            key: paths::guest(&key),
            index_key: index_key.as_deref().map(paths::guest),
        };
        self.call(grants, false, |i, s| i.call_trust_sign_entry(s, &call))
    }

    /// The `root.json` at `path`, or in the trust root directory `path`.
    pub fn trust_show(&self, path: impl AsRef<Path>) -> Result<TrustSummary, Error> {
        let path = path.as_ref();
        let canonical = match path.is_dir() {
            true => paths::existing_dir(path, "--trust-root")?,
            false => paths::existing_file(path, "the root")?,
        };
        let dir = match canonical.is_dir() {
            true => canonical.as_path(),
            false => paths::parent(&canonical),
        };
        self.call(Grants::reading(dir), false, |i, s| {
            i.call_trust_show(s, &paths::guest(&canonical))
        })
    }
}
