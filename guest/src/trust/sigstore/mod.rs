//! Sigstore bundles, verified offline inside the component.
//!
//! Publishers sign with `cosign` or `sigstore` and no long-lived key: a
//! Fulcio certificate for their OIDC identity, a Rekor transparency-log
//! entry, sometimes an RFC 3161 timestamp, all in one JSON bundle. This
//! module checks such a bundle against the artefact, the Sigstore trusted
//! root and what the trust policy expects (`policy`), with no network
//! access. The parsing and the checks are sigstore-rust's `sigstore-verify`
//! 0.15 (without default features: no aws-lc), on the RustCrypto provider in
//! `provider`; this module chooses what to ask of it, matches the signer,
//! bounds its input and words its refusals (`Refusal`).
//!
//! # What is verified
//!
//! Read from sigstore-verify 0.15.1's source, not only its documentation:
//!
//! - **Bundles** of media types v0.1, v0.2 and v0.3
//!   (`application/vnd.dev.sigstore.bundle+json;version=0.N`,
//!   `application/vnd.dev.sigstore.bundle.v0.3+json`), in protobuf-JSON field
//!   names. v0.3 must carry a single certificate (or a key), not a chain.
//!   Content is a `messageSignature` (its `messageDigest`, when present, must
//!   be the artefact's, and the signature is checked over the artefact) or a
//!   `dsseEnvelope` of payload type `application/vnd.in-toto+json` (its
//!   signature checked over the DSSE PAE; the artefact's SHA-256 or SHA-512
//!   must be a subject digest of the in-toto statement, whose `_type` is not
//!   checked).
//! - **Keyless**: the certificate (v0.1/v0.2: the chain's first) chains,
//!   with the code-signing EKU, to a certificate authority of the trusted
//!   root whose validity window holds the signing time, and is itself valid
//!   at every verified signing time; exactly one embedded SCT, verified
//!   with the trusted root's CT log key valid when it was issued; the SAN
//!   (URI or email) matched to the expected identity (exactly, or as a glob
//!   here) and the OIDC issuer extension (OID 1.3.6.1.4.1.57264.1.8, else
//!   the legacy .1.1) to the expected issuer, exactly.
//! - **Keys**: PEM SPKI, ECDSA P-256/P-384 or Ed25519; no certificate, so no
//!   chain, SCT or identity; the log entries and timestamps below are
//!   checked all the same.
//! - **Transparency**: at least one log entry, every one of them checked
//!   (a v0.2/v0.3 bundle must carry an inclusion proof; v0.1 may carry only a
//!   signed entry timestamp, as that version allowed). Rekor v1 (hashedrekord
//!   0.0.1, dsse 0.0.1, intoto 0.0.2): the inclusion proof against its
//!   checkpoint, signed by a log of the trusted root; the signed entry
//!   timestamp, which makes its integrated time a signing time (not in the
//!   future, inside the certificate's validity). Rekor v2 (hashedrekord
//!   0.0.2): the inclusion proof against the signed checkpoint; it carries
//!   no time, so an RFC 3161 timestamp is required. Every entry's body must
//!   describe this bundle's signature, certificate or key, and artefact.
//! - **Time**: RFC 3161 timestamps verify against the trusted root's
//!   timestamp authorities, inside the signing authority's own validity
//!   window; with the Rekor v1 times, at least one verified signing time is
//!   required (there is no fallback to the current time).
//!
//! Not verified: revocation (Sigstore has none), witness cosignatures on
//! checkpoints (only the log's signature is needed), the freshness of the
//! trusted root (it is embedded, or the operator's; nothing is fetched).
//! The provider verifies ECDSA P-256/P-384, Ed25519 and RSA (a private
//! Sigstore's CA, CT log or TSA may use RSA) and refuses ML-DSA; a managed
//! key given to `PublicKey::from_pem` must be P-256, P-384 or Ed25519, as
//! cosign makes them.
//!
//! # Using it
//!
//! [`verify`] takes the artefact (its bytes or its SHA-256), the bundle's
//! JSON, the signers the trust policy accepts for the plugin (any one
//! suffices) and the trusted root, and returns who signed ([`Signer`]) or
//! which check failed ([`Refusal`]). [`policy`] reads a trust root's
//! `sigstore.json` into those expectations. [`cosign`] reads a layer of
//! cosign's older signature tag as the v0.1 bundle it amounts to (a SET,
//! no inclusion proof, as v0.1 allows) and verifies it through [`verify`].
//!
//! From a digest alone the library can check a bundle whose signature is
//! over the SHA-256 (ECDSA with SHA-256, the common case) or over a DSSE
//! envelope with a SHA-256 subject. An Ed25519 key's message signature (over
//! the whole artefact) and a SHA-384 message digest need the bytes:
//! refused as [`Check::ArtefactNeedsBytes`].

pub mod cosign;
pub mod policy;
pub mod provider;
mod refusal;

pub use refusal::{Check, Refusal};

use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::bundle::VerificationMaterialContent;
use sigstore_verify::types::{Artifact, Bundle, DerPublicKey, Sha256Hash};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, Verifier};
use std::fmt;

pub use crate::limits::{MAX_BUNDLE_BYTES, MAX_TRUSTED_ROOT_BYTES};

/// The public-good instance's trusted roots (see `roots/PROVENANCE.md`).
const PRODUCTION_TRUSTED_ROOT: &str = include_str!("roots/production.trusted_root.json");
const STAGING_TRUSTED_ROOT: &str = include_str!("roots/staging.trusted_root.json");

/// The artefact a bundle is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Artefact<'a> {
    /// All of its bytes.
    Bytes(&'a [u8]),
    /// Only its SHA-256, as the installer knows it after streaming.
    Sha256([u8; 32]),
}

/// Which Sigstore trusted root (CAs, logs, timestamp authorities) to trust.
#[derive(Debug, Clone, Copy)]
pub enum TrustedRootSource<'a> {
    /// The public-good production instance's, embedded.
    Production,
    /// The public-good staging instance's, embedded.
    Staging,
    /// An operator's `trusted_root.json` (a private Sigstore, an air-gapped
    /// copy), as read.
    Json(&'a [u8]),
}

/// An expected certificate identity (the SAN: a workflow URI, an email).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// Equal to this.
    Exact(String),
    /// Matching this glob: `*` any run of characters (`/` included), `?`
    /// one; the project's matcher for plugin names too.
    Glob(String),
}

impl Identity {
    /// A policy's identity: a glob if it holds `*` or `?`, else exact. (Git
    /// refs cannot hold either, so a GitHub workflow identity is never read
    /// as a glob by accident.)
    pub fn pattern(text: &str) -> Identity {
        if text.contains(['*', '?']) {
            Identity::Glob(text.to_string())
        } else {
            Identity::Exact(text.to_string())
        }
    }

    pub fn matches(&self, identity: &str) -> bool {
        match self {
            Identity::Exact(expected) => expected == identity,
            Identity::Glob(glob) => wildmatch::WildMatch::new(glob).matches(identity),
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Exact(text) | Identity::Glob(text) => f.write_str(text),
        }
    }
}

/// A public key a managed-key bundle may be signed with, and its label
/// (a trust root's file stem, as for the installer's own keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    label: String,
    der: DerPublicKey,
}

impl PublicKey {
    /// Reads a PEM `PUBLIC KEY` (SPKI), as `cosign generate-key-pair` writes
    /// it: ECDSA P-256 or P-384, or Ed25519.
    pub fn from_pem(label: &str, pem: &[u8]) -> Result<PublicKey, Refusal> {
        use sigstore_verify::crypto::KeyAlgorithm;
        let refuse = |why: String| Refusal::new(Check::Key, format!("{label}: {why}"));
        let text = std::str::from_utf8(pem).map_err(|_| refuse("not PEM text".into()))?;
        let der = DerPublicKey::from_pem(text).map_err(|e| refuse(e.to_string()))?;
        match KeyAlgorithm::from_spki(&der).map_err(|e| refuse(e.to_string()))? {
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 | KeyAlgorithm::Ed25519 => {}
            other => {
                return Err(refuse(format!(
                    "{other:?} keys are not supported (ECDSA P-256 or P-384, or Ed25519, are)"
                )));
            }
        }
        Ok(PublicKey {
            label: label.to_string(),
            der,
        })
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

/// A signer the trust policy accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// A keyless signature by this identity, from this OIDC issuer (exact).
    Identity { identity: Identity, issuer: String },
    /// A signature with this key.
    Key(PublicKey),
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Identity { identity, issuer } => write!(f, "{identity} ({issuer})"),
            Expectation::Key(key) => write!(f, "key {}", key.label),
        }
    }
}

/// Who signed a verified bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// The certificate's identity (SAN) and OIDC issuer.
    Identity { identity: String, issuer: String },
    /// The label of the key that verified it.
    Key { label: String },
}

/// As reports, receipts and `--json` write it: `sigstore:<identity>
/// (<issuer>)`, or `sigstore-key:<label>`.
impl fmt::Display for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signer::Identity { identity, issuer } => write!(f, "sigstore:{identity} ({issuer})"),
            Signer::Key { label } => write!(f, "sigstore-key:{label}"),
        }
    }
}

/// Verifies `bundle_json` for `artefact` against `root`, and that it was
/// signed by one of `accepted`: who signed, or the check that failed.
///
/// Offline and without side effects; safe on any input (the bundle is
/// size-checked before it is parsed).
pub fn verify(
    artefact: Artefact<'_>,
    bundle_json: &[u8],
    accepted: &[Expectation],
    root: &TrustedRootSource<'_>,
) -> Result<Signer, Refusal> {
    provider::install();
    if accepted.is_empty() {
        return Err(Refusal::new(
            Check::NothingExpected,
            "the trust policy names no identity or key for this plugin",
        ));
    }
    let bundle = read_bundle(bundle_json)?;
    let verifier = load_trusted_root(root)?;
    let artefact = match artefact {
        Artefact::Bytes(bytes) => Artifact::Blob(bytes),
        Artefact::Sha256(digest) => Artifact::from(Sha256Hash::new(digest)),
    };
    match &bundle.verification_material.content {
        VerificationMaterialContent::Certificate(_)
        | VerificationMaterialContent::X509CertificateChain { .. } => {
            verify_keyless(&verifier, artefact, &bundle, accepted)
        }
        VerificationMaterialContent::PublicKey(_) => {
            verify_with_keys(&verifier, artefact, &bundle, accepted)
        }
        _ => Err(Refusal::new(
            Check::BundleUnsupported,
            "its verification material is neither a certificate nor a public key",
        )),
    }
}

/// The bundle, parsed once it is known to be small enough.
fn read_bundle(json: &[u8]) -> Result<Bundle, Refusal> {
    if json.len() > MAX_BUNDLE_BYTES {
        return Err(Refusal::new(
            Check::BundleTooLarge,
            format!("{} bytes, over the limit of {MAX_BUNDLE_BYTES}", json.len()),
        ));
    }
    let text = std::str::from_utf8(json)
        .map_err(|e| Refusal::new(Check::BundleMalformed, format!("not UTF-8 text: {e}")))?;
    Bundle::from_json(text).map_err(|e| Refusal::new(Check::BundleMalformed, e.to_string()))
}

/// Whether `bundle_json` is a Sigstore bundle that may be for the artefact
/// of SHA-256 `digest`, as a publisher attaching one is told before it is
/// published: parsed (within `MAX_BUNDLE_BYTES`) and, when it states the
/// digest it signs (a message signature's SHA-256 `messageDigest`), that
/// digest is the artefact's. Who signed is not judged here: that is the
/// installer's trust policy's, offline, at install.
pub fn check_for_artefact(bundle_json: &[u8], digest: [u8; 32]) -> Result<(), Refusal> {
    use sigstore_verify::types::{HashAlgorithm, SignatureContent};
    let bundle = read_bundle(bundle_json)?;
    if let SignatureContent::MessageSignature(signature) = &bundle.content
        && let Some(stated) = &signature.message_digest
        && stated.algorithm == HashAlgorithm::Sha2256
        && stated.digest.as_bytes() != digest
    {
        return Err(Refusal::new(
            Check::ArtefactMismatch,
            format!(
                "its messageDigest is sha256 {}, the artefact's is {}",
                hex::encode(stated.digest.as_bytes()),
                hex::encode(digest)
            ),
        ));
    }
    Ok(())
}

/// The trusted root, its keys and certificates parsed (and refused when
/// malformed) before any bundle is looked at.
fn load_trusted_root(source: &TrustedRootSource<'_>) -> Result<Verifier, Refusal> {
    let refuse = |why: String| Refusal::new(Check::TrustedRoot, why);
    let text = match source {
        TrustedRootSource::Production => PRODUCTION_TRUSTED_ROOT,
        TrustedRootSource::Staging => STAGING_TRUSTED_ROOT,
        TrustedRootSource::Json(json) => {
            if json.len() > MAX_TRUSTED_ROOT_BYTES {
                return Err(refuse(format!(
                    "{} bytes, over the limit of {MAX_TRUSTED_ROOT_BYTES}",
                    json.len()
                )));
            }
            std::str::from_utf8(json).map_err(|e| refuse(format!("not UTF-8 text: {e}")))?
        }
    };
    let root = TrustedRoot::from_json(text).map_err(|e| refuse(e.to_string()))?;
    Verifier::new(&root).map_err(|e| refuse(e.to_string()))
}

/// Checks a `trusted_root.json` as `verify` would load it, so that a trust
/// root naming a broken one is refused when it is loaded, not at the first
/// bundle.
pub fn check_trusted_root(json: &[u8]) -> Result<(), Refusal> {
    load_trusted_root(&TrustedRootSource::Json(json)).map(|_| ())
}

/// A certificate-signed bundle: verified fully (chain, SCT, logs, times,
/// signature) for any identity, then its identity and issuer matched to
/// the accepted ones. Matching here, not in the library, is what allows a
/// glob and several accepted signers in one pass.
fn verify_keyless(
    verifier: &Verifier,
    artefact: Artifact<'_>,
    bundle: &Bundle,
    accepted: &[Expectation],
) -> Result<Signer, Refusal> {
    let identities: Vec<(&Identity, &str)> = accepted
        .iter()
        .filter_map(|expected| match expected {
            Expectation::Identity { identity, issuer } => Some((identity, issuer.as_str())),
            Expectation::Key(_) => None,
        })
        .collect();
    if identities.is_empty() {
        return Err(Refusal::new(
            Check::SignerKind,
            format!(
                "it is signed keyless (a certificate), but only keys are accepted: {}",
                list(accepted)
            ),
        ));
    }
    // `any_identity` drops only the identity and issuer constraints: the
    // chain, SCT and transparency-log checks stay on. Checked below too, so
    // that a change of default upstream cannot pass unnoticed.
    let result = verifier.verify(artefact, bundle, &VerificationPolicy::any_identity())?;
    if !(result.certificate_verified() && result.sct_verified() && result.tlog_verified()) {
        return Err(Refusal::new(
            Check::Other,
            "the verifier skipped its certificate, SCT or transparency-log checks",
        ));
    }
    let identity = result
        .identity()
        .map(|san| san.as_str())
        .unwrap_or_default();
    let issuer = result.issuer().unwrap_or_default();
    let signed_by = format!("signed by {identity} ({issuer})");
    if identity.is_empty() || issuer.is_empty() {
        return Err(Refusal::new(
            Check::Identity,
            format!("the certificate names no identity or no issuer: {signed_by}"),
        ));
    }
    if identities
        .iter()
        .any(|(expected, expected_issuer)| *expected_issuer == issuer && expected.matches(identity))
    {
        return Ok(Signer::Identity {
            identity: identity.to_string(),
            issuer: issuer.to_string(),
        });
    }
    // The issuer is the one to name when the identity alone would do.
    let check = if identities
        .iter()
        .any(|(expected, _)| expected.matches(identity))
    {
        Check::Issuer
    } else {
        Check::Identity
    };
    Err(Refusal::new(
        check,
        format!("{signed_by}; accepted: {}", list(accepted)),
    ))
}

/// A key-signed bundle, tried with each accepted key in turn.
fn verify_with_keys(
    verifier: &Verifier,
    artefact: Artifact<'_>,
    bundle: &Bundle,
    accepted: &[Expectation],
) -> Result<Signer, Refusal> {
    let keys: Vec<&PublicKey> = accepted
        .iter()
        .filter_map(|expected| match expected {
            Expectation::Key(key) => Some(key),
            Expectation::Identity { .. } => None,
        })
        .collect();
    if keys.is_empty() {
        return Err(Refusal::new(
            Check::SignerKind,
            format!(
                "it is signed with a key, not a certificate, but only identities are \
                 accepted: {}",
                list(accepted)
            ),
        ));
    }
    let mut refusals = Vec::new();
    for key in &keys {
        let policy = PublicKeyVerificationPolicy::new(key.der.clone());
        match verifier.verify(artefact.clone(), bundle, &policy) {
            Ok(result) if result.tlog_verified() => {
                return Ok(Signer::Key {
                    label: key.label.clone(),
                });
            }
            Ok(_) => refusals.push(Refusal::new(
                Check::Other,
                "the verifier skipped its transparency-log checks",
            )),
            Err(error) => refusals.push(Refusal::from(error)),
        }
    }
    // One key: its refusal. Several: a failure other than the signature's
    // is the bundle's own and says more; otherwise no key verified it.
    if let [only] = refusals.as_slice() {
        return Err(only.clone());
    }
    if let Some(refusal) = refusals.iter().find(|r| r.check != Check::Signature) {
        return Err(refusal.clone());
    }
    Err(Refusal::new(
        Check::Signature,
        format!("no accepted key verifies it: {}", list(accepted)),
    ))
}

fn list(accepted: &[Expectation]) -> String {
    accepted
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod tests;
