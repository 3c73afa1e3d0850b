//! `outdated`: the installed plugins a registry has newer versions of.

use crate::cli::args::{IndexArgs, required};
use crate::cli::output::{Printer, shown_version, table};
use crate::cli::{Failure, Setup, Takes, Verb, Verdict, stdout_failure};
use clap::Args;
use std::io;
use std::path::PathBuf;
use wasm_plugin::{Manifest, OutdatedPlugin, OutdatedRequest};

#[derive(Debug, Args)]
pub struct OutdatedArgs {
    /// The plugins directory (read only) [default: the wasm-plugin.toml's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    // The registry to compare with (--json: an array of {name, installed,
    // requirement, wanted, latest, yanked}, as the README says).
    #[command(flatten)]
    pub index: IndexArgs,
}

impl Verb for OutdatedArgs {
    fn json(&self) -> bool {
        self.index.json
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.dest.is_none() || self.index.registry.is_none(),
        }
    }

    /// Takes what the flags leave out from the manifest.
    fn fill(&mut self, manifest: &Manifest) {
        self.dest = self
            .dest
            .take()
            .or_else(|| manifest.dest.as_ref().map(PathBuf::from));
        self.index.fill(manifest);
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let dest = required(self.dest.as_deref(), "--dest", "dest")?;
        let index = &self.index;
        let registry = required(
            index.registry.as_deref(),
            "--registry",
            "a default registry",
        )?;
        let installer = setup.installer(Some(index.remote.fetch(false, &[registry])?))?;
        let mut request = OutdatedRequest::new(index.remote.registry(registry), dest)
            .allow_expired(index.remote.allow_expired);
        if let Some(dir) = &index.trust_root {
            request = request.trust_root(dir);
        }
        let rows = installer.outdated(&request)?;
        outdated(out, &rows).map_err(stdout_failure)
    }
}

/// `outdated`: each installed plugin, what its requirement admits, and the
/// newest of all.
pub fn outdated(p: &mut Printer, rows: &[OutdatedPlugin]) -> io::Result<Verdict> {
    if p.is_json() {
        p.json(&rows)?;
        return Ok(Verdict::Done);
    }
    let mut out = p.people();
    let none = || "-".to_string();
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                match r.yanked {
                    true => format!("{} (yanked)", shown_version(&r.installed)),
                    false => shown_version(&r.installed).to_string(),
                },
                r.wanted.clone().unwrap_or_else(none),
                r.latest.clone().unwrap_or_else(none),
                r.requirement.clone().unwrap_or_else(|| "*".into()),
            ]
        })
        .collect();
    table(
        &mut out,
        &["NAME", "INSTALLED", "WANTED", "LATEST", "REQUIREMENT"],
        &table_rows,
    )?;
    // Newer only: upgrade never moves down (a yanked newest version leaves
    // what the requirement admits below what is installed).
    let newer = |a: Option<&str>, b: Option<&str>| match (a, b) {
        (Some(a), Some(b)) => match (semver::Version::parse(a), semver::Version::parse(b)) {
            (Ok(a), Ok(b)) => a.cmp_precedence(&b) == std::cmp::Ordering::Greater,
            _ => false,
        },
        _ => false,
    };
    let behind = rows
        .iter()
        .filter(|r| newer(r.wanted.as_deref(), Some(&r.installed)))
        .count();
    let held = rows
        .iter()
        .filter(|r| {
            newer(
                r.latest.as_deref(),
                r.wanted.as_deref().or(Some(&r.installed)),
            )
        })
        .count();
    writeln!(
        out,
        "{behind} of {} plugin(s) behind what their requirement admits (`wasm-plugin upgrade --all` \
         takes them there); {held} held back by their requirement (`upgrade NAME@REQ` changes it)",
        rows.len()
    )?;
    Ok(Verdict::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, text};

    #[test]
    fn outdated_counts_plugins_behind_and_held_back() {
        let rows = [
            testing::outdated("hello", "1.0.0", "1.1.0", "2.0.0"),
            testing::outdated("colmask", "0.3.1", "0.3.1", "0.3.1"),
        ];
        let shown = text(|p| outdated(p, &rows));
        let lines: Vec<&str> = shown.out.lines().collect();
        assert_eq!(
            lines[..3],
            [
                "NAME     INSTALLED  WANTED  LATEST  REQUIREMENT",
                "hello    1.0.0      1.1.0   2.0.0   *",
                "colmask  0.3.1      0.3.1   0.3.1   *",
            ]
        );
        assert!(lines[3].starts_with("1 of 2 plugin(s) behind what their requirement admits"));
        assert!(lines[3].contains("; 1 held back by their requirement"));
        let value = json(|p| outdated(p, &rows));
        assert_eq!(value[0]["wanted"], "1.1.0");
    }
}
