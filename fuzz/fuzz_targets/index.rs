#![no_main]
//! Fuzz target `index`: see `wasm_plugin_guest::fuzzing::index`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::index(data));
