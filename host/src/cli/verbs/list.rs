//! `list`: the plugins a registry offers (or every registry of the
//! manifest's; or the versions of one plugin, `list NAME`, which is how a
//! sparse registry, having no index of them all, is listed), or those
//! installed in a plugins directory. Its table of an
//! index, and what was verified of it, serve search and info too.

use crate::cli::args::{RemoteArgs, required};
use crate::cli::output::{Printer, capabilities, shown_version, table};
use crate::cli::{Failure, Setup, Takes, Verb, Verdict, stdout_failure};
use clap::Args;
use clap::builder::ArgPredicate;
use serde_json::{Value, json};
use std::io;
use std::path::PathBuf;
use wasm_plugin::{IndexRequest, Manifest, Receipt, RegistryIndex};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this plugin's versions: of a sparse registry, only its file is
    /// read
    #[arg(value_name = "NAME", conflicts_with = "installed")]
    pub name: Option<String>,
    /// The registry whose plugins to list: a path, an http(s):// URL or an
    /// oci:// namespace [default: the wasm-plugin.toml's default registry]
    #[arg(long, value_name = "INDEX-OR-URL", conflicts_with = "installed")]
    pub registry: Option<String>,
    /// Directory of trusted *.pub keys (or one *.pub file), to verify the index signature
    #[arg(long, value_name = "DIR", conflicts_with = "installed")]
    pub trust_root: Option<PathBuf>,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// One row per plugin: the version `install NAME` takes
    #[arg(long, conflicts_with = "installed")]
    pub latest: bool,
    /// List what is installed in --dest instead (implied by --dest)
    #[arg(long, default_value_if("dest", ArgPredicate::IsPresent, "true"))]
    pub installed: bool,
    /// The plugins directory whose installed plugins to list (implies
    /// --installed)
    #[arg(long, value_name = "DIR", conflicts_with_all = ["registry", "latest"])]
    pub dest: Option<PathBuf>,
    /// With --installed (or --dest): each plugin's imports and exports too
    #[arg(long)]
    pub long: bool,
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
    /// The manifest whose registries to list, when --registry is not given
    /// (set when the manifest is lowered).
    #[arg(skip)]
    pub manifest: Option<Manifest>,
}

impl ListArgs {
    /// Every registry of the manifest, in order, each plugin with its
    /// registry's name.
    fn list_all(
        &self,
        setup: &Setup,
        manifest: &Manifest,
        out: &mut Printer,
    ) -> Result<Verdict, Failure> {
        let locations: Vec<&str> = manifest
            .registries
            .iter()
            .map(|(_, l)| l.as_str())
            .collect();
        let installer = setup.installer(Some(self.remote.fetch(false, &locations)?))?;
        let mut indexes = Vec::new();
        for (name, location) in &manifest.registries {
            let mut request = IndexRequest::new(self.remote.registry(location))
                .allow_expired(self.remote.allow_expired);
            if let Some(dir) = &self.trust_root {
                request = request.trust_root(dir);
            }
            let mut index = installer.load_index(&request)?;
            if self.latest {
                index.plugins.retain(|p| p.latest);
            }
            indexes.push((name.clone(), index));
        }
        let checked = IndexCheck::of(self.trust_root.as_deref());
        list_registries(out, &indexes, checked).map_err(stdout_failure)
    }
}

impl Verb for ListArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.dest.is_none() && self.registry.is_none(),
        }
    }

    /// Takes what the flags leave out from the manifest.
    fn fill(&mut self, manifest: &Manifest) {
        // Several registries and none named: list them all, each plugin
        // with where it comes from.
        if self.registry.is_none()
            && self.name.is_none()
            && !self.installed
            && manifest.registries.len() > 1
        {
            self.manifest = Some(manifest.clone());
        }
        if self.installed {
            self.dest = self
                .dest
                .take()
                .or_else(|| manifest.dest.as_ref().map(PathBuf::from));
            return;
        }
        self.registry = self
            .registry
            .take()
            .or_else(|| manifest.default_registry_location().map(str::to_string));
        self.trust_root = self
            .trust_root
            .take()
            .or_else(|| manifest.trust_root.as_ref().map(PathBuf::from));
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        if self.long && !self.installed {
            return Err(Failure::Usage(
                "--long lists installed plugins' imports and exports: add --installed or --dest DIR"
                    .into(),
            ));
        }
        if self.installed {
            let dest = required(self.dest.as_deref(), "--dest", "dest")?;
            let receipts = setup.installer(None)?.list_installed(dest)?;
            return installed(out, &receipts, self.long).map_err(stdout_failure);
        }
        if let Some(manifest) = &self.manifest {
            return self.list_all(setup, manifest, out);
        }
        let registry = required(self.registry.as_deref(), "--registry", "a default registry")?;
        let installer = setup.installer(Some(self.remote.fetch(false, &[registry])?))?;
        let registry = self.remote.registry(registry);
        let mut request = IndexRequest::new(registry).allow_expired(self.remote.allow_expired);
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        if let Some(name) = &self.name {
            request = request.plugin(name);
        }
        let mut index = installer.load_index(&request)?;
        if let Some(name) = &self.name {
            // A flat index comes whole; a sparse registry's file may list
            // the name in another case too.
            index.plugins.retain(|p| &p.name == name);
            if index.plugins.is_empty() {
                return Err(Failure::Usage(format!(
                    "no plugin named '{name}' in {}\ntry `wasm-plugin search {name}`",
                    index.path
                )));
            }
        }
        if self.latest {
            index.plugins.retain(|p| p.latest);
        }
        let checked = IndexCheck::of(self.trust_root.as_deref());
        list(out, &index, checked).map_err(stdout_failure)
    }
}

pub fn list(p: &mut Printer, index: &RegistryIndex, checked: IndexCheck) -> io::Result<Verdict> {
    p.render(index, |out| {
        if index.plugins.is_empty() {
            return writeln!(out, "{} lists no plugins", index.path);
        }
        let rows: Vec<Vec<String>> = index
            .plugins
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    version_column(p),
                    signature_column(p),
                    p.description.clone().unwrap_or_default(),
                ]
            })
            .collect();
        table(out, &["NAME", "VERSION", "SIGNATURE", "DESCRIPTION"], &rows)?;
        writeln!(out, "{}", index_trust(index, checked))
    })
}

/// An entry's version, marked when it is yanked (install passes it over
/// unless it is asked for exactly).
fn version_column(entry: &wasm_plugin::RegistryEntry) -> String {
    match entry.yanked {
        true => format!("{} (yanked)", shown_version(&entry.version)),
        false => shown_version(&entry.version).to_string(),
    }
}

/// An entry's signature as far as `list` knows it: it reads no artefact,
/// so a signature that is there is not yet verified (install, verify and
/// audit verify it over the bytes).
fn signature_column(entry: &wasm_plugin::RegistryEntry) -> String {
    match entry.signature.is_some() {
        true => "unverified".into(),
        false => "none".into(),
    }
}

/// Whether a trust root judged a listed index, so that an index without a
/// verified signature is said to be unsigned or unchecked, not either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]

pub enum IndexCheck {
    /// No trust root was given: a signature, if any, was not checked.
    NoTrustRoot,
    /// A trust root was given: a signature present had to verify.
    TrustRoot,
}

impl IndexCheck {
    pub fn of(trust_root: Option<&std::path::Path>) -> IndexCheck {
        match trust_root {
            Some(_) => IndexCheck::TrustRoot,
            None => IndexCheck::NoTrustRoot,
        }
    }

    /// Why an index has no verified signer.
    pub fn unverified(self) -> &'static str {
        match self {
            IndexCheck::NoTrustRoot => "no --trust-root",
            IndexCheck::TrustRoot => "the index is not signed",
        }
    }
}

/// What was verified of a listing: the index itself, never its entries'
/// signatures.
fn index_trust(index: &RegistryIndex, checked: IndexCheck) -> String {
    let index_part = match &index.signed_by {
        Some(key) => format!("the index is signed by '{key}', verified against the trust root"),
        None => format!(
            "the index's signature was not verified ({})",
            checked.unverified()
        ),
    };
    format!(
        "{index_part}; entry signatures are verified over the artefact's bytes by install, \
         verify and audit, not by list"
    )
}

/// Several registries' plugins, each with its registry's manifest name.
pub fn list_registries(
    p: &mut Printer,
    indexes: &[(String, RegistryIndex)],
    checked: IndexCheck,
) -> io::Result<Verdict> {
    if p.is_json() {
        let items: Vec<Value> = indexes
            .iter()
            .map(|(name, index)| json!({"registry": name, "index": index}))
            .collect();
        p.json(&items)?;
        return Ok(Verdict::Done);
    }
    let mut out = p.people();
    let rows: Vec<Vec<String>> = indexes
        .iter()
        .flat_map(|(name, index)| {
            index.plugins.iter().map(move |p| {
                vec![
                    p.name.clone(),
                    version_column(p),
                    name.clone(),
                    signature_column(p),
                    p.description.clone().unwrap_or_default(),
                ]
            })
        })
        .collect();
    if rows.is_empty() {
        writeln!(out, "the manifest's registries list no plugins")?;
    } else {
        table(
            &mut out,
            &["NAME", "VERSION", "REGISTRY", "SIGNATURE", "DESCRIPTION"],
            &rows,
        )?;
    }
    for (name, index) in indexes {
        writeln!(out, "{name}: {}", index_trust(index, checked))?;
    }
    Ok(Verdict::Done)
}

pub fn installed(p: &mut Printer, receipts: &[Receipt], long: bool) -> io::Result<Verdict> {
    p.render(&receipts, |out| {
        if receipts.is_empty() {
            return writeln!(out, "nothing is installed");
        }
        if long {
            for r in receipts {
                writeln!(
                    out,
                    "{} {} (signed by {}, installed at {})",
                    r.name,
                    shown_version(&r.version),
                    r.signed_by.as_deref().unwrap_or("-"),
                    r.installed_at
                )?;
                capabilities(
                    out,
                    r.imports.as_deref(),
                    r.exports.as_deref(),
                    "not WebAssembly, or installed before they were recorded",
                )?;
            }
            return Ok(());
        }
        let rows: Vec<Vec<String>> = receipts
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    shown_version(&r.version).to_string(),
                    r.signed_by.clone().unwrap_or_else(|| "-".into()),
                    r.installed_at.clone(),
                ]
            })
            .collect();
        table(
            out,
            &["NAME", "VERSION", "SIGNED BY", "INSTALLED AT"],
            &rows,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, text};

    #[test]
    fn list_is_a_padded_table_then_what_was_verified() {
        let mut hello = testing::entry("hello", "1.0.0");
        hello.description = Some("Says hello".into());
        let mut colmask = testing::entry("colmask", "0.3.1");
        colmask.yanked = true;
        colmask.signature = Some("colmask-0.3.1.wasm.sig".into());
        let index = testing::index(vec![hello, colmask]);
        let shown = text(|p| list(p, &index, IndexCheck::NoTrustRoot));
        let lines: Vec<&str> = shown.out.lines().collect();
        assert_eq!(
            lines[..3],
            [
                "NAME     VERSION         SIGNATURE   DESCRIPTION",
                "hello    1.0.0           none        Says hello",
                "colmask  0.3.1 (yanked)  unverified",
            ]
        );
        assert!(lines[3].starts_with("the index's signature was not verified (no --trust-root); "));
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn list_of_an_empty_index_says_so() {
        let shown = text(|p| list(p, &testing::index(Vec::new()), IndexCheck::TrustRoot));
        assert_eq!(shown.out, "index.json lists no plugins\n");
    }

    #[test]
    fn list_says_why_an_index_is_unverified_and_who_signed_a_verified_one() {
        let index = testing::index(vec![testing::entry("hello", "1.0.0")]);
        let checked = text(|p| list(p, &index, IndexCheck::TrustRoot));
        assert!(
            checked
                .out
                .contains("not verified (the index is not signed)")
        );
        let mut signed = index.clone();
        signed.signed_by = Some("release".into());
        let shown = text(|p| list(p, &signed, IndexCheck::TrustRoot));
        assert!(
            shown
                .out
                .contains("the index is signed by 'release', verified against the trust root")
        );
    }

    #[test]
    fn list_json_is_the_index() {
        let index = testing::index(vec![testing::entry("hello", "1.0.0")]);
        let value = json(|p| list(p, &index, IndexCheck::NoTrustRoot));
        assert_eq!(value["path"], "index.json");
        assert_eq!(value["plugins"][0]["name"], "hello");
    }

    #[test]
    fn installed_is_a_table_or_with_long_each_plugins_capabilities() {
        let receipts = [testing::receipt("hello", "1.0.0")];
        let shown = text(|p| installed(p, &receipts, false));
        assert_eq!(
            shown.out,
            "NAME   VERSION  SIGNED BY  INSTALLED AT\nhello  1.0.0    -          2026-01-02T03:04:05Z\n"
        );
        let long = text(|p| installed(p, &receipts, true));
        assert_eq!(
            long.out,
            "hello 1.0.0 (signed by -, installed at 2026-01-02T03:04:05Z)\n\
             imports and exports unknown: not WebAssembly, or installed before they were recorded\n"
        );
        let none = text(|p| installed(p, &[], false));
        assert_eq!(none.out, "nothing is installed\n");
        let value = json(|p| installed(p, &receipts, false));
        assert_eq!(value[0]["name"], "hello");
    }

    #[test]
    fn several_registries_are_one_table_with_a_registry_column() {
        let hello = testing::entry("hello", "1.0.0");
        let mut old = testing::entry("hello", "0.9.0");
        old.yanked = true;
        let indexes = [
            ("main".to_string(), testing::index(vec![hello, old])),
            ("extra".to_string(), testing::index(Vec::new())),
        ];
        let shown = text(|p| list_registries(p, &indexes, IndexCheck::NoTrustRoot));
        let lines: Vec<&str> = shown.out.lines().collect();
        assert_eq!(
            lines[..3],
            [
                "NAME   VERSION         REGISTRY  SIGNATURE  DESCRIPTION",
                "hello  1.0.0           main      none",
                "hello  0.9.0 (yanked)  main      none",
            ]
        );
        assert!(lines[3].starts_with("main: the index's signature was not verified"));
        assert!(lines[4].starts_with("extra: "));
        let value = json(|p| list_registries(p, &indexes, IndexCheck::NoTrustRoot));
        assert_eq!(value[1]["registry"], "extra");
        let empty = text(|p| list_registries(p, &[], IndexCheck::NoTrustRoot));
        assert_eq!(empty.out, "the manifest's registries list no plugins\n");
    }
}
