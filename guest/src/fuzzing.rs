//! Entry points for the fuzz targets in `fuzz/` and for the replay of their
//! corpus under `cargo test` (the `corpus` test below), so an input that
//! crashed once is run on every test from then on.
//!
//! Each takes arbitrary bytes and feeds them to one parser that reads
//! untrusted input: what a registry serves, what a user types, what sits in
//! a plugins directory someone else can write to. None may panic, loop or
//! allocate without bound; errors are the expected outcome.

use crate::error::FetchError;
use crate::plugin_set::{lock, manifest};
use crate::plugins_dir::{receipt, seen};
use crate::registry::RegistryRef;
use crate::registry::{index, oci, resolve, spec};
use crate::transfer::location;
use crate::transfer::source::{Fetcher, Head, RemoteBody, Request};
use crate::trust::capabilities::Introspector;
use crate::trust::keys;
use crate::trust::metadata::Root;
use crate::trust::world::{Reducer, TargetWorld};
use crate::{clock, trust};
use std::cell::RefCell;
use std::path::Path;

/// A registry index, typed and as a tree (publish rewrites the tree).
pub fn index(data: &[u8]) {
    if let Ok(parsed) = index::parse("/fuzz/index.json", data) {
        // Resolution over whatever parsed: every name, every selector.
        for entry in &parsed.plugins {
            let _ = resolve::select(&parsed, entry.name.as_str(), resolve::Selector::Highest);
            let _ = resolve::select(
                &parsed,
                entry.name.as_str(),
                resolve::Selector::Exact(&entry.version),
            );
        }
    }
    let _ = index::parse_tree("/fuzz/index.json", data);
}

/// `name[@REQ]` as typed on the command line, resolved against a small index.
pub fn spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = spec::PluginSpec::parse(text) else {
        return;
    };
    let index = index::parse("/fuzz/index.json", SPEC_INDEX.as_bytes()).expect("a valid index");
    let selector = resolve::Selector::from_parts(None, spec.requirement.as_ref());
    let _ = resolve::select(&index, spec.name.as_str(), selector);
}

const SPEC_INDEX: &str = r#"{"plugins": [
    {"name": "a", "version": "1.2.3", "artifact": "a", "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"name": "a", "version": "2.0.0-rc.1", "artifact": "a", "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"name": "a", "artifact": "a", "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}]}"#;

/// An entry's `artifact` against a registry: the first line is the registry
/// (an absolute path or a URL), the rest the artifact as written.
pub fn location(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (registry, artifact) = text
        .split_once('\n')
        .unwrap_or(("/srv/r/index.json", &text));
    let registry = RegistryRef::parse(registry);
    if let RegistryRef::File(path) = &registry
        && !path.is_absolute()
    {
        return; // the host hands the component canonical absolute paths only
    }
    let _ = location::resolve(artifact, &registry);
}

/// Trust-root public keys (base64 or PEM), signatures, private keys.
pub fn keys(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = trust::parse_public_key(&text);
    let _ = trust::parse_signature(&text);
    let _ = keys::parse_signing_key(data);
}

/// A receipt from `<dest>/.wasm-plugin/receipts/`.
pub fn receipt(data: &[u8]) {
    let _ = receipt::parse(data);
}

/// The recorded index versions, `<dest>/.wasm-plugin/registries.json`.
pub fn seen(data: &[u8]) {
    let _ = seen::parse_seen(data);
}

/// An index's RFC 3339 `expires`.
pub fn expiry(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(when) = clock::parse(text)
    {
        let _ = clock::is_past(when);
    }
}

/// `wasm-plugin.toml`, the declared plugin set.
pub fn manifest(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = manifest::parse("/fuzz/wasm-plugin.toml", Path::new("/fuzz"), text);
    }
}

/// `wasm-plugin.lock`; what parses is written back and must read the same.
pub fn lock(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(lock) = lock::parse(text, "/fuzz/wasm-plugin.lock") else {
        return;
    };
    let written = lock.to_text();
    let again = lock::parse(&written, "/fuzz/wasm-plugin.lock").expect("a written lock parses");
    let mut sorted = lock.clone();
    sorted.plugins.sort_by(|a, b| a.name.cmp(&b.name));
    // An older lock's `signed_by` is read, never written.
    for pin in &mut sorted.plugins {
        pin.signed_by = None;
    }
    assert_eq!(again, sorted, "a lock reads back as written");
    assert_eq!(again.to_text(), written, "a lock is written the same twice");
}

/// A `root.json`, and what is asked of one: its own signatures, its keys,
/// its publishers roles.
pub fn root(data: &[u8]) {
    let Ok(root) = Root::parse("/fuzz/root.json", data) else {
        return;
    };
    let _ = root.check_signed_by(&root);
    for id in root.signed_ids() {
        let _ = root.label(&id);
    }
    let _ = root.publishers_of("acme-hello").count();
    let _ = root.signed_digest();
}

/// Key rotation: a trusted root then the `N.root.json` files a registry
/// serves after it, separated by NUL bytes (JSON holds none). Each is
/// taken as `registry::rotation` takes it: it must parse, say it is the
/// next version, and be signed by the previous root's keys and by its own.
pub fn rotation(data: &[u8]) {
    let mut files = data.split(|&b| b == 0);
    let Some(Ok(mut current)) = files.next().map(|f| Root::parse("/fuzz/root.json", f)) else {
        return;
    };
    for (i, file) in files.enumerate().take(8) {
        let Ok(next) = Root::parse(&format!("/fuzz/{i}.root.json"), file) else {
            return;
        };
        if Some(next.version) != current.version.checked_add(1)
            || next.check_signed_by(&current).is_err()
            || next.check_signed_by(&next).is_err()
        {
            return;
        }
        let _ = clock::parse(&next.expires).is_ok_and(clock::is_past);
        current = next;
    }
}

/// An OCI registry's answers: the catalog, tag lists, manifests (image
/// manifests, indexes, a config and layers), one answer per NUL-separated
/// piece. A piece may open with `name: value` header lines (`link`,
/// `content-type`, `docker-content-digest`, `status`) and a blank line; the
/// rest is the body. A namespace is listed with the pieces in order (the
/// catalog first), then one reference is resolved with them last first (its
/// manifest last); past the pieces, 404.
pub fn oci(data: &[u8]) {
    let pieces: Vec<&[u8]> = data.split(|&b| b == 0).collect();
    let _ = oci::index(
        &Answers::new(pieces.iter().copied()),
        "oci://registry.example/acme",
    );
    let _ = oci::resolve(
        &Answers::new(pieces.iter().rev().copied()),
        "oci://registry.example/acme/hello:1.0.0",
        None,
    );
    // The Sigstore bundles attached to a manifest: the referrers list (the
    // API's, else the fallback tag's), each referrer manifest, each blob.
    if let Ok(registry) = oci::OciRegistry::parse("oci://registry.example/acme") {
        let subject = trust::digest::Sha256Digest::of(b"manifest");
        let _ = oci::referrers::bundles(
            &Answers::new(pieces.iter().copied()),
            &registry.host,
            "acme/hello",
            &subject,
        );
    }
}

/// A `.minisig` (an index entry's `minisig`, a `<name>.minisig` on disk)
/// and a minisign public key: parsed, and a signature checked over pieces
/// of the input with the key the input holds, if any.
pub fn minisign(data: &[u8]) {
    use crate::trust::minisign::{Minisig, parse_public_key};
    let text = String::from_utf8_lossy(data);
    let key = parse_public_key(&text).ok();
    if let Ok(minisig) = Minisig::parse(&text) {
        let Some((_, key)) = key else {
            return;
        };
        let mut verifier = minisig.verifier(&key);
        for piece in pieces(data.first().copied().unwrap_or(0), data) {
            verifier.update(piece);
        }
        let _ = verifier.finish();
    }
}

/// A sparse registry over https, served by a scripted file server (one
/// NUL-separated piece per `get`, in the order asked: `config.json`,
/// `timestamp.json` and what it pins, the plugin's file and its signature),
/// read for `colmask`; the first piece as a name, its file's path
/// derived; and the whole as a name list (`names.json`).
pub fn sparse(data: &[u8]) {
    use crate::registry::name::PluginName;
    use crate::registry::{Policy, sparse};
    let pieces: Vec<&[u8]> = data.split(|&b| b == 0).collect();
    let _ = sparse::parse_config("/fuzz/config.json", data);
    let _ = sparse::parse_names("/fuzz/names.json", data);
    if let Some(name) = std::str::from_utf8(pieces[0])
        .ok()
        .and_then(|text| PluginName::parse(text.trim()).ok())
    {
        let _ = sparse::plugin_path(&name);
        let _ = sparse::bin_of(&name);
    }
    let served = Served(RefCell::new(pieces.into_iter()));
    let name = PluginName::parse("colmask").expect("a valid name");
    let registry = RegistryRef::parse("https://fuzz.example/r/");
    let _ = sparse::load_plugin(&registry, &name, &served, Policy::default());
}

/// The scripted file server of [`sparse`]: each `get` answered with the
/// next piece, a 404 when there are none left.
struct Served<'a>(RefCell<std::vec::IntoIter<&'a [u8]>>);

impl Fetcher for Served<'_> {
    fn get(
        &self,
        _url: &str,
    ) -> std::result::Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
        match self.0.borrow_mut().next() {
            Some(piece) => Ok((Box::new(Whole(piece.to_vec())), Some(piece.len() as u64))),
            None => Err(FetchError::HttpStatus(404)),
        }
    }

    fn send(
        &self,
        _request: &Request,
    ) -> std::result::Result<(Head, Box<dyn RemoteBody>), FetchError> {
        Err(FetchError::HttpStatus(404))
    }
}

/// The scripted registry of [`oci`].
struct Answers<'a> {
    pieces: RefCell<std::vec::IntoIter<&'a [u8]>>,
}

impl<'a> Answers<'a> {
    fn new(pieces: impl Iterator<Item = &'a [u8]>) -> Answers<'a> {
        Answers {
            pieces: RefCell::new(pieces.collect::<Vec<_>>().into_iter()),
        }
    }
}

/// A whole body, handed out in one read.
struct Whole(Vec<u8>);

impl RemoteBody for Whole {
    fn read(&mut self, _max: u32) -> std::result::Result<Vec<u8>, FetchError> {
        Ok(std::mem::take(&mut self.0))
    }
}

impl Fetcher for Answers<'_> {
    fn get(
        &self,
        _url: &str,
    ) -> std::result::Result<(Box<dyn RemoteBody>, Option<u64>), FetchError> {
        Err(FetchError::HttpStatus(404))
    }

    fn send(
        &self,
        _request: &Request,
    ) -> std::result::Result<(Head, Box<dyn RemoteBody>), FetchError> {
        let Some(mut piece) = self.pieces.borrow_mut().next() else {
            return Err(FetchError::HttpStatus(404));
        };
        let mut head = Head {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            length: None,
        };
        // Header lines up to a blank line, if the piece opens with one.
        while let Some(end) = piece.iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&piece[..end]);
            let Some((name, value)) = line.split_once(": ") else {
                if end == 0 {
                    piece = &piece[1..];
                }
                break;
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                break;
            }
            match name {
                // No 5xx: those are retried after a sleep.
                "status" => head.status = value.parse().ok().filter(|s| *s < 500).unwrap_or(404),
                _ => head
                    .headers
                    .insert(0, (name.to_string(), value.to_string())),
            }
            piece = &piece[end + 1..];
        }
        Ok((head, Box::new(Whole(piece.to_vec()))))
    }
}

/// The sizes of the pieces a stream is fed in, driven by `seed`: sometimes
/// one byte at a time, sometimes large pieces, mostly in between.
fn pieces(seed: u8, mut data: &[u8]) -> Vec<&[u8]> {
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761) | 1;
    let mut out = Vec::new();
    while !data.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let size = match seed % 4 {
            0 => 1,
            1 => 1 + (state % 16) as usize,
            2 => 1 + (state % 4096) as usize,
            _ => 1 + (state % 256) as usize,
        }
        .min(data.len());
        let (piece, rest) = data.split_at(size);
        out.push(piece);
        data = rest;
    }
    out
}

/// A plugin's imports and exports, read as its bytes stream: the first
/// byte chooses the sizes of the pieces; any pieces read the same as the
/// whole.
pub fn capabilities(data: &[u8]) {
    let Some((&seed, bytes)) = data.split_first() else {
        return;
    };
    let mut streamed = Introspector::new();
    for piece in pieces(seed, bytes) {
        streamed.update(piece);
    }
    let mut whole = Introspector::new();
    whole.update(bytes);
    assert_eq!(
        streamed.finish(),
        whole.finish(),
        "pieces read as the whole"
    );
}

/// The runtime's world the `world` target checks plugins against.
const FUZZ_WORLD: &str = "package wasm-plugin:plugin@0.1.0;
world plugin {
    import wasi:cli/environment@0.2.0;
    export name: func() -> string;
    export handle: func(input: list<u8>) -> result<list<u8>, string>;
}
package wasi:cli@0.2.0 {
    interface environment {
        get-environment: func() -> list<tuple<string, string>>;
    }
}";

/// A plugin reduced to its type information as its bytes stream (the first
/// byte chooses the pieces; any pieces give the same stub as the whole),
/// and the stub checked against a world.
pub fn world(data: &[u8]) {
    let Some((&seed, bytes)) = data.split_first() else {
        return;
    };
    let mut streamed = Reducer::new();
    for piece in pieces(seed, bytes) {
        streamed.update(piece);
    }
    let mut whole = Reducer::new();
    whole.update(bytes);
    let stub = streamed.finish();
    assert_eq!(stub, whole.finish(), "pieces reduce as the whole");
    if let Ok(stub) = stub {
        thread_local! {
            // Parsed once: parsing it each time would dominate the run.
            static TARGET: TargetWorld =
                TargetWorld::parse(Path::new("/fuzz/plugin.wit"), FUZZ_WORLD, None)
                    .expect("the fuzz world parses");
        }
        TARGET.with(|target| {
            let _ = target.check(&stub);
        });
    }
}

/// The smallest component: what a world is checked against in `wit`.
const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

/// A `--world` WIT file, its world selected by name (the first line, when
/// it starts with `//world:`) or as the package's only one.
pub fn wit(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let name = text
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("//world:"))
        .map(str::trim);
    let Ok(target) = TargetWorld::parse(Path::new("/fuzz/world.wit"), text, name) else {
        return;
    };
    let names = target.export_names();
    let _ = target.missing_from(&names);
    let _ = target.missing_from(&[]);
    let _ = target.check(EMPTY_COMPONENT);
}

/// A Sigstore bundle, as an index entry, an OCI referrer or a plugins
/// directory hands it over: checked against an artefact's SHA-256 (as
/// `install` does) and its bytes (as `verify-bundle` does), for a keyless
/// identity and a managed key, against the embedded production root.
pub fn sigstore_bundle(data: &[u8]) {
    use crate::trust::sigstore::{self, Artefact, Expectation, Identity, PublicKey};
    // The conformance suite's managed key.
    const KEY: &str = include_str!(
        "../../tests/assets/sigstore-conformance/bundle-verify/managed-key-happy-path/key.pub"
    );
    let mut accepted = vec![Expectation::Identity {
        identity: Identity::pattern("https://github.com/*"),
        issuer: "https://token.actions.githubusercontent.com".into(),
    }];
    accepted.extend(
        PublicKey::from_pem("key", KEY.as_bytes())
            .ok()
            .map(Expectation::Key),
    );
    let root = sigstore::TrustedRootSource::Production;
    let _ = sigstore::verify(Artefact::Sha256([0x5a; 32]), data, &accepted, &root);
    let _ = sigstore::verify(Artefact::Bytes(b"artefact"), data, &accepted, &root);
}

/// A trust root's `sigstore.json`, and the same bytes as the operator's
/// `trusted_root.json` it may name.
pub fn sigstore_policy(data: &[u8]) {
    use crate::trust::sigstore::{self, policy::SigstorePolicy};
    if let Ok(policy) = SigstorePolicy::parse(data) {
        let keys = std::collections::BTreeMap::new();
        for plugin in ["acme-hello", "", "*"] {
            let _ = policy.rules_for(plugin);
            let _ = policy.expectations_for(plugin, &keys);
        }
        let _ = policy.key_files();
    }
    let _ = sigstore::check_trusted_root(data);
}

/// A layer of cosign's signature tag: its annotations (a JSON object of
/// strings), a NUL, then its payload; read as a bundle and verified for a
/// manifest with the conformance suite's managed key, against the embedded
/// production root.
pub fn cosign_signature(data: &[u8]) {
    use crate::trust::sigstore::{self, Expectation, PublicKey, cosign};
    const KEY: &str = include_str!(
        "../../tests/assets/sigstore-conformance/bundle-verify/managed-key-happy-path/key.pub"
    );
    let (annotations, payload) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(annotations) = serde_json::from_slice(annotations) else {
        return;
    };
    let layer = cosign::Layer {
        payload: payload.to_vec(),
        annotations,
    };
    let _ = cosign::to_bundle(&layer);
    let _ = cosign::signed_manifest(payload);
    let accepted: Vec<Expectation> = PublicKey::from_pem("key", KEY.as_bytes())
        .ok()
        .map(Expectation::Key)
        .into_iter()
        .collect();
    let root = sigstore::TrustedRootSource::Production;
    let _ = cosign::verify(&layer, [0x5a; 32], &accepted, &root);
}

/// A fuzz target: arbitrary bytes in, nothing out, never a panic.
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus replay.
pub const TARGETS: &[(&str, Target)] = &[
    ("index", index),
    ("spec", spec),
    ("location", location),
    ("keys", keys),
    ("receipt", receipt),
    ("seen", seen),
    ("expiry", expiry),
    ("manifest", manifest),
    ("lock", lock),
    ("root", root),
    ("rotation", rotation),
    ("oci", oci),
    ("capabilities", capabilities),
    ("world", world),
    ("wit", wit),
    ("sigstore_bundle", sigstore_bundle),
    ("sigstore_policy", sigstore_policy),
    ("minisign", minisign),
    ("cosign_signature", cosign_signature),
    ("sparse", sparse),
];

/// Replays every input of the fuzz corpus (`fuzz/corpus/<target>/`) and
/// every crash ever saved (`fuzz/regressions/<target>/`) through the entry
/// points above, on stable, in `cargo test`: a crash found once stays
/// fixed. Fuzzing itself (nightly) is in the book's "Fuzzing" chapter.
#[cfg(test)]
mod corpus {
    use std::path::Path;

    #[test]
    fn every_corpus_input_runs_without_panicking() {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
        let mut replayed = 0;
        for (target, run) in super::TARGETS {
            let mut seeds = 0;
            for dir in ["corpus", "regressions"] {
                let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
                    continue;
                };
                for entry in entries {
                    let path = entry.unwrap().path();
                    let data = std::fs::read(&path).unwrap();
                    // A panic here names the file, which reproduces it with
                    // `cargo +nightly fuzz run <target> <file>`.
                    eprintln!("replaying {}", path.display());
                    run(&data);
                    seeds += 1;
                }
            }
            assert!(seeds > 0, "no corpus for fuzz target {target}");
            replayed += seeds;
        }
        eprintln!("replayed {replayed} inputs");
    }
}
