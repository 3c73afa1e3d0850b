//! Referrers read and written against a registry in memory: with the
//! referrers API, and without it (the `sha256-<hex>` tag), as Debian's
//! docker-registry 2.8 is.

use super::*;
use crate::error::FetchError;
use crate::registry::oci::OciRegistry;
use crate::transfer::source::{Head, RemoteBody};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A registry in memory: blobs and manifests by URL, uploads in progress,
/// and (when `api`) the referrers API, answered from the manifests pushed.
#[derive(Default)]
struct Registry {
    api: bool,
    stored: RefCell<BTreeMap<String, Vec<u8>>>,
    uploads: RefCell<Vec<u8>>,
    /// Every request, as `METHOD url`.
    log: RefCell<Vec<String>>,
}

struct Whole(Vec<u8>);

impl RemoteBody for Whole {
    fn read(&mut self, _max: u32) -> std::result::Result<Vec<u8>, FetchError> {
        Ok(std::mem::take(&mut self.0))
    }
}

fn answer(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> (Head, Box<dyn RemoteBody>) {
    let head = Head {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        length: Some(body.len() as u64),
    };
    (head, Box::new(Whole(body)))
}

impl Registry {
    fn with_api(api: bool) -> Registry {
        Registry {
            api,
            ..Registry::default()
        }
    }

    /// The referrers API's answer: every stored manifest whose subject is
    /// `hex`.
    fn referrers(&self, hex: &str) -> Vec<u8> {
        let manifests: Vec<Value> = self
            .stored
            .borrow()
            .iter()
            .filter(|(url, _)| url.contains("/manifests/sha256:"))
            .filter_map(|(_, bytes)| {
                let m: Value = serde_json::from_slice(bytes).ok()?;
                (m["subject"]["digest"] == format!("sha256:{hex}").as_str()).then(|| {
                    json!({"mediaType": MANIFEST_MEDIA_TYPE, "size": bytes.len(),
                           "digest": format!("sha256:{}", Sha256Digest::of(bytes).to_hex()),
                           "artifactType": m["artifactType"]})
                })
            })
            .collect();
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": manifests})).unwrap()
    }
}

impl Fetcher for Registry {
    fn get(
        &self,
        _url: &str,
    ) -> std::result::Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
        Err(FetchError::HttpStatus(404))
    }

    fn send(
        &self,
        request: &Request,
    ) -> std::result::Result<(Head, Box<dyn RemoteBody>), FetchError> {
        let url = request.url.clone();
        self.log
            .borrow_mut()
            .push(format!("{:?} {url}", request.method));
        let body = request.body.clone().unwrap_or_default();
        Ok(match request.method {
            Method::Head => answer(404, &[], Vec::new()),
            Method::Post => answer(202, &[("location", "/upload/1?state=x")], Vec::new()),
            Method::Patch => {
                self.uploads.borrow_mut().extend(body);
                answer(202, &[("location", "/upload/1?state=y")], Vec::new())
            }
            Method::Put if url.contains("/upload/") => {
                let digest = url.split("digest=").nth(1).unwrap().to_string();
                let blob = std::mem::take(&mut *self.uploads.borrow_mut());
                let repo = "http://reg.test/v2/acme/colmask";
                self.stored
                    .borrow_mut()
                    .insert(format!("{repo}/blobs/{digest}"), blob);
                answer(201, &[], Vec::new())
            }
            Method::Put => {
                let by_digest = format!(
                    "{}/sha256:{}",
                    url.rsplit_once('/').unwrap().0,
                    Sha256Digest::of(&body).to_hex()
                );
                let mut stored = self.stored.borrow_mut();
                stored.insert(by_digest, body.clone());
                stored.insert(url, body);
                let subject: &[(&str, &str)] = if self.api {
                    &[("oci-subject", "sha256:x")]
                } else {
                    &[]
                };
                answer(201, subject, Vec::new())
            }
            Method::Get => match url.split_once("/referrers/sha256:") {
                Some((_, rest)) if self.api => {
                    let hex = rest.split('?').next().unwrap();
                    answer(200, &[], self.referrers(hex))
                }
                _ => match self.stored.borrow().get(&url) {
                    Some(bytes) => answer(200, &[], bytes.clone()),
                    None => answer(404, &[], Vec::new()),
                },
            },
        })
    }
}

const BUNDLE: &[u8] = include_bytes!(
    "../../../../../tests/assets/sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json"
);

fn host() -> Host {
    OciRegistry::parse("oci+http://reg.test/acme").unwrap().host
}

fn subject() -> (Sha256Digest, u64) {
    (Sha256Digest::of(b"the plugin's manifest"), 21)
}

#[test]
fn with_the_referrers_api_a_bundle_is_attached_and_found_without_the_tag() {
    let registry = Registry::with_api(true);
    let (digest, size) = subject();
    let reference = attach(&registry, &host(), "acme/colmask", (&digest, size), BUNDLE).unwrap();
    assert!(
        reference.starts_with("oci+http://reg.test/acme/colmask@sha256:"),
        "{reference}"
    );
    let found = bundles(&registry, &host(), "acme/colmask", &digest).unwrap();
    assert_eq!(
        found,
        [Attached {
            reference,
            json: BUNDLE.to_vec()
        }]
    );
    let log = registry.log.borrow();
    assert!(!log.iter().any(|l| l.contains("sha256-")), "{log:#?}");
    assert!(
        log.iter().any(|l| l.contains("/referrers/sha256:")
            && l.ends_with(
                "artifactType=application%2Fvnd%2Edev%2Esigstore%2Ebundle%2Ev0%2E3%2Bjson"
            )),
        "{log:#?}"
    );
}

#[test]
fn without_the_api_the_fallback_tag_lists_each_bundle_once() {
    let registry = Registry::with_api(false);
    let (digest, size) = subject();
    let first = attach(&registry, &host(), "acme/colmask", (&digest, size), BUNDLE).unwrap();
    // The same bundle again is listed once; another is added after it.
    attach(&registry, &host(), "acme/colmask", (&digest, size), BUNDLE).unwrap();
    let other = br#"{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}"#;
    let second = attach(&registry, &host(), "acme/colmask", (&digest, size), other).unwrap();
    let tag = format!(
        "http://reg.test/v2/acme/colmask/manifests/{}",
        fallback_tag(&digest)
    );
    let index: Value = serde_json::from_slice(&registry.stored.borrow()[&tag]).unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2, "{index}");
    assert_eq!(index["mediaType"], INDEX_MEDIA_TYPE);
    let found = bundles(&registry, &host(), "acme/colmask", &digest).unwrap();
    let references: Vec<_> = found.iter().map(|f| f.reference.as_str()).collect();
    assert_eq!(references, [first.as_str(), second.as_str()]);
}

#[test]
fn referrers_of_another_subject_are_passed_over_and_none_is_no_error() {
    let registry = Registry::with_api(false);
    let (digest, size) = subject();
    let elsewhere = Sha256Digest::of(b"another manifest");
    attach(
        &registry,
        &host(),
        "acme/colmask",
        (&elsewhere, size),
        BUNDLE,
    )
    .unwrap();
    // The other subject's referrer, listed under this subject's tag.
    let theirs = registry.stored.borrow()[&format!(
        "http://reg.test/v2/acme/colmask/manifests/{}",
        fallback_tag(&elsewhere)
    )]
        .clone();
    registry.stored.borrow_mut().insert(
        format!(
            "http://reg.test/v2/acme/colmask/manifests/{}",
            fallback_tag(&digest)
        ),
        theirs,
    );
    assert_eq!(
        bundles(&registry, &host(), "acme/colmask", &digest).unwrap(),
        []
    );
    // Nothing attached at all: none, and no error.
    let empty = Registry::with_api(false);
    assert_eq!(
        bundles(&empty, &host(), "acme/colmask", &digest).unwrap(),
        []
    );
}

#[test]
fn a_bundle_blob_that_is_not_what_its_digest_says_is_refused() {
    let registry = Registry::with_api(false);
    let (digest, size) = subject();
    attach(&registry, &host(), "acme/colmask", (&digest, size), BUNDLE).unwrap();
    let blob = format!(
        "http://reg.test/v2/acme/colmask/blobs/sha256:{}",
        Sha256Digest::of(BUNDLE).to_hex()
    );
    registry
        .stored
        .borrow_mut()
        .insert(blob.clone(), b"{\"tampered\": true}".to_vec());
    let e = bundles(&registry, &host(), "acme/colmask", &digest).unwrap_err();
    let Error::DigestMismatch { source, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(source, &blob);
}

#[test]
fn the_referrer_manifest_is_as_cosign_writes_it() {
    let (digest, size) = subject();
    let bundle = Sha256Digest::of(BUNDLE);
    let manifest: Value = serde_json::from_slice(&referrer_manifest(
        (&bundle, BUNDLE.len() as u64),
        (&digest, size),
    ))
    .unwrap();
    assert_eq!(manifest["artifactType"], BUNDLE_MEDIA_TYPE);
    assert_eq!(manifest["config"]["mediaType"], EMPTY_MEDIA_TYPE);
    assert_eq!(
        manifest["config"]["digest"],
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    assert_eq!(manifest["layers"][0]["mediaType"], BUNDLE_MEDIA_TYPE);
    assert_eq!(
        manifest["subject"]["digest"],
        format!("sha256:{}", digest.to_hex())
    );
    assert_eq!(manifest["subject"]["size"], size);
}
