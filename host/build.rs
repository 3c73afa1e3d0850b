//! Builds the installer component (`guest/`) for wasm32-wasip2 and embeds it,
//! with its standard-WASI variant: the installer composed (by `wac-graph`)
//! with `fetch-wasi-http/`, which implements its `fetch` import on wasi:http,
//! and `digest-wasm/`, which implements its `digest` import in WebAssembly;
//! and that variant with `digest` left an import, for JavaScript hosts that
//! hash natively (see `compose_wasi_http`).
//!
//! The installer is then compiled to native code for the target's CPU
//! baseline (`precompile`), with the engine configuration the binary uses
//! (`src/engine_config.rs`, shared), so that a first run loads code instead
//! of compiling for seconds.
//!
//! A nested cargo builds the three components with the workspace's `guest` profile into
//! its own target directory. Variables that cargo hands build scripts for the
//! *host* build (rustflags, target, profile overrides) are scrubbed: they
//! break the wasm build or silently change it. A missing wasm32-wasip2 target
//! is installed with rustup, so a fresh machine needs nothing by hand.

#[path = "src/engine_config.rs"]
mod engine_config;

use sha2::{Digest, Sha256};
use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "guest";
const ARTIFACT: &str = "wasm_plugin_guest.wasm";
const FETCH_ARTIFACT: &str = "wasm_plugin_fetch_wasi_http.wasm";
const DIGEST_ARTIFACT: &str = "wasm_plugin_digest_wasm.wasm";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir
        .parent()
        .expect("host/ is inside the workspace")
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

    let built = target_dir.join(TARGET).join(PROFILE);
    let read = |name: &str| {
        let path = built.join(name);
        std::fs::read(&path)
            .unwrap_or_else(|e| panic!("reading the built component {}: {e}", path.display()))
    };
    let installer = read(ARTIFACT);
    let fetch = read(FETCH_ARTIFACT);
    let composed = compose_wasi_http(&installer, &fetch, Some(&read(DIGEST_ARTIFACT)));
    let host_digest = compose_wasi_http(&installer, &fetch, None);
    std::fs::write(out_dir.join("installer.wasm"), &installer)
        .expect("writing the component into OUT_DIR");
    std::fs::write(out_dir.join("installer-wasi-http.wasm"), &composed)
        .expect("writing the wasi:http component into OUT_DIR");
    std::fs::write(
        out_dir.join("installer-wasi-http-host-digest.wasm"),
        &host_digest,
    )
    .expect("writing the wasi:http component (host digest) into OUT_DIR");
    let precompiled = precompile(&installer);
    std::fs::write(out_dir.join("installer.cwasm"), &precompiled)
        .expect("writing the precompiled component into OUT_DIR");
    println!(
        "cargo:rustc-env=INSTALLER_BUILT_IN_SHA256={}",
        hex::encode(Sha256::digest(&precompiled))
    );
    println!(
        "cargo:rustc-env=INSTALLER_COMPONENT_SHA256={}",
        hex::encode(Sha256::digest(&installer))
    );
}

/// x86-64-v2 (2009 on; what RHEL 9 requires): SSE3 to SSE4.2, POPCNT and
/// CMPXCHG16B. With SSE2 alone, cranelift lowers the guest's wasm SIMD (it
/// is built with simd128) to long instruction sequences: a 512 MiB install
/// took 5.8 times as long as with the building machine's features, and with
/// these it takes the same time (measured 2026-12-07). A CPU without them
/// (rare since 2009) is one wasmtime refuses the code on: it compiles.
const X86_64_V2: &[&str] = &[
    "has_sse3",
    "has_ssse3",
    "has_sse41",
    "has_sse42",
    "has_popcnt",
    "has_cmpxchg16b",
];

/// The installer compiled for the build's target with no CPU feature past
/// a baseline (`Config::target` turns off detecting the building
/// machine's; `X86_64_V2` on x86-64, the architecture's own elsewhere), so
/// a binary copied to any machine of the architecture loads it. Empty when wasmtime cannot compile for the
/// target: the binary then compiles at first run, as it does when wasmtime
/// refuses this code.
fn precompile(installer: &[u8]) -> Vec<u8> {
    let target = env::var("TARGET").expect("set by cargo");
    let compile = || -> wasmtime::Result<Vec<u8>> {
        let mut config = engine_config::config();
        config.target(&target)?;
        if env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64") {
            for flag in X86_64_V2 {
                // SAFETY: the flags only describe the CPU the code is for;
                // wasmtime checks each against the CPU it runs on before
                // loading the code, and the binary compiles where it refuses.
                unsafe {
                    config.cranelift_flag_enable(flag);
                }
            }
        }
        wasmtime::Engine::new(&config)?.precompile_component(installer)
    };
    compile().unwrap_or_else(|e| {
        println!(
            "cargo:warning=the installer is not precompiled for {target} ({e}); \
             the binary will compile it on first run"
        );
        Vec::new()
    })
}

/// Plugs the wasi:http `fetch` and (if given) the WebAssembly `digest` into
/// the installer's imports of them; the result exports the installer
/// interface and imports what they import from `wasi:*`, and `digest` when
/// none is given.
///
/// Why a variant without the WebAssembly `digest`: a call between composed
/// components copies its bytes from one linear memory to the other, and
/// jco on a JavaScript engine without multi-memory (Node 20) does that a
/// byte at a time through JavaScript: 2.6 MB/s, where the artefact's bytes
/// go to two hashes. A JavaScript host hashes them with its own crypto.
fn compose_wasi_http(installer: &[u8], fetch: &[u8], digest: Option<&[u8]>) -> Vec<u8> {
    use wac_graph::{CompositionGraph, EncodeOptions, types::Package};
    let compose = || -> Result<Vec<u8>, String> {
        let mut graph = CompositionGraph::new();
        let mut register = |name: &str, bytes: &[u8]| {
            let package = Package::from_bytes(name, None, bytes.to_vec(), graph.types_mut())
                .map_err(|e| format!("reading {name}: {e:#}"))?;
            graph
                .register_package(package)
                .map_err(|e| format!("registering {name}: {e:#}"))
        };
        let socket = register("wasm-plugin:installer", installer)?;
        let mut plugs = vec![register("wasm-plugin:fetch-wasi-http", fetch)?];
        if let Some(digest) = digest {
            plugs.push(register("wasm-plugin:digest-wasm", digest)?);
        }
        wac_graph::plug(&mut graph, plugs, socket).map_err(|e| format!("plugging: {e:#}"))?;
        graph
            .encode(EncodeOptions::default())
            .map_err(|e| format!("encoding: {e:#}"))
    };
    compose().unwrap_or_else(|e| panic!("composing the wasi:http installer component: {e}"))
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
