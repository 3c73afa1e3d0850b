//! What the renderers' tests need: a printer over buffers, and the reports
//! to render, which the library builds (`wasm_plugin::__fixtures`: its
//! reports are `#[non_exhaustive]`, so this crate cannot).

use super::{Printer, Verdict};
use std::io;
pub use wasm_plugin::__fixtures::*;

/// A plugin's (or spec's) report that succeeded, as the library returns
/// several independent operations.
pub fn ok<R>(spec: &str, report: R) -> wasm_plugin::Outcome<R> {
    (spec.to_string(), Ok(report))
}

/// What a renderer wrote: standard output, standard error, the verdict.
pub struct Rendered {
    pub out: String,
    pub err: String,
    pub verdict: Verdict,
}

/// Runs `render` with a printer over two `Vec<u8>`s.
pub fn render(
    json: bool,
    quiet: bool,
    render: impl FnOnce(&mut Printer) -> io::Result<Verdict>,
) -> Rendered {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let verdict = {
        let mut printer = Printer::new(&mut out, &mut err, json, quiet);
        render(&mut printer).expect("a Vec<u8> takes every write")
    };
    Rendered {
        out: String::from_utf8(out).expect("UTF-8"),
        err: String::from_utf8(err).expect("UTF-8"),
        verdict,
    }
}

/// Text, not quiet.
pub fn text(f: impl FnOnce(&mut Printer) -> io::Result<Verdict>) -> Rendered {
    render(false, false, f)
}

/// JSON, parsed back.
pub fn json(f: impl FnOnce(&mut Printer) -> io::Result<Verdict>) -> serde_json::Value {
    let rendered = render(true, false, f);
    serde_json::from_str(&rendered.out).expect("the output is JSON")
}
