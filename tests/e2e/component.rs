//! `component` and the compiled-component cache.

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
fn a_corrupt_compiled_component_cache_is_rebuilt_not_trusted() {
    let env = Env::new();
    let cache = env.path("cache");
    env.write("index.json", r#"{"schema_version": "1", "plugins": []}"#);
    let list = |env: &Env| {
        env.run_with(
            &["list", "--registry", "index.json"],
            &[("XDG_CACHE_HOME", cache.as_os_str())],
        )
    };
    list(&env).expect(OK);
    let files = env.names("cache/wasm-plugin");
    assert_eq!(files.len(), 1, "one cache file: {files:?}");
    let file = format!("cache/wasm-plugin/{}", files[0]);
    let good = env.read(&file);

    // Flip a byte in the compiled code: the checksum catches it.
    let mut bad = good.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0xff;
    env.write(&file, &bad);
    list(&env).expect(OK);
    assert_eq!(env.read(&file), good, "the corrupt cache was not rebuilt");

    // Truncated and garbage files too.
    env.write(&file, &good[..good.len() / 3]);
    list(&env).expect(OK);
    assert_eq!(env.read(&file), good);
    env.write(&file, b"garbage");
    list(&env).expect(OK);
    assert_eq!(env.read(&file), good);
}
