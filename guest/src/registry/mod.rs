//! Registries: reading an index and deciding whether to believe it
//! (`load`: its signature and expiry), its format (`index`), what a user
//! asks for (`spec`, `name`) and which entry answers it (`resolve`); OCI
//! registries, whose tags are the versions and manifests the entries (`oci`);
//! the `N.root.json` versions a registry serves to rotate keys (`rotation`);
//! sparse registries, one file per plugin beside a `config.json` (`sparse`,
//! and `sparse_write`, which writes one).

pub mod index;
mod load;
pub mod name;
pub mod oci;
pub mod resolve;
pub mod rotation;
pub mod sparse;
pub mod sparse_write;
pub mod spec;

pub use crate::transfer::location::RegistryRef;
pub use load::*;
