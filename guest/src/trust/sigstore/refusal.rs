//! Why a bundle was refused, in words a user can act on.
//!
//! sigstore-verify says what failed in nested error enums whose text is
//! written for developers ("Bundle error: ...", "Types error: ..."); a
//! refusal names the one check that failed (`Check`, which a caller can
//! match on and which has a kebab-case name for reports) and keeps the
//! library's own detail after it.

use sigstore_verify::{CertificateError, Error, TimestampError, TransparencyLogError};
use std::fmt;

/// The check a bundle failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// The bundle is over `MAX_BUNDLE_BYTES`; it was not parsed.
    BundleTooLarge,
    /// The bundle is not a Sigstore bundle: not JSON, a field missing or of
    /// the wrong type, bad base64, an inconsistent structure.
    BundleMalformed,
    /// A well-formed bundle of a version, content, key type or log entry
    /// kind this verifier does not support.
    BundleUnsupported,
    /// The trusted root is over its size limit, malformed, or holds keys or
    /// certificates that cannot be used.
    TrustedRoot,
    /// An expected public key is not a PEM SPKI key of a supported type.
    Key,
    /// Nothing was expected: the caller gave no identity and no key.
    NothingExpected,
    /// The bundle is signed keyless (a certificate) where only keys are
    /// accepted, or with a key where only identities are.
    SignerKind,
    /// The bundle cannot be checked against the artefact's SHA-256 alone
    /// (Ed25519 signs the whole message; a P-384 certificate may sign a
    /// SHA-384 digest): the bytes are needed.
    ArtefactNeedsBytes,
    /// The bundle is for other bytes: its message digest or in-toto subject
    /// is not the artefact's.
    ArtefactMismatch,
    /// The signature does not verify with the certificate's or the
    /// expected key.
    Signature,
    /// The certificate's identity (SAN) is not one that is accepted.
    Identity,
    /// The certificate's OIDC issuer is not the one expected.
    Issuer,
    /// The certificate does not chain to a certificate authority of the
    /// trusted root valid at the signing time, lacks the code-signing EKU,
    /// or cannot be parsed.
    Certificate,
    /// The certificate was expired, or not yet valid, at the signing time.
    CertificateValidity,
    /// The certificate's embedded SCT is missing or does not verify against
    /// the trusted root's CT logs.
    Sct,
    /// A transparency-log entry is from a log the trusted root does not list.
    UnknownLog,
    /// A transparency-log inclusion proof does not verify.
    InclusionProof,
    /// A transparency-log checkpoint is missing, malformed or not signed by
    /// the log.
    Checkpoint,
    /// A Rekor v1 signed entry timestamp (inclusion promise) does not verify.
    InclusionPromise,
    /// A transparency-log entry does not describe this bundle's signature,
    /// certificate or artefact.
    LogEntryMismatch,
    /// A transparency-log entry's time is in the future or outside the
    /// certificate's validity.
    IntegratedTime,
    /// An RFC 3161 timestamp does not verify, or no trusted signing time
    /// could be established.
    Timestamp,
    /// Anything sigstore-verify reports that none of the above describes.
    Other,
}

impl Check {
    /// The kebab-case name reports and JSON use.
    pub fn name(self) -> &'static str {
        self.words().0
    }

    /// What failed, as the start of a sentence.
    pub fn what(self) -> &'static str {
        self.words().1
    }

    fn words(self) -> (&'static str, &'static str) {
        use Check::*;
        match self {
            BundleTooLarge => ("bundle-too-large", "the Sigstore bundle is too large"),
            BundleMalformed => ("bundle-malformed", "the Sigstore bundle is malformed"),
            BundleUnsupported => (
                "bundle-unsupported",
                "the Sigstore bundle uses something this verifier does not support",
            ),
            TrustedRoot => ("trusted-root", "the Sigstore trusted root cannot be used"),
            Key => ("key", "the Sigstore public key cannot be used"),
            NothingExpected => (
                "nothing-expected",
                "no Sigstore identity or key is expected",
            ),
            SignerKind => (
                "signer-kind",
                "the bundle is signed in another way than the trust policy accepts",
            ),
            ArtefactNeedsBytes => (
                "artefact-needs-bytes",
                "the bundle cannot be checked against the artefact's SHA-256 alone",
            ),
            ArtefactMismatch => (
                "artefact-mismatch",
                "the bundle was made for other bytes than this artefact",
            ),
            Signature => ("signature", "the signature does not verify"),
            Identity => (
                "identity",
                "the signing certificate's identity is not one the trust policy accepts",
            ),
            Issuer => (
                "issuer",
                "the signing certificate's OIDC issuer is not the one the trust policy expects",
            ),
            Certificate => (
                "certificate",
                "the signing certificate does not chain to a certificate authority of the trusted root",
            ),
            CertificateValidity => (
                "certificate-validity",
                "the signing certificate was not valid at the signing time",
            ),
            Sct => (
                "sct",
                "the signing certificate's certificate-transparency timestamp (SCT) does not verify",
            ),
            UnknownLog => (
                "unknown-log",
                "the transparency-log entry is from a log the trusted root does not list",
            ),
            InclusionProof => (
                "inclusion-proof",
                "the transparency-log inclusion proof does not verify",
            ),
            Checkpoint => (
                "checkpoint",
                "the transparency-log checkpoint does not verify",
            ),
            InclusionPromise => (
                "inclusion-promise",
                "the transparency-log signed entry timestamp does not verify",
            ),
            LogEntryMismatch => (
                "log-entry-mismatch",
                "the transparency-log entry does not describe this bundle",
            ),
            IntegratedTime => (
                "integrated-time",
                "the transparency-log entry's time is in the future or outside the certificate's validity",
            ),
            Timestamp => ("timestamp", "no trusted signing time"),
            Other => ("other", "the Sigstore bundle does not verify"),
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A bundle refused: the check that failed and the detail of why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub check: Check,
    pub detail: String,
}

impl Refusal {
    pub fn new(check: Check, detail: impl Into<String>) -> Self {
        Refusal {
            check,
            detail: detail.into(),
        }
    }
}

impl Refusal {
    /// The installer's error for this refusal of `bundle` (as shown) for
    /// `artifact` (as shown).
    pub fn unverified(
        &self,
        artifact: impl Into<String>,
        bundle: impl Into<String>,
    ) -> crate::error::Error {
        crate::error::Error::SigstoreUnverified {
            artifact: artifact.into(),
            bundle: bundle.into(),
            check: self.check.name().to_string(),
            reason: self.to_string(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.check.what(), self.detail)
    }
}

impl std::error::Error for Refusal {}

impl From<Error> for Refusal {
    fn from(error: Error) -> Self {
        let check = check_of(&error);
        Refusal::new(check, error.to_string())
    }
}

/// Which check a sigstore-verify error is the failure of.
fn check_of(error: &Error) -> Check {
    match error {
        // Identity and issuer are matched here, not by the library, but its
        // errors are mapped all the same should a caller ask it to.
        Error::IdentityMismatch { .. } => Check::Identity,
        Error::IssuerMismatch { .. } => Check::Issuer,
        Error::SignatureInvalid(_) => Check::Signature,
        Error::ArtifactMismatch(_) => Check::ArtefactMismatch,
        Error::UnsupportedArtifact(_) => Check::ArtefactNeedsBytes,
        Error::Certificate(error) => certificate_check(error),
        Error::TransparencyLog(error) => log_check(error),
        Error::Timestamp(error) => timestamp_check(error),
        Error::InvalidBundle(_) | Error::Bundle(_) | Error::Types(_) => Check::BundleMalformed,
        Error::UnsupportedBundle(_) => Check::BundleUnsupported,
        Error::InvalidTrustRoot(_) | Error::TrustRoot(_) | Error::TrustedCertificate(_) => {
            Check::TrustedRoot
        }
        Error::Crypto(error) => crypto_check(error),
        // `Error` is non-exhaustive; `ArtifactRead` cannot happen (no reader
        // is passed).
        _ => Check::Other,
    }
}

fn certificate_check(error: &CertificateError) -> Check {
    match error {
        CertificateError::Expired { .. } | CertificateError::NotYetValid { .. } => {
            Check::CertificateValidity
        }
        CertificateError::Sct(_) => Check::Sct,
        // Malformed, ChainInvalid (which includes a missing code-signing
        // EKU), NoValidAuthority, and kinds added upstream.
        _ => Check::Certificate,
    }
}

fn log_check(error: &TransparencyLogError) -> Check {
    match error {
        TransparencyLogError::UnknownLog { .. } => Check::UnknownLog,
        TransparencyLogError::InclusionProof(_) => Check::InclusionProof,
        TransparencyLogError::Checkpoint(_) => Check::Checkpoint,
        TransparencyLogError::InclusionPromise(_) => Check::InclusionPromise,
        TransparencyLogError::EntryMismatch(_) => Check::LogEntryMismatch,
        TransparencyLogError::IntegratedTime(_) => Check::IntegratedTime,
        TransparencyLogError::MalformedEntry(_) => Check::BundleMalformed,
        _ => Check::Other,
    }
}

fn timestamp_check(error: &TimestampError) -> Check {
    match error {
        TimestampError::Invalid(_)
        | TimestampError::OutsideAuthorityValidity { .. }
        | TimestampError::NoVerifiedTimestamp(_) => Check::Timestamp,
        _ => Check::Other,
    }
}

fn crypto_check(error: &sigstore_verify::crypto::Error) -> Check {
    use sigstore_verify::crypto::Error as Crypto;
    match error {
        Crypto::UnsupportedAlgorithm(_) => Check::BundleUnsupported,
        Crypto::Verification(_) => Check::Signature,
        Crypto::InvalidKey(_) | Crypto::InvalidKeyFormat(_) => Check::Key,
        Crypto::Checkpoint(_) => Check::Checkpoint,
        Crypto::InvalidCertificate(_) => Check::Certificate,
        Crypto::Pem(_) | Crypto::Der(_) => Check::BundleMalformed,
        _ => Check::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_reads_as_what_failed_then_why() {
        let refusal = Refusal::from(Error::ArtifactMismatch(
            "message digest in bundle does not match artifact hash".into(),
        ));
        assert_eq!(refusal.check, Check::ArtefactMismatch);
        assert_eq!(
            refusal.to_string(),
            "the bundle was made for other bytes than this artefact: artifact mismatch: \
             message digest in bundle does not match artifact hash"
        );
    }

    #[test]
    fn certificate_and_log_errors_name_the_check_that_failed() {
        let time = jiff::Timestamp::UNIX_EPOCH;
        let cases: [(Error, Check); 6] = [
            (
                CertificateError::Expired {
                    time,
                    not_after: time,
                }
                .into(),
                Check::CertificateValidity,
            ),
            (
                CertificateError::ChainInvalid("untrusted".into()).into(),
                Check::Certificate,
            ),
            (CertificateError::Sct("bad".into()).into(), Check::Sct),
            (
                TransparencyLogError::InclusionProof("bad".into()).into(),
                Check::InclusionProof,
            ),
            (
                TransparencyLogError::Checkpoint("bad".into()).into(),
                Check::Checkpoint,
            ),
            (
                TimestampError::NoVerifiedTimestamp("none".into()).into(),
                Check::Timestamp,
            ),
        ];
        for (error, check) in cases {
            assert_eq!(Refusal::from(error).check, check);
        }
    }

    #[test]
    fn every_check_has_a_distinct_kebab_case_name() {
        use Check::*;
        let all = [
            BundleTooLarge,
            BundleMalformed,
            BundleUnsupported,
            TrustedRoot,
            Key,
            NothingExpected,
            SignerKind,
            ArtefactNeedsBytes,
            ArtefactMismatch,
            Signature,
            Identity,
            Issuer,
            Certificate,
            CertificateValidity,
            Sct,
            UnknownLog,
            InclusionProof,
            Checkpoint,
            InclusionPromise,
            LogEntryMismatch,
            IntegratedTime,
            Timestamp,
            Other,
        ];
        let names: std::collections::BTreeSet<_> = all.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), all.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
        }
    }
}
