//! `verify`: check the digest and signature of a plugin file on disk, and
//! (with `--world`) that it fits a runtime's world.

use crate::cli::output::{Printer, capabilities, plural};
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use clap::Args;
use std::io;
use std::path::PathBuf;
use wasm_plugin::{VerifyReport, VerifyRequest};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The plugin file to check
    pub file: PathBuf,
    /// Directory of trusted *.pub keys (or one *.pub file); when given, a valid signature is required
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// Signature file [default: the file's .sig sidecar, if present]
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
    /// The file must fit the runtime's world in WIT (a .wit file, or a WIT
    /// package directory): export what it exports, with the same types;
    /// refused (exit 1) naming the first mismatch otherwise
    #[arg(long = "world", value_name = "WIT")]
    pub world: Option<PathBuf>,
    /// The world in --world's package, when it has several
    #[arg(long = "world-name", value_name = "NAME", requires = "world")]
    pub world_name: Option<String>,
    /// The file's imports and exports, one per line (as list --long);
    /// without it they are counted
    #[arg(long)]
    pub long: bool,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for VerifyArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let mut request = VerifyRequest::new(&self.file);
        if let Some(sig) = &self.sig {
            request = request.signature(sig);
        }
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        if let Some(wit) = &self.world {
            request = request.world(wit, self.world_name.as_deref());
        }
        let report = setup.installer(None)?.verify(&request)?;
        verify(out, &report, self.long).map_err(stdout_failure)
    }
}

/// What was checked; the file's imports and exports listed with `long`,
/// else counted (`--json` always carries them).
pub fn verify(p: &mut Printer, r: &VerifyReport, long: bool) -> io::Result<Verdict> {
    p.render(r, |out| {
        writeln!(
            out,
            "sha256 {}  {} ({} bytes)",
            r.sha256, r.artifact, r.size
        )?;
        match (&r.signed_by, &r.signature_path) {
            (Some(label), _) => writeln!(out, "verified by '{label}'")?,
            (None, Some(sig)) => {
                writeln!(out, "signature {sig} not checked (no --trust-root given)")?
            }
            (None, None) => writeln!(out, "no signature (none given, no sidecar)")?,
        }
        match (long, r.imports.as_deref(), r.exports.as_deref()) {
            (false, Some(imports), Some(exports)) => writeln!(
                out,
                "{}, {} (--long lists them)",
                plural(imports.len(), "import"),
                plural(exports.len(), "export")
            )?,
            _ => capabilities(
                out,
                r.imports.as_deref(),
                r.exports.as_deref(),
                "not a WebAssembly component or module",
            )?,
        }
        if let Some(world) = &r.fits {
            writeln!(out, "fits the {world}")?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, text};

    #[test]
    fn verify_shows_digest_signature_and_counts_capabilities_listed_with_long() {
        let shown = text(|p| verify(p, &testing::verify(), false));
        assert_eq!(
            shown.out,
            "sha256 ab12  hello.wasm (42 bytes)\n\
             no signature (none given, no sidecar)\n\
             0 imports, 1 export (--long lists them)\n"
        );
        let long = text(|p| verify(p, &testing::verify(), true));
        assert_eq!(
            long.out,
            "sha256 ab12  hello.wasm (42 bytes)\n\
             no signature (none given, no sidecar)\n\
             imports: none\n\
             exports:\n  run\n"
        );
        let mut unknown = testing::verify();
        unknown.imports = None;
        unknown.signed_by = Some("release".into());
        unknown.fits = Some("world example:host/plugin".into());
        let shown = text(|p| verify(p, &unknown, false));
        assert!(shown.out.contains("verified by 'release'\n"));
        assert!(
            shown
                .out
                .contains("imports and exports unknown: not a WebAssembly component or module\n")
        );
        assert!(shown.out.ends_with("fits the world example:host/plugin\n"));
    }
}
