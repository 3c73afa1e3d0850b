#![no_main]
//! Fuzz target `sigstore_policy`: see `wasm_plugin_guest::fuzzing::sigstore_policy`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::sigstore_policy(data));
