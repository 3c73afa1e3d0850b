//! `trust`: key management with `root.json`: init, rotate, sign (a root,
//! an index, an entry), show.

use crate::cli::args::parse_duration;
use crate::cli::output::Printer;
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use clap::{Args, Subcommand};
use std::io;
use std::path::PathBuf;
use std::time::Duration;
use wasm_plugin::{
    CosignReport, CosignRequest, PublisherSpec, RoleSpec, TrustSignedIndex, TrustSignedRoot,
    TrustSummary, TrustWriteRequest,
};

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
    /// or to index.json.sig (--registry alone; for a sparse registry, to
    /// each plugin file's and timestamp.json's .sig)
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
    /// A Sigstore signer of the publishers role over GLOBS, counted toward
    /// its threshold like a key: GLOBS=ISSUER=IDENTITY (repeatable; the
    /// identity exact or a glob; a role of no --publisher keys is made)
    #[arg(long = "publisher-identity", value_name = "GLOBS=ISSUER=IDENTITY")]
    pub publisher_identities: Vec<String>,
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
    /// index.json.sig (a sparse registry's directory: to the .sig of each
    /// plugin file and of timestamp.json)
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
                trust_summary(out, &summary, "wrote")
            }
            TrustCommand::Rotate(a) => {
                let mut request = TrustWriteRequest::new(&a.out).previous(&a.from);
                for label in &a.remove {
                    request = request.remove_key(label);
                }
                let summary = installer.trust_write(&a.roles.lower(request)?)?;
                trust_summary(out, &summary, "wrote")
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
                    cosign(out, &installer.trust_sign_entry(&request)?)
                }
                (Some(registry), None, _) => {
                    signed_index(out, &installer.trust_sign_index(registry, &a.key)?)
                }
                (None, _, Some(root)) => {
                    signed_root(out, &installer.trust_sign_root(root, &a.key)?)
                }
                (None, _, None) => unreachable!("clap requires ROOT or --registry"),
            },
            TrustCommand::Show(a) => {
                trust_summary(out, &installer.trust_show(&a.root)?, "")
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
        let mut publishers = Vec::new();
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
            publishers.push(PublisherSpec::new(role(keys, "--publisher")?, names));
        }
        for text in &self.publisher_identities {
            let mut parts = text.splitn(3, '=').map(str::trim);
            let (Some(globs), Some(issuer), Some(identity)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(Failure::Usage(format!(
                    "--publisher-identity takes GLOBS=ISSUER=IDENTITY (e.g. \
                     'acme-*=https://token.actions.githubusercontent.com=https://github.com/acme/*'), not {text}"
                )));
            };
            let names: Vec<&str> = globs.split(',').map(str::trim).collect();
            let at = match publishers.iter().position(|p| p.names == names) {
                Some(at) => at,
                None => {
                    publishers.push(PublisherSpec::new(
                        RoleSpec::new(Vec::<String>::new(), 1),
                        names,
                    ));
                    publishers.len() - 1
                }
            };
            publishers[at] = publishers[at].clone().identity(issuer, identity);
        }
        for publisher in publishers {
            request = request.publisher(publisher);
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

/// A `root.json`: who may sign what. `verb` heads the text ("wrote"), or
/// nothing for `trust show`.
pub fn trust_summary(p: &mut Printer, s: &TrustSummary, verb: &str) -> io::Result<Verdict> {
    p.render(s, |out| {
        let head = match verb {
            "" => String::new(),
            verb => format!("{verb} "),
        };
        writeln!(
            out,
            "{head}{} (root version {}, expires {})",
            s.path, s.version, s.expires
        )?;
        let role =
            |r: &wasm_plugin::RoleSpec| format!("{} of {}", r.threshold, r.labels.join(", "));
        writeln!(out, "  root:  {}", role(&s.root))?;
        writeln!(out, "  index: {}", role(&s.index))?;
        for p in &s.publishers {
            writeln!(out, "  publishers {}: {}", p.names.join(" "), role(&p.role))?;
            for i in &p.identities {
                writeln!(out, "    sigstore identity {} ({})", i.identity, i.issuer)?;
            }
        }
        for key in &s.keys {
            writeln!(out, "  key {}: {}", key.label, key.value)?;
        }
        let signed = match s.signed_by.is_empty() {
            true => "nobody listed in it".to_string(),
            false => s.signed_by.join(", "),
        };
        let state = match s.complete {
            true => "complete: clients accept it",
            false => {
                "incomplete: clients refuse it until a threshold of its root keys signs (`wasm-plugin trust sign`)"
            }
        };
        writeln!(out, "  signed by {signed}; {state}")
    })
}

pub fn signed_root(p: &mut Printer, r: &TrustSignedRoot) -> io::Result<Verdict> {
    p.render(r, |out| {
        let who = r.label.clone().unwrap_or_else(|| {
            format!(
                "key {} (not listed in this root: a previous root's key, for a rotation)",
                r.keyid
            )
        });
        let verb = if r.replaced { "signed again" } else { "signed" };
        writeln!(out, "{verb} {} as {who}", r.summary.path)?;
        let state = match r.summary.complete {
            true => "a threshold of its own root keys has signed",
            false => "its own root keys have not reached their threshold yet",
        };
        let by = match r.summary.signed_by.is_empty() {
            true => "none of its own keys yet".to_string(),
            false => r.summary.signed_by.join(", "),
        };
        writeln!(out, "  {state}; signed by {by}")
    })
}

pub fn signed_index(p: &mut Printer, r: &TrustSignedIndex) -> io::Result<Verdict> {
    if r.signature_path.ends_with("config.json") {
        return p.render(r, |out| {
            writeln!(
                out,
                "added this key's signature to {} of the {} signed files of the sparse registry \
                 {} (the others held it); each holds {} signature(s) or more",
                r.added, r.files, r.signature_path, r.signatures
            )
        });
    }
    p.render(r, |out| match r.unchanged {
        true => writeln!(
            out,
            "{} already holds this key's signature ({} in all)",
            r.signature_path, r.signatures
        ),
        false => writeln!(
            out,
            "added a signature to {} ({} in all)",
            r.signature_path, r.signatures
        ),
    })
}

pub fn cosign(p: &mut Printer, r: &CosignReport) -> io::Result<Verdict> {
    p.render(r, |out| {
        match r.unchanged {
            true => writeln!(
                out,
                "{} {} already carries a signature by key {}",
                r.name, r.version, r.keyid
            )?,
            false => writeln!(
                out,
                "signed {} {} in {} with key {} ({} signature(s) now); index version {} ({})",
                r.name,
                r.version,
                r.registry,
                r.keyid,
                r.signatures,
                r.index_version,
                if r.index_signed { "signed" } else { "unsigned" }
            )?,
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, text};

    #[test]
    fn a_trust_summary_shows_roles_keys_and_whether_clients_accept_it() {
        let shown = text(|p| trust_summary(p, &testing::trust_summary(true), "wrote"));
        assert_eq!(
            shown.out,
            "wrote trust/root.json (root version 1, expires 2027-01-01T00:00:00Z)\n  \
             root:  1 of alice\n  \
             index: 1 of bob\n  \
             key alice: k1\n  \
             key bob: k2\n  \
             signed by alice; complete: clients accept it\n"
        );
        let shown = text(|p| trust_summary(p, &testing::trust_summary(false), ""));
        assert!(shown.out.starts_with("trust/root.json (root version 1"));
        assert!(
            shown
                .out
                .contains("signed by nobody listed in it; incomplete: clients refuse it")
        );
        let value = json(|p| trust_summary(p, &testing::trust_summary(true), "wrote"));
        assert_eq!(value["complete"], true);
    }

    #[test]
    fn trust_sign_of_an_index_or_an_entry_says_whether_it_added_a_signature() {
        let added = text(|p| signed_index(p, &testing::signed_index(false)));
        assert_eq!(
            added.out,
            "added a signature to index.json.sig (2 in all)\n"
        );
        let held = text(|p| signed_index(p, &testing::signed_index(true)));
        assert_eq!(
            held.out,
            "index.json.sig already holds this key's signature (2 in all)\n"
        );
        let mut sparse = testing::signed_index(false);
        (sparse.signature_path, sparse.files, sparse.added) = ("reg/config.json".into(), 3, 2);
        assert_eq!(
            text(|p| signed_index(p, &sparse)).out,
            "added this key's signature to 2 of the 3 signed files of the sparse registry \
             reg/config.json (the others held it); each holds 2 signature(s) or more\n"
        );
        let signed = text(|p| cosign(p, &testing::cosign(false)));
        assert_eq!(
            signed.out,
            "signed hello 1.0.0 in index.json with key k2 (2 signature(s) now); index version 5 (unsigned)\n"
        );
        let again = text(|p| cosign(p, &testing::cosign(true)));
        assert_eq!(
            again.out,
            "hello 1.0.0 already carries a signature by key k2\n"
        );
    }

    #[test]
    fn trust_sign_of_a_root_names_the_key_and_the_threshold() {
        let shown = text(|p| signed_root(p, &testing::signed_root(Some("alice"), true)));
        assert_eq!(
            shown.out,
            "signed trust/root.json as alice\n  \
             a threshold of its own root keys has signed; signed by alice\n"
        );
        let rotation = text(|p| signed_root(p, &testing::signed_root(None, false)));
        assert_eq!(
            rotation.out,
            "signed trust/root.json as key k9 (not listed in this root: a previous root's key, \
             for a rotation)\n  \
             its own root keys have not reached their threshold yet; signed by none of its own keys yet\n"
        );
    }
}
