//! What the component may touch: the directories the host preopened.
//!
//! WASI answers a path outside every preopen with a bare "not found", which
//! would make a registry pointing at `/etc/x.wasm` look like a missing file.
//! Checking against the preopen list first turns it into an error that says
//! the path was not granted, so the host can name the flag that grants it.
//! Natively (unit tests) there is no sandbox and every path is allowed.

use crate::error::{Error, Result};
use std::path::{Component, Path, PathBuf};

/// Refuses `path` unless it lies inside a directory the host granted.
pub fn check_granted(path: &Path) -> Result<()> {
    match granted_dirs() {
        Some(dirs) if !is_within_any(path, dirs) => Err(Error::NotGranted {
            path: path.display().to_string(),
            link: None,
        }),
        _ => Ok(()),
    }
}

/// Whether `path` exists (as anything).
pub fn exists(path: &Path) -> Result<bool> {
    #[cfg(target_arch = "wasm32")]
    if let Some(found) = direct::exists(path) {
        return Ok(found);
    }
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(path, "stat", &e)),
    }
}

/// Whether a read may go through a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Registry-side files (an index, an artefact, a key): a link inside
    /// the grants is the operator's own arrangement and is followed.
    Follow,
    /// Files in a plugins directory the installer owns (`<name>.wasm`,
    /// `.sig`, receipts, state): it never made a link there, so one is
    /// refused rather than followed wherever it leads.
    Refuse,
}

/// Opens `path` for reading, refusing anything but a regular file: reading
/// a named pipe blocks forever (while the caller holds the destination's
/// lock) and a device such as `/dev/zero` never ends. The type is checked
/// before opening, since opening a pipe is itself what blocks.
pub fn open_regular(path: &Path, links: Links) -> Result<std::fs::File> {
    check_granted(path)?;
    let meta = match links {
        Links::Follow => std::fs::metadata(path),
        Links::Refuse => std::fs::symlink_metadata(path),
    }
    .map_err(|e| Error::io(path, "open", &e))?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "open", &e))?;
    // Swapped between the check and the open: check what was opened.
    match file.metadata() {
        Ok(meta) if meta.is_file() => Ok(file),
        Ok(meta) => Err(not_regular(path, &meta)),
        Err(e) => Err(Error::io(path, "open", &e)),
    }
}

/// The error for `path`, which is not a regular file, saying what it is.
fn not_regular(path: &Path, meta: &std::fs::Metadata) -> Error {
    let kind = meta.file_type();
    let found = if kind.is_symlink() {
        match std::fs::read_link(path) {
            Ok(target) => format!("a symbolic link to {}", target.display()),
            Err(_) => "a symbolic link".to_string(),
        }
    } else if kind.is_dir() {
        "a directory".to_string()
    } else {
        "a special file (a named pipe, a device or a socket)".to_string()
    };
    Error::NotRegularFile {
        path: path.display().to_string(),
        found,
    }
}

/// The whole of a granted regular file, or `None` if it is larger than
/// `max` bytes: indexes, keys and signatures are read whole, so each has a
/// ceiling.
pub fn read_at_most(path: &Path, max: u64, links: Links) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    #[cfg(target_arch = "wasm32")]
    if let Some(read) = direct::read_at_most(path, max, links) {
        return Ok(read);
    }
    let file = open_regular(path, links)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, "read", &e))?;
    Ok((bytes.len() as u64 <= max).then_some(bytes))
}

/// Whether `path` is absolute, free of `.`/`..`, and under one of `dirs`.
pub fn is_within_any(path: &Path, dirs: &[PathBuf]) -> bool {
    path.is_absolute()
        && path
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
        && dirs.iter().any(|dir| path.starts_with(dir))
}

#[cfg(target_arch = "wasm32")]
fn granted_dirs() -> Option<&'static [PathBuf]> {
    use std::sync::OnceLock;
    static DIRS: OnceLock<Vec<PathBuf>> = OnceLock::new();
    Some(DIRS.get_or_init(|| preopens::with(|all| all.iter().map(|(_, p)| p.clone()).collect())))
}

#[cfg(not(target_arch = "wasm32"))]
fn granted_dirs() -> Option<&'static [PathBuf]> {
    None
}

/// The common case of `exists` and `read_at_most` in fewer WASI calls than
/// std makes (its `metadata` asks for a stat and a hash of it, its reads go
/// through a stream): a runtime whose WASI calls are costly (jco's shim
/// does each on another thread) spends most of a small call on them. Any
/// failure or anything unusual answers `None`, and the caller takes std's
/// way, which says what went wrong in its words.
#[cfg(target_arch = "wasm32")]
mod direct {
    use super::{Links, check_granted, preopens};
    use std::path::Path;
    use wasip2::filesystem::types::{
        Descriptor, DescriptorFlags, DescriptorType, ErrorCode, OpenFlags, PathFlags,
    };

    /// Whether `path` exists: `Some` only for an answer WASI gave plainly
    /// about a path below a preopen (a preopen itself has no name to stat
    /// it by inside it).
    pub fn exists(path: &Path) -> Option<bool> {
        check_granted(path).ok()?;
        preopens::containing(path, |dir, relative| {
            if relative.is_empty() {
                return None;
            }
            match dir.stat_at(PathFlags::empty(), relative) {
                Ok(_) => Some(true),
                Err(ErrorCode::NoEntry) => Some(false),
                Err(_) => None,
            }
        })?
    }

    /// A regular file's bytes (`Some(None)`: more than `max`).
    pub fn read_at_most(path: &Path, max: u64, links: Links) -> Option<Option<Vec<u8>>> {
        check_granted(path).ok()?;
        let follow = match links {
            Links::Follow => PathFlags::SYMLINK_FOLLOW,
            Links::Refuse => PathFlags::empty(),
        };
        let file = preopens::containing(path, |dir, relative| {
            if relative.is_empty() {
                return None;
            }
            // Checked before opening, as `open_regular` does: opening a
            // named pipe is itself what blocks.
            let regular = dir.stat_at(follow, relative).ok()?.type_ == DescriptorType::RegularFile;
            regular
                .then(|| dir.open_at(follow, relative, OpenFlags::empty(), DescriptorFlags::READ))?
                .ok()
        })??;
        // Swapped between the check and the open: check what was opened.
        if file.get_type().ok()? != DescriptorType::RegularFile {
            return None;
        }
        read_to_end(&file, max)
    }

    /// Up to `max + 1` bytes, in positioned reads: the first small (most
    /// such files are, and a runtime may allocate what is asked for), the
    /// rest larger.
    fn read_to_end(file: &Descriptor, max: u64) -> Option<Option<Vec<u8>>> {
        const FIRST: u64 = 64 << 10;
        const LATER: u64 = 1 << 20;
        let mut bytes = Vec::new();
        loop {
            let offset = bytes.len() as u64;
            let piece = if offset == 0 { FIRST } else { LATER };
            let want = max.saturating_add(1).saturating_sub(offset).min(piece);
            let (piece, end) = file.read(want, offset).ok()?;
            bytes.extend_from_slice(&piece);
            if bytes.len() as u64 > max {
                return Some(None);
            }
            if end || piece.is_empty() {
                return Some(Some(bytes));
            }
        }
    }
}

/// The preopened directory handles, for opening files with raw WASI calls.
#[cfg(target_arch = "wasm32")]
pub mod preopens {
    use std::path::{Path, PathBuf};
    use wasip2::filesystem::types::Descriptor;

    thread_local! {
        static PREOPENS: Vec<(Descriptor, PathBuf)> = wasip2::filesystem::preopens::get_directories()
            .into_iter()
            .map(|(descriptor, path)| (descriptor, PathBuf::from(path)))
            .collect();
    }

    pub fn with<R>(f: impl FnOnce(&[(Descriptor, PathBuf)]) -> R) -> R {
        PREOPENS.with(|p| f(p))
    }

    /// Runs `f` with the innermost preopen holding `path` and the path
    /// relative to it; `None` when no preopen holds it.
    pub fn containing<R>(path: &Path, f: impl FnOnce(&Descriptor, &str) -> R) -> Option<R> {
        with(|all| {
            let (dir, base) = all
                .iter()
                .filter(|(_, base)| path.starts_with(base))
                .max_by_key(|(_, base)| base.components().count())?;
            let relative = path.strip_prefix(base).ok()?.to_str()?;
            Some(f(dir, relative))
        })
    }
}

/// Resolves `.` and `..` without touching the file system. WASI refuses any
/// `..` component outright, even one that stays inside a preopen, so paths are
/// made plain before use; symlinks are still contained by the sandbox.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                // `..` at the root stays at the root, as the kernel does.
                if !matches!(
                    out.components().next_back(),
                    Some(Component::RootDir) | None
                ) {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots_lexically() {
        let cases = [
            ("/a/b/../c", "/a/c"),
            ("/a/./b", "/a/b"),
            ("/../../x", "/x"),
            ("/a/b/c/../../d", "/a/d"),
            ("/a/b/", "/a/b"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                normalize(Path::new(input)),
                PathBuf::from(expected),
                "{input}"
            );
        }
    }

    #[test]
    fn within_checks_prefixes_by_component() {
        let dirs = vec![PathBuf::from("/srv/registry"), PathBuf::from("/plugins")];
        assert!(is_within_any(Path::new("/srv/registry/a.wasm"), &dirs));
        assert!(is_within_any(Path::new("/plugins"), &dirs));
        assert!(!is_within_any(
            Path::new("/srv/registry-evil/a.wasm"),
            &dirs
        ));
        assert!(!is_within_any(Path::new("/srv/registry/../x"), &dirs));
        assert!(!is_within_any(Path::new("/etc/passwd"), &dirs));
        assert!(!is_within_any(Path::new("srv/registry/a.wasm"), &dirs));
    }
}
