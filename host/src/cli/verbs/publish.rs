//! `publish`: add a plugin version to a registry index (or push it to an
//! OCI registry); with `--yank`, mark a published version yanked.

use crate::cli::args::{RemoteArgs, parse_duration, yank_request};
use crate::cli::output::Printer;
use crate::cli::{Failure, Setup, Verb, Verdict, stdout_failure};
use clap::Args;
use std::io;
use std::path::PathBuf;
use std::time::Duration;
use wasm_plugin::{PublishReport, PublishRequest, TimestampWritten, YankReport};

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The plugin file to publish
    #[arg(required_unless_present = "yank")]
    pub file: Option<PathBuf>,
    /// Instead of publishing, mark NAME@VERSION yanked in --registry: install
    /// then passes it over unless it is asked for exactly (NAME@=VERSION,
    /// --version, a lock); loaders ignore the mark
    #[arg(long, value_name = "NAME@VERSION", conflicts_with_all = ["file", "oci", "name", "version", "description", "artifact", "force", "expires_in", "sigstore_bundle"])]
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
    /// Attach this Sigstore bundle, made elsewhere for the file (cosign
    /// sign-blob --bundle, sigstore sign): written beside the index as
    /// <name>-<version>.sigstore.json and named by the entry's
    /// sigstore_bundle; with --oci, pushed as a referrer of the plugin's
    /// manifest (and under the sha256-<digest> tag for registries without
    /// the referrers API)
    #[arg(long, value_name = "FILE")]
    pub sigstore_bundle: Option<PathBuf>,
    /// Replace an entry with the same name and version
    #[arg(long)]
    pub force: bool,
    /// Make the index expire after this long (e.g. 30d), so clients notice a
    /// registry that stopped being updated
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub expires_in: Option<Duration>,
    /// In a sparse registry with freshness files, make the new
    /// timestamp.json expire after this long [default: 1d]: what tells
    /// clients the registry is not frozen, so it is kept short
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "oci")]
    pub timestamp_expires: Option<Duration>,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

impl Verb for PublishArgs {
    fn json(&self) -> bool {
        self.json
    }

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
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
        if let Some(bundle) = &self.sigstore_bundle {
            request = request.sigstore_bundle(bundle);
        }
        if let Some(after) = self.timestamp_expires {
            request = request.timestamp_expires_in(after);
        }
        let report = setup.installer(fetch)?.publish(&request)?;
        publish(out, &report).map_err(stdout_failure)
    }
}

impl PublishArgs {
    fn run_yank(&self, setup: &Setup, spec: &str, out: &mut Printer) -> Result<Verdict, Failure> {
        let Some(registry) = &self.registry else {
            return Err(Failure::Usage("--yank needs --registry INDEX".into()));
        };
        let request = yank_request(
            "--yank",
            spec,
            registry,
            self.key.as_deref(),
            self.undo,
            self.timestamp_expires,
        )?;
        let report = setup.installer(None)?.yank(&request)?;
        yank(out, &report).map_err(stdout_failure)
    }
}

pub fn publish(p: &mut Printer, r: &PublishReport) -> io::Result<Verdict> {
    p.warn(&r.warnings);
    p.render(r, |out| {
        let verb = if r.replaced { "replaced" } else { "published" };
        let signed = if r.signed { "signed" } else { "unsigned" };
        writeln!(
            out,
            "{verb} {} {} ({signed}) in {}",
            r.name, r.version, r.registry
        )?;
        if let Some(manifest) = &r.version_from {
            writeln!(out, "  version read from {manifest}")?;
        }
        writeln!(
            out,
            "  sha256 {} ({} bytes), artifact {}",
            r.sha256, r.size, r.artifact
        )?;
        if let Some(copy) = &r.copied_to {
            writeln!(out, "  copied to {copy}")?;
        }
        if let Some(bundle) = &r.sigstore_bundle {
            writeln!(out, "  Sigstore bundle {bundle}")?;
        }
        // An OCI registry has no index to version or expire.
        if r.index_version > 0 {
            let expiry = match &r.index_expires {
                Some(when) => format!("expires {when}"),
                None => "never expires (--expires-in sets it)".into(),
            };
            let signed = if r.index_signed { "signed" } else { "unsigned" };
            writeln!(
                out,
                "  index version {} ({signed}), {expiry}",
                r.index_version
            )?;
        }
        match &r.timestamp {
            Some(t) => timestamp_line(out, t),
            None => Ok(()),
        }
    })
}

/// The freshness files' new generation, and when the registry freezes
/// without another.
fn timestamp_line(out: &mut dyn io::Write, t: &TimestampWritten) -> io::Result<()> {
    writeln!(
        out,
        "  {} version {}, expires {} (--timestamp-expires sets it; publish, yank or convert \
         again before then)",
        t.path, t.version, t.expires
    )
}

pub fn yank(p: &mut Printer, r: &YankReport) -> io::Result<Verdict> {
    p.render(r, |out| {
        let what = if r.yanked { "yanked" } else { "unyanked" };
        match r.unchanged {
            true => writeln!(
                out,
                "{} {} is already {what} in {}; nothing to do",
                r.name, r.version, r.registry
            ),
            false => writeln!(
                out,
                "{what} {} {} in {} (index version {}, {})",
                r.name,
                r.version,
                r.registry,
                r.index_version,
                if r.index_signed { "signed" } else { "unsigned" }
            )
            .and_then(|()| match &r.timestamp {
                Some(t) => timestamp_line(out, t),
                None => Ok(()),
            }),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, text};

    #[test]
    fn publish_warns_on_standard_error_unless_quiet() {
        let report = testing::publish(&["no description"]);
        let shown = text(|p| publish(p, &report));
        assert_eq!(shown.err, "warning: no description\n");
        assert_eq!(
            shown.out,
            "published hello 1.0.0 (unsigned) in index.json\n  \
             sha256 ab12 (42 bytes), artifact hello-1.0.0.wasm\n  \
             index version 2 (unsigned), never expires (--expires-in sets it)\n"
        );
        let as_json = testing::render(true, false, |p| publish(p, &report));
        assert_eq!(as_json.err, "warning: no description\n");
        let quiet = testing::render(false, true, |p| publish(p, &report));
        assert_eq!((quiet.out.as_str(), quiet.err.as_str()), ("", ""));
    }

    #[test]
    fn yank_says_what_changed_or_that_nothing_did() {
        let shown = text(|p| yank(p, &testing::yank(false)));
        assert_eq!(
            shown.out,
            "yanked hello 1.0.0 in index.json (index version 4, signed)\n"
        );
        let mut sparse = testing::yank(false);
        sparse.timestamp = Some(testing::timestamp_written());
        assert_eq!(
            text(|p| yank(p, &sparse)).out,
            "yanked hello 1.0.0 in index.json (index version 4, signed)\n  \
             reg/timestamp.json version 7, expires 2026-12-08T10:00:00Z (--timestamp-expires \
             sets it; publish, yank or convert again before then)\n"
        );
        let again = text(|p| yank(p, &testing::yank(true)));
        assert_eq!(
            again.out,
            "hello 1.0.0 is already yanked in index.json; nothing to do\n"
        );
    }
}
