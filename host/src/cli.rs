//! The command line: one struct per verb, each with its own `run`.
//!
//! A verb turns its flags into grants (canonical paths), runs one call of the
//! component, and hands the report to `output`. It decides nothing about
//! plugins itself; that is the component's job.

use crate::fetch::{FetchLimits, HttpFetcher};
use crate::output;
use crate::paths;
use crate::report::Failure;
use crate::runtime::{COMPONENT, Grants, Runtime, wit};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "wasm-plugin",
    version,
    about = "Install signed WebAssembly plugins from a registry into a plugins directory",
    long_about = "Install signed WebAssembly plugins from a registry into a plugins directory.\n\n\
        The installer runs as a sandboxed WASI component: it sees only the directories \
        each command grants it (the registry's directory, the trust root, the destination, \
        and --allow-read directories) and reaches the network only through the host.",
    after_help = "Exit codes: 0 ok; 1 integrity or trust failure; 2 bad input or usage; \
        3 fetch or I/O failure."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install a plugin from a registry index into a plugins directory
    Install(InstallArgs),
    /// List the plugins a registry index offers
    List(ListArgs),
    /// Check the digest and signature of a plugin file on disk
    Verify(VerifyArgs),
    /// Create a new plugin project
    New(NewArgs),
    /// Write the installer component, for runtimes that embed it
    Component(ComponentArgs),
}

impl Cli {
    /// Whether output (errors included) is JSON.
    pub fn json(&self) -> bool {
        match &self.command {
            Command::Install(a) => a.json,
            Command::List(a) => a.json,
            Command::Verify(a) => a.json,
            Command::New(_) | Command::Component(_) => false,
        }
    }

    pub fn run(self) -> Result<(), Failure> {
        match self.command {
            Command::Install(a) => a.run(),
            Command::List(a) => a.run(),
            Command::Verify(a) => a.run(),
            Command::New(a) => a.run(),
            Command::Component(a) => a.run(),
        }
    }
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Name of the plugin, as listed in the registry index
    pub name: String,
    /// The registry index (index.json)
    #[arg(long, value_name = "INDEX")]
    pub registry: PathBuf,
    /// The plugins directory to install into (created if missing)
    #[arg(long, value_name = "DIR")]
    pub dest: PathBuf,
    /// Directory of trusted *.pub keys; when given, a valid signature by one
    /// of them is required
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// Exact version to install [default: the highest release]
    #[arg(long)]
    pub version: Option<String>,
    /// Also let the installer read DIR (for artifacts outside the registry's directory)
    #[arg(long, value_name = "DIR")]
    pub allow_read: Vec<PathBuf>,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl InstallArgs {
    fn run(self) -> Result<(), Failure> {
        let registry = paths::existing_file(&self.registry, "--registry")?;
        let trust_root = paths::optional(
            self.trust_root.as_deref(),
            "--trust-root",
            paths::existing_dir,
        )?;
        let mut grants = Grants::default();
        grants.read(paths::parent(&registry));
        if let Some(dir) = &trust_root {
            grants.read(dir);
        }
        for dir in &self.allow_read {
            grants.read(&paths::existing_dir(dir, "--allow-read")?);
        }
        let runtime = Runtime::new()?;

        // Resolve first, with read-only grants: a bad request (name, index,
        // version) fails before the destination is created or touched.
        runtime.with_installer(grants.clone(), no_network(), |installer, store| {
            installer.call_find_entry(
                store,
                &paths::guest(&registry),
                &self.name,
                self.version.as_deref(),
            )
        })??;

        let (dest, created) = paths::ensure_dir(&self.dest, "--dest")?;
        grants.write(&dest);
        let request = wit::InstallRequest {
            registry: paths::guest(&registry),
            name: self.name.clone(),
            version: self.version.clone(),
            dest: paths::guest(&dest),
            trust_root: trust_root.as_deref().map(paths::guest),
        };
        let fetcher = HttpFetcher::new(FetchLimits::default());
        let result = runtime
            .with_installer(grants, fetcher, |installer, store| {
                installer.call_install(store, &request)
            })
            .map_err(Failure::from)
            .and_then(|r| r.map_err(Failure::from));
        if result.is_err() && created {
            // Only succeeds while still empty: nothing of ours is left behind.
            let _ = std::fs::remove_dir(&dest);
        }
        let report = result?;
        output::install(&report, self.json).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The registry index (index.json)
    #[arg(long, value_name = "INDEX")]
    pub registry: PathBuf,
    /// Print the index as JSON
    #[arg(long)]
    pub json: bool,
}

impl ListArgs {
    fn run(self) -> Result<(), Failure> {
        let registry = paths::existing_file(&self.registry, "--registry")?;
        let mut grants = Grants::default();
        grants.read(paths::parent(&registry));
        let index =
            Runtime::new()?.with_installer(grants, no_network(), |installer, store| {
                installer.call_load_index(store, &paths::guest(&registry))
            })??;
        output::list(&index, self.json).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The plugin file to check
    pub file: PathBuf,
    /// Directory of trusted *.pub keys; when given, a valid signature is required
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// Signature file [default: the file's .sig sidecar, if present]
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl VerifyArgs {
    fn run(self) -> Result<(), Failure> {
        let file = paths::existing_file(&self.file, "the file")?;
        let sig = paths::optional(self.sig.as_deref(), "--sig", paths::existing_file)?;
        let trust_root = paths::optional(
            self.trust_root.as_deref(),
            "--trust-root",
            paths::existing_dir,
        )?;
        let mut grants = Grants::default();
        grants.read(paths::parent(&file));
        if let Some(sig) = &sig {
            grants.read(paths::parent(sig));
        }
        if let Some(dir) = &trust_root {
            grants.read(dir);
        }
        let request = wit::VerifyRequest {
            artifact: paths::guest(&file),
            signature: sig.as_deref().map(paths::guest),
            trust_root: trust_root.as_deref().map(paths::guest),
        };
        let report =
            Runtime::new()?.with_installer(grants, no_network(), |installer, store| {
                installer.call_verify(store, &request)
            })??;
        output::verify(&report, self.json).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Name of the new plugin (also its directory name)
    pub name: String,
    /// Where to create the project directory
    #[arg(long, value_name = "PARENT", default_value = ".")]
    pub dir: PathBuf,
}

impl NewArgs {
    fn run(self) -> Result<(), Failure> {
        let parent = paths::existing_dir(&self.dir, "--dir")?;
        let mut grants = Grants::default();
        grants.write(&parent);
        let report =
            Runtime::new()?.with_installer(grants, no_network(), |installer, store| {
                installer.call_scaffold(store, &self.name, &paths::guest(&parent))
            })??;
        output::scaffold(&report).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct ComponentArgs {
    /// Where to write the component ("-" for standard output)
    #[arg(
        long,
        value_name = "FILE",
        default_value = "wasm-plugin-installer.wasm"
    )]
    pub out: PathBuf,
}

impl ComponentArgs {
    fn run(self) -> Result<(), Failure> {
        if self.out == Path::new("-") {
            let mut stdout = std::io::stdout().lock();
            return stdout
                .write_all(COMPONENT)
                .and_then(|()| stdout.flush())
                .map_err(stdout_failure);
        }
        let dir = match self.out.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let write = || -> std::io::Result<()> {
            let mut temp = tempfile::NamedTempFile::new_in(&dir)?;
            temp.write_all(COMPONENT)?;
            temp.as_file().sync_all()?;
            temp.persist(&self.out).map_err(|e| e.error)?;
            Ok(())
        };
        write().map_err(|e| Failure::io(&self.out, "write", e))?;
        output::component(&self.out, COMPONENT.len()).map_err(stdout_failure)
    }
}

/// Verbs that only read local files get no network at all.
fn no_network() -> HttpFetcher {
    HttpFetcher::disabled()
}

fn stdout_failure(e: std::io::Error) -> Failure {
    Failure::io(Path::new("<stdout>"), "write to", e)
}
