#![no_main]
//! Fuzz target `world`: see `wasm_plugin_guest::fuzzing::world`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::world(data));
