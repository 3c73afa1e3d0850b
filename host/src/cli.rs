//! The command line: one struct per verb, each with its own `run`.
//!
//! A verb turns its flags into grants (canonical paths), takes the
//! destination's lock where it writes, runs the component, and hands the
//! reports to `output`. It decides nothing about plugins itself; that is the
//! component's job. `run` returns the exit code of a command that ran to the
//! end (a partly failed multi-plugin install, an audit with findings), or the
//! failure that stopped it.

use crate::fetch::{FetchOptions, HttpFetcher};
use crate::lock::{self, Access};
use crate::output::{self, Outcome};
use crate::paths;
use crate::report::Failure;
use crate::runtime::{COMPONENT, Grants, Runtime, wit};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
        usage; 3 fetch or I/O failure."
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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install plugins from a registry index into a plugins directory
    Install(InstallArgs),
    /// Move installed plugins to the highest version a registry offers
    Upgrade(UpgradeArgs),
    /// Remove installed plugins
    Uninstall(UninstallArgs),
    /// List the plugins a registry offers, or those installed in a directory
    List(ListArgs),
    /// Check everything installed in a plugins directory against its receipts and a trust root
    Audit(AuditArgs),
    /// Check the digest and signature of a plugin file on disk
    Verify(VerifyArgs),
    /// Create a new plugin project
    New(NewArgs),
    /// Make an Ed25519 key pair for signing plugins
    Keygen(KeygenArgs),
    /// Sign a plugin file, writing its .sig sidecar
    Sign(SignArgs),
    /// Add a plugin version to a registry index (creating the index if missing)
    Publish(PublishArgs),
    /// Copy a registry and its artefacts into a directory, for offline use
    Mirror(MirrorArgs),
    /// Write the installer component, for runtimes that embed it
    Component(ComponentArgs),
}

impl Cli {
    /// Whether output (errors included) is JSON.
    pub fn json(&self) -> bool {
        match &self.command {
            Command::Install(a) => a.json,
            Command::Upgrade(a) => a.json,
            Command::Uninstall(a) => a.json,
            Command::List(a) => a.json,
            Command::Audit(a) => a.json,
            Command::Verify(a) => a.json,
            Command::Keygen(a) => a.json,
            Command::Sign(a) => a.json,
            Command::Publish(a) => a.json,
            Command::Mirror(a) => a.json,
            Command::New(_) | Command::Component(_) => false,
        }
    }

    /// Runs the verb; the exit code, or the failure that stopped it.
    pub fn run(self) -> Result<u8, Failure> {
        crate::runtime::set_limits(crate::runtime::Limits {
            deadline: self.deadline,
            memory: usize::try_from(self.max_memory).unwrap_or(usize::MAX),
        });
        match self.command {
            Command::Install(a) => a.run(),
            Command::Upgrade(a) => a.run(),
            Command::Uninstall(a) => a.run(),
            Command::List(a) => a.run(),
            Command::Audit(a) => a.run(),
            Command::Verify(a) => a.run(),
            Command::New(a) => a.run(),
            Command::Keygen(a) => a.run(),
            Command::Sign(a) => a.run(),
            Command::Publish(a) => a.run(),
            Command::Mirror(a) => a.run(),
            Command::Component(a) => a.run(),
        }
    }
}

/// Where plugins come from and who is trusted: shared by install and upgrade.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// The registry index: a path to index.json, or an http(s):// URL
    #[arg(long, value_name = "INDEX-OR-URL")]
    pub registry: String,
    /// The plugins directory (created if missing)
    #[arg(long, value_name = "DIR")]
    pub dest: PathBuf,
    /// Directory of trusted *.pub keys; when given, a valid signature by one
    /// of them is required (and an index signature, when present, must verify)
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// Also let the installer read DIR (for artifacts outside the registry's directory)
    #[arg(long, value_name = "DIR")]
    pub allow_read: Vec<PathBuf>,
    #[command(flatten)]
    pub net: NetArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

/// How a remote index is fetched and judged.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// Trust only the CA certificates in this PEM file for https (instead of
    /// the bundled web roots)
    #[arg(long, value_name = "PEM", env = "WASM_PLUGIN_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Connect timeout, and the longest wait for any read (seconds, or 90s, 2m)
    #[arg(long, value_name = "DURATION", default_value = "30", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Accept a registry index past its "expires" time
    #[arg(long)]
    pub allow_expired: bool,
}

impl RemoteArgs {
    fn fetcher(&self, progress: bool) -> Result<HttpFetcher, Failure> {
        let options = FetchOptions {
            connect_timeout: self.timeout.min(Duration::from_secs(30)),
            read_timeout: self.timeout,
            ca_cert: self.ca_cert.clone(),
            progress,
            ..FetchOptions::default()
        };
        HttpFetcher::new(options).map_err(|e| Failure::Usage(e.0))
    }
}

/// How artefacts are fetched.
#[derive(Debug, Args)]
pub struct NetArgs {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Refuse downloads larger than this (bytes, or with KiB, MiB, GiB)
    #[arg(long, value_name = "SIZE", default_value = "512MiB", value_parser = parse_size)]
    pub max_size: u64,
    /// No progress bar
    #[arg(long, short)]
    pub quiet: bool,
}

impl NetArgs {
    /// A fetcher for these options; the progress bar only for humans.
    fn fetcher(&self, json: bool) -> Result<HttpFetcher, Failure> {
        self.remote.fetcher(!self.quiet && !json)
    }
}

/// `512MiB`, `1GiB`, `4096`, `100k`: a size in bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a size such as 512MiB"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit '{other}' (use KiB, MiB or GiB)")),
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("'{text}' is too large"))
}

/// The registry as the component receives it, and the directory to grant
/// for it (none for a URL).
fn registry_arg(registry: &str) -> Result<(String, Option<PathBuf>), Failure> {
    let lower = registry.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok((registry.to_string(), None));
    }
    let path = paths::existing_file(Path::new(registry), "--registry")?;
    Ok((
        paths::guest(&path),
        Some(paths::parent(&path).to_path_buf()),
    ))
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// How long to wait for another run working on the same plugins directory
    /// (seconds, or a duration such as 90s or 2m)
    #[arg(long, value_name = "DURATION", default_value = "60", value_parser = parse_duration)]
    pub lock_timeout: Duration,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    match text.parse::<u64>() {
        Ok(seconds) => Ok(Duration::from_secs(seconds)),
        Err(_) => humantime::parse_duration(text).map_err(|e| e.to_string()),
    }
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Plugins to install: NAME, or NAME@REQ with a semver requirement
    /// (colmask@^1.2, colmask@=0.3.1, 'colmask@>=1,<2')
    #[arg(required = true, value_name = "NAME[@REQ]")]
    pub plugins: Vec<String>,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Exact version to install, as published (one plugin only)
    /// [default: the highest release matching]
    #[arg(long)]
    pub version: Option<String>,
    /// Install a lower version than the one installed
    #[arg(long)]
    pub allow_downgrade: bool,
    /// Print the reports as JSON (an array, one element per plugin)
    #[arg(long)]
    pub json: bool,
}

impl InstallArgs {
    fn run(self) -> Result<u8, Failure> {
        if self.version.is_some() && self.plugins.len() > 1 {
            return Err(Failure::Usage(
                "--version applies to one plugin; for several, write NAME@=VERSION for each".into(),
            ));
        }
        let session = Session::open(&self.source, self.json)?;
        let outcomes = session.install_all(
            &self.plugins,
            self.version.as_deref(),
            wit::InstallMode::Install,
            self.allow_downgrade,
        )?;
        output::install_outcomes(&outcomes, self.json).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Installed plugins to upgrade
    #[arg(
        value_name = "NAME",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub plugins: Vec<String>,
    /// Upgrade every installed plugin
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Print the reports as JSON (an array, one element per plugin)
    #[arg(long)]
    pub json: bool,
}

impl UpgradeArgs {
    fn run(self) -> Result<u8, Failure> {
        let session = Session::open(&self.source, self.json)?;
        let plugins = if self.all {
            let dest = paths::existing_dir(&self.source.dest, "--dest")?;
            let receipts = session.call(Grants::reading(&dest), |i, s| {
                i.call_list_installed(s, &paths::guest(&dest))
            })??;
            receipts.into_iter().map(|r| r.name).collect()
        } else {
            self.plugins
        };
        if plugins.is_empty() {
            return output::nothing_installed(&self.source.dest, self.json).map_err(stdout_failure);
        }
        let outcomes = session.install_all(&plugins, None, wit::InstallMode::Upgrade, false)?;
        output::install_outcomes(&outcomes, self.json).map_err(stdout_failure)
    }
}

/// What install and upgrade share: the runtime, the canonical paths, and the
/// read-only grants for the registry and trust root.
struct Session<'a> {
    args: &'a SourceArgs,
    runtime: Runtime,
    /// As the component receives it: a canonical path or a URL.
    registry: String,
    trust_root: Option<PathBuf>,
    grants: Grants,
    json: bool,
}

impl<'a> Session<'a> {
    fn open(args: &'a SourceArgs, json: bool) -> Result<Session<'a>, Failure> {
        let (registry, registry_dir) = registry_arg(&args.registry)?;
        let trust_root = paths::optional(
            args.trust_root.as_deref(),
            "--trust-root",
            paths::existing_dir,
        )?;
        let mut grants = Grants::default();
        for dir in registry_dir.iter().chain(trust_root.iter()) {
            grants.read(dir);
        }
        for dir in &args.allow_read {
            grants.read(&paths::existing_dir(dir, "--allow-read")?);
        }
        // Refuse a bad --ca-cert or proxy variable before anything runs.
        args.net.fetcher(json)?;
        Ok(Session {
            args,
            runtime: Runtime::new()?,
            registry,
            trust_root,
            grants,
            json,
        })
    }

    fn source(&self) -> wit::IndexSource {
        wit::IndexSource {
            registry: self.registry.clone(),
            trust_root: self.trust_root.as_deref().map(paths::guest),
            allow_expired: self.args.net.remote.allow_expired,
        }
    }

    /// One call with `grants` and network for the index, no progress bar.
    fn call<R>(
        &self,
        grants: Grants,
        f: impl FnOnce(
            &wit::Guest,
            &mut wasmtime::Store<crate::runtime::HostState>,
        ) -> wasmtime::Result<R>,
    ) -> Result<R, Failure> {
        let fetcher = self.args.net.fetcher(true)?;
        Ok(self.runtime.with_installer(grants, fetcher, f)?)
    }

    /// Resolves every spec with read-only grants (a bad one creates nothing
    /// and does not stop the others), then installs the rest one by one
    /// under the destination's lock. An upgrade needs what it upgrades to be
    /// installed, so its destination must exist and the component itself
    /// says first when a plugin is not there.
    fn install_all(
        &self,
        specs: &[String],
        version: Option<&str>,
        mode: wit::InstallMode,
        allow_downgrade: bool,
    ) -> Result<Vec<Outcome>, Failure> {
        let source = self.source();
        let mut outcomes: Vec<Outcome> = Vec::new();
        // Where the destination and its lock file exist already, taking the
        // lock creates nothing, and the install itself refuses a bad request
        // before writing: resolving first would only read the index twice.
        let ready = lock::path(&self.args.dest).is_file();
        let resolved: Vec<String> = match mode {
            wit::InstallMode::Upgrade => {
                paths::existing_dir(&self.args.dest, "--dest")?;
                specs.to_vec()
            }
            wit::InstallMode::Install if ready => specs.to_vec(),
            wit::InstallMode::Install => {
                let mut resolved = Vec::new();
                for spec in specs {
                    let found = self
                        .call(self.grants.clone(), |i, s| {
                            i.call_find_entry(s, &source, spec, version)
                        })
                        .and_then(|r| r.map_err(Failure::from));
                    match found {
                        Ok(_) => resolved.push(spec.clone()),
                        Err(failure) => outcomes.push(Outcome::failed(spec, failure)),
                    }
                }
                resolved
            }
        };
        if resolved.is_empty() {
            return Ok(outcomes);
        }

        let (dest, created) = paths::ensure_dir(&self.args.dest, "--dest")?;
        // On a timeout another run owns the destination: nothing of it is
        // ours to clean up, even if this run created the directory.
        let held = lock::acquire(&dest, Access::Exclusive, self.args.lock.lock_timeout)?;
        let mut grants = self.grants.clone();
        grants.write(&dest);
        for spec in resolved {
            let request = wit::InstallRequest {
                registry: self.registry.clone(),
                spec: spec.clone(),
                version: version.map(str::to_string),
                dest: paths::guest(&dest),
                trust_root: self.trust_root.as_deref().map(paths::guest),
                mode,
                allow_downgrade,
                allow_expired: self.args.net.remote.allow_expired,
                max_size: self.args.net.max_size,
            };
            let fetcher = self.args.net.fetcher(self.json)?;
            let result = self
                .runtime
                .with_installer(grants.clone(), fetcher, |i, s| i.call_install(s, &request))
                .map_err(Failure::from)
                .and_then(|r| r.map_err(Failure::from));
            if let Err(failure) = &result
                && failure.is_trap()
            {
                // A trap runs no clean-up in the guest; we hold the lock.
                self.runtime.clean(&dest)?;
            }
            if let Err(failure @ Failure::Interrupted { .. }) = result {
                return Err(failure);
            }
            outcomes.push(match result {
                Ok(report) => Outcome::done(&spec, report),
                Err(failure) => Outcome::failed(&spec, failure),
            });
            // Stopped between two plugins: the next one is not started.
            if let Some(signal) = crate::interrupt::pending() {
                return Err(Failure::Interrupted { signal });
            }
        }
        // Keep the order the plugins were asked for.
        outcomes.sort_by_key(|o| specs.iter().position(|s| *s == o.spec));
        if created && outcomes.iter().all(|o| o.result.is_err()) {
            paths::remove_if_unused(&dest);
        }
        drop(held);
        Ok(outcomes)
    }
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Plugins to remove
    #[arg(required = true, value_name = "NAME")]
    pub plugins: Vec<String>,
    /// The plugins directory
    #[arg(long, value_name = "DIR")]
    pub dest: PathBuf,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Print the reports as JSON
    #[arg(long)]
    pub json: bool,
}

impl UninstallArgs {
    fn run(self) -> Result<u8, Failure> {
        let dest = paths::existing_dir(&self.dest, "--dest")?;
        let runtime = Runtime::new()?;
        let _held = lock::acquire(&dest, Access::Exclusive, self.lock.lock_timeout)?;
        let mut grants = Grants::default();
        grants.write(&dest);
        let results = self
            .plugins
            .iter()
            .map(|name| {
                let result = runtime
                    .with_installer(grants.clone(), HttpFetcher::disabled(), |i, s| {
                        i.call_uninstall(s, &paths::guest(&dest), name)
                    })
                    .map_err(Failure::from)
                    .and_then(|r| r.map_err(Failure::from));
                (name.clone(), result)
            })
            .collect::<Vec<_>>();
        output::uninstalled(&results, self.json).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The registry index whose plugins to list: a path or an http(s):// URL
    #[arg(
        long,
        value_name = "INDEX-OR-URL",
        required_unless_present = "installed",
        conflicts_with = "installed"
    )]
    pub registry: Option<String>,
    /// Directory of trusted *.pub keys, to verify the index signature
    #[arg(long, value_name = "DIR", conflicts_with = "installed")]
    pub trust_root: Option<PathBuf>,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// List what is installed in --dest instead
    #[arg(long, requires = "dest")]
    pub installed: bool,
    /// The plugins directory (with --installed)
    #[arg(long, value_name = "DIR", requires = "installed")]
    pub dest: Option<PathBuf>,
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

impl ListArgs {
    fn run(self) -> Result<u8, Failure> {
        let runtime = Runtime::new()?;
        if let Some(dest) = &self.dest {
            let dest = paths::existing_dir(dest, "--dest")?;
            let receipts = runtime.with_installer(
                Grants::reading(&dest),
                HttpFetcher::disabled(),
                |i, s| i.call_list_installed(s, &paths::guest(&dest)),
            )??;
            return output::installed(&receipts, self.json).map_err(stdout_failure);
        }
        let registry = self
            .registry
            .as_deref()
            .expect("clap requires --registry without --installed");
        let (registry, registry_dir) = registry_arg(registry)?;
        let trust_root = paths::optional(
            self.trust_root.as_deref(),
            "--trust-root",
            paths::existing_dir,
        )?;
        let mut grants = Grants::default();
        for dir in registry_dir.iter().chain(trust_root.iter()) {
            grants.read(dir);
        }
        let source = wit::IndexSource {
            registry,
            trust_root: trust_root.as_deref().map(paths::guest),
            allow_expired: self.remote.allow_expired,
        };
        let fetcher = self.remote.fetcher(false)?;
        let index =
            runtime.with_installer(grants, fetcher, |i, s| i.call_load_index(s, &source))??;
        output::list(&index, self.json).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// The registry to copy: a path to index.json, or an http(s):// URL
    #[arg(long, value_name = "INDEX-OR-URL")]
    pub registry: String,
    /// The directory to write the mirror to (created if missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Directory of trusted *.pub keys: every artefact (and the index, when
    /// signed) must verify against it
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// Sign the mirrored index with this private key when its artifact paths
    /// had to be rewritten
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub net: NetArgs,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl MirrorArgs {
    fn run(self) -> Result<u8, Failure> {
        let (registry, registry_dir) = registry_arg(&self.registry)?;
        let trust_root = paths::optional(
            self.trust_root.as_deref(),
            "--trust-root",
            paths::existing_dir,
        )?;
        let key = paths::optional(self.key.as_deref(), "--key", paths::existing_file)?;
        let fetcher = self.net.fetcher(self.json)?;
        let runtime = Runtime::new()?;
        let (out, created) = paths::ensure_dir(&self.out, "--out")?;
        let mut grants = Grants::default();
        for dir in registry_dir.iter().chain(trust_root.iter()) {
            grants.read(dir);
        }
        if let Some(key) = &key {
            grants.read(paths::parent(key));
        }
        grants.write(&out);
        let request = wit::MirrorRequest {
            source: wit::IndexSource {
                registry,
                trust_root: trust_root.as_deref().map(paths::guest),
                allow_expired: self.net.remote.allow_expired,
            },
            out: paths::guest(&out),
            key: key.as_deref().map(paths::guest),
            max_size: self.net.max_size,
        };
        let result = runtime
            .with_installer(grants, fetcher, |i, s| i.call_mirror(s, &request))
            .map_err(Failure::from)
            .and_then(|r| r.map_err(Failure::from));
        if result.is_err() && created {
            let _ = std::fs::remove_dir(&out);
        }
        output::mirror(&result?, self.json).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The plugins directory to audit (granted read-only)
    #[arg(long, value_name = "DIR")]
    pub dest: PathBuf,
    /// Directory of trusted *.pub keys; when given, every plugin must carry a
    /// signature by one of them
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Print every plugin with its status as JSON
    #[arg(long)]
    pub json: bool,
}

impl AuditArgs {
    fn run(self) -> Result<u8, Failure> {
        let dest = paths::existing_dir(&self.dest, "--dest")?;
        let trust_root = paths::optional(
            self.trust_root.as_deref(),
            "--trust-root",
            paths::existing_dir,
        )?;
        let runtime = Runtime::new()?;
        // Shared: audits may run side by side, but not beside an install,
        // whose temp files would look like leftovers.
        let _held = lock::acquire_shared_if_possible(&dest, self.lock.lock_timeout)?;
        let mut grants = Grants::reading(&dest);
        if let Some(dir) = &trust_root {
            grants.read(dir);
        }
        let mut report = runtime.with_installer(grants, HttpFetcher::disabled(), |i, s| {
            i.call_audit(
                s,
                &paths::guest(&dest),
                trust_root.as_deref().map(paths::guest).as_deref(),
            )
        })??;
        crate::report::name_link_targets(&mut report);
        output::audit(&report, self.json).map_err(stdout_failure)
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
    fn run(self) -> Result<u8, Failure> {
        let file = paths::existing_file(&self.file, "the file")?;
        let sig = paths::optional(self.sig.as_deref(), "--sig", paths::existing_file)?;
        let trust_root = paths::optional(
            self.trust_root.as_deref(),
            "--trust-root",
            paths::existing_dir,
        )?;
        let mut grants = Grants::reading(paths::parent(&file));
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
            Runtime::new()?.with_installer(grants, HttpFetcher::disabled(), |i, s| {
                i.call_verify(s, &request)
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
    fn run(self) -> Result<u8, Failure> {
        let parent = paths::existing_dir(&self.dir, "--dir")?;
        let mut grants = Grants::default();
        grants.write(&parent);
        let report =
            Runtime::new()?.with_installer(grants, HttpFetcher::disabled(), |i, s| {
                i.call_scaffold(s, &self.name, &paths::guest(&parent))
            })??;
        output::scaffold(&report).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Label of the key: writes <LABEL>.key and <LABEL>.pub
    #[arg(long = "name", value_name = "LABEL")]
    pub label: String,
    /// Where to write the two files
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out_dir: PathBuf,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl KeygenArgs {
    fn run(self) -> Result<u8, Failure> {
        let out_dir = paths::existing_dir(&self.out_dir, "--out-dir")?;
        let runtime = Runtime::new()?;
        let mut grants = Grants::default();
        grants.write(&out_dir);
        // WASI has no file modes: files the component creates get the
        // process umask, so it is made owner-only while the key is written.
        let report = paths::with_private_umask(|| {
            runtime.with_installer(grants, HttpFetcher::disabled(), |i, s| {
                i.call_keygen(s, &self.label, &paths::guest(&out_dir))
            })
        })??;
        // The public half is meant to be shared.
        paths::make_world_readable(Path::new(&report.pub_path));
        output::keygen(&report, self.json).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The plugin file to sign
    pub file: PathBuf,
    /// The private key (PKCS#8 PEM, from keygen or `openssl genpkey -algorithm ed25519`)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Where to write the signature [default: the file's .sig sidecar]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl SignArgs {
    fn run(self) -> Result<u8, Failure> {
        let file = paths::existing_file(&self.file, "the file")?;
        let key = paths::existing_file(&self.key, "--key")?;
        let out = match &self.out {
            Some(out) => paths::file_in_existing_dir(out, "--out")?,
            None => file.with_extension("sig"),
        };
        let mut grants = Grants::reading(paths::parent(&file));
        grants.read(paths::parent(&key)).write(paths::parent(&out));
        let report =
            Runtime::new()?.with_installer(grants, HttpFetcher::disabled(), |i, s| {
                i.call_sign(
                    s,
                    &paths::guest(&file),
                    &paths::guest(&key),
                    Some(paths::guest(&out).as_str()),
                )
            })??;
        output::sign(&report, self.json).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The plugin file to publish
    pub file: PathBuf,
    /// The registry index to add it to (created if missing)
    #[arg(long, value_name = "INDEX")]
    pub registry: PathBuf,
    /// Plugin name [default: the file name, less any -<version> suffix]
    #[arg(long)]
    pub name: Option<String>,
    /// Version [default: read off a <name>-<semver>.wasm file name]
    #[arg(long)]
    pub version: Option<String>,
    /// One line saying what the plugin does
    #[arg(long)]
    pub description: Option<String>,
    /// Sign with this private key (PKCS#8 PEM)
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// The entry's artifact location (a path or URL) [default: copy the file
    /// next to the index as <name>-<version>.wasm]
    #[arg(long, value_name = "PATH-OR-URL")]
    pub artifact: Option<String>,
    /// Replace an entry with the same name and version
    #[arg(long)]
    pub force: bool,
    /// Make the index expire after this long (e.g. 30d), so clients notice a
    /// registry that stopped being updated
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub expires_in: Option<Duration>,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl PublishArgs {
    fn run(self) -> Result<u8, Failure> {
        let file = paths::existing_file(&self.file, "the file")?;
        let registry = paths::file_in_existing_dir(&self.registry, "--registry")?;
        let key = paths::optional(self.key.as_deref(), "--key", paths::existing_file)?;
        let mut grants = Grants::reading(paths::parent(&file));
        if let Some(key) = &key {
            grants.read(paths::parent(key));
        }
        grants.write(paths::parent(&registry));
        let request = wit::PublishRequest {
            artifact: paths::guest(&file),
            registry: paths::guest(&registry),
            name: self.name,
            version: self.version,
            description: self.description,
            key: key.as_deref().map(paths::guest),
            location: self.artifact,
            force: self.force,
            expires_in: self.expires_in.map(|d| d.as_secs()),
        };
        let report =
            Runtime::new()?.with_installer(grants, HttpFetcher::disabled(), |i, s| {
                i.call_publish(s, &request)
            })??;
        output::publish(&report, self.json).map_err(stdout_failure)
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
    fn run(self) -> Result<u8, Failure> {
        if self.out == Path::new("-") {
            use std::io::IsTerminal;
            if std::io::stdout().is_terminal() {
                return Err(Failure::Usage(
                    "refusing to write a binary component to a terminal; redirect standard output \
                     or pass --out <file>"
                        .into(),
                ));
            }
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(COMPONENT)
                .and_then(|()| stdout.flush())
                .map_err(stdout_failure)?;
            return Ok(0);
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

fn stdout_failure(e: std::io::Error) -> Failure {
    Failure::io(Path::new("<stdout>"), "write to", e)
}
