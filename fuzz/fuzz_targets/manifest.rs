#![no_main]
//! Fuzz target `manifest`: see `wasm_plugin_guest::fuzzing::manifest`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::manifest(data));
