//! What the verbs that read an index print: list (of a registry, of
//! several, of what is installed), info, search, outdated.

use super::{Printer, Verdict, capabilities, shown_version, table};
use serde_json::{Value, json};
use std::io;
use wasm_plugin::{OutdatedPlugin, Receipt, RegistryIndex};

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
