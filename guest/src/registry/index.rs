//! Registry indexes: `{"schema_version": "1", "plugins": [...]}`.
//!
//! The format is the one existing loaders read, and so is what is optional:
//! `schema_version` may be left out (absent is read as `""`, the same schema
//! as `"1"`), and so may an entry's `version` (absent is `""`, a version with
//! no order, chosen only when a plugin has no versioned entry). A UTF-8
//! byte-order mark before the document, as some editors write, is skipped.
//!
//! Parsing is strict about what the installer relies on and lenient about the
//! rest: unknown fields are ignored (newer publishers may add some), but every
//! entry's name, version and digest are validated up front, and duplicate
//! (name, version) pairs are refused, so a broken index is reported once, with
//! its location, instead of surfacing later as a confusing install failure.

use crate::error::{Error, Result};
use crate::limits::MAX_SIGNATURES;
use crate::registry::name::PluginName;
use crate::trust::digest::Sha256Digest;
use crate::trust::{Claimed, MinisigClaim, TrustRoot, parse_signature};
use serde::Deserialize;
use std::collections::HashSet;

/// The schema this installer writes.
pub const SCHEMA_VERSION: &str = "1";

/// The `schema_version` values this installer reads: the current one, and
/// absent (`""`), which loaders treat as the same schema.
pub const SCHEMAS_READ: [&str; 2] = ["", SCHEMA_VERSION];

/// What editors on some systems put before UTF-8 text.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A parsed and validated index.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// Where it was read from, as shown in messages.
    pub path: String,
    /// As written; `""` when absent.
    pub schema_version: String,
    /// Grows with every publish: a client that saw a higher one refuses a
    /// lower one (rollback).
    pub version: Option<u64>,
    /// RFC 3339; past it the index is refused (a frozen mirror).
    pub expires: Option<String>,
    pub plugins: Vec<Entry>,
}

/// A signature in an entry's `signatures`, as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct EntrySignature {
    pub keyid: String,
    pub sig: String,
}

impl Entry {
    /// Every signature the entry carries, decoded: `signature`, then
    /// `signatures`. A malformed one is refused whatever the trust root,
    /// as no loader or co-signer could use it.
    pub fn claimed(&self, shown: &str) -> Result<Vec<Claimed>> {
        let malformed = |reason: String| Error::SignatureMalformed {
            source: format!("the signature of {} {} in {shown}", self.name, self.version),
            reason,
        };
        let mut claimed = Vec::new();
        if let Some(text) = &self.signature {
            claimed.push(Claimed::unnamed(parse_signature(text).map_err(malformed)?));
        }
        if self.signatures.len() > MAX_SIGNATURES {
            return Err(malformed(format!(
                "its `signatures` lists {}; at most {MAX_SIGNATURES} are read",
                self.signatures.len()
            )));
        }
        // One that cannot be decoded counts for nothing (see
        // `lenient_signatures`).
        for s in &self.signatures {
            if let Ok(signature) = parse_signature(&s.sig) {
                claimed.push(Claimed {
                    keyid: Some(s.keyid.clone()),
                    signature,
                });
            }
        }
        Ok(claimed)
    }

    /// The entry's minisign signature when it is to be checked for
    /// `artifact` under `trust`: with a trust root holding minisign keys,
    /// or holding none but with no other signature (`claimed`) to count,
    /// where a key it lacks is the clearer refusal; not otherwise, as a
    /// registry may add one beside Ed25519 signatures others rely on. A
    /// `minisig` that is not a `.minisig` is refused.
    pub fn minisig_claim(
        &self,
        trust: Option<&TrustRoot>,
        claimed: &[Claimed],
        artifact: &str,
        shown: &str,
    ) -> Result<Option<MinisigClaim>> {
        let (Some(root), Some(text)) = (trust, &self.minisig) else {
            return Ok(None);
        };
        if root.minisign.is_empty() && !claimed.is_empty() {
            return Ok(None);
        }
        let from = format!(
            "the minisig of the {} {} entry of {shown}",
            self.name, self.version
        );
        MinisigClaim::parse(text, &from, artifact).map(Some)
    }
}

/// One plugin version in an index.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: PluginName,
    /// As written; `""` when absent (an unversioned entry).
    pub version: String,
    pub description: Option<String>,
    /// As written: relative path, absolute path, `file://` or `http(s)://` URL.
    pub artifact: String,
    pub sha256: Sha256Digest,
    /// Base64 signature as written; decoded (and refused if malformed) when used.
    pub signature: Option<String>,
    /// Further signatures naming their key (`{"keyid", "sig"}`, base64),
    /// counted towards a `root.json` threshold; loaders ignore them.
    pub signatures: Vec<EntrySignature>,
    /// The artefact's length in bytes, when published: a source announcing or
    /// delivering another length is refused early.
    pub size: Option<u64>,
    /// Withdrawn by its publisher (`publish --yank`): resolution passes it
    /// over unless it is asked for exactly. Loaders ignore the field.
    pub yanked: bool,
    /// What the artefact imports and exports, as `publish` read them from
    /// its bytes: resolution under a world decides on them without a
    /// download, and an install refuses bytes that differ.
    pub imports: Option<Vec<String>>,
    pub exports: Option<Vec<String>>,
    /// The artefact's Sigstore bundle (`sigstore_bundle`), checked when the
    /// trust root's `sigstore.json` covers the plugin; loaders ignore it.
    pub sigstore_bundle: Option<SigstoreBundle>,
    /// The text of the artefact's `.minisig` (`minisig`), checked when the
    /// trust root holds minisign keys; loaders ignore it.
    pub minisig: Option<String>,
}

/// Where an entry's Sigstore bundle is: a location resolved as `artifact`
/// is (relative to the index, `file://`, `http(s)://`), or the bundle
/// itself, inline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigstoreBundle {
    Location(String),
    /// The bundle's JSON text (the inline object, written out again).
    Inline(String),
    /// Found attached to the entry's OCI artefact (a referrer of its
    /// manifest, `oci::referrers`): the referrer's reference and the bundle.
    Attached {
        reference: String,
        json: Vec<u8>,
    },
    /// Found under cosign's signature tag of the entry's OCI artefact
    /// (`oci::cosign`) and verified already, for its manifest (the payload
    /// is no bundle of the artefact's bytes, so nothing is placed beside
    /// it): the tag's reference and who signed.
    CosignTag {
        reference: String,
        signer: crate::trust::sigstore::Signer,
    },
}

#[derive(Deserialize)]
struct RawIndex {
    #[serde(default)]
    schema_version: String,
    #[serde(default)]
    version: Option<u64>,
    #[serde(default)]
    expires: Option<String>,
    plugins: Vec<RawEntry>,
}

#[derive(Deserialize)]
struct RawEntry {
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    description: Option<String>,
    artifact: String,
    sha256: String,
    #[serde(default)]
    signature: Option<String>,
    #[serde(default, deserialize_with = "lenient_signatures")]
    signatures: Vec<EntrySignature>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    imports: Option<Vec<String>>,
    #[serde(default)]
    exports: Option<Vec<String>>,
    #[serde(default)]
    sigstore_bundle: Option<serde_json::Value>,
    #[serde(default)]
    minisig: Option<String>,
}

/// An entry's `sigstore_bundle`: a non-empty string (a location) or an
/// object (the bundle). Anything else is refused with the entry, as a
/// malformed `sha256` is: a publisher's mistake is reported once, at load.
fn sigstore_bundle(
    value: Option<serde_json::Value>,
) -> std::result::Result<Option<SigstoreBundle>, String> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(location)) if !location.trim().is_empty() => {
            Ok(Some(SigstoreBundle::Location(location)))
        }
        Some(object @ serde_json::Value::Object(_)) => {
            Ok(Some(SigstoreBundle::Inline(object.to_string())))
        }
        Some(_) => Err(
            "a sigstore_bundle is a location (a non-empty string) or the bundle (a JSON object)"
                .into(),
        ),
    }
}

/// An entry's `signatures`, keeping the well-formed ones: loaders and older
/// readers ignore the field, so a malformed one must not make the index
/// unreadable; a co-signature that cannot be read simply does not count.
fn lenient_signatures<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Vec<EntrySignature>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Array(items) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// Parses index bytes; `path` is only used in messages.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Index> {
    let bytes = without_bom(bytes);
    not_an_object(path, bytes)?;
    let raw: RawIndex = serde_json::from_slice(bytes).map_err(|e| Error::IndexMalformed {
        path: path.to_string(),
        line: e.line() as u32,
        column: e.column() as u32,
        message: without_position(&e),
    })?;
    let invalid = |problem: String| Error::IndexInvalid {
        path: path.to_string(),
        problem,
    };
    if !SCHEMAS_READ.contains(&raw.schema_version.as_str()) {
        return Err(invalid(format!(
            "schema_version is {:?}; this installer reads schema_version {SCHEMA_VERSION:?} \
             (or none), so the index needs a newer wasm-plugin",
            raw.schema_version
        )));
    }
    if let Some(expires) = &raw.expires {
        crate::clock::parse(expires)
            .map_err(|why| invalid(format!("expires is {expires:?}: {why}")))?;
    }
    let mut seen = HashSet::new();
    let mut plugins = Vec::with_capacity(raw.plugins.len());
    for (position, raw) in raw.plugins.into_iter().enumerate() {
        let which = format!("plugins[{position}] ({:?} {:?})", raw.name, raw.version);
        let name = PluginName::parse(&raw.name).map_err(|e| match e {
            Error::InvalidName { reason, .. } => {
                invalid(format!("{which} has an invalid name: {reason}"))
            }
            other => other,
        })?;
        if raw.artifact.trim().is_empty() {
            return Err(invalid(format!("{which} has an empty artifact")));
        }
        let sha256 = Sha256Digest::parse_hex(&raw.sha256)
            .map_err(|reason| invalid(format!("{which} has an invalid sha256: {reason}")))?;
        let bundle = sigstore_bundle(raw.sigstore_bundle).map_err(|reason| {
            invalid(format!("{which} has an invalid sigstore_bundle: {reason}"))
        })?;
        if !seen.insert((raw.name.clone(), raw.version.clone())) {
            return Err(invalid(format!(
                "{which} is listed twice: each (name, version) pair may appear once"
            )));
        }
        plugins.push(Entry {
            name,
            version: raw.version,
            description: raw.description,
            artifact: raw.artifact,
            sha256,
            signature: raw.signature,
            signatures: raw.signatures,
            size: raw.size,
            yanked: raw.yanked,
            imports: raw.imports,
            exports: raw.exports,
            sigstore_bundle: bundle,
            minisig: raw.minisig,
        });
    }
    Ok(Index {
        path: path.to_string(),
        schema_version: raw.schema_version,
        version: raw.version,
        expires: raw.expires,
        plugins,
    })
}

/// The index as a JSON tree, for rewriting it while keeping fields this
/// installer does not know. Parsed again rather than trusted: serde skips
/// unknown fields without checking their contents (a lone `\ud800` escape,
/// say), which a tree must hold.
pub fn parse_tree(path: &str, bytes: &[u8]) -> Result<serde_json::Value> {
    serde_json::from_slice(without_bom(bytes)).map_err(|e| Error::IndexMalformed {
        path: path.to_string(),
        line: e.line() as u32,
        column: e.column() as u32,
        message: without_position(&e),
    })
}

/// The `plugins` array of an index tree `parse` accepted.
pub fn plugins_of(tree: &mut serde_json::Value) -> &mut Vec<serde_json::Value> {
    match tree
        .get_mut("plugins")
        .and_then(serde_json::Value::as_array_mut)
    {
        Some(plugins) => plugins,
        None => unreachable!("parse refuses an index without a plugins array"),
    }
}

/// The document without a leading UTF-8 byte-order mark. Positions in
/// messages are then counted from after it, as an editor shows them.
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// Refuses a document that is not a JSON object up front: serde would
/// otherwise read `[...]` as a struct's fields in order and complain about
/// the first element's type, which says nothing useful.
fn not_an_object(path: &str, bytes: &[u8]) -> Result<()> {
    let Some(at) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Ok(()); // empty: serde's "EOF while parsing" says it well
    };
    if bytes[at] == b'{' {
        return Ok(());
    }
    let before = &bytes[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = at
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |nl| nl + 1)
        + 1;
    Err(Error::IndexMalformed {
        path: path.to_string(),
        line: line as u32,
        column: column as u32,
        message: "expected a JSON object {\"schema_version\": ..., \"plugins\": [...]}".to_string(),
    })
}

/// serde_json appends " at line L column C"; the position is reported in
/// its own fields, so the message is kept free of it.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    fn entry(name: &str, version: &str) -> String {
        format!(
            r#"{{"name": "{name}", "version": "{version}", "artifact": "{name}.wasm", "sha256": "{DIGEST}"}}"#
        )
    }

    fn index(entries: &[String]) -> String {
        format!(
            r#"{{"schema_version": "1", "plugins": [{}]}}"#,
            entries.join(",")
        )
    }

    #[test]
    fn a_valid_index_parses_with_all_fields() {
        let text = r#"{
            "schema_version": "1",
            "plugins": [{
                "name": "colmask", "version": "1.2.0", "description": "masks columns",
                "artifact": "colmask.wasm", "sha256": "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
                "signature": "c2ln"
            }]
        }"#;
        let index = parse("index.json", text.as_bytes()).unwrap();
        assert_eq!(index.schema_version, "1");
        let e = &index.plugins[0];
        assert_eq!(e.name.as_str(), "colmask");
        assert_eq!(e.version, "1.2.0");
        assert_eq!(e.description.as_deref(), Some("masks columns"));
        assert_eq!(e.artifact, "colmask.wasm");
        assert_eq!(e.sha256.to_hex(), DIGEST);
        assert_eq!(e.signature.as_deref(), Some("c2ln"));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let text = r#"{"schema_version": "1", "generator": "x", "plugins": [
            {"name": "a", "version": "1", "artifact": "a.wasm", "sha256": "DIGEST", "homepage": "h", "size": 3}
        ]}"#
        .replace("DIGEST", DIGEST);
        let index = parse("index.json", text.as_bytes()).unwrap();
        assert_eq!(index.plugins.len(), 1);
        assert_eq!(index.plugins[0].description, None);
        assert_eq!(index.plugins[0].signature, None);
    }

    #[test]
    fn a_sigstore_bundle_is_a_location_or_inline_and_optional() {
        let with = |bundle: &str| {
            let text = index(&[entry("a", "1")]).replace(
                r#""sha256""#,
                &format!(r#""sigstore_bundle": {bundle}, "sha256""#),
            );
            parse("i", text.as_bytes())
        };
        assert_eq!(
            with(r#""a.wasm.sigstore.json""#).unwrap().plugins[0].sigstore_bundle,
            Some(SigstoreBundle::Location("a.wasm.sigstore.json".into()))
        );
        let inline = with(r#"{"mediaType": "m", "content": {"x": [1, 2]}}"#).unwrap();
        let Some(SigstoreBundle::Inline(json)) = &inline.plugins[0].sigstore_bundle else {
            panic!("{inline:?}")
        };
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(value["content"]["x"][1], 2);
        assert_eq!(with("null").unwrap().plugins[0].sigstore_bundle, None);
        let absent = parse("i", index(&[entry("a", "1")]).as_bytes()).unwrap();
        assert_eq!(absent.plugins[0].sigstore_bundle, None);
        for bad in ["3", r#""""#, "[]", "true"] {
            let Err(Error::IndexInvalid { problem, .. }) = with(bad) else {
                panic!("{bad}")
            };
            assert!(
                problem.contains("plugins[0]") && problem.contains("sigstore_bundle"),
                "{problem}"
            );
        }
    }

    #[test]
    fn version_expires_and_size_are_read() {
        let text = format!(
            r#"{{"schema_version": "1", "version": 42, "expires": "2031-01-01T00:00:00Z", "plugins": [
                {{"name": "a", "version": "1", "artifact": "a", "sha256": "{DIGEST}", "size": 1234}}]}}"#
        );
        let index = parse("i", text.as_bytes()).unwrap();
        assert_eq!(index.version, Some(42));
        assert_eq!(index.expires.as_deref(), Some("2031-01-01T00:00:00Z"));
        assert_eq!(index.plugins[0].size, Some(1234));
    }

    #[test]
    fn a_malformed_expiry_or_version_is_refused() {
        let bad_time = r#"{"schema_version": "1", "expires": "next week", "plugins": []}"#;
        assert!(matches!(
            parse("i", bad_time.as_bytes()),
            Err(Error::IndexInvalid { .. })
        ));
        let bad_version = r#"{"schema_version": "1", "version": -1, "plugins": []}"#;
        assert!(matches!(
            parse("i", bad_version.as_bytes()),
            Err(Error::IndexMalformed { .. })
        ));
    }

    #[test]
    fn a_bad_escape_in_an_unknown_field_is_caught_when_the_tree_is_needed() {
        let text = r#"{"schema_version": "1", "note": "\ud800", "plugins": []}"#;
        // The typed parse skips the field...
        assert!(parse("i", text.as_bytes()).is_ok());
        // ...the tree used for rewriting does not, and says where.
        assert!(matches!(
            parse_tree("i", text.as_bytes()),
            Err(Error::IndexMalformed { line: 1, .. })
        ));
    }

    #[test]
    fn an_empty_plugin_list_is_valid() {
        let index = parse("i", br#"{"schema_version": "1", "plugins": []}"#).unwrap();
        assert!(index.plugins.is_empty());
    }

    #[test]
    fn a_syntax_error_names_file_line_and_column() {
        let text = "{\n  \"schema_version\": \"1\",\n  \"plugins\": [,]\n}";
        let err = parse("/r/index.json", text.as_bytes()).unwrap_err();
        let Error::IndexMalformed {
            path,
            line,
            column,
            message,
        } = err
        else {
            panic!("{err:?}");
        };
        assert_eq!(path, "/r/index.json");
        assert_eq!((line, column), (3, 15));
        assert!(!message.contains("at line"), "{message}");
    }

    #[test]
    fn a_missing_field_is_malformed_and_named() {
        let text = r#"{"schema_version": "1", "plugins": [{"name": "a", "version": "1", "artifact": "a"}]}"#;
        let Error::IndexMalformed { message, .. } = parse("i", text.as_bytes()).unwrap_err() else {
            panic!()
        };
        assert!(message.contains("sha256"), "{message}");
    }

    #[test]
    fn wrong_shapes_are_malformed() {
        for text in [
            "",
            "[]",
            r#"{"schema_version": "1"}"#,
            r#"{"schema_version": 1, "plugins": []}"#,
            r#"{"schema_version": "1", "plugins": {}}"#,
            r#"{"schema_version": "1", "plugins": [{"name": 3}]}"#,
        ] {
            let err = parse("i", text.as_bytes()).unwrap_err();
            assert!(
                matches!(err, Error::IndexMalformed { .. }),
                "{text}: {err:?}"
            );
        }
    }

    #[test]
    fn a_document_that_is_not_an_object_is_refused_where_it_starts() {
        for (text, line, column) in [("[1, 2]", 1, 1), ("\n  \"x\"", 2, 3), ("  42", 1, 3)] {
            let err = parse("i", text.as_bytes()).unwrap_err();
            let Error::IndexMalformed {
                line: l,
                column: c,
                message,
                ..
            } = err
            else {
                panic!("{text}: {err:?}")
            };
            assert_eq!((l, c), (line, column), "{text:?}");
            assert!(message.contains("JSON object"), "{message}");
        }
    }

    #[test]
    fn another_schema_version_is_refused() {
        let err = parse("i", br#"{"schema_version": "2", "plugins": []}"#).unwrap_err();
        let Error::IndexInvalid { problem, .. } = err else {
            panic!("{err:?}")
        };
        assert!(problem.contains("\"2\""), "{problem}");
    }

    #[test]
    fn duplicate_name_and_version_is_refused() {
        let text = index(&[
            entry("a", "1.0.0"),
            entry("b", "1.0.0"),
            entry("a", "1.0.0"),
        ]);
        let Error::IndexInvalid { problem, .. } = parse("i", text.as_bytes()).unwrap_err() else {
            panic!()
        };
        assert!(
            problem.contains("plugins[2]") && problem.contains("twice"),
            "{problem}"
        );
        // Same name, other version: fine.
        let text = index(&[entry("a", "1.0.0"), entry("a", "1.0.1")]);
        assert_eq!(parse("i", text.as_bytes()).unwrap().plugins.len(), 2);
    }

    #[test]
    fn hostile_names_are_refused_at_load() {
        for name in ["../x", "a/b", "", ".hidden"] {
            let text = index(&[entry("ok", "1"), entry(name, "1")]);
            let err = parse("i", text.as_bytes()).unwrap_err();
            let Error::IndexInvalid { problem, .. } = err else {
                panic!("{name}: {err:?}")
            };
            assert!(problem.contains("invalid name"), "{problem}");
        }
    }

    #[test]
    fn a_malformed_digest_is_an_input_error() {
        for bad in ["abc", "", &DIGEST[..63], &format!("{}z", &DIGEST[..63])] {
            let text = index(&[entry("a", "1")]).replace(DIGEST, bad);
            let Error::IndexInvalid { problem, .. } = parse("i", text.as_bytes()).unwrap_err()
            else {
                panic!("{bad}")
            };
            assert!(problem.contains("sha256"), "{problem}");
        }
    }

    #[test]
    fn an_empty_artifact_is_refused() {
        let text = index(&[entry("a", "1")]).replace("a.wasm", " ");
        assert!(matches!(
            parse("i", text.as_bytes()),
            Err(Error::IndexInvalid { .. })
        ));
    }

    /// Exactly what the existing loader's registries look like: no
    /// `schema_version`, entries without `version`.
    #[test]
    fn an_index_in_the_loaders_format_parses() {
        let text = format!(
            r#"{{"plugins": [{{"name": "a", "artifact": "a.wasm", "sha256": "{DIGEST}"}},
                {{"name": "b", "version": "", "artifact": "b.wasm", "sha256": "{DIGEST}", "signature": "c2ln"}}]}}"#
        );
        let index = parse("i", text.as_bytes()).unwrap();
        assert_eq!(index.schema_version, "");
        assert_eq!(index.plugins[0].version, "");
        assert_eq!(index.plugins[1].version, "");
        // Two unversioned entries of one plugin are still a duplicate.
        let twice = index_without_schema(&[entry_without_version("a"), entry_without_version("a")]);
        assert!(matches!(
            parse("i", twice.as_bytes()),
            Err(Error::IndexInvalid { ref problem, .. }) if problem.contains("twice")
        ));
    }

    fn entry_without_version(name: &str) -> String {
        format!(r#"{{"name": "{name}", "artifact": "{name}.wasm", "sha256": "{DIGEST}"}}"#)
    }

    fn index_without_schema(entries: &[String]) -> String {
        format!(r#"{{"plugins": [{}]}}"#, entries.join(","))
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_positions_count_after_it() {
        let text = format!("\u{feff}{}", index(&[entry("a", "1")]));
        assert_eq!(parse("i", text.as_bytes()).unwrap().plugins.len(), 1);
        assert!(parse_tree("i", text.as_bytes()).is_ok());
        let broken = "\u{feff}{\"plugins\": [,]}";
        assert!(matches!(
            parse("i", broken.as_bytes()),
            Err(Error::IndexMalformed {
                line: 1,
                column: 14,
                ..
            })
        ));
        // Only at the very start: elsewhere it is not white space in JSON.
        let inside = "{\"plugins\": \u{feff}[]}";
        assert!(parse("i", inside.as_bytes()).is_err());
    }

    #[test]
    fn schema_version_may_be_absent_or_1_and_nothing_else() {
        for ok in [
            r#"{"plugins": []}"#,
            r#"{"schema_version": "1", "plugins": []}"#,
        ] {
            parse("i", ok.as_bytes()).unwrap();
        }
        for bad in ["2", "1.0", " 1", "v1"] {
            let text = format!(r#"{{"schema_version": "{bad}", "plugins": []}}"#);
            let Error::IndexInvalid { problem, .. } = parse("i", text.as_bytes()).unwrap_err()
            else {
                panic!("{bad}")
            };
            assert!(problem.contains("reads schema_version \"1\""), "{problem}");
        }
    }
}
