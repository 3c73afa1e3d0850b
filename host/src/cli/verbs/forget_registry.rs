//! `forget-registry`: forget the index version recorded for a registry
//! that was deliberately reset, so its older index is accepted again.

use crate::cli::args::{LockArgs, required};
use crate::cli::output::Printer;
use crate::cli::{Failure, Setup, Takes, Verb, Verdict, stdout_failure};
use clap::Args;
use std::io;
use std::path::PathBuf;
use wasm_plugin::{ForgetReport, ForgetRequest, Manifest};

#[derive(Debug, Args)]
pub struct ForgetRegistryArgs {
    /// The registry whose recorded index version to forget: the index's
    /// path or URL, as install was given it
    #[arg(value_name = "INDEX-OR-URL")]
    pub registry: String,
    /// The plugins directory [default: the wasm-plugin.toml's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for ForgetRegistryArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.dest.is_none(),
        }
    }

    /// Takes what the flags leave out from the manifest.
    fn fill(&mut self, manifest: &Manifest) {
        self.dest = self
            .dest
            .take()
            .or_else(|| manifest.dest.as_ref().map(PathBuf::from));
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let dest = required(self.dest.as_deref(), "--dest", "dest")?;
        let request = ForgetRequest::new(dest, &self.registry).lock_timeout(self.lock.lock_timeout);
        let report = setup.installer(None)?.forget_registry(&request)?;
        forgot(out, &report).map_err(stdout_failure)
    }
}

pub fn forgot(p: &mut Printer, r: &ForgetReport) -> io::Result<Verdict> {
    p.render(r, |out| match r.forgotten {
        Some(version) => writeln!(
            out,
            "forgot index version {version} of {} in {}; its next index is accepted whatever \
             its version, and recorded again",
            r.registry, r.dest
        ),
        None => writeln!(
            out,
            "nothing is recorded for {} in {}; recorded: {}",
            r.registry,
            r.dest,
            if r.recorded.is_empty() {
                "none".to_string()
            } else {
                r.recorded.join(", ")
            }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, text};

    #[test]
    fn forget_registry_names_the_version_forgotten_or_what_is_recorded() {
        let forgotten = text(|p| forgot(p, &testing::forget(Some(7), &[])));
        assert!(
            forgotten
                .out
                .starts_with("forgot index version 7 of index.json in plugins; ")
        );
        let nothing = text(|p| forgot(p, &testing::forget(None, &[])));
        assert_eq!(
            nothing.out,
            "nothing is recorded for index.json in plugins; recorded: none\n"
        );
        let others = text(|p| forgot(p, &testing::forget(None, &["a.json", "b.json"])));
        assert!(others.out.ends_with("recorded: a.json, b.json\n"));
        let value = json(|p| forgot(p, &testing::forget(Some(7), &[])));
        assert_eq!(value["forgotten"], 7);
    }
}
