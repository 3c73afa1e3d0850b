//! Turning command-line paths into grants.
//!
//! The component sees host paths verbatim (guest path = host absolute path),
//! and WASI refuses any `..`, so every path is canonicalized here first. A
//! path that does not exist, or is the wrong kind, is a usage error naming
//! the flag, before the component runs.

use crate::error::Failure;
use std::path::{Path, PathBuf};

/// The canonical form of an existing file given with `flag`.
pub(crate) fn existing_file(path: &Path, flag: &str) -> Result<PathBuf, Failure> {
    let canonical = canonical(path, flag)?;
    if !canonical.is_file() {
        return Err(Failure::Usage(format!(
            "{flag} {} is not a file",
            path.display()
        )));
    }
    Ok(canonical)
}

/// The canonical form of an existing directory given with `flag`.
pub(crate) fn existing_dir(path: &Path, flag: &str) -> Result<PathBuf, Failure> {
    let canonical = canonical(path, flag)?;
    if !canonical.is_dir() {
        return Err(Failure::Usage(format!(
            "{flag} {} is not a directory",
            path.display()
        )));
    }
    Ok(canonical)
}

/// A trust root: a directory of `*.pub` files, or one `*.pub` file.
pub(crate) fn trust_root(path: &Path, flag: &str) -> Result<PathBuf, Failure> {
    let canonical = canonical(path, flag)?;
    let one_key = canonical.is_file() && canonical.extension().is_some_and(|x| x == "pub");
    if !canonical.is_dir() && !one_key {
        return Err(Failure::Usage(format!(
            "{flag} {} is neither a directory of *.pub keys nor a *.pub file",
            path.display()
        )));
    }
    Ok(canonical)
}

/// A world's WIT (`--world`): a `.wit` file or a WIT package directory.
pub(crate) fn world(path: &Path, flag: &str) -> Result<PathBuf, Failure> {
    let canonical = canonical(path, flag)?;
    if !canonical.is_dir() && !canonical.is_file() {
        return Err(Failure::Usage(format!(
            "{flag} {} is neither a .wit file nor a WIT package directory",
            path.display()
        )));
    }
    Ok(canonical)
}

/// The directory to grant for a trust root (a key file's own directory).
pub(crate) fn granted_dir(root: &Path) -> &Path {
    match root.is_file() {
        true => parent(root),
        false => root,
    }
}

/// For a file in cargo's target directory (`ROOT/target/TRIPLE/PROFILE/FILE`
/// or `ROOT/target/PROFILE/FILE`), `ROOT` if it holds a `Cargo.toml`: the
/// directory `publish` grants read-only, so the component can read the
/// version of the crate (or workspace member) that built the file.
pub(crate) fn cargo_root(file: &Path) -> Option<&Path> {
    file.ancestors()
        .skip(2)
        .take(2)
        .find(|dir| dir.file_name().is_some_and(|n| n == "target"))
        .and_then(Path::parent)
        .filter(|root| root.join("Cargo.toml").is_file())
}

/// `check` applied to an optional flag's value.
pub(crate) fn optional(
    path: Option<&Path>,
    flag: &str,
    check: fn(&Path, &str) -> Result<PathBuf, Failure>,
) -> Result<Option<PathBuf>, Failure> {
    path.map(|p| check(p, flag)).transpose()
}

/// The canonical form of `dir`, creating it (and its parents) if missing.
/// Returns whether it was created, so a failed operation can remove it again.
pub(crate) fn ensure_dir(dir: &Path, flag: &str) -> Result<(PathBuf, bool), Failure> {
    let created = !dir.exists();
    if created {
        std::fs::create_dir_all(dir).map_err(|e| Failure::io(dir, "create", e))?;
    }
    Ok((existing_dir(dir, flag)?, created))
}

/// A file that may not exist yet, in a directory that does: the canonical
/// directory joined with the file name (for outputs such as a new index).
pub(crate) fn file_in_existing_dir(path: &Path, flag: &str) -> Result<PathBuf, Failure> {
    if path.exists() {
        return existing_file(path, flag);
    }
    let name = path
        .file_name()
        .filter(|n| *n != ".." && *n != ".")
        .ok_or_else(|| Failure::Usage(format!("{flag} {} is not a file path", path.display())))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok(existing_dir(dir, flag)?.join(name))
}

/// A file that may not exist yet, in a directory created if missing (a new
/// registry's index): its canonical path, and the directories created, the
/// deepest first, for `remove_created` to take back after a failure.
pub(crate) fn file_in_dir_created(
    path: &Path,
    flag: &str,
) -> Result<(PathBuf, Vec<PathBuf>), Failure> {
    let mut created = Vec::new();
    if !path.exists()
        && let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty())
    {
        let mut missing = dir;
        while !missing.exists() {
            created.push(missing.to_path_buf());
            match missing.parent() {
                Some(up) if !up.as_os_str().is_empty() => missing = up,
                _ => break,
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| Failure::io(dir, "create", e))?;
    }
    match file_in_existing_dir(path, flag) {
        Ok(file) => Ok((file, created)),
        Err(e) => {
            remove_created(&created);
            Err(e)
        }
    }
}

/// Removes directories `file_in_dir_created` made, each only if empty.
pub(crate) fn remove_created(dirs: &[PathBuf]) {
    for dir in dirs {
        let _ = std::fs::remove_dir(dir);
    }
}

/// After a failed operation on a destination this run created: removes what
/// the run itself left there (the lock file, then directories left empty,
/// whatever the component named them) and the destination, each only if
/// nothing else is in it.
pub(crate) fn remove_if_unused(dest: &Path) {
    let lock = crate::lock::path(dest);
    let _ = std::fs::remove_file(&lock);
    if let Some(state) = lock.parent() {
        remove_empty_dirs(state);
    }
    let _ = std::fs::remove_dir(dest);
}

/// Removes `dir` and the directories under it that hold nothing else,
/// deepest first; never a file, never through a link.
fn remove_empty_dirs(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_empty_dirs(&entry.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// The directory containing the canonical file `file`.
pub(crate) fn parent(file: &Path) -> &Path {
    file.parent().unwrap_or(Path::new("/"))
}

/// The path as the string the component receives.
pub(crate) fn guest(path: &Path) -> String {
    // `canonical` refuses non-UTF-8 paths, so this is lossless.
    path.to_string_lossy().into_owned()
}

fn canonical(path: &Path, flag: &str) -> Result<PathBuf, Failure> {
    let canonical = std::fs::canonicalize(path).map_err(|e| {
        let what = match e.kind() {
            std::io::ErrorKind::NotFound => "does not exist".to_string(),
            _ => format!("cannot be used: {e}"),
        };
        Failure::Usage(format!("{flag} {} {what}", path.display()))
    })?;
    if canonical.to_str().is_none() {
        return Err(Failure::Usage(format!(
            "{flag} {} is not valid UTF-8; the installer needs UTF-8 paths",
            path.display()
        )));
    }
    Ok(canonical)
}

/// Runs `f` with the process umask set to 077, so files the component
/// creates are owner-only (WASI cannot set file modes itself).
pub(crate) fn with_private_umask<R>(f: impl FnOnce() -> R) -> R {
    // Two at once would each restore the other's 077.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: umask only swaps an integer in the process; no memory is involved.
    let previous = unsafe { libc::umask(0o077) };
    let result = f();
    unsafe { libc::umask(previous) };
    result
}

/// Makes a file readable by everyone (for public keys); best effort.
pub(crate) fn make_world_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644));
}

/// Whether `text` names an OCI registry (`oci://`, or `oci+http://` for plain
/// http): reached over the network, nothing on disk to grant.
pub(crate) fn is_oci(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.starts_with("oci://") || lower.starts_with("oci+http://")
}
