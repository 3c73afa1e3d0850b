//! `outdated`: the installed plugins a registry has newer versions of.

use crate::cli::args::{IndexArgs, required};
use crate::cli::output::{Printer, shown_version, table};
use crate::cli::{Failure, Setup, Takes, Verb, Verdict, stdout_failure};
use clap::Args;
use std::io;
use std::path::{Path, PathBuf};
use wasm_plugin::{
    ErrorKind, FindRequest, Installer, Manifest, OutdatedPlugin, OutdatedRequest,
};

#[derive(Debug, Args)]
pub struct OutdatedArgs {
    /// The plugins directory (read only) [default: the wasm-plugin.toml's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    // The registry to compare with (--json: an array of {name, installed,
    // requirement, wanted, latest, yanked}, as the README says).
    #[command(flatten)]
    pub index: IndexArgs,
    /// The plugin set the directory is synced from: the manifest, when it
    /// is in use (its lock exists) and --dest is its dest (set when the
    /// manifest is lowered).
    #[arg(skip)]
    pub set: Option<Manifest>,
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
        let locked = Path::new(&manifest.path).with_extension("lock").exists();
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        };
        let synced = match (&self.dest, &manifest.dest) {
            (Some(dest), Some(declared)) => same(dest, Path::new(declared)),
            _ => false,
        };
        if locked && synced && !manifest.plugins.is_empty() {
            self.set = Some(manifest.clone());
        }
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let dest = required(self.dest.as_deref(), "--dest", "dest")?;
        let index = &self.index;
        let registry = required(
            index.registry.as_deref(),
            "--registry",
            "a default registry",
        )?;
        let mut registries = vec![registry];
        if let Some(set) = &self.set {
            registries.extend(set.registries.iter().map(|(_, l)| l.as_str()));
        }
        let installer = setup.installer(Some(index.remote.fetch(false, &registries)?))?;
        let mut request = OutdatedRequest::new(index.remote.registry(registry), dest)
            .allow_expired(index.remote.allow_expired);
        if let Some(dir) = &index.trust_root {
            request = request.trust_root(dir);
        }
        let mut rows = installer.outdated(&request)?;
        let advice = match &self.set {
            Some(set) => {
                self.follow(&installer, set, registry, &mut rows)?;
                Advice::Set
            }
            None => Advice::Receipts,
        };
        outdated(out, &rows, advice).map_err(stdout_failure)
    }
}

impl OutdatedArgs {
    /// In a synced directory the manifest, not the receipt, says what a
    /// plugin may move to (sync installs the pinned version and records no
    /// requirement): each declared plugin's requirement is the manifest's,
    /// and WANTED the version it admits in its registry (what `lock
    /// --upgrade` would pin), found by the same resolver as install's. A
    /// plugin from another registry than the default is compared with its
    /// own registry.
    fn follow(
        &self,
        installer: &Installer,
        set: &Manifest,
        read: &str,
        rows: &mut [OutdatedPlugin],
    ) -> Result<(), Failure> {
        let find = |location: &str, spec: &str, version: Option<&str>| {
            let mut request = FindRequest::new(self.index.remote.registry(location), spec)
                .allow_expired(self.index.remote.allow_expired);
            if let Some(dir) = &self.index.trust_root {
                request = request.trust_root(dir);
            }
            if let Some(version) = version {
                request = request.version(version);
            }
            match installer.find_entry(&request) {
                Ok(entry) => Ok(Some(entry)),
                Err(e) if [ErrorKind::UnknownPlugin, ErrorKind::UnknownVersion]
                    .contains(&e.kind()) =>
                {
                    Ok(None)
                }
                Err(e) => Err(Failure::from(e)),
            }
        };
        for row in rows.iter_mut() {
            let Some(declared) = set.plugins.iter().find(|p| p.name == row.name) else {
                continue;
            };
            let Some(location) = declared
                .registry
                .as_deref()
                .or(set.default_registry.as_deref())
                .and_then(|name| set.registries.iter().find(|(n, _)| n == name))
                .map(|(_, location)| location.as_str())
            else {
                continue;
            };
            row.requirement = declared.requirement.clone();
            let spec = match &declared.requirement {
                Some(requirement) => format!("{}@{requirement}", row.name),
                None => row.name.clone(),
            };
            row.wanted = find(location, &spec, None)?.map(|e| e.version);
            if location != read {
                row.latest = find(location, &row.name, None)?.map(|e| e.version);
                row.yanked = find(location, &row.name, Some(&row.installed))?
                    .is_some_and(|e| e.yanked);
            }
        }
        Ok(())
    }
}

/// What `outdated`'s summary advises: where a plugin's requirement lives,
/// so what moves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// Installed by hand: each receipt records its requirement, and
    /// `upgrade` moves within it.
    Receipts,
    /// Synced from a plugin set: the manifest holds the requirements and
    /// the lock the versions, so `lock --upgrade` and `sync` move them
    /// (an `upgrade` would leave the directory off its lock).
    Set,
}

/// `outdated`: each installed plugin, what its requirement admits, and the
/// newest of all.
pub fn outdated(p: &mut Printer, rows: &[OutdatedPlugin], advice: Advice) -> io::Result<Verdict> {
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
    let n = rows.len();
    match advice {
        Advice::Receipts => writeln!(
            out,
            "{behind} of {n} plugin(s) behind what their requirement admits (`wasm-plugin \
             upgrade --all` takes them there); {held} held back by their requirement \
             (`upgrade NAME@REQ` changes it)"
        )?,
        Advice::Set => writeln!(
            out,
            "{behind} of {n} plugin(s) behind what wasm-plugin.toml admits (`wasm-plugin lock \
             --upgrade` pins them there, then `wasm-plugin sync` installs them); {held} held \
             back by their requirement in wasm-plugin.toml (edit it, then `lock --upgrade NAME`)"
        )?,
    }
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
        let shown = text(|p| outdated(p, &rows, Advice::Receipts));
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
        let value = json(|p| outdated(p, &rows, Advice::Receipts));
        assert_eq!(value[0]["wanted"], "1.1.0");
    }

    #[test]
    fn outdated_in_a_synced_directory_advises_lock_upgrade_and_sync() {
        let mut pinned = testing::outdated("colmask", "0.3.1", "0.3.1", "0.4.0");
        pinned.requirement = Some("=0.3.1".into());
        let rows = [testing::outdated("hello", "1.0.0", "1.1.0", "1.1.0"), pinned];
        let shown = text(|p| outdated(p, &rows, Advice::Set));
        let lines: Vec<&str> = shown.out.lines().collect();
        assert_eq!(lines[2], "colmask  0.3.1      0.3.1   0.4.0   =0.3.1");
        assert!(
            lines[3].contains("behind what wasm-plugin.toml admits (`wasm-plugin lock --upgrade`"),
            "{}",
            shown.out
        );
        assert!(lines[3].contains("then `wasm-plugin sync` installs them"));
        assert!(!shown.out.contains("upgrade --all"), "{}", shown.out);
    }
}
