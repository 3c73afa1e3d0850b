//! `install` and `upgrade`: the install pipeline (`crate::pipeline`) for
//! one spec. The pipeline lives below the verbs because `sync` runs it too.

pub use crate::pipeline::{
    DEFAULT_MAX_SIZE, InstallRequest, Mode, WorldRef, find_entry, find_oci_entry, install,
    read_index, remove_leftovers,
};
