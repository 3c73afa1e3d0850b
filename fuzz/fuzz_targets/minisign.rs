#![no_main]
//! Fuzz target `minisign`: see `wasm_plugin_guest::fuzzing::minisign`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::minisign(data));
