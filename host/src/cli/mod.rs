//! The command line: one file per verb in `verbs/`, shared clap flags in
//! `args`, the [`Printer`] and what renderers share in `output`, the
//! progress bar in `progress`.
//!
//! Each verb is one type, the clap struct of its flags implementing
//! [`Verb`] (what it takes from the manifest, how its flags lower to a
//! request, how it runs), in `verbs/<verb>.rs` with its renderer and the
//! renderer's tests. It is registered once, in the `verbs!` table below,
//! which makes the subcommand enum and its one dispatch. Its `run` turns
//! its flags into a request of the library, calls the [`Installer`] once,
//! and renders the report through the [`Printer`], which returns the
//! verdict of a command that ran to its end (an audit with findings, a
//! partly failed install). It decides nothing about plugins.
//!
//! Adding a verb here: `verbs/<verb>.rs` (flags, `impl Verb`, renderer,
//! its tests) and its line in the `verbs!` table of `verbs/mod.rs`, which
//! declares the file too.

mod args;
mod output;
mod progress;
mod verbs;

use clap::Parser;
use output::Printer;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasm_plugin::{Installer, Manifest, StartNotice};

pub use verbs::Command;

pub use args::{parse_duration, parse_size};
pub use output::escape::Escaped;

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
    /// Print as JSON: the verb's own --json, given before the verb
    /// (`wasm-plugin --json list`)
    #[arg(long)]
    pub json: bool,
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
    /// Where the installer's native code is kept for later runs to map: a
    /// copy of the built-in code, or the code compiled for this machine
    /// (see --compile-for-this-cpu) [default: $XDG_CACHE_HOME/wasm-plugin,
    /// else ~/.cache/wasm-plugin]
    #[arg(long, global = true, value_name = "DIR", env = "WASM_PLUGIN_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Run the installer compiled for this machine's CPU (once, then
    /// cached) instead of the code built into the binary for a baseline
    /// CPU of its architecture
    #[arg(
        long,
        global = true,
        env = "WASM_PLUGIN_COMPILE_FOR_THIS_CPU",
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub compile_for_this_cpu: bool,
}

/// What a verb takes from the plugin-set manifest (`wasm-plugin.toml`).
pub enum Takes {
    /// Nothing, or it reads the manifest itself (sync, lock).
    Nothing,
    /// What its flags leave out; `missing` when a flag it needs was not
    /// given, so the manifest is read even without `--config`.
    Defaults { missing: bool },
}

/// One subcommand: what it needs from the manifest, its output mode, and
/// how it runs. Its flags are the clap struct implementing it; it is
/// registered once, in `verbs!`.
pub trait Verb {
    /// Whether output, errors included, is JSON (`--json`).
    fn json(&self) -> bool {
        false
    }

    /// Whether `-q` asked for nothing but errors.
    fn quiet(&self) -> bool {
        false
    }

    /// What it takes from the manifest.
    fn takes(&self) -> Takes {
        Takes::Nothing
    }

    /// Takes what the flags leave out from the manifest (called only when
    /// [`Verb::takes`] says it takes something).
    fn fill(&mut self, _manifest: &Manifest) {}

    /// Runs it: lowers the flags to a request, calls the installer, renders
    /// the report through `out`; the verdict, or the failure that stopped it.
    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure>;
}

impl Cli {
    /// Parses `args` (the program's name first). A `--json` before the verb
    /// is the verb's own: it is moved after the verb and the line parsed
    /// again, so a verb without --json refuses it as it would there.
    pub fn parse_args(args: Vec<OsString>) -> Result<Cli, clap::Error> {
        let cli = Cli::try_parse_from(&args)?;
        if !cli.json {
            return Ok(cli);
        }
        // After `--` a `--json` is an operand, not the flag.
        let end = args.iter().position(|a| a == "--").unwrap_or(args.len());
        let mut moved: Vec<OsString> = args[..end]
            .iter()
            .filter(|a| *a != "--json")
            .cloned()
            .collect();
        moved.push("--json".into());
        moved.extend_from_slice(&args[end..]);
        Cli::try_parse_from(moved)
    }

    /// Whether output (errors included) is JSON.
    pub fn json(&self) -> bool {
        self.command.verb().json()
    }

    /// Runs the verb; the exit code, or the failure that stopped it.
    pub fn run(mut self) -> Result<Verdict, Failure> {
        let verb = self.command.verb();
        let setup = Setup {
            deadline: self.deadline,
            memory: usize::try_from(self.max_memory).unwrap_or(usize::MAX),
            config: self.config,
            cache_dir: self.cache_dir.filter(|dir| !dir.as_os_str().is_empty()),
            this_cpu: self.compile_for_this_cpu,
            // Standard error carries them, but `-q` asked for errors only,
            // and a script reading `--json` wants nothing it did not ask for.
            notices: !verb.quiet() && !verb.json(),
        };
        // Lower the manifest once: what it says stands in for flags not
        // given, for the verbs that take them.
        // Read only when asked for (--config, WASM_PLUGIN_CONFIG) or when a
        // flag it would give is missing: a broken ./wasm-plugin.toml must
        // not stop a command that names everything itself.
        let wanted = match self.command.verb().takes() {
            Takes::Nothing => false,
            Takes::Defaults { missing } => missing || setup.config.is_some(),
        };
        let manifest = match wanted {
            true => setup.manifest()?,
            false => None,
        };
        if let Some(manifest) = &manifest {
            self.command.verb_mut().fill(manifest);
        }
        let verb = self.command.into_verb();
        let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
        let mut out = Printer::new(&mut stdout, &mut stderr, verb.json(), verb.quiet());
        let ran = verb.run(&setup, &mut out);
        match &manifest {
            Some(manifest) => ran.map_err(|f| f.naming_manifest(manifest)),
            None => ran,
        }
    }
}

/// The global flags, lowered once: how every verb builds its installer.
pub struct Setup {
    deadline: Duration,
    memory: usize,
    /// `--config` (or `WASM_PLUGIN_CONFIG`).
    config: Option<PathBuf>,
    /// `--cache-dir` (or `WASM_PLUGIN_CACHE_DIR`).
    cache_dir: Option<PathBuf>,
    /// `--compile-for-this-cpu` (or `WASM_PLUGIN_COMPILE_FOR_THIS_CPU`).
    this_cpu: bool,
    /// Whether start-up notices (compiling, an unwritable cache) are shown.
    notices: bool,
}

impl Setup {
    /// The manifest named by `--config` (or `WASM_PLUGIN_CONFIG`), which must
    /// exist, else `./wasm-plugin.toml` when there is one.
    fn manifest(&self) -> Result<Option<Manifest>, Failure> {
        let path = match self.config.as_deref() {
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

    /// The manifest a plugin-set verb (sync, lock) works on: `--config`'s,
    /// else `./wasm-plugin.toml`, which must then exist.
    fn manifest_path(&self, verb: &str) -> Result<PathBuf, Failure> {
        match self.config.as_deref() {
            Some(path) => Ok(path.to_path_buf()),
            None if Path::new("wasm-plugin.toml").is_file() => {
                Ok(PathBuf::from("wasm-plugin.toml"))
            }
            None => Err(Failure::Usage(format!(
                "{verb} needs a manifest: run it where wasm-plugin.toml is, or pass --config FILE"
            ))),
        }
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
        let mut builder = Installer::builder()
            .deadline(self.deadline)
            .memory_limit(self.memory)
            .stop_on_signals(signals);
        if let Some(dir) = &self.cache_dir {
            builder = builder.cache_dir(dir);
        }
        if self.this_cpu {
            builder = builder.compile_for_this_cpu();
        }
        if self.notices {
            builder = builder.on_start(|notice| match notice {
                StartNotice::CacheUnwritable { .. } => eprintln!("warning: {notice}"),
                _ => eprintln!("{notice}"),
            });
        }
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

    /// A usage error about a path the manifest gave (its `trust_root`,
    /// `dest` or a registry), which the library words as the flag it stands
    /// in for: named as the manifest's, where it would be fixed. (A flag
    /// spelling the very same absolute path is taken for the manifest's.)
    pub fn naming_manifest(self, manifest: &Manifest) -> Failure {
        let text = match &self {
            Failure::Usage(text) => text.clone(),
            Failure::Lib(e) if e.kind() == wasm_plugin::ErrorKind::Usage => e.to_string(),
            _ => return self,
        };
        let mut given: Vec<(&str, String, &str)> = Vec::new();
        if let Some(dir) = &manifest.trust_root {
            given.push(("--trust-root", "trust_root".into(), dir));
        }
        if let Some(dir) = &manifest.dest {
            given.push(("--dest", "dest".into(), dir));
        }
        for (name, location) in &manifest.registries {
            given.push(("--registry", format!("registry '{name}'"), location));
        }
        for (flag, key, value) in given {
            if let Some(rest) = text.strip_prefix(&format!("{flag} {value} ")) {
                return Failure::Usage(format!("{key} {value} (from {}) {rest}", manifest.path));
            }
        }
        self
    }

    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Failure::Write(_, e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Failure::Lib(e) => serde_json::json!({"error": e}),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("wasm-plugin").chain(args.iter().copied()))
            .expect("the arguments parse")
    }

    fn missing(args: &[&str]) -> Option<bool> {
        match cli(args).command.verb().takes() {
            Takes::Nothing => None,
            Takes::Defaults { missing } => Some(missing),
        }
    }

    #[test]
    fn a_path_the_manifest_gave_is_named_as_the_manifests_not_as_a_flag() {
        let mut manifest = output::testing::manifest();
        manifest.path = "/p/wasm-plugin.toml".into();
        manifest.trust_root = Some("/p/trust".into());
        let named = |text: &str| {
            Failure::Usage(text.into())
                .naming_manifest(&manifest)
                .to_string()
        };
        assert_eq!(
            named("--trust-root /p/trust does not exist"),
            "trust_root /p/trust (from /p/wasm-plugin.toml) does not exist"
        );
        assert_eq!(
            named("--dest plugins is not a directory"),
            "dest plugins (from /p/wasm-plugin.toml) is not a directory"
        );
        assert_eq!(
            named("--registry index.json does not exist"),
            "registry 'main' index.json (from /p/wasm-plugin.toml) does not exist"
        );
        // A flag's own path is left as the flag's.
        assert_eq!(
            named("--trust-root keys does not exist"),
            "--trust-root keys does not exist"
        );
    }

    fn parsed(args: &[&str]) -> Result<Cli, clap::Error> {
        let mut line = vec![OsString::from("wasm-plugin")];
        line.extend(args.iter().map(OsString::from));
        Cli::parse_args(line)
    }

    #[test]
    fn json_before_the_verb_is_the_verbs_own() {
        assert!(parsed(&["--json", "list"]).unwrap().json());
        assert!(
            parsed(&["--json", "--deadline", "5s", "trust", "show"])
                .unwrap()
                .json()
        );
        assert!(
            parsed(&["--json", "install", "a", "--json"])
                .unwrap()
                .json()
        );
        assert!(!parsed(&["list"]).unwrap().json());
        // A verb without --json refuses it, wherever it is given.
        assert!(parsed(&["--json", "new", "hello"]).is_err());
        // After `--` it is an operand, left where it is.
        let cli = parsed(&["--json", "install", "--", "--json"]).unwrap();
        assert!(cli.json());
    }

    #[test]
    fn json_is_each_verbs_own_flag() {
        assert!(cli(&["list", "--json"]).json());
        assert!(cli(&["info", "hello", "--json"]).json());
        assert!(cli(&["trust", "--json", "show"]).json());
        assert!(!cli(&["list"]).json());
        assert!(!cli(&["new", "hello"]).json());
    }

    #[test]
    fn quiet_is_asked_only_of_the_verbs_that_take_it() {
        let install = cli(&["install", "hello", "-q"]);
        assert!(install.command.verb().quiet());
        assert!(cli(&["sync", "--quiet"]).command.verb().quiet());
        assert!(!cli(&["install", "hello"]).command.verb().quiet());
        assert!(!cli(&["audit"]).command.verb().quiet());
    }

    #[test]
    fn the_manifest_is_read_when_a_flag_it_gives_is_missing() {
        assert_eq!(missing(&["uninstall", "hello"]), Some(true));
        assert_eq!(missing(&["uninstall", "hello", "--dest", "d"]), Some(false));
        assert_eq!(missing(&["install", "hello", "--dest", "d"]), Some(true));
        assert_eq!(
            missing(&["install", "hello", "--dest", "d", "--registry", "r"]),
            Some(false)
        );
        assert_eq!(missing(&["list", "--registry", "r"]), Some(false));
        assert_eq!(missing(&["info", "hello"]), Some(true));
        // Verbs that take nothing from it, or read it themselves.
        assert_eq!(missing(&["verify", "hello.wasm"]), None);
        assert_eq!(missing(&["sync"]), None);
        assert_eq!(missing(&["keygen", "--name", "k"]), None);
    }

    #[test]
    fn filling_install_from_a_manifest_routes_by_its_registries_without_registry() {
        let manifest = output::testing::manifest();
        let mut parsed = cli(&["install", "hello"]);
        parsed.command.verb_mut().fill(&manifest);
        let Command::Install(args) = &parsed.command else {
            panic!("install parses as install")
        };
        assert!(args.manifest.is_some());
        assert_eq!(args.source.dest.as_deref(), Some(Path::new("plugins")));
        let mut named = cli(&["install", "hello", "--registry", "other.json"]);
        named.command.verb_mut().fill(&manifest);
        let Command::Install(args) = &named.command else {
            panic!("install parses as install")
        };
        assert!(args.manifest.is_none());
    }
}
