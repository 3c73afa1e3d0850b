//! Builds the installer component (`guest/`), `fetch-wasi-http/` and
//! `digest-wasm/` for wasm32-wasip2 in a nested cargo, with the workspace's
//! `guest` profile, into a target directory of their own; copies them into
//! this build's OUT_DIR and hands their paths to `host/build.rs` (`cargo:`
//! metadata, read there as `DEP_WASM_PLUGIN_COMPONENTS_INSTALLER` and so on),
//! which composes, precompiles and embeds.
//!
//! Variables that cargo hands build scripts for the *host* build
//! (rustflags, target, profile overrides) are scrubbed: they break the wasm
//! build or silently change it. A missing wasm32-wasip2 target is installed
//! with rustup, so a fresh machine needs nothing by hand. The nested cargo
//! shares the outer one's jobserver (CARGO_MAKEFLAGS), so the two together
//! run no more jobs than asked for.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "guest";
/// What the nested build makes, each with the `cargo:` key host/build.rs
/// finds its path under (`DEP_WASM_PLUGIN_COMPONENTS_<KEY>`).
const ARTIFACTS: [(&str, &str); 3] = [
    ("installer", "wasm_plugin_guest.wasm"),
    ("fetch_wasi_http", "wasm_plugin_fetch_wasi_http.wasm"),
    ("digest_wasm", "wasm_plugin_digest_wasm.wasm"),
];

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir
        .ancestors()
        .nth(2)
        .expect("host/components/ is inside the workspace")
        .to_path_buf();
    for input in [
        "guest/src",
        "guest/templates",
        "guest/Cargo.toml",
        "fetch-wasi-http/src",
        "fetch-wasi-http/Cargo.toml",
        "digest-wasm/src",
        "digest-wasm/Cargo.toml",
        "wit",
        "Cargo.toml",
        "Cargo.lock",
        "rust-toolchain.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(input).display());
    }

    ensure_target();

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let target_dir = guest_target_dir(&out_dir);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(&root)
        .args(["build", "--lib"])
        .args(["--package", "wasm-plugin-guest"])
        .args(["--package", "wasm-plugin-fetch-wasi-http"])
        .args(["--package", "wasm-plugin-digest-wasm"])
        .args(["--target", TARGET, "--profile", PROFILE, "--target-dir"])
        .arg(&target_dir)
        // The nested build's output is for humans; stdout is for `cargo:` lines.
        .stdout(Stdio::from(std::io::stderr()));
    scrub_env(&mut build);
    // A `build.build-dir` the user configured would be the outer build's,
    // whose lock the outer cargo holds: the nested one would wait forever.
    build.env("CARGO_BUILD_BUILD_DIR", &target_dir);
    // SIMD speeds up SHA-256 and SHA-512 in the guest (sha2 has a simd128
    // backend); wasmtime enables the proposal by default.
    build.env(
        "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS",
        "-Ctarget-feature=+simd128",
    );
    let status = build
        .status()
        .unwrap_or_else(|e| panic!("could not run cargo to build the installer component: {e}"));
    if !status.success() {
        panic!(
            "building the installer component (guest/) for {TARGET} failed; see the errors above"
        );
    }
    // Copied into this build's own OUT_DIR, which is what host/build.rs
    // reads: the nested target directory is shared by the debug and release
    // builds (either may rewrite it while the other reads), and may be
    // deleted without this script knowing it must run again.
    let built = target_dir.join(TARGET).join(PROFILE);
    for (key, name) in ARTIFACTS {
        let (from, to) = (built.join(name), out_dir.join(name));
        std::fs::copy(&from, &to).unwrap_or_else(|e| {
            panic!(
                "copying the built component {} to {}: {e}",
                from.display(),
                to.display()
            )
        });
        println!("cargo:{key}={}", to.display());
    }
}

/// Installs the wasm32-wasip2 standard library when it is missing.
fn ensure_target() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if sysroot.is_some_and(|root| root.join("lib/rustlib").join(TARGET).exists()) {
        return;
    }
    println!("cargo:warning=installing the {TARGET} target with rustup (needed once)");
    let added = Command::new("rustup")
        .args(["target", "add", TARGET])
        .stdout(Stdio::from(std::io::stderr()))
        .status();
    match added {
        Ok(status) if status.success() => {}
        _ => panic!(
            "the {TARGET} target is missing and `rustup target add {TARGET}` failed; \
             run that command yourself (or install the target for your toolchain) and build again"
        ),
    }
}

/// Removes what cargo set for the host build and must not leak into the guest's.
fn scrub_env(cmd: &mut Command) {
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_TARGET_DIR",
    ] {
        cmd.env_remove(var);
    }
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_TARGET_") || key.starts_with("CARGO_PROFILE_") {
            cmd.env_remove(key.as_ref());
        }
    }
}

/// `<target>/wasm-plugin-guest`, shared by debug and release host builds so
/// the guest is built once. OUT_DIR is `<target>[/<triple>]/<profile>/build/<pkg>/out`.
fn guest_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .nth(4)
        .unwrap_or(out_dir)
        .join("wasm-plugin-guest")
}
