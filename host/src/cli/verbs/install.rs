//! `install`: plugins from a registry into a plugins directory, each from
//! the registry the manifest declares it in (or the first that has it).
//! Its renderer prints upgrade's results too.

use crate::cli::args::SourceArgs;
use crate::cli::output::{Printer, first_failure, shown_version};
use crate::cli::{Failure, Setup, Takes, Verb, Verdict, stdout_failure};
use clap::Args;
use serde_json::{Value, json};
use std::io::{self, Write};
use wasm_plugin::{FindRequest, InstallAction, InstallReport, InstallRequest, Manifest, Outcome};

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

    fn run(self: Box<Self>, setup: &Setup, out: &mut Printer) -> Result<Verdict, Failure> {
        // A version given twice (`colmask@^1.2 --version 1.3.0`) is not
        // resolved in favour of either: the user says which.
        if let (Some(version), Some(spec)) = (&self.version, self.plugins.iter().find(|s| s.contains('@'))) {
            return Err(Failure::Usage(format!(
                "{spec} and --version {version} both say which version: give one, \
                 {name}@={version} or --version with the bare name",
                name = spec.split('@').next().unwrap_or(spec)
            )));
        }
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
        install_outcomes(out, &outcomes, false).map_err(stdout_failure)
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

/// Install's and upgrade's results. `upgrade` says what an unchanged plugin
/// means there: nothing higher, not a checked copy.
pub fn install_outcomes(
    p: &mut Printer,
    outcomes: &[Outcome<InstallReport>],
    upgrade: bool,
) -> io::Result<Verdict> {
    let code = first_failure(outcomes);
    if p.is_json() {
        let items: Vec<Value> = outcomes
            .iter()
            .map(|(spec, result)| match result {
                Ok(report) => serde_json::to_value(report).unwrap_or(Value::Null),
                Err(failure) => {
                    let mut item = json!({"error": failure});
                    item["spec"] = json!(spec);
                    item
                }
            })
            .collect();
        p.json(&items)?;
        return Ok(code);
    }
    let (mut out, err) = p.streams();
    for (spec, result) in outcomes {
        match result {
            Ok(r) => install_report(&mut out, r, upgrade)?,
            Err(failure) => {
                out.flush()?;
                let _ = writeln!(err, "error: {}: {}", spec, failure);
            }
        }
    }
    // Said once, however many plugins were up to date.
    let unchanged = outcomes
        .iter()
        .any(|(_, r)| matches!(r, Ok(r) if r.action == InstallAction::Unchanged));
    if upgrade && unchanged {
        writeln!(
            out,
            "(upgrade does not re-check an installed copy that is up to date: `wasm-plugin \
             audit` does, `wasm-plugin install` repairs it)"
        )?;
    }
    Ok(code)
}

fn install_report(out: &mut impl Write, r: &InstallReport, upgrade: bool) -> io::Result<()> {
    use InstallAction as A;
    let previous = r.previous_version.as_deref().map_or("?", shown_version);
    let (name, version, path) = (&r.name, shown_version(&r.version), &r.wasm_path);
    match r.action {
        A::Unchanged if upgrade => {
            writeln!(out, "{name} {version} is up to date; nothing to do")?;
            return skipped_lines(out, r);
        }
        A::Unchanged => {
            // Intact includes its signature, checked again when a trust
            // root was given: say by whom.
            let signer = r
                .signed_by
                .as_deref()
                .map(|label| format!(", verified by '{label}'"))
                .unwrap_or_default();
            writeln!(
                out,
                "{name} {version} is already installed and intact{signer}; nothing to do"
            )?;
            return skipped_lines(out, r);
        }
        A::Installed => writeln!(out, "installed {name} {version} -> {path}")?,
        A::Upgraded => writeln!(out, "upgraded {name} {previous} -> {version} ({path})")?,
        A::Downgraded => writeln!(out, "downgraded {name} {previous} -> {version} ({path})")?,
        A::Reinstalled => writeln!(
            out,
            "reinstalled {name} {version} -> {path} (the installed copy did not match)"
        )?,
        // The actions are non-exhaustive: one this renderer predates is
        // shown by its WIT name.
        action => writeln!(out, "{action} {name} {version} -> {path}")?,
    }
    writeln!(
        out,
        "  sha256 {} ({} bytes) from {}",
        r.sha256, r.size, r.source
    )?;
    match (&r.signed_by, &r.sig_path) {
        (Some(label), _) => {
            writeln!(out, "  verified by '{label}'")?;
            if let Some(bundle) = &r.bundle_path {
                writeln!(out, "  Sigstore bundle placed at {bundle}")?;
            }
        }
        (None, Some(sig)) => writeln!(
            out,
            "  signature written to {sig} (not checked: no --trust-root)"
        )?,
        (None, None) => writeln!(out, "  unsigned (no --trust-root given)")?,
    }
    // A capability the version replaced did not have is worth a look
    // before the runtime hot-reloads it.
    if !r.new_imports.is_empty() {
        writeln!(
            out,
            "  new capability: now imports {}",
            r.new_imports.join(", ")
        )?;
    }
    skipped_lines(out, r)
}

/// The newer versions passed over because they do not fit the world.
pub fn skipped_lines(out: &mut impl Write, r: &InstallReport) -> io::Result<()> {
    for unfit in &r.skipped {
        writeln!(
            out,
            "  skipped {} {}: incompatible, {}",
            r.name, unfit.version, unfit.reason
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::testing::{self, json, ok, text};
    use wasm_plugin::InstallAction as A;

    #[test]
    fn an_install_says_what_it_placed_with_digest_and_signer() {
        let r = testing::install_report("hello", "1.0.0", A::Installed);
        let shown = text(|p| install_outcomes(p, &[ok("hello", r)], false));
        assert_eq!(
            shown.out,
            "installed hello 1.0.0 -> plugins/hello.wasm\n  \
             sha256 ab12 (42 bytes) from example/index.json\n  \
             unsigned (no --trust-root given)\n"
        );
        assert_eq!(shown.err, "");
        assert_eq!(shown.verdict, Verdict::Done);
    }

    #[test]
    fn an_upgrade_names_both_versions_the_signer_and_new_capabilities() {
        let mut r = testing::install_report("hello", "1.0.0", A::Upgraded);
        r.previous_version = Some("0.9.0".into());
        r.signed_by = Some("release".into());
        r.new_imports = vec!["wasi:http/outgoing-handler".into()];
        r.skipped = vec![testing::unfit("2.0.0", "no export run")];
        let shown = text(|p| install_outcomes(p, &[ok("hello", r)], true));
        assert_eq!(
            shown.out,
            "upgraded hello 0.9.0 -> 1.0.0 (plugins/hello.wasm)\n  \
             sha256 ab12 (42 bytes) from example/index.json\n  \
             verified by 'release'\n  \
             new capability: now imports wasi:http/outgoing-handler\n  \
             skipped hello 2.0.0: incompatible, no export run\n"
        );
    }

    #[test]
    fn a_sigstore_signer_is_shown_with_where_its_bundle_went() {
        let mut r = testing::install_report("hello", "1.0.0", A::Installed);
        r.signed_by = Some("sigstore:https://github.com/acme/x (https://issuer)".into());
        r.bundle_path = Some("plugins/hello.sigstore.json".into());
        let shown = text(|p| install_outcomes(p, &[ok("hello", r)], false));
        assert!(
            shown.out.ends_with(
                "  verified by 'sigstore:https://github.com/acme/x (https://issuer)'\n  \
                 Sigstore bundle placed at plugins/hello.sigstore.json\n"
            ),
            "{}",
            shown.out
        );
    }

    #[test]
    fn an_unchanged_plugin_reads_differently_for_install_and_upgrade() {
        let r = testing::install_report("hello", "1.0.0", A::Unchanged);
        let install = text(|p| install_outcomes(p, &[ok("hello", r.clone())], false));
        assert_eq!(
            install.out,
            "hello 1.0.0 is already installed and intact; nothing to do\n"
        );
        let upgrade = text(|p| install_outcomes(p, &[ok("hello", r)], true));
        assert!(
            upgrade
                .out
                .starts_with("hello 1.0.0 is up to date; nothing to do\n(upgrade does not")
        );
    }

    #[test]
    fn upgrade_says_what_up_to_date_means_once_for_all_plugins() {
        let plugins = [
            ok("hello", testing::install_report("hello", "1.0.0", A::Unchanged)),
            ok("colmask", testing::install_report("colmask", "0.3.1", A::Unchanged)),
            ok("geoip", testing::install_report("geoip", "0.1.0", A::Unchanged)),
        ];
        let shown = text(|p| install_outcomes(p, &plugins, true));
        assert_eq!(shown.out.matches("does not re-check").count(), 1, "{}", shown.out);
        assert!(
            shown.out.ends_with(
                "geoip 0.1.0 is up to date; nothing to do\n\
                 (upgrade does not re-check an installed copy that is up to date: `wasm-plugin \
                 audit` does, `wasm-plugin install` repairs it)\n"
            ),
            "{}",
            shown.out
        );
        let installed = [ok("hello", testing::install_report("hello", "1.0.0", A::Installed))];
        let shown = text(|p| install_outcomes(p, &installed, true));
        assert!(!shown.out.contains("re-check"), "{}", shown.out);
    }

    #[test]
    fn an_unversioned_entry_says_so_instead_of_nothing() {
        let r = testing::install_report("hello", "", A::Installed);
        let shown = text(|p| install_outcomes(p, &[ok("hello", r)], false));
        assert!(shown.out.starts_with("installed hello (unversioned) -> "));
    }

    #[test]
    fn install_json_is_an_array_of_the_reports() {
        let r = testing::install_report("hello", "1.0.0", A::Installed);
        let value = json(|p| install_outcomes(p, &[ok("hello", r)], false));
        assert_eq!(value[0]["name"], "hello");
        assert_eq!(value[0]["action"], "installed");
        assert_eq!(value[0]["wasm_path"], "plugins/hello.wasm");
        assert_eq!(value.as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn quiet_silences_text_but_never_json() {
        let r = testing::install_report("hello", "1.0.0", A::Installed);
        let quiet_text = testing::render(false, true, |p| {
            install_outcomes(p, &[ok("hello", r.clone())], false)
        });
        assert_eq!((quiet_text.out.as_str(), quiet_text.err.as_str()), ("", ""));
        let quiet_json = testing::render(true, true, |p| {
            install_outcomes(p, &[ok("hello", r)], false)
        });
        assert!(quiet_json.out.starts_with("[\n  {\n"), "{}", quiet_json.out);
    }
}
