//! `uninstall`: a plugin's files removed (`plugins_dir::remove`, which
//! `sync` uses too).

pub use crate::plugins_dir::remove::uninstall;
