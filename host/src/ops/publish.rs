//! Writing a registry: [`Installer::publish`] adds a plugin version to an
//! index (or pushes it to an OCI registry), [`Installer::yank`] withdraws
//! one, [`Installer::mirror`] copies a registry for offline use, and
//! [`Installer::convert_registry`] makes a sparse registry of a flat index.

use super::{DEFAULT_MAX_SIZE, IndexRequest, flat_index, sparse_config_of};
use crate::engine::{Grants, wit};
use crate::error::Error;
use crate::installer::Installer;
use crate::paths;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::engine::wit::{
    ConvertReport, ConvertedFile, MirrorReport, PublishReport, TimestampWritten, YankReport,
};

/// A plugin version to add to an index: for [`Installer::publish`](crate::Installer::publish).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRequest {
    pub(crate) artifact: PathBuf,
    pub(crate) registry: PathBuf,
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) key: Option<PathBuf>,
    pub(crate) location: Option<String>,
    pub(crate) force: bool,
    pub(crate) expires_in: Option<Duration>,
    pub(crate) sigstore_bundle: Option<PathBuf>,
    pub(crate) timestamp_expires_in: Option<Duration>,
}

impl PublishRequest {
    /// Add `artifact` to the index at `registry` (created if missing).
    pub fn new(artifact: impl AsRef<Path>, registry: impl AsRef<Path>) -> Self {
        PublishRequest {
            artifact: artifact.as_ref().to_path_buf(),
            registry: registry.as_ref().to_path_buf(),
            name: None,
            version: None,
            description: None,
            key: None,
            location: None,
            force: false,
            expires_in: None,
            sigstore_bundle: None,
            timestamp_expires_in: None,
        }
    }

    /// The plugin's name (default: the file name less a `-<version>` suffix).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The version (default: read off a `<name>-<semver>.wasm` file name,
    /// else from the `Cargo.toml` of the crate that built a file in cargo's
    /// `target/` directory).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// One line saying what the plugin does.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Sign the artefact (and the index) with this PKCS#8 PEM private key.
    pub fn key(mut self, file: impl AsRef<Path>) -> Self {
        self.key = Some(file.as_ref().to_path_buf());
        self
    }

    /// What the entry's `artifact` says (default: copy the file next to
    /// the index as `<name>-<version>.wasm`).
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Replace an entry with the same name and version.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Make the index expire this long from now.
    pub fn expires_in(mut self, after: Duration) -> Self {
        self.expires_in = Some(after);
        self
    }

    /// Attach this Sigstore bundle, made elsewhere for the artefact
    /// (`cosign sign-blob --bundle`, `sigstore sign`): written beside the
    /// index as `<name>-<version>.sigstore.json` and named by the entry, or
    /// pushed to an OCI registry as a referrer of the plugin's manifest.
    pub fn sigstore_bundle(mut self, file: impl AsRef<Path>) -> Self {
        self.sigstore_bundle = Some(file.as_ref().to_path_buf());
        self
    }

    /// In a sparse registry with freshness files, make the new
    /// `timestamp.json` expire this long from now (default: a day).
    pub fn timestamp_expires_in(mut self, after: Duration) -> Self {
        self.timestamp_expires_in = Some(after);
        self
    }
}

/// A version to yank from a local index: for [`Installer::yank`](crate::Installer::yank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YankRequest {
    pub(crate) registry: PathBuf,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) undo: bool,
    pub(crate) key: Option<PathBuf>,
    pub(crate) timestamp_expires_in: Option<Duration>,
}

impl YankRequest {
    /// Mark `name` `version` yanked in the index at `registry`: resolution
    /// then passes it over unless it is asked for exactly.
    pub fn new(
        registry: impl AsRef<Path>,
        name: impl Into<String>,
        version: impl Into<String>,
    ) -> Self {
        YankRequest {
            registry: registry.as_ref().to_path_buf(),
            name: name.into(),
            version: version.into(),
            undo: false,
            key: None,
            timestamp_expires_in: None,
        }
    }

    /// Unyank instead.
    pub fn undo(mut self, yes: bool) -> Self {
        self.undo = yes;
        self
    }

    /// Sign the index again with this key (required when it is signed).
    pub fn key(mut self, file: impl AsRef<Path>) -> Self {
        self.key = Some(file.as_ref().to_path_buf());
        self
    }

    /// In a sparse registry with freshness files, make the new
    /// `timestamp.json` expire this long from now (default: a day).
    pub fn timestamp_expires_in(mut self, after: Duration) -> Self {
        self.timestamp_expires_in = Some(after);
        self
    }
}

/// A registry to copy for offline use: for [`Installer::mirror`](crate::Installer::mirror).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorRequest {
    pub(crate) index: IndexRequest,
    pub(crate) out: PathBuf,
    pub(crate) key: Option<PathBuf>,
    pub(crate) max_size: u64,
    pub(crate) allow_read: Vec<PathBuf>,
    pub(crate) sparse: bool,
}

impl MirrorRequest {
    /// Copy the registry at `registry` into `out` (created if missing): a
    /// directory for a flat `index.json`, a path naming `config.json` for a
    /// sparse registry, or an OCI namespace `oci://HOST/NAMESPACE`.
    pub fn new(registry: impl Into<String>, out: impl AsRef<Path>) -> Self {
        MirrorRequest {
            index: IndexRequest::new(registry),
            out: out.as_ref().to_path_buf(),
            key: None,
            max_size: DEFAULT_MAX_SIZE,
            allow_read: Vec::new(),
            sparse: false,
        }
    }

    /// Write a sparse registry into the directory `out` (its `config.json`,
    /// one file per plugin, freshness files) instead of an `index.json`, as
    /// an `out` naming `config.json` does.
    pub fn sparse(mut self, sparse: bool) -> Self {
        self.sparse = sparse;
        self
    }

    /// Also let the installer read `dir` (artefacts a local index names
    /// outside its own directory).
    pub fn allow_read(mut self, dir: impl AsRef<Path>) -> Self {
        self.allow_read.push(dir.as_ref().to_path_buf());
        self
    }

    /// Verify every artefact (and the index, when signed) against `dir`.
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.index = self.index.trust_root(dir);
        self
    }

    /// Accept an index past its `expires`.
    pub fn allow_expired(mut self, allow: bool) -> Self {
        self.index = self.index.allow_expired(allow);
        self
    }

    /// Sign the mirrored index with this key when its bytes had to change.
    pub fn key(mut self, file: impl AsRef<Path>) -> Self {
        self.key = Some(file.as_ref().to_path_buf());
        self
    }

    /// See [`InstallRequest::max_size`](crate::InstallRequest::max_size).
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = bytes;
        self
    }
}

/// A flat index to make a sparse registry of: for
/// [`Installer::convert_registry`](crate::Installer::convert_registry).
///
/// ```
/// use wasm_plugin::ConvertRequest;
/// let request = ConvertRequest::new("registry/index.json", "sparse").key("index.key");
/// # let _ = request;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertRequest {
    pub(crate) index: PathBuf,
    pub(crate) out: PathBuf,
    pub(crate) key: Option<PathBuf>,
    pub(crate) timestamp_expires_in: Option<Duration>,
}

impl ConvertRequest {
    /// Convert the flat index `index` (a local `index.json`) into the
    /// directory `out` (created if missing).
    pub fn new(index: impl AsRef<Path>, out: impl AsRef<Path>) -> Self {
        ConvertRequest {
            index: index.as_ref().to_path_buf(),
            out: out.as_ref().to_path_buf(),
            key: None,
            timestamp_expires_in: None,
        }
    }

    /// Sign each plugin file with this key (PKCS#8 PEM), as `<file>.sig`:
    /// the key of the trust root's index role.
    pub fn key(mut self, file: impl AsRef<Path>) -> Self {
        self.key = Some(file.as_ref().to_path_buf());
        self
    }

    /// Make `timestamp.json` expire this long from now, or with the index
    /// when that is sooner (default: a day).
    pub fn timestamp_expires_in(mut self, after: Duration) -> Self {
        self.timestamp_expires_in = Some(after);
        self
    }
}

impl Installer {
    /// Makes a sparse registry in `out`: its `config.json` and one file per
    /// plugin, holding that plugin's entries of the flat index, signed with
    /// the key when one is given. Relative artefact locations are rewritten
    /// to name the same files from the new root.
    pub fn convert_registry(&self, request: &ConvertRequest) -> Result<ConvertReport, Error> {
        let index = flat_index(&request.index)?;
        let key = paths::optional(request.key.as_deref(), "--key", paths::existing_file)?;
        let (out, created) = paths::ensure_dir(&request.out, "--out")?;
        let mut grants = Grants::default();
        grants.read(paths::parent(&index)).write(&out);
        if let Some(key) = &key {
            grants.read(paths::parent(key));
        }
        let call = wit::ConvertRequest {
            index: paths::guest(&index),
            out: paths::guest(&out),
            key: key.as_deref().map(paths::guest),
            timestamp_expires_in: request.timestamp_expires_in.map(|d| d.as_secs()),
        };
        let result = self.call(grants, false, |i, s| i.call_convert_registry(s, &call));
        if result.is_err() && created {
            let _ = std::fs::remove_dir(&out);
        }
        result
    }

    /// Adds a plugin version to a registry index (created if missing).
    pub fn publish(&self, request: &PublishRequest) -> Result<PublishReport, Error> {
        let file = paths::existing_file(&request.artifact, "the file")?;
        // An OCI registry is pushed to over the network; an index is a file.
        let oci = request.registry.to_str().is_some_and(paths::is_oci);
        // A new registry's directory is made for it, and taken back if the
        // publish fails.
        let (registry, created) = match oci {
            true => (request.registry.clone(), Vec::new()),
            false => match sparse_config_of(&request.registry)? {
                // A sparse registry: the component writes the plugin's file.
                Some(config) => (config, Vec::new()),
                None => paths::file_in_dir_created(&request.registry, "--registry")?,
            },
        };
        let result = self.publish_to(request, &file, &registry, oci);
        if result.is_err() {
            paths::remove_created(&created);
        }
        result
    }

    fn publish_to(
        &self,
        request: &PublishRequest,
        file: &Path,
        registry: &Path,
        oci: bool,
    ) -> Result<PublishReport, Error> {
        let key = paths::optional(request.key.as_deref(), "--key", paths::existing_file)?;
        let bundle = paths::optional(
            request.sigstore_bundle.as_deref(),
            "--sigstore-bundle",
            paths::existing_file,
        )?;
        let mut grants = Grants::reading(paths::parent(file));
        for read in key.iter().chain(&bundle) {
            grants.read(paths::parent(read));
        }
        // Only when the version may have to come from the crate: ROOT can be
        // a whole repository.
        if request.version.is_none()
            && let Some(root) = paths::cargo_root(file)
        {
            grants.read(root);
        }
        if !oci {
            grants.write(paths::parent(registry));
        }
        let call = wit::PublishRequest {
            artifact: paths::guest(file),
            registry: paths::guest(registry),
            name: request.name.clone(),
            version: request.version.clone(),
            description: request.description.clone(),
            key: key.as_deref().map(paths::guest),
            location: request.location.clone(),
            force: request.force,
            expires_in: request.expires_in.map(|d| d.as_secs()),
            sigstore_bundle: bundle.as_deref().map(paths::guest),
            timestamp_expires_in: request.timestamp_expires_in.map(|d| d.as_secs()),
        };
        self.call(grants, oci, |i, s| i.call_publish(s, &call))
    }

    /// Marks a version yanked in a local index (or not, with
    /// [`YankRequest::undo`]), bumping the index's version and signing it
    /// again.
    pub fn yank(&self, request: &YankRequest) -> Result<YankReport, Error> {
        let registry = match sparse_config_of(&request.registry)? {
            Some(config) => config,
            None => paths::existing_file(&request.registry, "--registry")?,
        };
        let key = paths::optional(request.key.as_deref(), "--key", paths::existing_file)?;
        let mut grants = Grants::default();
        grants.write(paths::parent(&registry));
        if let Some(key) = &key {
            grants.read(paths::parent(key));
        }
        let call = wit::YankRequest {
            registry: paths::guest(&registry),
            name: request.name.clone(),
            version: request.version.clone(),
            undo: request.undo,
            key: key.as_deref().map(paths::guest),
            timestamp_expires_in: request.timestamp_expires_in.map(|d| d.as_secs()),
        };
        self.call(grants, false, |i, s| i.call_yank(s, &call))
    }

    /// Copies a registry and its artefacts into a directory, for offline use.
    pub fn mirror(&self, request: &MirrorRequest) -> Result<MirrorReport, Error> {
        let (source, mut grants) = self.index_source(&request.index)?;
        for dir in &request.allow_read {
            grants.read(&paths::existing_dir(dir, "--allow-read")?);
        }
        let key = paths::optional(request.key.as_deref(), "--key", paths::existing_file)?;
        if let Some(key) = &key {
            grants.read(paths::parent(key));
        }
        // Into an OCI namespace: pushed over the network, nothing to grant.
        if request.out.to_str().is_some_and(paths::is_oci) {
            if key.is_some() {
                return Err(Error::usage(
                    "--key signs a mirrored index; an OCI namespace has none (each plugin \
                     keeps its own signature annotation)",
                ));
            }
            if request.sparse {
                return Err(Error::usage(
                    "--sparse writes a sparse registry into a directory; an OCI namespace is \
                     one repository per plugin already",
                ));
            }
            let call = wit::MirrorRequest {
                source,
                out: request.out.to_string_lossy().into_owned(),
                key: None,
                max_size: request.max_size,
            };
            return self.call(grants, true, |i, s| i.call_mirror(s, &call));
        }
        // A sparse registry is named by its config.json, in the directory
        // written to.
        let names_config = request.out.file_name().is_some_and(|n| n == "config.json");
        let dir = match names_config {
            true => paths::parent(&request.out),
            false => &request.out,
        };
        let (out, created) = paths::ensure_dir(dir, "--out")?;
        grants.write(&out);
        let target = match request.sparse || names_config {
            true => out.join("config.json"),
            false => out.clone(),
        };
        let call = wit::MirrorRequest {
            source,
            out: paths::guest(&target),
            key: key.as_deref().map(paths::guest),
            max_size: request.max_size,
        };
        let result = self.call(grants, true, |i, s| i.call_mirror(s, &call));
        if result.is_err() && created {
            let _ = std::fs::remove_dir(&out);
        }
        result
    }
}
