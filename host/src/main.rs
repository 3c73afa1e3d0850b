//! `wasm-plugin`: the native host. It parses the command line, grants the
//! installer component what each verb needs, runs it, and renders the result.
//! All decisions about plugins are made inside the component (`guest/`).

mod cli;
mod fetch;
mod interrupt;
mod lock;
mod output;
mod paths;
mod report;
mod runtime;

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let json = cli.json();
    match cli.run() {
        Ok(code) => ExitCode::from(code),
        // Output cut short by a closed pipe (`| head`) is not a failure.
        Err(report::Failure::Io { error, .. })
            if error.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            ExitCode::SUCCESS
        }
        Err(failure) => {
            if json {
                let text = serde_json::to_string_pretty(&failure.to_json()).unwrap_or_default();
                let _ = writeln!(std::io::stdout(), "{text}");
            } else {
                let _ = writeln!(std::io::stderr(), "error: {}", failure.message());
            }
            ExitCode::from(failure.exit_code())
        }
    }
}
