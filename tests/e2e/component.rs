//! `component`, the code built into the binary, and the compiled-component
//! cache.

use crate::scaffold::assert_component;
use crate::util::*;

#[test]
fn the_installer_component_is_written_and_valid() {
    let env = Env::new();
    let run = env.run(&["component", "--out", "out/installer.wasm"]);
    // The parent must exist: nothing is created implicitly.
    run.expect(IO);
    std::fs::create_dir(env.path("out")).unwrap();
    env.run(&["component", "--out", "out/installer.wasm"])
        .expect(OK);
    let bytes = env.read("out/installer.wasm");
    assert_component(&bytes);
    // The same bytes on standard output.
    let piped = std::process::Command::new(bin())
        .args(["component", "--out", "-"])
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert_eq!(piped.stdout, bytes);
    assert_eq!(
        env.names("out"),
        ["installer.wasm"],
        "a temp file was left behind"
    );
}

#[test]
fn a_first_run_loads_the_built_in_code_saying_nothing_and_keeps_a_copy_to_map() {
    let env = Env::new();
    env.write("index.json", r#"{"schema_version": "1", "plugins": []}"#);
    std::fs::create_dir(env.path("cache")).unwrap();
    let cache = env.path("cache");
    let run = env
        .run_with(
            &["list", "--registry", "index.json"],
            &[("XDG_CACHE_HOME", cache.as_os_str())],
        )
        .expect(OK);
    assert_eq!(run.stderr, "", "nothing to say: nothing was compiled");
    // The built-in code, as it is, for later runs to map instead of copy.
    let mut kept = env.names("cache/wasm-plugin");
    kept.sort();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept[0].starts_with("installer-built-in-") && kept[1] == format!("{}.crc", kept[0]));
}

/// How many times `cargo <args>` compiles the library of each package named
/// (`name@version`), from cargo's unit graph (only shown behind -Z).
fn lib_builds(args: &[&str], packages: &[&str]) -> Vec<usize> {
    let out = std::process::Command::new(env!("CARGO"))
        .args(args)
        .args(["--locked", "--unit-graph", "-Z", "unstable-options"])
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let graph: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let units = graph["units"].as_array().unwrap();
    packages
        .iter()
        .map(|package| {
            units
                .iter()
                .filter(|u| {
                    u["pkg_id"]
                        .as_str()
                        .unwrap()
                        .ends_with(&format!("#{package}"))
                })
                .filter(|u| u["target"]["kind"] == serde_json::json!(["lib"]))
                .count()
        })
        .collect()
}

#[test]
fn wasmtime_is_built_once_for_the_build_script_and_the_binary() {
    // host/build.rs precompiles the installer with wasmtime: unless both
    // sides of the build resolve wasmtime and the crates under it with the
    // same features and profile, cargo compiles it twice (minutes on two
    // cores).
    for args in [
        &["build", "--release", "-p", "wasm-plugin"][..],
        &["build"],
        &["test", "--no-run"],
    ] {
        let builds = lib_builds(args, &["wasmtime@48.0.8"])[0];
        assert_eq!(builds, 1, "cargo {args:?} builds wasmtime {builds} times");
    }
}

#[test]
fn the_parsers_the_guest_shares_with_wit_bindgen_are_built_once_in_a_test_build() {
    // The guest's unit tests use wasmparser and wit-parser at the version
    // wit-bindgen's macro does; guest/Cargo.toml gives them the macro's
    // features natively, so cargo builds each once (about 25 s of CPU).
    let packages = ["wasmparser@0.262.0", "wit-parser@0.262.0"];
    let builds = lib_builds(&["test", "--no-run"], &packages);
    assert_eq!(
        builds,
        [1, 1],
        "builds of {packages:?} (none: Cargo.lock moved them to another version; update the names here)"
    );
}

#[test]
fn a_corrupt_compiled_component_cache_is_rebuilt_not_trusted() {
    let env = Env::new();
    let cache = env.path("cache");
    env.write("index.json", r#"{"schema_version": "1", "plugins": []}"#);
    // `compile`: for this CPU (a compile, cached); otherwise the built-in
    // code, of which the cache keeps a copy, checked the same way.
    let list_with = |env: &Env, extra: &[&str], compile: bool| {
        let mut args = vec!["list", "--registry", "index.json"];
        args.extend_from_slice(extra);
        let mut vars = vec![("XDG_CACHE_HOME", cache.as_os_str())];
        if compile {
            vars.push((
                "WASM_PLUGIN_COMPILE_FOR_THIS_CPU",
                std::ffi::OsStr::new("1"),
            ));
        }
        env.run_with(&args, &vars)
    };
    let list = |env: &Env| list_with(env, &[], true);
    // The first run compiles, and says so (once, naming where it keeps it).
    let first = list(&env).expect(OK);
    let mut files = env.names("cache/wasm-plugin");
    files.sort();
    assert_eq!(files.len(), 2, "the code and its checksum: {files:?}");
    assert!(files[0].ends_with(".cwasm") && files[1] == format!("{}.crc", files[0]));
    let file = format!("cache/wasm-plugin/{}", files[0]);
    let good = env.read(&file);
    assert_eq!(
        first.stderr,
        format!(
            "compiling the installer component for this machine (once; kept in {})\n",
            cache.join("wasm-plugin").join(&files[0]).display()
        )
    );
    // The next finds it: nothing to say.
    assert_eq!(list(&env).expect(OK).stderr, "");

    // Flip a byte in the compiled code: the checksum catches it, and the
    // code is compiled again. With --json, compiling again is not
    // announced: standard error carries only what a script asked for. (A
    // truncated file takes the same path; engine.rs's
    // only_intact_code_matches_its_checksum covers it without paying a
    // compile.)
    let mut bad = good.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0xff;
    env.write(&file, &bad);
    assert_eq!(list_with(&env, &["--json"], true).expect(OK).stderr, "");
    assert_eq!(env.read(&file), good, "the corrupt cache was not rebuilt");

    // Garbage with a wrong checksum beside it, in the cache's copy of the
    // built-in code (loaded and written as compiled code is, without the
    // cost of a compile): the rewrite must write the checksum again, or
    // every later run would copy the code anew.
    list_with(&env, &[], false).expect(OK);
    let copy = env
        .names("cache/wasm-plugin")
        .into_iter()
        .find(|f| f.starts_with("installer-built-in-") && f.ends_with(".cwasm"))
        .expect("a copy of the built-in code");
    let copy = format!("cache/wasm-plugin/{copy}");
    let sum = format!("{copy}.crc");
    let (original, recorded) = (env.read(&copy), env.read(&sum));
    let mut other = recorded.clone();
    *other.last_mut().unwrap() ^= 1;
    env.write(&sum, &other);
    env.write(&copy, b"garbage");
    assert_eq!(list_with(&env, &[], false).expect(OK).stderr, "");
    assert_eq!(
        env.read(&copy),
        original,
        "the corrupt copy was not rewritten"
    );
    assert_eq!(
        env.read(&sum),
        recorded,
        "a wrong checksum was not rewritten"
    );
}

#[test]
fn a_cache_that_cannot_be_written_is_a_warning_naming_the_way_out() {
    let env = Env::new();
    env.write("index.json", r#"{"schema_version": "1", "plugins": []}"#);
    // A file where the cache directory would be: nothing can be kept there.
    env.write("not-a-dir", "");
    let run = env
        .run(&[
            "list",
            "--registry",
            "index.json",
            "--cache-dir",
            "not-a-dir/cache",
            "--compile-for-this-cpu",
        ])
        .expect(OK);
    assert!(
        run.stderr.starts_with("compiling the installer component")
            && run
                .stderr
                .contains("warning: cannot keep the compiled installer in not-a-dir/cache (")
            && run.stderr.contains("--cache-dir or WASM_PLUGIN_CACHE_DIR"),
        "{}",
        run.stderr
    );
    assert_eq!(env.read("not-a-dir"), b"", "nothing was written over it");
}
