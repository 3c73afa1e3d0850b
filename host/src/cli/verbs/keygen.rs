//! `keygen`: make an Ed25519 key pair for signing plugins.

use crate::cli::output::Printer;
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use clap::Args;
use std::io;
use std::path::PathBuf;
use wasm_plugin::{KeygenReport, KeygenRequest};

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Label of the key: writes <LABEL>.key and <LABEL>.pub
    #[arg(long = "name", value_name = "LABEL")]
    pub label: String,
    /// Where to write the two files
    // --out-dir, its old name, is kept as a hidden alias.
    #[arg(long = "out", alias = "out-dir", value_name = "DIR", default_value = ".")]
    pub out_dir: PathBuf,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for KeygenArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let report = setup
            .installer(None)?
            .keygen(&KeygenRequest::new(&self.label, &self.out_dir))?;
        keygen(out, &report).map_err(stdout_failure)
    }
}

pub fn keygen(p: &mut Printer, r: &KeygenReport) -> io::Result<Verdict> {
    p.render(r, |out| {
        writeln!(
            out,
            "wrote {} (private: keep it secret, owner-only)",
            r.key_path
        )?;
        writeln!(
            out,
            "wrote {} (public: put it in operators' trust roots)",
            r.pub_path
        )?;
        writeln!(out, "public key {}", r.public_key)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, text};

    #[test]
    fn keygen_says_what_it_wrote() {
        let shown = text(|p| keygen(p, &testing::keygen()));
        assert_eq!(
            shown.out,
            "wrote release.key (private: keep it secret, owner-only)\n\
             wrote release.pub (public: put it in operators' trust roots)\n\
             public key ed25519:AAAA\n"
        );
    }
}
