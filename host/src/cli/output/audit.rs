//! What the verbs that check files print: audit, verify and verify-bundle.

use super::{Printer, Verdict, capabilities, shown_version};
use serde_json::{Value, json};
use std::io;
use wasm_plugin::{AuditReport, BundleVerifyReport, FindingKind, VerifyReport};

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

pub fn verify_bundle(p: &mut Printer, r: &BundleVerifyReport) -> io::Result<Verdict> {
    p.render(r, |out| {
        writeln!(out, "verified {}", r.artifact)?;
        writeln!(out, "  sha256 {}", r.sha256)?;
        writeln!(out, "  signed by {}", r.signed_by)
    })
}
