//! Rendering reports: short human text, or JSON for scripts (`--json`).
//!
//! JSON is the library's reports, the component's WIT records themselves
//! (fields in snake_case), so what a script reads is what an embedding
//! runtime gets. Every renderer returns the verdict of the command it renders;
//! `main` turns it into the exit code.
//!
//! Each renderer lives with its verb, in `verbs/<verb>.rs`, and writes
//! through a [`Printer`], which holds the writers and the mode. This module
//! holds the printer and what the renderers share (versions as shown,
//! tables, plurals, capabilities, the verdict of several operations);
//! `testing.rs` builds the reports the renderers' tests render into a
//! `Vec<u8>`.

pub mod escape;

use super::Verdict;
use escape::Escaped;
use serde::Serialize;
use std::io::{self, Write};
use wasm_plugin::Outcome;

/// Where a run's output goes, and in which form. Text for people goes to
/// `out` unless `-q` silenced it; JSON for scripts goes to `out` always;
/// errors of single items and warnings go to `err` (warnings silenced by
/// `-q` too). Renderers take it, so a test renders into a `Vec<u8>`.
pub struct Printer<'a> {
    /// Standard output; text for people is escaped (`escape`), JSON and
    /// bytes go to the writer within as they are.
    out: Escaped<&'a mut dyn Write>,
    err: Escaped<&'a mut dyn Write>,
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
            out: Escaped::new(out),
            err: Escaped::new(err),
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
        self.out.get_mut()
    }

    /// `value` as pretty JSON, on a line of its own.
    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        let out = self.out.get_mut();
        serde_json::to_writer_pretty(&mut *out, value)?;
        writeln!(out)
    }

    /// Where text for people goes: `out`, or nowhere with `-q`.
    pub fn people(&mut self) -> &mut dyn Write {
        self.streams().0
    }

    /// Text for people and errors, both at once: an item's error is written
    /// between the text of the others.
    pub fn streams(&mut self) -> (&mut dyn Write, &mut dyn Write) {
        match self.quiet {
            true => (&mut self.sink, &mut self.err),
            false => (&mut self.out, &mut self.err),
        }
    }

    /// A note on `err` as a verb goes (which registry a plugin was found
    /// in): said even with `-q`, as errors are.
    pub fn note(&mut self, text: &str) {
        let _ = writeln!(self.err, "{text}");
    }

    /// Warnings go to `err`, in either form (JSON carries them too); `-q`,
    /// where a verb takes it, silences them with all else but errors.
    pub fn warn(&mut self, warnings: &[String]) {
        if self.quiet {
            return;
        }
        for warning in warnings {
            let _ = writeln!(self.err, "warning: {warning}");
        }
    }

    /// A report that succeeded: as JSON, or as text written by `human`.
    pub fn render<T: Serialize + ?Sized>(
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
pub fn first_failure<'a, R: 'a>(outcomes: impl IntoIterator<Item = &'a Outcome<R>>) -> Verdict {
    outcomes
        .into_iter()
        .find_map(|(_, result)| result.as_ref().err())
        .map_or(Verdict::Done, |e| Verdict::PartlyFailed(e.exit_code()))
}

/// A version as shown to people: an unversioned entry (the loader's format
/// allows leaving `version` out) says so instead of printing nothing.
pub fn shown_version(version: &str) -> &str {
    if version.is_empty() {
        "(unversioned)"
    } else {
        version
    }
}

/// Left-aligned columns; the last one is not padded.
pub fn table(
    out: &mut (impl Write + ?Sized),
    header: &[&str],
    rows: &[Vec<String>],
) -> io::Result<()> {
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

/// Whether a registry location is an OCI namespace or repository
/// (`oci://`, or `oci+http://` as --plain-http spells it), which has tags
/// and manifests but no index (so no index version, expiry or signature).
pub fn is_oci(location: &str) -> bool {
    let scheme = location.get(..11).unwrap_or(location).to_ascii_lowercase();
    scheme.starts_with("oci://") || scheme.starts_with("oci+http://")
}

pub fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// What a plugin imports and exports, one per line, or why they are
/// `unknown`.
pub fn capabilities(
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

#[cfg(test)]
pub mod testing;
