//! The export: the installer as the WIT's `Guest`, and the host's fetch
//! import behind the crate's `Fetcher` trait. The bindings are generated in
//! `wit` (on every target) and the verbs return the WIT's records, so what
//! is left here is turning each request into the verb's own (paths as
//! paths) and the few records made from richer guest types: an index's
//! entries, receipts, a sync plan. Every decision is made in the plain
//! modules.

use crate::error::{Error, FetchError};
use crate::plugin_set::lock;
use crate::plugins_dir::receipt;
use crate::registry::index;
use crate::registry::{self, Policy, RegistryRef};
use crate::transfer::source::{Answer, Fetcher, Head, Method, RemoteBody, Request};
use crate::trust::TrustRoot;
use crate::trust::capabilities::ImportPolicy;
use crate::verbs::trust as trust_verb;
use crate::verbs::{
    audit, convert, install, keys, mirror, outdated, publish, scaffold, sync, uninstall, verify,
    verify_bundle,
};
use crate::wit::{self, host};
use std::path::{Path, PathBuf};

struct Installer;

crate::wit::export!(Installer with_types_in crate::wit);

impl wit::Guest for Installer {
    fn load_index(source: wit::IndexSource) -> Result<wit::RegistryIndex, wit::Error> {
        let trust = trust_root(&source)?;
        let policy = Policy {
            trust: trust.as_ref(),
            allow_expired: source.allow_expired,
        };
        if registry::oci::is_oci(&source.registry) {
            let index =
                registry::oci::index(&HostFetcher, &source.registry).map_err(wit::Error::from)?;
            let plugins = entries_to_wit(&index);
            return Ok(wit::RegistryIndex {
                path: index.path,
                schema_version: index.schema_version,
                version: None,
                expires: None,
                signed_by: None,
                plugins,
            });
        }
        let registry = RegistryRef::parse(&source.registry);
        let loaded = registry::sparse::load_for(
            &registry,
            source.plugin.as_deref(),
            source.search.as_deref(),
            &HostFetcher,
            policy,
        )
        .map_err(wit::Error::from)?;
        let plugins = entries_to_wit(&loaded.index);
        Ok(wit::RegistryIndex {
            path: loaded.index.path,
            schema_version: loaded.index.schema_version,
            version: loaded.index.version,
            expires: loaded.index.expires,
            signed_by: loaded.signed_by,
            plugins,
        })
    }

    fn find_entry(
        source: wit::IndexSource,
        spec: String,
        version: Option<String>,
    ) -> Result<wit::RegistryEntry, wit::Error> {
        let trust = trust_root(&source)?;
        let policy = Policy {
            trust: trust.as_ref(),
            allow_expired: source.allow_expired,
        };
        if registry::oci::is_oci(&source.registry) {
            let entry =
                install::find_oci_entry(&source.registry, &spec, version.as_deref(), &HostFetcher)
                    .map_err(wit::Error::from)?;
            return Ok(entry_to_wit(&entry));
        }
        let registry = RegistryRef::parse(&source.registry);
        let (_, entry) =
            install::find_entry(&registry, &spec, version.as_deref(), &HostFetcher, policy)
                .map_err(wit::Error::from)?;
        Ok(entry_to_wit(&entry))
    }

    fn read_index(source: wit::IndexSource) -> Result<wit::IndexBytes, wit::Error> {
        let trust = trust_root(&source)?;
        let policy = Policy {
            trust: trust.as_ref(),
            allow_expired: source.allow_expired,
        };
        if registry::oci::is_oci(&source.registry) {
            return Err(wit::Error::from(Error::InvalidRequest {
                value: source.registry,
                reason: "an OCI registry has no index to read; each install reads its tags".into(),
            }));
        }
        let registry = RegistryRef::parse(&source.registry);
        install::read_index(&registry, &HostFetcher, policy).map_err(wit::Error::from)
    }

    fn install(request: wit::InstallRequest) -> Result<wit::InstallReport, wit::Error> {
        let request = install::InstallRequest {
            registry: request.registry,
            spec: request.spec,
            version: request.version,
            dest: PathBuf::from(request.dest),
            trust_root: request.trust_root.map(PathBuf::from),
            mode: match request.mode {
                wit::InstallMode::Install => install::Mode::Install,
                wit::InstallMode::Upgrade => install::Mode::Upgrade,
            },
            allow_downgrade: request.allow_downgrade,
            allow_expired: request.allow_expired,
            max_size: request.max_size,
            preloaded: request.preloaded,
            pinned: None,
            planned: false,
            dry_run: request.dry_run,
            imports: ImportPolicy {
                allow: request.allow_imports,
                deny: request.deny_imports,
            },
            world: request.world.map(|w| install::WorldRef {
                path: PathBuf::from(w.path),
                text: w.text,
                name: w.name,
            }),
        };
        install::install(&request, &HostFetcher).map_err(wit::Error::from)
    }

    fn outdated(
        source: wit::IndexSource,
        dest: String,
    ) -> Result<Vec<wit::OutdatedPlugin>, wit::Error> {
        let trust = trust_root_for(&source, Some(Path::new(&dest)))?;
        let policy = Policy {
            trust: trust.as_ref(),
            allow_expired: source.allow_expired,
        };
        outdated::outdated(Path::new(&dest), &source.registry, &HostFetcher, policy)
            .map_err(wit::Error::from)
    }

    fn forget_registry(dest: String, registry: String) -> Result<wit::ForgetReport, wit::Error> {
        let dest = PathBuf::from(dest);
        crate::sandbox::check_granted(&dest).map_err(wit::Error::from)?;
        let shown = RegistryRef::parse(&registry).shown();
        let (forgotten, recorded) =
            crate::plugins_dir::seen::forget(&dest, &shown).map_err(wit::Error::from)?;
        Ok(wit::ForgetReport {
            dest: dest.display().to_string(),
            registry: shown,
            forgotten,
            recorded,
        })
    }

    fn list_installed(dest: String) -> Result<Vec<wit::Receipt>, wit::Error> {
        let receipts = receipt::all(Path::new(&dest)).map_err(wit::Error::from)?;
        Ok(receipts
            .into_iter()
            .filter_map(|(_, found)| match found {
                receipt::Found::Valid(r) => Some(wit::Receipt {
                    name: r.name,
                    version: r.version,
                    sha256: r.sha256,
                    size: r.size,
                    signed_by: r.signed_by,
                    registry: r.registry,
                    artifact: r.artifact,
                    installed_at: r.installed_at,
                    requirement: r.requirement,
                    imports: r.imports,
                    exports: r.exports,
                }),
                _ => None,
            })
            .collect())
    }

    fn uninstall(dest: String, name: String) -> Result<wit::UninstallReport, wit::Error> {
        uninstall::uninstall(Path::new(&dest), &name).map_err(wit::Error::from)
    }

    fn clean(dest: String) -> Result<Vec<String>, wit::Error> {
        let removed = install::remove_leftovers(Path::new(&dest)).map_err(wit::Error::from)?;
        Ok(removed.iter().map(|p| p.display().to_string()).collect())
    }

    fn audit(
        dest: String,
        trust_root: Option<String>,
        manifest: Option<String>,
        registry: Option<wit::IndexSource>,
        allow_imports: Vec<String>,
        deny_imports: Vec<String>,
    ) -> Result<wit::AuditReport, wit::Error> {
        let mut r = audit::audit(
            Path::new(&dest),
            trust_root.as_deref().map(Path::new),
            manifest.as_deref().map(Path::new),
        )
        .map_err(wit::Error::from)?;
        if let Some(source) = registry {
            let trust = crate::component::trust_root(&source)?;
            let policy = Policy {
                trust: trust.as_ref(),
                allow_expired: source.allow_expired,
            };
            audit::against_registry(&mut r, &source.registry, &HostFetcher, policy)
                .map_err(wit::Error::from)?;
        }
        // The set's own policy stands in for a list not given, as the CLI
        // fills it, so library and Node callers get the same audit.
        let declared = match &manifest {
            Some(path) => {
                Some(crate::plugin_set::manifest::read(Path::new(path)).map_err(wit::Error::from)?)
            }
            None => None,
        };
        let or_declared = |given: Vec<String>, pick: fn(&wit::Manifest) -> &Vec<String>| match (
            given.is_empty(),
            &declared,
        ) {
            (true, Some(m)) => pick(m).clone(),
            _ => given,
        };
        let imports = ImportPolicy {
            allow: or_declared(allow_imports, |m| &m.allow_imports),
            deny: or_declared(deny_imports, |m| &m.deny_imports),
        };
        audit::against_policy(&mut r, &imports).map_err(wit::Error::from)?;
        Ok(r)
    }

    fn keygen(label: String, out_dir: String) -> Result<wit::KeygenReport, wit::Error> {
        keys::keygen(&label, Path::new(&out_dir)).map_err(wit::Error::from)
    }

    fn sign(
        artifact: String,
        key: String,
        out: Option<String>,
        force: bool,
    ) -> Result<wit::SignReport, wit::Error> {
        keys::sign(
            Path::new(&artifact),
            Path::new(&key),
            out.as_deref().map(Path::new),
            force,
        )
        .map_err(wit::Error::from)
    }

    fn sync(request: wit::SyncRequest) -> Result<wit::SyncReport, wit::Error> {
        sync::sync(&sync_request(request), &HostFetcher).map_err(wit::Error::from)
    }

    fn plan_sync(request: wit::SyncRequest) -> Result<wit::SyncPlan, wit::Error> {
        let plan = sync::plan(&sync_request(request), &HostFetcher).map_err(wit::Error::from)?;
        Ok(wit::SyncPlan {
            dest: plan.dest,
            lock: plan.lock_path,
            lock_changed: plan.lock_changed,
            jobs: plan.jobs,
            failed: plan.failed,
            pins: plan.pins.to_text(),
            indexes: plan.indexes,
        })
    }

    fn apply_sync_job(
        request: wit::SyncRequest,
        mut job: wit::SyncJob,
        index: Option<wit::IndexBytes>,
    ) -> Result<wit::SyncChange, wit::Error> {
        // A job is planned, not done: an error the host left in it is not
        // this run's.
        job.change.error = None;
        sync::apply(&sync_request(request), &job, index.as_ref(), &HostFetcher)
            .map_err(wit::Error::from)
    }

    fn commit_sync(
        request: wit::SyncRequest,
        pins: String,
        outcomes: Vec<wit::SyncOutcome>,
    ) -> Result<wit::SyncCommitted, wit::Error> {
        let request = sync_request(request);
        let pins = lock::parse(&pins, "the plan's pins").map_err(wit::Error::from)?;
        sync::commit(&request, &pins, &outcomes).map_err(wit::Error::from)
    }

    fn read_manifest(path: String) -> Result<wit::Manifest, wit::Error> {
        crate::plugin_set::manifest::read(Path::new(&path)).map_err(wit::Error::from)
    }

    fn publish(request: wit::PublishRequest) -> Result<wit::PublishReport, wit::Error> {
        let request = publish::PublishRequest {
            artifact: PathBuf::from(request.artifact),
            registry: PathBuf::from(request.registry),
            name: request.name,
            version: request.version,
            description: request.description,
            key: request.key.map(PathBuf::from),
            location: request.location,
            force: request.force,
            expires_in: request.expires_in,
            sigstore_bundle: request.sigstore_bundle.map(PathBuf::from),
            timestamp_expires_in: request.timestamp_expires_in,
        };
        let to_oci = registry::oci::is_oci(&request.registry.display().to_string());
        if to_oci {
            publish::publish_oci(&request, &HostFetcher)
        } else {
            publish::publish(&request)
        }
        .map_err(wit::Error::from)
    }

    fn trust_write(request: wit::TrustWriteRequest) -> Result<wit::TrustSummary, wit::Error> {
        trust_verb::write(&trust_verb::WriteRequest {
            out: PathBuf::from(request.out),
            previous: request.previous.map(PathBuf::from),
            keys: request
                .keys
                .into_iter()
                .map(|k| (k.label, PathBuf::from(k.value)))
                .collect(),
            remove: request.remove,
            root: request.root,
            index: request.index,
            publishers: request.publishers,
            expires_in: request.expires_in,
        })
        .map_err(wit::Error::from)
    }

    fn trust_sign_root(root: String, key: String) -> Result<wit::TrustSignedRoot, wit::Error> {
        trust_verb::sign_root(Path::new(&root), Path::new(&key)).map_err(wit::Error::from)
    }

    fn trust_sign_index(
        registry: String,
        key: String,
    ) -> Result<wit::TrustSignedIndex, wit::Error> {
        trust_verb::sign_index(Path::new(&registry), Path::new(&key)).map_err(wit::Error::from)
    }

    fn trust_sign_entry(request: wit::CosignRequest) -> Result<wit::CosignReport, wit::Error> {
        publish::cosign(&publish::CosignRequest {
            registry: PathBuf::from(request.registry),
            name: request.name,
            version: request.version,
            key: PathBuf::from(request.key),
            index_key: request.index_key.map(PathBuf::from),
        })
        .map_err(wit::Error::from)
    }

    fn trust_show(path: String) -> Result<wit::TrustSummary, wit::Error> {
        trust_verb::show(Path::new(&path)).map_err(wit::Error::from)
    }

    fn yank(request: wit::YankRequest) -> Result<wit::YankReport, wit::Error> {
        publish::yank(&publish::YankRequest {
            registry: PathBuf::from(request.registry),
            name: request.name,
            version: request.version,
            undo: request.undo,
            key: request.key.map(PathBuf::from),
            timestamp_expires_in: request.timestamp_expires_in,
        })
        .map_err(wit::Error::from)
    }

    fn mirror(request: wit::MirrorRequest) -> Result<wit::MirrorReport, wit::Error> {
        let request = mirror::MirrorRequest {
            registry: request.source.registry,
            out: PathBuf::from(request.out),
            trust_root: request.source.trust_root.map(PathBuf::from),
            key: request.key.map(PathBuf::from),
            allow_expired: request.source.allow_expired,
            max_size: request.max_size,
        };
        let to_oci = registry::oci::is_oci(&request.out.display().to_string());
        if to_oci {
            mirror::mirror_to_oci(&request, &HostFetcher)
        } else {
            mirror::mirror(&request, &HostFetcher)
        }
        .map_err(wit::Error::from)
    }

    fn convert_registry(request: wit::ConvertRequest) -> Result<wit::ConvertReport, wit::Error> {
        let request = convert::ConvertRequest {
            index: PathBuf::from(request.index),
            out: PathBuf::from(request.out),
            key: request.key.map(PathBuf::from),
            timestamp_expires_in: request.timestamp_expires_in,
        };
        convert::convert(&request).map_err(wit::Error::from)
    }

    fn verify(request: wit::VerifyRequest) -> Result<wit::VerifyReport, wit::Error> {
        let request = verify::VerifyRequest {
            artifact: PathBuf::from(request.artifact),
            signature: request.signature.map(PathBuf::from),
            trust_root: request.trust_root.map(PathBuf::from),
            world: request.world.map(|w| install::WorldRef {
                path: PathBuf::from(w.path),
                text: w.text,
                name: w.name,
            }),
        };
        verify::verify(&request).map_err(wit::Error::from)
    }

    fn verify_bundle(
        request: wit::BundleVerifyRequest,
    ) -> Result<wit::BundleVerifyReport, wit::Error> {
        verify_bundle::verify_bundle(&request).map_err(wit::Error::from)
    }

    fn scaffold(name: String, parent: String) -> Result<wit::ScaffoldReport, wit::Error> {
        scaffold::scaffold(&name, Path::new(&parent)).map_err(wit::Error::from)
    }
}

/// The source's trust root; with `root.json`, advanced along the
/// registry's rotations (read-only calls record nothing; `install` does).
fn trust_root(source: &wit::IndexSource) -> Result<Option<TrustRoot>, wit::Error> {
    trust_root_for(source, None)
}

/// `trust_root`, starting the walk from the root recorded in the plugins
/// directory `dest` when there is one (`outdated`).
fn trust_root_for(
    source: &wit::IndexSource,
    dest: Option<&Path>,
) -> Result<Option<TrustRoot>, wit::Error> {
    let Some(dir) = source.trust_root.as_deref() else {
        return Ok(None);
    };
    let root = TrustRoot::load(Path::new(dir)).map_err(wit::Error::from)?;
    if root.metadata.is_none() || registry::oci::is_oci(&source.registry) {
        return Ok(Some(root));
    }
    let registry = RegistryRef::parse(&source.registry);
    let start = match dest {
        Some(dest) => crate::plugins_dir::roots::recorded_trust(dest, &registry.shown(), &root)
            .map_err(wit::Error::from)?,
        None => root.clone(),
    };
    let from = start.metadata.as_ref().expect("checked above");
    let newest = registry::rotation::walk(&registry, from, &HostFetcher, source.allow_expired)
        .map_err(wit::Error::from)?;
    Ok(Some(root.with_metadata(newest)))
}

/// Every entry of `index`, each marked whether it is the version `install
/// NAME` takes (for `list --latest`, `search`, `info`). Marked in one pass
/// over the index (`chosen_by_default`), not by resolving per entry.
fn entries_to_wit(index: &index::Index) -> Vec<wit::RegistryEntry> {
    index
        .plugins
        .iter()
        .zip(registry::resolve::chosen_by_default(index))
        .map(|(e, latest)| wit::RegistryEntry {
            latest,
            ..entry_to_wit(e)
        })
        .collect()
}

fn entry_to_wit(e: &index::Entry) -> wit::RegistryEntry {
    wit::RegistryEntry {
        name: e.name.to_string(),
        version: e.version.clone(),
        description: e.description.clone(),
        artifact: e.artifact.clone(),
        sha256: e.sha256.to_hex(),
        signature: e.signature.clone(),
        size: e.size,
        yanked: e.yanked,
        latest: false,
        imports: e.imports.clone(),
        exports: e.exports.clone(),
    }
}

/// The host's fetch import as a `Fetcher`.
struct HostFetcher;

struct HostBody(host::Body);

impl Fetcher for HostFetcher {
    fn get(&self, url: &str) -> Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
        let (body, announced) = host::get(url).map_err(fetch_from_wit)?;
        Ok((Box::new(HostBody(body)), announced))
    }

    fn send(&self, request: &Request) -> Result<(Head, Box<dyn RemoteBody>), FetchError> {
        let (head, body) = host::send(&request_to_wit(request)).map_err(fetch_from_wit)?;
        Ok((head_from_wit(head), Box::new(HostBody(body))))
    }

    /// The host's `send-all`: the requests side by side.
    fn send_all(&self, requests: &[Request], max_body: u64) -> Vec<Answer> {
        let asked: Vec<host::Request> = requests.iter().map(request_to_wit).collect();
        let mut answers: Vec<Answer> = host::send_all(&asked, max_body)
            .into_iter()
            .map(|answer| {
                let (head, bytes) = answer.map_err(fetch_from_wit)?;
                Ok((head_from_wit(head), bytes))
            })
            .collect();
        // One answer per request, whatever the host sent: the rest are
        // failures of their own, never another request's answer.
        answers.resize_with(requests.len(), || {
            Err(FetchError::Transport("the host gave no answer".into()))
        });
        answers
    }
}

fn request_to_wit(request: &Request) -> host::Request {
    host::Request {
        method: match request.method {
            Method::Get => host::Method::Get,
            Method::Head => host::Method::Head,
            Method::Post => host::Method::Post,
            Method::Put => host::Method::Put,
            Method::Patch => host::Method::Patch,
        },
        url: request.url.clone(),
        headers: request.headers.clone(),
        body: request.body.clone(),
    }
}

fn head_from_wit(head: host::ResponseHead) -> Head {
    Head {
        status: head.status,
        headers: head.headers,
        length: head.length,
    }
}

impl RemoteBody for HostBody {
    fn read(&mut self, max: u32) -> Result<Vec<u8>, FetchError> {
        self.0.read(max).map_err(fetch_from_wit)
    }
}

fn fetch_from_wit(e: host::FetchError) -> FetchError {
    match e {
        host::FetchError::UnsupportedScheme(s) => FetchError::UnsupportedScheme(s),
        host::FetchError::InvalidUrl(s) => FetchError::InvalidUrl(s),
        host::FetchError::Connect(s) => FetchError::Connect(s),
        host::FetchError::HttpStatus(code) => FetchError::HttpStatus(code),
        host::FetchError::Timeout(s) => FetchError::Timeout(s),
        host::FetchError::Truncated((got, announced)) => FetchError::Truncated(got, announced),
        host::FetchError::Tls(s) => FetchError::Tls(s),
        host::FetchError::Protocol(s) => FetchError::Protocol(s),
        host::FetchError::Transport(s) => FetchError::Transport(s),
    }
}

fn sync_request(r: wit::SyncRequest) -> sync::SyncRequest {
    sync::SyncRequest {
        manifest: PathBuf::from(r.manifest),
        dest: r.dest.map(PathBuf::from),
        trust_root: r.trust_root.map(PathBuf::from),
        dry_run: r.dry_run,
        locked: r.locked,
        allow_expired: r.allow_expired,
        max_size: r.max_size,
        upgrade: r.upgrade,
        lock_only: r.lock_only,
        plain_http: r.plain_http,
        imports: ImportPolicy {
            allow: r.allow_imports,
            deny: r.deny_imports,
        },
        world: r.world.map(|w| install::WorldRef {
            path: PathBuf::from(w.path),
            text: w.text,
            name: w.name,
        }),
    }
}
