//! `sync`: make a plugins directory hold exactly what wasm-plugin.toml
//! declares, as wasm-plugin.lock pins it. Its renderer prints lock's
//! report too.

use crate::cli::args::{LockArgs, NetArgs, PolicyArgs, WorldArgs};
use crate::cli::output::{Printer, plural, shown_version};
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use clap::Args;
use serde_json::Value;
use std::io;
use std::path::PathBuf;
use wasm_plugin::{SyncReport, SyncRequest, SyncStep};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The plugins directory [default: the manifest's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Directory of trusted *.pub keys (or one *.pub file) [default: the manifest's trust_root]
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// Print what would change, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse to change wasm-plugin.lock: fail when it and the manifest
    /// disagree (for CI and fleets)
    #[arg(long)]
    pub locked: bool,
    /// How many plugins to fetch and place at once
    #[arg(long, short = 'j', value_name = "N", default_value_t = wasm_plugin::DEFAULT_SYNC_JOBS as u16,
          value_parser = clap::value_parser!(u16).range(1..=wasm_plugin::MAX_SYNC_JOBS as i64))]
    pub jobs: u16,
    #[command(flatten)]
    pub net: NetArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub world: WorldArgs,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for SyncArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn quiet(&self) -> bool {
        self.net.quiet
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let manifest = setup.manifest_path("sync")?;
        // The manifest's registries are the ones a CI token may go to.
        let declared = setup.installer(None)?.read_manifest(&manifest)?;
        let registries: Vec<&str> = declared
            .registries
            .iter()
            .map(|(_, l)| l.as_str())
            .collect();
        let installer = setup.writer(self.net.fetch(self.json, &registries)?)?;
        let mut policy = self.policy;
        policy.fill(&declared);
        let mut request = SyncRequest::new(&manifest)
            .dry_run(self.dry_run)
            .locked(self.locked)
            .jobs(usize::from(self.jobs))
            .plain_http(self.net.remote.plain_http)
            .allow_expired(self.net.remote.allow_expired)
            .max_size(self.net.max_size)
            .lock_timeout(self.lock.lock_timeout);
        if let Some(dir) = &self.dest {
            request = request.dest(dir);
        }
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        for glob in &policy.allow {
            request = request.allow_import(glob);
        }
        for glob in &policy.deny {
            request = request.deny_import(glob);
        }
        if let Some(wit) = &self.world.wit {
            request = request.world(wit, self.world.name.as_deref());
        }
        let report = installer.sync(&request)?;
        sync(out, &report).map_err(stdout_failure)
    }
}

/// What a sync did, a line per plugin (kept ones counted), failures on
/// standard error; the first failure's exit code.
pub fn sync(p: &mut Printer, r: &SyncReport) -> io::Result<Verdict> {
    let code = r
        .changes
        .iter()
        .find_map(|c| c.error.as_ref())
        .map_or(Verdict::Done, |e| Verdict::PartlyFailed(e.exit_code()));
    if p.is_json() {
        let mut value = serde_json::to_value(r).unwrap_or(Value::Null);
        if let Some(changes) = value["changes"].as_array_mut() {
            for (item, change) in changes.iter_mut().zip(&r.changes) {
                item["error"] = match &change.error {
                    Some(e) => serde_json::to_value(e.clone().into_error()).unwrap_or(Value::Null),
                    None => Value::Null,
                };
            }
        }
        p.json(&value)?;
        return Ok(code);
    }
    let (out, err) = p.streams();
    let would = if r.dry_run { "would " } else { "" };
    // `lock` changes pins, not plugins (it has no plugins directory).
    let lock_only = r.dest.is_empty();
    let mut kept = 0;
    for c in &r.changes {
        let (name, from, to) = (
            &c.name,
            c.from.as_deref().map_or("?", shown_version),
            c.to.as_deref().map_or("?", shown_version),
        );
        if let Some(e) = &c.error {
            out.flush()?;
            let _ = writeln!(err, "error: {name}: {}", e.text());
            continue;
        }
        match c.step {
            SyncStep::Keep => kept += 1,
            SyncStep::Install if lock_only => writeln!(out, "{would}pin {name} {to}")?,
            SyncStep::Remove if lock_only => writeln!(out, "{would}unpin {name} {from}")?,
            SyncStep::Upgrade | SyncStep::Downgrade | SyncStep::Reinstall if lock_only => {
                writeln!(out, "{would}move {name} {from} -> {to}")?
            }
            SyncStep::Install => writeln!(out, "{would}install {name} {to}")?,
            SyncStep::Upgrade => writeln!(out, "{would}upgrade {name} {from} -> {to}")?,
            SyncStep::Downgrade => writeln!(out, "{would}downgrade {name} {from} -> {to}")?,
            SyncStep::Reinstall => writeln!(out, "{would}reinstall {name} {to}")?,
            SyncStep::Remove => writeln!(out, "{would}remove {name} {from}")?,
            // The steps are non-exhaustive: one this renderer predates is
            // shown by its WIT name.
            step => {
                let step = serde_json::to_value(step).unwrap_or_default();
                let step = step.as_str().unwrap_or("change");
                writeln!(out, "{would}{step} {name} {from} -> {to}")?
            }
        }
        for unfit in &c.skipped {
            writeln!(
                out,
                "  skipped {name} {}: incompatible, {}",
                unfit.version, unfit.reason
            )?;
        }
    }
    let failed = r.changes.iter().any(|c| c.error.is_some());
    let lock = match (r.lock_changed, failed) {
        (true, _) => format!("{would}write {}", r.lock),
        (false, true) => format!("{} keeps the pins of the plugins that failed", r.lock),
        (false, false) => format!("{} unchanged", r.lock),
    };
    writeln!(out, "{} as pinned; {lock}", plural(kept, "plugin"))?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, text};

    #[test]
    fn sync_says_each_change_and_counts_the_kept() {
        use wasm_plugin::SyncStep as S;
        let report = testing::sync(
            "plugins",
            vec![
                testing::change("hello", S::Upgrade, Some("1.0.0"), Some("1.1.0")),
                testing::change("colmask", S::Keep, Some("0.3.1"), Some("0.3.1")),
                testing::change("old", S::Remove, Some("0.1.0"), None),
            ],
        );
        let shown = text(|p| sync(p, &report));
        assert_eq!(
            shown.out,
            "upgrade hello 1.0.0 -> 1.1.0\nremove old 0.1.0\n1 plugin as pinned; wasm-plugin.lock unchanged\n"
        );
        let value = json(|p| sync(p, &report));
        assert_eq!(value["changes"][0]["step"], "upgrade");
        assert_eq!(value["changes"][0]["error"], serde_json::Value::Null);
    }
}
