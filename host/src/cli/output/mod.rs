//! Rendering reports: short human text, or JSON for scripts (`--json`).
//!
//! JSON is the library's reports, which mirror the WIT records field for
//! field (snake_case), so what a script reads is what an embedding runtime
//! gets. Every function returns the verdict of the command it renders;
//! `main` turns it into the exit code.

use super::Verdict;
use serde::Serialize;
use serde_json::{Value, json};
use std::io::{self, Write};
use std::path::Path;
use wasm_plugin::{
    AuditReport, CosignReport, FindingKind, ForgetReport, InstallAction, InstallReport,
    KeygenReport, MirrorReport, Outcome, OutdatedPlugin, PublishReport, Receipt, RegistryIndex,
    ScaffoldReport, SignReport, SyncReport, SyncStep, TrustSignedIndex, TrustSignedRoot,
    TrustSummary, UninstallReport, VerifyReport, YankReport,
};

/// Where a run's output goes, and in which form. Text for people goes to
/// `out` unless `-q` silenced it; JSON for scripts goes to `out` always;
/// errors of single items and warnings go to `err` (warnings silenced by
/// `-q` too). Renderers take it, so a test renders into a `Vec<u8>`.
pub struct Printer<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    json: bool,
    quiet: bool,
    /// Where text goes with `-q`.
    sink: io::Sink,
}

impl<'a> Printer<'a> {
    /// A printer writing to `out` and `err`: JSON when `json`, text
    /// silenced when `quiet`.
    pub fn new(out: &'a mut dyn Write, err: &'a mut dyn Write, json: bool, quiet: bool) -> Self {
        Printer {
            out,
            err,
            json,
            quiet,
            sink: io::sink(),
        }
    }

    /// Whether reports are printed as JSON.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Standard output as it is, for what is neither text nor JSON (a
    /// binary component, a completion script, a man page).
    pub fn raw(&mut self) -> &mut dyn Write {
        self.out
    }

    /// `value` as pretty JSON, on a line of its own.
    fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *self.out, value)?;
        writeln!(self.out)
    }

    /// Where text for people goes: `out`, or nowhere with `-q`.
    pub fn people(&mut self) -> &mut dyn Write {
        self.streams().0
    }

    /// Text for people and errors, both at once: an item's error is written
    /// between the text of the others.
    fn streams(&mut self) -> (&mut dyn Write, &mut dyn Write) {
        match self.quiet {
            true => (&mut self.sink, self.err),
            false => (self.out, self.err),
        }
    }

    /// Warnings go to `err`, in either form (JSON carries them too); `-q`,
    /// where a verb takes it, silences them with all else but errors.
    fn warn(&mut self, warnings: &[String]) {
        if self.quiet {
            return;
        }
        for warning in warnings {
            let _ = writeln!(self.err, "warning: {warning}");
        }
    }

    /// A report that succeeded: as JSON, or as text written by `human`.
    fn render<T: Serialize + ?Sized>(
        &mut self,
        report: &T,
        human: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<Verdict> {
        if self.json {
            self.json(report)?;
        } else {
            human(self.people())?;
        }
        Ok(Verdict::Done)
    }
}

/// The exit code of several independent operations: the first failure's.
fn first_failure<'a, R: 'a>(outcomes: impl IntoIterator<Item = &'a Outcome<R>>) -> Verdict {
    outcomes
        .into_iter()
        .find_map(|(_, result)| result.as_ref().err())
        .map_or(Verdict::Done, |e| Verdict::PartlyFailed(e.exit_code()))
}

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
                    let mut item = failure.to_json();
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

/// A version as shown to people: an unversioned entry (the loader's format
/// allows leaving `version` out) says so instead of printing nothing.
fn shown_version(version: &str) -> &str {
    if version.is_empty() {
        "(unversioned)"
    } else {
        version
    }
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

pub fn yank(p: &mut Printer, r: &YankReport) -> io::Result<Verdict> {
    p.render(r, |out| {
        let what = if r.yanked { "yanked" } else { "unyanked" };
        match r.unchanged {
            true => writeln!(
                out,
                "{} {} is already {what} in {}; nothing to do",
                r.name, r.version, r.registry
            ),
            false => writeln!(
                out,
                "{what} {} {} in {} (index version {}, {})",
                r.name,
                r.version,
                r.registry,
                r.index_version,
                if r.index_signed { "signed" } else { "unsigned" }
            ),
        }
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
                    let mut item = failure.to_json();
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

/// Left-aligned columns; the last one is not padded.
fn table(out: &mut (impl Write + ?Sized), header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let widths: Vec<usize> = (0..header.len())
        .map(|col| {
            rows.iter()
                .map(|r| r[col].chars().count())
                .chain([header[col].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (col, cell) in row.iter().enumerate() {
            // Padded by hand: `format!`'s width stops at 65535 and panics
            // past it, and a registry may publish a longer description.
            line.push_str(cell);
            let pad = widths[col].saturating_sub(cell.chars().count()) + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
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
                    match p.yanked {
                        true => format!("{} (yanked)", shown_version(&p.version)),
                        false => shown_version(&p.version).to_string(),
                    },
                    signature_column(p),
                    p.description.clone().unwrap_or_default(),
                ]
            })
            .collect();
        table(out, &["NAME", "VERSION", "SIGNATURE", "DESCRIPTION"], &rows)?;
        writeln!(out, "{}", index_trust(index, checked))
    })
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
    fn unverified(self) -> &'static str {
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
    writeln!(
        out,
        "  listed in {} (index version {}, {}, {})",
        index.path,
        index.version.map_or("none".into(), |v| v.to_string()),
        index
            .expires
            .as_deref()
            .map_or("no expiry".into(), |e| format!("expires {e}")),
        index.signed_by.as_deref().map_or(
            format!("index signature not verified ({})", checked.unverified()),
            |k| format!("index signed by '{k}'")
        ),
    )?;
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
    Ok(Verdict::Done)
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
                    shown_version(&p.version).to_string(),
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

pub fn audit(p: &mut Printer, report: &AuditReport) -> io::Result<Verdict> {
    let findings = report.stray.len()
        + report
            .plugins
            .iter()
            .map(|p| p.findings.len())
            .sum::<usize>();
    let code = if findings == 0 {
        Verdict::Done
    } else {
        Verdict::Findings
    };
    if p.is_json() {
        let plugins: Vec<Value> = report
            .plugins
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "version": p.version,
                    "sha256": p.sha256,
                    "signed_by": p.signed_by,
                    "status": if p.findings.is_empty() { "ok" } else { "finding" },
                    "findings": p.findings,
                })
            })
            .collect();
        p.json(&json!({
            "dest": report.dest,
            "clean": findings == 0,
            "plugins": plugins,
            "stray": report.stray,
        }))?;
        return Ok(code);
    }
    let out = p.people();
    for p in &report.plugins {
        let absent = if p
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::DeclaredMissing)
        {
            "(not installed)"
        } else if p
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::ReceiptInvalid)
        {
            "(receipt unreadable)"
        } else {
            "(no receipt)"
        };
        let version = p.version.as_deref().map_or(absent, shown_version);
        let signer = p
            .signed_by
            .as_deref()
            .map(|l| format!(", verified by '{l}'"))
            .unwrap_or_default();
        let status = if p.findings.is_empty() {
            "ok"
        } else {
            "FINDING"
        };
        writeln!(out, "{status:8} {} {version}{signer}", p.name)?;
        for f in &p.findings {
            writeln!(
                out,
                "         {}: {} ({})",
                finding_name(f.kind),
                f.detail,
                f.path
            )?;
        }
    }
    for f in &report.stray {
        writeln!(
            out,
            "FINDING  {}: {} ({})",
            finding_name(f.kind),
            f.detail,
            f.path
        )?;
    }
    match findings {
        0 => writeln!(
            out,
            "audit of {}: {} plugin(s), clean",
            report.dest,
            report.plugins.len()
        )?,
        n => writeln!(out, "audit of {}: {n} finding(s)", report.dest)?,
    }
    Ok(code)
}

fn finding_name(kind: FindingKind) -> &'static str {
    use FindingKind as F;
    match kind {
        F::Drift => "drift",
        F::SignatureInvalid => "signature invalid",
        F::SignatureMissing => "signature missing",
        F::WasmWithoutReceipt => "no receipt",
        F::ReceiptWithoutWasm => "receipt without plugin",
        F::ReceiptInvalid => "receipt unreadable",
        F::SigWithoutWasm => "signature without plugin",
        F::TempFile => "temp file",
        F::NotRegularFile => "not a regular file",
        F::DeclaredMissing => "declared, not installed",
        F::LockMismatch => "not as locked",
        F::NotDeclared => "not declared",
        F::Yanked => "yanked",
        F::CapabilityDenied => "capability denied",
    }
}

pub fn verify(p: &mut Printer, r: &VerifyReport) -> io::Result<Verdict> {
    p.render(r, |out| {
        writeln!(
            out,
            "sha256 {}  {} ({} bytes)",
            r.sha256, r.artifact, r.size
        )?;
        match (&r.signed_by, &r.signature_path) {
            (Some(label), _) => writeln!(out, "verified by '{label}'")?,
            (None, Some(sig)) => {
                writeln!(out, "signature {sig} not checked (no --trust-root given)")?
            }
            (None, None) => writeln!(out, "no signature (none given, no sidecar)")?,
        }
        capabilities(
            out,
            r.imports.as_deref(),
            r.exports.as_deref(),
            "not a WebAssembly component or module",
        )?;
        if let Some(world) = &r.fits {
            writeln!(out, "fits the {world}")?;
        }
        Ok(())
    })
}

/// What a plugin imports and exports, one per line, or why they are
/// `unknown`.
fn capabilities(
    out: &mut dyn Write,
    imports: Option<&[String]>,
    exports: Option<&[String]>,
    unknown: &str,
) -> io::Result<()> {
    let (Some(imports), Some(exports)) = (imports, exports) else {
        return writeln!(out, "imports and exports unknown: {unknown}");
    };
    for (what, names) in [("imports", imports), ("exports", exports)] {
        match names.is_empty() {
            true => writeln!(out, "{what}: none")?,
            false => {
                writeln!(out, "{what}:")?;
                for name in names {
                    writeln!(out, "  {name}")?;
                }
            }
        }
    }
    Ok(())
}

pub fn scaffold(p: &mut Printer, r: &ScaffoldReport) -> io::Result<Verdict> {
    let out = p.people();
    writeln!(out, "created {}", r.dir)?;
    for file in &r.files {
        writeln!(out, "  {file}")?;
    }
    writeln!(
        out,
        "build it with: cd {} && cargo build --target wasm32-wasip2 --release",
        r.dir
    )?;
    writeln!(out, "its README.md says how to sign and publish it")?;
    Ok(Verdict::Done)
}

pub fn keygen(p: &mut Printer, r: &KeygenReport) -> io::Result<Verdict> {
    p.render(r, |out| {
        writeln!(
            out,
            "wrote {} (private: keep it secret, owner-only)",
            r.key_path
        )?;
        writeln!(
            out,
            "wrote {} (public: put it in operators' trust roots)",
            r.pub_path
        )?;
        writeln!(out, "public key {}", r.public_key)?;
        Ok(())
    })
}

pub fn sign(p: &mut Printer, r: &SignReport) -> io::Result<Verdict> {
    if p.is_json() {
        p.json(r)?;
        return Ok(Verdict::Done);
    }
    writeln!(p.people(), "signed {} -> {}", r.artifact, r.signature_path)?;
    Ok(Verdict::Done)
}

pub fn publish(p: &mut Printer, r: &PublishReport) -> io::Result<Verdict> {
    p.warn(&r.warnings);
    p.render(r, |out| {
        let verb = if r.replaced { "replaced" } else { "published" };
        let signed = if r.signed { "signed" } else { "unsigned" };
        writeln!(
            out,
            "{verb} {} {} ({signed}) in {}",
            r.name, r.version, r.registry
        )?;
        if let Some(manifest) = &r.version_from {
            writeln!(out, "  version read from {manifest}")?;
        }
        writeln!(
            out,
            "  sha256 {} ({} bytes), artifact {}",
            r.sha256, r.size, r.artifact
        )?;
        if let Some(copy) = &r.copied_to {
            writeln!(out, "  copied to {copy}")?;
        }
        // An OCI registry has no index to version or expire.
        if r.index_version > 0 {
            let expiry = match &r.index_expires {
                Some(when) => format!("expires {when}"),
                None => "never expires (--expires-in sets it)".into(),
            };
            let signed = if r.index_signed { "signed" } else { "unsigned" };
            writeln!(
                out,
                "  index version {} ({signed}), {expiry}",
                r.index_version
            )?;
        }
        Ok(())
    })
}

pub fn mirror(p: &mut Printer, r: &MirrorReport) -> io::Result<Verdict> {
    p.render(r, |out| {
        for what in &r.fetched {
            writeln!(out, "fetched {what}")?;
        }
        writeln!(
            out,
            "mirrored {} plugin version(s) to {} ({} fetched, {} already there)",
            r.fetched.len() + r.kept.len(),
            r.index,
            r.fetched.len(),
            r.kept.len()
        )?;
        let index = match (r.index_verbatim, r.index_signed) {
            (true, true) if r.index_signed_with_key => {
                "the index was copied as published (it was unsigned) and signed with --key"
            }
            (true, true) => "the index was copied as published, with its signature",
            (true, false) => "the index was copied as published (it is unsigned)",
            (false, true) => "artifact paths were rewritten and the index re-signed with --key",
            (false, false) => {
                "artifact paths were rewritten, so the index is unsigned (pass --key to sign it)"
            }
        };
        writeln!(out, "{index}")?;
        Ok(())
    })
}

pub fn component(p: &mut Printer, what: &str, path: &Path, size: usize) -> io::Result<Verdict> {
    writeln!(
        p.people(),
        "wrote {what} to {} ({size} bytes)",
        path.display()
    )?;
    Ok(Verdict::Done)
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
                    Some(e) => e.to_json()["error"].clone(),
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
            let _ = writeln!(err, "error: {name}: {e}");
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

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// A `root.json`: who may sign what. `verb` heads the text ("wrote"), or
/// nothing for `trust show`.
pub fn trust_summary(p: &mut Printer, s: &TrustSummary, verb: &str) -> io::Result<Verdict> {
    p.render(s, |out| {
        let head = match verb {
            "" => String::new(),
            verb => format!("{verb} "),
        };
        writeln!(
            out,
            "{head}{} (root version {}, expires {})",
            s.path, s.version, s.expires
        )?;
        let role =
            |r: &wasm_plugin::RoleSpec| format!("{} of {}", r.threshold, r.labels.join(", "));
        writeln!(out, "  root:  {}", role(&s.root))?;
        writeln!(out, "  index: {}", role(&s.index))?;
        for p in &s.publishers {
            writeln!(out, "  publishers {}: {}", p.names.join(" "), role(&p.role))?;
        }
        for (label, id) in &s.keys {
            writeln!(out, "  key {label}: {id}")?;
        }
        let signed = match s.signed_by.is_empty() {
            true => "nobody listed in it".to_string(),
            false => s.signed_by.join(", "),
        };
        let state = match s.complete {
            true => "complete: clients accept it",
            false => {
                "incomplete: clients refuse it until a threshold of its root keys signs (`wasm-plugin trust sign`)"
            }
        };
        writeln!(out, "  signed by {signed}; {state}")
    })
}

pub fn signed_root(p: &mut Printer, r: &TrustSignedRoot) -> io::Result<Verdict> {
    p.render(r, |out| {
        let who = r.label.clone().unwrap_or_else(|| {
            format!(
                "key {} (not listed in this root: a previous root's key, for a rotation)",
                r.keyid
            )
        });
        let verb = if r.replaced { "signed again" } else { "signed" };
        writeln!(out, "{verb} {} as {who}", r.summary.path)?;
        let state = match r.summary.complete {
            true => "a threshold of its own root keys has signed",
            false => "its own root keys have not reached their threshold yet",
        };
        let by = match r.summary.signed_by.is_empty() {
            true => "none of its own keys yet".to_string(),
            false => r.summary.signed_by.join(", "),
        };
        writeln!(out, "  {state}; signed by {by}")
    })
}

pub fn signed_index(p: &mut Printer, r: &TrustSignedIndex) -> io::Result<Verdict> {
    p.render(r, |out| match r.unchanged {
        true => writeln!(
            out,
            "{} already holds this key's signature ({} in all)",
            r.signature_path, r.signatures
        ),
        false => writeln!(
            out,
            "added a signature to {} ({} in all)",
            r.signature_path, r.signatures
        ),
    })
}

pub fn cosign(p: &mut Printer, r: &CosignReport) -> io::Result<Verdict> {
    p.render(r, |out| {
        match r.unchanged {
            true => writeln!(
                out,
                "{} {} already carries a signature by key {}",
                r.name, r.version, r.keyid
            )?,
            false => writeln!(
                out,
                "signed {} {} in {} with key {} ({} signature(s) now); index version {} ({})",
                r.name,
                r.version,
                r.registry,
                r.keyid,
                r.signatures,
                r.index_version,
                if r.index_signed { "signed" } else { "unsigned" }
            )?,
        }
        Ok(())
    })
}

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
