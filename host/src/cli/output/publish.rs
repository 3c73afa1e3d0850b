//! What the publisher's verbs print: new, keygen, sign, publish (and
//! --yank), mirror, component.

use super::{Printer, Verdict};
use std::io;
use std::path::Path;
use wasm_plugin::{
    KeygenReport, MirrorReport, PublishReport, ScaffoldReport, SignReport, YankReport,
};

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
