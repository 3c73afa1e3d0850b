#![no_main]
//! Fuzz target `rotation`: see `wasm_plugin_guest::fuzzing::rotation`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::rotation(data));
