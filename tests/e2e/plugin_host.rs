//! The example runtime (`host/examples/plugin-host.rs`) end to end: it
//! installs through the library, verifies before loading, runs the `hello`
//! plugin with wasmtime, and reloads when the plugins directory changes.

use crate::util::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

fn example() -> std::path::PathBuf {
    std::path::Path::new(bin())
        .parent()
        .unwrap()
        .join("examples/plugin-host")
}

/// The runtime, running, and its output line by line.
struct Host {
    child: Child,
    lines: Receiver<String>,
}

impl Host {
    /// Waits for a line containing `text`, failing after 60 s.
    #[track_caller]
    fn expect(&self, text: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("the runtime never said {text:?}"));
            if line.contains(text) {
                return line;
            }
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_example_runtime_installs_verifies_runs_and_reloads() {
    let env = Env::new();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let index = repo.join("examples/registry/index.json");
    let trust = repo.join("examples/registry/trust");
    let mut child = Command::new(example())
        .args(["--registry", index.to_str().unwrap(), "--trust-root"])
        .arg(&trust)
        .args([
            "--dir",
            "plugins",
            "--install",
            "hello",
            "--input",
            "ping",
            "--watch",
            "120",
        ])
        .current_dir(&env.root)
        .env("XDG_CACHE_HOME", shared_cache())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the example is built by cargo test");
    let stdout = child.stdout.take().unwrap();
    let (send, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    let host = Host { child, lines };
    host.expect("update: hello 0.1.0 (installed)");
    host.expect(r#"loaded hello 0.1.0: handle("ping") -> "ping""#);

    // A tampered plugin is refused, not loaded.
    let wasm = env.path("plugins/hello.wasm");
    let mut bytes = std::fs::read(&wasm).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&wasm, &bytes).unwrap();
    let refused = host.expect("refused");
    assert!(refused.contains("signature-untrusted"), "{refused}");

    // Reinstalled with the CLI: loaded again.
    let index = index.display().to_string();
    let trust = trust.display().to_string();
    env.run(&[
        "install",
        "hello",
        "--registry",
        &index,
        "--dest",
        "plugins",
        "--trust-root",
        &trust,
    ])
    .expect(OK);
    host.expect("loaded hello 0.1.0");

    // Uninstalled: unloaded.
    env.run(&["uninstall", "hello", "--dest", "plugins"])
        .expect(OK);
    host.expect("loaded: no plugins");
}
