//! What the verbs that change a plugins directory print: install,
//! upgrade (and its dry run), uninstall, forget-registry, sync and lock.

use super::{Printer, Verdict, first_failure, plural, shown_version};
use serde_json::{Value, json};
use std::io::{self, Write};
use std::path::Path;
use wasm_plugin::{
    ForgetReport, InstallAction, InstallReport, Outcome, SyncReport, SyncStep, UninstallReport,
};

/// Install's and upgrade's results. `upgrade` says what an unchanged plugin
/// means there: nothing higher, not a checked copy.
pub fn install_outcomes(
    p: &mut Printer,
    outcomes: &[Outcome<InstallReport>],
    upgrade: bool,
) -> io::Result<Verdict> {
    let code = first_failure(outcomes);
    if p.is_json() {
        let items: Vec<Value> = outcomes
            .iter()
            .map(|(spec, result)| match result {
                Ok(report) => serde_json::to_value(report).unwrap_or(Value::Null),
                Err(failure) => {
                    let mut item = json!({"error": failure});
                    item["spec"] = json!(spec);
                    item
                }
            })
            .collect();
        p.json(&items)?;
        return Ok(code);
    }
    let (mut out, err) = p.streams();
    for (spec, result) in outcomes {
        match result {
            Ok(r) => install_report(&mut out, r, upgrade)?,
            Err(failure) => {
                out.flush()?;
                let _ = writeln!(err, "error: {}: {}", spec, failure);
            }
        }
    }
    Ok(code)
}

fn install_report(out: &mut impl Write, r: &InstallReport, upgrade: bool) -> io::Result<()> {
    use InstallAction as A;
    let previous = r.previous_version.as_deref().map_or("?", shown_version);
    let (name, version, path) = (&r.name, shown_version(&r.version), &r.wasm_path);
    match r.action {
        A::Unchanged if upgrade => {
            writeln!(
                out,
                "{name} {version} is up to date; nothing to do (upgrade does not re-check the \
                 installed copy: `wasm-plugin audit` does, `wasm-plugin install` repairs it)"
            )?;
            return skipped_lines(out, r);
        }
        A::Unchanged => {
            // Intact includes its signature, checked again when a trust
            // root was given: say by whom.
            let signer = r
                .signed_by
                .as_deref()
                .map(|label| format!(", verified by '{label}'"))
                .unwrap_or_default();
            writeln!(
                out,
                "{name} {version} is already installed and intact{signer}; nothing to do"
            )?;
            return skipped_lines(out, r);
        }
        A::Installed => writeln!(out, "installed {name} {version} -> {path}")?,
        A::Upgraded => writeln!(out, "upgraded {name} {previous} -> {version} ({path})")?,
        A::Downgraded => writeln!(out, "downgraded {name} {previous} -> {version} ({path})")?,
        A::Reinstalled => writeln!(
            out,
            "reinstalled {name} {version} -> {path} (the installed copy did not match)"
        )?,
    }
    writeln!(
        out,
        "  sha256 {} ({} bytes) from {}",
        r.sha256, r.size, r.source
    )?;
    match (&r.signed_by, &r.sig_path) {
        (Some(label), _) => writeln!(out, "  verified by '{label}'")?,
        (None, Some(sig)) => writeln!(
            out,
            "  signature written to {sig} (not checked: no --trust-root)"
        )?,
        (None, None) => writeln!(out, "  unsigned (no --trust-root given)")?,
    }
    // A capability the version replaced did not have is worth a look
    // before the runtime hot-reloads it.
    if !r.new_imports.is_empty() {
        writeln!(
            out,
            "  new capability: now imports {}",
            r.new_imports.join(", ")
        )?;
    }
    skipped_lines(out, r)
}

/// The newer versions passed over because they do not fit the world.
fn skipped_lines(out: &mut impl Write, r: &InstallReport) -> io::Result<()> {
    for unfit in &r.skipped {
        writeln!(
            out,
            "  skipped {} {}: incompatible, {}",
            r.name, unfit.version, unfit.reason
        )?;
    }
    Ok(())
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

pub fn forgot(p: &mut Printer, r: &ForgetReport) -> io::Result<Verdict> {
    p.render(r, |out| match r.forgotten {
        Some(version) => writeln!(
            out,
            "forgot index version {version} of {} in {}; its next index is accepted whatever \
             its version, and recorded again",
            r.registry, r.dest
        ),
        None => writeln!(
            out,
            "nothing is recorded for {} in {}; recorded: {}",
            r.registry,
            r.dest,
            if r.recorded.is_empty() {
                "none".to_string()
            } else {
                r.recorded.join(", ")
            }
        ),
    })
}

pub fn nothing_installed(p: &mut Printer, dest: &Path) -> io::Result<Verdict> {
    if p.is_json() {
        p.json(&Vec::<Value>::new())?;
    } else {
        writeln!(p.people(), "nothing is installed in {}", dest.display())?;
    }
    Ok(Verdict::Done)
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
