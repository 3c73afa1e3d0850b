//! `audit`: check everything installed in a plugins directory against its
//! receipts, a trust root, the manifest's set and policy, and (with
//! `--registry`) what the registry has yanked.

use crate::cli::args::{LockArgs, PolicyArgs, RemoteArgs, required};
use crate::cli::output::{Printer, shown_version};
use crate::cli::{Failure, Setup, Takes, Verb, Verdict, stdout_failure};
use clap::Args;
use serde_json::{Value, json};
use std::io;
use std::path::PathBuf;
use wasm_plugin::{AuditReport, AuditRequest, FindingKind, IndexRequest, Manifest};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The plugins directory to audit (granted read-only) [default: the
    /// wasm-plugin.toml's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Directory of trusted *.pub keys (or one *.pub file); when given, every plugin must carry a
    /// signature by one of them
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// Also read this registry: an installed version it marks yanked is a
    /// finding (the only part of an audit that may use the network)
    #[arg(long, value_name = "INDEX-OR-URL")]
    pub registry: Option<String>,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Print every plugin with its status as JSON
    #[arg(long)]
    pub json: bool,
    /// The plugin set to check against, when one is in use (set by `fill`).
    #[arg(skip)]
    pub manifest: Option<PathBuf>,
}

impl Verb for AuditArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn takes(&self) -> Takes {
        // In a project, `audit --dest DIR` still checks against the
        // manifest's trust root: an audit that silently trusted nothing
        // would report a tampered signature as clean.
        Takes::Defaults {
            missing: self.dest.is_none() || self.trust_root.is_none(),
        }
    }

    /// Takes what the flags leave out from the manifest, and audits against
    /// the set it declares.
    fn fill(&mut self, manifest: &Manifest) {
        self.manifest = Some(PathBuf::from(&manifest.path));
        self.dest = self
            .dest
            .take()
            .or_else(|| manifest.dest.as_ref().map(PathBuf::from));
        self.trust_root = self
            .trust_root
            .take()
            .or_else(|| manifest.trust_root.as_ref().map(PathBuf::from));
        self.policy.fill(manifest);
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let dest = required(self.dest.as_deref(), "--dest", "dest")?;
        let mut request = AuditRequest::new(dest).lock_timeout(self.lock.lock_timeout);
        for glob in &self.policy.allow {
            request = request.allow_import(glob);
        }
        for glob in &self.policy.deny {
            request = request.deny_import(glob);
        }
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        if let Some(file) = &self.manifest {
            request = request.manifest(file);
        }
        let fetch = match &self.registry {
            Some(registry) => {
                let index = IndexRequest::new(self.remote.registry(registry))
                    .allow_expired(self.remote.allow_expired);
                request = request.registry(match &self.trust_root {
                    Some(dir) => index.trust_root(dir),
                    None => index,
                });
                Some(self.remote.fetch(false, &[registry])?)
            }
            None => None,
        };
        let report = setup.installer(fetch)?.audit(&request)?;
        audit(out, &report).map_err(stdout_failure)
    }
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
        // The kinds are non-exhaustive: one this table predates is shown
        // as a plain finding (its detail says what was found).
        _ => "finding",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, text};

    #[test]
    fn a_clean_audit_lists_each_plugin_ok_and_is_done() {
        let report = testing::audit(
            vec![testing::audited("hello", Some("1.0.0"), Vec::new())],
            Vec::new(),
        );
        let shown = text(|p| audit(p, &report));
        assert_eq!(
            shown.out,
            "ok       hello 1.0.0, verified by 'release'\naudit of plugins: 1 plugin(s), clean\n"
        );
        assert_eq!(shown.verdict, Verdict::Done);
    }

    #[test]
    fn an_audit_finding_is_shown_under_its_plugin_and_is_a_finding_verdict() {
        use wasm_plugin::FindingKind as F;
        let drift = testing::finding(F::Drift, "plugins/hello.wasm", "sha256 differs");
        let missing = testing::finding(F::DeclaredMissing, "plugins/colmask.wasm", "declared");
        let stray = testing::finding(F::TempFile, "plugins/.tmp1", "left behind");
        let report = testing::audit(
            vec![
                testing::audited("hello", Some("1.0.0"), vec![drift]),
                testing::audited("colmask", None, vec![missing]),
            ],
            vec![stray],
        );
        let shown = text(|p| audit(p, &report));
        let lines: Vec<&str> = shown.out.lines().collect();
        assert_eq!(lines[0], "FINDING  hello 1.0.0, verified by 'release'");
        assert!(lines[1].starts_with("         drift: sha256 differs (plugins/hello.wasm)"));
        assert!(lines[2].starts_with("FINDING  colmask (not installed)"));
        assert!(
            lines[4].starts_with("FINDING  ") && lines[4].ends_with("left behind (plugins/.tmp1)")
        );
        assert_eq!(lines[5], "audit of plugins: 3 finding(s)");
        assert_eq!(shown.verdict, Verdict::Findings);
        let value = json(|p| audit(p, &report));
        assert_eq!(value["clean"], false);
        assert_eq!(value["plugins"][0]["status"], "finding");
        assert_eq!(value["stray"][0]["kind"], "temp-file");
    }
}
