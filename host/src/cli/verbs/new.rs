//! `new`: create a plugin project from the component's templates.

use crate::cli::output::Printer;
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use clap::Args;
use std::io;
use std::path::PathBuf;
use wasm_plugin::{ScaffoldReport, ScaffoldRequest};

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Name of the new plugin (also its directory name)
    pub name: String,
    /// Where to create the project directory
    // --dir, its old name, is kept as a hidden alias.
    #[arg(long = "out", alias = "dir", value_name = "PARENT", default_value = ".")]
    pub dir: PathBuf,
}

impl Verb for NewArgs {
    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let report = setup
            .installer(None)?
            .scaffold(&ScaffoldRequest::new(&self.name, &self.dir))?;
        scaffold(out, &report).map_err(stdout_failure)
    }
}

pub fn scaffold(p: &mut Printer, r: &ScaffoldReport) -> io::Result<Verdict> {
    let out = p.people();
    writeln!(out, "created {}", r.dir)?;
    for file in &r.files {
        writeln!(out, "  {file}")?;
    }
    writeln!(
        out,
        "build it with: cd {} && cargo build --target wasm32-wasip2 --release",
        r.dir
    )?;
    writeln!(out, "its README.md says how to sign and publish it")?;
    Ok(Verdict::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, text};

    #[test]
    fn new_lists_the_files_and_how_to_build() {
        let shown = text(|p| scaffold(p, &testing::scaffold()));
        assert_eq!(
            shown.out,
            "created hello\n  Cargo.toml\n  src/lib.rs\n\
             build it with: cd hello && cargo build --target wasm32-wasip2 --release\n\
             its README.md says how to sign and publish it\n"
        );
    }
}
