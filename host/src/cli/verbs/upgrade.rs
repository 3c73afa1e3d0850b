//! `upgrade`: installed plugins to the highest version a registry offers,
//! or with `--dry-run` what that would do. Its results are install's,
//! printed by install's renderer.

use super::install::{install_outcomes, skipped_lines};
use crate::cli::args::SourceArgs;
use crate::cli::output::{Printer, first_failure, shown_version};
use crate::cli::{Failure, Setup, Takes, Verb, Verdict, stdout_failure};
use clap::Args;
use serde_json::Value;
use std::io;
use std::path::Path;
use wasm_plugin::{InstallAction, InstallReport, Manifest, Outcome, UpgradeRequest};

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Installed plugins to upgrade (or --all)
    #[arg(value_name = "NAME", conflicts_with = "all")]
    pub plugins: Vec<String>,
    /// Upgrade every installed plugin
    #[arg(long)]
    pub all: bool,
    /// Print what would be upgraded; fetch no artefact, change nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Print the reports as JSON (an array, one element per plugin)
    #[arg(long)]
    pub json: bool,
}

impl Verb for UpgradeArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn quiet(&self) -> bool {
        self.source.net.quiet
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.source.registry.is_none() || self.source.dest.is_none(),
        }
    }

    fn fill(&mut self, manifest: &Manifest) {
        self.source.fill(manifest)
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        if self.plugins.is_empty() && !self.all {
            return Err(Failure::Usage(
                "upgrade needs the plugins to upgrade: name them, or pass --all for every \
                 installed plugin"
                    .into(),
            ));
        }
        let installer = setup.writer(
            self.source
                .net
                .fetch(self.json, &[self.source.registry()?])?,
        )?;
        let source = &self.source;
        let registry = source.net.remote.registry(source.registry()?);
        let mut request = UpgradeRequest::new(&registry, source.dest()?)
            .allow_expired(source.net.remote.allow_expired)
            .max_size(source.net.max_size)
            .lock_timeout(source.lock.lock_timeout)
            .dry_run(self.dry_run);
        if let Some(dir) = &source.trust_root {
            request = request.trust_root(dir);
        }
        for dir in &source.allow_read {
            request = request.allow_read(dir);
        }
        for glob in &source.policy.allow {
            request = request.allow_import(glob);
        }
        for glob in &source.policy.deny {
            request = request.deny_import(glob);
        }
        if let Some(wit) = &source.world.wit {
            request = request.world(wit, source.world.name.as_deref());
        }
        for name in &self.plugins {
            request = request.plugin(name);
        }
        let outcomes = installer.upgrade(&request)?;
        if outcomes.is_empty() {
            return nothing_installed(out, source.dest()?).map_err(stdout_failure);
        }
        if self.dry_run {
            return upgrade_plan(out, &outcomes).map_err(stdout_failure);
        }
        install_outcomes(out, &outcomes, true).map_err(stdout_failure)
    }
}

/// `upgrade --dry-run`: what each upgrade would do (JSON: the reports, as
/// `upgrade --json` prints them, with the index's digest and size).
pub fn upgrade_plan(p: &mut Printer, outcomes: &[Outcome<InstallReport>]) -> io::Result<Verdict> {
    if p.is_json() {
        return install_outcomes(p, outcomes, true);
    }
    let (mut out, err) = p.streams();
    for (spec, result) in outcomes {
        match result {
            Ok(r) if r.action == InstallAction::Unchanged => {
                writeln!(
                    out,
                    "{} {} is up to date",
                    r.name,
                    shown_version(&r.version)
                )?;
                skipped_lines(&mut out, r)?;
            }
            Ok(r) => {
                writeln!(
                    out,
                    "would upgrade {} {} -> {}",
                    r.name,
                    r.previous_version.as_deref().map_or("?", shown_version),
                    shown_version(&r.version)
                )?;
                writeln!(out, "  {}", index_word(r))?;
                skipped_lines(&mut out, r)?;
            }
            Err(failure) => {
                out.flush()?;
                let _ = writeln!(err, "error: {spec}: {failure}");
            }
        }
    }
    Ok(first_failure(outcomes))
}

/// The digest and size the index lists for a version a dry run would
/// fetch (nothing was fetched: install holds the bytes to both). An entry
/// that lists no size is reported with size 0.
fn index_word(r: &InstallReport) -> String {
    let size = match r.size {
        0 => "size not listed".to_string(),
        n => format!("{n} bytes"),
    };
    format!(
        "sha256 {} ({size}) from {}, as the index lists them",
        r.sha256, r.source
    )
}

pub fn nothing_installed(p: &mut Printer, dest: &Path) -> io::Result<Verdict> {
    if p.is_json() {
        p.json(&Vec::<Value>::new())?;
    } else {
        writeln!(p.people(), "nothing is installed in {}", dest.display())?;
    }
    Ok(Verdict::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, ok, text};
    use wasm_plugin::InstallAction as A;

    #[test]
    fn upgrade_dry_run_says_what_would_move_with_the_indexs_digest_and_size() {
        let kept = testing::install_report("colmask", "0.3.1", A::Unchanged);
        let shown = text(|p| upgrade_plan(p, &[ok("hello", moving()), ok("colmask", kept)]));
        assert_eq!(
            shown.out,
            "would upgrade hello 1.0.0 -> 1.1.0\n  \
             sha256 ab12 (42 bytes) from example/index.json, as the index lists them\n\
             colmask 0.3.1 is up to date\n"
        );
        let mut unsized_entry = testing::install_report("hello", "1.1.0", A::Upgraded);
        unsized_entry.size = 0;
        let shown = text(|p| upgrade_plan(p, &[ok("hello", unsized_entry)]));
        assert!(shown.out.contains("  sha256 ab12 (size not listed) from"), "{}", shown.out);
        let value = json(|p| upgrade_plan(p, &[ok("hello", moving())]));
        assert_eq!(value[0]["sha256"], "ab12");
        assert_eq!(value[0]["size"], 42);
    }

    fn moving() -> InstallReport {
        let mut moving = testing::install_report("hello", "1.1.0", A::Upgraded);
        moving.previous_version = Some("1.0.0".into());
        moving
    }

    #[test]
    fn nothing_installed_is_a_sentence_or_an_empty_array() {
        let shown = text(|p| nothing_installed(p, Path::new("plugins")));
        assert_eq!(shown.out, "nothing is installed in plugins\n");
        let value = json(|p| nothing_installed(p, Path::new("plugins")));
        assert_eq!(value, serde_json::json!([]));
    }
}
