//! Sigstore bundles, verified offline inside the component.
//!
//! `provider` is the cryptography sigstore-verify runs on here.

pub mod provider;
