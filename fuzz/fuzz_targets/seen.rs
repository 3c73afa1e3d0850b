#![no_main]
//! Fuzz target `seen`: see `wasm_plugin_guest::fuzzing::seen`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::seen(data));
