#![no_main]
//! Fuzz target `expiry`: see `wasm_plugin_guest::fuzzing::expiry`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::expiry(data));
