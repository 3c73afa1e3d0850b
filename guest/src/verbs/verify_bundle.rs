//! `verify-bundle`: a Sigstore bundle checked, offline, against an artefact
//! (a file, or only its SHA-256 as `sha256:HEX`) and the signer expected,
//! under the sigstore-conformance suite's protocol. The checks are
//! `trust::sigstore`'s; this reads the files and words the outcome.

use crate::error::{Error, Result};
use crate::limits::{
    CHUNK_BYTES, MAX_BUNDLE_BYTES, MAX_KEY_FILE_BYTES, MAX_TRUSTED_ROOT_BYTES,
    MAX_WHOLE_ARTEFACT_BYTES,
};
use crate::sandbox::{self, Links};
use crate::trust::digest::{Sha256Digest, StreamHasher};
use crate::trust::sigstore::{
    self, Artefact, Expectation, Identity, PublicKey, Refusal, TrustedRootSource,
};
use crate::wit::{BundleSigner, BundleVerifyReport, BundleVerifyRequest, SigstoreRoot};
use std::path::Path;

pub fn verify_bundle(request: &BundleVerifyRequest) -> Result<BundleVerifyReport> {
    let shown = &request.artifact;
    let refused = |refusal: Refusal| Error::SigstoreUnverified {
        artifact: shown.clone(),
        bundle: request.bundle.clone(),
        check: refusal.check.name().to_string(),
        reason: refusal.to_string(),
    };
    // Read: the bundle, the signer's key or identity, the trusted root and
    // the artefact (whole when small, else its digest).
    let bundle = read_whole(
        Path::new(&request.bundle),
        MAX_BUNDLE_BYTES as u64,
        "bundle",
    )?;
    let expected = expectation(&request.signer)?.map_err(refused)?;
    let root_json = match &request.trusted_root {
        SigstoreRoot::File(path) => Some(read_whole(
            Path::new(path),
            MAX_TRUSTED_ROOT_BYTES as u64,
            "trusted root",
        )?),
        SigstoreRoot::Production | SigstoreRoot::Staging => None,
    };
    let root = match (&request.trusted_root, &root_json) {
        (_, Some(json)) => TrustedRootSource::Json(json),
        (SigstoreRoot::Staging, None) => TrustedRootSource::Staging,
        _ => TrustedRootSource::Production,
    };
    let subject = Subject::read(shown)?;
    // Check.
    let signer =
        sigstore::verify(subject.artefact(), &bundle, &[expected], &root).map_err(refused)?;
    Ok(BundleVerifyReport {
        artifact: shown.clone(),
        sha256: hex::encode(subject.sha256),
        signed_by: signer.to_string(),
    })
}

/// What the signer must be: a key file that cannot be read fails the call;
/// one that is not a usable key is the bundle check it is (`key`).
fn expectation(signer: &BundleSigner) -> Result<std::result::Result<Expectation, Refusal>> {
    match signer {
        // The protocol's --certificate-identity is matched exactly.
        BundleSigner::Identity(id) => Ok(Ok(Expectation::Identity {
            identity: Identity::Exact(id.identity.clone()),
            issuer: id.issuer.clone(),
        })),
        BundleSigner::Key(path) => {
            let path = Path::new(path);
            let pem = read_whole(path, MAX_KEY_FILE_BYTES, "key")?;
            let label = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(PublicKey::from_pem(&label, &pem).map(Expectation::Key))
        }
    }
}

/// A file read whole, refused when over `max` bytes.
fn read_whole(path: &Path, max: u64, what: &str) -> Result<Vec<u8>> {
    sandbox::read_at_most(path, max, Links::Follow)?.ok_or_else(|| Error::InvalidRequest {
        value: path.display().to_string(),
        reason: format!("the {what} is larger than {max} bytes"),
    })
}

/// The artefact as given: a file's bytes (when small) and SHA-256, or a
/// digest.
struct Subject {
    bytes: Option<Vec<u8>>,
    sha256: [u8; 32],
}

impl Subject {
    /// `sha256:HEX` is a digest when it is exactly that and names no file
    /// (the protocol's rule); anything else is a path.
    fn read(given: &str) -> Result<Subject> {
        if let Some(hex_digest) = given.strip_prefix("sha256:")
            && hex_digest.len() == 64
            && !sandbox::exists(Path::new(given)).unwrap_or(false)
            && let Ok(bytes) = hex::decode(hex_digest)
            && let Ok(sha256) = <[u8; 32]>::try_from(bytes)
        {
            return Ok(Subject {
                bytes: None,
                sha256,
            });
        }
        let path = Path::new(given);
        if let Some(bytes) = sandbox::read_at_most(path, MAX_WHOLE_ARTEFACT_BYTES, Links::Follow)? {
            // The host's hashing: this may be 32 MiB.
            let mut hasher = StreamHasher::sha256();
            for piece in bytes.chunks(CHUNK_BYTES) {
                hasher.update(piece);
            }
            let sha256 = Sha256Digest::from_stream(hasher).bytes();
            return Ok(Subject {
                bytes: Some(bytes),
                sha256,
            });
        }
        Ok(Subject {
            bytes: None,
            sha256: streamed_sha256(path)?,
        })
    }

    fn artefact(&self) -> Artefact<'_> {
        match &self.bytes {
            Some(bytes) => Artefact::Bytes(bytes),
            None => Artefact::Sha256(self.sha256),
        }
    }
}

/// The SHA-256 of a file too large to hold, read a chunk at a time.
fn streamed_sha256(path: &Path) -> Result<[u8; 32]> {
    use std::io::Read;
    let mut file = sandbox::open_regular(path, Links::Follow)?;
    let mut hasher = StreamHasher::sha256();
    let mut chunk = vec![0; CHUNK_BYTES];
    loop {
        let n = file
            .read(&mut chunk)
            .map_err(|e| Error::io(path, "read", &e))?;
        if n == 0 {
            return Ok(Sha256Digest::from_stream(hasher).bytes());
        }
        hasher.update(&chunk[..n]);
    }
}
