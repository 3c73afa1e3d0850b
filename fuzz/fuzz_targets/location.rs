#![no_main]
//! Fuzz target `location`: see `wasm_plugin_guest::fuzzing::location`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::location(data));
