//! `install`: resolve an entry, fetch it, check it, place it, record it.
//!
//! Everything that can be refused without fetching the artefact (name,
//! index and its signature, expiry and rollback, version, downgrade, trust
//! root, signature format, location, announced size) is refused first, so a
//! bad request costs little and touches nothing. The bytes then stream once
//! through the digest and signature check into a temp file that is renamed
//! into place only if both pass; the receipt is staged before and committed
//! after. A transient fetch failure starts the whole stream over (at most
//! three tries). Installing what is already installed and intact writes
//! nothing.

use crate::error::{Error, Result};
use crate::index::Entry;
use crate::installed::{self, SigState};
use crate::location;
use crate::name::PluginName;
use crate::place::{self, Staged};
use crate::receipt::{self, Found, Receipt};
use crate::registry::{self, Loaded, Policy, RegistryRef};
use crate::resolve::{self, Selector};
use crate::sandbox;
use crate::source::{self, Fetcher, Source};
use crate::spec::PluginSpec;
use crate::stream;
use crate::trust::{self, TrustRoot};
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// The largest artefact accepted unless the caller says otherwise.
pub const DEFAULT_MAX_SIZE: u64 = 512 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Install what the spec selects; refuse a downgrade unless allowed.
    Install,
    /// Move an installed plugin up to the highest version; never down.
    Upgrade,
}

#[derive(Debug, Clone)]
pub struct InstallRequest {
    /// An absolute path or an `http(s)://` URL.
    pub registry: String,
    /// `name` or `name@REQ`.
    pub spec: String,
    /// Exact version; overrides a requirement in `spec`.
    pub version: Option<String>,
    pub dest: PathBuf,
    pub trust_root: Option<PathBuf>,
    pub mode: Mode,
    pub allow_downgrade: bool,
    /// Accept an index past its `expires`.
    pub allow_expired: bool,
    /// The largest artefact accepted, in bytes.
    pub max_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Installed,
    Upgraded,
    Downgraded,
    Reinstalled,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallReport {
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub size: u64,
    pub source: String,
    pub wasm_path: String,
    pub sig_path: Option<String>,
    pub signed_by: Option<String>,
    pub action: Action,
    pub previous_version: Option<String>,
}

/// The entry `install` would take for `spec`, without fetching the
/// artefact. The name is checked before the index is even read.
pub fn find_entry(
    registry: &RegistryRef,
    spec: &str,
    version: Option<&str>,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<(Loaded, Entry)> {
    let spec = PluginSpec::parse(spec)?;
    let loaded = registry::load(registry, fetcher, policy)?;
    let selector = Selector::from_parts(version, spec.requirement.as_ref());
    let entry = resolve::select(&loaded.index, spec.name.as_str(), selector)?.clone();
    Ok((loaded, entry))
}

/// Installs the one plugin `request.spec` names.
pub fn install(request: &InstallRequest, fetcher: &dyn Fetcher) -> Result<InstallReport> {
    let mut outcomes = install_all(request, std::slice::from_ref(&request.spec), fetcher)?;
    outcomes.pop().expect("one outcome per spec")
}

/// Installs every plugin of `specs` (`request.spec` is ignored), reading
/// and verifying the index once for all of them. Each plugin succeeds or
/// fails on its own; the outer error is what stops them all (the
/// destination, the trust root, the index and its signature, a rollback).
pub fn install_all(
    request: &InstallRequest,
    specs: &[String],
    fetcher: &dyn Fetcher,
) -> Result<Vec<Result<InstallReport>>> {
    let dest = &request.dest;
    sandbox::check_granted(dest)?;
    // The host holds the destination's lock: temp files of our naming are
    // an interrupted run's, and nobody else's to finish.
    remove_leftovers(dest)?;
    // Phase 1, what each spec says on its own: a hostile name, a malformed
    // requirement, an upgrade of something not installed. None of it needs
    // the index, so none of it waits for (or on) the registry.
    let mut planned: Vec<Result<PluginSpec>> =
        specs.iter().map(|spec| check_spec(request, spec)).collect();
    if planned.iter().all(Result::is_err) {
        return Ok(planned
            .into_iter()
            .filter_map(Result::err)
            .map(Err)
            .collect());
    }
    // Phase 2, once for the run: the trust root and the index.
    let trust = request
        .trust_root
        .as_deref()
        .map(TrustRoot::load)
        .transpose()?;
    let policy = Policy {
        trust: trust.as_ref(),
        allow_expired: request.allow_expired,
    };
    let registry_ref = RegistryRef::parse(&request.registry);
    let loaded = registry::load(&registry_ref, fetcher, policy)?;
    registry::check_not_rolled_back(dest, &loaded)?;
    // Phase 3, each plugin: resolve, decide, fetch and check, commit.
    let context = Context {
        request,
        registry: &registry_ref,
        loaded: &loaded,
        trust: trust.as_ref(),
        fetcher,
    };
    Ok(planned
        .drain(..)
        .map(|spec| spec.and_then(|spec| install_one(&context, &spec)))
        .collect())
}

/// What one run shares between its plugins.
struct Context<'a> {
    request: &'a InstallRequest,
    registry: &'a RegistryRef,
    loaded: &'a Loaded,
    trust: Option<&'a TrustRoot>,
    fetcher: &'a dyn Fetcher,
}

/// A spec as far as it can be judged without the index.
fn check_spec(request: &InstallRequest, spec: &str) -> Result<PluginSpec> {
    let spec = PluginSpec::parse(spec)?;
    if request.mode == Mode::Upgrade {
        // "Not installed" is the first thing to say about an upgrade of
        // something that is not there, whatever the registry offers.
        let dest = &request.dest;
        let name = &spec.name;
        let receipt_exists = !matches!(receipt::read(dest, name)?, Found::Missing);
        if !receipt_exists && !installed::exists(&dest.join(name.wasm_file()))? {
            return Err(not_installed(dest, name)?);
        }
    }
    Ok(spec)
}

fn install_one(context: &Context<'_>, spec: &PluginSpec) -> Result<InstallReport> {
    let Context {
        request,
        registry: registry_ref,
        loaded,
        trust,
        fetcher,
    } = *context;
    let dest = &request.dest;
    let selector = Selector::from_parts(request.version.as_deref(), spec.requirement.as_ref());
    let entry = resolve::select(&loaded.index, spec.name.as_str(), selector)?.clone();
    let index = &loaded.index;
    let name = entry.name.clone();
    let what = format!("{} {}", entry.name, entry.version);
    let signature = match &entry.signature {
        Some(text) => {
            Some(
                trust::parse_signature(text).map_err(|reason| Error::SignatureMalformed {
                    source: format!("the signature of {what} in {}", index.path),
                    reason,
                })?,
            )
        }
        None => None,
    };
    let sig_text = signature.as_ref().map(trust::encode_signature);

    // What is installed now decides whether there is anything to do.
    let previous = match receipt::read(dest, &name)? {
        Found::Valid(receipt) => Some(receipt),
        // A receipt that cannot be read records nothing to compare with;
        // the install replaces it (and `audit` reports it until then).
        Found::Missing | Found::Invalid(_) => None,
    };
    let previous_version = previous.as_ref().map(|r| r.version.clone());
    let order = previous
        .as_ref()
        .and_then(|p| resolve::compare_versions(&entry.version, &p.version));
    // Nothing to place still records the index version seen: otherwise a
    // host that is up to date never learns it, and an older index replayed
    // later would be accepted.
    if request.mode == Mode::Upgrade
        && let Some(previous) = &previous
        && is_not_an_upgrade(order, &previous.version, &entry.version)
    {
        registry::record_seen(dest, loaded)?;
        return unchanged(dest, &name, previous);
    }
    if let Some(previous) = &previous {
        if previous.version == entry.version
            && previous.sha256 == entry.sha256.to_hex()
            && is_intact(dest, &name, &entry, sig_text.as_deref(), trust)?
        {
            registry::record_seen(dest, loaded)?;
            return unchanged(dest, &name, previous);
        }
        if order == Some(Ordering::Less) && !request.allow_downgrade {
            return Err(Error::DowngradeRefused {
                name: name.to_string(),
                installed: previous.version.clone(),
                requested: entry.version.clone(),
            });
        }
    }
    let action = match (&previous, order) {
        (None, _) => Action::Installed,
        (Some(_), Some(Ordering::Less)) => Action::Downgraded,
        (Some(p), _) if p.version == entry.version => Action::Reinstalled,
        (Some(_), _) => Action::Upgraded,
    };

    let location = location::resolve(&entry.artifact, registry_ref)?;
    let missing = || Error::SignatureMissing {
        artifact: location.display(),
        looked_for: format!("the {what} entry of {}", index.path),
    };
    // Fail before fetching when a signature is required and absent.
    trust::check_for(trust, signature.as_ref(), missing)?;
    // Each try starts over: a new request, a new temp file, a new digest.
    let (staged, measured, signed_by, shown) = source::with_retries(|| {
        let mut check = trust::check_for(trust, signature.as_ref(), missing)?;
        let mut source = Source::open(&location, fetcher)?;
        source.limit(entry.size, request.max_size)?;
        let mut staged = Staged::create(dest, &name.wasm_file())?;
        let measured = stream::pump(&mut source, Some(&mut staged), check.as_mut())?;
        Ok((staged, measured, check, source.shown().to_string()))
    })
    .and_then(|(staged, measured, check, shown)| {
        if measured.sha256 != entry.sha256 {
            return Err(Error::DigestMismatch {
                source: shown,
                expected: entry.sha256.to_hex(),
                actual: measured.sha256.to_hex(),
            });
        }
        let signed_by = check.map(|c| c.finish(&shown)).transpose()?;
        Ok((staged, measured, signed_by, shown))
    })?;

    let new_receipt = Receipt {
        name: name.to_string(),
        version: entry.version.clone(),
        sha256: measured.sha256.to_hex(),
        size: measured.size,
        signed_by: signed_by.clone(),
        registry: index.path.clone(),
        artifact: shown,
        installed_at: crate::clock::now(),
    };
    // Staged first: if they cannot be written, nothing has been placed yet.
    // After the plugin is placed only renames remain.
    let staged_receipt = receipt::stage(dest, &new_receipt)?;
    let staged_seen = registry::stage_seen(dest, loaded)?;
    let placed = place::commit(dest, &name, staged, sig_text.as_deref())?;
    receipt::commit(dest, &name, staged_receipt)?;
    registry::commit_seen(dest, staged_seen)?;
    Ok(InstallReport {
        name: name.to_string(),
        version: entry.version.clone(),
        sha256: new_receipt.sha256,
        size: measured.size,
        source: new_receipt.artifact,
        wasm_path: placed.wasm_path.display().to_string(),
        sig_path: placed.sig_path.map(|p| p.display().to_string()),
        signed_by,
        action,
        previous_version,
    })
}

/// Whether `upgrade` leaves a plugin at `installed` rather than move it to
/// `offered`: not when `offered` is higher, and not when the two have no
/// order (an unversioned install moves to any release), except that a
/// versioned install never moves sideways to an unversioned entry.
fn is_not_an_upgrade(order: Option<Ordering>, installed: &str, offered: &str) -> bool {
    match order {
        Some(order) => order != Ordering::Greater,
        None => offered.is_empty() && !installed.is_empty(),
    }
}

/// Removes what interrupted runs left in `dest`, its state folder and its
/// receipts folder (see `place::remove_leftovers`).
pub fn remove_leftovers(dest: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = place::remove_leftovers(dest)?;
    removed.extend(place::remove_leftovers(&dest.join(receipt::STATE_DIR))?);
    removed.extend(place::remove_leftovers(&receipt::dir(dest))?);
    Ok(removed)
}

/// Whether the installed copy is the entry's bytes with the entry's sidecar,
/// and passes the trust root if one is given.
fn is_intact(
    dest: &Path,
    name: &PluginName,
    entry: &Entry,
    sig_text: Option<&str>,
    trust: Option<&TrustRoot>,
) -> Result<bool> {
    let on_disk = match installed::inspect(dest, name, trust) {
        Ok(Some(on_disk)) => on_disk,
        // A link or a pipe where the plugin should be: replaced.
        Ok(None) | Err(Error::NotRegularFile { .. }) => return Ok(false),
        Err(e) => return Err(e),
    };
    Ok(on_disk.sha256 == entry.sha256
        && on_disk.sig_text.as_deref() == sig_text
        && (trust.is_none() || matches!(on_disk.sig, SigState::Verified(_))))
}

/// The report for a plugin left as it is.
fn unchanged(dest: &Path, name: &PluginName, previous: &Receipt) -> Result<InstallReport> {
    let sig_path = dest.join(name.sig_file());
    let sig_path = installed::exists(&sig_path)?.then(|| sig_path.display().to_string());
    Ok(InstallReport {
        name: previous.name.clone(),
        version: previous.version.clone(),
        sha256: previous.sha256.clone(),
        size: previous.size,
        source: previous.artifact.clone(),
        wasm_path: dest.join(name.wasm_file()).display().to_string(),
        sig_path,
        signed_by: previous.signed_by.clone(),
        action: Action::Unchanged,
        previous_version: Some(previous.version.clone()),
    })
}

/// The error for a plugin that is not installed in `dest`, listing what is.
pub fn not_installed(dest: &Path, name: &PluginName) -> Result<Error> {
    Ok(Error::NotInstalled {
        name: name.to_string(),
        dest: dest.display().to_string(),
        installed: installed_names(dest)?,
    })
}

/// Names with a receipt or a `.wasm` in `dest`, sorted.
pub fn installed_names(dest: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = receipt::all(dest)?.into_iter().map(|(n, _)| n).collect();
    let entries = std::fs::read_dir(dest).map_err(|e| Error::io(dest, "list", &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dest, "list", &e))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = file
            .strip_suffix(".wasm")
            .filter(|_| !file.starts_with('.'))
        {
            names.push(stem.to_string());
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FetchError;
    use crate::source::NoNetwork;
    use crate::source::testing::{Script, ScriptedFetcher};
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::{Signer, SigningKey};
    use serde_json::json;

    /// A registry, a trust root and a plugins directory in a temp dir.
    struct Fixture {
        _dir: tempfile::TempDir,
        root: PathBuf,
        key: SigningKey,
        plugins: Vec<serde_json::Value>,
    }

    impl Fixture {
        fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().canonicalize().unwrap();
            for sub in ["registry", "trust", "plugins"] {
                std::fs::create_dir(root.join(sub)).unwrap();
            }
            let key = SigningKey::from_bytes(&[42; 32]);
            std::fs::write(
                root.join("trust/release.pub"),
                STANDARD.encode(key.verifying_key().to_bytes()),
            )
            .unwrap();
            Fixture {
                _dir: dir,
                root,
                key,
                plugins: Vec::new(),
            }
        }

        /// Publishes `bytes` as `name` `version`, signed when `signed`.
        fn publish(&mut self, name: &str, version: &str, bytes: &[u8], signed: bool) -> &mut Self {
            let file = format!("{name}-{version}.wasm");
            std::fs::write(self.root.join("registry").join(&file), bytes).unwrap();
            let mut entry = json!({
                "name": name, "version": version, "artifact": file,
                "sha256": crate::digest::Sha256Digest::of(bytes).to_hex(),
            });
            if signed {
                entry["signature"] = json!(STANDARD.encode(self.key.sign(bytes).to_bytes()));
            }
            self.plugins.push(entry);
            self.write_index();
            self
        }

        fn write_index(&self) {
            let index = json!({"schema_version": "1", "plugins": self.plugins});
            std::fs::write(self.index(), index.to_string()).unwrap();
        }

        fn index(&self) -> PathBuf {
            self.root.join("registry/index.json")
        }

        fn dest(&self) -> PathBuf {
            self.root.join("plugins")
        }

        fn request(&self, spec: &str, trusted: bool) -> InstallRequest {
            InstallRequest {
                registry: self.index().display().to_string(),
                spec: spec.to_string(),
                version: None,
                dest: self.dest(),
                trust_root: trusted.then(|| self.root.join("trust")),
                mode: Mode::Install,
                allow_downgrade: false,
                allow_expired: false,
                max_size: DEFAULT_MAX_SIZE,
            }
        }

        fn install(&self, name: &str, trusted: bool) -> Result<InstallReport> {
            install(&self.request(name, trusted), &NoNetwork)
        }

        /// Every file under the plugins directory (receipts included).
        fn dest_listing(&self) -> Vec<(String, Vec<u8>)> {
            fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, Vec<u8>)>) {
                for entry in std::fs::read_dir(dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        walk(&path, base, out);
                    } else {
                        let name = path.strip_prefix(base).unwrap().display().to_string();
                        out.push((name, std::fs::read(&path).unwrap()));
                    }
                }
            }
            let mut files = Vec::new();
            walk(&self.dest(), &self.dest(), &mut files);
            files.sort();
            files
        }

        fn receipt(&self, name: &str) -> Receipt {
            match receipt::read(&self.dest(), &PluginName::parse(name).unwrap()).unwrap() {
                Found::Valid(r) => r,
                other => panic!("no receipt for {name}: {other:?}"),
            }
        }

        fn run(&self, request: InstallRequest) -> Result<InstallReport> {
            install(&request, &NoNetwork)
        }
    }

    #[test]
    fn a_signed_plugin_installs_with_its_sidecar_and_signer() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"\0asm v1", true);
        let report = fx.install("colmask", true).unwrap();
        assert_eq!(report.version, "1.0.0");
        assert_eq!(report.signed_by.as_deref(), Some("release"));
        assert_eq!(report.size, 7);
        assert_eq!(report.action, Action::Installed);
        assert_eq!(report.previous_version, None);
        let names: Vec<String> = fx.dest_listing().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                ".wasm-plugin/receipts/colmask.json",
                "colmask.sig",
                "colmask.wasm"
            ]
        );
        assert_eq!(
            std::fs::read(fx.dest().join("colmask.wasm")).unwrap(),
            b"\0asm v1"
        );
        let sig = std::fs::read_to_string(fx.dest().join("colmask.sig")).unwrap();
        assert_eq!(sig, STANDARD.encode(fx.key.sign(b"\0asm v1").to_bytes()));
    }

    #[test]
    fn the_highest_version_is_installed_and_replaces_the_old_one() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "0.9.0", b"old", true);
        fx.install("colmask", true).unwrap();
        fx.publish("colmask", "0.10.0", b"new", true);
        let report = fx.install("colmask", true).unwrap();
        assert_eq!(report.version, "0.10.0");
        assert_eq!(report.action, Action::Upgraded);
        assert_eq!(report.previous_version.as_deref(), Some("0.9.0"));
        assert_eq!(
            std::fs::read(fx.dest().join("colmask.wasm")).unwrap(),
            b"new"
        );
    }

    #[test]
    fn without_a_trust_root_an_unsigned_plugin_installs() {
        let mut fx = Fixture::new();
        fx.publish("plain", "1.0.0", b"bytes", false);
        let report = fx.install("plain", false).unwrap();
        assert_eq!(report.signed_by, None);
        assert_eq!(report.sig_path, None);
        let names: Vec<String> = fx.dest_listing().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, [".wasm-plugin/receipts/plain.json", "plain.wasm"]);
    }

    /// Installs v1, publishes a bad v2, and checks v2 fails with `expected`
    /// and leaves v1 (and its sidecar) exactly as they were, with no temp file.
    fn assert_refused_and_untouched(
        mutate: impl FnOnce(&mut Fixture),
        trusted: bool,
        expected: impl Fn(&Error) -> bool,
    ) {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"good v1", true);
        fx.install("colmask", trusted).unwrap();
        let before = fx.dest_listing();
        mutate(&mut fx);
        let err = fx.install("colmask", trusted).unwrap_err();
        assert!(expected(&err), "unexpected error {err:?}");
        assert_eq!(fx.dest_listing(), before, "the installed plugin changed");
    }

    #[test]
    fn a_digest_mismatch_leaves_the_old_plugin() {
        assert_refused_and_untouched(
            |fx| {
                fx.publish("colmask", "2.0.0", b"v2", true);
                std::fs::write(fx.root.join("registry/colmask-2.0.0.wasm"), b"v2 tampered")
                    .unwrap();
            },
            true,
            |e| matches!(e, Error::DigestMismatch { .. }),
        );
    }

    #[test]
    fn an_untrusted_signer_leaves_the_old_plugin() {
        assert_refused_and_untouched(
            |fx| {
                fx.key = SigningKey::from_bytes(&[7; 32]);
                fx.publish("colmask", "2.0.0", b"v2", true);
            },
            true,
            |e| matches!(e, Error::SignatureUntrusted { keys, .. } if keys == &["release"]),
        );
    }

    #[test]
    fn a_missing_signature_with_a_trust_root_leaves_the_old_plugin() {
        assert_refused_and_untouched(
            |fx| {
                fx.publish("colmask", "2.0.0", b"v2", false);
            },
            true,
            |e| matches!(e, Error::SignatureMissing { .. }),
        );
    }

    #[test]
    fn a_malformed_signature_is_refused_even_without_a_trust_root() {
        assert_refused_and_untouched(
            |fx| {
                fx.publish("colmask", "2.0.0", b"v2", true);
                fx.plugins[1]["signature"] = json!("bm90IDY0IGJ5dGVz");
                fx.write_index();
            },
            false,
            |e| matches!(e, Error::SignatureMalformed { reason, .. } if reason.contains("64 bytes")),
        );
    }

    #[test]
    fn a_signature_over_other_bytes_is_untrusted() {
        assert_refused_and_untouched(
            |fx| {
                fx.publish("colmask", "2.0.0", b"v2", true);
                fx.plugins[1]["signature"] = fx.plugins[0]["signature"].clone();
                fx.write_index();
            },
            true,
            |e| matches!(e, Error::SignatureUntrusted { .. }),
        );
    }

    #[test]
    fn a_missing_artifact_is_an_io_error() {
        assert_refused_and_untouched(
            |fx| {
                fx.publish("colmask", "2.0.0", b"v2", true);
                std::fs::remove_file(fx.root.join("registry/colmask-2.0.0.wasm")).unwrap();
            },
            true,
            |e| {
                matches!(
                    e,
                    Error::Io {
                        operation: "open",
                        ..
                    }
                )
            },
        );
    }

    #[test]
    fn a_remote_artifact_streams_through_the_fetcher() {
        let mut fx = Fixture::new();
        fx.publish("net", "1.0.0", b"remote bytes", true);
        fx.plugins[0]["artifact"] = json!("http://127.0.0.1:1/net.wasm");
        fx.write_index();
        let fetcher = ScriptedFetcher::default();
        fetcher.serve(
            "http://127.0.0.1:1/net.wasm",
            Script::Body(b"remote bytes".to_vec(), Some(12), 4),
        );
        let report = install(&fx.request("net", true), &fetcher).unwrap();
        assert_eq!(report.source, "http://127.0.0.1:1/net.wasm");
        assert_eq!(
            std::fs::read(fx.dest().join("net.wasm")).unwrap(),
            b"remote bytes"
        );

        // Reinstalling it is a no-op: nothing is fetched.
        fetcher.clear();
        let report = install(&fx.request("net", true), &fetcher).unwrap();
        assert_eq!(report.action, Action::Unchanged);

        // A 404 is reported as such, not as a digest mismatch.
        fx.publish("net", "2.0.0", b"v2", true);
        fx.plugins[1]["artifact"] = json!("http://127.0.0.1:1/net.wasm");
        fx.write_index();
        fetcher.serve(
            "http://127.0.0.1:1/net.wasm",
            Script::Fail(FetchError::HttpStatus(404)),
        );
        let err = install(&fx.request("net", true), &fetcher).unwrap_err();
        assert!(matches!(
            err,
            Error::FetchFailed {
                cause: FetchError::HttpStatus(404),
                ..
            }
        ));
        assert_eq!(
            std::fs::read(fx.dest().join("net.wasm")).unwrap(),
            b"remote bytes"
        );
    }

    #[test]
    fn input_errors_come_before_any_fetch() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"v1", true);
        // Hostile names are refused before the index is even read.
        std::fs::write(fx.index(), "not json").unwrap();
        let err = fx.install("../x", true).unwrap_err();
        assert!(matches!(err, Error::InvalidName { .. }));
        let err = fx.install("colmask", true).unwrap_err();
        assert!(
            matches!(
                err,
                Error::IndexMalformed {
                    line: 1,
                    column: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(fx.dest_listing().is_empty());
        assert!(Path::new(&fx.dest()).exists());
    }

    #[test]
    fn an_unknown_version_names_the_ones_that_exist() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"v1", true);
        let mut request = fx.request("colmask", true);
        request.version = Some("3.0.0".into());
        let err = install(&request, &NoNetwork).unwrap_err();
        assert_eq!(
            err,
            Error::UnknownVersion {
                name: "colmask".into(),
                requested: "3.0.0".into(),
                available: vec!["1.0.0".into()]
            }
        );
    }

    #[test]
    fn the_receipt_records_what_was_installed() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"\0asm v1", true);
        let report = fx.install("colmask", true).unwrap();
        let r = fx.receipt("colmask");
        assert_eq!(r.name, "colmask");
        assert_eq!(r.version, "1.0.0");
        assert_eq!(r.sha256, report.sha256);
        assert_eq!(r.size, 7);
        assert_eq!(r.signed_by.as_deref(), Some("release"));
        assert_eq!(r.registry, fx.index().display().to_string());
        assert!(r.artifact.ends_with("colmask-1.0.0.wasm"), "{}", r.artifact);
        assert!(crate::clock::parse(&r.installed_at).is_ok());
    }

    #[test]
    fn installing_the_installed_version_again_writes_nothing() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"\0asm v1", true);
        fx.install("colmask", true).unwrap();
        let before = fx.dest_listing();
        let report = fx.install("colmask", true).unwrap();
        assert_eq!(report.action, Action::Unchanged);
        assert_eq!(report.signed_by.as_deref(), Some("release"));
        assert_eq!(fx.dest_listing(), before);
    }

    #[test]
    fn a_tampered_installed_copy_is_reinstalled() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"\0asm v1", true);
        fx.install("colmask", true).unwrap();
        std::fs::write(fx.dest().join("colmask.wasm"), b"tampered").unwrap();
        let report = fx.install("colmask", true).unwrap();
        assert_eq!(report.action, Action::Reinstalled);
        assert_eq!(
            std::fs::read(fx.dest().join("colmask.wasm")).unwrap(),
            b"\0asm v1"
        );
        // A lost sidecar too.
        std::fs::remove_file(fx.dest().join("colmask.sig")).unwrap();
        assert_eq!(
            fx.install("colmask", true).unwrap().action,
            Action::Reinstalled
        );
        assert!(fx.dest().join("colmask.sig").exists());
    }

    #[test]
    fn a_downgrade_is_refused_unless_allowed() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "0.1.0", b"v0.1", true);
        fx.publish("colmask", "0.2.0", b"v0.2", true);
        fx.install("colmask", true).unwrap();
        let before = fx.dest_listing();
        let err = fx.install("colmask@=0.1.0", true).unwrap_err();
        assert_eq!(
            err,
            Error::DowngradeRefused {
                name: "colmask".into(),
                installed: "0.2.0".into(),
                requested: "0.1.0".into()
            }
        );
        assert_eq!(fx.dest_listing(), before);
        let mut request = fx.request("colmask@=0.1.0", true);
        request.allow_downgrade = true;
        let report = fx.run(request).unwrap();
        assert_eq!(report.action, Action::Downgraded);
        assert_eq!(fx.receipt("colmask").version, "0.1.0");
    }

    #[test]
    fn a_requirement_selects_the_highest_match() {
        let mut fx = Fixture::new();
        for v in ["1.1.0", "1.4.2", "2.0.0"] {
            fx.publish("colmask", v, v.as_bytes(), true);
        }
        assert_eq!(fx.install("colmask@^1.2", true).unwrap().version, "1.4.2");
        let err = fx.install("colmask@^3", true).unwrap_err();
        assert!(matches!(err, Error::UnknownVersion { .. }), "{err:?}");
    }

    #[test]
    fn upgrade_moves_up_and_never_down() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"v1", true);
        let upgrade = |fx: &Fixture| {
            let mut request = fx.request("colmask", true);
            request.mode = Mode::Upgrade;
            fx.run(request)
        };
        let err = upgrade(&fx).unwrap_err();
        assert!(
            matches!(err, Error::NotInstalled { ref installed, .. } if installed.is_empty()),
            "{err:?}"
        );
        fx.install("colmask", true).unwrap();
        assert_eq!(upgrade(&fx).unwrap().action, Action::Unchanged);
        fx.publish("colmask", "1.1.0", b"v1.1", true);
        let report = upgrade(&fx).unwrap();
        assert_eq!(
            (report.action, report.version.as_str()),
            (Action::Upgraded, "1.1.0")
        );
        // Installed 1.1.0, registry now tops out lower: kept, not downgraded.
        fx.plugins.pop();
        fx.write_index();
        let report = upgrade(&fx).unwrap();
        assert_eq!(
            (report.action, report.version.as_str()),
            (Action::Unchanged, "1.1.0")
        );
    }

    #[test]
    fn a_failed_install_keeps_the_old_receipt() {
        let mut fx = Fixture::new();
        fx.publish("colmask", "1.0.0", b"v1", true);
        fx.install("colmask", true).unwrap();
        let receipt_before = fx.receipt("colmask");
        fx.publish("colmask", "2.0.0", b"v2", true);
        std::fs::write(fx.root.join("registry/colmask-2.0.0.wasm"), b"bad").unwrap();
        assert!(fx.install("colmask", true).is_err());
        assert_eq!(fx.receipt("colmask"), receipt_before);
    }
}
