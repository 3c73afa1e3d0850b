#![no_main]
//! Fuzz target `root`: see `wasm_plugin_guest::fuzzing::root`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::root(data));
