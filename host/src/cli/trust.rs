//! `trust`: key management with `root.json` (init, rotate, sign, show).

use super::args::parse_duration;
use super::output::Printer;
use super::{Failure, Setup, Verb, Verdict, output, stdout_failure};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::Duration;
use wasm_plugin::{CosignRequest, PublisherSpec, RoleSpec, TrustWriteRequest};

#[derive(Debug, Args)]
pub struct TrustArgs {
    #[command(subcommand)]
    pub command: TrustCommand,
    /// Print the report as JSON
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Write a root.json (version 1) with the given keys and roles, unsigned;
    /// each root key holder then signs it with `trust sign`
    Init(WriteArgs),
    /// Write the next version of a root (keys and roles carried over unless
    /// changed), unsigned; the old root keys and the new both sign it, and
    /// the registry serves it next to its index as N.root.json
    Rotate(RotateArgs),
    /// Add a signature: to a root.json (FILE), to an index entry (--entry),
    /// or to index.json.sig (--registry alone)
    Sign(SignArgs),
    /// Show who may sign what: keys, roles, thresholds, expiry, signatures
    Show(ShowArgs),
}

/// The roles and keys of a root, shared by init and rotate.
#[derive(Debug, Args)]
pub struct RoleArgs {
    /// A key: LABEL=FILE.pub (repeatable)
    #[arg(long = "key", value_name = "LABEL=FILE.pub")]
    pub keys: Vec<String>,
    /// The keys that sign the next root: LABEL[,LABEL...][:THRESHOLD]
    #[arg(long, value_name = "LABELS[:N]")]
    pub root: Option<String>,
    /// The keys that sign index.json: LABEL[,LABEL...][:THRESHOLD]
    #[arg(long, value_name = "LABELS[:N]")]
    pub index: Option<String>,
    /// A publishers role: LABEL[,LABEL...][:THRESHOLD]=GLOB[,GLOB...]
    /// (repeatable; e.g. 'alice,bob:2=acme-*')
    #[arg(long = "publisher", value_name = "LABELS[:N]=GLOBS")]
    pub publishers: Vec<String>,
    /// Expire after this long (e.g. 365d) [default: a year]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub expires_in: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Where to write it (refused if it exists)
    #[arg(long, value_name = "FILE", default_value = "root.json")]
    pub out: PathBuf,
    #[command(flatten)]
    pub roles: RoleArgs,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The current root
    #[arg(long, value_name = "ROOT.json")]
    pub from: PathBuf,
    /// Where to write the next version (e.g. registry/2.root.json)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Drop the key so labelled (repeatable)
    #[arg(long = "remove-key", value_name = "LABEL")]
    pub remove: Vec<String>,
    #[command(flatten)]
    pub roles: RoleArgs,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The root.json to sign (not with --registry)
    #[arg(required_unless_present = "registry", conflicts_with = "registry")]
    pub root: Option<PathBuf>,
    /// The private key (PKCS#8 PEM)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// A local index: sign its entry (--entry) or, alone, add a line to its
    /// index.json.sig
    #[arg(long, value_name = "INDEX")]
    pub registry: Option<PathBuf>,
    /// The entry to co-sign: NAME@VERSION
    #[arg(long, value_name = "NAME@VERSION", requires = "registry")]
    pub entry: Option<String>,
    /// With --entry: the index key, to sign the rewritten index (required
    /// when the index is signed)
    #[arg(long, value_name = "FILE", requires = "entry")]
    pub index_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A root.json, or a trust root directory holding one
    #[arg(default_value = ".")]
    pub root: PathBuf,
}

impl Verb for TrustArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        let installer = setup.installer(None)?;
        match self.command {
            TrustCommand::Init(a) => {
                let request = a.roles.lower(TrustWriteRequest::new(&a.out))?;
                let summary = installer.trust_write(&request)?;
                output::trust_summary(out, &summary, "wrote")
            }
            TrustCommand::Rotate(a) => {
                let mut request = TrustWriteRequest::new(&a.out).previous(&a.from);
                for label in &a.remove {
                    request = request.remove_key(label);
                }
                let summary = installer.trust_write(&a.roles.lower(request)?)?;
                output::trust_summary(out, &summary, "wrote")
            }
            TrustCommand::Sign(a) => match (&a.registry, &a.entry, &a.root) {
                (Some(registry), Some(entry), _) => {
                    let Some((name, version)) = entry
                        .split_once('@')
                        .filter(|(n, v)| !n.is_empty() && !v.is_empty())
                    else {
                        return Err(Failure::Usage(format!(
                            "--entry takes NAME@VERSION (the exact version as published), not {entry}"
                        )));
                    };
                    let mut request = CosignRequest::new(registry, name, version, &a.key);
                    if let Some(key) = &a.index_key {
                        request = request.index_key(key);
                    }
                    output::cosign(out, &installer.trust_sign_entry(&request)?)
                }
                (Some(registry), None, _) => {
                    output::signed_index(out, &installer.trust_sign_index(registry, &a.key)?)
                }
                (None, _, Some(root)) => {
                    output::signed_root(out, &installer.trust_sign_root(root, &a.key)?)
                }
                (None, _, None) => unreachable!("clap requires ROOT or --registry"),
            },
            TrustCommand::Show(a) => {
                output::trust_summary(out, &installer.trust_show(&a.root)?, "")
            }
        }
        .map_err(stdout_failure)
    }
}

impl RoleArgs {
    /// The flags lowered onto `request`.
    fn lower(&self, mut request: TrustWriteRequest) -> Result<TrustWriteRequest, Failure> {
        for key in &self.keys {
            let Some((label, file)) = key
                .split_once('=')
                .filter(|(l, f)| !l.is_empty() && !f.is_empty())
            else {
                return Err(Failure::Usage(format!(
                    "--key takes LABEL=FILE.pub, not {key}"
                )));
            };
            request = request.key(label, file);
        }
        if let Some(text) = &self.root {
            request = request.root(role(text, "--root")?);
        }
        if let Some(text) = &self.index {
            request = request.index(role(text, "--index")?);
        }
        for text in &self.publishers {
            let Some((keys, names)) = text.split_once('=') else {
                return Err(Failure::Usage(format!(
                    "--publisher takes LABELS[:N]=GLOB[,GLOB...] (e.g. 'alice,bob:2=acme-*'), not {text}"
                )));
            };
            let names: Vec<&str> = names
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect();
            if names.is_empty() {
                return Err(Failure::Usage(format!(
                    "--publisher {text}: name at least one plugin glob after '='"
                )));
            }
            request = request.publisher(PublisherSpec::new(role(keys, "--publisher")?, names));
        }
        if let Some(after) = self.expires_in {
            request = request.expires_in(after);
        }
        Ok(request)
    }
}

/// `alice,bob:2` (threshold 1 when left out).
fn role(text: &str, flag: &str) -> Result<RoleSpec, Failure> {
    let (labels, threshold) = match text.rsplit_once(':') {
        Some((labels, n)) => {
            let n = n.trim().parse::<u32>().map_err(|_| {
                Failure::Usage(format!(
                    "{flag} {text}: the threshold after ':' is a number"
                ))
            })?;
            (labels, n)
        }
        None => (text, 1),
    };
    let labels: Vec<&str> = labels
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if labels.is_empty() {
        return Err(Failure::Usage(format!(
            "{flag} {text}: name at least one key label"
        )));
    }
    Ok(RoleSpec::new(labels, threshold))
}
