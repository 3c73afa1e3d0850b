//! Entry points for the fuzz targets in `fuzz/` and for the replay of their
//! corpus under `cargo test` (`guest/tests/fuzz_corpus.rs`), so an input that
//! crashed once is run on every test from then on.
//!
//! Each takes arbitrary bytes and feeds them to one parser that reads
//! untrusted input: what a registry serves, what a user types, what sits in
//! a plugins directory someone else can write to. None may panic, loop or
//! allocate without bound; errors are the expected outcome.

use crate::plugins_dir::{receipt, seen};
use crate::registry::RegistryRef;
use crate::registry::{index, resolve, spec};
use crate::transfer::location;
use crate::trust::keys;
use crate::{clock, trust};

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
];
