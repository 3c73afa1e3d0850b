#![no_main]
//! Fuzz target `receipt`: see `wasm_plugin_guest::fuzzing::receipt`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::receipt(data));
