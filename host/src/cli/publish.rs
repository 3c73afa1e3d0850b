//! The publisher's verbs: new, keygen, sign, publish, mirror, component.

use super::args::{NetArgs, RemoteArgs, parse_duration};
use super::output::Printer;
use super::{Failure, Setup, Verb, output, parent_or_dot, stdout_failure};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasm_plugin::{
    KeygenRequest, MirrorRequest, PublishRequest, ScaffoldRequest, SignRequest, YankRequest,
};

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Name of the new plugin (also its directory name)
    pub name: String,
    /// Where to create the project directory
    #[arg(long, value_name = "PARENT", default_value = ".")]
    pub dir: PathBuf,
}

impl Verb for NewArgs {
    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let report = setup
            .installer(None)?
            .scaffold(&ScaffoldRequest::new(&self.name, &self.dir))?;
        output::scaffold(out, &report).map_err(stdout_failure)
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

impl Verb for KeygenArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let report = setup
            .installer(None)?
            .keygen(&KeygenRequest::new(&self.label, &self.out_dir))?;
        output::keygen(out, &report).map_err(stdout_failure)
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
    /// Replace an existing signature file
    #[arg(long)]
    pub force: bool,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for SignArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        let mut request = SignRequest::new(&self.file, &self.key).force(self.force);
        if let Some(out) = &self.out {
            request = request.out(out);
        }
        let report = setup.installer(None)?.sign(&request)?;
        output::sign(out, &report).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The plugin file to publish
    #[arg(required_unless_present = "yank")]
    pub file: Option<PathBuf>,
    /// Instead of publishing, mark NAME@VERSION yanked in --registry: install
    /// then passes it over unless it is asked for exactly (NAME@=VERSION,
    /// --version, a lock); loaders ignore the mark
    #[arg(long, value_name = "NAME@VERSION", conflicts_with_all = ["file", "oci", "name", "version", "description", "artifact", "force", "expires_in"])]
    pub yank: Option<String>,
    /// With --yank: take the mark off again
    #[arg(long, requires = "yank")]
    pub undo: bool,
    /// The registry index to add it to (created if missing, with its directory)
    #[arg(
        long,
        value_name = "INDEX",
        required_unless_present = "oci",
        conflicts_with = "oci"
    )]
    pub registry: Option<PathBuf>,
    /// Push it to an OCI registry instead, as a Wasm OCI artifact tagged
    /// with its version: oci://HOST[:PORT]/NAMESPACE (repository
    /// NAMESPACE/NAME)
    #[arg(long, value_name = "oci://HOST/NAMESPACE")]
    pub oci: Option<String>,
    #[command(flatten)]
    pub net: RemoteArgs,
    /// Plugin name [default: the file name, less any -<version> suffix]
    #[arg(long)]
    pub name: Option<String>,
    /// Version [default: read off a <name>-<semver>.wasm file name, else the
    /// Cargo.toml of the crate that built a file under its target/]
    #[arg(long)]
    pub version: Option<String>,
    /// One line saying what the plugin does [default: the crate's
    /// description when the version came from its Cargo.toml, else the
    /// plugin's last one]
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

impl Verb for PublishArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<super::Verdict, Failure> {
        if let Some(spec) = &self.yank {
            return self.run_yank(setup, spec, out);
        }
        let file = self
            .file
            .as_ref()
            .expect("clap requires FILE without --yank");
        let (registry, fetch) = match (&self.oci, &self.registry) {
            (Some(oci), _) => {
                if !oci.to_ascii_lowercase().starts_with("oci://") {
                    return Err(Failure::Usage(format!(
                        "--oci takes oci://HOST[:PORT]/NAMESPACE, not {oci}"
                    )));
                }
                (
                    PathBuf::from(self.net.registry(oci)),
                    Some(self.net.fetch(false, &[oci])?),
                )
            }
            (None, Some(index)) => (index.clone(), None),
            (None, None) => unreachable!("clap requires --registry or --oci"),
        };
        let mut request = PublishRequest::new(file, &registry).force(self.force);
        if let Some(name) = &self.name {
            request = request.name(name);
        }
        if let Some(version) = &self.version {
            request = request.version(version);
        }
        if let Some(text) = &self.description {
            request = request.description(text);
        }
        if let Some(key) = &self.key {
            request = request.key(key);
        }
        if let Some(location) = &self.artifact {
            request = request.location(location);
        }
        if let Some(after) = self.expires_in {
            request = request.expires_in(after);
        }
        let report = setup.installer(fetch)?.publish(&request)?;
        output::publish(out, &report).map_err(stdout_failure)
    }
}

impl PublishArgs {
    fn run_yank(
        &self,
        setup: &Setup,
        spec: &str,
        out: &mut Printer,
    ) -> Result<super::Verdict, Failure> {
        let Some((name, version)) = spec
            .split_once('@')
            .filter(|(n, v)| !n.is_empty() && !v.is_empty())
        else {
            return Err(Failure::Usage(format!(
                "--yank takes NAME@VERSION (the exact version as published), not {spec}"
            )));
        };
        let Some(registry) = &self.registry else {
            return Err(Failure::Usage("--yank needs --registry INDEX".into()));
        };
        let mut request = YankRequest::new(registry, name, version).undo(self.undo);
        if let Some(key) = &self.key {
            request = request.key(key);
        }
        let report = setup.installer(None)?.yank(&request)?;
        output::yank(out, &report).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// The registry to copy: a path to index.json, an http(s):// URL, or an
    /// OCI namespace oci://HOST/NAMESPACE
    #[arg(long, value_name = "INDEX-OR-URL")]
    pub registry: String,
    /// The directory to write the mirror to (created if missing), or an OCI
    /// namespace oci://HOST/NAMESPACE to push every plugin to
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Directory of trusted *.pub keys (or one *.pub file): every artefact (and the index, when
    /// signed) must verify against it
    #[arg(long, value_name = "DIR")]
    pub trust_root: Option<PathBuf>,
    /// Sign the mirrored index with this private key when its artifact paths
    /// had to be rewritten
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Also let the installer read DIR (for artifacts outside the registry's directory)
    #[arg(long, value_name = "DIR")]
    pub allow_read: Vec<PathBuf>,
    #[command(flatten)]
    pub net: NetArgs,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for MirrorArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn quiet(&self) -> bool {
        self.net.quiet
    }

    fn run(self: Box<Self>, setup: &Setup, p: &mut Printer) -> Result<super::Verdict, Failure> {
        let out = self.out.to_string_lossy();
        let installer =
            setup.installer(Some(self.net.fetch(self.json, &[&self.registry, &out])?))?;
        let out = self.net.remote.registry(&self.out.to_string_lossy());
        let mut request = MirrorRequest::new(self.net.remote.registry(&self.registry), &out)
            .allow_expired(self.net.remote.allow_expired)
            .max_size(self.net.max_size);
        if let Some(dir) = &self.trust_root {
            request = request.trust_root(dir);
        }
        if let Some(key) = &self.key {
            request = request.key(key);
        }
        for dir in &self.allow_read {
            request = request.allow_read(dir);
        }
        let report = installer.mirror(&request)?;
        output::mirror(p, &report).map_err(stdout_failure)
    }
}

#[derive(Debug, Args)]
pub struct ComponentArgs {
    /// Where to write the component ("-" for standard output) [default:
    /// wasm-plugin-installer.wasm, or wasm-plugin-installer-wasi-http.wasm
    /// with --wasi-http]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the variant that imports only standard WASI 0.2: its network
    /// access is wasi:http (the runtime's TLS roots and proxies), so the
    /// wasmtime CLI (`-S http`) or jco run it with no custom host code
    #[arg(long)]
    pub wasi_http: bool,
}

impl Verb for ComponentArgs {
    fn run(self: Box<Self>, _setup: &Setup, p: &mut Printer) -> Result<super::Verdict, Failure> {
        let (component, default_out, what) = if self.wasi_http {
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
                .write_all(component)
                .and_then(|()| stdout.flush())
                .map_err(stdout_failure)?;
            return Ok(super::Verdict::Done);
        }
        let write = || -> std::io::Result<()> {
            let mut temp = tempfile::NamedTempFile::new_in(parent_or_dot(&out))?;
            // Readable by the runtime that loads it, which may run as
            // another user (temp files start as 0600).
            use std::os::unix::fs::PermissionsExt;
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))?;
            temp.write_all(component)?;
            temp.as_file().sync_all()?;
            temp.persist(&out).map_err(|e| e.error)?;
            Ok(())
        };
        write().map_err(|e| Failure::Write(out.clone(), e))?;
        output::component(p, what, &out, component.len()).map_err(stdout_failure)
    }
}
