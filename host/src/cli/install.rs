//! The operator's verbs that change a plugins directory: install, upgrade,
//! uninstall.

use super::args::{LockArgs, NetArgs, PolicyArgs, SourceArgs, WorldArgs, required};
use super::output::Printer;
use super::{Failure, Setup, Takes, Verb, output, stdout_failure};
use clap::Args;
use std::path::{Path, PathBuf};
use wasm_plugin::{
    FindRequest, ForgetRequest, InstallRequest, Manifest, SyncRequest, UninstallRequest,
    UpgradeRequest,
};

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
    /// The manifest whose registries to take plugins from, when
    /// --registry is not given (set when the manifest is lowered).
    #[arg(skip)]
    pub manifest: Option<Manifest>,
}

impl InstallArgs {
    /// The registry a plugin comes from: the one the manifest declares it
    /// in, else the first of its registries, in order, that has it (said on
    /// standard error when that is not the default one), else the default.
    fn registry_for(
        &self,
        installer: &wasm_plugin::Installer,
        manifest: &Manifest,
        spec: &str,
        out: &mut Printer,
    ) -> Result<String, Failure> {
        let name = spec.split('@').next().unwrap_or(spec);
        let location = |registry: &str| {
            manifest
                .registries
                .iter()
                .find(|(n, _)| n == registry)
                .map(|(_, l)| l.clone())
        };
        if let Some(declared) = manifest.plugins.iter().find(|p| p.name == name) {
            let registry = declared
                .registry
                .as_deref()
                .or(manifest.default_registry.as_deref());
            if let Some(found) = registry.and_then(location) {
                return Ok(found);
            }
        }
        if manifest.registries.len() > 1 {
            for (registry, location) in &manifest.registries {
                let mut find = FindRequest::new(location.clone(), spec);
                if let Some(dir) = &self.source.trust_root {
                    find = find.trust_root(dir);
                }
                match installer.find_entry(&find) {
                    Ok(_) => {
                        if manifest.default_registry.as_deref() != Some(registry.as_str()) {
                            out.note(&format!(
                                "{name}: found in registry '{registry}' ({location})"
                            ));
                        }
                        return Ok(location.clone());
                    }
                    Err(e) if e.kind() == "unknown-plugin" => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(self.source.registry()?.to_string())
    }
}

impl Verb for InstallArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn quiet(&self) -> bool {
        self.source.net.quiet
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.source.registry.is_none() || self.source.dest.is_none(),
        }
    }

    fn fill(&mut self, manifest: &Manifest) {
        // Without --registry, each plugin comes from the registry the
        // manifest declares it in, or the first that has it.
        if self.source.registry.is_none() {
            self.manifest = Some(manifest.clone());
        }
        self.source.fill(manifest)
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let registries: Vec<&str> = match &self.manifest {
            Some(m) => m.registries.iter().map(|(_, l)| l.as_str()).collect(),
            None => vec![self.source.registry()?],
        };
        let installer = setup.writer(self.source.net.fetch(self.json, &registries)?)?;
        // Route: which registry each plugin comes from, in the order given.
        let mut groups: Vec<(String, Vec<&String>)> = Vec::new();
        for spec in &self.plugins {
            let registry = match &self.manifest {
                Some(m) => self.registry_for(&installer, m, spec, out)?,
                None => self.source.registry()?.to_string(),
            };
            match groups.iter_mut().find(|(r, _)| *r == registry) {
                Some((_, specs)) => specs.push(spec),
                None => groups.push((registry, vec![spec])),
            }
        }
        let mut outcomes = Vec::new();
        for (registry, specs) in groups {
            let (first, rest) = specs.split_first().expect("a group has a plugin");
            let mut request = rest.iter().fold(
                source_request(&self.source, &registry, first)?,
                |request, spec| request.and(spec.as_str()),
            );
            request = request.allow_downgrade(self.allow_downgrade);
            if let Some(version) = &self.version {
                request = request.version(version);
            }
            outcomes.extend(installer.install_each(&request)?);
        }
        output::install_outcomes(out, &outcomes, false).map_err(stdout_failure)
    }
}

/// An install request for `spec` from `registry` and what install and
/// upgrade share.
fn source_request(
    source: &SourceArgs,
    registry: &str,
    spec: &str,
) -> Result<InstallRequest, Failure> {
    let registry = source.net.remote.registry(registry);
    let mut request = InstallRequest::new(&registry, spec, source.dest()?)
        .allow_expired(source.net.remote.allow_expired)
        .max_size(source.net.max_size)
        .lock_timeout(source.lock.lock_timeout);
    if let Some(dir) = &source.trust_root {
        request = request.trust_root(dir);
    }
    for dir in &source.allow_read {
        request = request.allow_read(dir);
    }
    for glob in &source.policy.allow {
        request = request.allow_import(glob);
    }
    for glob in &source.policy.deny {
        request = request.deny_import(glob);
    }
    if let Some(wit) = &source.world.wit {
        request = request.world(wit, source.world.name.as_deref());
    }
    Ok(request)
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
    /// Print what would be upgraded; fetch no artefact, change nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Print the reports as JSON (an array, one element per plugin)
    #[arg(long)]
    pub json: bool,
}

impl Verb for UpgradeArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn quiet(&self) -> bool {
        self.source.net.quiet
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.source.registry.is_none() || self.source.dest.is_none(),
        }
    }

    fn fill(&mut self, manifest: &Manifest) {
        self.source.fill(manifest)
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let installer = setup.writer(
            self.source
                .net
                .fetch(self.json, &[self.source.registry()?])?,
        )?;
        let source = &self.source;
        let registry = source.net.remote.registry(source.registry()?);
        let mut request = UpgradeRequest::new(&registry, source.dest()?)
            .allow_expired(source.net.remote.allow_expired)
            .max_size(source.net.max_size)
            .lock_timeout(source.lock.lock_timeout)
            .dry_run(self.dry_run);
        if let Some(dir) = &source.trust_root {
            request = request.trust_root(dir);
        }
        for dir in &source.allow_read {
            request = request.allow_read(dir);
        }
        for glob in &source.policy.allow {
            request = request.allow_import(glob);
        }
        for glob in &source.policy.deny {
            request = request.deny_import(glob);
        }
        if let Some(wit) = &source.world.wit {
            request = request.world(wit, source.world.name.as_deref());
        }
        for name in &self.plugins {
            request = request.plugin(name);
        }
        let outcomes = installer.upgrade(&request)?;
        if outcomes.is_empty() {
            return output::nothing_installed(out, source.dest()?).map_err(stdout_failure);
        }
        if self.dry_run {
            return output::upgrade_plan(out, &outcomes).map_err(stdout_failure);
        }
        output::install_outcomes(out, &outcomes, true).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The plugins directory [default: the manifest's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Directory of trusted *.pub keys (or one *.pub file) [default: the manifest's trust_root]
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// Print what would change, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse to change wasm-plugin.lock: fail when it and the manifest
    /// disagree (for CI and fleets)
    #[arg(long)]
    pub locked: bool,
    /// How many plugins to fetch and place at once
    #[arg(long, short = 'j', value_name = "N", default_value_t = wasm_plugin::DEFAULT_SYNC_JOBS as u16,
          value_parser = clap::value_parser!(u16).range(1..=wasm_plugin::MAX_SYNC_JOBS as i64))]
    pub jobs: u16,
    #[command(flatten)]
    pub net: NetArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub world: WorldArgs,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for SyncArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn quiet(&self) -> bool {
        self.net.quiet
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let manifest = manifest_path(setup.config.as_deref(), "sync")?;
        // The manifest's registries are the ones a CI token may go to.
        let declared = setup.installer(None)?.read_manifest(&manifest)?;
        let registries: Vec<&str> = declared
            .registries
            .iter()
            .map(|(_, l)| l.as_str())
            .collect();
        let installer = setup.writer(self.net.fetch(self.json, &registries)?)?;
        let mut policy = self.policy;
        policy.fill(&declared);
        let mut request = SyncRequest::new(&manifest)
            .dry_run(self.dry_run)
            .locked(self.locked)
            .jobs(usize::from(self.jobs))
            .plain_http(self.net.remote.plain_http)
            .allow_expired(self.net.remote.allow_expired)
            .max_size(self.net.max_size)
            .lock_timeout(self.lock.lock_timeout);
        if let Some(dir) = &self.dest {
            request = request.dest(dir);
        }
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        for glob in &policy.allow {
            request = request.allow_import(glob);
        }
        for glob in &policy.deny {
            request = request.deny_import(glob);
        }
        if let Some(wit) = &self.world.wit {
            request = request.world(wit, self.world.name.as_deref());
        }
        let report = installer.sync(&request)?;
        output::sync(out, &report).map_err(stdout_failure)
    }
}

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

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let manifest = manifest_path(setup.config.as_deref(), "lock")?;
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
        let report = installer.sync(&request)?;
        output::sync(out, &report).map_err(stdout_failure)
    }
}

/// The manifest a plugin-set verb works on.
fn manifest_path(config: Option<&Path>, verb: &str) -> Result<PathBuf, Failure> {
    match config {
        Some(path) => Ok(path.to_path_buf()),
        None if Path::new("wasm-plugin.toml").is_file() => Ok(PathBuf::from("wasm-plugin.toml")),
        None => Err(Failure::Usage(format!(
            "{verb} needs a manifest: run it where wasm-plugin.toml is, or pass --config FILE"
        ))),
    }
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Plugins to remove
    #[arg(required = true, value_name = "NAME")]
    pub plugins: Vec<String>,
    /// The plugins directory [default: the wasm-plugin.toml's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Print the reports as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for UninstallArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.dest.is_none(),
        }
    }

    /// Takes what the flags leave out from the manifest.
    fn fill(&mut self, manifest: &Manifest) {
        self.dest = self
            .dest
            .take()
            .or_else(|| manifest.dest.as_ref().map(PathBuf::from));
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let dest = required(self.dest.as_deref(), "--dest", "dest")?;
        let installer = setup.installer(None)?;
        let (first, rest) = self.plugins.split_first().expect("clap requires one");
        let request = rest
            .iter()
            .fold(UninstallRequest::new(dest, first), |r, name| r.and(name))
            .lock_timeout(self.lock.lock_timeout);
        let results = installer.uninstall(&request)?;
        output::uninstalled(out, &results).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct ForgetRegistryArgs {
    /// The registry whose recorded index version to forget: the index's
    /// path or URL, as install was given it
    #[arg(value_name = "INDEX-OR-URL")]
    pub registry: String,
    /// The plugins directory [default: the wasm-plugin.toml's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for ForgetRegistryArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.dest.is_none(),
        }
    }

    /// Takes what the flags leave out from the manifest.
    fn fill(&mut self, manifest: &Manifest) {
        self.dest = self
            .dest
            .take()
            .or_else(|| manifest.dest.as_ref().map(PathBuf::from));
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let dest = required(self.dest.as_deref(), "--dest", "dest")?;
        let request = ForgetRequest::new(dest, &self.registry).lock_timeout(self.lock.lock_timeout);
        let report = setup.installer(None)?.forget_registry(&request)?;
        output::forgot(out, &report).map_err(stdout_failure)
    }
}
