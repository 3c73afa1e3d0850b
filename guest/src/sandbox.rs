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

/// A regular file opened for reading by [`RegularFile::open`]: its length
/// when opened, and its bytes in order.
pub struct RegularFile {
    inner: Opened,
    /// What a direct read that failed reopens through std.
    #[cfg_attr(not(target_arch = "wasm32"), expect(dead_code))]
    path: PathBuf,
    #[cfg_attr(not(target_arch = "wasm32"), expect(dead_code))]
    links: Links,
}

enum Opened {
    /// Through std: what `open_regular` gives.
    Std(std::fs::File),
    /// A WASI descriptor read at positions (see `direct::open`).
    #[cfg(target_arch = "wasm32")]
    Direct(direct::PositionedFile),
}

impl RegularFile {
    /// [`open_regular`], in fewer WASI calls where it can (see `direct`).
    pub fn open(path: &Path, links: Links) -> Result<RegularFile> {
        #[cfg(target_arch = "wasm32")]
        let direct = direct::open(path, links).map(Opened::Direct);
        #[cfg(not(target_arch = "wasm32"))]
        let direct = None;
        let inner = match direct {
            Some(opened) => opened,
            None => Opened::Std(open_regular(path, links)?),
        };
        Ok(RegularFile {
            inner,
            path: path.to_path_buf(),
            links,
        })
    }

    /// Its length when it was opened.
    pub fn len_when_opened(&self) -> Option<u64> {
        match &self.inner {
            Opened::Std(file) => file.metadata().ok().map(|m| m.len()),
            #[cfg(target_arch = "wasm32")]
            Opened::Direct(file) => Some(file.at.size),
        }
    }

    /// Up to `buf.len()` further bytes; 0 at the end.
    pub fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::Read;
        match &mut self.inner {
            Opened::Std(file) => loop {
                match file.read(buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    read => return read,
                }
            },
            #[cfg(target_arch = "wasm32")]
            Opened::Direct(file) => match file.read(buf) {
                Ok(n) => Ok(n),
                // Read on through std from where this stopped, so that a
                // failure is worded (and an interruption retried) as ever.
                Err(_) => {
                    use std::io::{Seek, SeekFrom};
                    let offset = file.at.offset;
                    let mut reopened = open_regular(&self.path, self.links)
                        .map_err(|e| std::io::Error::other(e.to_string()))?;
                    reopened.seek(SeekFrom::Start(offset))?;
                    self.inner = Opened::Std(reopened);
                    self.read(buf)
                }
            },
        }
    }
}

/// Where a read at positions is, in a file of a length known when it was
/// opened. A read that comes back short of what was asked, ending at that
/// length, is the end: that saves the read of nothing std makes to find it.
/// (Had the file grown, the read would have gone past the length; had it
/// come back short for another reason, before it.)
#[derive(Debug, Clone, Copy, Default)]
pub struct Positions {
    /// The file's length when opened.
    pub size: u64,
    /// Where the next read starts.
    pub offset: u64,
    /// No read need be made: the end was seen.
    pub ended: bool,
}

impl Positions {
    /// Up to `buf.len()` bytes from `read_at(want, offset)`, which answers
    /// the bytes and whether the end was reached.
    pub fn read(
        &mut self,
        buf: &mut [u8],
        read_at: impl FnOnce(u64, u64) -> std::io::Result<(Vec<u8>, bool)>,
    ) -> std::io::Result<usize> {
        if self.ended || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len() as u64;
        let (bytes, end) = read_at(want, self.offset)?;
        // A runtime answering more than was asked is broken: not a byte more.
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        self.offset += n as u64;
        self.ended = end || n == 0 || ((n as u64) < want && self.offset == self.size);
        Ok(n)
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

/// Whether `path` is a regular file, links followed (std's `Path::is_file`,
/// in fewer WASI calls where it can: see `direct`).
pub fn is_file(path: &Path) -> bool {
    #[cfg(target_arch = "wasm32")]
    if let Some(answer) = direct::is_file(path) {
        return answer;
    }
    path.is_file()
}

/// The paths of the entries of directory `dir`, as std's `read_dir` lists
/// them (in fewer WASI calls where it can: see `direct`).
pub fn entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    #[cfg(target_arch = "wasm32")]
    if let Some(paths) = direct::entries(dir) {
        return Ok(paths);
    }
    std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect()
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
    use super::{Links, Positions, check_granted, preopens};
    use std::path::Path;
    use wasip2::filesystem::types::{
        Descriptor, DescriptorFlags, DescriptorType, ErrorCode, OpenFlags, PathFlags,
    };

    /// A regular file read with positioned reads, its length from a stat
    /// of the opened descriptor (which also checks that what was opened is
    /// still a regular file); see [`Positions`] for its end.
    pub struct PositionedFile {
        file: Descriptor,
        pub at: Positions,
    }

    impl PositionedFile {
        pub fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let file = &self.file;
            self.at.read(buf, |want, offset| {
                file.read(want, offset)
                    .map_err(|e| std::io::Error::other(e.message()))
            })
        }
    }

    /// [`super::open_regular`]'s checks, as `read_at_most` makes them, with
    /// the descriptor's own stat for the check after opening.
    pub fn open(path: &Path, links: Links) -> Option<PositionedFile> {
        check_granted(path).ok()?;
        let follow = match links {
            Links::Follow => PathFlags::SYMLINK_FOLLOW,
            Links::Refuse => PathFlags::empty(),
        };
        let file = preopens::containing(path, |dir, relative| {
            if relative.is_empty() {
                return None;
            }
            let regular = dir.stat_at(follow, relative).ok()?.type_ == DescriptorType::RegularFile;
            regular
                .then(|| dir.open_at(follow, relative, OpenFlags::empty(), DescriptorFlags::READ))?
                .ok()
        })??;
        let stat = file.stat().ok()?;
        (stat.type_ == DescriptorType::RegularFile).then_some(PositionedFile {
            file,
            at: Positions {
                size: stat.size,
                ..Positions::default()
            },
        })
    }

    /// Whether `path` is a regular file: a preopen is a directory (std
    /// opens it to ask), anything else one `stat-at`.
    pub fn is_file(path: &Path) -> Option<bool> {
        check_granted(path).ok()?;
        preopens::containing(path, |dir, relative| {
            if relative.is_empty() {
                return Some(false);
            }
            let stat = dir.stat_at(PathFlags::SYMLINK_FOLLOW, relative).ok()?;
            Some(stat.type_ == DescriptorType::RegularFile)
        })?
    }

    /// A directory's entries: a preopen's own descriptor is read as it is
    /// where the runtime lists it (wasmtime; jco's shim refuses, and it is
    /// opened as `.`), another directory is opened once (std also asks for
    /// a hash of its stat).
    pub fn entries(path: &Path) -> Option<Vec<std::path::PathBuf>> {
        check_granted(path).ok()?;
        preopens::containing(path, |dir, relative| {
            let own = relative
                .is_empty()
                .then(|| dir.read_directory().ok())
                .flatten();
            // Held while its entries are read.
            let opened;
            let stream = match own {
                Some(stream) => stream,
                None => {
                    let name = if relative.is_empty() { "." } else { relative };
                    opened = dir
                        .open_at(
                            PathFlags::SYMLINK_FOLLOW,
                            name,
                            OpenFlags::DIRECTORY,
                            DescriptorFlags::READ,
                        )
                        .ok()?;
                    opened.read_directory().ok()?
                }
            };
            let mut paths = Vec::new();
            while let Some(entry) = stream.read_directory_entry().ok()? {
                if entry.name != "." && entry.name != ".." {
                    paths.push(path.join(entry.name));
                }
            }
            Some(paths)
        })?
    }

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
        let mut file = open(path, links)?;
        read_to_end(&mut file, max)
    }

    /// Up to `max + 1` bytes, in positioned reads: the first small (most
    /// such files are, and a runtime may allocate what is asked for), the
    /// rest larger.
    fn read_to_end(file: &mut PositionedFile, max: u64) -> Option<Option<Vec<u8>>> {
        const FIRST: u64 = 64 << 10;
        const LATER: u64 = 1 << 20;
        let mut bytes = Vec::new();
        loop {
            let offset = bytes.len() as u64;
            let piece = if offset == 0 { FIRST } else { LATER };
            let want = max.saturating_add(1).saturating_sub(offset).min(piece);
            let start = bytes.len();
            bytes.resize(start + want as usize, 0);
            let n = file.read(&mut bytes[start..]).ok()?;
            bytes.truncate(start + n);
            if bytes.len() as u64 > max {
                return Some(None);
            }
            if n == 0 || file.at.ended {
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

    /// A file of `len` bytes (byte i is i % 251) that answers each read
    /// with at most `short` bytes, and grows by `grow` bytes after the
    /// first read; the reads made are counted.
    fn read_all(len: usize, short: usize, grow: usize, chunk: usize) -> (Vec<u8>, usize) {
        let mut content: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut at = Positions {
            size: len as u64,
            ..Positions::default()
        };
        let (mut out, mut reads) = (Vec::new(), 0);
        loop {
            let mut buf = vec![0; chunk];
            let n = at
                .read(&mut buf, |want, offset| {
                    reads += 1;
                    let start = (offset as usize).min(content.len());
                    let end = (start + (want as usize).min(short)).min(content.len());
                    Ok((content[start..end].to_vec(), start == content.len()))
                })
                .unwrap();
            if reads == 1 {
                content.extend((len..len + grow).map(|i| (i % 251) as u8));
            }
            if n == 0 {
                return (out, reads);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn a_short_read_at_the_opened_length_is_the_end_and_no_other_is() {
        let bytes = |n: usize| (0..n).map(|i| (i % 251) as u8).collect::<Vec<u8>>();
        // The common case: one read, no read of nothing after it.
        assert_eq!(read_all(1000, usize::MAX, 0, 4096), (bytes(1000), 1));
        // Reads that come back short mid-file go on to the end.
        assert_eq!(read_all(1000, 300, 0, 4096), (bytes(1000), 4));
        // Whole chunks: the last full one cannot tell, a read of nothing does.
        assert_eq!(read_all(8192, usize::MAX, 0, 4096), (bytes(8192), 3));
        // Empty.
        assert_eq!(read_all(0, usize::MAX, 0, 4096), (bytes(0), 1));
        // Grown after opening: read to its new end.
        assert_eq!(read_all(1000, 600, 500, 4096).0, bytes(1500));
    }

    #[test]
    fn a_runtime_answering_more_than_asked_gives_no_more() {
        let mut at = Positions {
            size: 10,
            ..Positions::default()
        };
        let mut buf = [0; 4];
        let n = at.read(&mut buf, |_, _| Ok((vec![7; 10], false))).unwrap();
        assert_eq!((n, at.offset, buf), (4, 4, [7; 4]));
        // Nothing asked, nothing read.
        assert_eq!(at.read(&mut [], |_, _| unreachable!()).unwrap(), 0);
    }

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
