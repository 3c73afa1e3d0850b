//! A small plugin runtime of the kind `wasm_plugin` serves.
//!
//! It keeps a plugins directory up to date from a registry through the
//! library, checks each plugin with `verify` before loading it, runs it with
//! wasmtime (the `plugin` world of the `new` template: `name`, `version`,
//! `handle`), and loads everything again when the directory changes.
//!
//! ```text
//! cargo run --release --example plugin-host -- \
//!     --registry examples/registry/index.json --trust-root examples/registry/trust \
//!     --dir plugins --install hello --input 'hi there' --watch 60
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};
use wasm_plugin::{InstallRequest, Installer, VerifyRequest};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

// The contract with plugins: the world the `new` template builds against.
wasmtime::component::bindgen!({
    path: "../guest/templates/plugin.wit.tmpl",
    world: "plugin",
});

/// What the runtime was asked to do.
struct Options {
    registry: String,
    trust_root: PathBuf,
    dir: PathBuf,
    install: Vec<String>,
    input: String,
    /// Keep watching the directory this long (0: load once and exit).
    watch: Duration,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options()?;
    let installer = Installer::new()?;
    update(&installer, &options)?;
    let engine = Engine::default();
    let mut seen = snapshot(&options.dir);
    load_all(&installer, &engine, &options);
    let until = Instant::now() + options.watch;
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
        let now = snapshot(&options.dir);
        if now != seen {
            println!("reload: {} changed", options.dir.display());
            seen = now;
            load_all(&installer, &engine, &options);
        }
    }
    Ok(())
}

/// Installs or upgrades what was asked for (the library does nothing when a
/// plugin is already current and intact).
fn update(installer: &Installer, options: &Options) -> Result<(), wasm_plugin::Error> {
    let Some((first, rest)) = options.install.split_first() else {
        return Ok(());
    };
    let request = rest
        .iter()
        .fold(
            InstallRequest::new(&options.registry, first, &options.dir),
            |request, spec| request.and(spec),
        )
        .trust_root(&options.trust_root);
    for (spec, outcome) in installer.install_each(&request)? {
        match outcome {
            Ok(report) => println!(
                "update: {} {} ({})",
                report.name, report.version, report.action
            ),
            Err(e) => println!("update: {spec} failed: {e}"),
        }
    }
    Ok(())
}

/// Verifies and runs every plugin in the directory; one that fails either
/// is reported and skipped, never loaded.
fn load_all(installer: &Installer, engine: &Engine, options: &Options) {
    let mut plugins: Vec<PathBuf> = std::fs::read_dir(&options.dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    plugins.retain(|p| p.extension().is_some_and(|x| x == "wasm"));
    plugins.sort();
    if plugins.is_empty() {
        println!("loaded: no plugins");
    }
    for path in plugins {
        let checked = installer.verify(&VerifyRequest::new(&path).trust_root(&options.trust_root));
        if let Err(e) = checked {
            println!("refused {}: {} ({e})", path.display(), e.kind());
            continue;
        }
        match run(engine, &path, options.input.as_bytes()) {
            Ok(line) => println!("loaded {line}"),
            Err(e) => println!("failed {}: {e:#}", path.display()),
        }
    }
}

/// Instantiates one plugin with nothing granted and calls its exports.
fn run(engine: &Engine, path: &Path, input: &[u8]) -> wasmtime::Result<String> {
    struct State {
        wasi: WasiCtx,
        table: ResourceTable,
    }
    impl WasiView for State {
        fn ctx(&mut self) -> WasiCtxView<'_> {
            WasiCtxView {
                ctx: &mut self.wasi,
                table: &mut self.table,
            }
        }
    }
    let component = Component::from_file(engine, path)?;
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    let state = State {
        wasi: WasiCtx::builder().build(),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(engine, state);
    let plugin = Plugin::instantiate(&mut store, &component, &linker)?;
    let name = plugin.call_name(&mut store)?;
    let version = plugin.call_version(&mut store)?;
    let output = match plugin.call_handle(&mut store, input)? {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(message) => format!("error: {message}"),
    };
    Ok(format!(
        "{name} {version}: handle({:?}) -> {output:?}",
        String::from_utf8_lossy(input)
    ))
}

/// The names, sizes and modification times of the directory's plugins.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| {
                    e.path()
                        .extension()
                        .is_some_and(|x| x == "wasm" || x == "sig")
                })
                .filter_map(|e| {
                    let meta = e.metadata().ok()?;
                    Some((e.path(), meta.len(), meta.modified().ok()))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        registry: String::new(),
        trust_root: PathBuf::new(),
        dir: PathBuf::from("plugins"),
        install: Vec::new(),
        input: "hello".into(),
        watch: Duration::ZERO,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--registry" => options.registry = value()?,
            "--trust-root" => options.trust_root = value()?.into(),
            "--dir" => options.dir = value()?.into(),
            "--install" => options.install.push(value()?),
            "--input" => options.input = value()?,
            "--watch" => {
                let seconds: u64 = value()?.parse().map_err(|_| "--watch takes seconds")?;
                options.watch = Duration::from_secs(seconds);
            }
            other => {
                return Err(format!(
                    "unknown flag {other}; use --registry INDEX --trust-root DIR --dir DIR \
                     [--install NAME]... [--input TEXT] [--watch SECONDS]"
                ));
            }
        }
    }
    if options.registry.is_empty() || options.trust_root.as_os_str().is_empty() {
        return Err("--registry and --trust-root are required".into());
    }
    std::fs::create_dir_all(&options.dir).map_err(|e| format!("{}: {e}", options.dir.display()))?;
    Ok(options)
}
