//! `sign`: sign a plugin file, writing its .sig sidecar.

use crate::cli::output::Printer;
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use clap::Args;
use std::io;
use std::path::PathBuf;
use wasm_plugin::{SignReport, SignRequest};

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The plugin file to sign
    pub file: PathBuf,
    /// The private key (PKCS#8 PEM, from keygen or `openssl genpkey -algorithm ed25519`)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Where to write the signature [default: the file's .sig sidecar]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace an existing signature file
    #[arg(long)]
    pub force: bool,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for SignArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let mut request = SignRequest::new(&self.file, &self.key).force(self.force);
        if let Some(out) = &self.out {
            request = request.out(out);
        }
        let report = setup.installer(None)?.sign(&request)?;
        sign(out, &report).map_err(stdout_failure)
    }
}

pub fn sign(p: &mut Printer, r: &SignReport) -> io::Result<Verdict> {
    if p.is_json() {
        p.json(r)?;
        return Ok(Verdict::Done);
    }
    writeln!(p.people(), "signed {} -> {}", r.artifact, r.signature_path)?;
    Ok(Verdict::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, text};

    #[test]
    fn sign_says_what_it_wrote() {
        let signed = text(|p| sign(p, &testing::sign()));
        assert_eq!(signed.out, "signed hello.wasm -> hello.wasm.sig\n");
        let value = json(|p| sign(p, &testing::sign()));
        assert_eq!(value["signature_path"], "hello.wasm.sig");
    }
}
