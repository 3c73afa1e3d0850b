//! `uninstall`: remove installed plugins from a plugins directory.

use crate::cli::args::{LockArgs, required};
use crate::cli::output::{Printer, first_failure, shown_version};
use crate::cli::{Failure, Setup, Takes, Verb, Verdict, stdout_failure};
use clap::Args;
use serde_json::{Value, json};
use std::io;
use std::path::PathBuf;
use wasm_plugin::{Manifest, Outcome, UninstallReport, UninstallRequest};

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Plugins to remove
    #[arg(required = true, value_name = "NAME")]
    pub plugins: Vec<String>,
    /// The plugins directory [default: the wasm-plugin.toml's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Print the reports as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for UninstallArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.dest.is_none(),
        }
    }

    /// Takes what the flags leave out from the manifest.
    fn fill(&mut self, manifest: &Manifest) {
        self.dest = self
            .dest
            .take()
            .or_else(|| manifest.dest.as_ref().map(PathBuf::from));
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let dest = required(self.dest.as_deref(), "--dest", "dest")?;
        let installer = setup.installer(None)?;
        let (first, rest) = self.plugins.split_first().expect("clap requires one");
        let request = rest
            .iter()
            .fold(UninstallRequest::new(dest, first), |r, name| r.and(name))
            .lock_timeout(self.lock.lock_timeout);
        let results = installer.uninstall(&request)?;
        uninstalled(out, &results).map_err(stdout_failure)
    }
}

pub fn uninstalled(p: &mut Printer, results: &[Outcome<UninstallReport>]) -> io::Result<Verdict> {
    let code = first_failure(results);
    if p.is_json() {
        let items: Vec<Value> = results
            .iter()
            .map(|(name, r)| match r {
                Ok(report) => serde_json::to_value(report).unwrap_or(Value::Null),
                // As install's failed items: the plugin as given, `spec`.
                Err(failure) => {
                    let mut item = json!({"error": failure});
                    item["spec"] = json!(name);
                    item
                }
            })
            .collect();
        p.json(&items)?;
        return Ok(code);
    }
    let (out, err) = p.streams();
    for (name, result) in results {
        match result {
            Ok(r) => {
                let version = r
                    .version
                    .as_deref()
                    .map(|v| format!(" {}", shown_version(v)))
                    .unwrap_or_default();
                writeln!(out, "uninstalled {}{version}", r.name)?;
                for path in &r.removed {
                    writeln!(out, "  removed {path}")?;
                }
            }
            Err(failure) => {
                out.flush()?;
                let _ = writeln!(err, "error: {name}: {}", failure);
            }
        }
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, ok, text};

    #[test]
    fn uninstall_lists_what_it_removed() {
        let r = testing::uninstall("hello", Some("1.0.0"), &["plugins/hello.wasm"]);
        let shown = text(|p| uninstalled(p, &[ok("hello", r)]));
        assert_eq!(
            shown.out,
            "uninstalled hello 1.0.0\n  removed plugins/hello.wasm\n"
        );
    }
}
