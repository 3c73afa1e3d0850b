//! The file a staged artefact is written to.
//!
//! Inside the component, std's `File::write` waits for each write to finish
//! (wasi-libc's `write` is synchronous), which would put all the disk work on
//! the component's only thread, after the hashing. A WASI output stream's
//! non-blocking `write` instead hands the bytes to the host's I/O thread and
//! returns, so the next piece is hashed while the previous one is written.
//! `DontNeed` advice on each written stretch starts the kernel's writeback
//! early, leaving little for the final sync. Natively (unit tests) it is a
//! plain `std::fs::File`.

use std::io;
use std::path::Path;

/// Largest write handed over at once: wasmtime-wasi accepts at most 64 KiB
/// per stream write, so callers interleave pieces of this size with hashing.
pub const WRITE_PIECE: usize = 64 << 10;

#[cfg(target_arch = "wasm32")]
pub use wasi::SinkFile;

#[cfg(not(target_arch = "wasm32"))]
pub use native::SinkFile;

#[cfg(target_arch = "wasm32")]
mod wasi {
    use super::*;
    use crate::sandbox::preopens;
    use std::io::Write;
    use wasip2::filesystem::types::{
        Advice, Descriptor, DescriptorFlags, ErrorCode, OpenFlags, PathFlags,
    };
    use wasip2::io::streams::OutputStream;

    /// Bytes between two `DontNeed` hints.
    const ADVISE_EVERY: u64 = 32 << 20;

    pub struct SinkFile {
        // Field order matters: the stream must be dropped before the file.
        out: OutputStream,
        file: Descriptor,
        written: u64,
        advised: u64,
    }

    impl SinkFile {
        pub fn create_new(path: &Path) -> io::Result<SinkFile> {
            let file = preopens::containing(path, |dir, relative| {
                dir.open_at(
                    PathFlags::empty(),
                    relative,
                    OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
                    DescriptorFlags::READ | DescriptorFlags::WRITE,
                )
            })
            .ok_or_else(|| io::Error::from(io::ErrorKind::PermissionDenied))?
            .map_err(to_io)?;
            let out = file.write_via_stream(0).map_err(to_io)?;
            Ok(SinkFile {
                out,
                file,
                written: 0,
                advised: 0,
            })
        }

        /// Queues `bytes` (at most [`WRITE_PIECE`] for no waiting) and
        /// returns once the host has taken them.
        pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.out.write_all(bytes)?;
            self.written += bytes.len() as u64;
            if self.written - self.advised >= ADVISE_EVERY {
                // A hint: failure changes nothing but speed.
                let _ =
                    self.file
                        .advise(self.advised, self.written - self.advised, Advice::DontNeed);
                self.advised = self.written;
            }
            Ok(())
        }

        /// Waits for queued writes (without flushing the file to disk).
        pub fn flush(&mut self) -> io::Result<()> {
            self.out
                .blocking_flush()
                .map_err(|e| io::Error::other(format!("{e:?}")))
        }

        /// Waits for queued writes, then flushes the file to disk.
        pub fn sync_all(&mut self) -> io::Result<()> {
            self.out
                .blocking_flush()
                .map_err(|e| io::Error::other(format!("{e:?}")))?;
            self.file.sync().map_err(to_io)
        }
    }

    fn to_io(code: ErrorCode) -> io::Error {
        let kind = match code {
            // As std reports it, so `sandbox::is_escape` recognizes it.
            ErrorCode::NotPermitted => {
                return io::Error::from_raw_os_error(crate::error::WASI_EPERM);
            }
            ErrorCode::Access | ErrorCode::ReadOnly => io::ErrorKind::PermissionDenied,
            ErrorCode::Exist => io::ErrorKind::AlreadyExists,
            ErrorCode::NoEntry => io::ErrorKind::NotFound,
            ErrorCode::InsufficientSpace => io::ErrorKind::StorageFull,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, code.to_string())
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::*;
    use std::fs::{File, OpenOptions};
    use std::io::Write;

    pub struct SinkFile(File);

    impl SinkFile {
        pub fn create_new(path: &Path) -> io::Result<SinkFile> {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map(SinkFile)
        }

        pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.0.write_all(bytes)
        }

        pub fn flush(&mut self) -> io::Result<()> {
            self.0.flush()
        }

        pub fn sync_all(&mut self) -> io::Result<()> {
            self.0.sync_all()
        }
    }
}
