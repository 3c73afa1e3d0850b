//! Checking a Sigstore bundle for an artefact, offline:
//! [`Installer::verify_bundle`] (`wasm-plugin verify-bundle`, the
//! sigstore-conformance suite's verification protocol). The component reads
//! the bundle, the key and the trusted root and makes every check; this
//! grants it the files.

use crate::engine::{Grants, wit};
use crate::error::Error;
use crate::installer::Installer;
use crate::paths;
use std::path::{Path, PathBuf};

pub use crate::engine::wit::BundleVerifyReport;

/// What a bundle must have been made for: a file's bytes, or only their
/// SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleSubject {
    /// The artefact on disk.
    File(PathBuf),
    /// Its SHA-256, lowercase hex (what a bundle over the artefact's
    /// SHA-256, or a DSSE subject, can be checked against without it).
    Sha256(String),
}

impl BundleSubject {
    /// The protocol's `FILE_OR_DIGEST`: `sha256:` and 64 hex digits naming
    /// no file is a digest; anything else a path.
    pub fn parse(given: &str) -> BundleSubject {
        match given.strip_prefix("sha256:") {
            Some(hex)
                if hex.len() == 64
                    && hex.bytes().all(|b| b.is_ascii_hexdigit())
                    && !Path::new(given).exists() =>
            {
                BundleSubject::Sha256(hex.to_ascii_lowercase())
            }
            _ => BundleSubject::File(PathBuf::from(given)),
        }
    }
}

/// Who must have signed a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleSigner {
    /// Keyless: the certificate's identity (SAN), matched exactly, and its
    /// OIDC issuer.
    Identity {
        /// A workflow URI or an email.
        identity: String,
        /// `https://token.actions.githubusercontent.com`, ...
        issuer: String,
    },
    /// A managed key: a PEM public key file (ECDSA P-256/P-384, Ed25519).
    Key(PathBuf),
}

/// A Sigstore bundle to check: for [`Installer::verify_bundle`].
///
/// ```
/// use wasm_plugin::{BundleSigner, BundleSubject, BundleVerifyRequest};
/// let request = BundleVerifyRequest::new(
///     "hello.wasm.sigstore.json",
///     BundleSubject::File("hello.wasm".into()),
///     BundleSigner::Identity {
///         identity: "https://github.com/acme/plugins/.github/workflows/release.yml@refs/tags/v1.0.0".into(),
///         issuer: "https://token.actions.githubusercontent.com".into(),
///     },
/// );
/// # let _ = request;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleVerifyRequest {
    bundle: PathBuf,
    subject: BundleSubject,
    signer: BundleSigner,
    staging: bool,
    trusted_root: Option<PathBuf>,
}

impl BundleVerifyRequest {
    /// Check `bundle` for `subject`, signed by `signer`, against the
    /// public-good production instance's trusted root (embedded).
    pub fn new(bundle: impl AsRef<Path>, subject: BundleSubject, signer: BundleSigner) -> Self {
        BundleVerifyRequest {
            bundle: bundle.as_ref().to_path_buf(),
            subject,
            signer,
            staging: false,
            trusted_root: None,
        }
    }

    /// Trust the public-good staging instance instead (embedded).
    pub fn staging(mut self) -> Self {
        self.staging = true;
        self
    }

    /// Trust this `trusted_root.json` instead: a private Sigstore, or an
    /// air-gapped copy of the public one.
    pub fn trusted_root(mut self, file: impl AsRef<Path>) -> Self {
        self.trusted_root = Some(file.as_ref().to_path_buf());
        self
    }
}

impl Installer {
    /// Verifies a Sigstore bundle for an artefact, offline: its certificate
    /// chain and SCT (or the key), its transparency-log entries, its
    /// timestamps and its signature, and who signed it. Refused as
    /// [`ErrorKind`](crate::ErrorKind) `sigstore-unverified`, naming the
    /// check that failed.
    pub fn verify_bundle(
        &self,
        request: &BundleVerifyRequest,
    ) -> Result<BundleVerifyReport, Error> {
        let bundle = paths::existing_file(&request.bundle, "--bundle")?;
        let mut grants = Grants::reading(paths::parent(&bundle));
        let artifact = match &request.subject {
            BundleSubject::File(file) => {
                let file = paths::existing_file(file, "the file")?;
                grants.read(paths::parent(&file));
                paths::guest(&file)
            }
            BundleSubject::Sha256(hex) => format!("sha256:{hex}"),
        };
        let signer = match &request.signer {
            BundleSigner::Identity { identity, issuer } => {
                wit::BundleSigner::Identity(wit::SigstoreIdentity {
                    identity: identity.clone(),
                    issuer: issuer.clone(),
                })
            }
            BundleSigner::Key(key) => {
                let key = paths::existing_file(key, "--key")?;
                grants.read(paths::parent(&key));
                wit::BundleSigner::Key(paths::guest(&key))
            }
        };
        let trusted_root = match (&request.trusted_root, request.staging) {
            (Some(file), _) => {
                let file = paths::existing_file(file, "--trusted-root")?;
                grants.read(paths::parent(&file));
                wit::SigstoreRoot::File(paths::guest(&file))
            }
            (None, true) => wit::SigstoreRoot::Staging,
            (None, false) => wit::SigstoreRoot::Production,
        };
        let call = wit::BundleVerifyRequest {
            bundle: paths::guest(&bundle),
            artifact,
            signer,
            trusted_root,
        };
        self.call(grants, false, |i, s| i.call_verify_bundle(s, &call))
    }
}
