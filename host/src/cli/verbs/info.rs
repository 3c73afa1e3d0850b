//! `info`: every version of one plugin, newest first, and the index that
//! lists it.

use super::list::IndexCheck;
use crate::cli::args::IndexArgs;
use crate::cli::output::{Printer, is_oci, shown_version};
use crate::cli::{Failure, Setup, Takes, Verb, Verdict, stdout_failure};
use clap::Args;
use serde_json::json;
use std::io;
use wasm_plugin::{Manifest, RegistryIndex};

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The plugin
    pub name: String,
    #[command(flatten)]
    pub index: IndexArgs,
}

impl Verb for InfoArgs {
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
        let index = self.index.load_of(setup, Some(&self.name))?;
        if !index.plugins.iter().any(|p| p.name == self.name) {
            let mut names: Vec<&str> = index.plugins.iter().map(|p| p.name.as_str()).collect();
            names.dedup();
            return Err(Failure::Usage(format!(
                "no plugin named '{}' in {}; it has: {}\ntry `wasm-plugin search {}`",
                self.name,
                index.path,
                names.join(", "),
                self.name
            )));
        }
        let checked = IndexCheck::of(self.index.trust_root.as_deref());
        info(out, &index, &self.name, checked).map_err(stdout_failure)
    }
}

/// `info NAME`: every version of one plugin, newest first, and the index.
pub fn info(
    p: &mut Printer,
    index: &RegistryIndex,
    name: &str,
    checked: IndexCheck,
) -> io::Result<Verdict> {
    let mut versions: Vec<&wasm_plugin::RegistryEntry> =
        index.plugins.iter().filter(|p| p.name == name).collect();
    // Newest first by semver precedence; versions that are not semver last.
    versions.sort_by(|a, b| {
        match (
            semver::Version::parse(&a.version),
            semver::Version::parse(&b.version),
        ) {
            (Ok(a), Ok(b)) => b.cmp_precedence(&a),
            (Ok(_), Err(_)) => std::cmp::Ordering::Less,
            (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
            (Err(_), Err(_)) => std::cmp::Ordering::Equal,
        }
    });
    if p.is_json() {
        p.json(&json!({
            "name": name,
            "index": {
                "path": index.path,
                "version": index.version,
                "expires": index.expires,
                "signed_by": index.signed_by,
            },
            "versions": versions,
        }))?;
        return Ok(Verdict::Done);
    }
    let out = p.people();
    writeln!(out, "{name}")?;
    if let Some(text) = versions.iter().find_map(|v| v.description.as_deref()) {
        writeln!(out, "  {text}")?;
    }
    match is_oci(&index.path) {
        // Tags and manifests: nothing has an index's version or expiry.
        true => writeln!(
            out,
            "  in the OCI registry {} (no index: each version is a tag)",
            index.path
        )?,
        false => writeln!(
            out,
            "  listed in {} ({}, {}, {})",
            index.path,
            index
                .version
                .map_or("unversioned index".into(), |v| format!("index version {v}")),
            index
                .expires
                .as_deref()
                .map_or("no expiry".into(), |e| format!("expires {e}")),
            index.signed_by.as_deref().map_or(
                format!("index signature not verified ({})", checked.unverified()),
                |k| format!("index signed by '{k}'")
            ),
        )?,
    }
    // Imports and exports for one version, the one install takes (else
    // the newest): every version's would repeat much the same list.
    let described = versions
        .iter()
        .find(|v| v.latest)
        .or(versions.first())
        .map(|v| v.version.clone());
    let mut others_described = false;
    for v in versions {
        let mut marks = Vec::new();
        if v.latest {
            marks.push("what `install` takes");
        }
        if v.yanked {
            marks.push("yanked");
        }
        let marks = match marks.is_empty() {
            true => String::new(),
            false => format!(" ({})", marks.join(", ")),
        };
        writeln!(out, "  {}{marks}", shown_version(&v.version))?;
        writeln!(out, "    sha256 {}", v.sha256)?;
        if let Some(size) = v.size {
            writeln!(out, "    size {size} bytes")?;
        }
        writeln!(
            out,
            "    {}",
            match v.signature {
                Some(_) => "signed (checked against the trust root at install)",
                None => "unsigned",
            }
        )?;
        writeln!(out, "    artifact {}", v.artifact)?;
        if described.as_deref() != Some(v.version.as_str()) {
            others_described |= v.imports.is_some() || v.exports.is_some();
            continue;
        }
        // As published: install checks them against the bytes.
        for (what, names) in [("imports", &v.imports), ("exports", &v.exports)] {
            if let Some(names) = names {
                let names = match names.is_empty() {
                    true => "nothing".to_string(),
                    false => names.join(", "),
                };
                writeln!(out, "    {what} {names}")?;
            }
        }
    }
    if others_described && let Some(version) = described {
        writeln!(
            out,
            "  imports and exports shown for {} only (--json lists each version's)",
            shown_version(&version)
        )?;
    }
    Ok(Verdict::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, text};

    #[test]
    fn info_lists_versions_newest_first() {
        let index = testing::index(vec![
            testing::entry("hello", "1.0.0"),
            testing::entry("hello", "1.10.0"),
            testing::entry("hello", "1.2.0"),
            testing::entry("other", "9.0.0"),
        ]);
        let value = json(|p| info(p, &index, "hello", IndexCheck::NoTrustRoot));
        let versions: Vec<&str> = value["versions"]
            .as_array()
            .expect("an array")
            .iter()
            .filter_map(|v| v["version"].as_str())
            .collect();
        assert_eq!(versions, ["1.10.0", "1.2.0", "1.0.0"]);
        let shown = text(|p| info(p, &index, "hello", IndexCheck::NoTrustRoot));
        assert!(
            shown
                .out
                .starts_with("hello\n  listed in index.json (index version 3")
        );
    }

    #[test]
    fn info_on_an_oci_registry_speaks_of_tags_not_an_index_version() {
        let mut index = testing::index(vec![testing::entry("hello", "1.0.0")]);
        index.path = "oci://r.example/acme/hello".into();
        index.version = None;
        let shown = text(|p| info(p, &index, "hello", IndexCheck::NoTrustRoot));
        assert!(
            shown.out.starts_with(
                "hello\n  in the OCI registry oci://r.example/acme/hello (no index: each \
                 version is a tag)\n"
            ),
            "{}",
            shown.out
        );
        assert!(!shown.out.contains("none"), "{}", shown.out);
    }

    #[test]
    fn info_shows_imports_and_exports_of_the_version_install_takes_only() {
        let with = |version: &str, latest: bool| {
            let mut entry = testing::entry("hello", version);
            entry.latest = latest;
            entry.imports = Some(vec![format!("wasi:io/streams ({version})")]);
            entry.exports = Some(Vec::new());
            entry
        };
        let index = testing::index(vec![with("1.0.0", false), with("1.1.0", true), with("2.0.0-rc.1", false)]);
        let shown = text(|p| info(p, &index, "hello", IndexCheck::NoTrustRoot));
        assert_eq!(shown.out.matches("    imports ").count(), 1, "{}", shown.out);
        assert!(shown.out.contains("    imports wasi:io/streams (1.1.0)\n    exports nothing\n"));
        assert!(
            shown
                .out
                .ends_with("  imports and exports shown for 1.1.0 only (--json lists each version's)\n"),
            "{}",
            shown.out
        );
        let value = json(|p| info(p, &index, "hello", IndexCheck::NoTrustRoot));
        assert!(value["versions"].as_array().unwrap().iter().all(|v| v["imports"].is_array()));
    }
}
