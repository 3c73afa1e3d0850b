#![no_main]
//! Fuzz target `cosign_signature`: see `wasm_plugin_guest::fuzzing::cosign_signature`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::cosign_signature(data));
