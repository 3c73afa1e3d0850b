//! Rendering reports: short human text, or JSON for scripts (`--json`).
//!
//! JSON mirrors the WIT records field for field (snake_case), so what a
//! script reads is what an embedding runtime gets from the component.

use crate::runtime::wit;
use serde::Serialize;
use std::io::{self, Write};
use std::path::Path;

fn json<T: Serialize>(value: &T) -> io::Result<()> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)
}

pub fn install(r: &wit::InstallReport, as_json: bool) -> io::Result<()> {
    if as_json {
        return json(r);
    }
    let mut out = io::stdout().lock();
    writeln!(out, "installed {} {} -> {}", r.name, r.version, r.wasm_path)?;
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
    if r.replaced {
        writeln!(out, "  replaced the previous {}.wasm", r.name)?;
    }
    Ok(())
}

pub fn list(index: &wit::RegistryIndex, as_json: bool) -> io::Result<()> {
    if as_json {
        return json(index);
    }
    let mut out = io::stdout().lock();
    if index.plugins.is_empty() {
        return writeln!(out, "{} lists no plugins", index.path);
    }
    let rows: Vec<[&str; 4]> = index
        .plugins
        .iter()
        .map(|p| {
            [
                p.name.as_str(),
                p.version.as_str(),
                if p.signature.is_some() {
                    "signed"
                } else {
                    "unsigned"
                },
                p.description.as_deref().unwrap_or(""),
            ]
        })
        .collect();
    let header = ["NAME", "VERSION", "SIGNED", "DESCRIPTION"];
    let width = |col: usize| {
        rows.iter()
            .map(|r| r[col].chars().count())
            .chain([header[col].len()])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    for row in std::iter::once(&header).chain(rows.iter()) {
        let line = format!("{:w0$}  {:w1$}  {:w2$}  {}", row[0], row[1], row[2], row[3]);
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

pub fn verify(r: &wit::VerifyReport, as_json: bool) -> io::Result<()> {
    if as_json {
        return json(r);
    }
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "sha256 {}  {} ({} bytes)",
        r.sha256, r.artifact, r.size
    )?;
    match (&r.signed_by, &r.signature_path) {
        (Some(label), _) => writeln!(out, "verified by '{label}'"),
        (None, Some(sig)) => writeln!(out, "signature {sig} not checked (no --trust-root given)"),
        (None, None) => writeln!(out, "no signature (none given, no sidecar)"),
    }
}

pub fn scaffold(r: &wit::ScaffoldReport) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "created {}", r.dir)?;
    for file in &r.files {
        writeln!(out, "  {file}")?;
    }
    writeln!(
        out,
        "build it with: cd {} && cargo build --target wasm32-wasip2 --release",
        r.dir
    )?;
    writeln!(out, "its README.md says how to sign and publish it")
}

pub fn component(path: &Path, size: usize) -> io::Result<()> {
    writeln!(
        io::stdout().lock(),
        "wrote the installer component to {} ({size} bytes)",
        path.display()
    )
}
