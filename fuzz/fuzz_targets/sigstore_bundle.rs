#![no_main]
//! Fuzz target `sigstore_bundle`: see `wasm_plugin_guest::fuzzing::sigstore_bundle`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::sigstore_bundle(data));
