//! Files the host reads for itself, not through the component: the
//! registry token file, the `--ca-cert` bundle and the docker config.
//!
//! The component reads every file it is granted through its sandbox, which
//! refuses anything but a regular file and reads at most a limit. These
//! files never reach it, so the host applies the same rules: each is opened
//! without waiting (a named pipe would block the open until a writer
//! came), judged by the opened handle's own metadata (no window between a
//! check and the open), and read up to its cap in [`HostLimits`]: given
//! `/dev/zero` or a FIFO, a command fails at once naming the file instead
//! of reading without end or waiting for ever.
//!
//! [`HostLimits`]: crate::limits::HostLimits

use crate::credentials::{
    Credential, RegistryCredentials, docker_config_path, parse_docker_config,
};
use crate::limits::LIMITS;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// The bytes of the regular file at `path`, at most `limit` of them.
/// `what` names the file in messages, as the flag that gave it
/// (`--ca-cert`).
pub(crate) fn read_capped(path: &Path, what: &str, limit: u64) -> Result<Vec<u8>, String> {
    let file = open_nonblocking(path)
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    let metadata = file
        .metadata()
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    if !metadata.is_file() {
        return Err(format!(
            "{what} {} is {}, not a regular file",
            path.display(),
            kind_of(&metadata)
        ));
    }
    let too_large = || {
        format!(
            "{what} {} is larger than {}, the most read of it",
            path.display(),
            size_text(limit)
        )
    };
    if metadata.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    // It may have grown since it was measured.
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Opens for reading without blocking on a named pipe (and without making
/// a terminal the controlling one).
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// What a file that is not a regular one is, in words.
fn kind_of(metadata: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = metadata.file_type();
        if kind.is_fifo() {
            return "a named pipe";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if metadata.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// `64 KiB`, `1 MiB`, `100 bytes`.
fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

// Here rather than in `credentials`, which the `docker_config` fuzz target
// compiles on its own: it holds the parsing, this the reading.
impl RegistryCredentials {
    /// `WASM_PLUGIN_REGISTRY_TOKEN`, then `token_file` (a file holding a
    /// token, for CI), the token for `token_hosts`; and where the docker
    /// config is (`$DOCKER_CONFIG/config.json`, else
    /// `~/.docker/config.json`), read only when a registry asks for
    /// credentials (see [`docker_config`](Self::docker_config)). A token
    /// file that cannot be used (missing, not a regular file, over 64 KiB,
    /// empty, not UTF-8) is an error naming it.
    pub fn from_environment(
        token_file: Option<&Path>,
        token_hosts: Vec<String>,
    ) -> Result<RegistryCredentials, String> {
        let mut credentials = RegistryCredentials {
            token_hosts,
            docker_config: docker_config_path(),
            ..RegistryCredentials::default()
        };
        if let Some(token) = std::env::var("WASM_PLUGIN_REGISTRY_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
        {
            credentials.token = Some(token.trim().to_string());
        }
        if let Some(file) = token_file {
            let bytes = read_capped(file, "--registry-token-file", LIMITS.token_file)?;
            let token = String::from_utf8(bytes).map_err(|_| {
                format!("--registry-token-file {} is not UTF-8 text", file.display())
            })?;
            let token = token.trim();
            if token.is_empty() {
                return Err(format!(
                    "the registry token file {} is empty",
                    file.display()
                ));
            }
            credentials.token = Some(token.to_string());
        }
        Ok(credentials)
    }
}

/// The logins in the docker config at `path`, by `host[:port]`. A config
/// that is missing, cannot be read (not a regular file, over 1 MiB) or does
/// not parse holds none: a broken login is no credentials, as an entry in
/// it that cannot be used is.
pub(crate) fn docker_logins(path: &Path) -> HashMap<String, Credential> {
    read_capped(path, "the docker config", LIMITS.docker_config)
        .ok()
        .and_then(|bytes| parse_docker_config(&bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "t0ken\n").unwrap();
        assert_eq!(read_capped(&file, "--x", 6).unwrap(), b"t0ken\n");
        let err = read_capped(&file, "--x", 5).unwrap_err();
        assert!(err.contains("larger than 5 bytes"), "{err}");
        let err = read_capped(dir.path(), "--x", 5).unwrap_err();
        assert!(err.contains("is a directory, not a regular file"), "{err}");
        let err = read_capped(&dir.path().join("none"), "--x", 5).unwrap_err();
        assert!(err.starts_with("cannot read --x"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_named_pipes_are_refused_at_once() {
        let err = read_capped(Path::new("/dev/zero"), "--ca-cert", 1 << 20).unwrap_err();
        assert_eq!(
            err,
            "--ca-cert /dev/zero is a character device, not a regular file"
        );
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        // Without O_NONBLOCK the open would wait for a writer for ever.
        let err = read_capped(&fifo, "--registry-token-file", 64 << 10).unwrap_err();
        assert!(
            err.ends_with("is a named pipe, not a regular file"),
            "{err}"
        );
        assert!(docker_logins(&fifo).is_empty());
    }

    #[test]
    fn a_whole_system_ca_bundle_fits() {
        // Debian's, with every web root, is about 215 KiB.
        let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
        if bundle.exists() {
            read_capped(bundle, "--ca-cert", LIMITS.ca_cert).unwrap();
        }
        assert_eq!(size_text(LIMITS.token_file), "64 KiB");
        assert_eq!(size_text(LIMITS.ca_cert), "1 MiB");
    }
}
