//! `wasm-plugin`: the command line over the `wasm_plugin` library. It turns
//! flags into requests, runs them, renders the reports, and decides the
//! exit code in one place. All decisions about plugins are made inside the
//! installer component.

mod cli;

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let json = cli.json();
    exit_code(cli.run(), json)
}

/// The one place the exit code is decided: the command's own (a finding,
/// a partly failed install), or its failure's, which is reported once.
fn exit_code(result: Result<u8, cli::Failure>, json: bool) -> ExitCode {
    let failure = match result {
        Ok(code) => return ExitCode::from(code),
        // Output cut short by a closed pipe (`| head`) is not a failure.
        Err(failure) if failure.is_broken_pipe() => return ExitCode::SUCCESS,
        Err(failure) => failure,
    };
    if json {
        let text = serde_json::to_string_pretty(&failure.to_json()).unwrap_or_default();
        let _ = writeln!(std::io::stdout(), "{text}");
    } else {
        let _ = writeln!(std::io::stderr(), "error: {failure}");
    }
    ExitCode::from(failure.exit_code())
}
