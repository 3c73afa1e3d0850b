#![no_main]
//! Fuzz target `wit`: see `wasm_plugin_guest::fuzzing::wit`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::wit(data));
