//! The wasm-plugin installer: everything that decides what gets installed.
//!
//! This crate compiles to a wasm32-wasip2 component (see `component.rs`, the
//! export) and natively, so the logic below is unit tested with plain
//! `cargo test`. The WIT's records are generated on every target (`wit`)
//! and the verbs return them. Inside the component it sees only the
//! directories the host preopened and reaches the network only through the
//! host's `fetch` import.
//!
//! The modules are wings, each using only those listed after it:
//! `verbs` (install, uninstall, audit, verify, publish, mirror, keygen and
//! sign, scaffold; no verb imports another) → `pipeline` (the install
//! pipeline `install`, `upgrade` and `sync` share: plan, then apply) →
//! `plugin_set` (the declared set and its lock) → `plugins_dir` (every path
//! under a destination, placement, removal, receipts, the index versions
//! seen) → `registry` (loading and trusting an index, its format, specs,
//! resolution) → `transfer` (where bytes are, reading and fetching them,
//! staging files) → `trust` (roots, signatures, digests, keys, worlds) →
//! the root: `wit`, `error`, `sandbox`, `limits`, `clock`.

pub mod clock;
pub mod error;
pub mod fuzzing;
pub mod limits;
pub mod pipeline;
pub mod plugin_set;
pub mod plugins_dir;
pub mod registry;
pub mod sandbox;
pub mod transfer;
pub mod trust;
pub mod verbs;
pub mod wit;

#[cfg(target_arch = "wasm32")]
mod component;
