//! The WIT's types, generated from `wit/installer.wit` on every target, so
//! that a record is defined once: the verbs build and return these records
//! themselves. `component.rs` (wasm32 only) exports the installer.
//!
//! The bindings of the `fetch` and `digest` imports compile natively too,
//! as stubs that panic when called: nothing calls them off wasm32, since
//! the code reaches the network through the crate's `Fetcher` trait, which
//! only the component implements with them, and hashes streams through
//! `trust::digest::StreamHasher`, which natively uses `sha2`.

wit_bindgen::generate!({
    path: "../wit",
    world: "installer-component",
    // Verbs compare what they decided (in tests, and `Error` is `Eq`).
    additional_derives: [PartialEq, Eq],
});

pub use exports::wasm_plugin::installer::installer::*;
pub use wasm_plugin::installer::digest;
pub use wasm_plugin::installer::fetch as host;
