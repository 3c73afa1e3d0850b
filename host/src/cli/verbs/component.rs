//! `component`: write the installer component (or its wasi:http variant),
//! for runtimes that embed it.

use crate::cli::output::Printer;
use crate::cli::{Failure, Setup, Verb, Verdict, parent_or_dot, stdout_failure};
use clap::Args;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct ComponentArgs {
    /// Where to write the component ("-" for standard output) [default:
    /// wasm-plugin-installer.wasm; wasm-plugin-installer-wasi-http.wasm with
    /// --wasi-http; wasm-plugin-installer-wasi-http-host-digest.wasm with
    /// --host-digest]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the variant that imports only standard WASI 0.2: its network
    /// access is wasi:http (the runtime's TLS roots and proxies), so the
    /// wasmtime CLI (`-S http`) or jco run it with no custom host code
    #[arg(long)]
    pub wasi_http: bool,
    /// With --wasi-http: keep the `digest` import (SHA-256, SHA-512) for a
    /// JavaScript host to answer with its own crypto, as the Node package
    /// does. Under jco the WebAssembly one gets the artefact's bytes from
    /// the installer's memory a byte at a time where the engine has no
    /// multi-memory (Node 20)
    #[arg(long, requires = "wasi_http")]
    pub host_digest: bool,
}

impl Verb for ComponentArgs {
    fn run(self: Box<Self>, _setup: &Setup, p: &mut Printer) -> Result<Verdict, Failure> {
        let (bytes, default_out, what) = if self.host_digest {
            (
                wasm_plugin::component_wasi_http_host_digest(),
                "wasm-plugin-installer-wasi-http-host-digest.wasm",
                "the installer component (wasi:http variant, digest imported)",
            )
        } else if self.wasi_http {
            (
                wasm_plugin::component_wasi_http(),
                "wasm-plugin-installer-wasi-http.wasm",
                "the installer component (wasi:http variant)",
            )
        } else {
            (
                wasm_plugin::component(),
                "wasm-plugin-installer.wasm",
                "the installer component",
            )
        };
        let out = self.out.unwrap_or_else(|| default_out.into());
        if out == Path::new("-") {
            use std::io::IsTerminal;
            if std::io::stdout().is_terminal() {
                return Err(Failure::Usage(
                    "refusing to write a binary component to a terminal; redirect standard output \
                     or pass --out <file>"
                        .into(),
                ));
            }
            let stdout = p.raw();
            stdout
                .write_all(bytes)
                .and_then(|()| stdout.flush())
                .map_err(stdout_failure)?;
            return Ok(Verdict::Done);
        }
        let write = || -> std::io::Result<()> {
            let mut temp = tempfile::NamedTempFile::new_in(parent_or_dot(&out))?;
            // Readable by the runtime that loads it, which may run as
            // another user (temp files start as 0600).
            use std::os::unix::fs::PermissionsExt;
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))?;
            temp.write_all(bytes)?;
            temp.as_file().sync_all()?;
            temp.persist(&out).map_err(|e| e.error)?;
            Ok(())
        };
        write().map_err(|e| Failure::Write(out.clone(), e))?;
        component(p, what, &out, bytes.len()).map_err(stdout_failure)
    }
}

pub fn component(p: &mut Printer, what: &str, path: &Path, size: usize) -> io::Result<Verdict> {
    writeln!(
        p.people(),
        "wrote {what} to {} ({size} bytes)",
        path.display()
    )?;
    Ok(Verdict::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::text;

    #[test]
    fn component_says_where_it_wrote_and_how_much() {
        let shown = text(|p| component(p, "the installer component", Path::new("c.wasm"), 2048));
        assert_eq!(
            shown.out,
            "wrote the installer component to c.wasm (2048 bytes)\n"
        );
    }
}
