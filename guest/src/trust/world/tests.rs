//! Worlds parsed, binaries reduced while they stream, and the two compared.

use super::*;
use crate::limits::{MAX_NESTED, MAX_NESTING};
use reduce::{CORE_MODULE, write_leb};
use std::path::Path;

const PLUGIN_WIT: &str = "package wasm-plugin:plugin@0.1.0;
    world plugin {
        export name: func() -> string;
        export handle: func(input: list<u8>) -> result<list<u8>, string>;
    }";

fn world(text: &str, name: Option<&str>) -> TargetWorld {
    TargetWorld::parse(Path::new("plugin.wit"), text, name).unwrap()
}

/// A component exporting `name` and, under `handle_as`, a function of
/// type `handle_type`; with a custom section of `padding` bytes in its
/// core module and at the top.
fn component(handle_as: &str, handle_type: &str, padding: usize) -> Vec<u8> {
    let mut bytes = wat::parse_str(format!(
        r#"(component
             (core module $m
               (memory (export "memory") 1)
               (func (export "realloc") (param i32 i32 i32 i32) (result i32) unreachable)
               (func (export "name") (result i32) unreachable)
               (func (export "handle") (param i32 i32) (result i32) unreachable)
               (@custom "padding" "{pad}"))
             (core instance $i (instantiate $m))
             (alias core export $i "memory" (core memory $mem))
             (alias core export $i "realloc" (core func $realloc))
             (func $name (result string)
               (canon lift (core func $i "name") (memory $mem) (realloc $realloc)))
             (func $handle {handle_type}
               (canon lift (core func $i "handle") (memory $mem) (realloc $realloc)))
             (export "name" (func $name))
             (export "{handle_as}" (func $handle)))"#,
        pad = "x".repeat(padding),
    ))
    .unwrap();
    // A custom section at the top, after everything.
    bytes.push(0);
    write_leb(&mut bytes, 5 + padding as u64);
    bytes.extend_from_slice(b"\x04tail");
    bytes.extend(std::iter::repeat_n(b'y', padding));
    bytes
}

const HANDLE: &str = r#"(param "input" (list u8)) (result (result (list u8) (error string)))"#;

fn reduce_in_pieces(bytes: &[u8], piece: usize) -> std::result::Result<Vec<u8>, String> {
    let mut reducer = Reducer::new();
    for chunk in bytes.chunks(piece) {
        reducer.update(chunk);
    }
    reducer.finish()
}

#[test]
fn a_component_exporting_the_world_fits_whatever_the_pieces() {
    let target = world(PLUGIN_WIT, None);
    let bytes = component("handle", HANDLE, 100);
    let whole = reduce_in_pieces(&bytes, bytes.len()).unwrap();
    assert_eq!(target.check(&whole), Ok(()));
    for piece in 1..=40 {
        assert_eq!(
            reduce_in_pieces(&bytes, piece).as_ref(),
            Ok(&whole),
            "{piece}"
        );
    }
}

#[test]
fn custom_sections_and_code_are_not_held() {
    let bytes = component("handle", HANDLE, 2 << 20);
    let reduced = reduce_in_pieces(&bytes, 64 << 10).unwrap();
    assert!(reduced.len() < 4096, "{}", reduced.len());
    assert_eq!(world(PLUGIN_WIT, None).check(&reduced), Ok(()));
}

#[test]
fn a_renamed_export_is_named() {
    let target = world(PLUGIN_WIT, None);
    let reduced = reduce_in_pieces(&component("handle-event", HANDLE, 0), 7).unwrap();
    let mismatch = target.check(&reduced).unwrap_err();
    assert!(
        mismatch.contains("does not export `handle`, which the world exports"),
        "{mismatch}"
    );
    assert_eq!(
        target.missing_from(&["name".into(), "handle-event".into()]),
        Some(mismatch)
    );
    assert_eq!(target.missing_from(&["name".into(), "handle".into()]), None);
}

#[test]
fn another_type_is_shown_beside_the_worlds() {
    let target = world(PLUGIN_WIT, None);
    let other = r#"(param "input" string) (result (result (list u8) (error string)))"#;
    let reduced = reduce_in_pieces(&component("handle", other, 0), 3).unwrap();
    let mismatch = target.check(&reduced).unwrap_err();
    assert!(
        mismatch.contains(
            "its `handle` is `func(input: string) -> result<list<u8>, string>` where the \
             world's is `func(input: list<u8>) -> result<list<u8>, string>`"
        ),
        "{mismatch}"
    );
    // A parameter's name is part of the type.
    let renamed = r#"(param "data" (list u8)) (result (result (list u8) (error string)))"#;
    let reduced = reduce_in_pieces(&component("handle", renamed, 0), 1024).unwrap();
    assert!(target.check(&reduced).is_err());
}

#[test]
fn a_plugin_may_export_more_than_the_world() {
    let target = world(
        "package a:b; world w { export handle: func(input: list<u8>) -> result<list<u8>, string>; }",
        None,
    );
    let reduced = reduce_in_pieces(&component("handle", HANDLE, 0), 1024).unwrap();
    assert_eq!(target.check(&reduced), Ok(()));
}

#[test]
fn interfaces_are_compared_function_by_function() {
    let wit = "package test:w@0.1.0;
        interface api { area: func(w: u32, h: u32) -> u64; }
        world w { export api; }";
    let exported = |result: &str| {
        wat::parse_str(format!(
            r#"(component
                 (core module $m (func (export "area") (param i32 i32) (result {core}) unreachable))
                 (core instance $i (instantiate $m))
                 (func $area (param "w" u32) (param "h" u32) (result {result})
                   (canon lift (core func $i "area")))
                 (instance $api (export "area" (func $area)))
                 (export "test:w/api@0.1.0" (instance $api)))"#,
            core = if result == "u64" { "i64" } else { "i32" },
        ))
        .unwrap()
    };
    let target = world(wit, None);
    assert_eq!(target.export_names(), ["test:w/api@0.1.0"]);
    let fits = reduce_in_pieces(&exported("u64"), 5).unwrap();
    assert_eq!(target.check(&fits), Ok(()));
    let mismatch = target
        .check(&reduce_in_pieces(&exported("u32"), 5).unwrap())
        .unwrap_err();
    assert!(mismatch.contains("test:w/api@0.1.0#area"), "{mismatch}");
}

#[test]
fn what_cannot_be_judged_says_why() {
    let module = wat::parse_str("(module (func (export \"handle\")))").unwrap();
    let reason = reduce_in_pieces(&module, 3).unwrap_err();
    assert!(reason.contains("core module"), "{reason}");
    assert!(
        reduce_in_pieces(b"not wasm at all", 3)
            .unwrap_err()
            .contains("not a WebAssembly")
    );
    let bytes = component("handle", HANDLE, 10);
    for cut in [4, 9, 40, bytes.len() - 1] {
        assert!(reduce_in_pieces(&bytes[..cut], 7).is_err(), "{cut}");
    }
    // A function count no section could hold.
    let mut lie = wat::parse_str("(component (core module (type (func)) (func) (func)))").unwrap();
    let at = lie
        .windows(3)
        .position(|w| w == [3, 3, 2])
        .expect("the function section");
    lie[at + 2] = 0x7f;
    assert!(reduce_in_pieces(&lie, 1).is_err());
}

#[test]
fn nesting_types_and_size_are_bounded() {
    // Empty nested components, one inside the other, past the depth.
    let mut deep = String::from("(component");
    for _ in 0..=MAX_NESTING {
        deep.push_str(" (component");
    }
    deep.push_str(&")".repeat(MAX_NESTING + 2));
    let reason = reduce_in_pieces(&wat::parse_str(&deep).unwrap(), 64).unwrap_err();
    assert!(reason.contains("nest too deep"), "{reason}");
    // Side by side, past the count: each costs its level, so many
    // cannot grow the stub unchecked.
    let wide = format!(
        "(component {})",
        "(component) ".repeat(MAX_NESTED as usize + 1)
    );
    let reason = reduce_in_pieces(&wat::parse_str(&wide).unwrap(), 64).unwrap_err();
    assert!(reason.contains("too many"), "{reason}");
    // A nested module shorter than its header, with more after it.
    let bytes = [
        &b"\0asm\x0d\0\x01\0"[..],
        &[CORE_MODULE, 4, 0, 0x61, 0x73, 0x6d],
        &[0, 3, 2, b'x', b'y'],
    ]
    .concat();
    let reason = reduce_in_pieces(&bytes, 1).unwrap_err();
    assert!(reason.contains("malformed"), "{reason}");
    // A section longer than the limit (counted in u64: on wasm32 a
    // usize sum of its length would wrap).
    let mut huge = b"\0asm\x0d\0\x01\0".to_vec();
    huge.extend_from_slice(&[7, 0xf8, 0xff, 0xff, 0xff, 0x0f]);
    let reason = reduce_in_pieces(&huge, 3).unwrap_err();
    assert!(reason.contains("MiB"), "{reason}");
}

#[test]
fn a_file_with_several_worlds_needs_a_name() {
    let wit = "package a:b; world one { export f: func(); } world two { export g: func(); }";
    let error = TargetWorld::parse(Path::new("w.wit"), wit, None).unwrap_err();
    assert!(error.to_string().contains("one, two"), "{error}");
    assert_eq!(world(wit, Some("two")).export_names(), ["g"]);
    let bad = TargetWorld::parse(Path::new("w.wit"), "package a:b; world {", None);
    assert!(bad.unwrap_err().to_string().contains("does not parse"));
}
