//! End-to-end tests: the real `wasm-plugin` binary against registries made
//! in temp dirs and servers on 127.0.0.1 started by the tests themselves.

mod capabilities;
mod compatibility;
mod component;
mod docs;
mod hardening;
mod http;
mod install;
mod lifecycle;
mod list;
mod loader_format;
mod minisign;
mod oci;
mod operator;
mod plugin_host;
mod plugin_set;
mod publisher;
mod scaffold;
mod server;
mod sigstore;
mod sigstore_cosign;
mod sigstore_install;
mod sigstore_oci;
mod sparse;
mod stock_runtime;
mod transport;
mod trust_roles;
mod util;
mod verify;
