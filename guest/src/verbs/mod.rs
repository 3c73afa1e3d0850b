//! What the installer does, one module per operation. Each reads as a few
//! named phases over the wings below it (registry, plugins directory,
//! transfer, trust); `component.rs` exposes them through WIT. No verb
//! imports another: what two share lives in a wing below (the install
//! pipeline in `pipeline`, removal in `plugins_dir::remove`).

pub mod audit;
pub mod convert;
pub mod install;
pub mod keys;
pub mod mirror;
pub mod outdated;
pub mod publish;
pub mod scaffold;
pub mod sync;
pub mod trust;
pub mod uninstall;
pub mod verify;
pub mod verify_bundle;
