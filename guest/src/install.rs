//! `install`: resolve an entry, fetch it, check it, place it.
//!
//! Everything that can be refused without fetching (name, index, version,
//! trust root, signature format, location) is refused first, so a bad
//! request costs nothing and touches nothing. The bytes then stream once
//! through the digest and signature check into a temp file that is renamed
//! into place only if both pass.

use crate::error::{Error, Result};
use crate::index::{self, Entry, Index};
use crate::location;
use crate::name::PluginName;
use crate::place::{self, Staged};
use crate::resolve;
use crate::sandbox;
use crate::source::{Fetcher, Source};
use crate::stream;
use crate::trust::{self, TrustRoot};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct InstallRequest {
    pub registry: PathBuf,
    pub name: String,
    pub version: Option<String>,
    pub dest: PathBuf,
    pub trust_root: Option<PathBuf>,
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
    pub replaced: bool,
}

/// The entry `install` would take, without fetching anything. The name is
/// checked before the index is even read.
pub fn find_entry(registry: &Path, name: &str, version: Option<&str>) -> Result<(Index, Entry)> {
    PluginName::parse(name)?;
    let index = index::load(registry)?;
    let entry = resolve::find(&index, name, version)?.clone();
    Ok((index, entry))
}

pub fn install(request: &InstallRequest, fetcher: &dyn Fetcher) -> Result<InstallReport> {
    let (index, entry) = find_entry(&request.registry, &request.name, request.version.as_deref())?;
    let name = entry.name.clone();
    let what = format!("{} {}", entry.name, entry.version);

    let trust = request
        .trust_root
        .as_deref()
        .map(TrustRoot::load)
        .transpose()?;
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
    let location = location::resolve(&entry.artifact, &request.registry)?;
    let mut check = trust::check_for(trust.as_ref(), signature.as_ref(), || {
        Error::SignatureMissing {
            artifact: location.display(),
            looked_for: format!("the {what} entry of {}", index.path),
        }
    })?;

    sandbox::check_granted(&request.dest)?;
    let mut source = Source::open(&location, fetcher)?;
    let mut staged = Staged::create(&request.dest, &name.wasm_file())?;
    let measured = stream::pump(&mut source, Some(&mut staged), check.as_mut())?;
    if measured.sha256 != entry.sha256 {
        return Err(Error::DigestMismatch {
            source: source.shown().to_string(),
            expected: entry.sha256.to_hex(),
            actual: measured.sha256.to_hex(),
        });
    }
    let signed_by = check.map(|c| c.finish(source.shown())).transpose()?;

    let sig_text = signature.as_ref().map(trust::encode_signature);
    let placed = place::commit(&request.dest, &name, staged, sig_text.as_deref())?;
    Ok(InstallReport {
        name: name.to_string(),
        version: entry.version.clone(),
        sha256: measured.sha256.to_hex(),
        size: measured.size,
        source: source.shown().to_string(),
        wasm_path: placed.wasm_path.display().to_string(),
        sig_path: placed.sig_path.map(|p| p.display().to_string()),
        signed_by,
        replaced: placed.replaced,
    })
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

        fn request(&self, name: &str, trusted: bool) -> InstallRequest {
            InstallRequest {
                registry: self.index(),
                name: name.to_string(),
                version: None,
                dest: self.dest(),
                trust_root: trusted.then(|| self.root.join("trust")),
            }
        }

        fn install(&self, name: &str, trusted: bool) -> Result<InstallReport> {
            install(&self.request(name, trusted), &NoNetwork)
        }

        fn dest_listing(&self) -> Vec<(String, Vec<u8>)> {
            let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(self.dest())
                .unwrap()
                .map(|e| {
                    let e = e.unwrap();
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect();
            files.sort();
            files
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
        assert!(!report.replaced);
        let files = fx.dest_listing();
        assert_eq!(files.len(), 2);
        assert_eq!(files[1], ("colmask.wasm".to_string(), b"\0asm v1".to_vec()));
        let sig = String::from_utf8(files[0].1.clone()).unwrap();
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
        assert!(report.replaced);
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
        assert_eq!(
            fx.dest_listing(),
            vec![("plain.wasm".to_string(), b"bytes".to_vec())]
        );
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
        let mut fetcher = ScriptedFetcher::default();
        fetcher.0.insert(
            "http://127.0.0.1:1/net.wasm".into(),
            Script::Body(b"remote bytes".to_vec(), Some(12), 4),
        );
        let report = install(&fx.request("net", true), &fetcher).unwrap();
        assert_eq!(report.source, "http://127.0.0.1:1/net.wasm");
        assert_eq!(
            std::fs::read(fx.dest().join("net.wasm")).unwrap(),
            b"remote bytes"
        );

        // A 404 is reported as such, not as a digest mismatch.
        fetcher.0.insert(
            "http://127.0.0.1:1/net.wasm".into(),
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
}
