#![no_main]
//! Fuzz target `capabilities`: see `wasm_plugin_guest::fuzzing::capabilities`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::capabilities(data));
