//! Flags shared by several verbs, and how they are lowered: into a fetcher
//! (network flags) and into the fields of a request.

use super::{Failure, Setup, progress};
use clap::Args;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;
use wasm_plugin::fetch::{HttpFetch, HttpOptions, RegistryCredentials};
use wasm_plugin::{IndexRequest, Manifest, RegistryIndex, YankRequest};

/// Where plugins come from and who is trusted: shared by install and upgrade.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// The registry: a path to index.json, an http(s):// URL of one, or an
    /// OCI registry namespace, oci://HOST[:PORT]/NAMESPACE [default: the
    /// wasm-plugin.toml's default registry]
    #[arg(long, value_name = "INDEX-OR-URL")]
    pub registry: Option<String>,
    /// The plugins directory (install creates it if missing; upgrade needs
    /// it to exist) [default: the wasm-plugin.toml's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Directory of trusted *.pub keys (or one *.pub file); when given, a valid signature by one
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
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub world: WorldArgs,
}

/// The world the runtime loads plugins as: versions that do not fit it are
/// passed over.
#[derive(Debug, Args)]
pub struct WorldArgs {
    /// Only versions that fit the runtime's world in FILE (a .wit file, or a
    /// WIT package directory): a plugin must export what the world exports,
    /// with the same types. A newer version that does not fit is skipped
    /// (and named); one asked for exactly (NAME@=1.2.3, --version) is refused
    /// [default: the wasm-plugin.toml's world]
    #[arg(long = "world", value_name = "FILE")]
    pub wit: Option<PathBuf>,
    /// The world in --world's package, when it has several
    #[arg(long = "world-name", value_name = "NAME", requires = "wit")]
    pub name: Option<String>,
}

impl WorldArgs {
    /// The manifest's `world` (and `world_name`) unless `--world` is given.
    pub fn fill(&mut self, manifest: &Manifest) {
        if self.wit.is_none() {
            self.wit = manifest.world.as_ref().map(PathBuf::from);
            self.name = manifest.world_name.clone();
        }
    }
}

/// What an installed plugin may import: the capability policy.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Allow imports matching PATTERN (a glob over WIT names, e.g.
    /// 'wasi:io/*'; repeatable): with any, a plugin importing something
    /// none matches breaks the policy (refused before anything is placed;
    /// for audit, a finding) [default: the manifest's policy.allow_imports]
    #[arg(long = "allow-import", value_name = "PATTERN")]
    pub allow: Vec<String>,
    /// A plugin with an import matching PATTERN (e.g. 'wasi:sockets/*';
    /// repeatable) breaks the policy [default: the manifest's
    /// policy.deny_imports]
    #[arg(long = "deny-import", value_name = "PATTERN")]
    pub deny: Vec<String>,
}

impl PolicyArgs {
    /// The manifest's `[policy]`: each list unless the flags give that one
    /// (so `--deny-import` does not drop the manifest's allow list).
    pub fn fill(&mut self, manifest: &Manifest) {
        if self.allow.is_empty() {
            self.allow = manifest.allow_imports.clone();
        }
        if self.deny.is_empty() {
            self.deny = manifest.deny_imports.clone();
        }
    }
}

impl SourceArgs {
    /// Takes what the flags leave out from the manifest.
    pub fn fill(&mut self, manifest: &Manifest) {
        self.registry = self
            .registry
            .take()
            .or_else(|| manifest.default_registry_location().map(str::to_string));
        self.dest = self
            .dest
            .take()
            .or_else(|| manifest.dest.as_ref().map(PathBuf::from));
        self.trust_root = self
            .trust_root
            .take()
            .or_else(|| manifest.trust_root.as_ref().map(PathBuf::from));
        self.policy.fill(manifest);
        self.world.fill(manifest);
    }

    pub fn registry(&self) -> Result<&str, Failure> {
        required(self.registry.as_deref(), "--registry", "a default registry")
    }

    pub fn dest(&self) -> Result<&Path, Failure> {
        required(self.dest.as_deref(), "--dest", "dest")
    }
}

/// A flag's value, or the usage error saying where else it may come from.
pub fn required<'a, T: ?Sized>(
    value: Option<&'a T>,
    flag: &str,
    in_manifest: &str,
) -> Result<&'a T, Failure> {
    value.ok_or_else(|| {
        Failure::Usage(format!(
            "{flag} is required: give it, or run where a wasm-plugin.toml (or --config FILE) \
             names {in_manifest}"
        ))
    })
}

/// Where `info`, `search` and `outdated` read the registry from.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// The registry: a path, an http(s):// URL or an oci:// namespace
    /// [default: the wasm-plugin.toml's default registry]
    #[arg(long, value_name = "INDEX-OR-URL")]
    pub registry: Option<String>,
    /// Directory of trusted *.pub keys (or one *.pub file), to verify the index signature
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

impl IndexArgs {
    /// Takes what the flags leave out from the manifest.
    pub fn fill(&mut self, manifest: &Manifest) {
        self.registry = self
            .registry
            .take()
            .or_else(|| manifest.default_registry_location().map(str::to_string));
        self.trust_root = self
            .trust_root
            .take()
            .or_else(|| manifest.trust_root.as_ref().map(PathBuf::from));
    }

    /// The index as far as `plugin` needs it (all of a flat one; that
    /// plugin's file of a sparse one), or all of it (`None`).
    pub fn load_of(&self, setup: &Setup, plugin: Option<&str>) -> Result<RegistryIndex, Failure> {
        self.load_with(setup, |request| match plugin {
            Some(name) => request.plugin(name),
            None => request,
        })
    }

    /// The index, its request completed by `wanted` (a plugin, a search).
    pub fn load_with(
        &self,
        setup: &Setup,
        wanted: impl FnOnce(IndexRequest) -> IndexRequest,
    ) -> Result<RegistryIndex, Failure> {
        let registry = required(self.registry.as_deref(), "--registry", "a default registry")?;
        let installer = setup.installer(Some(self.remote.fetch(false, &[registry])?))?;
        let mut request = IndexRequest::new(self.remote.registry(registry))
            .allow_expired(self.remote.allow_expired);
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        Ok(installer.load_index(&wanted(request))?)
    }
}

/// How a remote index is fetched and judged.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// Trust only the CA certificates in this PEM file for https (instead of
    /// the bundled web roots)
    #[arg(long, value_name = "PEM", env = "WASM_PLUGIN_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Connect timeout, the longest wait for any read or write, and for a
    /// response's status and headers in all (seconds, or 90s, 2m)
    #[arg(long, value_name = "DURATION", default_value = "30", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Accept a registry index past its "expires" time
    #[arg(long)]
    pub allow_expired: bool,
    /// A file holding a bearer token for OCI registries (for CI; also
    /// WASM_PLUGIN_REGISTRY_TOKEN). Otherwise the docker config's logins
    /// are used ($DOCKER_CONFIG/config.json or ~/.docker/config.json)
    #[arg(long, value_name = "FILE")]
    pub registry_token_file: Option<PathBuf>,
    /// Reach oci:// registries over plain http (a registry on a loopback
    /// address already is). Credentials are never sent over it except to
    /// loopback; the digests and signatures are checked as always
    #[arg(long)]
    pub plain_http: bool,
}

/// The `host[:port]` of an `oci://` (or `oci+http://`) reference.
fn oci_host(reference: &str) -> Option<String> {
    let lower = reference.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("oci://")
        .or_else(|| lower.strip_prefix("oci+http://"))?;
    rest.split('/').next().map(str::to_string)
}

impl RemoteArgs {
    /// `registry` as the installer takes it: with `--plain-http`, an
    /// `oci://` reference becomes `oci+http://`.
    pub fn registry(&self, registry: &str) -> String {
        match registry.get(..6) {
            Some(scheme) if self.plain_http && scheme.eq_ignore_ascii_case("oci://") => {
                format!("oci+http://{}", &registry[6..])
            }
            _ => registry.to_string(),
        }
    }

    /// The fetcher these flags describe; a progress bar only for people.
    /// A CI token goes only to the OCI registries in `registries`.
    pub fn fetch(&self, progress: bool, registries: &[&str]) -> Result<HttpFetch, Failure> {
        let token_hosts = registries.iter().filter_map(|r| oci_host(r)).collect();
        let credentials =
            RegistryCredentials::from_environment(self.registry_token_file.as_deref(), token_hosts)
                .map_err(Failure::Usage)?;
        Ok(HttpFetch::new(HttpOptions {
            connect_timeout: self.timeout.min(Duration::from_secs(30)),
            read_timeout: self.timeout,
            ca_cert: self.ca_cert.clone(),
            progress: progress.then(progress::bars),
            credentials,
            ..HttpOptions::default()
        })?)
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
    /// Print nothing but errors: no progress bar, no report (--json output
    /// is still printed)
    #[arg(long, short)]
    pub quiet: bool,
}

impl NetArgs {
    /// The fetcher for these flags; the progress bar never with `--json`.
    pub fn fetch(&self, json: bool, registries: &[&str]) -> Result<HttpFetch, Failure> {
        self.remote.fetch(!self.quiet && !json, registries)
    }
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// How long to wait for another run working on the same plugins directory
    /// (seconds, or a duration such as 90s or 2m)
    #[arg(long, value_name = "DURATION", default_value = "60", value_parser = parse_duration)]
    pub lock_timeout: Duration,
}

/// `512MiB`, `1GiB`, `4096`, `100k`: a size in bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
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

/// `90`, `90s`, `2m`, `30d`: a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match text.parse::<u64>() {
        Ok(seconds) => Ok(Duration::from_secs(seconds)),
        Err(_) => humantime::parse_duration(text).map_err(|e| e.to_string()),
    }
}

/// What `yank` and `publish --yank` take, lowered to the request: `spec`
/// is NAME@VERSION, the exact version as published (`what` names where it
/// was given, for the usage error).
pub fn yank_request(
    what: &str,
    spec: &str,
    registry: &Path,
    key: Option<&Path>,
    undo: bool,
    timestamp_expires: Option<std::time::Duration>,
) -> Result<YankRequest, Failure> {
    let Some((name, version)) = spec
        .split_once('@')
        .filter(|(n, v)| !n.is_empty() && !v.is_empty())
    else {
        return Err(Failure::Usage(format!(
            "{what} takes NAME@VERSION (the exact version as published), not {spec}"
        )));
    };
    let mut request = YankRequest::new(registry, name, version).undo(undo);
    if let Some(key) = key {
        request = request.key(key);
    }
    if let Some(after) = timestamp_expires {
        request = request.timestamp_expires_in(after);
    }
    Ok(request)
}
