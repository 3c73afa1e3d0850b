//! Stopping the component: an execution deadline, and SIGINT / SIGTERM.
//!
//! Both use wasmtime's epoch interruption. A ticker thread advances each
//! engine's epoch every `TICK`; at every tick a running store asks
//! `check`, which stops the guest with a trap once its deadline has passed
//! or a signal arrived. A trap runs no destructors in the guest, so whoever
//! ran the call (holding the destination's lock) removes what it staged
//! and reports `Stop` as its own error; the previous plugin is untouched
//! because nothing is renamed into place before the bytes are checked.
//!
//! A signal that arrives while no interruptible call runs (before the lock
//! is taken, while output is written) ends the process the default way:
//! nothing is half done then. A second signal always does.

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use wasmtime::{EngineWeak, UpdateDeadline};

/// How often a running guest is asked whether to stop.
pub const TICK: Duration = Duration::from_millis(50);

/// Why a call was stopped; carried inside the `wasmtime::Error` of the trap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The call ran for longer than its deadline.
    Deadline(Duration),
    /// SIGINT or SIGTERM (the signal number).
    Signal(i32),
    /// The guest needed more linear memory than this many bytes.
    Memory(usize),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Deadline(d) => write!(f, "stopped after its deadline of {d:?}"),
            Stop::Signal(s) => write!(f, "stopped by signal {s}"),
            Stop::Memory(m) => write!(f, "ran out of its {m} bytes of memory"),
        }
    }
}

impl std::error::Error for Stop {}

/// What a store may run for, and whether a signal stops it.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub started: Instant,
    pub deadline: Duration,
    /// False for the clean-up that runs after an interruption: it must not
    /// be stopped by the very signal it is cleaning up after.
    pub interruptible: bool,
}

impl Budget {
    /// Called at every tick: keep going one more tick, or stop.
    pub fn check(&self) -> wasmtime::Result<UpdateDeadline> {
        if self.interruptible
            && let Some(signal) = pending()
        {
            return Err(wasmtime::Error::new(Stop::Signal(signal)));
        }
        if self.started.elapsed() >= self.deadline {
            return Err(wasmtime::Error::new(Stop::Deadline(self.deadline)));
        }
        Ok(UpdateDeadline::Continue(1))
    }
}

/// The `Stop` inside an error from a call, if it was one.
pub fn stop_of(error: &wasmtime::Error) -> Option<Stop> {
    error.downcast_ref::<Stop>().copied()
}

/// The signal that arrived while a call was running, if any.
pub fn pending() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

static SIGNAL: AtomicI32 = AtomicI32::new(0);
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Marks an interruptible call as running while it lives.
pub struct Running(());

impl Running {
    pub fn start() -> Running {
        handle_signals();
        RUNNING.fetch_add(1, Ordering::SeqCst);
        Running(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Starts the signal thread once per process.
fn handle_signals() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let signals = [libc::SIGINT, libc::SIGTERM];
        let Ok(mut iterator) = signal_hook::iterator::Signals::new(signals) else {
            return; // the default actions stay in force
        };
        std::thread::spawn(move || {
            for signal in iterator.forever() {
                let first = SIGNAL
                    .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok();
                if !first || RUNNING.load(Ordering::SeqCst) == 0 {
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                }
            }
        });
    });
}

/// Advances `engine`'s epoch every `TICK` for as long as it exists. One
/// thread serves every engine of the process.
pub fn tick(engine: EngineWeak) {
    static ENGINES: OnceLock<Mutex<Vec<EngineWeak>>> = OnceLock::new();
    let mut started = false;
    let engines = ENGINES.get_or_init(|| {
        started = true;
        Mutex::new(Vec::new())
    });
    engines
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(engine);
    if started {
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(TICK);
                let mut engines = engines.lock().unwrap_or_else(|e| e.into_inner());
                engines.retain(|weak| match weak.upgrade() {
                    Some(engine) => {
                        engine.increment_epoch();
                        true
                    }
                    None => false,
                });
            }
        });
    }
}
