//! One writer at a time per plugins directory.
//!
//! Two runs against the same destination must not interleave: each could
//! otherwise place a `.wasm` whose `.sig` or receipt the other then replaces.
//! The host holds an advisory lock on `<dest>/.wasm-plugin/lock` for the
//! whole operation: exclusive for anything that writes, shared for `audit`.
//! A second run waits, says so once, and gives up after the timeout. The
//! component cannot lock (WASI has no file locks), which is why this is the
//! host's job.
//!
//! The host runs outside the sandbox, possibly as root over a directory
//! another user can write to, so it never follows a link here: a
//! `.wasm-plugin` that is not a real directory, or a `lock` that is not a
//! regular file, is refused and named, instead of creating files wherever
//! the link points.

use crate::error::Failure;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Held until dropped.
#[derive(Debug)]
pub struct DestLock {
    file: File,
}

impl DestLock {
    /// Whether the locked file is (still) the one at `path`.
    fn is_at(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        match (self.file.metadata(), std::fs::metadata(path)) {
            (Ok(held), Ok(now)) => held.dev() == now.dev() && held.ino() == now.ino(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Writers: install, upgrade, uninstall.
    Exclusive,
    /// Readers that must not see a half-done install: audit.
    Shared,
}

/// The lock file of `dest`.
pub(crate) fn path(dest: &Path) -> PathBuf {
    dest.join(".wasm-plugin").join("lock")
}

/// Takes the lock on `dest`, waiting up to `timeout`.
///
/// A run that created the destination and then failed removes it again,
/// lock file included. A run that was waiting on that lock then holds a lock
/// on a file no longer at the path, which a third run would not see; so a
/// lock is only kept once the locked file is still the one at the path, and
/// taken again on a fresh file otherwise.
pub(crate) fn acquire(dest: &Path, access: Access, timeout: Duration) -> Result<DestLock, Failure> {
    let started = Instant::now();
    let path = path(dest);
    let dir = path.parent().expect("lock path has a parent");
    loop {
        ensure_state_dir(dir)?;
        let file = open_lock_file(&path, true)?;
        let lock = wait_for(file, &path, access, started, timeout)?;
        if lock.is_at(&path) {
            return Ok(lock);
        }
    }
}

/// Takes a shared lock if the lock file exists or can be made, and none when
/// `dest` cannot be written at all (an audit of a read-only mount: nothing can
/// be installing there either).
pub(crate) fn acquire_shared_if_possible(
    dest: &Path,
    timeout: Duration,
) -> Result<Option<DestLock>, Failure> {
    let started = Instant::now();
    let path = path(dest);
    let dir = path.parent().expect("lock path has a parent");
    // A link in place of the state folder is refused here too: opening
    // `lock` through it would lock (and read) a file elsewhere.
    if let Ok(meta) = std::fs::symlink_metadata(dir)
        && !meta.is_dir()
    {
        return Err(not_regular(dir, &meta, "a directory"));
    }
    loop {
        let file = match open_lock_file(&path, false) {
            Ok(file) => file,
            Err(Failure::Io { error, .. }) if error.kind() == std::io::ErrorKind::NotFound => {
                return match acquire(dest, Access::Shared, timeout) {
                    Ok(lock) => Ok(Some(lock)),
                    Err(Failure::Io { .. }) => Ok(None),
                    Err(other) => Err(other),
                };
            }
            Err(other) => return Err(other),
        };
        let lock = wait_for(file, &path, Access::Shared, started, timeout)?;
        if lock.is_at(&path) {
            return Ok(Some(lock));
        }
    }
}

/// Makes `dir` (the state folder; its parent exists) unless it is there as
/// a real directory. A link or a file in its place is refused.
fn ensure_state_dir(dir: &Path) -> Result<(), Failure> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(meta) => Err(not_regular(dir, &meta, "a directory")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::create_dir(dir) {
            Ok(()) => Ok(()),
            // Made by another run meanwhile: check what it is.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => ensure_state_dir(dir),
            Err(e) => Err(Failure::io(dir, "create", e)),
        },
        Err(e) => Err(Failure::io(dir, "inspect", e)),
    }
}

/// Opens the lock file without following a link (`O_NOFOLLOW`) and without
/// blocking on a named pipe (`O_NONBLOCK`), then insists on a regular file.
fn open_lock_file(path: &Path, create: bool) -> Result<File, Failure> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened = OpenOptions::new()
        .read(true)
        .write(create)
        .create(create)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let file = match opened {
        Ok(file) => file,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            let meta = std::fs::symlink_metadata(path).map_err(|e| Failure::io(path, "open", e))?;
            return Err(not_regular(path, &meta, "a regular file"));
        }
        Err(e) => return Err(Failure::io(path, "open", e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| Failure::io(path, "inspect", e))?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta, "a regular file"));
    }
    Ok(file)
}

/// What is at `path` instead of the `wanted` kind of file.
fn not_regular(path: &Path, meta: &std::fs::Metadata, wanted: &'static str) -> Failure {
    let kind = meta.file_type();
    let found = if kind.is_symlink() {
        match std::fs::read_link(path) {
            Ok(target) => format!("a symbolic link to {}", target.display()),
            Err(_) => "a symbolic link".into(),
        }
    } else if kind.is_dir() {
        "a directory".into()
    } else if kind.is_file() {
        "a regular file".into()
    } else {
        "a special file (a named pipe, a device or a socket)".into()
    };
    Failure::UnsafeStatePath {
        path: path.to_path_buf(),
        found,
        wanted,
    }
}

/// Waits for `file`'s lock until `timeout` after `started`.
fn wait_for(
    file: File,
    path: &Path,
    access: Access,
    started: Instant,
    timeout: Duration,
) -> Result<DestLock, Failure> {
    let mut said = false;
    loop {
        let attempt = match access {
            Access::Exclusive => file.try_lock(),
            Access::Shared => file.try_lock_shared(),
        };
        match attempt {
            Ok(()) => return Ok(DestLock { file }),
            Err(TryLockError::Error(e)) => return Err(Failure::io(path, "lock", e)),
            Err(TryLockError::WouldBlock) => {}
        }
        if started.elapsed() >= timeout {
            return Err(Failure::LockTimeout {
                path: path.to_path_buf(),
                waited: timeout,
            });
        }
        if !said {
            let _ = writeln!(
                std::io::stderr(),
                "waiting for another wasm-plugin run to finish with {} (lock {}; up to {}s, see --lock-timeout)",
                path.parent()
                    .and_then(Path::parent)
                    .unwrap_or(path)
                    .display(),
                path.display(),
                timeout.as_secs()
            );
            said = true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_exclusive_lock_waits_then_times_out() {
        let dest = tempfile::tempdir().unwrap();
        let held = acquire(dest.path(), Access::Exclusive, Duration::ZERO).unwrap();
        let err = acquire(dest.path(), Access::Exclusive, Duration::from_millis(120)).unwrap_err();
        assert!(matches!(err, Failure::LockTimeout { .. }), "{err:?}");
        drop(held);
        acquire(dest.path(), Access::Exclusive, Duration::ZERO).unwrap();
    }

    #[test]
    fn a_lock_on_a_file_removed_meanwhile_is_taken_again_on_the_new_one() {
        let dest = tempfile::tempdir().unwrap();
        let held = acquire(dest.path(), Access::Exclusive, Duration::ZERO).unwrap();
        // Another run waits on the same file...
        let waiter = {
            let dest = dest.path().to_path_buf();
            std::thread::spawn(move || {
                acquire(&dest, Access::Exclusive, Duration::from_secs(5)).unwrap()
            })
        };
        std::thread::sleep(Duration::from_millis(150));
        // ...while the holder removes the lock file and lets go.
        std::fs::remove_file(path(dest.path())).unwrap();
        drop(held);
        let taken = waiter.join().unwrap();
        assert!(
            taken.is_at(&path(dest.path())),
            "the waiter holds a lock nobody else can see"
        );
        // A third run is now excluded.
        assert!(acquire(dest.path(), Access::Exclusive, Duration::ZERO).is_err());
    }

    #[test]
    fn links_in_the_state_folder_are_refused_not_followed() {
        let dest = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let state = dest.path().join(".wasm-plugin");
        // A link in place of the lock file: nothing is created at its target.
        std::fs::create_dir(&state).unwrap();
        let target = elsewhere.path().join("file");
        std::os::unix::fs::symlink(&target, state.join("lock")).unwrap();
        for result in [
            acquire(dest.path(), Access::Exclusive, Duration::ZERO).map(|_| ()),
            acquire(dest.path(), Access::Shared, Duration::ZERO).map(|_| ()),
            acquire_shared_if_possible(dest.path(), Duration::ZERO).map(|_| ()),
        ] {
            let err = result.unwrap_err();
            assert!(
                matches!(err, Failure::UnsafeStatePath { ref found, .. } if found.contains("symbolic link")),
                "{err:?}"
            );
        }
        assert!(!target.exists());
        // A link in place of the state folder itself.
        std::fs::remove_file(state.join("lock")).unwrap();
        std::fs::remove_dir(&state).unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), &state).unwrap();
        let err = acquire(dest.path(), Access::Exclusive, Duration::ZERO).unwrap_err();
        assert!(matches!(err, Failure::UnsafeStatePath { .. }), "{err:?}");
        assert!(!elsewhere.path().join("lock").exists());
    }

    #[test]
    fn a_named_pipe_as_the_lock_is_refused_without_blocking() {
        let dest = tempfile::tempdir().unwrap();
        let state = dest.path().join(".wasm-plugin");
        std::fs::create_dir(&state).unwrap();
        let fifo = std::ffi::CString::new(state.join("lock").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let err = acquire_shared_if_possible(dest.path(), Duration::ZERO).unwrap_err();
        assert!(
            matches!(err, Failure::UnsafeStatePath { ref found, .. } if found.contains("special file")),
            "{err:?}"
        );
    }

    #[test]
    fn shared_locks_coexist_but_exclude_a_writer() {
        let dest = tempfile::tempdir().unwrap();
        let a = acquire(dest.path(), Access::Shared, Duration::ZERO).unwrap();
        let b = acquire_shared_if_possible(dest.path(), Duration::ZERO).unwrap();
        assert!(b.is_some());
        let err = acquire(dest.path(), Access::Exclusive, Duration::ZERO).unwrap_err();
        assert!(matches!(err, Failure::LockTimeout { .. }));
        drop((a, b));
        acquire(dest.path(), Access::Exclusive, Duration::ZERO).unwrap();
    }
}
