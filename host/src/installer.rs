//! [`Installer`]: the sandboxed installer component, ready to call, and
//! the plumbing every operation calls it through.
//!
//! The operations themselves (one `impl Installer` block per family, with
//! their requests) are in `ops/`. Each runs the component through
//! [`Installer::call`], in a fresh store granted what the operation derived
//! from its request, and gets back what the component returned or one
//! [`Error`]. A call that traps or is stopped (deadline, memory, signal)
//! has its temp files removed here ([`Installer::call_in`]), under the
//! operation's lock, because a trap runs no clean-up code inside the
//! component.

use crate::engine::{self, Cache, Grants, Limits, Runtime, StartNotice, wit};
use crate::error::{Error, Failure};
use crate::fetch::{Fetch, HttpFetch, HttpOptions, Offline};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The installer component with its engine, compiled once, and the fetcher
/// it is lent.
///
/// Cheap to clone and `Send + Sync`: every call runs in a fresh store, so
/// threads may share one `Installer` and call it at once.
///
/// ```no_run
/// use wasm_plugin::{InstallRequest, Installer, VerifyRequest};
///
/// let installer = Installer::new()?;
/// let report = installer.install(
///     &InstallRequest::new("examples/registry/index.json", "hello", "plugins")
///         .trust_root("examples/registry/trust"),
/// )?;
/// println!("{} {} signed by {:?}", report.name, report.version, report.signed_by);
/// installer.verify(&VerifyRequest::new("plugins/hello.wasm").trust_root("examples/registry/trust"))?;
/// # Ok::<(), wasm_plugin::Error>(())
/// ```
#[derive(Clone)]
pub struct Installer {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Runtime,
    fetch: Arc<dyn Fetch>,
    limits: Limits,
    signals: bool,
}

impl std::fmt::Debug for Installer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installer")
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

/// Sets up an [`Installer`]: which native code it runs and where compiled
/// code is cached, how it fetches, and its limits.
///
/// ```
/// use std::time::Duration;
/// use wasm_plugin::Installer;
///
/// let dir = tempfile::tempdir()?;
/// let installer = Installer::builder()
///     .cache_dir(dir.path())
///     .memory_limit(64 << 20)
///     .deadline(Duration::from_secs(60))
///     .offline()
///     .build()?;
/// # let _ = installer;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct InstallerBuilder {
    cache: Cache,
    this_cpu: bool,
    fetch: Option<Arc<dyn Fetch>>,
    limits: Limits,
    signals: bool,
    on_start: Box<dyn Fn(&StartNotice)>,
}

impl Default for InstallerBuilder {
    fn default() -> Self {
        InstallerBuilder {
            cache: Cache::Default,
            this_cpu: false,
            fetch: None,
            limits: Limits {
                deadline: engine::DEFAULT_DEADLINE,
                memory: engine::MEMORY_LIMIT,
            },
            signals: false,
            on_start: Box::new(|_| {}),
        }
    }
}

impl std::fmt::Debug for InstallerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstallerBuilder")
            .field("cache", &self.cache)
            .field("this_cpu", &self.this_cpu)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl InstallerBuilder {
    /// Keep the component, when it has to be compiled, in `dir` (default:
    /// `$XDG_CACHE_HOME/wasm-plugin/`, else `~/.cache/wasm-plugin/`).
    /// With the built-in code, the first start keeps a copy of it there
    /// (written as it is, not compiled) for later starts to map.
    pub fn cache_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cache = Cache::Dir(dir.as_ref().to_path_buf());
        self
    }

    /// Compile the component for this machine's CPU (once, then loaded
    /// from the cache) instead of loading the code built into the library.
    ///
    /// The built-in code was compiled when the library was, for the
    /// architecture's baseline CPU, so that the first start takes
    /// milliseconds on any machine; code for this CPU may use its newer
    /// instructions (see the book's Performance page for what that
    /// measures). Without this, the library compiles only when wasmtime
    /// refuses the built-in code.
    pub fn compile_for_this_cpu(mut self) -> Self {
        self.this_cpu = true;
        self
    }

    /// Compile the component every time instead of caching it.
    pub fn no_cache(mut self) -> Self {
        self.cache = Cache::Off;
        self
    }

    /// Fetch with `fetch` (default: [`HttpFetch`] with [`HttpOptions::default`]).
    pub fn fetch(mut self, fetch: impl Fetch + 'static) -> Self {
        self.fetch = Some(Arc::new(fetch));
        self
    }

    /// Refuse every URL: only local registries and artefacts.
    pub fn offline(self) -> Self {
        self.fetch(Offline)
    }

    /// Most linear memory one call may use (default 128 MiB).
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.limits.memory = bytes;
        self
    }

    /// Longest one call may run (default 10 minutes); past it the call is
    /// stopped through wasmtime's epoch interruption and fails with the
    /// kind `deadline-exceeded`, leaving the plugins directory as it was.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.limits.deadline = deadline;
        self
    }

    /// Let SIGINT and SIGTERM stop a running call (default: off). For a
    /// program whose whole job is the call, as the `wasm-plugin` command's
    /// is: a signal that arrives while a call runs stops it, its temp files
    /// are removed, and the call fails with the kind `interrupted` (exit
    /// code 128 + the signal), after which the program is expected to exit;
    /// a signal that arrives while no call runs ends the process as it
    /// would have without this. It installs process-wide signal handlers,
    /// so a runtime with its own shutdown handling leaves it off.
    pub fn stop_on_signals(mut self, on: bool) -> Self {
        self.signals = on;
        self
    }

    /// Call `notify` with what [`build`](Self::build) has to say: that it
    /// compiles the component (seconds: asked to compile for this CPU, or the
    /// built-in code refused, on the first start of a build on a
    /// machine), and that the cache cannot be written (every start then
    /// compiles). Silent by default; a command-line program prints these.
    pub fn on_start(mut self, notify: impl Fn(&StartNotice) + 'static) -> Self {
        self.on_start = Box::new(notify);
        self
    }

    /// Loads the component's built-in code, or compiles it (or loads it
    /// from the cache: see [`compile_for_this_cpu`](Self::compile_for_this_cpu)).
    pub fn build(self) -> Result<Installer, Error> {
        let fetch = match self.fetch {
            Some(fetch) => fetch,
            None => Arc::new(HttpFetch::new(HttpOptions::default())?),
        };
        Ok(Installer {
            inner: Arc::new(Inner {
                runtime: Runtime::new(&self.cache, self.this_cpu, &*self.on_start)
                    .map_err(Failure::from)?,
                fetch,
                limits: self.limits,
                signals: self.signals,
            }),
        })
    }
}

/// What the clean-up after a trap may use: it only lists three folders and
/// removes what it finds.
const CLEAN_LIMITS: Limits = Limits {
    deadline: Duration::from_secs(60),
    memory: engine::MEMORY_LIMIT,
};

/// One requested plugin and how its install went.
pub type Outcome<R> = (String, Result<R, Error>);

impl Installer {
    /// An installer with the defaults of [`InstallerBuilder`].
    pub fn new() -> Result<Installer, Error> {
        Installer::builder().build()
    }

    /// Everything that can be set up.
    pub fn builder() -> InstallerBuilder {
        InstallerBuilder::default()
    }

    /// One call in a fresh store; the network only when `network`.
    pub(crate) fn call<R>(
        &self,
        grants: Grants,
        network: bool,
        f: impl FnOnce(
            &wit::Guest,
            &mut wasmtime::Store<engine::HostState>,
        ) -> wasmtime::Result<Result<R, wit::Error>>,
    ) -> Result<R, Error> {
        let fetch: Arc<dyn Fetch> = if network {
            self.inner.fetch.clone()
        } else {
            Arc::new(Offline)
        };
        let result = self
            .inner
            .runtime
            .with_installer(grants, fetch, self.inner.limits, self.inner.signals, f)
            .map_err(Failure::from)?;
        result.map_err(|e| Failure::installer(e).into())
    }

    /// A call that writes into the plugins directory `dest`, whose lock the
    /// caller holds: when it traps, what it staged is removed.
    pub(crate) fn call_in<R>(
        &self,
        dest: &Path,
        grants: Grants,
        network: bool,
        f: impl FnOnce(
            &wit::Guest,
            &mut wasmtime::Store<engine::HostState>,
        ) -> wasmtime::Result<Result<R, wit::Error>>,
    ) -> Result<R, Error> {
        let result = self.call(grants, network, f);
        if let Err(e) = &result
            && e.is_trap()
        {
            // With limits of its own (the call's may be what stopped it), and
            // never in place of the error that says why the call stopped: a
            // temp file it cannot remove is reported by `audit` and removed
            // by the next install.
            let _ = self.clean(dest);
        }
        result
    }

    /// Removes the temp files that calls stopped by a trap left in the
    /// plugins directory `dest` (whose lock the caller holds), with limits
    /// of its own: it only lists three folders and removes what it finds.
    pub(crate) fn clean(&self, dest: &Path) -> wasmtime::Result<Vec<String>> {
        self.inner.runtime.clean(dest, CLEAN_LIMITS)
    }

    /// Whether SIGINT and SIGTERM stop a running call
    /// ([`InstallerBuilder::stop_on_signals`]).
    pub(crate) fn stops_on_signals(&self) -> bool {
        self.inner.signals
    }
}
