//! The host's macros for `wit/installer.wit`, so that the WIT stays the one
//! definition of every record the library returns.
//!
//! `installer_bindings!()` generates the host's bindings: what
//! `wasmtime::component::bindgen!` generates, with the reports marked
//! `#[non_exhaustive]`, which bindgen cannot do (see `bindings.rs`).
//!
//! `#[derive(WitSerialize)]`: `serde::Serialize` for the generated types.
//! serde's own derive cannot be used there: bindgen emits no `#[serde]`
//! attributes, so an `enum` case would serialize as its Rust name
//! (`Installed`) where the project's JSON has always used the WIT name
//! (`installed`). This derive reads the WIT name bindgen records on every
//! case (`#[component(name = "...")]`) and writes:
//!
//! - a record as an object of its fields, named as in Rust (snake_case);
//! - an `enum` case as the string of its WIT name (`"signature-missing"`);
//! - a `variant` case as `{"kind": "<WIT name>", "value": <payload>}`, or
//!   `{"kind": "<WIT name>"}` without one.
//!
//! It implements `Serialize` only; it generates nothing else.

mod bindings;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{Attribute, Data, DeriveInput, Fields, LitStr, parse_macro_input};

/// The host's bindings to `wit/installer.wit` (see `bindings.rs`): what
/// `wasmtime::component::bindgen!` generates, with every record, variant
/// and enum of the exported interface `#[non_exhaustive]`.
#[proc_macro]
pub fn installer_bindings(input: TokenStream) -> TokenStream {
    if !input.is_empty() {
        return quote!(compile_error!("installer_bindings!() takes no arguments");).into();
    }
    match bindings::expand() {
        Ok(tokens) => tokens.into(),
        Err(e) => quote!(compile_error!(#e);).into(),
    }
}

/// See the crate documentation.
#[proc_macro_derive(WitSerialize)]
pub fn derive(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match body(&input) {
        Ok(body) => {
            let name = &input.ident;
            let (generics, types, clause) = input.generics.split_for_impl();
            quote! {
                impl #generics ::serde::Serialize for #name #types #clause {
                    fn serialize<S: ::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> ::core::result::Result<S::Ok, S::Error> {
                        #body
                    }
                }
            }
            .into()
        }
        Err(e) => e.to_compile_error().into(),
    }
}

fn body(input: &DeriveInput) -> syn::Result<Tokens> {
    match &input.data {
        Data::Struct(data) => record(input, &data.fields),
        Data::Enum(data) => {
            let arms = data
                .variants
                .iter()
                .map(|case| {
                    let ident = &case.ident;
                    let name = wit_name(&case.attrs)?.unwrap_or_else(|| ident.to_string());
                    Ok(match &case.fields {
                        Fields::Unit if is_variant(input) => quote! {
                            Self::#ident => {
                                use ::serde::ser::SerializeMap;
                                let mut map = serializer.serialize_map(Some(1))?;
                                map.serialize_entry("kind", #name)?;
                                map.end()
                            }
                        },
                        Fields::Unit => quote! { Self::#ident => serializer.serialize_str(#name) },
                        Fields::Unnamed(f) if f.unnamed.len() == 1 => quote! {
                            Self::#ident(value) => {
                                use ::serde::ser::SerializeMap;
                                let mut map = serializer.serialize_map(Some(2))?;
                                map.serialize_entry("kind", #name)?;
                                map.serialize_entry("value", value)?;
                                map.end()
                            }
                        },
                        _ => {
                            return Err(syn::Error::new_spanned(
                                case,
                                "a WIT case has at most one payload",
                            ));
                        }
                    })
                })
                .collect::<syn::Result<Vec<_>>>()?;
            Ok(quote! { match self { #(#arms,)* } })
        }
        Data::Union(_) => Err(syn::Error::new_spanned(&input.ident, "WIT has no unions")),
    }
}

/// A record: its fields in order, under their Rust names.
fn record(input: &DeriveInput, fields: &Fields) -> syn::Result<Tokens> {
    let Fields::Named(fields) = fields else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "a WIT record has named fields",
        ));
    };
    let name = input.ident.to_string();
    let count = fields.named.len();
    let entries = fields.named.iter().map(|f| {
        let ident = f.ident.as_ref().expect("named");
        let key = ident.to_string();
        let key = key.strip_prefix("r#").unwrap_or(&key).to_string();
        quote! { state.serialize_field(#key, &self.#ident)?; }
    });
    Ok(quote! {
        use ::serde::ser::SerializeStruct;
        let mut state = serializer.serialize_struct(#name, #count)?;
        #(#entries)*
        state.end()
    })
}

/// Whether bindgen marked the type a WIT `variant` (`#[component(variant)]`)
/// rather than an `enum`: a variant's payload-less case is still an
/// object, so that every case of one type has one shape.
fn is_variant(input: &DeriveInput) -> bool {
    input.attrs.iter().any(|a| {
        a.path().is_ident("component")
            && a.parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "variant")
    })
}

/// The `name` of a case's `#[component(name = "...")]`.
fn wit_name(attrs: &[Attribute]) -> syn::Result<Option<String>> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("component")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                found = Some(meta.value()?.parse::<LitStr>()?.value());
            }
            Ok(())
        })?;
    }
    Ok(found)
}
