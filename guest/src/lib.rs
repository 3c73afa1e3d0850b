//! The wasm-plugin installer: everything that decides what gets installed.
//!
//! This crate compiles to a wasm32-wasip2 component (see `component.rs`, the
//! only module that knows about WIT) and natively, so the logic below is unit
//! tested with plain `cargo test`. Inside the component it sees only the
//! directories the host preopened and reaches the network only through the
//! host's `fetch` import.

pub mod audit;
pub mod clock;
pub mod digest;
pub mod error;
pub mod fuzzing;
pub mod index;
pub mod install;
pub mod installed;
pub mod keys;
pub mod limits;
pub mod location;
pub mod mirror;
pub mod name;
pub mod place;
pub mod publish;
pub mod receipt;
pub mod registry;
pub mod resolve;
pub mod sandbox;
pub mod scaffold;
pub mod sink;
pub mod source;
pub mod spec;
pub mod stream;
pub mod trust;
pub mod uninstall;
pub mod verify;

#[cfg(target_arch = "wasm32")]
mod component;
