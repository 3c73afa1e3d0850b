//! `completions`: print a shell completion script, generated from the same
//! clap definition as the parser, so it cannot drift from it.

use crate::cli::output::Printer;
use crate::cli::{Cli, Failure, Setup, Verb, Verdict, stdout_failure};
use clap::{Args, CommandFactory};
use clap_complete::Shell;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

impl Verb for CompletionsArgs {
    /// Writes the completion script to standard output, e.g.
    /// `wasm-plugin completions bash > /etc/bash_completion.d/wasm-plugin`.
    fn run(self: Box<Self>, _: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let mut command = Cli::command();
        let out = out.raw();
        clap_complete::generate(self.shell, &mut command, "wasm-plugin", out);
        out.flush().map_err(stdout_failure)?;
        Ok(Verdict::Done)
    }
}
