//! `sync`: make a plugins directory hold exactly what wasm-plugin.toml
//! declares, as wasm-plugin.lock pins it. Its renderer prints lock's
//! report too.

use crate::cli::args::{LockArgs, NetArgs, PolicyArgs, WorldArgs};
use crate::cli::output::{Printer, plural, shown_version};
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use clap::Args;
use serde_json::{Value, json};
use std::io;
use std::path::PathBuf;
use wasm_plugin::{Manifest, SyncChange, SyncReport, SyncRequest, SyncStep};

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
        let report = installer
            .sync(&request)
            .map_err(|e| Failure::from(e).naming_manifest(&declared))?;
        sync(out, &report, &declared).map_err(stdout_failure)
    }
}

/// What a sync did, a line per plugin (kept ones counted), failures on
/// standard error, each naming its registry; the first failure's exit code.
pub fn sync(p: &mut Printer, r: &SyncReport, declared: &Manifest) -> io::Result<Verdict> {
    render(p, r, declared, Changes::Plugins)
}

/// What `lock` did to the pins. The lock is written whole or not at all,
/// so when a plugin cannot be pinned no pin is reported as made: the
/// failures (each naming its registry) and that the lock was not written.
pub fn lock(p: &mut Printer, r: &SyncReport, declared: &Manifest) -> io::Result<Verdict> {
    render(p, r, declared, Changes::Pins)
}

/// What a report's changes change: a plugins directory (`sync`) or only
/// the lock's pins (`lock`, which has no plugins directory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Changes {
    Plugins,
    Pins,
}

fn render(
    p: &mut Printer,
    r: &SyncReport,
    declared: &Manifest,
    changes: Changes,
) -> io::Result<Verdict> {
    let failed: Vec<&SyncChange> = r.changes.iter().filter(|c| c.error.is_some()).collect();
    let code = failed
        .first()
        .and_then(|c| c.error.as_ref())
        .map_or(Verdict::Done, |e| Verdict::PartlyFailed(e.exit_code()));
    // A lock that was not written changed no pin, whatever resolved.
    let unwritten = changes == Changes::Pins && !failed.is_empty() && !r.dry_run;
    if p.is_json() {
        p.json(&json_report(r, changes, unwritten))?;
        return Ok(code);
    }
    let (out, err) = p.streams();
    let would = if r.dry_run { "would " } else { "" };
    let (mut kept, mut changed) = (0, 0);
    for c in &r.changes {
        let (name, from, to) = (
            &c.name,
            c.from.as_deref().map_or("?", shown_version),
            c.to.as_deref().map_or("?", shown_version),
        );
        if let Some(e) = &c.error {
            out.flush()?;
            let _ = writeln!(
                err,
                "error: {name} (registry '{}'): {}",
                registry_of(declared, name),
                e.text()
            );
            continue;
        }
        match c.step {
            SyncStep::Keep => kept += 1,
            _ => changed += 1,
        }
        if unwritten {
            continue;
        }
        match (changes, c.step) {
            (_, SyncStep::Keep) => {}
            (Changes::Pins, SyncStep::Install) => writeln!(out, "{would}pin {name} {to}")?,
            (Changes::Pins, SyncStep::Remove) => writeln!(out, "{would}unpin {name} {from}")?,
            (Changes::Pins, _) => writeln!(out, "{would}move {name} {from} -> {to}")?,
            (Changes::Plugins, SyncStep::Install) => writeln!(out, "{would}install {name} {to}")?,
            (Changes::Plugins, SyncStep::Upgrade) => {
                writeln!(out, "{would}upgrade {name} {from} -> {to}")?
            }
            (Changes::Plugins, SyncStep::Downgrade) => {
                writeln!(out, "{would}downgrade {name} {from} -> {to}")?
            }
            (Changes::Plugins, SyncStep::Reinstall) => {
                writeln!(out, "{would}reinstall {name} {to}")?
            }
            (Changes::Plugins, SyncStep::Remove) => writeln!(out, "{would}remove {name} {from}")?,
            // The steps are non-exhaustive: one this renderer predates is
            // shown by its WIT name.
            (_, step) => {
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
    let lock = &r.lock;
    if changes == Changes::Pins && !failed.is_empty() {
        // Not a summary of pins: none was (or would be) made.
        out.flush()?;
        let names: Vec<&str> = failed.iter().map(|c| c.name.as_str()).collect();
        let (written, changed) = match r.dry_run {
            true => ("would not be written", "would change"),
            false => ("not written", "changed"),
        };
        let _ = writeln!(
            err,
            "error: {lock} {written}: {} could not be pinned, and lock pins every plugin or \
             none (no pin {changed})",
            names.join(", ")
        );
        return Ok(code);
    }
    let lock_line = match (r.lock_changed, failed.is_empty(), r.dry_run) {
        (true, _, true) => format!("would write {lock}"),
        (true, _, false) => format!("wrote {lock}"),
        (false, false, _) => format!("{lock} keeps the pins of the plugins that failed"),
        (false, true, _) => format!("{lock} unchanged"),
    };
    let counts = match changes {
        Changes::Pins => pin_counts(changed, kept, r.dry_run),
        Changes::Plugins => plugin_counts(changed, kept, failed.len(), r.dry_run),
    };
    writeln!(out, "{counts}; {lock_line}")?;
    Ok(code)
}

/// `sync`'s summary: the plugins changed, those already as pinned, those
/// that failed (a count of none left out).
fn plugin_counts(changed: usize, kept: usize, failed: usize, dry_run: bool) -> String {
    let mut parts = Vec::new();
    if changed > 0 {
        parts.push(match dry_run {
            true => format!("would change {}", plural(changed, "plugin")),
            false => format!("changed {}", plural(changed, "plugin")),
        });
    }
    if kept > 0 {
        parts.push(format!("{} as pinned", plural(kept, "plugin")));
    }
    if failed > 0 {
        parts.push(format!("{failed} failed"));
    }
    match parts.is_empty() {
        true => "no plugins declared".into(),
        false => parts.join(", "),
    }
}

/// `lock`'s summary: the pins made, moved or dropped, and those kept (when
/// any).
fn pin_counts(changed: usize, kept: usize, dry_run: bool) -> String {
    match (changed, kept) {
        (0, 0) => "no plugins declared".into(),
        (0, kept) => format!("every pin kept ({kept})"),
        (changed, kept) => {
            let changes = match changed {
                1 => "1 pin".to_string(),
                n => format!("{n} pins"),
            };
            let verb = if dry_run { "would change" } else { "changed" };
            match kept {
                0 => format!("{verb} {changes}"),
                kept => format!("{verb} {changes}, kept {kept}"),
            }
        }
    }
}

/// The plugin's registry, as the manifest names it.
fn registry_of<'m>(declared: &'m Manifest, name: &str) -> &'m str {
    declared
        .plugins
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.registry.as_deref())
        .or(declared.default_registry.as_deref())
        .unwrap_or("?")
}

/// The report as JSON, each change's error in the failure form. `lock`'s
/// has no `dest` and speaks of pins (`pin`, `move`, `unpin`, `keep`); one
/// that wrote nothing because a plugin could not be pinned lists the
/// failures alone.
fn json_report(r: &SyncReport, changes: Changes, unwritten: bool) -> Value {
    let items: Vec<Value> = r
        .changes
        .iter()
        .filter(|c| !unwritten || c.error.is_some())
        .map(|c| {
            let mut item = serde_json::to_value(c).unwrap_or(Value::Null);
            item["error"] = match &c.error {
                Some(e) => serde_json::to_value(e.clone().into_error()).unwrap_or(Value::Null),
                None => Value::Null,
            };
            if changes == Changes::Pins
                && let Some(fields) = item.as_object_mut()
            {
                fields.remove("signed_by");
                let step = match c.step {
                    SyncStep::Install => "pin",
                    SyncStep::Remove => "unpin",
                    SyncStep::Keep => "keep",
                    SyncStep::Upgrade | SyncStep::Downgrade | SyncStep::Reinstall => "move",
                    // A step this renderer predates (they are non-exhaustive).
                    _ => "change",
                };
                fields.insert("step".into(), json!(step));
            }
            item
        })
        .collect();
    let mut value = serde_json::to_value(r).unwrap_or(Value::Null);
    value["changes"] = Value::Array(items);
    if changes == Changes::Pins
        && let Some(fields) = value.as_object_mut()
    {
        fields.remove("dest");
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, text};
    use wasm_plugin::SyncStep as S;

    #[test]
    fn sync_says_each_change_and_counts_the_kept() {
        let report = testing::sync(
            "plugins",
            vec![
                testing::change("hello", S::Upgrade, Some("1.0.0"), Some("1.1.0")),
                testing::change("colmask", S::Keep, Some("0.3.1"), Some("0.3.1")),
                testing::change("old", S::Remove, Some("0.1.0"), None),
            ],
        );
        let declared = testing::declaring(&[("hello", None), ("colmask", None)]);
        let shown = text(|p| sync(p, &report, &declared));
        assert_eq!(
            shown.out,
            "upgrade hello 1.0.0 -> 1.1.0\nremove old 0.1.0\n\
             changed 2 plugins, 1 plugin as pinned; wasm-plugin.lock unchanged\n"
        );
        let value = json(|p| sync(p, &report, &declared));
        assert_eq!(value["dest"], "plugins");
        assert_eq!(value["changes"][0]["step"], "upgrade");
        assert_eq!(value["changes"][0]["error"], serde_json::Value::Null);
    }

    #[test]
    fn a_summary_leaves_out_the_counts_of_none() {
        let mut report = testing::sync(
            "plugins",
            vec![testing::change("hello", S::Install, None, Some("1.0.0"))],
        );
        report.lock_changed = true;
        let declared = testing::declaring(&[("hello", None)]);
        let shown = text(|p| sync(p, &report, &declared));
        assert_eq!(
            shown.out,
            "install hello 1.0.0\nchanged 1 plugin; wrote wasm-plugin.lock\n"
        );
        let empty = testing::sync("plugins", Vec::new());
        let shown = text(|p| sync(p, &empty, &testing::declaring(&[])));
        assert_eq!(
            shown.out,
            "no plugins declared; wasm-plugin.lock unchanged\n"
        );
    }

    #[test]
    fn a_failure_names_the_plugins_registry() {
        let report = testing::sync(
            "plugins",
            vec![
                testing::change("hello", S::Install, None, Some("1.0.0")),
                testing::failed_change("geoip", "internal/index.json: malformed"),
            ],
        );
        let declared = testing::declaring(&[("hello", None), ("geoip", Some("internal"))]);
        let shown = text(|p| sync(p, &report, &declared));
        assert_eq!(
            shown.err,
            "error: geoip (registry 'internal'): internal/index.json: malformed\n"
        );
        assert_eq!(
            shown.out,
            "install hello 1.0.0\nchanged 1 plugin, 1 failed; \
             wasm-plugin.lock keeps the pins of the plugins that failed\n"
        );
    }

    #[test]
    fn lock_speaks_of_pins_and_its_json_has_no_dest() {
        let mut report = testing::sync(
            "",
            vec![
                testing::change("hello", S::Install, None, Some("1.0.0")),
                testing::change("colmask", S::Upgrade, Some("0.3.0"), Some("0.3.1")),
                testing::change("old", S::Keep, Some("0.1.0"), Some("0.1.0")),
            ],
        );
        report.lock_changed = true;
        let declared = testing::declaring(&[("hello", None), ("colmask", None), ("old", None)]);
        let shown = text(|p| lock(p, &report, &declared));
        assert_eq!(
            shown.out,
            "pin hello 1.0.0\nmove colmask 0.3.0 -> 0.3.1\n\
             changed 2 pins, kept 1; wrote wasm-plugin.lock\n"
        );
        report.dry_run = true;
        let shown = text(|p| lock(p, &report, &declared));
        assert!(
            shown
                .out
                .ends_with("would change 2 pins, kept 1; would write wasm-plugin.lock\n"),
            "{}",
            shown.out
        );
        let value = json(|p| lock(p, &report, &declared));
        assert!(value.get("dest").is_none(), "{value}");
        let steps: Vec<&str> = value["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["step"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["pin", "move", "keep"]);
        assert!(value["changes"][0].get("signed_by").is_none(), "{value}");
        let mut kept = testing::sync("", vec![testing::change("old", S::Keep, None, None)]);
        let shown = text(|p| lock(p, &kept, &declared));
        assert_eq!(shown.out, "every pin kept (1); wasm-plugin.lock unchanged\n");
        // A kept pin still names the versions a world passed over.
        kept.changes[0].skipped = vec![testing::unfit("2.0.0", "no export run")];
        let shown = text(|p| lock(p, &kept, &declared));
        assert_eq!(
            shown.out,
            "  skipped old 2.0.0: incompatible, no export run\n\
             every pin kept (1); wasm-plugin.lock unchanged\n"
        );
    }

    #[test]
    fn a_lock_with_a_plugin_that_cannot_be_pinned_reports_no_pin() {
        let report = testing::sync(
            "",
            vec![
                testing::change("hello", S::Install, None, Some("1.0.0")),
                testing::failed_change("geoip", "internal/index.json: malformed"),
            ],
        );
        let declared = testing::declaring(&[("hello", None), ("geoip", Some("internal"))]);
        let shown = text(|p| lock(p, &report, &declared));
        assert_eq!(shown.out, "");
        assert_eq!(
            shown.err,
            "error: geoip (registry 'internal'): internal/index.json: malformed\n\
             error: wasm-plugin.lock not written: geoip could not be pinned, and lock pins \
             every plugin or none (no pin changed)\n"
        );
        assert_eq!(shown.verdict, Verdict::PartlyFailed(2));
        let value = json(|p| lock(p, &report, &declared));
        assert_eq!(value["lock_changed"], false);
        let names: Vec<&str> = value["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["geoip"], "{value}");
        assert_eq!(value["changes"][0]["error"]["exit_code"], 2);
        // A dry run shows the plan, and that it would not be written.
        let mut planned = report.clone();
        planned.dry_run = true;
        let shown = text(|p| lock(p, &planned, &declared));
        assert_eq!(shown.out, "would pin hello 1.0.0\n");
        assert!(
            shown
                .err
                .ends_with("error: wasm-plugin.lock would not be written: geoip could not be \
                            pinned, and lock pins every plugin or none (no pin would change)\n"),
            "{}",
            shown.err
        );
    }
}
