//! Builds wasm-plugin's WebAssembly components for `wasm32-wasip2`: the
//! installer (`guest/`), `fetch-wasi-http/` and `digest-wasm/`.
//!
//! Nothing is exported. The crate exists for its build script, which runs a
//! nested cargo with the workspace's `guest` profile and tells the host's
//! build script (`host/build.rs`, which composes, precompiles and embeds the
//! components) where they are. It is its own crate so that it depends on
//! nothing: it need not wait for wasmtime (the host build script's
//! dependency), and the components (about 90 s of a 2-core machine) build
//! while the rest of wasmtime does, rather than after it.
