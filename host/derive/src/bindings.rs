//! `installer_bindings!()`: the host's bindings to `wit/installer.wit`.
//!
//! This is what `wasmtime::component::bindgen!` generates for the
//! `installer-component` world, from the same generator wasmtime's macro
//! uses and with the options the host needs, plus one thing bindgen has no
//! option for: every record, variant and enum of the exported `installer`
//! interface is marked `#[non_exhaustive]`. The library re-exports those
//! types as its reports (and a few as parts of requests, which it gives
//! constructors), so a field or case added to the WIT later must not break
//! code that matches on them or names their fields. The imported `fetch`
//! interface's types are left alone: a runtime's own fetch builds them.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use std::path::PathBuf;
use syn::{Attribute, Item, parse_quote};
use wasmtime_wit_bindgen::{FunctionFilter, FunctionFlags, Opts};
use wit_parser::Resolve;

/// The workspace's WIT directory.
const WIT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../wit");
/// The world the host runs.
const WORLD: &str = "installer-component";

pub fn expand() -> Result<TokenStream, String> {
    let (mut resolve, world, files) = load()?;
    let source = options()
        .generate(&mut resolve, world)
        .map_err(|e| format!("generating bindings: {e:#}"))?;
    let mut file = syn::parse_file(&source).map_err(|e| format!("reading bindings: {e}"))?;
    for item in &mut file.items {
        if let Item::Mod(m) = item
            && m.ident == "exports"
        {
            mark_non_exhaustive(item);
        }
    }
    // rustc rebuilds the crate when a WIT file changes only if it knows the
    // file was read.
    let reads = files.iter().map(|path| {
        let path = path.display().to_string();
        quote!(
            const _: &[u8] = include_bytes!(#path);
        )
    });
    Ok(quote! { #file #(#reads)* })
}

/// What `bindgen!({ path, world, imports: { default: trappable }, with,
/// additional_derives })` in the host would set.
fn options() -> Opts {
    let mut opts = Opts::default();
    opts.imports
        .push(FunctionFilter::Default, FunctionFlags::TRAPPABLE);
    // The response body is the host's own resource type (`engine::Body`).
    opts.with
        .insert("wasm-plugin:installer/fetch.body".into(), "Body".into());
    // A hash in progress is the host's `digest::Hasher`.
    opts.with.insert(
        "wasm-plugin:installer/digest.hasher".into(),
        "crate::digest::Hasher".into(),
    );
    // The WIT is the one definition of every record the library returns;
    // `WitSerialize` serializes them as the project's JSON spells them.
    opts.additional_derive_attributes = ["wasm_plugin_derive::WitSerialize", "PartialEq", "Eq"]
        .map(String::from)
        .to_vec();
    opts
}

fn load() -> Result<(Resolve, wit_parser::WorldId, Vec<PathBuf>), String> {
    let dir = PathBuf::from(WIT_DIR);
    let dir = dir.canonicalize().unwrap_or(dir);
    let mut resolve = Resolve {
        all_features: true,
        ..Default::default()
    };
    let (package, sources) = resolve
        .push_path(&dir)
        .map_err(|e| format!("reading {}: {e:#}", dir.display()))?;
    let world = resolve
        .select_world(&[package], Some(WORLD))
        .map_err(|e| format!("world {WORLD}: {e:#}"))?;
    let files = sources.paths().map(PathBuf::from).collect();
    Ok((resolve, world, files))
}

fn mark_non_exhaustive(item: &mut Item) {
    let attribute: Attribute = parse_quote!(#[non_exhaustive]);
    match item {
        Item::Mod(m) => {
            for item in m.content.iter_mut().flat_map(|(_, items)| items) {
                mark_non_exhaustive(item);
            }
        }
        Item::Struct(s) if is_wit_type(&s.attrs) => s.attrs.push(attribute),
        Item::Enum(e) if is_wit_type(&e.attrs) => e.attrs.push(attribute),
        _ => {}
    }
}

/// Whether bindgen derived the component model's traits for the type
/// (`#[component(record | variant | enum)]`), as opposed to its own helpers.
fn is_wit_type(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("component"))
        && attrs.iter().any(|a| {
            a.path().is_ident("derive") && a.to_token_stream().to_string().contains("ComponentType")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record, variant and enum of the exported interface, and
    /// nothing of the imported one.
    #[test]
    fn exported_types_are_marked_and_imported_ones_are_not() {
        let tokens = expand().expect("the bindings generate");
        let file: syn::File = syn::parse2(tokens).expect("they parse");
        let mut marked = Vec::new();
        let mut unmarked = Vec::new();
        fn walk(items: &[Item], path: &str, marked: &mut Vec<String>, unmarked: &mut Vec<String>) {
            for item in items {
                let (ident, attrs) = match item {
                    Item::Mod(m) => {
                        let path = format!("{path}::{}", m.ident);
                        let items = m.content.as_ref().map_or(&[][..], |(_, i)| i);
                        walk(items, &path, marked, unmarked);
                        continue;
                    }
                    Item::Struct(s) => (&s.ident, &s.attrs),
                    Item::Enum(e) => (&e.ident, &e.attrs),
                    _ => continue,
                };
                if !is_wit_type(attrs) {
                    continue;
                }
                let name = format!("{path}::{ident}");
                if attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
                    marked.push(name);
                } else {
                    unmarked.push(name);
                }
            }
        }
        walk(&file.items, "", &mut marked, &mut unmarked);
        let installer = "::exports::wasm_plugin::installer::installer::";
        for report in [
            "InstallReport",
            "AuditReport",
            "FindingKind",
            "InstallAction",
            "ErrorDetail",
        ] {
            assert!(
                marked.contains(&format!("{installer}{report}")),
                "{report}: {marked:?}"
            );
        }
        assert!(
            marked.iter().all(|name| name.starts_with(installer)),
            "{marked:?}"
        );
        let fetch = "::wasm_plugin::installer::fetch::";
        for record in ["ResponseHead", "FetchError", "Request"] {
            assert!(
                unmarked.contains(&format!("{fetch}{record}")),
                "{record}: {unmarked:?}"
            );
        }
    }
}
