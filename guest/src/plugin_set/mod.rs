//! Declared plugin sets: `wasm-plugin.toml` (`manifest`), what a fleet of
//! hosts should hold, with the defaults the verbs take from it.

pub mod lock;
pub mod manifest;
