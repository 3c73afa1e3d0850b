//! The WIT boundary: generated bindings, the exported installer, and the
//! host's fetch import behind the crate's `Fetcher` trait. Only conversions
//! live here; every decision is made in the plain modules.

use crate::error::{Error, FetchError};
use crate::source::{Fetcher, RemoteBody};
use crate::{index, install, scaffold, verify};
use std::path::{Path, PathBuf};

wit_bindgen::generate!({
    path: "../wit",
    world: "installer-component",
});

use exports::wasm_plugin::installer::installer as wit;
use wasm_plugin::installer::fetch as host;

struct Installer;

export!(Installer);

impl wit::Guest for Installer {
    fn load_index(registry: String) -> Result<wit::RegistryIndex, wit::Error> {
        let index = index::load(Path::new(&registry)).map_err(to_wit)?;
        Ok(wit::RegistryIndex {
            path: index.path,
            schema_version: index.schema_version,
            plugins: index.plugins.iter().map(entry_to_wit).collect(),
        })
    }

    fn find_entry(
        registry: String,
        name: String,
        version: Option<String>,
    ) -> Result<wit::RegistryEntry, wit::Error> {
        let (_, entry) =
            install::find_entry(Path::new(&registry), &name, version.as_deref()).map_err(to_wit)?;
        Ok(entry_to_wit(&entry))
    }

    fn install(request: wit::InstallRequest) -> Result<wit::InstallReport, wit::Error> {
        let request = install::InstallRequest {
            registry: PathBuf::from(request.registry),
            name: request.name,
            version: request.version,
            dest: PathBuf::from(request.dest),
            trust_root: request.trust_root.map(PathBuf::from),
        };
        let r = install::install(&request, &HostFetcher).map_err(to_wit)?;
        Ok(wit::InstallReport {
            name: r.name,
            version: r.version,
            sha256: r.sha256,
            size: r.size,
            source: r.source,
            wasm_path: r.wasm_path,
            sig_path: r.sig_path,
            signed_by: r.signed_by,
            replaced: r.replaced,
        })
    }

    fn verify(request: wit::VerifyRequest) -> Result<wit::VerifyReport, wit::Error> {
        let request = verify::VerifyRequest {
            artifact: PathBuf::from(request.artifact),
            signature: request.signature.map(PathBuf::from),
            trust_root: request.trust_root.map(PathBuf::from),
        };
        let r = verify::verify(&request).map_err(to_wit)?;
        Ok(wit::VerifyReport {
            artifact: r.artifact,
            sha256: r.sha256,
            size: r.size,
            signature_path: r.signature_path,
            signed_by: r.signed_by,
        })
    }

    fn scaffold(name: String, parent: String) -> Result<wit::ScaffoldReport, wit::Error> {
        let r = scaffold::scaffold(&name, Path::new(&parent)).map_err(to_wit)?;
        Ok(wit::ScaffoldReport {
            dir: r.dir,
            files: r.files,
        })
    }
}

fn entry_to_wit(e: &index::Entry) -> wit::RegistryEntry {
    wit::RegistryEntry {
        name: e.name.to_string(),
        version: e.version.clone(),
        description: e.description.clone(),
        artifact: e.artifact.clone(),
        sha256: e.sha256.to_hex(),
        signature: e.signature.clone(),
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
        host::FetchError::Transport(s) => FetchError::Transport(s),
    }
}

fn fetch_to_wit(e: FetchError) -> host::FetchError {
    match e {
        FetchError::UnsupportedScheme(s) => host::FetchError::UnsupportedScheme(s),
        FetchError::InvalidUrl(s) => host::FetchError::InvalidUrl(s),
        FetchError::Connect(s) => host::FetchError::Connect(s),
        FetchError::HttpStatus(code) => host::FetchError::HttpStatus(code),
        FetchError::Timeout(s) => host::FetchError::Timeout(s),
        FetchError::Truncated(got, announced) => host::FetchError::Truncated((got, announced)),
        FetchError::Transport(s) => host::FetchError::Transport(s),
    }
}

fn to_wit(e: Error) -> wit::Error {
    let rejected = |value: String, reason: String| wit::Rejected { value, reason };
    match e {
        Error::IndexMalformed {
            path,
            line,
            column,
            message,
        } => wit::Error::IndexMalformed(wit::ParseFailure {
            path,
            line,
            column,
            message,
        }),
        Error::IndexInvalid { path, problem } => {
            wit::Error::IndexInvalid(wit::IndexProblem { path, problem })
        }
        Error::UnknownPlugin {
            name,
            registry,
            available,
        } => wit::Error::UnknownPlugin(wit::NameNotFound {
            name,
            registry,
            available,
        }),
        Error::UnknownVersion {
            name,
            requested,
            available,
        } => wit::Error::UnknownVersion(wit::VersionNotFound {
            name,
            requested,
            available,
        }),
        Error::InvalidName { name, reason } => wit::Error::InvalidName(rejected(name, reason)),
        Error::NotGranted(path) => wit::Error::NotGranted(path),
        Error::UnsupportedLocation { location, reason } => {
            wit::Error::UnsupportedLocation(rejected(location, reason))
        }
        Error::TrustRootInvalid { path, reason } => {
            wit::Error::TrustRootInvalid(rejected(path, reason))
        }
        Error::AlreadyExists(path) => wit::Error::AlreadyExists(path),
        Error::DigestMismatch {
            source,
            expected,
            actual,
        } => wit::Error::DigestMismatch(wit::Mismatch {
            source,
            expected,
            actual,
        }),
        Error::SignatureMissing {
            artifact,
            looked_for,
        } => wit::Error::SignatureMissing(rejected(artifact, looked_for)),
        Error::SignatureMalformed { source, reason } => {
            wit::Error::SignatureMalformed(rejected(source, reason))
        }
        Error::SignatureUntrusted {
            artifact,
            trust_root,
            keys,
        } => wit::Error::SignatureUntrusted(wit::Untrusted {
            artifact,
            trust_root,
            keys,
        }),
        Error::FetchFailed { url, cause } => wit::Error::FetchFailed(wit::FetchFailure {
            url,
            cause: fetch_to_wit(cause),
        }),
        Error::Io {
            path,
            operation,
            message,
        } => wit::Error::Io(wit::IoFailure {
            path,
            operation: operation.to_string(),
            message,
        }),
    }
}
