//! `search`: the plugins whose name or description holds a text, printed
//! as list prints an index. Over a sparse registry, the names its name
//! list holds (descriptions are in the plugins' files).

use super::list::{IndexCheck, list};
use crate::cli::args::IndexArgs;
use crate::cli::output::Printer;
use crate::cli::{Failure, Setup, Takes, Verb, Verdict, stdout_failure};
use clap::Args;
use wasm_plugin::Manifest;

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Text to look for in plugin names and descriptions (case-insensitive)
    pub text: String,
    #[command(flatten)]
    pub index: IndexArgs,
}

impl Verb for SearchArgs {
    fn json(&self) -> bool {
        self.index.json
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.index.registry.is_none(),
        }
    }

    /// Takes the default registry and trust root from the manifest.
    fn fill(&mut self, manifest: &Manifest) {
        self.index.fill(manifest);
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        // A sparse registry reads the files of the names its name list
        // matches (a flat index comes whole): matched again here either way.
        let mut index = self.index.load_with(setup, |r| r.search(&self.text))?;
        let wanted = self.text.to_lowercase();
        // One row per plugin: the version install takes, matched on its
        // name or description.
        index.plugins.retain(|p| {
            p.latest
                && (p.name.to_lowercase().contains(&wanted)
                    || p.description
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(&wanted)))
        });
        if index.plugins.is_empty() && !self.index.json {
            writeln!(
                out.people(),
                "no plugin in {} matches '{}'",
                index.path,
                self.text
            )
            .map_err(stdout_failure)?;
            return Ok(Verdict::Done);
        }
        let checked = IndexCheck::of(self.index.trust_root.as_deref());
        list(out, &index, checked).map_err(stdout_failure)
    }
}
