//! The verbs, one file each: its flags (the clap struct), its `impl Verb`
//! (what it takes from the manifest, how its flags lower to a request, how
//! it runs), its renderer and the renderer's tests. Each file is declared
//! here; each verb is registered by its line in the `verbs!` table in
//! `cli/mod.rs`.
//!
//! Flag groups several verbs take are in `cli/args.rs`; what renderers
//! share (the `Printer`, tables, versions as shown) in `cli/output/`. A
//! verb whose report is another verb's prints it with that verb's
//! renderer: upgrade with install's, lock with sync's, search with list's
//! (whose `IndexCheck` info takes too). No verb uses another otherwise.

pub mod audit;
pub mod completions;
pub mod component;
pub mod forget_registry;
pub mod info;
pub mod install;
pub mod keygen;
pub mod list;
pub mod lock;
pub mod man;
pub mod mirror;
pub mod new;
pub mod outdated;
pub mod publish;
pub mod search;
pub mod sign;
pub mod sync;
pub mod trust;
pub mod uninstall;
pub mod upgrade;
pub mod verify;
pub mod verify_bundle;
