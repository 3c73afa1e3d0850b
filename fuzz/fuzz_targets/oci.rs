#![no_main]
//! Fuzz target `oci`: see `wasm_plugin_guest::fuzzing::oci`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wasm_plugin_guest::fuzzing::oci(data));
