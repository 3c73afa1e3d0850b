//! Running the installer component: engine, compiled-component cache, the
//! capabilities a call is granted, and the store's limits. Private to the
//! crate: [`crate::Installer`] is the public face.
//!
//! Each call gets a fresh store whose WASI context holds only the preopened
//! directories the verb needs (guest path = host absolute path), no
//! environment, no arguments, no stdio, no sockets; the network is reachable
//! only through the `fetch` import below.

use crate::digest::Hasher;
use crate::fetch::{Fetch, FetchBody};
use crate::interrupt::{self, Budget};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{Component, HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Store};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

// `bindgen!` for the `installer-component` world (imports trappable, the
// fetch `body` resource as `Body`, `WitSerialize` on every type), plus
// `#[non_exhaustive]` on each record, variant and enum of the exported
// interface: the library re-exports them as its reports (and the few a
// caller passes in get constructors). `WASMTIME_DEBUG_BINDGEN` does not
// apply: the macro is ours.
wasm_plugin_derive::installer_bindings!();

pub use self::wasm_plugin::installer::fetch::{FetchError, Method, Request, ResponseHead};
pub use exports::wasm_plugin::installer::installer as wit;

/// A response body lent to the component as a `body` resource.
pub struct Body(Box<dyn FetchBody>);

/// The installer component, as built by `build.rs`.
pub const COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/installer.wasm"));
/// The installer composed with its wasi:http `fetch` and WebAssembly
/// `digest`, as built by `build.rs`.
pub const COMPONENT_WASI_HTTP: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/installer-wasi-http.wasm"));
/// The same with `digest` left an import (`build.rs` says why).
pub const COMPONENT_WASI_HTTP_HOST_DIGEST: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/installer-wasi-http-host-digest.wasm"
));
const COMPONENT_SHA256: &str = env!("INSTALLER_COMPONENT_SHA256");
/// The installer compiled by `build.rs` for the target's CPU baseline
/// (empty when wasmtime could not compile for the target).
const COMPONENT_BUILT_IN: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/installer.cwasm"));

/// The component and the native code that may stand in for compiling it.
struct Code<'a> {
    wasm: &'a [u8],
    /// Hex SHA-256 of `wasm`: names its compiled file in the cache.
    sha256: &'a str,
    /// Compiled ahead of time; tried first unless empty.
    built_in: &'a [u8],
    /// Hex SHA-256 of `built_in`: names its copy in the cache.
    built_in_sha256: &'a str,
}

const INSTALLER: Code<'static> = Code {
    wasm: COMPONENT,
    sha256: COMPONENT_SHA256,
    built_in: COMPONENT_BUILT_IN,
    built_in_sha256: env!("INSTALLER_BUILT_IN_SHA256"),
};

/// Most linear memory the component may grow to. Artefacts stream through
/// it in 1 MiB chunks and indexes are capped at 16 MiB, so this is headroom,
/// not a working set; it stops a runaway guest from taking the machine.
pub const MEMORY_LIMIT: usize = 128 << 20;

/// How long one call may run unless `--deadline` says otherwise: far more
/// than any honest install needs, little enough that a guest that never
/// returns does not hold the destination's lock for good.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10 * 60);

/// What one call may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub deadline: Duration,
    pub memory: usize,
}

/// Caps linear memory and remembers when the cap refused a growth, so that a
/// guest that then aborts is reported as over the limit, not as a bug.
struct MemoryCap {
    limit: usize,
    hit: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.hit |= desired > self.limit;
        Ok(desired <= self.limit)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // The component's tables are a few entries; this only stops a runaway.
        Ok(desired <= 1 << 16)
    }
}

/// What one call may touch.
#[derive(Debug, Default, Clone)]
pub struct Grants {
    read_only: Vec<PathBuf>,
    read_write: Vec<PathBuf>,
}

impl Grants {
    /// Grants that let the component read `dir` and nothing else.
    pub fn reading(dir: &Path) -> Grants {
        let mut grants = Grants::default();
        grants.read(dir);
        grants
    }

    /// Grants read access to `dir` (absolute, canonical).
    pub fn read(&mut self, dir: &Path) -> &mut Self {
        self.read_only.push(dir.to_path_buf());
        self
    }

    /// Grants read and write access to `dir` (absolute, canonical).
    pub fn write(&mut self, dir: &Path) -> &mut Self {
        self.read_write.push(dir.to_path_buf());
        self
    }

    /// Adds what `other` grants.
    pub fn extend(&mut self, other: Grants) -> &mut Self {
        self.read_only.extend(other.read_only);
        self.read_write.extend(other.read_write);
        self
    }

    fn into_wasi(self) -> Result<WasiCtx, wasmtime::Error> {
        let mut builder = WasiCtxBuilder::new();
        // File I/O runs on the calling thread instead of a tokio blocking
        // pool: one call at a time, and no hand-off per read.
        builder.allow_blocking_current_thread(true);
        let mut granted: Vec<PathBuf> = Vec::new();
        for dir in &self.read_write {
            if !granted.contains(dir) {
                let name = dir.to_string_lossy();
                builder.preopened_dir(dir, name.as_ref(), FsPerms::ReadWrite)?;
                granted.push(dir.clone());
            }
        }
        for dir in &self.read_only {
            if !granted.contains(dir) {
                let name = dir.to_string_lossy();
                builder.preopened_dir(dir, name.as_ref(), FsPerms::ReadOnly)?;
                granted.push(dir.clone());
            }
        }
        Ok(builder.build())
    }
}

/// A store's data: the WASI context, its resources, limits, and the fetcher.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    memory: MemoryCap,
    fetcher: Arc<dyn Fetch>,
    budget: Budget,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl self::wasm_plugin::installer::fetch::Host for HostState {
    fn get(
        &mut self,
        url: String,
    ) -> wasmtime::Result<Result<(Resource<Body>, Option<u64>), FetchError>> {
        match self.fetcher.get(&url) {
            Ok(body) => {
                let announced = body.announced();
                Ok(Ok((self.table.push(Body(body))?, announced)))
            }
            Err(e) => Ok(Err(e)),
        }
    }

    fn send(
        &mut self,
        request: Request,
    ) -> wasmtime::Result<Result<(ResponseHead, Resource<Body>), FetchError>> {
        match self.fetcher.send(&request) {
            Ok((head, body)) => Ok(Ok((head, self.table.push(Body(body))?))),
            Err(e) => Ok(Err(e)),
        }
    }

    fn send_all(
        &mut self,
        requests: Vec<Request>,
        max_body: u64,
    ) -> wasmtime::Result<Vec<Result<(ResponseHead, Vec<u8>), FetchError>>> {
        // One answer per request, whatever the fetcher: a short or long
        // list would leave the component pairing answers with the wrong
        // requests.
        let mut answers = self.fetcher.send_all(&requests, max_body);
        answers.resize_with(requests.len(), || {
            Err(FetchError::Transport("the host gave no answer".into()))
        });
        Ok(answers)
    }
}

impl self::wasm_plugin::installer::fetch::HostBody for HostState {
    fn read(
        &mut self,
        body: Resource<Body>,
        max: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, FetchError>> {
        Ok(self.table.get_mut(&body)?.0.read(max as usize))
    }

    fn drop(&mut self, body: Resource<Body>) -> wasmtime::Result<()> {
        self.table.delete(body)?;
        Ok(())
    }
}

impl self::wasm_plugin::installer::digest::Host for HostState {}

impl self::wasm_plugin::installer::digest::HostHasher for HostState {
    fn new(
        &mut self,
        algorithm: self::wasm_plugin::installer::digest::Algorithm,
    ) -> wasmtime::Result<Resource<Hasher>> {
        use self::wasm_plugin::installer::digest::Algorithm as Wit;
        let algorithm = match algorithm {
            Wit::Sha256 => crate::digest::Algorithm::Sha256,
            Wit::Sha512 => crate::digest::Algorithm::Sha512,
        };
        Ok(self.table.push(Hasher::new(algorithm))?)
    }

    fn update(&mut self, hasher: Resource<Hasher>, bytes: Vec<u8>) -> wasmtime::Result<()> {
        self.table.get_mut(&hasher)?.update(bytes);
        Ok(())
    }

    fn finish(&mut self, hasher: Resource<Hasher>) -> wasmtime::Result<Vec<u8>> {
        self.table
            .delete(hasher)?
            .finish()
            .map_err(wasmtime::Error::msg)
    }

    fn drop(&mut self, hasher: Resource<Hasher>) -> wasmtime::Result<()> {
        self.table.delete(hasher)?;
        Ok(())
    }
}

/// Where the compiled component is cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cache {
    /// `$XDG_CACHE_HOME/wasm-plugin/` (or `~/.cache/wasm-plugin/`).
    Default,
    /// This directory.
    Dir(PathBuf),
    /// Compile on every start.
    Off,
}

/// What starting an [`Installer`](crate::Installer) has to say about the
/// compiled component, for a program to show (the `wasm-plugin` command
/// prints it on standard error): see
/// [`InstallerBuilder::on_start`](crate::InstallerBuilder::on_start).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartNotice {
    /// The component is being compiled now (seconds, once): asked for
    /// ([`compile_for_this_cpu`](crate::InstallerBuilder::compile_for_this_cpu))
    /// and not in the cache yet, or the built-in code was refused.
    Compiling {
        /// The file it will be kept in; `None`: caching is off.
        cache: Option<PathBuf>,
    },
    /// The compiled code could not be kept: every start compiles again
    /// until another cache directory is chosen.
    CacheUnwritable {
        /// The cache directory.
        dir: PathBuf,
        /// Why it could not be written.
        reason: String,
    },
}

impl std::fmt::Display for StartNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartNotice::Compiling { cache: Some(path) } => write!(
                f,
                "compiling the installer component for this machine (once; kept in {})",
                path.display()
            ),
            StartNotice::Compiling { cache: None } => {
                write!(f, "compiling the installer component (caching is off)")
            }
            StartNotice::CacheUnwritable { dir, reason } => write!(
                f,
                "cannot keep the compiled installer in {} ({reason}); every run will compile \
                 it again: choose a writable directory with --cache-dir or WASM_PLUGIN_CACHE_DIR",
                dir.display()
            ),
        }
    }
}

/// The engine and the compiled component, linked with its imports once:
/// each call only instantiates (wasmtime's `InstancePre`), so no call pays
/// for resolving the component's ~100 imports again.
pub struct Runtime {
    engine: Engine,
    pre: InstallerComponentPre<HostState>,
}

impl Runtime {
    /// Loads the code built in for the CPU baseline, or (with
    /// `this_cpu`, or when wasmtime refuses that code) compiles the
    /// component for this machine or loads it from the cache, telling
    /// `notify` when it compiles and when the cache cannot be written.
    pub fn new(
        cache: &Cache,
        this_cpu: bool,
        notify: &dyn Fn(&StartNotice),
    ) -> wasmtime::Result<Runtime> {
        let engine = Engine::new(&crate::engine_config::config())?;
        interrupt::tick(engine.weak());
        let code = Code {
            built_in: if this_cpu { &[] } else { INSTALLER.built_in },
            ..INSTALLER
        };
        let component = cache::load_or_compile(&engine, &code, cache, notify)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        InstallerComponent::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
        let pre = InstallerComponentPre::new(linker.instantiate_pre(&component)?)?;
        Ok(Runtime { engine, pre })
    }

    /// Instantiates the component with `grants` and runs `call` on it,
    /// stopping it at the deadline, and on SIGINT/SIGTERM when `signals`
    /// (see `interrupt`).
    pub fn with_installer<R>(
        &self,
        grants: Grants,
        fetcher: Arc<dyn Fetch>,
        limits: Limits,
        signals: bool,
        call: impl FnOnce(&wit::Guest, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> wasmtime::Result<R> {
        let _running = signals.then(interrupt::Running::start);
        self.run(grants, fetcher, limits, signals, call)
    }

    /// Removes the temp files a stopped or trapped call left in `dest`,
    /// which the caller holds the lock of. Not stopped by the signal that
    /// may have stopped that call. Returns the paths removed.
    pub fn clean(&self, dest: &Path, limits: Limits) -> wasmtime::Result<Vec<String>> {
        let mut grants = Grants::default();
        grants.write(dest);
        let dest = dest.to_string_lossy();
        let removed = self.run(
            grants,
            Arc::new(crate::fetch::Offline),
            limits,
            false,
            |i, s| i.call_clean(s, &dest),
        )?;
        removed.map_err(|e| wasmtime::Error::msg(format!("{e:?}")))
    }

    fn run<R>(
        &self,
        grants: Grants,
        fetcher: Arc<dyn Fetch>,
        limits: Limits,
        interruptible: bool,
        call: impl FnOnce(&wit::Guest, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> wasmtime::Result<R> {
        let state = HostState {
            wasi: grants.into_wasi()?,
            table: ResourceTable::new(),
            memory: MemoryCap {
                limit: limits.memory,
                hit: false,
            },
            fetcher,
            budget: Budget {
                started: Instant::now(),
                deadline: limits.deadline,
                interruptible,
            },
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|store| store.data().budget.check());
        let result = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| call(instance.wasm_plugin_installer_installer(), &mut store));
        match result {
            // A guest denied memory aborts with a trap that says nothing of
            // why; the limiter knows.
            Err(e) if store.data().memory.hit && interrupt::stop_of(&e).is_none() => {
                Err(wasmtime::Error::new(interrupt::Stop::Memory(limits.memory)))
            }
            other => other,
        }
    }
}

/// The compiled component: the code built into the binary, else compiled
/// and cached on disk between runs.
///
/// Compiling takes about two seconds (see the book's Start-up), more in a
/// debug build; loading compiled code takes a few milliseconds. So the
/// binary carries the installer compiled for the baseline CPU of its
/// architecture (`build.rs`), and compiles only when asked to compile for
/// this CPU or when wasmtime refuses that code. The file is keyed by the component's digest
/// and wasmtime's version, written atomically, and carries a CRC-32 of its
/// payload that is checked before deserializing:
/// wasmtime trusts precompiled bytes completely, so a truncated or corrupt
/// file is rebuilt, never loaded. wasmtime itself refuses a file made by an
/// incompatible engine configuration; that too is rebuilt.
mod cache {
    use super::*;
    use std::hash::{Hash, Hasher};

    // Version 3: the compiled code alone in `*.cwasm`, which wasmtime maps
    // straight from the page cache (`deserialize_file`): a warm run neither
    // copies it into fresh memory twice nor faults in the pages it never
    // runs. Its CRC-32 sits beside it in `*.cwasm.crc`. The check is against
    // corruption (a torn or bit-flipped file must not be run as native
    // code), not an attacker who can write the cache (who could recompute
    // any checksum); CRC-32 (crc32fast, SIMD) of the ~8 MiB file is a
    // fraction of a millisecond, read through one small buffer.
    const MAGIC: &[u8; 8] = b"WPCACHE3";

    pub fn load_or_compile(
        engine: &Engine,
        code: &Code<'_>,
        cache: &Cache,
        notify: &dyn Fn(&StartNotice),
    ) -> wasmtime::Result<Component> {
        if let Some(component) = built_in(engine, code, cache) {
            return Ok(component);
        }
        let Some(path) = path(engine, code, cache) else {
            notify(&StartNotice::Compiling { cache: None });
            return Component::new(engine, code.wasm);
        };
        if let Some(component) = load(engine, &path) {
            return Ok(component);
        }
        notify(&StartNotice::Compiling {
            cache: Some(path.clone()),
        });
        let compiled = engine.precompile_component(code.wasm)?;
        // A cache that cannot be written only costs time on the next run,
        // which the user is told, with the way out.
        if let Err(e) = store(&path, &compiled) {
            notify(&StartNotice::CacheUnwritable {
                dir: path.parent().unwrap_or(&path).to_path_buf(),
                reason: e.to_string(),
            });
        }
        // SAFETY: `compiled` was produced just now by this engine.
        unsafe { Component::deserialize(engine, &compiled) }
    }

    /// The code compiled ahead of time, unless there is none or wasmtime
    /// refuses it (compiled by another wasmtime version or engine
    /// configuration, or using a CPU feature this machine lacks): then
    /// `None`, and the caller compiles.
    ///
    /// Loading it from the binary copies all of it into fresh memory
    /// (as long as a whole warm run), where a file is mapped and only the
    /// pages a run uses are read. So it is written, as it is (no
    /// compiling), into the cache, and mapped from there by this run and
    /// the later ones, checked as a compiled file is. Without a cache, or
    /// when it cannot be written, every run copies: slower, never wrong,
    /// so nothing is said.
    fn built_in(engine: &Engine, code: &Code<'_>, cache: &Cache) -> Option<Component> {
        if code.built_in.is_empty() {
            return None;
        }
        let copy = dir(cache).map(|dir| {
            dir.join(format!(
                "installer-built-in-{}.cwasm",
                &code.built_in_sha256[..16]
            ))
        });
        if let Some(path) = &copy {
            if let Some(component) = load(engine, path) {
                return Some(component);
            }
            if store(path, code.built_in).is_ok() {
                if let Some(component) = load(engine, path) {
                    return Some(component);
                }
                // Refused (by wasmtime, or a cache on a filesystem that
                // cannot map code): no use to a later run either. The code
                // is still tried from memory below.
                let _ = std::fs::remove_file(sum_path(path));
                let _ = std::fs::remove_file(path);
            }
        }
        // SAFETY: the bytes are part of this binary (build.rs wrote them
        // with `precompile_component`, next to the component they are
        // compiled from), as trusted as the binary's own code; wasmtime
        // checks that they were compiled by a compatible engine for a CPU
        // this one is.
        unsafe { Component::deserialize(engine, code.built_in) }.ok()
    }

    /// The chosen cache directory; `None` when caching is off.
    fn dir(cache: &Cache) -> Option<PathBuf> {
        match cache {
            Cache::Off => None,
            Cache::Dir(dir) => Some(dir.clone()),
            Cache::Default => std::env::var_os("XDG_CACHE_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|p| p.join("wasm-plugin"))
                .or_else(|| {
                    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/wasm-plugin"))
                }),
        }
    }

    /// The cache file for this engine in the chosen directory.
    fn path(engine: &Engine, code: &Code<'_>, cache: &Cache) -> Option<PathBuf> {
        let base = dir(cache)?;
        let file = format!(
            "installer-{}-engine-{}.cwasm",
            &code.sha256[..16],
            engine_key(engine)
        );
        Some(base.join(file))
    }

    /// Hex of what makes compiled code compatible with `engine` (wasmtime
    /// version, target, compiler settings), so differently configured
    /// engines sharing a cache directory keep separate files.
    fn engine_key(engine: &Engine) -> String {
        struct Sha(Sha256);
        impl Hasher for Sha {
            fn write(&mut self, bytes: &[u8]) {
                self.0.update(bytes);
            }
            fn finish(&self) -> u64 {
                let digest = self.0.clone().finalize();
                u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
            }
        }
        let mut hasher = Sha(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }

    /// The checksum's file, beside the compiled code.
    fn sum_path(path: &Path) -> PathBuf {
        let mut name = path.as_os_str().to_owned();
        name.push(".crc");
        PathBuf::from(name)
    }

    fn load(engine: &Engine, path: &Path) -> Option<Component> {
        let recorded = std::fs::read(sum_path(path)).ok()?;
        let file = std::fs::File::open(path).ok()?;
        if !checksum_matches(&recorded, file)? {
            return None;
        }
        // SAFETY: the file is byte-for-byte what `store` wrote (its CRC-32
        // matches): code from `precompile_component` or the binary's
        // built-in code, and wasmtime checks
        // that it was compiled by a compatible engine. `store` only ever
        // renames a whole file into place, never writes in place:
        // should another run replace it between the check and the mapping,
        // what is mapped is another whole compile, and a mapped file is
        // never modified under us.
        unsafe { Component::deserialize_file(engine, path) }.ok()
    }

    /// Whether `code` has the checksum `recorded` (as `store` wrote it).
    /// `None` when it cannot be read.
    pub fn checksum_matches(recorded: &[u8], mut code: impl Read) -> Option<bool> {
        let Some(sum) = recorded.strip_prefix(MAGIC.as_slice()) else {
            return Some(false);
        };
        let mut hasher = crc32fast::Hasher::new();
        let mut buffer = vec![0; 256 << 10];
        loop {
            match code.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => hasher.update(&buffer[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return None,
            }
        }
        Some(sum == hasher.finalize().to_le_bytes())
    }

    fn store(path: &Path, compiled: &[u8]) -> std::io::Result<()> {
        let dir = path.parent().expect("cache path has a parent");
        std::fs::create_dir_all(dir)?;
        let write = |target: &Path, parts: &[&[u8]]| -> std::io::Result<()> {
            let mut temp = tempfile::NamedTempFile::new_in(dir)?;
            for part in parts {
                temp.write_all(part)?;
            }
            // Not synced: a file a crash left short or empty fails its
            // checksum and is written again, while syncing 12 MB would
            // take longer than the rest of a first run.
            temp.persist(target).map_err(|e| e.error)?;
            Ok(())
        };
        // The code first: a run between the two renames finds the old
        // checksum beside the new code, and compiles again.
        write(path, &[compiled])?;
        let sum = crc32fast::hash(compiled).to_le_bytes();
        write(&sum_path(path), &[MAGIC.as_slice(), &sum])
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::cell::RefCell;

        fn engine() -> Engine {
            Engine::new(&crate::engine_config::config()).unwrap()
        }

        /// Loads `code` with a cache in a new directory: whether it
        /// worked, what was said, and what the cache holds.
        fn start(engine: &Engine, code: &Code<'_>) -> (bool, Vec<StartNotice>, usize) {
            let dir = tempfile::tempdir().unwrap();
            let said = RefCell::new(Vec::new());
            let cache = Cache::Dir(dir.path().join("cache"));
            let loaded =
                load_or_compile(engine, code, &cache, &|n| said.borrow_mut().push(n.clone()));
            let kept = std::fs::read_dir(dir.path().join("cache")).map_or(0, |d| d.count());
            (loaded.is_ok(), said.into_inner(), kept)
        }

        #[test]
        fn the_built_in_code_loads_without_compiling_and_is_kept_to_be_mapped() {
            // build.rs compiled it with the configuration the binary uses:
            // were they to drift apart, wasmtime would refuse it here.
            let engine = engine();
            let dir = tempfile::tempdir().unwrap();
            let cache = Cache::Dir(dir.path().to_path_buf());
            let said = RefCell::new(Vec::new());
            let notify = |n: &StartNotice| said.borrow_mut().push(n.clone());
            load_or_compile(&engine, &INSTALLER, &cache, &notify).unwrap();
            let mut kept: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            kept.sort();
            assert_eq!(kept.len(), 2, "the copy and its checksum: {kept:?}");
            assert_eq!(std::fs::read(&kept[0]).unwrap(), INSTALLER.built_in);
            // The next start maps the copy; a damaged copy is not trusted
            // but replaced. Neither compiles.
            load_or_compile(&engine, &INSTALLER, &cache, &notify).unwrap();
            std::fs::write(&kept[0], b"damaged").unwrap();
            load_or_compile(&engine, &INSTALLER, &cache, &notify).unwrap();
            assert_eq!(std::fs::read(&kept[0]).unwrap(), INSTALLER.built_in);
            assert!(said.borrow().is_empty(), "{:?}", said.borrow());
        }

        #[test]
        fn built_in_code_wasmtime_refuses_is_compiled_instead() {
            let wasm = wat::parse_str("(component (core module))").unwrap();
            let engine = engine();
            // Code compiled by an engine configured otherwise, as a binary
            // built by another wasmtime would carry; and bytes that are not
            // compiled code at all.
            let mut other = crate::engine_config::config();
            other.epoch_interruption(false);
            let foreign = Engine::new(&other)
                .unwrap()
                .precompile_component(&wasm)
                .unwrap();
            for refused in [&foreign[..], b"not compiled code"] {
                let code = Code {
                    wasm: &wasm,
                    sha256: "0123456789abcdef",
                    built_in: refused,
                    built_in_sha256: "fedcba9876543210",
                };
                let (ok, said, kept) = start(&engine, &code);
                assert!(ok, "the component was not compiled instead");
                assert!(
                    matches!(&said[..], [StartNotice::Compiling { cache: Some(_) }]),
                    "{said:?}"
                );
                assert_eq!(
                    kept, 2,
                    "the compiled code and its checksum, no refused copy"
                );
            }
            // Code this engine accepts is used as it is.
            let ours = engine.precompile_component(&wasm).unwrap();
            let code = Code {
                wasm: &wasm,
                sha256: "0123456789abcdef",
                built_in: &ours,
                built_in_sha256: "fedcba9876543210",
            };
            assert_eq!(start(&engine, &code), (true, Vec::new(), 2));
        }

        #[test]
        fn only_intact_code_matches_its_checksum() {
            let code = b"compiled code".to_vec();
            let mut recorded = MAGIC.to_vec();
            recorded.extend_from_slice(&crc32fast::hash(&code).to_le_bytes());
            assert_eq!(checksum_matches(&recorded, &code[..]), Some(true));

            let mut flipped = code.clone();
            *flipped.last_mut().unwrap() ^= 1;
            assert_eq!(checksum_matches(&recorded, &flipped[..]), Some(false));
            assert_eq!(
                checksum_matches(&recorded, &code[..code.len() - 1]),
                Some(false)
            );
            assert_eq!(checksum_matches(&recorded[..10], &code[..]), Some(false));
            assert_eq!(checksum_matches(b"garbage", &code[..]), Some(false));
        }
    }
}
