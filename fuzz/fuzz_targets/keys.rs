#![no_main]
//! Fuzz target `keys`: see `wasm_plugin_guest::fuzzing::keys`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::keys(data));
