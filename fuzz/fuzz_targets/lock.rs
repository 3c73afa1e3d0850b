#![no_main]
//! Fuzz target `lock`: see `wasm_plugin_guest::fuzzing::lock`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::lock(data));
