//! Turning command-line paths into grants.
//!
//! The component sees host paths verbatim (guest path = host absolute path),
//! and WASI refuses any `..`, so every path is canonicalized here first. A
//! path that does not exist, or is the wrong kind, is a usage error naming
//! the flag, before the component runs.

use crate::report::Failure;
use std::path::{Path, PathBuf};

/// The canonical form of an existing file given with `flag`.
pub fn existing_file(path: &Path, flag: &str) -> Result<PathBuf, Failure> {
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
pub fn existing_dir(path: &Path, flag: &str) -> Result<PathBuf, Failure> {
    let canonical = canonical(path, flag)?;
    if !canonical.is_dir() {
        return Err(Failure::Usage(format!(
            "{flag} {} is not a directory",
            path.display()
        )));
    }
    Ok(canonical)
}

/// `check` applied to an optional flag's value.
pub fn optional(
    path: Option<&Path>,
    flag: &str,
    check: fn(&Path, &str) -> Result<PathBuf, Failure>,
) -> Result<Option<PathBuf>, Failure> {
    path.map(|p| check(p, flag)).transpose()
}

/// The canonical form of `dir`, creating it (and its parents) if missing.
/// Returns whether it was created, so a failed operation can remove it again.
pub fn ensure_dir(dir: &Path, flag: &str) -> Result<(PathBuf, bool), Failure> {
    let created = !dir.exists();
    if created {
        std::fs::create_dir_all(dir).map_err(|e| Failure::io(dir, "create", e))?;
    }
    Ok((existing_dir(dir, flag)?, created))
}

/// The directory containing the canonical file `file`.
pub fn parent(file: &Path) -> &Path {
    file.parent().unwrap_or(Path::new("/"))
}

/// The path as the string the component receives.
pub fn guest(path: &Path) -> String {
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
