//! `lock`: bring wasm-plugin.lock up to date with wasm-plugin.toml without
//! installing (`--upgrade` moves pins forward). Its report is sync's,
//! printed by sync's renderer.

use super::sync::lock;
use crate::cli::args::NetArgs;
use crate::cli::output::Printer;
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use clap::Args;
use std::path::PathBuf;
use wasm_plugin::SyncRequest;

#[derive(Debug, Args)]
pub struct PinArgs {
    /// With --upgrade, the plugins to pin afresh [default: all]
    #[arg(value_name = "NAME", requires = "upgrade")]
    pub plugins: Vec<String>,
    /// Move pins forward: pin the highest version each requirement admits
    #[arg(long)]
    pub upgrade: bool,
    /// Directory of trusted *.pub keys (or one *.pub file) [default: the manifest's trust_root]
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// A plugins directory whose recorded index versions the pins must not go behind (read only;
    /// used when it exists) [default: the manifest's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Print what would change, write nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub net: NetArgs,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for PinArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn quiet(&self) -> bool {
        self.net.quiet
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let manifest = setup.manifest_path("lock")?;
        let declared = setup.installer(None)?.read_manifest(&manifest)?;
        let registries: Vec<&str> = declared
            .registries
            .iter()
            .map(|(_, l)| l.as_str())
            .collect();
        let installer = setup.installer(Some(self.net.fetch(self.json, &registries)?))?;
        let mut request = SyncRequest::new(&manifest)
            .lock_only(true)
            .dry_run(self.dry_run)
            .plain_http(self.net.remote.plain_http)
            .allow_expired(self.net.remote.allow_expired);
        if self.upgrade {
            request = request.upgrade(self.plugins.iter());
        }
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        if let Some(dir) = &self.dest {
            request = request.dest(dir);
        }
        let report = installer
            .sync(&request)
            .map_err(|e| Failure::from(e).naming_manifest(&declared))?;
        lock(out, &report, &declared).map_err(stdout_failure)
    }
}
