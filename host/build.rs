//! Composes and precompiles the WebAssembly components that
//! `host/components/` builds (its build script runs the nested cargo for
//! wasm32-wasip2, and names each file in `DEP_WASM_PLUGIN_COMPONENTS_*`),
//! and leaves them in OUT_DIR for the crate to embed:
//!
//! - the installer itself (`guest/`);
//! - its standard-WASI variant: the installer composed (by `wac-graph`) with
//!   `fetch-wasi-http/`, which implements its `fetch` import on wasi:http,
//!   and `digest-wasm/`, which implements its `digest` import in
//!   WebAssembly;
//! - that variant with `digest` left an import, for JavaScript hosts that
//!   hash natively (see `compose_wasi_http`);
//! - the installer compiled to native code for the target's CPU baseline
//!   (`precompile`), with the engine configuration the binary uses
//!   (`src/engine_config.rs`, shared), so that a first run loads code
//!   instead of compiling for seconds.
//!
//! Why two build scripts: this one needs wasmtime (a build-dependency, most
//! of a build's time), the components do not; built by a crate with no
//! dependencies, they need not wait for it.

#[path = "src/engine_config.rs"]
mod engine_config;

use sha2::{Digest, Sha256};
use std::env;
use std::path::PathBuf;

fn main() {
    let installer = built("INSTALLER");
    let fetch = built("FETCH_WASI_HTTP");
    let composed = compose_wasi_http(&installer, &fetch, Some(&built("DIGEST_WASM")));
    let host_digest = compose_wasi_http(&installer, &fetch, None);
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
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

/// The bytes of a component `host/components/` built, by its `cargo:` key;
/// this script runs again when the file changes.
fn built(key: &str) -> Vec<u8> {
    let var = format!("DEP_WASM_PLUGIN_COMPONENTS_{key}");
    let path = PathBuf::from(
        env::var_os(&var)
            .unwrap_or_else(|| panic!("{var} is set by the wasm-plugin-components dependency")),
    );
    println!("cargo:rerun-if-changed={}", path.display());
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("reading the built component {}: {e}", path.display()))
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
