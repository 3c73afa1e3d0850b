//! Forgetting a registry's recorded index version after a deliberate reset
//! of that registry: [`Installer::forget_registry`].

use super::{DEFAULT_LOCK_TIMEOUT, registry_arg};
use crate::engine::Grants;
use crate::error::Error;
use crate::installer::Installer;
use crate::lock::{self, Access};
use crate::paths;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::engine::wit::ForgetReport;

/// A registry to forget in a plugins directory, after a deliberate reset of
/// that registry: for [`Installer::forget_registry`](crate::Installer::forget_registry).
///
/// ```
/// use wasm_plugin::ForgetRequest;
/// let request = ForgetRequest::new("plugins", "https://plugins.example.com/index.json");
/// # let _ = request;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgetRequest {
    pub(crate) dest: PathBuf,
    pub(crate) registry: String,
    pub(crate) lock_timeout: Duration,
}

impl ForgetRequest {
    /// Forget what `dest` recorded for `registry`, named as it was given to
    /// `install` (a local index by its path, canonical when it exists).
    pub fn new(dest: impl AsRef<Path>, registry: impl Into<String>) -> Self {
        ForgetRequest {
            dest: dest.as_ref().to_path_buf(),
            registry: registry.into(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// How long to wait for another run holding `dest`'s lock.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }
}

impl Installer {
    /// Forgets the index version recorded against rollback for a registry
    /// in a plugins directory, and that its index was signed, after a
    /// deliberate reset of that registry (instead of editing
    /// `.wasm-plugin/registries.json`).
    pub fn forget_registry(&self, request: &ForgetRequest) -> Result<ForgetReport, Error> {
        let dest = paths::existing_dir(&request.dest, "--dest")?;
        let registry = match registry_arg(&request.registry) {
            Ok((shown, _)) => shown,
            // An index that is gone is still named as it was recorded.
            Err(_) => std::path::absolute(&request.registry)
                .map(|p| paths::guest(&p))
                .unwrap_or_else(|_| request.registry.clone()),
        };
        let _held = lock::acquire(&dest, Access::Exclusive, request.lock_timeout)?;
        let mut grants = Grants::default();
        grants.write(&dest);
        let guest_dest = paths::guest(&dest);
        self.call(grants, false, |i, s| {
            i.call_forget_registry(s, &guest_dest, &registry)
        })
    }
}
