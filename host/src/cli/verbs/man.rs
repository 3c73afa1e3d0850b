//! `man`: print the man page (roff), or write every page, generated from
//! the same clap definition as the parser, so it cannot drift from it.

use crate::cli::output::Printer;
use crate::cli::{Cli, Failure, Setup, Verb, Verdict, stdout_failure};
use clap::{Args, CommandFactory};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write every page (wasm-plugin.1, then wasm-plugin-install.1 and one
    /// per subcommand) into this directory instead of printing the main one
    // --dir, its old name, is kept as a hidden alias.
    #[arg(long = "out", alias = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl Verb for ManArgs {
    /// Prints the main page (roff), e.g. `wasm-plugin man | man -l -`; with
    /// `--out DIR`, writes all of them, e.g. into `/usr/local/share/man/man1`.
    fn run(self: Box<Self>, _: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let command = Cli::command();
        match &self.dir {
            // A directory that is not there is a mistake in the command
            // (exit 2), as a missing `--dest` parent is, not a failed write.
            Some(dir) if !dir.is_dir() => {
                return Err(Failure::Usage(format!(
                    "--out {}: no such directory; create it first (mkdir -p {0})",
                    dir.display()
                )));
            }
            Some(dir) => clap_mangen::generate_to(command, dir)
                .map_err(|e| Failure::Write(dir.clone(), e))?,
            None => {
                let out = out.raw();
                clap_mangen::Man::new(command)
                    .render(out)
                    .map_err(stdout_failure)?;
                out.flush().map_err(stdout_failure)?;
            }
        }
        Ok(Verdict::Done)
    }
}
