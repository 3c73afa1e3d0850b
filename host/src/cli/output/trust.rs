//! What `trust` prints: a root.json written or shown, and signatures
//! added to a root, an index or an entry.

use super::{Printer, Verdict};
use std::io;
use wasm_plugin::{CosignReport, TrustSignedIndex, TrustSignedRoot, TrustSummary};

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
        for key in &s.keys {
            writeln!(out, "  key {}: {}", key.label, key.value)?;
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
