#![no_main]
//! Fuzz target `spec`: see `wasm_plugin_guest::fuzzing::spec`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::spec(data));
