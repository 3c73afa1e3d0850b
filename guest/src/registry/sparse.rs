//! Sparse registries: one file per plugin instead of one `index.json`, so
//! that installing one plugin reads only what it needs, however many
//! plugins the registry holds (cargo's sparse protocol, for plugins).
//!
//! A registry is sparse when its root holds `config.json`; it is named by
//! that file (`/srv/reg/config.json`, `https://host/reg/config.json`; a
//! directory or a URL ending in `/` is completed to it). Each plugin's file
//! sits at the path cargo derives from the lowercased name (`1/a`, `2/ab`,
//! `3/a/abc`, `ab/cd/abcd…`) and is an index holding only that plugin's
//! entries, with its own `version` and `expires`: it is read, signed
//! (`<file>.sig`, by the index role) and judged exactly as `index.json`
//! is (`load`), and relative artefact locations in it resolve against the
//! registry's root. The rollback record is kept per plugin file.

use super::load::{Present, read_if_present};
use crate::error::{Error, FetchError, Result};
use crate::limits::{
    MAX_INDEX_BYTES, MAX_NAME_LIST_BYTES, MAX_PREFETCH_BATCH, MAX_PREFETCH_BYTES,
    MAX_PREFETCH_FILE_BYTES, MAX_SEARCH_FILES, MAX_SPARSE_CONFIG_BYTES,
};
use crate::registry::index::{self, Index};
use crate::registry::name::PluginName;
use crate::registry::{Loaded, Policy, RegistryRef};
use crate::transfer::location::{self, Location};
use crate::transfer::source::{Fetcher, Head, RemoteBody, Request};
use serde::Deserialize;
use std::path::Path;

/// The file at a sparse registry's root that makes it one.
pub const CONFIG: &str = "config.json";

/// Whether `registry` names a sparse registry (its `config.json`).
pub fn is_sparse(registry: &RegistryRef) -> bool {
    match registry {
        RegistryRef::File(path) => path.file_name().is_some_and(|n| n == CONFIG),
        RegistryRef::Url(url) => {
            let path = url.split(['?', '#']).next().unwrap_or(url);
            path.rsplit('/').next() == Some(CONFIG)
        }
    }
}

/// What a sparse registry's `config.json` says. It is not signed, so it
/// holds nothing a client trusts: only the schema, for a later layout to
/// be refused clearly rather than misread. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// As written; `""` when absent (read as `"1"`).
    pub schema_version: String,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    schema_version: String,
}

/// Parses `config.json`; `path` is only used in messages.
pub fn parse_config(path: &str, bytes: &[u8]) -> Result<Config> {
    let tree = index::parse_tree(path, bytes)?;
    if !tree.is_object() {
        return Err(Error::IndexInvalid {
            path: path.to_string(),
            problem: "a sparse registry's config.json is a JSON object".into(),
        });
    }
    let raw: RawConfig = serde_json::from_value(tree).map_err(|e| Error::IndexInvalid {
        path: path.to_string(),
        problem: format!("not a sparse registry's config.json: {e}"),
    })?;
    if !index::SCHEMAS_READ.contains(&raw.schema_version.as_str()) {
        return Err(Error::IndexInvalid {
            path: path.to_string(),
            problem: format!(
                "schema_version is {:?}; this installer reads schema_version {:?} (or none), so \
                 the registry needs a newer wasm-plugin",
                raw.schema_version,
                index::SCHEMA_VERSION
            ),
        });
    }
    Ok(Config {
        schema_version: raw.schema_version,
    })
}

/// Reads and parses the registry's `config.json`: a registry without one
/// is not sparse, whatever it is named.
pub fn read_config(registry: &RegistryRef, fetcher: &dyn Fetcher) -> Result<Config> {
    let shown = registry.shown();
    match read_if_present(&registry.location(), fetcher, MAX_SPARSE_CONFIG_BYTES)? {
        Present::Bytes(bytes) => parse_config(&shown, &bytes),
        Present::Missing => Err(Error::IndexInvalid {
            path: shown,
            problem: "there is no such file: a sparse registry has a config.json at its root"
                .into(),
        }),
        Present::TooLarge => Err(Error::IndexInvalid {
            path: shown,
            problem: format!(
                "a config.json is a few bytes, not over {} KiB",
                MAX_SPARSE_CONFIG_BYTES >> 10
            ),
        }),
    }
}

/// The path of a plugin's file under the registry's root, as cargo derives
/// it from the lowercased name: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…`.
/// The name is a valid one already (no `/`, not hidden); a segment that
/// would still mean something to a path (`..`, from `ab..c`) is refused.
pub fn plugin_path(name: &PluginName) -> Result<String> {
    let lower = name.as_str().to_ascii_lowercase();
    let path = match lower.len() {
        1 => format!("1/{lower}"),
        2 => format!("2/{lower}"),
        3 => format!("3/{}/{lower}", &lower[..1]),
        _ => format!("{}/{}/{lower}", &lower[..2], &lower[2..4]),
    };
    if path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(Error::InvalidName {
            name: name.to_string(),
            reason: format!(
                "in a sparse registry its file would be {path}, a path through '..'; such a \
                 plugin can only be served by a flat index.json"
            ),
        });
    }
    Ok(path)
}

/// Where `name`'s file is in the sparse registry `registry`.
pub fn plugin_file(registry: &RegistryRef, name: &PluginName) -> Result<RegistryRef> {
    let path = plugin_path(name)?;
    Ok(match location::resolve(&path, registry)? {
        Location::File(path) => RegistryRef::File(path),
        Location::Remote(url) | Location::Registry(url) => RegistryRef::Url(url),
    })
}

/// Reads `name`'s file from the sparse registry `registry` and applies
/// `policy` as `load` does for an index (signature by the index role,
/// expiry). The `Loaded` is the plugin file's: its `registry` is the file,
/// so that the rollback record is kept per plugin. A registry without the
/// file does not offer the plugin; a file listing another plugin is
/// refused. When `fetcher` answered from a cache (`transfer::http_cache`)
/// and the files failed their checks, they are read again from the
/// network: a cache is never what refuses, nor what admits.
pub fn load_plugin(
    registry: &RegistryRef,
    name: &PluginName,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Loaded> {
    match load_plugin_once(registry, name, fetcher, policy) {
        // Refusals a damaged or stale cache could cause (not a missing
        // plugin, nor a fetch that failed).
        Err(
            Error::IndexUntrusted { .. }
            | Error::IndexExpired { .. }
            | Error::IndexInvalid { .. }
            | Error::IndexMalformed { .. },
        ) if fetcher.bypass_cache() => load_plugin_once(registry, name, fetcher, policy),
        other => other,
    }
}

/// The files of several plugins of one sparse registry, in `names`' order,
/// each judged as `load_plugin` judges it (the rollback record is the
/// caller's). What a verb planning several plugins reads them through.
/// The files they share (`config.json`, `timestamp.json` and its `.sig`,
/// the snapshot, a bin) are fetched once for them all, so every plugin is
/// judged against the same generation and a sync of fifty plugins asks
/// for the timestamp once, not fifty times; over http, the bins and then
/// the plugin files are fetched side by side first (`prefetch`), and each
/// plugin is then judged from those answers exactly as it would be from
/// the network.
pub fn load_plugins(
    registry: &RegistryRef,
    names: &[PluginName],
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Vec<Result<Loaded>> {
    let shared = Shared::new(fetcher, registry);
    prefetch(registry, names, &shared, policy);
    names
        .iter()
        .map(|name| load_plugin(registry, name, &shared, policy))
        .collect()
}

/// Fetches side by side what judging `names` one after another would
/// fetch one at a time, leaving the answers in `shared` for it: after the
/// generation (or `config.json`), read as the first plugin's judgment
/// reads it, the bins the plugins need (each once), then the plugin files
/// (each once, however many names share it), with the `.sig` of each its
/// bin pins no digest of. A file a signed one pins by a digest the cache
/// holds is not asked for, as the judgment would not ask. Nothing is
/// decided here: a failure leaves the file to be asked for again when its
/// plugin is judged, and whatever came back is judged exactly as fetched
/// bytes are. A local registry has nothing to fetch.
fn prefetch(registry: &RegistryRef, names: &[PluginName], shared: &Shared<'_>, policy: Policy<'_>) {
    if shared.root.is_none() || names.len() < 2 {
        return;
    }
    let generation = match generation(registry, shared, policy) {
        Ok(Some(generation)) => Some(generation),
        Ok(None) if read_config(registry, shared).is_ok() => None,
        // Each plugin meets the same refusal when it is judged.
        _ => return,
    };
    let listings = match &generation {
        Some(generation) => prefetch_bins(registry, names, &generation.snapshot, shared),
        None => Default::default(),
    };
    let mut urls = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for name in names {
        let Ok(RegistryRef::Url(url)) = plugin_file(registry, name) else {
            continue;
        };
        if !seen.insert(url.clone()) {
            continue;
        }
        let listed = listings.get(&name.as_str().to_ascii_lowercase());
        match (&generation, listed) {
            // Its bin could not be read: the plugin is refused for that.
            (Some(_), None) => {}
            (Some(_), Some(Some(pinned))) if !pinned.sha256.is_empty() => {
                if shared.cached(&url, &pinned.sha256).is_none() {
                    urls.push(url);
                }
            }
            // Not listed: a plugin the registry does not offer, most
            // likely (its file missing, so no .sig is asked for).
            (Some(_), Some(None)) => urls.push(url),
            _ => {
                urls.push(format!("{url}.sig"));
                urls.push(url);
            }
        }
    }
    shared.prefetch(urls);
}

/// Fetches side by side the bins of `snapshot` that `names` hash into
/// (those the cache does not hold at their pinned digest), then reads each
/// through `shared` as a plugin's judgment does: each name's listing (by
/// its lowercased name), `None` when its bin does not list it. A name
/// whose bin could not be read is left out.
fn prefetch_bins(
    registry: &RegistryRef,
    names: &[PluginName],
    snapshot: &Snapshot,
    shared: &Shared<'_>,
) -> std::collections::BTreeMap<String, Option<Pinned>> {
    let bins: std::collections::BTreeSet<String> = names.iter().map(bin_of).collect();
    let mut urls = Vec::new();
    for bin in &bins {
        if let Some(pinned) = snapshot.bins.get(bin)
            && let Ok(RegistryRef::Url(url)) = at(registry, &bin_path(bin, pinned.version))
            && shared.cached(&url, &pinned.sha256).is_none()
        {
            urls.push(url);
        }
    }
    shared.prefetch(urls);
    let mut listings = std::collections::BTreeMap::new();
    for name in names {
        if let Ok(listed) = listing(registry, snapshot, &bin_of(name), name, shared) {
            listings.insert(name.as_str().to_ascii_lowercase(), listed);
        }
    }
    listings
}

/// A fetcher that answers a second GET of a file plugins share (anything
/// under the registry's root but plugin files and their signatures: the
/// freshness files, `config.json`) with the first answer, for one
/// `load_plugins`; and a GET of a file fetched ahead (`prefetch`) with
/// that answer. Plugin files are each read once anyway.
struct Shared<'a> {
    inner: &'a dyn Fetcher,
    /// The root's URL, with its trailing `/`.
    root: Option<String>,
    answers: std::cell::RefCell<std::collections::BTreeMap<String, SharedAnswer>>,
    /// Bytes of the answers fetched ahead, held to `MAX_PREFETCH_BYTES`.
    prefetched: std::cell::Cell<u64>,
}

type SharedAnswer = std::result::Result<Vec<u8>, FetchError>;

impl<'a> Shared<'a> {
    fn new(inner: &'a dyn Fetcher, registry: &RegistryRef) -> Shared<'a> {
        let root = match registry {
            RegistryRef::Url(url) => url.strip_suffix(CONFIG).map(str::to_string),
            RegistryRef::File(_) => None,
        };
        Shared {
            inner,
            root,
            answers: Default::default(),
            prefetched: Default::default(),
        }
    }

    /// Whether `url` is one of the files plugins share.
    fn is_shared(&self, url: &str) -> bool {
        let Some(path) = self.root.as_deref().and_then(|root| url.strip_prefix(root)) else {
            return false;
        };
        path == CONFIG
            || path == TIMESTAMP
            || path == format!("{TIMESTAMP}.sig")
            || path.ends_with(".snapshot.json")
            || path.starts_with("bins/")
    }

    /// The whole body at `url`, held to the length the server announced
    /// (as `transfer::source` holds a body it streams).
    fn fetch_whole(&self, url: &str) -> SharedAnswer {
        let (mut body, announced) = self.inner.get(url)?;
        crate::transfer::source::read_whole(body.as_mut(), announced, MAX_INDEX_BYTES)
    }

    /// GETs `urls` (not yet answered) side by side, in batches of
    /// `MAX_PREFETCH_BATCH`, keeping what the judgment may take as it is:
    /// a whole body (while the bytes fetched ahead stay within
    /// `MAX_PREFETCH_BYTES`), or a 404 or 410 (a missing file, or an
    /// unsigned one). Anything else (a failure, another status, a body
    /// over `MAX_PREFETCH_FILE_BYTES`) is not kept: the judgment asks for
    /// that file again, with its retries and its own limits and words.
    fn prefetch(&self, urls: Vec<String>) {
        use crate::transfer::source::Method;
        let urls: Vec<String> = urls
            .into_iter()
            .filter(|url| !self.answers.borrow().contains_key(url))
            .filter(|url| location::refuse_credentials(url).is_ok())
            .collect();
        for batch in urls.chunks(MAX_PREFETCH_BATCH) {
            let requests: Vec<Request> = batch
                .iter()
                .map(|url| Request::new(Method::Get, url))
                .collect();
            let answers = self.inner.send_all(&requests, MAX_PREFETCH_FILE_BYTES);
            for (url, answer) in batch.iter().zip(answers) {
                let kept = match answer {
                    Ok((head, bytes)) if (200..300).contains(&head.status) => {
                        let total = self.prefetched.get() + bytes.len() as u64;
                        if total > MAX_PREFETCH_BYTES {
                            continue;
                        }
                        self.prefetched.set(total);
                        Ok(bytes)
                    }
                    Ok((head, _)) if matches!(head.status, 404 | 410) => {
                        Err(FetchError::HttpStatus(head.status))
                    }
                    Err(FetchError::HttpStatus(status @ (404 | 410))) => {
                        Err(FetchError::HttpStatus(status))
                    }
                    _ => continue,
                };
                self.answers.borrow_mut().insert(url.clone(), kept);
            }
        }
    }
}

impl Fetcher for Shared<'_> {
    fn get(
        &self,
        url: &str,
    ) -> std::result::Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
        let known = self.answers.borrow().get(url).cloned();
        let answer = match known {
            Some(answer) => answer,
            None if !self.is_shared(url) => return self.inner.get(url),
            None => {
                let answer = self.fetch_whole(url);
                // A transient failure is the retry's to repeat, not ours.
                if answer.as_ref().is_ok() || answer.as_ref().is_err_and(|e| !e.is_transient()) {
                    self.answers
                        .borrow_mut()
                        .insert(url.to_string(), answer.clone());
                }
                answer
            }
        };
        let bytes = answer?;
        let length = Some(bytes.len() as u64);
        Ok((Box::new(Whole(Some(bytes))), length))
    }

    fn send(
        &self,
        request: &Request,
    ) -> std::result::Result<(Head, Box<dyn RemoteBody>), FetchError> {
        self.inner.send(request)
    }

    fn cached(&self, url: &str, sha256: &str) -> Option<Vec<u8>> {
        self.inner.cached(url, sha256)
    }

    fn bypass_cache(&self) -> bool {
        // What was fetched ahead may be a cache's too.
        self.answers.borrow_mut().clear();
        self.inner.bypass_cache()
    }
}

/// Bytes already read whole, handed back as a body.
struct Whole(Option<Vec<u8>>);

impl RemoteBody for Whole {
    fn read(&mut self, _max: u32) -> std::result::Result<Vec<u8>, FetchError> {
        Ok(self.0.take().unwrap_or_default())
    }
}

fn load_plugin_once(
    registry: &RegistryRef,
    name: &PluginName,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Loaded> {
    let fresh = freshness(registry, name, fetcher, policy)?;
    // The signed timestamp.json says as much as config.json (it is a
    // sparse registry of a layout this build reads), and more: with one,
    // config.json is not asked for.
    if fresh.is_none() {
        read_config(registry, fetcher)?;
    }
    let file = plugin_file(registry, name)?;
    let mut loaded = match fresh.as_ref() {
        Some(Fresh {
            listed: Some(pinned),
            timestamp,
            ..
        }) if !pinned.sha256.is_empty() => {
            read_vouched(&file, pinned, timestamp.signed_by.clone(), fetcher, policy)?
        }
        _ => read_signed(registry, &file, name, fresh.as_ref(), fetcher, policy)?,
    };
    check_names(&loaded.index, name)?;
    let Some(fresh) = fresh else {
        // No timestamp.json: recorded as none (version 0, unsigned), so
        // that once one was seen, taking it away is refused as a rollback
        // (or, under a trust root, as a signature stripped).
        let timestamp = at(registry, TIMESTAMP)?;
        loaded.timestamp = Some(Box::new(Loaded {
            index: Index {
                path: timestamp.shown(),
                schema_version: index::SCHEMA_VERSION.into(),
                version: None,
                expires: None,
                plugins: Vec::new(),
            },
            registry: timestamp,
            bytes: Vec::new(),
            signature: None,
            signed_by: None,
            trust_checked: policy.trust.is_some(),
            timestamp: None,
        }));
        return Ok(loaded);
    };
    let got = loaded.index.version.unwrap_or(0);
    let listed = fresh.listed.as_ref().map(|p| p.version);
    if listed != Some(got) {
        let listed = match listed {
            Some(version) => format!("lists version {version}"),
            None => "does not list it".into(),
        };
        return Err(Error::IndexUntrusted {
            registry: file.shown(),
            reason: format!(
                "it is version {got}, but its bin in the registry's snapshot ({}) {listed}: \
                 a stale, replayed or altered file",
                fresh.bin
            ),
        });
    }
    loaded.timestamp = Some(Box::new(fresh.timestamp));
    Ok(loaded)
}

/// A plugin file read with its own signature (`<file>.sig`): a registry
/// without freshness files, or whose bin pins no digest.
fn read_signed(
    registry: &RegistryRef,
    file: &RegistryRef,
    name: &PluginName,
    fresh: Option<&Fresh>,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Loaded> {
    match super::load::read_if_index(file, fetcher)? {
        None if fresh.is_none_or(|f| f.listed.is_none()) => Err(Error::UnknownPlugin {
            name: name.to_string(),
            registry: registry.shown(),
            available: Vec::new(),
        }),
        None => Err(Error::IndexUntrusted {
            registry: file.shown(),
            reason: "it is missing, but the registry's snapshot lists it: a file withheld".into(),
        }),
        Some((bytes, signature)) => super::admit(file, bytes, signature, policy),
    }
}

/// A plugin file whose bin pins its SHA-256: the signed timestamp.json
/// vouches for it through the snapshot and the bin, so its own `.sig` is
/// not asked for (one registry file fewer per install), and a copy kept
/// from an earlier run with that digest is taken without asking at all.
fn read_vouched(
    file: &RegistryRef,
    pinned: &Pinned,
    signed_by: Option<String>,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Loaded> {
    let bytes = match read_digest_pinned(file, pinned, fetcher, MAX_INDEX_BYTES) {
        Err(Error::FetchFailed {
            cause: FetchError::HttpStatus(404 | 410),
            ..
        }) => {
            return Err(Error::IndexUntrusted {
                registry: file.shown(),
                reason: "it is missing, but the registry's snapshot lists it: a file withheld"
                    .into(),
            });
        }
        other => other?,
    };
    super::load::admit_vouched(file, bytes, signed_by, policy)
}

/// The file at a sparse registry's root that vouches for its freshness.
pub const TIMESTAMP: &str = "timestamp.json";

/// Where the snapshot of `version` is (`<version>.snapshot.json`): named by
/// version, so a client holding an older `timestamp.json` still finds the
/// snapshot it pins while a new one is written.
pub fn snapshot_path(version: u64) -> String {
    format!("{version}.snapshot.json")
}

/// A version and the SHA-256 of the bytes that have it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Pinned {
    pub version: u64,
    pub sha256: String,
}

/// `timestamp.json`: signed by the index role, short-lived, pinning the
/// snapshot.
#[derive(Debug, Deserialize)]
pub struct Timestamp {
    /// As `config.json`'s (absent: `"1"`), which it stands for.
    #[serde(default)]
    pub schema_version: String,
    pub version: u64,
    #[serde(default)]
    pub expires: Option<String>,
    pub snapshot: Pinned,
}

/// `snapshot.json`: each bin's version and digest.
#[derive(Debug, Deserialize)]
pub struct Snapshot {
    pub version: u64,
    pub bins: std::collections::BTreeMap<String, Pinned>,
}

/// `bins/<id>.json`: the version of each plugin file whose name hashes
/// into the bin, and (written since) its SHA-256, which makes the file's
/// own signature unneeded.
#[derive(Debug, Deserialize)]
pub struct Bin {
    pub version: u64,
    pub plugins: std::collections::BTreeMap<String, Listed>,
}

/// A plugin file as its bin lists it: `{"version": 4, "sha256": "…"}`,
/// or a bare version (a bin of an older writer, which pins no digest).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Listed {
    Pinned(Pinned),
    Version(u64),
}

impl Listed {
    /// The listing as a pin; a bare version pins no digest (`sha256` empty).
    pub fn pinned(self) -> Pinned {
        match self {
            Listed::Pinned(pinned) => pinned,
            Listed::Version(version) => Pinned {
                version,
                sha256: String::new(),
            },
        }
    }
}

/// The bin a plugin's name hashes into: the first byte of the SHA-256 of
/// its lowercased name, in hex (`00` to `ff`).
pub fn bin_of(name: &PluginName) -> String {
    let lower = name.as_str().to_ascii_lowercase();
    let digest = crate::trust::digest::Sha256Digest::of(lower.as_bytes()).to_hex();
    digest[..2].to_string()
}

/// Where a bin's file of `version` is, under the registry's root
/// (`bins/<id>.<version>.json`, named by version as the snapshot is).
pub fn bin_path(bin: &str, version: u64) -> String {
    format!("bins/{bin}.{version}.json")
}

/// What a registry's freshness files say of one plugin.
struct Fresh {
    /// `timestamp.json`, as an index of no plugins (its version recorded
    /// against rollback, as a plugin file's is).
    timestamp: Loaded,
    /// The bin's id.
    bin: String,
    /// The plugin file's version its bin lists and its SHA-256 (`""` when
    /// the bin pins none); `None`: not listed.
    listed: Option<Pinned>,
}

/// A registry's generation as its freshness files name it.
struct Generation {
    /// `timestamp.json`, judged, as an index of no plugins.
    timestamp: Loaded,
    /// The snapshot it pins, checked against that pin.
    snapshot: Snapshot,
}

/// Reads `timestamp.json` (its signature checked as an index's, its expiry
/// refused as a freeze), then the snapshot and the plugin's bin, each
/// checked against the digest the file before it names. `None` when the
/// registry has no `timestamp.json`.
fn freshness(
    registry: &RegistryRef,
    name: &PluginName,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Option<Fresh>> {
    let Some(Generation {
        timestamp,
        snapshot,
    }) = generation(registry, fetcher, policy)?
    else {
        return Ok(None);
    };
    let bin = bin_of(name);
    let listed = listing(registry, &snapshot, &bin, name, fetcher)?;
    Ok(Some(Fresh {
        timestamp,
        bin,
        listed,
    }))
}

/// Reads `timestamp.json` (its signature checked as an index's, its expiry
/// refused as a freeze), then the snapshot, checked against the digest and
/// version the timestamp names. `None` when the registry has no
/// `timestamp.json`.
fn generation(
    registry: &RegistryRef,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Option<Generation>> {
    let timestamp_ref = at(registry, TIMESTAMP)?;
    let Some((bytes, signature)) = super::load::read_if_index(&timestamp_ref, fetcher)? else {
        return Ok(None);
    };
    let shown = timestamp_ref.shown();
    let signed_by =
        super::load::check_signature(&timestamp_ref, &bytes, signature.as_deref(), policy.trust)?;
    let timestamp: Timestamp = parse_json(&shown, &bytes)?;
    if !index::SCHEMAS_READ.contains(&timestamp.schema_version.as_str()) {
        return Err(Error::IndexInvalid {
            path: shown,
            problem: format!(
                "schema_version is {:?}; this installer reads schema_version {:?} (or none), so \
                 the registry needs a newer wasm-plugin",
                timestamp.schema_version,
                index::SCHEMA_VERSION
            ),
        });
    }
    if let Some(expires) = &timestamp.expires {
        let when = crate::clock::parse(expires).map_err(|why| Error::IndexInvalid {
            path: shown.clone(),
            problem: format!("expires is {expires:?}: {why}"),
        })?;
        if crate::clock::is_past(when) && !policy.allow_expired {
            return Err(Error::IndexExpired {
                registry: shown,
                expires: expires.clone(),
            });
        }
    }
    let snapshot_ref = at(registry, &snapshot_path(timestamp.snapshot.version))?;
    let snapshot: Snapshot = read_pinned(&snapshot_ref, &timestamp.snapshot, fetcher)?;
    let index = Index {
        path: shown,
        schema_version: index::SCHEMA_VERSION.into(),
        version: Some(timestamp.version),
        expires: timestamp.expires,
        plugins: Vec::new(),
    };
    Ok(Some(Generation {
        timestamp: Loaded {
            registry: timestamp_ref,
            index,
            bytes,
            signature,
            signed_by,
            trust_checked: policy.trust.is_some(),
            timestamp: None,
        },
        snapshot,
    }))
}

/// How `name`'s bin `bin` (read as `snapshot` pins it) lists its file:
/// `None` when the snapshot has no such bin or the bin does not list it.
fn listing(
    registry: &RegistryRef,
    snapshot: &Snapshot,
    bin: &str,
    name: &PluginName,
    fetcher: &dyn Fetcher,
) -> Result<Option<Pinned>> {
    let Some(pinned) = snapshot.bins.get(bin) else {
        return Ok(None);
    };
    let mut file: Bin = read_pinned(
        &at(registry, &bin_path(bin, pinned.version))?,
        pinned,
        fetcher,
    )?;
    Ok(file
        .plugins
        .remove(&name.as_str().to_ascii_lowercase())
        .map(Listed::pinned))
}

/// The file at `path` under the registry's root.
pub fn at(registry: &RegistryRef, path: &str) -> Result<RegistryRef> {
    Ok(match location::resolve(path, registry)? {
        Location::File(path) => RegistryRef::File(path),
        Location::Remote(url) | Location::Registry(url) => RegistryRef::Url(url),
    })
}

/// A file the one before it pins: its bytes must have that digest, and it
/// must say it is that version.
pub fn read_pinned<T: serde::de::DeserializeOwned + Versioned>(
    file: &RegistryRef,
    pinned: &Pinned,
    fetcher: &dyn Fetcher,
) -> Result<T> {
    let shown = file.shown();
    let bytes = read_digest_pinned(file, pinned, fetcher, MAX_INDEX_BYTES)?;
    let parsed: T = parse_json(&shown, &bytes)?;
    if parsed.version() != pinned.version {
        return Err(Error::IndexUntrusted {
            registry: shown,
            reason: format!(
                "it is version {}, but the file that lists it names version {}",
                parsed.version(),
                pinned.version
            ),
        });
    }
    Ok(parsed)
}

/// The bytes of `file`, which must have the SHA-256 `pinned` names: a copy
/// kept from an earlier run with that digest (`Fetcher::cached`), else
/// fetched.
fn read_digest_pinned(
    file: &RegistryRef,
    pinned: &Pinned,
    fetcher: &dyn Fetcher,
    max: u64,
) -> Result<Vec<u8>> {
    let shown = file.shown();
    let untrusted = |reason: String| Error::IndexUntrusted {
        registry: shown.clone(),
        reason,
    };
    let location = file.location();
    if let Location::Remote(url) | Location::Registry(url) = &location
        && let Some(bytes) = fetcher.cached(url, &pinned.sha256)
    {
        return Ok(bytes);
    }
    let bytes = crate::transfer::source::read_all(&location, fetcher, max)?
        .ok_or_else(|| untrusted("it is larger than any snapshot, bin or plugin file".into()))?;
    let got = crate::trust::digest::Sha256Digest::of(&bytes).to_hex();
    if !got.eq_ignore_ascii_case(&pinned.sha256) {
        return Err(untrusted(format!(
            "its SHA-256 is {got}, but the file that lists it names {}: a stale or altered file",
            pinned.sha256
        )));
    }
    Ok(bytes)
}

/// What `read_pinned` checks a pinned file's own version by.
pub trait Versioned {
    fn version(&self) -> u64;
}

impl Versioned for Snapshot {
    fn version(&self) -> u64 {
        self.version
    }
}

impl Versioned for Bin {
    fn version(&self) -> u64 {
        self.version
    }
}

pub fn parse_json<T: serde::de::DeserializeOwned>(shown: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::IndexMalformed {
        path: shown.to_string(),
        line: e.line() as u32,
        column: e.column() as u32,
        message: e.to_string(),
    })
}

/// The plugins of the local sparse registry whose root is `root`: each
/// regular file (not hidden, not a signature) at the path its own name
/// derives (`co/lm/colmask`), found by walking the two or three levels
/// such paths have; anything else there (bins, snapshots, artefacts) is
/// not a plugin file. Sorted by name.
pub fn local_plugins(root: &Path) -> Result<Vec<PluginName>> {
    let mut found = Vec::new();
    walk_plugin_files(root, root, 0, &mut found)?;
    found.sort_by(|a: &PluginName, b| a.as_str().cmp(b.as_str()));
    Ok(found)
}

fn walk_plugin_files(
    root: &Path,
    dir: &Path,
    depth: usize,
    found: &mut Vec<PluginName>,
) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "list", &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "list", &e))?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        // A signature's path is that of a plugin named `<name>.sig`, which
        // the layout cannot tell from it.
        if file_name.starts_with('.') || file_name.ends_with(".sig") {
            continue;
        }
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| Error::io(&path, "list", &e))?;
        if kind.is_dir() && depth < 2 {
            walk_plugin_files(root, &path, depth + 1, found)?;
        } else if kind.is_file()
            && depth > 0
            && let Ok(name) = PluginName::parse(&file_name)
            && let Ok(derived) = plugin_path(&name)
            && path.strip_prefix(root).ok() == Some(Path::new(&derived))
        {
            found.push(name);
        }
    }
    Ok(())
}

/// The index to show: for `plugin`, a sparse registry's file of that
/// plugin; for `search`, the files of the sparse registry's plugins whose
/// names hold the text (`search`); else the whole index of a flat one
/// (refused for a sparse registry, which has none). A flat index is read
/// whole either way.
pub fn load_for(
    registry: &RegistryRef,
    plugin: Option<&str>,
    search_text: Option<&str>,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Loaded> {
    match (plugin, search_text) {
        (Some(name), _) if is_sparse(registry) => {
            load_plugin(registry, &PluginName::parse(name)?, fetcher, policy)
        }
        (None, Some(text)) if is_sparse(registry) => {
            let found = search(registry, text, fetcher, policy)?;
            Ok(merged(registry, found, policy))
        }
        _ => super::load(registry, fetcher, policy),
    }
}

/// A plugin's file a sync's plan read (and judged, its freshness
/// recorded), handed to the job that installs from it: judged again, as
/// bytes a host hands back are, without fetching it again. A file with
/// its own signature (or a local one read without a trust root) is
/// admitted as `admit_plugin` admits it; one the
/// registry's timestamp vouches for through its bin's digest (no `.sig`)
/// is judged through that chain again (the timestamp asked through
/// `fetcher`, a cache's 304 when nothing changed), the plan's copy
/// standing in for the file wherever its digest is asked for.
pub fn admit_planned(
    registry: &RegistryRef,
    name: &PluginName,
    bytes: Vec<u8>,
    signature: Option<String>,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Loaded> {
    let url = match plugin_file(registry, name)?.location() {
        Location::Remote(url) | Location::Registry(url) => Some(url),
        Location::File(_) => None,
    };
    // Its own signature vouches for it, or nothing need: a local registry
    // read without a trust root.
    if signature.is_some() || (url.is_none() && policy.trust.is_none()) {
        return admit_plugin(registry, name, bytes, signature, policy);
    }
    // (A local file is read again from disk: no fetch to save.)
    let url = url.unwrap_or_default();
    let planned = Planned {
        inner: fetcher,
        url,
        sha256: crate::trust::digest::Sha256Digest::of(&bytes).to_hex(),
        bytes,
    };
    load_plugin(registry, name, &planned, policy)
}

/// A fetcher holding one file's bytes (the plan's copy of a plugin file),
/// offered where that file is asked for by its digest; everything else is
/// `inner`'s.
struct Planned<'a> {
    inner: &'a dyn Fetcher,
    url: String,
    sha256: String,
    bytes: Vec<u8>,
}

impl Fetcher for Planned<'_> {
    fn get(
        &self,
        url: &str,
    ) -> std::result::Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
        self.inner.get(url)
    }

    fn send(
        &self,
        request: &Request,
    ) -> std::result::Result<(Head, Box<dyn RemoteBody>), FetchError> {
        self.inner.send(request)
    }

    fn cached(&self, url: &str, sha256: &str) -> Option<Vec<u8>> {
        match url == self.url && sha256.eq_ignore_ascii_case(&self.sha256) {
            true => Some(self.bytes.clone()),
            false => self.inner.cached(url, sha256),
        }
    }

    fn bypass_cache(&self) -> bool {
        self.inner.bypass_cache()
    }
}

/// A plugin's file as an earlier call of the same run read it (`sync`'s
/// plan, whose jobs check it again rather than fetch it again): its
/// signature and expiry judged again and its entries checked to be the
/// plugin's, as `load_plugin` judges them. Its freshness (the version its
/// bin lists) was the plan's to check; the version the plan recorded is
/// what the job's rollback check holds it to.
pub fn admit_plugin(
    registry: &RegistryRef,
    name: &PluginName,
    bytes: Vec<u8>,
    signature: Option<String>,
    policy: Policy<'_>,
) -> Result<Loaded> {
    let file = plugin_file(registry, name)?;
    let loaded = super::admit(&file, bytes, signature, policy)?;
    check_names(&loaded.index, name)?;
    Ok(loaded)
}

/// The optional name list at a sparse registry's root: what `search`
/// matches a text against. Unsigned, and only a hint: every plugin it
/// names is then read from its own signed file, and a name without one is
/// passed over.
pub const NAMES: &str = "names.json";

/// `names.json`: `{"names": ["colmask", ...]}`; other fields are ignored.
#[derive(Deserialize)]
struct NameList {
    names: Vec<String>,
}

/// The names of a name list that can be plugins' names, each once (in any
/// case: `Foo` and `foo` share a file), in the list's order. A name that
/// could not be a plugin's is left out: the list is a hint, and nothing in
/// it is trusted. `path` is only used in messages.
pub fn parse_names(path: &str, bytes: &[u8]) -> Result<Vec<PluginName>> {
    let list: NameList = parse_json(path, bytes)?;
    let mut seen = std::collections::BTreeSet::new();
    Ok(list
        .names
        .iter()
        .filter_map(|name| PluginName::parse(name).ok())
        .filter(|name| plugin_path(name).is_ok())
        .filter(|name| seen.insert(name.as_str().to_ascii_lowercase()))
        .collect())
}

/// The names the sparse registry's name list gives (`parse_names`), or
/// `None` when it publishes none.
pub fn read_names(
    registry: &RegistryRef,
    fetcher: &dyn Fetcher,
) -> Result<Option<Vec<PluginName>>> {
    let list = at(registry, NAMES)?;
    match read_if_present(&list.location(), fetcher, MAX_NAME_LIST_BYTES)? {
        Present::Bytes(bytes) => parse_names(&list.shown(), &bytes).map(Some),
        Present::Missing => Ok(None),
        Present::TooLarge => Err(Error::IndexInvalid {
            path: list.shown(),
            problem: format!(
                "a name list is read up to {} MiB",
                MAX_NAME_LIST_BYTES >> 20
            ),
        }),
    }
}

/// The files of the sparse registry's plugins whose names (in its name
/// list) hold `text`, case-insensitively, each read and judged as
/// `load_plugin` reads it: what a search shows is what the signed files
/// say. Refused when the registry publishes no name list, and when more
/// than `MAX_SEARCH_FILES` names match (a longer text narrows it). A name
/// the list holds but the registry has no file of is passed over (a stale
/// list); any other refusal of a file is the search's.
pub fn search(
    registry: &RegistryRef,
    text: &str,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Vec<Loaded>> {
    read_config(registry, fetcher)?;
    let refused = |reason: String| Error::InvalidRequest {
        value: registry.shown(),
        reason,
    };
    let Some(names) = read_names(registry, fetcher)? else {
        return Err(refused(format!(
            "this sparse registry publishes no name list ({}), so there is nothing to \
             search: name the plugin instead (`info NAME`, `list NAME`, `install NAME`)",
            at(registry, NAMES)?.shown()
        )));
    };
    let wanted = text.to_lowercase();
    let matching: Vec<PluginName> = names
        .into_iter()
        .filter(|name| name.as_str().to_lowercase().contains(&wanted))
        .collect();
    if matching.len() > MAX_SEARCH_FILES {
        return Err(refused(format!(
            "{} names in its name list hold '{text}', and a search of a sparse registry reads \
             at most {MAX_SEARCH_FILES} plugin files: search a longer text",
            matching.len()
        )));
    }
    let mut found = Vec::new();
    for loaded in load_plugins(registry, &matching, fetcher, policy) {
        match loaded {
            Ok(loaded) => found.push(loaded),
            Err(Error::UnknownPlugin { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

/// Plugin files of one sparse registry as one index of their entries,
/// named by the registry: signed by whoever signed them all (each file's
/// signature was judged as it was read).
fn merged(registry: &RegistryRef, found: Vec<Loaded>, policy: Policy<'_>) -> Loaded {
    let mut signers: Vec<String> = Vec::new();
    for signer in found.iter().filter_map(|l| l.signed_by.clone()) {
        if !signers.contains(&signer) {
            signers.push(signer);
        }
    }
    let all_signed = found.iter().all(|l| l.signed_by.is_some()) && !found.is_empty();
    Loaded {
        index: Index {
            path: registry.shown(),
            schema_version: index::SCHEMA_VERSION.into(),
            version: None,
            expires: None,
            plugins: found.into_iter().flat_map(|l| l.index.plugins).collect(),
        },
        registry: registry.clone(),
        bytes: Vec::new(),
        signature: None,
        signed_by: all_signed.then(|| signers.join(", ")),
        trust_checked: policy.trust.is_some(),
        timestamp: None,
    }
}

/// Where `location` (a registry as a manifest or a request names it)
/// reads: a local directory holding `config.json` is the sparse registry it
/// roots, named by that file as everywhere else; anything else as given.
pub fn by_config(location: &str) -> String {
    let RegistryRef::File(path) = RegistryRef::parse(location) else {
        return location.to_string();
    };
    let config = path.join(CONFIG);
    match crate::sandbox::check_granted(&path).is_ok() && path.is_dir() && config.is_file() {
        true => config.display().to_string(),
        false => location.to_string(),
    }
}

/// Every entry of a plugin's file names that plugin (in any case: `Foo`
/// and `foo` share a file).
fn check_names(index: &Index, name: &PluginName) -> Result<()> {
    let lower = name.as_str().to_ascii_lowercase();
    match index
        .plugins
        .iter()
        .find(|e| e.name.as_str().to_ascii_lowercase() != lower)
    {
        Some(other) => Err(Error::IndexInvalid {
            path: index.path.clone(),
            problem: format!(
                "it is the file of {name} in a sparse registry, but lists {} {:?}: a plugin's \
                 file lists only that plugin",
                other.name, other.version
            ),
        }),
        None => Ok(()),
    }
}

/// The refusal of a sparse registry by what needs the whole index (a
/// listing, a plan of several plugins): `what` is what was asked.
pub fn whole_index_refused(registry: &RegistryRef, what: &str) -> Error {
    Error::InvalidRequest {
        value: registry.shown(),
        reason: format!(
            "this is a sparse registry (one file per plugin, no index of them all), and {what} \
             needs the whole index, which is not supported for a sparse registry; name the \
             plugin instead (install, upgrade NAME, info NAME, list NAME, outdated), search \
             its name list (`search TEXT`), or use the registry's flat index.json"
        ),
    }
}

/// `location` (an entry's `artifact`, or its `sigstore_bundle` location) as
/// written in the flat index at `index`, rewritten for a sparse registry
/// whose root is `root` so that it names the same file: a relative path
/// becomes the path from `root` to that file (`../flat/a.wasm`), which
/// resolves the same way when both are served over http; anything else
/// (an absolute path, `file://`, `http(s)://`) is kept as written.
pub fn rebase(location: &str, index: &Path, root: &Path) -> Result<String> {
    if !location::is_relative_path(location) {
        return Ok(location.to_string());
    }
    let Location::File(target) = location::resolve(location, &RegistryRef::File(index.into()))?
    else {
        return Ok(location.to_string());
    };
    let root = crate::sandbox::normalize(root);
    let from: Vec<_> = root.components().collect();
    let to: Vec<_> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Ok(parts.join("/"))
}

/// Refuses a sparse registry's `config.json` where a flat `index.json` is
/// rewritten (`what`: publish, yank, cosign, trust sign), rather than
/// reading it as an index with no plugins.
pub fn refuse_rewriting(path: &Path, what: &str) -> Result<()> {
    let registry = RegistryRef::File(path.to_path_buf());
    match is_sparse(&registry) {
        true => Err(Error::InvalidRequest {
            value: registry.shown(),
            reason: format!(
                "this is a sparse registry's config.json; {what} takes a flat index.json, \
                 which for a sparse registry is not supported yet (`publish --key` signs a \
                 plugin's file as it writes it; or sign the flat index and make the sparse \
                 registry from it with `wasm-plugin registry convert --key`)"
            ),
        }),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::load;
    use crate::transfer::source::NoNetwork;
    use crate::transfer::source::testing::{Script, ScriptedFetcher};
    use crate::trust::TrustRoot;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::{Signer, SigningKey};
    use std::path::PathBuf;

    fn name(text: &str) -> PluginName {
        PluginName::parse(text).unwrap()
    }

    #[test]
    fn paths_are_cargos_from_the_lowercased_name() {
        for (plugin, path) in [
            ("a", "1/a"),
            ("Ab", "2/ab"),
            ("abc", "3/a/abc"),
            ("ABCD", "ab/cd/abcd"),
            ("colmask", "co/lm/colmask"),
            ("my-plugin.v2", "my/-p/my-plugin.v2"),
            ("a.b_c", "a./b_/a.b_c"),
        ] {
            assert_eq!(plugin_path(&name(plugin)).unwrap(), path, "{plugin}");
        }
    }

    #[test]
    fn a_name_whose_path_would_climb_is_refused() {
        for plugin in ["ab..c", "x1..", "zz..zz"] {
            let err = plugin_path(&name(plugin)).unwrap_err();
            assert!(
                matches!(err, Error::InvalidName { ref reason, .. } if reason.contains("'..'")),
                "{plugin}: {err:?}"
            );
        }
        // Dots elsewhere are only characters.
        assert_eq!(plugin_path(&name("a..b")).unwrap(), "a./.b/a..b");
    }

    #[test]
    fn relative_locations_are_rebased_to_name_the_same_file_from_the_root() {
        let index = Path::new("/srv/flat/index.json");
        for (location, root, rebased) in [
            ("a.wasm", "/srv/flat", "a.wasm"),
            ("./bin/a.wasm", "/srv/flat", "bin/a.wasm"),
            ("a.wasm", "/srv/sparse", "../flat/a.wasm"),
            (
                "../shared/a.wasm",
                "/srv/flat/sparse",
                "../../shared/a.wasm",
            ),
            ("bin/a.wasm", "/srv/flat/bin", "a.wasm"),
            ("/opt/a.wasm", "/srv/sparse", "/opt/a.wasm"),
            ("file:///opt/a.wasm", "/srv/sparse", "file:///opt/a.wasm"),
            ("https://h/a.wasm", "/srv/sparse", "https://h/a.wasm"),
        ] {
            assert_eq!(
                rebase(location, index, Path::new(root)).unwrap(),
                rebased,
                "{location} from {root}"
            );
        }
    }

    #[test]
    fn a_registry_is_sparse_when_it_names_its_config_json() {
        for (text, sparse) in [
            ("/srv/reg/config.json", true),
            ("/srv/reg/index.json", false),
            ("https://h/reg/config.json", true),
            ("https://h/reg/config.json?x=1", true),
            ("https://h/reg/", true),
            ("https://h/reg/index.json", false),
            ("https://h/config.json.d/index.json", false),
        ] {
            assert_eq!(is_sparse(&RegistryRef::parse(text)), sparse, "{text}");
        }
    }

    #[test]
    fn plugin_files_resolve_against_the_registry_root() {
        let local = RegistryRef::File(PathBuf::from("/srv/reg/config.json"));
        assert_eq!(
            plugin_file(&local, &name("Colmask")).unwrap(),
            RegistryRef::File(PathBuf::from("/srv/reg/co/lm/colmask"))
        );
        let remote = RegistryRef::parse("https://h/reg/");
        assert_eq!(
            plugin_file(&remote, &name("abc")).unwrap(),
            RegistryRef::Url("https://h/reg/3/a/abc".into())
        );
    }

    #[test]
    fn config_json_is_an_object_of_a_schema_this_build_reads() {
        assert_eq!(
            parse_config("c", br#"{"schema_version": "1", "later": [1]}"#)
                .unwrap()
                .schema_version,
            "1"
        );
        assert!(parse_config("c", b"{}").is_ok());
        for bad in [&b"[]"[..], br#"{"schema_version": "2"}"#, b"{"] {
            assert!(parse_config("c", bad).is_err(), "{bad:?}");
        }
    }

    const CONFIG_URL: &str = "http://r/config.json";
    const ENTRY: &str = r#"{"name": "colmask", "version": "1.0.0", "artifact": "a/colmask.wasm",
        "sha256": "abababababababababababababababababababababababababababababababab"}"#;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn root() -> TrustRoot {
        TrustRoot::of_key("registry", key().verifying_key())
    }

    fn served(file: &str, signed: Option<&str>) -> ScriptedFetcher {
        let fetcher = ScriptedFetcher::default();
        fetcher.serve(
            CONFIG_URL,
            Script::Body(br#"{"schema_version": "1"}"#.to_vec(), None, 64),
        );
        fetcher.serve(
            "http://r/co/lm/colmask",
            Script::Body(file.as_bytes().to_vec(), None, 64),
        );
        if let Some(signed) = signed {
            let sig = STANDARD.encode(key().sign(signed.as_bytes()).to_bytes());
            fetcher.serve(
                "http://r/co/lm/colmask.sig",
                Script::Body(sig.into_bytes(), None, 64),
            );
        }
        fetcher
    }

    fn load_colmask(fetcher: &ScriptedFetcher) -> Result<Loaded> {
        let root = root();
        load_plugin(
            &RegistryRef::parse(CONFIG_URL),
            &name("colmask"),
            fetcher,
            Policy {
                trust: Some(&root),
                allow_expired: false,
            },
        )
    }

    #[test]
    fn a_signed_plugin_file_is_read_as_an_index_of_that_plugin() {
        let file = format!(r#"{{"schema_version": "1", "version": 4, "plugins": [{ENTRY}]}}"#);
        let loaded = load_colmask(&served(&file, Some(&file))).unwrap();
        assert_eq!(loaded.signed_by.as_deref(), Some("registry"));
        assert_eq!(loaded.index.version, Some(4));
        assert_eq!(loaded.index.plugins[0].name.as_str(), "colmask");
        assert_eq!(loaded.registry.shown(), "http://r/co/lm/colmask");
    }

    #[test]
    fn a_tampered_expired_or_foreign_plugin_file_is_refused() {
        let file = format!(r#"{{"version": 4, "plugins": [{ENTRY}]}}"#);
        let tampered = file.replace("1.0.0", "1.0.1");
        assert!(matches!(
            load_colmask(&served(&tampered, Some(&file))),
            Err(Error::IndexUntrusted { .. })
        ));
        let expired = format!(r#"{{"expires": "2001-01-01T00:00:00Z", "plugins": [{ENTRY}]}}"#);
        assert!(matches!(
            load_colmask(&served(&expired, Some(&expired))),
            Err(Error::IndexExpired { ref registry, .. }) if registry == "http://r/co/lm/colmask"
        ));
        let foreign = format!(
            r#"{{"plugins": [{ENTRY}, {}]}}"#,
            ENTRY.replace("\"colmask\"", "\"evil\"")
        );
        assert!(matches!(
            load_colmask(&served(&foreign, Some(&foreign))),
            Err(Error::IndexInvalid { ref problem, .. }) if problem.contains("evil")
        ));
        let case = ENTRY.replace("\"colmask\"", "\"ColMask\"");
        let other_case = format!(r#"{{"plugins": [{case}]}}"#);
        assert!(load_colmask(&served(&other_case, Some(&other_case))).is_ok());
    }

    /// A generation of freshness files listing colmask at `listed`, served
    /// by `fetcher`; the timestamp expiring at `expires`.
    fn generation(fetcher: &ScriptedFetcher, listed: u64, expires: &str) {
        generation_pinning(fetcher, listed, None, expires)
    }

    /// `generation`, the bin pinning the plugin file's SHA-256 when `pin`.
    fn generation_pinning(
        fetcher: &ScriptedFetcher,
        listed: u64,
        pin: Option<&str>,
        expires: &str,
    ) {
        let hex = |b: &[u8]| crate::trust::digest::Sha256Digest::of(b).to_hex();
        let bin = bin_of(&name("colmask"));
        let listed = match pin {
            Some(file) => format!(
                r#"{{"version": {listed}, "sha256": "{}"}}"#,
                hex(file.as_bytes())
            ),
            None => listed.to_string(),
        };
        let bin_bytes = format!(r#"{{"version": 3, "plugins": {{"colmask": {listed}}}}}"#);
        let snapshot = format!(
            r#"{{"version": 3, "bins": {{"{bin}": {{"version": 3, "sha256": "{}"}}}}}}"#,
            hex(bin_bytes.as_bytes())
        );
        let timestamp = format!(
            r#"{{"version": 5, "expires": "{expires}", "snapshot": {{"version": 3, "sha256": "{}"}}}}"#,
            hex(snapshot.as_bytes())
        );
        let sig = STANDARD.encode(key().sign(timestamp.as_bytes()).to_bytes());
        for (path, bytes) in [
            (format!("bins/{bin}.3.json"), bin_bytes.into_bytes()),
            ("3.snapshot.json".into(), snapshot.into_bytes()),
            ("timestamp.json".into(), timestamp.into_bytes()),
            ("timestamp.json.sig".into(), sig.into_bytes()),
        ] {
            fetcher.serve(&format!("http://r/{path}"), Script::Body(bytes, None, 64));
        }
    }

    #[test]
    fn a_plugin_file_is_taken_only_at_the_version_its_bin_lists() {
        assert_eq!(bin_of(&name("ColMask")), bin_of(&name("colmask")));
        assert_eq!(bin_of(&name("colmask")).len(), 2);
        let file = format!(r#"{{"version": 4, "plugins": [{ENTRY}]}}"#);
        let fetcher = served(&file, Some(&file));
        generation(&fetcher, 4, "2999-01-01T00:00:00Z");
        let loaded = load_colmask(&fetcher).unwrap();
        let timestamp = loaded.timestamp.unwrap();
        assert_eq!(timestamp.index.version, Some(5));
        assert_eq!(timestamp.signed_by.as_deref(), Some("registry"));

        let fetcher = served(&file, Some(&file));
        generation(&fetcher, 5, "2999-01-01T00:00:00Z");
        let err = load_colmask(&fetcher).unwrap_err();
        assert!(
            matches!(err, Error::IndexUntrusted { ref reason, .. } if reason.contains("lists version 5")),
            "{err:?}"
        );

        let fetcher = served(&file, Some(&file));
        generation(&fetcher, 4, "2001-01-01T00:00:00Z");
        let err = load_colmask(&fetcher).unwrap_err();
        assert!(
            matches!(err, Error::IndexExpired { ref registry, .. } if registry == "http://r/timestamp.json"),
            "{err:?}"
        );
    }

    #[test]
    fn a_plugin_file_its_bin_pins_is_vouched_for_by_the_timestamp_alone() {
        let file = format!(r#"{{"version": 4, "plugins": [{ENTRY}]}}"#);
        let fetcher = served(&file, None);
        generation_pinning(&fetcher, 4, Some(&file), "2999-01-01T00:00:00Z");
        let loaded = load_colmask(&fetcher).unwrap();
        assert_eq!(loaded.signed_by.as_deref(), Some("registry"));
        assert_eq!(loaded.index.version, Some(4));
        // Five files: no config.json (the timestamp stands for it), no
        // plugin file signature (the bin's digest stands for it).
        let mut calls = fetcher.calls();
        calls.sort();
        let bin = bin_of(&name("colmask"));
        assert_eq!(
            calls,
            [
                "http://r/3.snapshot.json".to_string(),
                format!("http://r/bins/{bin}.3.json"),
                "http://r/co/lm/colmask".into(),
                "http://r/timestamp.json".into(),
                "http://r/timestamp.json.sig".into(),
            ]
        );

        // Other bytes at the pinned version, even signed: refused.
        let altered = file.replace("1.0.0", "1.0.1");
        let fetcher = served(&altered, Some(&altered));
        generation_pinning(&fetcher, 4, Some(&file), "2999-01-01T00:00:00Z");
        let err = load_colmask(&fetcher).unwrap_err();
        assert!(
            matches!(err, Error::IndexUntrusted { ref reason, .. } if reason.contains("SHA-256")),
            "{err:?}"
        );
        // Pinned but withheld: refused, not "no such plugin".
        let fetcher = ScriptedFetcher::default();
        generation_pinning(&fetcher, 4, Some(&file), "2999-01-01T00:00:00Z");
        let err = load_colmask(&fetcher).unwrap_err();
        assert!(
            matches!(err, Error::IndexUntrusted { ref reason, .. } if reason.contains("withheld")),
            "{err:?}"
        );
    }

    #[test]
    fn several_plugins_share_one_read_of_the_freshness_files() {
        let file = format!(r#"{{"version": 4, "plugins": [{ENTRY}]}}"#);
        let fetcher = served(&file, None);
        generation_pinning(&fetcher, 4, Some(&file), "2999-01-01T00:00:00Z");
        let root = root();
        let policy = Policy {
            trust: Some(&root),
            allow_expired: false,
        };
        let names = [name("colmask"), name("zzzz"), name("ColMask")];
        let loaded = load_plugins(&RegistryRef::parse(CONFIG_URL), &names, &fetcher, policy);
        assert_eq!(loaded.len(), 3);
        assert_eq!(loaded[0].as_ref().unwrap().index.version, Some(4));
        assert!(
            matches!(loaded[1], Err(Error::UnknownPlugin { .. })),
            "{:?}",
            loaded[1]
        );
        assert_eq!(loaded[2].as_ref().unwrap().index.version, Some(4));
        let calls = fetcher.calls();
        let count = |url: &str| calls.iter().filter(|c| *c == url).count();
        assert_eq!(count("http://r/timestamp.json"), 1, "{calls:?}");
        assert_eq!(count("http://r/timestamp.json.sig"), 1, "{calls:?}");
        assert_eq!(count("http://r/3.snapshot.json"), 1, "{calls:?}");
        // colmask and ColMask share a file: fetched ahead once, judged twice.
        assert_eq!(count("http://r/co/lm/colmask"), 1, "{calls:?}");
    }

    /// A scripted fetcher that records each batch it is sent.
    struct Batching<'a> {
        inner: &'a ScriptedFetcher,
        batches: std::cell::RefCell<Vec<Vec<String>>>,
    }

    impl<'a> Batching<'a> {
        fn new(inner: &'a ScriptedFetcher) -> Batching<'a> {
            Batching {
                inner,
                batches: Default::default(),
            }
        }
    }

    impl Fetcher for Batching<'_> {
        fn get(
            &self,
            url: &str,
        ) -> std::result::Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
            self.inner.get(url)
        }

        fn send_all(
            &self,
            requests: &[Request],
            max_body: u64,
        ) -> Vec<crate::transfer::source::Answer> {
            let urls = requests.iter().map(|r| r.url.clone()).collect();
            self.batches.borrow_mut().push(urls);
            requests
                .iter()
                .map(|r| crate::transfer::source::send_whole(self.inner, r, max_body))
                .collect()
        }
    }

    #[test]
    fn several_plugins_files_are_fetched_side_by_side_then_judged_as_fetched() {
        let root = root();
        let policy = Policy {
            trust: Some(&root),
            allow_expired: false,
        };
        let registry = RegistryRef::parse(CONFIG_URL);
        let names = [name("colmask"), name("zzzz")];
        // Without freshness files: each file with its .sig, in one batch.
        let file = format!(r#"{{"version": 4, "plugins": [{ENTRY}]}}"#);
        let fetcher = served(&file, Some(&file));
        let batching = Batching::new(&fetcher);
        let loaded = load_plugins(&registry, &names, &batching, policy);
        assert_eq!(
            loaded[0].as_ref().unwrap().signed_by.as_deref(),
            Some("registry")
        );
        assert!(
            matches!(loaded[1], Err(Error::UnknownPlugin { .. })),
            "{loaded:?}"
        );
        assert_eq!(
            batching.batches.borrow().as_slice(),
            [vec![
                "http://r/co/lm/colmask.sig".to_string(),
                "http://r/co/lm/colmask".into(),
                "http://r/zz/zz/zzzz.sig".into(),
                "http://r/zz/zz/zzzz".into(),
            ]]
        );
        let calls = fetcher.calls();
        assert_eq!(
            calls.iter().filter(|c| c.contains("colmask")).count(),
            2,
            "{calls:?}"
        );

        // A bin pinning colmask's file: the bins needed, then the plugin
        // files (no .sig: the bin vouches, and zzzz is not listed).
        let fetcher = served(&file, None);
        generation_pinning(&fetcher, 4, Some(&file), "2999-01-01T00:00:00Z");
        let batching = Batching::new(&fetcher);
        let loaded = load_plugins(&registry, &names, &batching, policy);
        assert_eq!(loaded[0].as_ref().unwrap().index.version, Some(4));
        assert!(
            matches!(loaded[1], Err(Error::UnknownPlugin { .. })),
            "{loaded:?}"
        );
        let bin = format!("http://r/bins/{}.3.json", bin_of(&name("colmask")));
        assert_eq!(
            batching.batches.borrow().as_slice(),
            [
                vec![bin.clone()],
                vec![
                    "http://r/co/lm/colmask".to_string(),
                    "http://r/zz/zz/zzzz".into()
                ],
            ]
        );
        let calls = fetcher.calls();
        let count = |url: &str| calls.iter().filter(|c| *c == url).count();
        assert_eq!(count(&bin), 1, "{calls:?}");
        assert_eq!(count("http://r/co/lm/colmask"), 1, "{calls:?}");

        // Bytes fetched ahead are judged as any: altered ones are refused.
        let altered = file.replace("1.0.0", "1.0.1");
        let fetcher = served(&altered, None);
        generation_pinning(&fetcher, 4, Some(&file), "2999-01-01T00:00:00Z");
        let loaded = load_plugins(&registry, &names, &Batching::new(&fetcher), policy);
        assert!(
            matches!(&loaded[0], Err(Error::IndexUntrusted { reason, .. }) if reason.contains("SHA-256")),
            "{loaded:?}"
        );
    }

    #[test]
    fn a_file_that_failed_in_a_batch_is_asked_for_again_when_judged() {
        let root = root();
        let policy = Policy {
            trust: Some(&root),
            allow_expired: false,
        };
        let file = format!(r#"{{"version": 4, "plugins": [{ENTRY}]}}"#);
        let fetcher = served(&file, Some(&file));
        fetcher.serve(
            "http://r/co/lm/colmask",
            Script::Sequence(
                vec![Script::Fail(FetchError::Connect("refused".into()))],
                Box::new(Script::Body(file.clone().into_bytes(), None, 64)),
            ),
        );
        let names = [name("colmask"), name("zzzz")];
        let batching = Batching::new(&fetcher);
        let loaded = load_plugins(&RegistryRef::parse(CONFIG_URL), &names, &batching, policy);
        assert_eq!(loaded[0].as_ref().unwrap().index.version, Some(4));
        let calls = fetcher.calls();
        let count = |url: &str| calls.iter().filter(|c| *c == url).count();
        assert_eq!(count("http://r/co/lm/colmask"), 2, "{calls:?}");
        assert_eq!(count("http://r/co/lm/colmask.sig"), 1, "{calls:?}");
    }

    #[test]
    fn a_shared_file_cut_short_is_a_truncated_fetch_not_a_shorter_file() {
        let fetcher = ScriptedFetcher::default();
        fetcher.serve(
            "http://r/timestamp.json",
            Script::Body(b"{}".to_vec(), Some(10), 64),
        );
        let shared = Shared::new(&fetcher, &RegistryRef::parse(CONFIG_URL));
        assert!(matches!(
            shared.get("http://r/timestamp.json"),
            Err(FetchError::Truncated(2, 10))
        ));
    }

    /// A fetcher whose cache answers `url` with `stale` until bypassed.
    struct StaleCache<'a> {
        inner: &'a ScriptedFetcher,
        url: &'a str,
        stale: Vec<u8>,
        bypassed: std::cell::Cell<bool>,
    }

    impl Fetcher for StaleCache<'_> {
        fn get(
            &self,
            url: &str,
        ) -> std::result::Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
            if url == self.url && !self.bypassed.get() {
                let stale = ScriptedFetcher::default();
                stale.serve(url, Script::Body(self.stale.clone(), None, 64));
                return stale.get(url);
            }
            self.inner.get(url)
        }

        fn bypass_cache(&self) -> bool {
            !self.bypassed.replace(true)
        }
    }

    #[test]
    fn files_from_a_cache_that_fail_their_checks_are_fetched_again() {
        let file = format!(r#"{{"version": 4, "plugins": [{ENTRY}]}}"#);
        let fetcher = served(&file, None);
        generation_pinning(&fetcher, 4, Some(&file), "2999-01-01T00:00:00Z");
        let good = fetcher.calls().len();
        assert_eq!(good, 0);
        let cache = StaleCache {
            inner: &fetcher,
            url: "http://r/timestamp.json",
            stale: br#"{"version": 9, "snapshot": {"version": 3, "sha256": "00"}}"#.to_vec(),
            bypassed: Default::default(),
        };
        let root = root();
        let policy = Policy {
            trust: Some(&root),
            allow_expired: false,
        };
        let registry = RegistryRef::parse(CONFIG_URL);
        let loaded = load_plugin(&registry, &name("colmask"), &cache, policy).unwrap();
        assert!(cache.bypassed.get());
        assert_eq!(loaded.timestamp.unwrap().index.version, Some(5));
        // Refused from the network too: the network's refusal stands.
        let expired = served(&file, None);
        generation_pinning(&expired, 4, Some(&file), "2001-01-01T00:00:00Z");
        let cache = StaleCache {
            inner: &expired,
            url: "http://r/none",
            stale: Vec::new(),
            bypassed: Default::default(),
        };
        let err = load_plugin(&registry, &name("colmask"), &cache, policy).unwrap_err();
        assert!(matches!(err, Error::IndexExpired { .. }), "{err:?}");
        assert!(cache.bypassed.get());
    }

    #[test]
    fn without_a_timestamp_none_is_recorded_to_be_checked_against() {
        let file = format!(r#"{{"version": 4, "plugins": [{ENTRY}]}}"#);
        let loaded = load_colmask(&served(&file, Some(&file))).unwrap();
        let timestamp = loaded.timestamp.unwrap();
        assert_eq!(timestamp.registry.shown(), "http://r/timestamp.json");
        assert_eq!((timestamp.index.version, timestamp.signed_by), (None, None));
    }

    #[test]
    fn a_missing_plugin_file_is_a_plugin_the_registry_does_not_offer() {
        let fetcher = ScriptedFetcher::default();
        fetcher.serve(CONFIG_URL, Script::Body(b"{}".to_vec(), None, 64));
        let err = load_colmask(&fetcher).unwrap_err();
        assert!(
            matches!(err, Error::UnknownPlugin { ref registry, .. } if registry == CONFIG_URL),
            "{err:?}"
        );
    }

    #[test]
    fn a_local_registry_without_config_json_is_not_sparse() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join(CONFIG);
        let registry = RegistryRef::File(config.clone());
        assert!(matches!(
            read_config(&registry, &NoNetwork),
            Err(Error::IndexInvalid { .. })
        ));
        std::fs::write(&config, "{}").unwrap();
        assert!(read_config(&registry, &NoNetwork).is_ok());
    }

    fn search_colmask(fetcher: &ScriptedFetcher, text: &str) -> Result<Vec<Loaded>> {
        let root = root();
        search(
            &RegistryRef::parse(CONFIG_URL),
            text,
            fetcher,
            Policy {
                trust: Some(&root),
                allow_expired: false,
            },
        )
    }

    #[test]
    fn search_reads_the_signed_file_of_each_name_its_name_list_matches() {
        let file = format!(r#"{{"version": 4, "plugins": [{ENTRY}]}}"#);
        let fetcher = served(&file, Some(&file));
        // Without a name list there is nothing to search.
        let err = search_colmask(&fetcher, "col").unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { ref reason, .. } if reason.contains("no name list") && reason.contains("names.json")),
            "{err:?}"
        );
        // Names that cannot be plugins' are left out; a listed name without
        // a file (a stale list) is passed over; case folds to one file.
        fetcher.serve(
            "http://r/names.json",
            Script::Body(
                br#"{"names": ["colmask", "ColMask", "../evil", "collar", "hello"]}"#.to_vec(),
                None,
                64,
            ),
        );
        let found = search_colmask(&fetcher, "COL").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].signed_by.as_deref(), Some("registry"));
        assert_eq!(found[0].index.plugins[0].name.as_str(), "colmask");
        assert!(search_colmask(&fetcher, "zzz").unwrap().is_empty());
        let merged = merged(&RegistryRef::parse(CONFIG_URL), found, Policy::default());
        assert_eq!(merged.index.path, CONFIG_URL);
        assert_eq!(merged.signed_by.as_deref(), Some("registry"));

        // What the list names is still judged by its file's signature.
        let tampered = file.replace("1.0.0", "1.0.1");
        let fetcher = served(&tampered, Some(&file));
        fetcher.serve(
            "http://r/names.json",
            Script::Body(br#"{"names": ["colmask"]}"#.to_vec(), None, 64),
        );
        assert!(matches!(
            search_colmask(&fetcher, "col"),
            Err(Error::IndexUntrusted { .. })
        ));
    }

    #[test]
    fn a_search_matching_more_names_than_it_reads_files_is_refused() {
        let names: Vec<String> = (0..=MAX_SEARCH_FILES).map(|k| format!("col{k}")).collect();
        let fetcher = served("{}", None);
        fetcher.serve(
            "http://r/names.json",
            Script::Body(
                serde_json::to_vec(&serde_json::json!({ "names": names })).unwrap(),
                None,
                64,
            ),
        );
        let err = search_colmask(&fetcher, "col").unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { ref reason, .. } if reason.contains("at most 50")),
            "{err:?}"
        );
        assert!(matches!(
            search_colmask(&served("{}", None), "x"),
            Err(Error::InvalidRequest { .. })
        ));
        assert!(parse_names("n", b"[1]").is_err());
        // A name no plugin file can have is left out, not the search's end.
        let names =
            parse_names("n", br#"{"names": ["ab..c", "colmask", "COLMASK", "a/b"]}"#).unwrap();
        assert_eq!(
            names.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            ["colmask"]
        );
    }

    #[test]
    fn a_plugin_file_read_earlier_is_admitted_again_only_if_it_is_the_plugins() {
        let file = format!(r#"{{"version": 4, "plugins": [{ENTRY}]}}"#);
        let sig = STANDARD.encode(key().sign(file.as_bytes()).to_bytes());
        let root = root();
        let policy = Policy {
            trust: Some(&root),
            allow_expired: false,
        };
        let registry = RegistryRef::parse(CONFIG_URL);
        let loaded = admit_plugin(
            &registry,
            &name("colmask"),
            file.clone().into_bytes(),
            Some(sig.clone()),
            policy,
        )
        .unwrap();
        assert_eq!(loaded.registry.shown(), "http://r/co/lm/colmask");
        assert!(
            admit_plugin(
                &registry,
                &name("hello"),
                file.into_bytes(),
                Some(sig),
                policy
            )
            .is_err()
        );
    }

    #[test]
    fn the_whole_index_of_a_sparse_registry_is_refused_clearly() {
        let err = load(
            &RegistryRef::parse(CONFIG_URL),
            &NoNetwork,
            Policy::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { ref reason, .. } if reason.contains("sparse")),
            "{err:?}"
        );
    }
}
