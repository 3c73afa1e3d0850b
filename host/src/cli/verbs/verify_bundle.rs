//! `verify-bundle`: check a Sigstore bundle for a file (or its sha256:HEX),
//! offline: a keyless identity and issuer, or a key.

use crate::cli::output::Printer;
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use clap::Args;
use std::io;
use std::path::PathBuf;
use wasm_plugin::{BundleSigner, BundleSubject, BundleVerifyReport, BundleVerifyRequest};

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    wasm-plugin verify-bundle --bundle hello.wasm.sigstore.json \\\n    \
      --certificate-identity https://github.com/acme/plugins/.github/workflows/release.yml@refs/tags/v1.0.0 \\\n    \
      --certificate-oidc-issuer https://token.actions.githubusercontent.com hello.wasm\n  \
    wasm-plugin verify-bundle --bundle b.sigstore.json --key cosign.pub sha256:<64 hex digits>\n\n\
    Nothing is fetched: the public-good trusted root is built in (--staging for its \
    staging instance; --trusted-root for a private Sigstore or an air-gapped copy). \
    Exit 0 verified, 1 refused (the check that failed is named), 2 bad input.")]
pub struct VerifyBundleArgs {
    /// The Sigstore bundle (as `cosign sign-blob --bundle` or `sigstore sign` write it)
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// The signer's identity in its certificate (SAN: a workflow URI or an email), matched exactly
    #[arg(
        long,
        value_name = "IDENTITY",
        requires = "certificate_oidc_issuer",
        conflicts_with = "key",
        required_unless_present = "key"
    )]
    pub certificate_identity: Option<String>,
    /// The OIDC issuer of that identity (https://token.actions.githubusercontent.com, ...)
    #[arg(long, value_name = "URL", requires = "certificate_identity")]
    pub certificate_oidc_issuer: Option<String>,
    /// A PEM public key the bundle was signed with instead (ECDSA P-256/P-384, Ed25519)
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Trust the public-good staging instance instead of production
    #[arg(long, conflicts_with = "trusted_root")]
    pub staging: bool,
    /// A trusted_root.json to trust instead (a private Sigstore, an air-gapped copy)
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// The artefact, or its digest as sha256:HEX
    #[arg(value_name = "FILE_OR_DIGEST")]
    pub artifact: String,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for VerifyBundleArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let signer = match (
            self.key,
            self.certificate_identity,
            self.certificate_oidc_issuer,
        ) {
            (Some(key), _, _) => BundleSigner::Key(key),
            (None, Some(identity), Some(issuer)) => BundleSigner::Identity { identity, issuer },
            // clap requires one or the other, with its issuer.
            _ => {
                return Err(Failure::Usage(
                    "give --key, or --certificate-identity with --certificate-oidc-issuer".into(),
                ));
            }
        };
        let mut request =
            BundleVerifyRequest::new(&self.bundle, BundleSubject::parse(&self.artifact), signer);
        if self.staging {
            request = request.staging();
        }
        if let Some(root) = &self.trusted_root {
            request = request.trusted_root(root);
        }
        let report = setup.installer(None)?.verify_bundle(&request)?;
        verify_bundle(out, &report).map_err(stdout_failure)
    }
}

pub fn verify_bundle(p: &mut Printer, r: &BundleVerifyReport) -> io::Result<Verdict> {
    p.render(r, |out| {
        writeln!(out, "verified {}", r.artifact)?;
        writeln!(out, "  sha256 {}", r.sha256)?;
        writeln!(out, "  signed by {}", r.signed_by)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, text};

    #[test]
    fn verify_bundle_says_who_signed() {
        let report = testing::bundle_verify(
            "hello.wasm",
            "ab12",
            "sigstore:https://github.com/acme/p/.github/workflows/r.yml@refs/tags/v1 (https://token.actions.githubusercontent.com)",
        );
        let shown = text(|p| verify_bundle(p, &report));
        assert_eq!(
            shown.out,
            "verified hello.wasm\n  sha256 ab12\n  signed by sigstore:https://github.com/acme/p/.github/workflows/r.yml@refs/tags/v1 (https://token.actions.githubusercontent.com)\n"
        );
        let value = json(|p| verify_bundle(p, &report));
        assert_eq!(value["sha256"], "ab12");
        assert_eq!(value["signed_by"], report.signed_by.as_str());
    }
}
