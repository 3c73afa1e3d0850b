//! The command line: clap definitions in `args`, one `run` per verb in
//! `install`, `inspect` and `publish`, rendering in `output`.
//!
//! A verb's `run` turns its flags into a request of the library, calls the
//! [`Installer`] once, and hands the report to `output`, which returns the
//! exit code of a command that ran to its end (an audit with findings, a
//! partly failed install). It decides nothing about plugins.

mod args;
mod inspect;
mod install;
mod output;
mod progress;
mod publish;
mod shell;
mod trust;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasm_plugin::{Installer, Manifest};

pub use args::{parse_duration, parse_size};

#[derive(Debug, Parser)]
#[command(
    name = "wasm-plugin",
    version,
    about = "Install signed WebAssembly plugins from a registry into a plugins directory",
    long_about = "Install signed WebAssembly plugins from a registry into a plugins directory.\n\n\
        The installer runs as a sandboxed WASI component: it sees only the directories \
        each command grants it (the registry's directory, the trust root, the destination, \
        and --allow-read directories) and reaches the network only through the host.",
    after_help = "Examples:\n  \
        wasm-plugin install colmask --registry index.json --dest plugins --trust-root trust\n  \
        wasm-plugin install colmask@^1.2 rowfilter --registry index.json --dest plugins\n  \
        wasm-plugin audit --dest plugins --trust-root trust\n  \
        wasm-plugin publish colmask-1.2.0.wasm --registry index.json --key release.key\n\n\
        Exit codes: 0 ok; 1 integrity or trust failure (or an audit finding); 2 bad input or \
        usage; 3 fetch or I/O failure; 130/143 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Stop the installer if one operation runs longer than this (seconds,
    /// or 90s, 10m); nothing is installed then
    #[arg(long, global = true, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub deadline: Duration,
    /// Most memory the installer may use (bytes, or with KiB, MiB, GiB);
    /// artefacts are streamed, an index is read whole
    #[arg(long, global = true, value_name = "SIZE", default_value = "128MiB", value_parser = parse_size)]
    pub max_memory: u64,
    /// The plugin-set manifest whose dest, trust_root and default registry
    /// stand in for flags not given [default: ./wasm-plugin.toml, if present]
    #[arg(long, global = true, value_name = "FILE", env = "WASM_PLUGIN_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install plugins from a registry index into a plugins directory
    Install(install::InstallArgs),
    /// Make a plugins directory hold exactly what wasm-plugin.toml declares,
    /// as wasm-plugin.lock pins it
    Sync(install::SyncArgs),
    /// Bring wasm-plugin.lock up to date with wasm-plugin.toml without
    /// installing; --upgrade moves pins forward
    Lock(install::PinArgs),
    /// Move installed plugins to the highest version a registry offers
    Upgrade(install::UpgradeArgs),
    /// Remove installed plugins
    Uninstall(install::UninstallArgs),
    /// Forget the index version recorded for a registry after it was
    /// deliberately reset (otherwise its older index is refused as a rollback)
    ForgetRegistry(install::ForgetRegistryArgs),
    /// List the plugins a registry offers, or those installed in a directory
    List(inspect::ListArgs),
    /// Show every version of one plugin, and the index it is listed in
    Info(inspect::InfoArgs),
    /// Find plugins by name or description
    Search(inspect::SearchArgs),
    /// Show installed plugins that a registry has newer versions of
    Outdated(inspect::OutdatedArgs),
    /// Check everything installed in a plugins directory against its receipts and a trust root
    Audit(inspect::AuditArgs),
    /// Check the digest and signature of a plugin file on disk
    Verify(inspect::VerifyArgs),
    /// Create a new plugin project
    New(publish::NewArgs),
    /// Make an Ed25519 key pair for signing plugins
    Keygen(publish::KeygenArgs),
    /// Sign a plugin file, writing its .sig sidecar
    Sign(publish::SignArgs),
    /// Add a plugin version to a registry index (creating the index if missing)
    Publish(publish::PublishArgs),
    /// Manage keys with root.json: who may sign what, thresholds, rotation
    Trust(trust::TrustArgs),
    /// Copy a registry and its artefacts into a directory, for offline use
    Mirror(publish::MirrorArgs),
    /// Write the installer component, for runtimes that embed it
    Component(publish::ComponentArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(shell::CompletionsArgs),
    /// Print the man page (roff), every subcommand included
    Man(shell::ManArgs),
}

impl Cli {
    /// Whether `-q` asked for nothing but errors.
    fn quiet(&self) -> bool {
        match &self.command {
            Command::Install(a) => a.source.net.quiet,
            Command::Upgrade(a) => a.source.net.quiet,
            Command::Sync(a) => a.net.quiet,
            Command::Lock(a) => a.net.quiet,
            Command::Mirror(a) => a.net.quiet,
            _ => false,
        }
    }

    /// Whether output (errors included) is JSON.
    pub fn json(&self) -> bool {
        match &self.command {
            Command::Install(a) => a.json,
            Command::Upgrade(a) => a.json,
            Command::Sync(a) => a.json,
            Command::Lock(a) => a.json,
            Command::Uninstall(a) => a.json,
            Command::ForgetRegistry(a) => a.json,
            Command::List(a) => a.json,
            Command::Outdated(a) => a.index.json,
            Command::Info(a) => a.index.json,
            Command::Search(a) => a.index.json,
            Command::Audit(a) => a.json,
            Command::Verify(a) => a.json,
            Command::Keygen(a) => a.json,
            Command::Sign(a) => a.json,
            Command::Publish(a) => a.json,
            Command::Mirror(a) => a.json,
            Command::Trust(a) => a.json,
            Command::New(_) | Command::Component(_) | Command::Completions(_) | Command::Man(_) => {
                false
            }
        }
    }

    /// Runs the verb; the exit code, or the failure that stopped it.
    pub fn run(mut self) -> Result<Verdict, Failure> {
        let setup = Setup {
            deadline: self.deadline,
            memory: usize::try_from(self.max_memory).unwrap_or(usize::MAX),
        };
        // Lower the manifest once: what it says stands in for flags not
        // given, for the verbs that take them.
        // Read only when asked for (--config, WASM_PLUGIN_CONFIG) or when a
        // flag it would give is missing: a broken ./wasm-plugin.toml must
        // not stop a command that names everything itself.
        let missing = match &self.command {
            Command::Install(a) => a.source.registry.is_none() || a.source.dest.is_none(),
            Command::Upgrade(a) => a.source.registry.is_none() || a.source.dest.is_none(),
            Command::Uninstall(a) => a.dest.is_none(),
            Command::ForgetRegistry(a) => a.dest.is_none(),
            Command::List(a) => a.dest.is_none() && a.registry.is_none(),
            Command::Audit(a) => a.dest.is_none(),
            Command::Outdated(a) => a.dest.is_none() || a.index.registry.is_none(),
            Command::Info(a) => a.index.registry.is_none(),
            Command::Search(a) => a.index.registry.is_none(),
            _ => false,
        };
        let wanted = missing
            || (self.config.is_some()
                && matches!(
                    self.command,
                    Command::Install(_)
                        | Command::Upgrade(_)
                        | Command::Uninstall(_)
                        | Command::ForgetRegistry(_)
                        | Command::List(_)
                        | Command::Outdated(_)
                        | Command::Info(_)
                        | Command::Search(_)
                        | Command::Audit(_)
                ));
        if wanted && let Some(manifest) = setup.manifest(self.config.as_deref())? {
            match &mut self.command {
                Command::Install(a) => {
                    // Without --registry, each plugin comes from the
                    // registry the manifest declares it in, or the first
                    // that has it.
                    if a.source.registry.is_none() {
                        a.manifest = Some(manifest.clone());
                    }
                    a.source.fill(&manifest)
                }
                Command::Upgrade(a) => a.source.fill(&manifest),
                Command::Uninstall(a) => a.fill(&manifest),
                Command::ForgetRegistry(a) => a.fill(&manifest),
                Command::List(a) => {
                    // Several registries and none named: list them all,
                    // each plugin with where it comes from.
                    if a.registry.is_none() && !a.installed && manifest.registries.len() > 1 {
                        a.manifest = Some(manifest.clone());
                    }
                    a.fill(&manifest)
                }
                Command::Audit(a) => a.fill(&manifest),
                Command::Outdated(a) => a.fill(&manifest),
                Command::Info(a) => a.index.fill(&manifest),
                Command::Search(a) => a.index.fill(&manifest),
                _ => {}
            }
        }
        output::quiet(self.quiet());
        match self.command {
            Command::Install(a) => a.run(&setup),
            Command::Upgrade(a) => a.run(&setup),
            Command::Sync(a) => a.run(&setup, self.config.as_deref()),
            Command::Lock(a) => a.run(&setup, self.config.as_deref()),
            Command::Uninstall(a) => a.run(&setup),
            Command::ForgetRegistry(a) => a.run(&setup),
            Command::List(a) => a.run(&setup),
            Command::Outdated(a) => a.run(&setup),
            Command::Info(a) => a.run(&setup),
            Command::Search(a) => a.run(&setup),
            Command::Audit(a) => a.run(&setup),
            Command::Verify(a) => a.run(&setup),
            Command::New(a) => a.run(&setup),
            Command::Keygen(a) => a.run(&setup),
            Command::Sign(a) => a.run(&setup),
            Command::Publish(a) => a.run(&setup),
            Command::Mirror(a) => a.run(&setup),
            Command::Trust(a) => a.run(&setup),
            Command::Component(a) => a.run(),
            Command::Completions(a) => a.run(),
            Command::Man(a) => a.run(),
        }
    }
}

/// The global flags, lowered once: how every verb builds its installer.
pub struct Setup {
    deadline: Duration,
    memory: usize,
}

impl Setup {
    /// The manifest named by `--config` (or `WASM_PLUGIN_CONFIG`), which must
    /// exist, else `./wasm-plugin.toml` when there is one.
    fn manifest(&self, config: Option<&Path>) -> Result<Option<Manifest>, Failure> {
        let path = match config {
            Some(path) => path.to_path_buf(),
            None => {
                let here = PathBuf::from("wasm-plugin.toml");
                if !here.is_file() {
                    return Ok(None);
                }
                here
            }
        };
        Ok(Some(self.installer(None)?.read_manifest(&path)?))
    }

    /// An installer with these limits, fetching with `fetch` (offline when
    /// `None`).
    fn installer(
        &self,
        fetch: Option<wasm_plugin::fetch::HttpFetch>,
    ) -> Result<Installer, Failure> {
        self.build(fetch, false)
    }

    /// An installer for verbs that stage files in a plugins directory
    /// (install, upgrade): SIGINT and SIGTERM stop its calls and what they
    /// staged is removed. Other verbs keep the signals' default action, as
    /// there is nothing of theirs to clean up.
    fn writer(&self, fetch: wasm_plugin::fetch::HttpFetch) -> Result<Installer, Failure> {
        self.build(Some(fetch), true)
    }

    fn build(
        &self,
        fetch: Option<wasm_plugin::fetch::HttpFetch>,
        signals: bool,
    ) -> Result<Installer, Failure> {
        let builder = Installer::builder()
            .deadline(self.deadline)
            .memory_limit(self.memory)
            .stop_on_signals(signals);
        let builder = match fetch {
            Some(fetch) => builder.fetch(fetch),
            None => builder.offline(),
        };
        Ok(builder.build()?)
    }
}

/// How a command that ran to its end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// All done.
    Done,
    /// An audit found something.
    Findings,
    /// Some of several plugins failed; the first failure's exit code.
    PartlyFailed(u8),
}

/// What stops a command: the library's error, a usage error found here, or
/// writing its output (standard output, the component's file) failing.
#[derive(Debug)]
pub enum Failure {
    Lib(wasm_plugin::Error),
    Usage(String),
    Write(PathBuf, std::io::Error),
}

impl From<wasm_plugin::Error> for Failure {
    fn from(e: wasm_plugin::Error) -> Failure {
        Failure::Lib(e)
    }
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Lib(e) => e.exit_code(),
            Failure::Usage(_) => 2,
            Failure::Write(..) => 3,
        }
    }

    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Failure::Write(_, e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Failure::Lib(e) => e.to_json(),
            Failure::Usage(_) | Failure::Write(..) => serde_json::json!({"error": {
                "kind": if matches!(self, Failure::Usage(_)) { "usage" } else { "io" },
                "message": self.to_string(),
                "exit_code": self.exit_code(),
                "details": serde_json::Value::Null,
            }}),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Lib(e) => e.fmt(f),
            Failure::Usage(text) => f.write_str(text),
            Failure::Write(path, e) => write!(f, "cannot write {}: {e}", path.display()),
        }
    }
}

/// Writing the output failed.
fn stdout_failure(e: std::io::Error) -> Failure {
    Failure::Write(PathBuf::from("to <stdout>"), e)
}

/// The directory part of a path given on the command line.
fn parent_or_dot(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}
