//! Verbs about the command line itself: shell completions and the man page,
//! both generated from the same clap definition as the parser, so they
//! cannot drift from it.

use super::output::Printer;
use super::{Cli, Failure, Setup, Verb, stdout_failure};
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

impl Verb for CompletionsArgs {
    /// Writes the completion script to standard output, e.g.
    /// `wasm-plugin completions bash > /etc/bash_completion.d/wasm-plugin`.
    fn run(self: Box<Self>, _: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let mut command = Cli::command();
        let out = out.raw();
        clap_complete::generate(self.shell, &mut command, "wasm-plugin", out);
        out.flush().map_err(stdout_failure)?;
        Ok(super::Verdict::Done)
    }
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write every page (wasm-plugin.1, then wasm-plugin-install.1 and one
    /// per subcommand) into this directory instead of printing the main one
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl Verb for ManArgs {
    /// Prints the main page (roff), e.g. `wasm-plugin man | man -l -`; with
    /// `--dir`, writes all of them, e.g. into `/usr/local/share/man/man1`.
    fn run(self: Box<Self>, _: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let command = Cli::command();
        match &self.dir {
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
        Ok(super::Verdict::Done)
    }
}
