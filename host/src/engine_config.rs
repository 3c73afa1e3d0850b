//! The wasmtime configuration the installer runs under, in a file of its
//! own because two programs need the same one: the binary, and
//! `build.rs`, which compiles the installer ahead of time with it.
//! wasmtime loads compiled code only into an engine configured the way the
//! one that compiled it was, so the two must not drift apart.

/// The engine's settings (compiler flags and runtime behaviour alike).
pub fn config() -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config.parallel_compilation(true);
    // Wasm-level backtraces are never shown to users: leaving their
    // address maps out shrinks the compiled component, which every run loads.
    config.generate_address_map(false);
    // Lets a call be stopped at its deadline or on SIGINT/SIGTERM.
    config.epoch_interruption(true);
    config
}
