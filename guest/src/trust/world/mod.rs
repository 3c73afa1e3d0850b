//! Whether a plugin fits the runtime's world: the component exports
//! everything the world exports, with the same types (the export half of
//! `wasm-tools component targets`). Imports are the capability policy's
//! concern (`capabilities`): a runtime offering WASI does not list it in
//! its plugin world.
//!
//! The types are read while the bytes stream, without holding them: the
//! [`Reducer`] keeps a component's type-bearing sections and replaces each
//! core module by a stub with the same imports, exports and function types
//! but no code, data or custom sections. wit-parser decodes that stub
//! component's world (validating it, bodies aside) exactly as it would the
//! whole component, and the two worlds are then compared structurally, as
//! the component model compares types (by shape; resources by name).

mod compare;
mod reduce;
#[cfg(test)]
mod tests;

pub use compare::TargetWorld;
pub use reduce::Reducer;
