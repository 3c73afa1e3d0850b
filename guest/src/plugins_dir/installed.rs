//! What is on disk for one installed plugin: the digest of `<name>.wasm` and
//! the state of its `<name>.sig`, checked against a trust root in the same
//! pass, and of its `<name>.sigstore.json` and `<name>.minisig`. Shared by
//! `install` (is the installed copy intact?) and `audit`.

use super::PluginsDir;
use crate::error::{Error, Result};
use crate::limits::{MAX_BUNDLE_BYTES, MAX_SIG_FILE_BYTES};
use crate::registry::name::PluginName;
use crate::sandbox::{self, Links};
use crate::transfer::source::Source;
use crate::transfer::stream;
use crate::trust::digest::Sha256Digest;
use crate::trust::sigstore::Signer;
use crate::trust::{self, BundleCheck, TrustRoot};
use std::path::Path;

/// The `.sig` next to an installed plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigState {
    Absent,
    /// Not base64 of 64 bytes: why.
    Malformed(String),
    /// Well-formed, not checked (no trust root).
    Present,
    /// Verified by the trust-root key with this label.
    Verified(String),
    /// No key of the trust root verifies it.
    Untrusted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnDisk {
    pub sha256: Sha256Digest,
    pub size: u64,
    /// The sidecar's text, trimmed, when there is one.
    pub sig_text: Option<String>,
    pub sig: SigState,
}

/// Inspects `<dest>/<name>.wasm` and its sidecar; `None` when there is no
/// `.wasm`.
pub fn inspect(
    dest: &Path,
    name: &PluginName,
    trust: Option<&TrustRoot>,
) -> Result<Option<OnDisk>> {
    let wasm = PluginsDir::new(dest).wasm(name.as_str());
    if !sandbox::exists(&wasm)? {
        return Ok(None);
    }
    let sig_path = PluginsDir::new(dest).sig(name.as_str());
    let sig_text = if sandbox::exists(&sig_path)? {
        // An oversized sidecar reads as empty text: malformed, like any
        // other file no loader could use as a signature.
        Some(
            sandbox::read_at_most(&sig_path, MAX_SIG_FILE_BYTES, Links::Refuse)?
                .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
                .unwrap_or_default(),
        )
    } else {
        None
    };
    let parsed = sig_text.as_deref().map(trust::parse_signature);
    let mut check = match (trust, &parsed) {
        (Some(root), Some(Ok(signature))) => Some(trust::SignatureCheck::for_sidecar(
            root,
            name.as_str(),
            *signature,
        )),
        _ => None,
    };
    let mut source = Source::open_owned(&wasm)?;
    let measured = stream::pump(&mut source, None, check.as_mut())?;
    let sig = match (parsed, check) {
        (None, _) => SigState::Absent,
        (Some(Err(reason)), _) => SigState::Malformed(reason),
        (Some(Ok(_)), None) => SigState::Present,
        (Some(Ok(_)), Some(check)) => match check.finish(&wasm.display().to_string()) {
            Ok(verified) => SigState::Verified(verified.signers),
            Err(_) => SigState::Untrusted,
        },
    };
    Ok(Some(OnDisk {
        sha256: measured.sha256,
        size: measured.size,
        sig_text,
        sig,
    }))
}
/// The `<name>.sigstore.json` beside an installed plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleState {
    Absent,
    /// It verifies for the installed bytes against what the trust root
    /// accepts (see `TrustRoot::bundle_check`): who signed.
    Verified(Signer),
    /// It does not: the check that failed, and why.
    Refused(String),
}

/// Checks `<dest>/<name>.sigstore.json`, if there is one, for the installed
/// bytes of SHA-256 `sha256` with `check`.
pub fn bundle_state(
    dest: &Path,
    name: &PluginName,
    check: &BundleCheck<'_>,
    sha256: &Sha256Digest,
) -> Result<BundleState> {
    let path = PluginsDir::new(dest).bundle(name.as_str());
    if !sandbox::exists(&path)? {
        return Ok(BundleState::Absent);
    }
    let Some(bytes) = sandbox::read_at_most(&path, MAX_BUNDLE_BYTES as u64, Links::Refuse)? else {
        return Ok(BundleState::Refused(format!(
            "it is larger than {MAX_BUNDLE_BYTES} bytes"
        )));
    };
    Ok(match check.verify(sha256, &bytes) {
        Ok(signer) => BundleState::Verified(signer),
        Err(refusal) => BundleState::Refused(refusal.to_string()),
    })
}

/// The `<name>.minisig` beside an installed plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MinisigState {
    Absent,
    /// It verifies for the installed bytes by a minisign key of the trust
    /// root (one a publishers role covering the plugin lists, with
    /// `root.json`): who signed (`minisign:<label>`), and its text.
    Verified(String, String),
    /// It does not: why.
    Refused(String),
}

/// Checks `<dest>/<name>.minisig`, if there is one, for the installed
/// bytes against `root`'s minisign keys (another pass over them).
pub fn minisig_state(dest: &Path, name: &PluginName, root: &TrustRoot) -> Result<MinisigState> {
    let layout = PluginsDir::new(dest);
    let path = layout.minisig(name.as_str());
    if !sandbox::exists(&path)? {
        return Ok(MinisigState::Absent);
    }
    let Some(bytes) = sandbox::read_at_most(&path, MAX_SIG_FILE_BYTES, Links::Refuse)? else {
        return Ok(MinisigState::Refused(format!(
            "it is larger than {MAX_SIG_FILE_BYTES} bytes"
        )));
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let wasm = layout.wasm(name.as_str());
    let shown = path.display().to_string();
    let artifact = wasm.display().to_string();
    let refused = |error: Error| match error {
        Error::MinisignUnverified { reason, .. } => Ok(MinisigState::Refused(reason)),
        other => Err(other),
    };
    let claim = match trust::MinisigClaim::parse(&text, &shown, &artifact) {
        Ok(claim) => claim,
        Err(e) => return refused(e),
    };
    let mut check = match trust::SignatureCheck::for_minisig_sidecar(root, name.as_str(), &claim) {
        Ok(check) => check,
        Err(e) => return refused(e),
    };
    let mut source = Source::open_owned(&wasm)?;
    stream::pump(&mut source, None, Some(&mut check))?;
    match check.finish(&artifact) {
        Ok(verified) => Ok(MinisigState::Verified(verified.signers, text)),
        Err(Error::MinisignUnverified { reason, .. }) => Ok(MinisigState::Refused(reason)),
        Err(other) => Ok(MinisigState::Refused(other.message())),
    }
}

/// Whether the installed `<name>.wasm` carries enough of `claimed` (the
/// index entry's signatures) for the roles of `root`'s `root.json`: the
/// sidecar holds one signature, so an install that would keep the copy
/// checks the entry's thresholds again (a rotation may have raised them).
/// Who met them (as install words its signers), or `None` when they are
/// not met.
pub fn meets_roles(
    dest: &Path,
    name: &PluginName,
    root: &TrustRoot,
    claimed: &[trust::Claimed],
    minisig: Option<&trust::MinisigClaim>,
    bundle_signer: Option<Signer>,
) -> Result<Option<String>> {
    let wasm = PluginsDir::new(dest).wasm(name.as_str());
    let mut check = trust::SignatureCheck::for_plugin(root, name.as_str(), claimed);
    if let Some(claim) = minisig {
        check = match check.with_minisig(root, claim) {
            Ok(check) => check,
            Err(_) => return Ok(None),
        };
    }
    if let Some(signer) = bundle_signer {
        check.count_signer(signer);
    }
    let mut source = Source::open_owned(&wasm)?;
    stream::pump(&mut source, None, Some(&mut check))?;
    Ok(check
        .finish(&wasm.display().to_string())
        .ok()
        .map(|v| v.signers))
}

/// The error for a plugin that is not installed in `dest`, listing what is.
pub fn not_installed(dest: &Path, name: &PluginName) -> Result<Error> {
    Ok(Error::NotInstalled {
        name: name.to_string(),
        dest: dest.display().to_string(),
        installed: installed_names(dest)?,
    })
}

/// A plugin in `dest` (by its receipt or its `.wasm`) whose name differs
/// from `name` only by case, `Foo` for `foo`: the file systems of macOS
/// and Windows fold case, so there the two would share one `foo.wasm` and
/// one receipt, and a directory holding both elsewhere could not be copied
/// there. Found by listing names only; nothing is read.
pub fn differing_only_in_case(dest: &Path, name: &PluginName) -> Result<Option<String>> {
    let wanted = name.as_str();
    let differs = |other: &str| other != wanted && other.eq_ignore_ascii_case(wanted);
    for (dir, plugin_of) in [
        (
            dest.to_path_buf(),
            PluginsDir::wasm_plugin_of as fn(&str) -> Option<&str>,
        ),
        (PluginsDir::new(dest).receipts(), PluginsDir::receipt_of),
    ] {
        for file in file_names(&dir)? {
            if let Some(other) = plugin_of(&file).filter(|other| differs(other)) {
                return Ok(Some(other.to_string()));
            }
        }
    }
    Ok(None)
}

/// The names in `dir` (none when it does not exist). Sync's jobs place
/// files beside each other while one lists: WASI's directory stream looks
/// at each entry as it goes, so a temp file renamed away meanwhile fails
/// the listing with "not found". Such a listing is taken again.
fn file_names(dir: &Path) -> Result<Vec<String>> {
    const ATTEMPTS: usize = 8;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let listed = std::fs::read_dir(dir).and_then(|entries| {
            entries
                .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<std::io::Result<Vec<String>>>()
        });
        match listed {
            Ok(names) => return Ok(names),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !dir.exists() => {
                return Ok(Vec::new());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempt < ATTEMPTS => continue,
            Err(e) => return Err(Error::io(dir, "list", &e)),
        }
    }
}

/// Refuses to install `name` into `dest` beside a plugin whose name differs
/// from it only by case (see `differing_only_in_case`), naming that one.
pub fn refuse_case_collision(dest: &Path, name: &PluginName) -> Result<()> {
    match differing_only_in_case(dest, name)? {
        None => Ok(()),
        Some(installed) => Err(Error::InvalidRequest {
            value: name.to_string(),
            reason: format!(
                "'{installed}' is installed in {} and differs from it only by case; macOS and \
                 Windows file systems fold case, so the two would be one file \
                 ({installed}.wasm)\nnothing was installed; to replace it, uninstall \
                 {installed} first",
                dest.display()
            ),
        }),
    }
}

/// Names with a receipt or a `.wasm` in `dest`, sorted.
pub fn installed_names(dest: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = super::receipt::all(dest)?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let entries = std::fs::read_dir(dest).map_err(|e| Error::io(dest, "list", &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dest, "list", &e))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = PluginsDir::wasm_plugin_of(&file) {
            names.push(stem.to_string());
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> PluginName {
        PluginName::parse(text).unwrap()
    }

    #[test]
    fn a_name_differing_only_by_case_from_an_installed_one_is_found() {
        let dest = tempfile::tempdir().unwrap();
        let dest = dest.path();
        // Nothing there yet, not even the directory's state folder.
        assert_eq!(differing_only_in_case(dest, &name("Foo")).unwrap(), None);
        std::fs::write(dest.join("foo.wasm"), b"").unwrap();
        std::fs::write(dest.join("Other.sig"), b"").unwrap();
        let receipts = PluginsDir::new(dest).receipts();
        std::fs::create_dir_all(&receipts).unwrap();
        std::fs::write(receipts.join("Bar.json"), b"{}").unwrap();
        let found = |n: &str| differing_only_in_case(dest, &name(n)).unwrap();
        assert_eq!(found("Foo").as_deref(), Some("foo"));
        assert_eq!(found("FOO").as_deref(), Some("foo"));
        assert_eq!(found("bar").as_deref(), Some("Bar"), "by its receipt");
        // The same name is that plugin, not a collision; a lone .sig is no
        // plugin; other names are other plugins.
        assert_eq!(found("foo"), None);
        assert_eq!(found("other"), None);
        assert_eq!(found("foo2"), None);
        let err = refuse_case_collision(dest, &name("Foo")).unwrap_err();
        let Error::InvalidRequest { value, reason } = err else {
            panic!("{err:?}");
        };
        assert_eq!(value, "Foo");
        assert!(reason.starts_with("'foo' is installed in "), "{reason}");
        assert!(reason.contains("differs from it only by case"), "{reason}");
    }
}
