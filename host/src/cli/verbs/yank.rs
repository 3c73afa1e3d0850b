//! `yank`: mark a published version yanked in a local index (or, with
//! `--undo`, take the mark off): `publish --yank` as a verb of its own. Its
//! report is publish's, printed by publish's renderer.

use super::publish::yank;
use crate::cli::args::{parse_duration, yank_request};
use crate::cli::output::Printer;
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct YankArgs {
    /// The version to mark, exactly as published: install then passes it
    /// over unless it is asked for exactly (NAME@=VERSION, --version, a
    /// lock); loaders ignore the mark
    #[arg(value_name = "NAME@VERSION")]
    pub spec: String,
    /// The registry index that lists it
    #[arg(long, value_name = "INDEX")]
    pub registry: PathBuf,
    /// Sign the changed index with this private key (PKCS#8 PEM); needed
    /// when the index is signed
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Take the mark off again
    #[arg(long)]
    pub undo: bool,
    /// In a sparse registry with freshness files, make the new
    /// timestamp.json expire after this long [default: 1d]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timestamp_expires: Option<Duration>,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for YankArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let request = yank_request(
            "yank",
            &self.spec,
            &self.registry,
            self.key.as_deref(),
            self.undo,
            self.timestamp_expires,
        )?;
        let report = setup.installer(None)?.yank(&request)?;
        yank(out, &report).map_err(stdout_failure)
    }
}
