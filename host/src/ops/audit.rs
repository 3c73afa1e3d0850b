//! Checking a plugins directory: [`Installer::audit`] re-hashes and
//! re-verifies everything installed, granted read-only, and reports each
//! finding.

use super::{DEFAULT_LOCK_TIMEOUT, IndexRequest};
use crate::engine::Grants;
use crate::error::Error;
use crate::installer::Installer;
use crate::lock;
use crate::paths;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::engine::wit::{AuditReport, AuditedPlugin, Finding, FindingKind};

impl AuditReport {
    /// Whether nothing at all was found.
    pub fn is_clean(&self) -> bool {
        self.stray.is_empty() && self.plugins.iter().all(|p| p.findings.is_empty())
    }
}

/// A plugins directory to check: for [`Installer::audit`](crate::Installer::audit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRequest {
    pub(crate) dest: PathBuf,
    pub(crate) trust_root: Option<PathBuf>,
    pub(crate) manifest: Option<PathBuf>,
    pub(crate) registry: Option<IndexRequest>,
    pub(crate) lock_timeout: Duration,
    pub(crate) allow_imports: Vec<String>,
    pub(crate) deny_imports: Vec<String>,
}

impl AuditRequest {
    /// Check everything installed in `dest` (granted read-only).
    pub fn new(dest: impl AsRef<Path>) -> Self {
        AuditRequest {
            dest: dest.as_ref().to_path_buf(),
            trust_root: None,
            manifest: None,
            registry: None,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            allow_imports: Vec::new(),
            deny_imports: Vec::new(),
        }
    }

    /// Judge installed plugins against a capability policy (see
    /// [`InstallRequest::allow_import`](crate::InstallRequest::allow_import)):
    /// one importing what it forbids is a finding
    /// ([`FindingKind::CapabilityDenied`](crate::FindingKind::CapabilityDenied)).
    pub fn allow_import(mut self, glob: impl Into<String>) -> Self {
        self.allow_imports.push(glob.into());
        self
    }

    /// See [`AuditRequest::allow_import`] and
    /// [`InstallRequest::deny_import`](crate::InstallRequest::deny_import).
    pub fn deny_import(mut self, glob: impl Into<String>) -> Self {
        self.deny_imports.push(glob.into());
        self
    }

    /// Require every plugin to carry a signature by one of these keys.
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.trust_root = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Also check `dest` against a plugin set (`wasm-plugin.toml`, granted
    /// read-only with its directory): declared plugins that are missing,
    /// installed ones that differ from its lock, and installed ones it does not
    /// declare are findings
    /// ([`FindingKind::DeclaredMissing`](crate::FindingKind::DeclaredMissing),
    /// [`LockMismatch`](crate::FindingKind::LockMismatch),
    /// [`NotDeclared`](crate::FindingKind::NotDeclared)).
    pub fn manifest(mut self, path: impl AsRef<Path>) -> Self {
        self.manifest = Some(path.as_ref().to_path_buf());
        self
    }

    /// Also read this registry's index (its signature checked against the
    /// trust root): an installed version it marks yanked is a finding
    /// ([`FindingKind::Yanked`](crate::FindingKind::Yanked)). The only
    /// part of an audit that may use the network.
    pub fn registry(mut self, index: IndexRequest) -> Self {
        self.registry = Some(index);
        self
    }

    /// See [`InstallRequest::lock_timeout`](crate::InstallRequest::lock_timeout).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }
}

impl Installer {
    /// Re-hashes and re-verifies everything installed in a plugins
    /// directory, granted read-only.
    pub fn audit(&self, request: &AuditRequest) -> Result<AuditReport, Error> {
        let dest = paths::existing_dir(&request.dest, "--dest")?;
        let trust_root = paths::optional(
            request.trust_root.as_deref(),
            "--trust-root",
            paths::trust_root,
        )?;
        // Shared: audits may run side by side, but not beside an install,
        // whose temp files would look like leftovers.
        let manifest = paths::optional(
            request.manifest.as_deref(),
            "--config",
            paths::existing_file,
        )?;
        let _held = lock::acquire_shared_if_possible(&dest, request.lock_timeout)?;
        let mut grants = Grants::reading(&dest);
        if let Some(root) = &trust_root {
            grants.read(paths::granted_dir(root));
        }
        if let Some(file) = &manifest {
            grants.read(paths::parent(file));
        }
        let registry = match &request.registry {
            Some(index) => {
                let (source, registry_grants) = self.index_source(index)?;
                grants.extend(registry_grants);
                Some(source)
            }
            None => None,
        };
        let trust_root = trust_root.as_deref().map(paths::guest);
        let manifest = manifest.as_deref().map(paths::guest);
        let mut report = self.call(grants, registry.is_some(), |i, s| {
            i.call_audit(
                s,
                &paths::guest(&dest),
                trust_root.as_deref(),
                manifest.as_deref(),
                registry.as_ref(),
                &request.allow_imports,
                &request.deny_imports,
            )
        })?;
        crate::error::name_link_targets(&mut report);
        Ok(report)
    }
}
