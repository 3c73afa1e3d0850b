//! Size limits on what the installer reads, in one place.
//!
//! The component's memory is capped by the host and wasm memory never
//! shrinks, so everything read whole (index, keys, signatures) has a ceiling
//! well below that cap; artefacts are streamed and never read whole.

/// Largest registry index read, in bytes.
pub const MAX_INDEX_BYTES: u64 = 16 << 20;

/// Largest `config.json` of a sparse registry read (one is a few bytes).
pub const MAX_SPARSE_CONFIG_BYTES: u64 = 64 << 10;

/// Largest sparse-registry file kept in a plugins directory's cache
/// (`.wasm-plugin/http-cache/`); a larger one is fetched whole every time.
pub const MAX_CACHED_FILE_BYTES: u64 = 4 << 20;

/// Most bytes that cache holds: past it, the oldest-written entries go.
pub const MAX_CACHE_BYTES: u64 = 64 << 20;

/// Most entries that cache holds (a plugin's file and its signature are
/// two): past it, the oldest-written entries go.
pub const MAX_CACHE_ENTRIES: usize = 10_000;

/// Largest registry file fetched ahead, side by side with others, when
/// several plugins of a sparse registry are read (`sparse::load_plugins`):
/// a bin or a plugin file is a few KiB. A larger one is fetched again on
/// its own, under `MAX_INDEX_BYTES`.
pub const MAX_PREFETCH_FILE_BYTES: u64 = 1 << 20;

/// Most requests in one batch the host runs side by side (it bounds how
/// many are in flight at once; this bounds what one answer holds).
pub const MAX_PREFETCH_BATCH: usize = 32;

/// Most bytes fetched ahead held at once by one `sparse::load_plugins`:
/// past it, files are fetched when their plugin is judged.
pub const MAX_PREFETCH_BYTES: u64 = 32 << 20;

/// Largest name list (`names.json`) of a sparse registry read: a hint for
/// `search`, about a million names of a dozen characters.
pub const MAX_NAME_LIST_BYTES: u64 = 16 << 20;

/// Most plugin files one `search` of a sparse registry reads (each signed
/// file fetched and checked): a text matching more names is refused,
/// asking for a longer one.
pub const MAX_SEARCH_FILES: usize = 50;

/// Largest `.pub` key file read (a PEM key is about 113 bytes).
pub const MAX_KEY_FILE_BYTES: u64 = 16 << 10;

/// Most `*.pub` files a trust root may hold. Each key costs one SHA-512 pass
/// over the artefact while it streams, so this also bounds install time.
pub const MAX_TRUST_KEYS: usize = 32;

/// Largest signature file read (a signature is 88 base64 characters).
pub const MAX_SIG_FILE_BYTES: u64 = 16 << 10;

/// Bytes asked for per read while streaming an artefact.
pub const CHUNK_BYTES: usize = 1 << 20;

/// Largest receipt read (one is a few hundred bytes).
pub const MAX_RECEIPT_BYTES: u64 = 64 << 10;

/// Largest recorded-index-versions file read (`registries.json`).
pub const MAX_SEEN_BYTES: u64 = 1 << 20;

/// Largest `root.json` read (one with a dozen keys is a few KiB).
pub const MAX_ROOT_BYTES: u64 = 256 << 10;

/// Largest record of a registry's rotations read from a plugins directory
/// (`.wasm-plugin/roots/`): the whole chain of roots after the trust root's
/// own, re-checked on every read. A longer chain is not recorded (the next
/// run walks it from the trust root again).
pub const MAX_RECORDED_ROOTS_BYTES: u64 = 4 << 20;

/// Most keys a `root.json` may list. A named signature is checked against
/// its one key, an unnamed one (the loader's `signature`, a `.sig` line)
/// against every key of the roles that may sign: at most this many SHA-512
/// passes each.
pub const MAX_ROOT_KEYS: usize = 64;

/// Most publishers roles a `root.json` may list.
pub const MAX_ROOT_ROLES: usize = 64;

/// Most root versions walked in one run (TUF caps the walk the same way): a
/// registry cannot keep a client fetching `N.root.json` forever.
pub const MAX_ROOT_ROTATIONS: u64 = 256;

/// Most signatures on one artefact or index (`signatures` entries or
/// `index.json.sig` lines); more is refused as malformed. Each costs at
/// least one SHA-512 pass over the bytes.
pub const MAX_SIGNATURES: usize = 16;

// A plugin's capabilities, read while it streams (trust::capabilities).

/// Largest import or export section kept; a real one is a few KiB.
pub const MAX_SECTION_BYTES: usize = 1 << 20;

/// Most names kept, and most bytes of them, over all sections: a core
/// module's compact imports repeat one module name for every field, so a
/// small section can expand a thousandfold. Past either, the capabilities
/// are unknown (which a policy refuses).
pub const MAX_NAMES: usize = 10_000;
pub const MAX_NAME_BYTES: usize = 1 << 20;

// The runtime's world and a plugin's types (trust::world).

/// Largest WIT file read for `--world`; a plugin world is a few KiB.
pub const MAX_WIT_BYTES: u64 = 1 << 20;

/// Most bytes the stub component may take. A real one is the component's
/// type information, tens of KiB; past this the plugin's fit is unknown.
pub const MAX_REDUCED_BYTES: u64 = 4 << 20;

/// Deepest nesting of components and modules read; a composed plugin
/// nests two or three.
pub const MAX_NESTING: usize = 16;

/// Most nested modules and components (wasmparser refuses more).
pub const MAX_NESTED: u32 = 1000;

/// Each limit at its edge, through the code that enforces it: exactly the
/// limit is accepted, one byte (or key) more is refused.
/// Largest Sigstore bundle read. A keyless bundle is 5–10 KiB; a DSSE attestation
/// with a large predicate can reach hundreds. It is held and parsed whole.
pub const MAX_BUNDLE_BYTES: usize = 4 << 20;

/// Most Sigstore bundles read from an OCI artefact's referrers (each is a
/// referrer manifest and a blob fetched, and a verification), and most
/// layers read from its cosign signature tag (`sha256-<hex>.sig`; a blob
/// and a verification each): more listed are passed over.
pub const MAX_BUNDLE_REFERRERS: usize = 8;

/// Largest operator-supplied `trusted_root.json` read. The public-good one
/// is 7 KiB, GitHub's 12 KiB.
pub const MAX_TRUSTED_ROOT_BYTES: usize = 1 << 20;

/// Largest trust-root `sigstore.json` read; one with a few dozen rules is a few KiB.
pub const MAX_POLICY_BYTES: usize = 256 << 10;

/// Most rules (identities and keys together) a `sigstore.json` may hold:
/// each accepted key costs a verification attempt per bundle.
pub const MAX_POLICY_RULES: usize = 256;

/// Largest artefact `verify-bundle` reads whole: a bundle signed over the
/// artefact's bytes (an Ed25519 key's, a SHA-384 digest) needs them all.
/// A larger one is streamed and checked by its SHA-256, which covers the
/// common case (ECDSA P-256 over SHA-256, DSSE subjects).
pub const MAX_WHOLE_ARTEFACT_BYTES: u64 = 32 << 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::{Signer, SigningKey};

    /// `text` followed by spaces up to `len` bytes.
    fn padded(text: &[u8], len: u64) -> Vec<u8> {
        let mut bytes = text.to_vec();
        bytes.resize(len as usize, b' ');
        bytes
    }

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn pub_text(seed: u8) -> Vec<u8> {
        STANDARD
            .encode(key(seed).verifying_key().to_bytes())
            .into_bytes()
    }

    #[test]
    fn an_index_of_exactly_the_limit_is_read_and_one_byte_more_is_not() {
        use crate::registry::{Policy, RegistryRef, load};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.json");
        let load = |len| {
            std::fs::write(&path, padded(br#"{"plugins": []}"#, len)).unwrap();
            load(
                &RegistryRef::File(path.clone()),
                &crate::transfer::source::NoNetwork,
                Policy::default(),
            )
        };
        assert!(load(MAX_INDEX_BYTES).is_ok());
        assert!(
            matches!(load(MAX_INDEX_BYTES + 1), Err(Error::IndexInvalid { ref problem, .. }) if problem.contains("larger than 16 MiB"))
        );
    }

    #[test]
    fn a_trust_root_of_exactly_the_most_keys_loads_and_one_more_does_not() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..MAX_TRUST_KEYS {
            std::fs::write(
                dir.path().join(format!("k{i:02}.pub")),
                pub_text(i as u8 + 1),
            )
            .unwrap();
        }
        assert_eq!(
            crate::trust::TrustRoot::load(dir.path())
                .unwrap()
                .keys
                .len(),
            MAX_TRUST_KEYS
        );
        std::fs::write(dir.path().join("extra.pub"), pub_text(200)).unwrap();
        let err = crate::trust::TrustRoot::load(dir.path()).unwrap_err();
        assert!(
            matches!(err, Error::TrustRootInvalid { ref reason, .. } if reason.contains("at most 32")),
            "{err:?}"
        );
    }

    #[test]
    fn a_key_file_of_exactly_the_limit_is_read_and_one_byte_more_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("release.pub");
        std::fs::write(&file, padded(&pub_text(1), MAX_KEY_FILE_BYTES)).unwrap();
        assert!(crate::trust::TrustRoot::load(dir.path()).is_ok());
        std::fs::write(&file, padded(&pub_text(1), MAX_KEY_FILE_BYTES + 1)).unwrap();
        let err = crate::trust::TrustRoot::load(dir.path()).unwrap_err();
        assert!(
            matches!(err, Error::TrustRootInvalid { ref reason, .. } if reason.contains("too large")),
            "{err:?}"
        );
    }

    #[test]
    fn a_private_key_file_of_exactly_the_limit_is_read_and_one_byte_more_is_not() {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("release.key");
        let pem = key(1).to_pkcs8_pem(Default::default()).unwrap();
        std::fs::write(&file, padded(pem.as_bytes(), MAX_KEY_FILE_BYTES)).unwrap();
        assert!(crate::trust::keys::load_signing_key(&file).is_ok());
        std::fs::write(&file, padded(pem.as_bytes(), MAX_KEY_FILE_BYTES + 1)).unwrap();
        assert!(matches!(
            crate::trust::keys::load_signing_key(&file),
            Err(Error::KeyInvalid { .. })
        ));
    }

    #[test]
    fn a_signature_file_of_exactly_the_limit_is_read_and_one_byte_more_is_not() {
        use crate::verbs::verify::{VerifyRequest, verify};
        let dir = tempfile::tempdir().unwrap();
        let trust = dir.path().join("trust");
        std::fs::create_dir(&trust).unwrap();
        std::fs::write(trust.join("release.pub"), pub_text(1)).unwrap();
        let artifact = dir.path().join("p.wasm");
        std::fs::write(&artifact, b"plugin").unwrap();
        let sig = STANDARD.encode(key(1).sign(b"plugin").to_bytes());
        let run = |len| {
            std::fs::write(dir.path().join("p.sig"), padded(sig.as_bytes(), len)).unwrap();
            verify(&VerifyRequest {
                artifact: artifact.clone(),
                signature: None,
                trust_root: Some(trust.clone()),
                world: None,
            })
        };
        assert_eq!(
            run(MAX_SIG_FILE_BYTES).unwrap().signed_by.as_deref(),
            Some("release")
        );
        assert!(matches!(
            run(MAX_SIG_FILE_BYTES + 1),
            Err(Error::SignatureMalformed { .. })
        ));
    }

    #[test]
    fn a_receipt_of_exactly_the_limit_is_read_and_one_byte_more_is_not() {
        use crate::plugins_dir::receipt::{self, Found};
        use crate::registry::name::PluginName;
        let dest = tempfile::tempdir().unwrap();
        let dir = receipt::dir(dest.path());
        std::fs::create_dir_all(&dir).unwrap();
        let text = br#"{"name": "a", "version": "1", "sha256": "", "size": 1, "signed_by": null,
            "registry": "r", "artifact": "a", "installed_at": "2026-01-01T00:00:00Z"}"#;
        let name = PluginName::parse("a").unwrap();
        let read = |len| {
            std::fs::write(dir.join("a.json"), padded(text, len)).unwrap();
            receipt::read(dest.path(), &name).unwrap()
        };
        assert!(matches!(read(MAX_RECEIPT_BYTES), Found::Valid(_)));
        assert!(
            matches!(read(MAX_RECEIPT_BYTES + 1), Found::Invalid(ref why) if why.contains("larger"))
        );
    }

    #[test]
    fn recorded_versions_of_exactly_the_limit_are_read_and_one_byte_more_are_not() {
        use crate::plugins_dir::seen::check_not_rolled_back;
        use crate::registry::{Loaded, RegistryRef};
        let dest = tempfile::tempdir().unwrap();
        let state = crate::plugins_dir::PluginsDir::new(dest.path()).state();
        std::fs::create_dir_all(&state).unwrap();
        let registry = RegistryRef::File("/r/index.json".into());
        let loaded = Loaded {
            registry: registry.clone(),
            index: crate::registry::index::parse(
                "/r/index.json",
                br#"{"version": 1, "plugins": []}"#,
            )
            .unwrap(),
            bytes: Vec::new(),
            signature: None,
            signed_by: None,
            trust_checked: false,
            timestamp: None,
        };
        let check = |len| {
            let text = br#"{"versions": {"/r/index.json": 5}}"#;
            std::fs::write(state.join("registries.json"), padded(text, len)).unwrap();
            check_not_rolled_back(dest.path(), &loaded)
        };
        // Read: version 1 is older than the 5 recorded.
        assert!(matches!(
            check(MAX_SEEN_BYTES),
            Err(Error::IndexRollback { seen: 5, .. })
        ));
        // Too large to read: nothing recorded can be trusted, so nothing is.
        assert!(check(MAX_SEEN_BYTES + 1).is_ok());
    }
}
