//! The file a staged artefact is written to.
//!
//! Inside the component, each chunk is one positioned write of the WASI
//! descriptor (`write` at an offset), which the native host does on the
//! calling thread (jco's shim hands it to its I/O thread, as it does every
//! call): the hashing runs on the host's threads meanwhile (the `digest`
//! import), so nothing is gained by handing writes to yet another thread,
//! and a WASI output stream would take them 64 KiB at a time, a thread
//! hand-off each (a 512 MiB install took 0.85 s that way, 0.6 s this way).
//! `DontNeed` advice on each written stretch starts the kernel's writeback
//! early, leaving little for the final sync. Natively (unit tests) it is a
//! plain `std::fs::File`.

use std::io;
use std::path::Path;

#[cfg(target_arch = "wasm32")]
pub use wasi::SinkFile;

#[cfg(not(target_arch = "wasm32"))]
pub use native::SinkFile;

#[cfg(target_arch = "wasm32")]
mod wasi {
    use super::*;
    use crate::sandbox::preopens;
    use wasip2::filesystem::types::{
        Advice, Descriptor, DescriptorFlags, ErrorCode, OpenFlags, PathFlags,
    };

    /// Bytes between two `DontNeed` hints.
    const ADVISE_EVERY: u64 = 32 << 20;

    pub struct SinkFile {
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
            Ok(SinkFile {
                file,
                written: 0,
                advised: 0,
            })
        }

        /// Writes `bytes` at the end of what was written.
        pub fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
            while !bytes.is_empty() {
                let n = self.file.write(bytes, self.written).map_err(to_io)?;
                if n == 0 || n > bytes.len() as u64 {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        format!("the host wrote {n} of {} bytes", bytes.len()),
                    ));
                }
                self.written += n;
                bytes = &bytes[n as usize..];
            }
            if self.written - self.advised >= ADVISE_EVERY {
                // A hint: failure changes nothing but speed.
                let _ =
                    self.file
                        .advise(self.advised, self.written - self.advised, Advice::DontNeed);
                self.advised = self.written;
            }
            Ok(())
        }

        /// Flushes the file to disk.
        pub fn sync_all(&mut self) -> io::Result<()> {
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

        pub fn sync_all(&mut self) -> io::Result<()> {
            self.0.sync_all()
        }
    }
}
