//! `wasm-plugin`: the command line over the `wasm_plugin` library. It turns
//! flags into requests, runs them, renders the reports, and decides the
//! exit code in one place. All decisions about plugins are made inside the
//! installer component.

mod cli;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::Cli::parse_args(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let json = cli.json();
    exit_code(cli.run(), json)
}

/// What the argument parser refused. With `--json` anywhere on the line a
/// script is reading standard output, so it gets the same shape as every
/// other failure; help and version are printed as clap prints them.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    // The flag takes no value, but `--json=…` shows what was meant; after
    // `--` a `--json` is an operand, not the flag.
    let wants_json = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json" || a.to_string_lossy().starts_with("--json="));
    if !wants_json || matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    let rendered = e.render().to_string();
    let message = rendered.trim_end().trim_start_matches("error: ");
    let failure = cli::Failure::Usage(message.to_string());
    exit_code(Err(failure), true)
}

/// The one place the exit code is decided: from how a command that ran to
/// its end went (an audit finding is an integrity failure, a partly failed
/// install exits as its first failure), or from the failure that stopped
/// it, which is reported once.
fn exit_code(result: Result<cli::Verdict, cli::Failure>, json: bool) -> ExitCode {
    let failure = match result {
        Ok(cli::Verdict::Done) => return ExitCode::SUCCESS,
        Ok(cli::Verdict::Findings) => return ExitCode::from(1),
        Ok(cli::Verdict::PartlyFailed(code)) => return ExitCode::from(code),
        // Output cut short by a closed pipe (`| head`) is not a failure.
        Err(failure) if failure.is_broken_pipe() => return ExitCode::SUCCESS,
        Err(failure) => failure,
    };
    if json {
        let text = serde_json::to_string_pretty(&failure.to_json()).unwrap_or_default();
        let _ = writeln!(std::io::stdout(), "{text}");
    } else {
        // The failure's words may hold what a registry sent: escaped, as
        // every text for people is (cli::output::escape).
        let mut err = cli::Escaped::new(std::io::stderr());
        let _ = writeln!(err, "error: {failure}");
    }
    ExitCode::from(failure.exit_code())
}
