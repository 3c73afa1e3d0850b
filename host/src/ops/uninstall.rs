//! Removing installed plugins: [`Installer::uninstall`].

use super::DEFAULT_LOCK_TIMEOUT;
use crate::engine::Grants;
use crate::error::Error;
use crate::installer::{Installer, Outcome};
use crate::lock::{self, Access};
use crate::paths;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::engine::wit::UninstallReport;

/// Plugins to remove: for [`Installer::uninstall`](crate::Installer::uninstall).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UninstallRequest {
    pub(crate) dest: PathBuf,
    pub(crate) names: Vec<String>,
    pub(crate) lock_timeout: Duration,
}

impl UninstallRequest {
    /// Remove `name` from `dest`.
    pub fn new(dest: impl AsRef<Path>, name: impl Into<String>) -> Self {
        UninstallRequest {
            dest: dest.as_ref().to_path_buf(),
            names: vec![name.into()],
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// Remove `name` too.
    pub fn and(mut self, name: impl Into<String>) -> Self {
        self.names.push(name.into());
        self
    }

    /// See [`InstallRequest::lock_timeout`](crate::InstallRequest::lock_timeout).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }
}

impl Installer {
    /// Removes installed plugins, each on its own: `<name>.wasm` first (so a
    /// hot-reloading loader unloads it), then `<name>.sig`, then the receipt.
    pub fn uninstall(
        &self,
        request: &UninstallRequest,
    ) -> Result<Vec<Outcome<UninstallReport>>, Error> {
        let dest = paths::existing_dir(&request.dest, "--dest")?;
        let _held = lock::acquire(&dest, Access::Exclusive, request.lock_timeout)?;
        let mut grants = Grants::default();
        grants.write(&dest);
        let guest_dest = paths::guest(&dest);
        Ok(request
            .names
            .iter()
            .map(|name| {
                let result = self.call_in(&dest, grants.clone(), false, |i, s| {
                    i.call_uninstall(s, &guest_dest, name)
                });
                (name.clone(), result)
            })
            .collect())
    }
}
