#![no_main]
//! Fuzz target `sparse`: see `wasm_plugin_guest::fuzzing::sparse`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::sparse(data));
