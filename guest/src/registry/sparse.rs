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
use crate::error::{Error, Result};
use crate::limits::{MAX_INDEX_BYTES, MAX_SPARSE_CONFIG_BYTES};
use crate::registry::index::{self, Index};
use crate::registry::name::PluginName;
use crate::registry::{Loaded, Policy, RegistryRef};
use crate::transfer::location::{self, Location};
use crate::transfer::source::Fetcher;
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
/// refused.
pub fn load_plugin(
    registry: &RegistryRef,
    name: &PluginName,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Loaded> {
    read_config(registry, fetcher)?;
    let fresh = freshness(registry, name, fetcher, policy)?;
    let file = plugin_file(registry, name)?;
    let listed = fresh.as_ref().map(|f| f.listed);
    let mut loaded = match super::load::read_if_index(&file, fetcher)? {
        None if listed.is_none_or(|v| v.is_none()) => {
            return Err(Error::UnknownPlugin {
                name: name.to_string(),
                registry: registry.shown(),
                available: Vec::new(),
            });
        }
        None => {
            return Err(Error::IndexUntrusted {
                registry: file.shown(),
                reason: "it is missing, but the registry's snapshot lists it: a file withheld"
                    .into(),
            });
        }
        Some((bytes, signature)) => super::admit(&file, bytes, signature, policy)?,
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
    if fresh.listed != Some(got) {
        let listed = match fresh.listed {
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
/// into the bin.
#[derive(Debug, Deserialize)]
pub struct Bin {
    pub version: u64,
    pub plugins: std::collections::BTreeMap<String, u64>,
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
    /// The plugin file's version its bin lists (`None`: not listed).
    listed: Option<u64>,
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
    let at = |path: &str| at(registry, path);
    let timestamp_ref = at(TIMESTAMP)?;
    let Some((bytes, signature)) = super::load::read_if_index(&timestamp_ref, fetcher)? else {
        return Ok(None);
    };
    let shown = timestamp_ref.shown();
    let signed_by =
        super::load::check_signature(&timestamp_ref, &bytes, signature.as_deref(), policy.trust)?;
    let timestamp: Timestamp = parse_json(&shown, &bytes)?;
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
    let snapshot_ref = at(&snapshot_path(timestamp.snapshot.version))?;
    let snapshot: Snapshot = read_pinned(&snapshot_ref, &timestamp.snapshot, fetcher)?;
    let bin = bin_of(name);
    let listed = match snapshot.bins.get(&bin) {
        None => None,
        Some(pinned) => {
            let file: Bin = read_pinned(&at(&bin_path(&bin, pinned.version))?, pinned, fetcher)?;
            file.plugins
                .get(&name.as_str().to_ascii_lowercase())
                .copied()
        }
    };
    let index = Index {
        path: shown,
        schema_version: index::SCHEMA_VERSION.into(),
        version: Some(timestamp.version),
        expires: timestamp.expires,
        plugins: Vec::new(),
    };
    Ok(Some(Fresh {
        timestamp: Loaded {
            registry: timestamp_ref,
            index,
            bytes,
            signature,
            signed_by,
            trust_checked: policy.trust.is_some(),
            timestamp: None,
        },
        bin,
        listed,
    }))
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
    let untrusted = |reason: String| Error::IndexUntrusted {
        registry: shown.clone(),
        reason,
    };
    let bytes = crate::transfer::source::read_all(&file.location(), fetcher, MAX_INDEX_BYTES)?
        .ok_or_else(|| untrusted("it is larger than any snapshot or bin".into()))?;
    let got = crate::trust::digest::Sha256Digest::of(&bytes).to_hex();
    if !got.eq_ignore_ascii_case(&pinned.sha256) {
        return Err(untrusted(format!(
            "its SHA-256 is {got}, but the file that lists it names {}: a stale or altered file",
            pinned.sha256
        )));
    }
    let parsed: T = parse_json(&shown, &bytes)?;
    if parsed.version() != pinned.version {
        return Err(untrusted(format!(
            "it is version {}, but the file that lists it names version {}",
            parsed.version(),
            pinned.version
        )));
    }
    Ok(parsed)
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

/// Loads each of `names`' files from the sparse registry `registry`, as
/// `load_plugin` does one, each result on its own (a plain loop for now:
/// the one function through which a verb loads several).
pub fn load_plugins(
    registry: &RegistryRef,
    names: &[PluginName],
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Vec<Result<Loaded>> {
    names
        .iter()
        .map(|name| load_plugin(registry, name, fetcher, policy))
        .collect()
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

/// The index to show for `plugin` (or for every plugin, `None`): a sparse
/// registry's file of that plugin, or the whole index of a flat one (where
/// it is refused for a sparse registry).
pub fn load_for(
    registry: &RegistryRef,
    plugin: Option<&str>,
    fetcher: &dyn Fetcher,
    policy: Policy<'_>,
) -> Result<Loaded> {
    match plugin {
        Some(name) if is_sparse(registry) => {
            load_plugin(registry, &PluginName::parse(name)?, fetcher, policy)
        }
        _ => super::load(registry, fetcher, policy),
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
             needs the whole index, which is not supported for a sparse registry yet; name the \
             plugin instead (install, upgrade NAME, info, outdated), or use the registry's flat \
             index.json"
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
        let hex = |b: &[u8]| crate::trust::digest::Sha256Digest::of(b).to_hex();
        let bin = bin_of(&name("colmask"));
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
