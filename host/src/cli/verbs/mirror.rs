//! `mirror`: copy a registry and its artefacts into a directory (or an OCI
//! namespace), for offline use.

use crate::cli::args::NetArgs;
use crate::cli::output::{Printer, is_oci};
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use clap::Args;
use std::io;
use std::path::PathBuf;
use wasm_plugin::{MirrorReport, MirrorRequest};

#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// The registry to copy: a path to index.json, a sparse registry's
    /// directory (walked for its plugin files), an http(s):// URL of an
    /// index.json, or an OCI namespace oci://HOST/NAMESPACE
    #[arg(long, value_name = "INDEX-OR-URL")]
    pub registry: String,
    /// The directory to write the mirror to (created if missing), or an OCI
    /// namespace oci://HOST/NAMESPACE to push every plugin to
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write a sparse registry into --out (config.json, one file per
    /// plugin signed with --key, freshness files) instead of an index.json
    #[arg(long)]
    pub sparse: bool,
    /// Directory of trusted *.pub keys (or one *.pub file): every artefact (and the index, when
    /// signed) must verify against it
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// Sign the mirrored index with this private key when its artifact paths
    /// had to be rewritten
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Also let the installer read DIR (for artifacts outside the registry's directory)
    #[arg(long, value_name = "DIR")]
    pub allow_read: Vec<PathBuf>,
    #[command(flatten)]
    pub net: NetArgs,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for MirrorArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn quiet(&self) -> bool {
        self.net.quiet
    }

    fn run(self: Box<Self>, setup: &Setup, p: &mut Printer) -> Result<Verdict, Failure> {
        let out = self.out.to_string_lossy();
        let installer =
            setup.installer(Some(self.net.fetch(self.json, &[&self.registry, &out])?))?;
        let out = self.net.remote.registry(&self.out.to_string_lossy());
        let mut request = MirrorRequest::new(self.net.remote.registry(&self.registry), &out)
            .allow_expired(self.net.remote.allow_expired)
            .max_size(self.net.max_size)
            .sparse(self.sparse);
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        if let Some(key) = &self.key {
            request = request.key(key);
        }
        for dir in &self.allow_read {
            request = request.allow_read(dir);
        }
        let report = installer.mirror(&request)?;
        mirror(p, &report).map_err(stdout_failure)
    }
}

pub fn mirror(p: &mut Printer, r: &MirrorReport) -> io::Result<Verdict> {
    p.render(r, |out| {
        for what in &r.fetched {
            writeln!(out, "fetched {what}")?;
        }
        writeln!(
            out,
            "mirrored {} plugin version(s) to {} ({} fetched, {} already there)",
            r.fetched.len() + r.kept.len(),
            r.index,
            r.fetched.len(),
            r.kept.len()
        )?;
        if is_oci(&r.index) {
            // No index was written, so none is signed or asks for --key.
            return writeln!(
                out,
                "an OCI namespace has no index to sign: each version was pushed as a tag of \
                 its plugin's repository"
            );
        }
        if r.index.ends_with("config.json") {
            return writeln!(
                out,
                "wrote a sparse registry: a file per plugin and the freshness files, {}",
                match r.index_signed {
                    true => "each signed with --key",
                    false => "unsigned (pass --key to sign them)",
                }
            );
        }
        let index = match (r.index_verbatim, r.index_signed) {
            (true, true) if r.index_signed_with_key => {
                "the index was copied as published (it was unsigned) and signed with --key"
            }
            (true, true) => "the index was copied as published, with its signature",
            (true, false) => "the index was copied as published (it is unsigned)",
            (false, true) => "artifact paths were rewritten and the index re-signed with --key",
            (false, false) => {
                "artifact paths were rewritten, so the index is unsigned (pass --key to sign it)"
            }
        };
        writeln!(out, "{index}")?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, text};

    #[test]
    fn mirror_says_what_it_fetched_and_what_became_of_the_index() {
        let shown = text(|p| mirror(p, &testing::mirror(&["hello-1.0.0.wasm"], &["a.wasm"])));
        assert_eq!(
            shown.out,
            "fetched hello-1.0.0.wasm\n\
             mirrored 2 plugin version(s) to mirror/index.json (1 fetched, 1 already there)\n\
             the index was copied as published (it is unsigned)\n"
        );
    }

    #[test]
    fn a_mirror_pushed_to_oci_asks_for_no_index_key() {
        let mut report = testing::mirror(&["hello-1.0.0.wasm"], &[]);
        report.index = "oci://127.0.0.1:5000/copy".into();
        let shown = text(|p| mirror(p, &report));
        assert!(!shown.out.contains("--key"), "{}", shown.out);
        assert!(
            shown.out.ends_with(
                "an OCI namespace has no index to sign: each version was pushed as a tag of \
                 its plugin's repository\n"
            ),
            "{}",
            shown.out
        );
    }

    #[test]
    fn a_sparse_mirror_says_whether_its_files_are_signed() {
        let mut report = testing::mirror(&["hello-1.0.0.wasm"], &[]);
        report.index = "mirror/config.json".into();
        let shown = text(|p| mirror(p, &report));
        assert!(
            shown.out.ends_with(
                "wrote a sparse registry: a file per plugin and the freshness files, unsigned \
                 (pass --key to sign them)\n"
            ),
            "{}",
            shown.out
        );
    }
}
