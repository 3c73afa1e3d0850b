//! Checking one plugin file on disk, before loading it: [`Installer::verify`]
//! (its digest, its signature, and optionally its fit to a world).

use super::world_ref;
use crate::engine::{Grants, wit};
use crate::error::Error;
use crate::installer::Installer;
use crate::paths;
use std::path::{Path, PathBuf};

pub use crate::engine::wit::VerifyReport;

/// A plugin file on disk to check: for [`Installer::verify`](crate::Installer::verify).
///
/// ```
/// use wasm_plugin::VerifyRequest;
/// let request = VerifyRequest::new("plugins/hello.wasm").trust_root("examples/registry/trust");
/// # let _ = request;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyRequest {
    pub(crate) artifact: PathBuf,
    pub(crate) signature: Option<PathBuf>,
    pub(crate) trust_root: Option<PathBuf>,
    pub(crate) world: Option<(PathBuf, Option<String>)>,
}

impl VerifyRequest {
    /// Hash `artifact`, and check its `.sig` sidecar when there is one.
    pub fn new(artifact: impl AsRef<Path>) -> Self {
        VerifyRequest {
            artifact: artifact.as_ref().to_path_buf(),
            signature: None,
            trust_root: None,
            world: None,
        }
    }

    /// Require the file to fit the runtime's world in `wit` (see
    /// [`InstallRequest::world`](crate::InstallRequest::world)): a publisher's
    /// check before publishing. One that does not fit is refused
    /// ([`ErrorKind`](crate::Error::kind) `incompatible`);
    /// [`VerifyReport::fits`](crate::VerifyReport::fits) names the world
    /// otherwise.
    pub fn world(mut self, wit: impl AsRef<Path>, name: Option<&str>) -> Self {
        self.world = Some((wit.as_ref().to_path_buf(), name.map(str::to_string)));
        self
    }

    /// Read the signature from `file` instead of the sidecar.
    pub fn signature(mut self, file: impl AsRef<Path>) -> Self {
        self.signature = Some(file.as_ref().to_path_buf());
        self
    }

    /// Require a valid signature by one of the `*.pub` keys in `dir`.
    pub fn trust_root(mut self, dir: impl AsRef<Path>) -> Self {
        self.trust_root = Some(dir.as_ref().to_path_buf());
        self
    }
}

impl Installer {
    /// Checks the digest and signature of a plugin file on disk.
    pub fn verify(&self, request: &VerifyRequest) -> Result<VerifyReport, Error> {
        let file = paths::existing_file(&request.artifact, "the file")?;
        let sig = paths::optional(request.signature.as_deref(), "--sig", paths::existing_file)?;
        let trust_root = paths::optional(
            request.trust_root.as_deref(),
            "--trust-root",
            paths::trust_root,
        )?;
        let mut grants = Grants::reading(paths::parent(&file));
        if let Some(sig) = &sig {
            grants.read(paths::parent(sig));
        }
        if let Some(root) = &trust_root {
            grants.read(paths::granted_dir(root));
        }
        let world = request
            .world
            .as_ref()
            .map(|(wit, name)| world_ref(wit, name.clone(), &mut grants))
            .transpose()?;
        let call = wit::VerifyRequest {
            artifact: paths::guest(&file),
            signature: sig.as_deref().map(paths::guest),
            trust_root: trust_root.as_deref().map(paths::guest),
            world,
        };
        self.call(grants, false, |i, s| i.call_verify(s, &call))
    }
}
