//! Verbs that only look: list, info, search, outdated, audit, verify,
//! verify-bundle.

use super::args::{LockArgs, PolicyArgs, RemoteArgs, required};
use super::output::Printer;
use super::{Failure, Setup, Takes, Verb, output, stdout_failure};
use clap::Args;
use std::path::PathBuf;
use wasm_plugin::{
    AuditRequest, BundleSigner, BundleSubject, BundleVerifyRequest, IndexRequest, Manifest,
    OutdatedRequest, VerifyRequest,
};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The registry whose plugins to list: a path, an http(s):// URL or an
    /// oci:// namespace [default: the wasm-plugin.toml's default registry]
    #[arg(long, value_name = "INDEX-OR-URL", conflicts_with = "installed")]
    pub registry: Option<String>,
    /// Directory of trusted *.pub keys (or one *.pub file), to verify the index signature
    #[arg(long, value_name = "DIR", conflicts_with = "installed")]
    pub trust_root: Option<PathBuf>,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// One row per plugin: the version `install NAME` takes
    #[arg(long, conflicts_with = "installed")]
    pub latest: bool,
    /// List what is installed in --dest instead
    #[arg(long)]
    pub installed: bool,
    /// The plugins directory (with --installed)
    #[arg(long, value_name = "DIR", requires = "installed")]
    pub dest: Option<PathBuf>,
    /// With --installed: each plugin's imports and exports too
    #[arg(long, requires = "installed")]
    pub long: bool,
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
    /// The manifest whose registries to list, when --registry is not given
    /// (set when the manifest is lowered).
    #[arg(skip)]
    pub manifest: Option<Manifest>,
}

impl ListArgs {
    /// Every registry of the manifest, in order, each plugin with its
    /// registry's name.
    fn list_all(
        &self,
        setup: &Setup,
        manifest: &Manifest,
        out: &mut Printer,
    ) -> Result<super::Verdict, Failure> {
        let locations: Vec<&str> = manifest
            .registries
            .iter()
            .map(|(_, l)| l.as_str())
            .collect();
        let installer = setup.installer(Some(self.remote.fetch(false, &locations)?))?;
        let mut indexes = Vec::new();
        for (name, location) in &manifest.registries {
            let mut request = IndexRequest::new(self.remote.registry(location))
                .allow_expired(self.remote.allow_expired);
            if let Some(dir) = &self.trust_root {
                request = request.trust_root(dir);
            }
            indexes.push((name.clone(), installer.load_index(&request)?));
        }
        let checked = output::IndexCheck::of(self.trust_root.as_deref());
        output::list_registries(out, &indexes, checked).map_err(stdout_failure)
    }
}

impl Verb for ListArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.dest.is_none() && self.registry.is_none(),
        }
    }

    /// Takes what the flags leave out from the manifest.
    fn fill(&mut self, manifest: &Manifest) {
        // Several registries and none named: list them all, each plugin
        // with where it comes from.
        if self.registry.is_none() && !self.installed && manifest.registries.len() > 1 {
            self.manifest = Some(manifest.clone());
        }
        if self.installed {
            self.dest = self
                .dest
                .take()
                .or_else(|| manifest.dest.as_ref().map(PathBuf::from));
            return;
        }
        self.registry = self
            .registry
            .take()
            .or_else(|| manifest.default_registry_location().map(str::to_string));
        self.trust_root = self
            .trust_root
            .take()
            .or_else(|| manifest.trust_root.as_ref().map(PathBuf::from));
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        if self.installed {
            let dest = required(self.dest.as_deref(), "--dest", "dest")?;
            let receipts = setup.installer(None)?.list_installed(dest)?;
            return output::installed(out, &receipts, self.long).map_err(stdout_failure);
        }
        if let Some(manifest) = &self.manifest {
            return self.list_all(setup, manifest, out);
        }
        let registry = required(self.registry.as_deref(), "--registry", "a default registry")?;
        let installer = setup.installer(Some(self.remote.fetch(false, &[registry])?))?;
        let registry = self.remote.registry(registry);
        let mut request = IndexRequest::new(registry).allow_expired(self.remote.allow_expired);
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        let mut index = installer.load_index(&request)?;
        if self.latest {
            index.plugins.retain(|p| p.latest);
        }
        let checked = output::IndexCheck::of(self.trust_root.as_deref());
        output::list(out, &index, checked).map_err(stdout_failure)
    }
}

/// Where `info` and `search` read the registry from.
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

    /// The index, read and checked by the component.
    fn load(&self, setup: &Setup) -> Result<wasm_plugin::RegistryIndex, Failure> {
        let registry = required(self.registry.as_deref(), "--registry", "a default registry")?;
        let installer = setup.installer(Some(self.remote.fetch(false, &[registry])?))?;
        let mut request = IndexRequest::new(self.remote.registry(registry))
            .allow_expired(self.remote.allow_expired);
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        Ok(installer.load_index(&request)?)
    }
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The plugin
    pub name: String,
    #[command(flatten)]
    pub index: IndexArgs,
}

impl Verb for InfoArgs {
    fn json(&self) -> bool {
        self.index.json
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.index.registry.is_none(),
        }
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let index = self.index.load(setup)?;
        if !index.plugins.iter().any(|p| p.name == self.name) {
            let mut names: Vec<&str> = index.plugins.iter().map(|p| p.name.as_str()).collect();
            names.dedup();
            return Err(Failure::Usage(format!(
                "no plugin named '{}' in {}; it has: {}\ntry `wasm-plugin search {}`",
                self.name,
                index.path,
                names.join(", "),
                self.name
            )));
        }
        let checked = output::IndexCheck::of(self.index.trust_root.as_deref());
        output::info(out, &index, &self.name, checked).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Text to look for in plugin names and descriptions (case-insensitive)
    pub text: String,
    #[command(flatten)]
    pub index: IndexArgs,
}

impl Verb for SearchArgs {
    fn json(&self) -> bool {
        self.index.json
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.index.registry.is_none(),
        }
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let mut index = self.index.load(setup)?;
        let wanted = self.text.to_lowercase();
        // One row per plugin: the version install takes, matched on its
        // name or description.
        index.plugins.retain(|p| {
            p.latest
                && (p.name.to_lowercase().contains(&wanted)
                    || p.description
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(&wanted)))
        });
        if index.plugins.is_empty() && !self.index.json {
            writeln!(
                out.people(),
                "no plugin in {} matches '{}'",
                index.path,
                self.text
            )
            .map_err(stdout_failure)?;
            return Ok(super::Verdict::Done);
        }
        let checked = output::IndexCheck::of(self.index.trust_root.as_deref());
        output::list(out, &index, checked).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct OutdatedArgs {
    /// The plugins directory (read only) [default: the wasm-plugin.toml's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    // The registry to compare with (--json: an array of {name, installed,
    // requirement, wanted, latest, yanked}, as the README says).
    #[command(flatten)]
    pub index: IndexArgs,
}

impl Verb for OutdatedArgs {
    fn json(&self) -> bool {
        self.index.json
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.dest.is_none() || self.index.registry.is_none(),
        }
    }

    /// Takes what the flags leave out from the manifest.
    fn fill(&mut self, manifest: &Manifest) {
        self.dest = self
            .dest
            .take()
            .or_else(|| manifest.dest.as_ref().map(PathBuf::from));
        self.index.fill(manifest);
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let dest = required(self.dest.as_deref(), "--dest", "dest")?;
        let index = &self.index;
        let registry = required(
            index.registry.as_deref(),
            "--registry",
            "a default registry",
        )?;
        let installer = setup.installer(Some(index.remote.fetch(false, &[registry])?))?;
        let mut request = OutdatedRequest::new(index.remote.registry(registry), dest)
            .allow_expired(index.remote.allow_expired);
        if let Some(dir) = &index.trust_root {
            request = request.trust_root(dir);
        }
        let rows = installer.outdated(&request)?;
        output::outdated(out, &rows).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The plugins directory to audit (granted read-only) [default: the
    /// wasm-plugin.toml's dest]
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Directory of trusted *.pub keys (or one *.pub file); when given, every plugin must carry a
    /// signature by one of them
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// Also read this registry: an installed version it marks yanked is a
    /// finding (the only part of an audit that may use the network)
    #[arg(long, value_name = "INDEX-OR-URL")]
    pub registry: Option<String>,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Print every plugin with its status as JSON
    #[arg(long)]
    pub json: bool,
    /// The plugin set to check against, when one is in use (set by `fill`).
    #[arg(skip)]
    pub manifest: Option<PathBuf>,
}

impl Verb for AuditArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn takes(&self) -> Takes {
        Takes::Defaults {
            missing: self.dest.is_none(),
        }
    }

    /// Takes what the flags leave out from the manifest, and audits against
    /// the set it declares.
    fn fill(&mut self, manifest: &Manifest) {
        self.manifest = Some(PathBuf::from(&manifest.path));
        self.dest = self
            .dest
            .take()
            .or_else(|| manifest.dest.as_ref().map(PathBuf::from));
        self.trust_root = self
            .trust_root
            .take()
            .or_else(|| manifest.trust_root.as_ref().map(PathBuf::from));
        self.policy.fill(manifest);
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let dest = required(self.dest.as_deref(), "--dest", "dest")?;
        let mut request = AuditRequest::new(dest).lock_timeout(self.lock.lock_timeout);
        for glob in &self.policy.allow {
            request = request.allow_import(glob);
        }
        for glob in &self.policy.deny {
            request = request.deny_import(glob);
        }
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        if let Some(file) = &self.manifest {
            request = request.manifest(file);
        }
        let fetch = match &self.registry {
            Some(registry) => {
                let index = IndexRequest::new(self.remote.registry(registry))
                    .allow_expired(self.remote.allow_expired);
                request = request.registry(match &self.trust_root {
                    Some(dir) => index.trust_root(dir),
                    None => index,
                });
                Some(self.remote.fetch(false, &[registry])?)
            }
            None => None,
        };
        let report = setup.installer(fetch)?.audit(&request)?;
        output::audit(out, &report).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The plugin file to check
    pub file: PathBuf,
    /// Directory of trusted *.pub keys (or one *.pub file); when given, a valid signature is required
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// Signature file [default: the file's .sig sidecar, if present]
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
    /// The file must fit the runtime's world in WIT (a .wit file, or a WIT
    /// package directory): export what it exports, with the same types;
    /// refused (exit 1) naming the first mismatch otherwise
    #[arg(long = "world", value_name = "WIT")]
    pub world: Option<PathBuf>,
    /// The world in --world's package, when it has several
    #[arg(long = "world-name", value_name = "NAME", requires = "world")]
    pub world_name: Option<String>,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for VerifyArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let mut request = VerifyRequest::new(&self.file);
        if let Some(sig) = &self.sig {
            request = request.signature(sig);
        }
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        if let Some(wit) = &self.world {
            request = request.world(wit, self.world_name.as_deref());
        }
        let report = setup.installer(None)?.verify(&request)?;
        output::verify(out, &report).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    wasm-plugin verify-bundle --bundle hello.wasm.sigstore.json \\\n    \
      --certificate-identity https://github.com/acme/plugins/.github/workflows/release.yml@refs/tags/v1.0.0 \\\n    \
      --certificate-oidc-issuer https://token.actions.githubusercontent.com hello.wasm\n  \
    wasm-plugin verify-bundle --bundle b.sigstore.json --key cosign.pub sha256:<64 hex digits>\n\n\
    Nothing is fetched: the public-good trusted root is built in (--staging for its \
    staging instance; --trusted-root for a private Sigstore or an air-gapped copy). \
    Exit 0 verified, 1 refused (the check that failed is named), 2 bad input.")]
pub struct VerifyBundleArgs {
    /// The Sigstore bundle (as `cosign sign-blob --bundle` or `sigstore sign` write it)
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// The signer's identity in its certificate (SAN: a workflow URI or an email), matched exactly
    #[arg(
        long,
        value_name = "IDENTITY",
        requires = "certificate_oidc_issuer",
        conflicts_with = "key",
        required_unless_present = "key"
    )]
    pub certificate_identity: Option<String>,
    /// The OIDC issuer of that identity (https://token.actions.githubusercontent.com, ...)
    #[arg(long, value_name = "URL", requires = "certificate_identity")]
    pub certificate_oidc_issuer: Option<String>,
    /// A PEM public key the bundle was signed with instead (ECDSA P-256/P-384, Ed25519)
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Trust the public-good staging instance instead of production
    #[arg(long, conflicts_with = "trusted_root")]
    pub staging: bool,
    /// A trusted_root.json to trust instead (a private Sigstore, an air-gapped copy)
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// The artefact, or its digest as sha256:HEX
    #[arg(value_name = "FILE_OR_DIGEST")]
    pub artifact: String,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for VerifyBundleArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let signer = match (
            self.key,
            self.certificate_identity,
            self.certificate_oidc_issuer,
        ) {
            (Some(key), _, _) => BundleSigner::Key(key),
            (None, Some(identity), Some(issuer)) => BundleSigner::Identity { identity, issuer },
            // clap requires one or the other, with its issuer.
            _ => {
                return Err(Failure::Usage(
                    "give --key, or --certificate-identity with --certificate-oidc-issuer".into(),
                ));
            }
        };
        let mut request =
            BundleVerifyRequest::new(&self.bundle, BundleSubject::parse(&self.artifact), signer);
        if self.staging {
            request = request.staging();
        }
        if let Some(root) = &self.trusted_root {
            request = request.trusted_root(root);
        }
        let report = setup.installer(None)?.verify_bundle(&request)?;
        output::verify_bundle(out, &report).map_err(stdout_failure)
    }
}
