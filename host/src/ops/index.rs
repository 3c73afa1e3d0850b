//! Reading a registry: [`Installer::load_index`] (an index, its signature
//! and expiry checked), [`Installer::find_entry`] (the entry `install`
//! would take) and [`Installer::outdated`] (what is installed against what
//! the index offers), with their requests and the records they return.

use super::IndexRequest;
use crate::error::Error;
use crate::installer::Installer;
use crate::paths;
use std::path::{Path, PathBuf};

pub use crate::engine::wit::{OutdatedPlugin, RegistryEntry, RegistryIndex};

/// Which entry `install` would take: for
/// [`Installer::find_entry`](crate::Installer::find_entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindRequest {
    pub(crate) index: IndexRequest,
    pub(crate) spec: String,
    pub(crate) version: Option<String>,
}

impl FindRequest {
    /// `spec` (`name` or `name@REQ`) in the index at `registry`.
    pub fn new(registry: impl Into<String>, spec: impl Into<String>) -> Self {
        FindRequest {
            index: IndexRequest::new(registry),
            spec: spec.into(),
            version: None,
        }
    }

    /// See [`IndexRequest::trust_root`].
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.index = self.index.trust_root(dir);
        self
    }

    /// Exactly this version, as published (wins over a requirement).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Accept an index past its `expires`.
    pub fn allow_expired(mut self, allow: bool) -> Self {
        self.index = self.index.allow_expired(allow);
        self
    }
}

/// Installed plugins against a registry: for [`Installer::outdated`](crate::Installer::outdated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutdatedRequest {
    pub(crate) index: IndexRequest,
    pub(crate) dest: PathBuf,
}

impl OutdatedRequest {
    /// Every plugin installed in `dest` (read-only), against `registry`.
    pub fn new(registry: impl Into<String>, dest: impl AsRef<Path>) -> Self {
        OutdatedRequest {
            index: IndexRequest::new(registry),
            dest: dest.as_ref().to_path_buf(),
        }
    }

    /// Check the index's signature against the keys in `dir`.
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.index = self.index.trust_root(dir);
        self
    }

    /// Accept an index past its `expires`.
    pub fn allow_expired(mut self, allow: bool) -> Self {
        self.index = self.index.allow_expired(allow);
        self
    }
}

impl Installer {
    /// Reads and checks a registry index (signature, expiry).
    pub fn load_index(&self, request: &IndexRequest) -> Result<RegistryIndex, Error> {
        let (source, grants) = self.index_source(request)?;
        let index = self.call(grants, true, |i, s| i.call_load_index(s, &source))?;
        Ok(index)
    }

    /// The entry `install` would take, without fetching the artefact.
    pub fn find_entry(&self, request: &FindRequest) -> Result<RegistryEntry, Error> {
        let (source, grants) = self.index_source(&request.index)?;
        let entry = self.call(grants, true, |i, s| {
            i.call_find_entry(s, &source, &request.spec, request.version.as_deref())
        })?;
        Ok(entry)
    }

    /// Each plugin installed in a plugins directory (granted read-only)
    /// against a registry: the highest version its recorded requirement
    /// admits, and the highest of all.
    pub fn outdated(&self, request: &OutdatedRequest) -> Result<Vec<OutdatedPlugin>, Error> {
        let dest = paths::existing_dir(&request.dest, "--dest")?;
        let (source, mut grants) = self.index_source(&request.index)?;
        grants.read(&dest);
        let rows = self.call(grants, true, |i, s| {
            i.call_outdated(s, &source, &paths::guest(&dest))
        })?;
        Ok(rows.into_iter().collect())
    }
}
