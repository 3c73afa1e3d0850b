//! `registry`: tools for a registry's operator; `registry convert` makes a
//! sparse registry (a `config.json` and one file per plugin) of a flat
//! `index.json`.

use crate::cli::output::Printer;
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use crate::cli::args::parse_duration;
use clap::{Args, Subcommand};
use std::io;
use std::path::PathBuf;
use std::time::Duration;
use wasm_plugin::{ConvertReport, ConvertRequest};

#[derive(Debug, Args)]
pub struct RegistryArgs {
    #[command(subcommand)]
    pub command: RegistryCommand,
    /// Print the report as JSON
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Make a sparse registry of a flat index.json: config.json and one file
    /// per plugin (signed with --key), relative artifact paths rewritten to
    /// name the same files
    Convert(ConvertArgs),
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The flat registry index to convert
    #[arg(value_name = "INDEX")]
    pub index: PathBuf,
    /// The sparse registry's root directory (created if missing); install
    /// then takes it as --registry DIR
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Sign each plugin file with this private key (the index role's), as
    /// <file>.sig beside it
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Make timestamp.json expire after this long, or with the index when
    /// that is sooner [default: 1d]: what tells clients the registry is not
    /// frozen, so it is kept short and renewed by converting again
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timestamp_expires: Option<Duration>,
}

impl Verb for RegistryArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let installer = setup.installer(None)?;
        match self.command {
            RegistryCommand::Convert(a) => {
                let mut request = ConvertRequest::new(&a.index, &a.out);
                if let Some(key) = &a.key {
                    request = request.key(key);
                }
                if let Some(after) = a.timestamp_expires {
                    request = request.timestamp_expires_in(after);
                }
                converted(out, &installer.convert_registry(&request)?)
            }
        }
        .map_err(stdout_failure)
    }
}

/// `registry convert`: each plugin file written, and the registry's name.
pub fn converted(p: &mut Printer, r: &ConvertReport) -> io::Result<Verdict> {
    p.render(r, |out| {
        for file in &r.files {
            writeln!(
                out,
                "wrote {} ({}, version {}, {} entr{})",
                file.path,
                file.name,
                file.version,
                file.entries,
                if file.entries == 1 { "y" } else { "ies" }
            )?;
        }
        let signed = match r.signed {
            true => "each signed with --key",
            false => "unsigned (pass --key to sign them)",
        };
        writeln!(
            out,
            "converted {} plugin(s) into the sparse registry {}; the files are {signed}",
            r.files.len(),
            r.config
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, text};

    #[test]
    fn convert_lists_each_file_and_says_whether_they_are_signed() {
        let shown = text(|p| converted(p, &testing::converted(false)));
        assert_eq!(
            shown.out,
            "wrote sparse/co/lm/colmask (colmask, version 3, 2 entries)\n\
             converted 1 plugin(s) into the sparse registry sparse/config.json; the files are \
             unsigned (pass --key to sign them)\n"
        );
        let value = json(|p| converted(p, &testing::converted(true)));
        assert_eq!(value["signed"], true);
        assert_eq!(value["files"][0]["version"], 3);
    }
}
