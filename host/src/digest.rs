//! The component's `digest` import: SHA-256 and SHA-512 at the machine's
//! speed. The `sha2` crate picks its hardware backend at run time (SHA-NI
//! for SHA-256 and AVX2 for SHA-512 on x86-64, the SHA extensions on
//! aarch64), which code compiled from WebAssembly cannot reach.
//!
//! Only arithmetic happens here. The component decides which bytes are
//! hashed and what the digests must be; see `wit/installer.wit`.
//!
//! Once a hasher has been fed more than [`Limits::inline_bytes`], it moves to
//! a thread of its own: an install's SHA-256, each signature's SHA-512, and
//! the component's own work (reading, framing, writing) then run side by
//! side on the machine's cores. `update` hands the bytes over and returns;
//! `finish` waits for the thread.

use sha2::{Digest as _, Sha256, Sha512};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// What hashing may use. Fixed: nothing here is for a user to tune.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes hashed on the calling thread before the hasher moves to its
    /// own: small inputs (indexes, keys) are not worth a thread.
    pub inline_bytes: u64,
    /// Updates queued for a hasher's thread before `update` waits: bounds
    /// the memory a hasher holds to this many of the component's updates
    /// plus the one being hashed (it feeds what it read, at most 1 MiB at
    /// a time), outside the component's memory cap.
    pub queued_updates: usize,
    /// Hasher threads alive at once in this process (installs running side
    /// by side included); past it, hashers stay on the calling thread.
    pub threads: usize,
}

/// The limits the host uses.
pub const LIMITS: Limits = Limits {
    inline_bytes: 1 << 20,
    queued_updates: 4,
    threads: 16,
};

/// Hasher threads alive now (see [`Limits::threads`]).
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// One hash in progress: the component's `hasher` resource.
pub struct Hasher {
    state: State,
    fed: u64,
}

enum State {
    Here(Running),
    Thread {
        bytes: SyncSender<Vec<u8>>,
        done: JoinHandle<Vec<u8>>,
    },
    /// Only while moving between the two.
    Moving,
}

enum Running {
    Sha256(Sha256),
    Sha512(Sha512),
}

/// The hash functions of the WIT's `algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Running {
    fn new(algorithm: Algorithm) -> Running {
        match algorithm {
            Algorithm::Sha256 => Running::Sha256(Sha256::new()),
            Algorithm::Sha512 => Running::Sha512(Sha512::new()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Running::Sha256(h) => h.update(bytes),
            Running::Sha512(h) => h.update(bytes),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Running::Sha256(h) => h.finalize().to_vec(),
            Running::Sha512(h) => h.finalize().to_vec(),
        }
    }

    /// Hashes what arrives on `bytes` until the sender is dropped.
    fn drain(mut self, bytes: Receiver<Vec<u8>>) -> Vec<u8> {
        for chunk in bytes {
            self.update(&chunk);
        }
        self.finish()
    }
}

/// Releases a slot of [`THREADS`] when a hasher thread ends, however it ends.
struct Slot;

impl Drop for Slot {
    fn drop(&mut self) {
        THREADS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Takes a slot of [`THREADS`], if one is free.
fn take_slot(limits: &Limits) -> Option<Slot> {
    THREADS
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < limits.threads).then_some(n + 1)
        })
        .ok()
        .map(|_| Slot)
}

impl Hasher {
    /// A hasher that has seen no bytes.
    pub fn new(algorithm: Algorithm) -> Hasher {
        Hasher {
            state: State::Here(Running::new(algorithm)),
            fed: 0,
        }
    }

    /// Feeds `bytes` (owned: lifted from the component's memory, they are
    /// handed to the thread without another copy).
    pub fn update(&mut self, bytes: Vec<u8>) {
        self.update_with(bytes, &LIMITS);
    }

    fn update_with(&mut self, bytes: Vec<u8>, limits: &Limits) {
        self.fed = self.fed.saturating_add(bytes.len() as u64);
        if self.fed > limits.inline_bytes
            && let State::Here(_) = self.state
        {
            self.move_to_thread(limits);
        }
        match &mut self.state {
            State::Here(running) => running.update(&bytes),
            State::Thread { bytes: queue, .. } => {
                if let Err(returned) = queue.send(bytes) {
                    // The thread is gone only if it panicked; `finish`
                    // reports that. Nothing to feed.
                    drop(returned);
                }
            }
            State::Moving => unreachable!("a hasher is never left moving"),
        }
    }

    /// Moves the hash to a thread of its own, when a slot is free and the
    /// thread can be started; otherwise it stays here.
    fn move_to_thread(&mut self, limits: &Limits) {
        let Some(slot) = take_slot(limits) else {
            return;
        };
        let State::Here(running) = std::mem::replace(&mut self.state, State::Moving) else {
            unreachable!("only a hasher running here moves")
        };
        let (send, receive) = sync_channel::<Vec<u8>>(limits.queued_updates);
        // The state goes to the thread inside a cell the closure takes, so
        // that a failed spawn can give it back.
        let cell = std::sync::Arc::new(std::sync::Mutex::new(Some(running)));
        let for_thread = cell.clone();
        let spawned = std::thread::Builder::new()
            .name("wasm-plugin-hash".into())
            .spawn(move || {
                let _slot = slot;
                let running = for_thread
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .expect("the state is handed over once");
                running.drain(receive)
            });
        self.state = match spawned {
            Ok(done) => State::Thread { bytes: send, done },
            Err(_) => {
                // No thread (the process is at its limit): hash here. The
                // closure, and the slot with it, were dropped by `spawn`.
                let running = cell
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .expect("the closure never ran");
                State::Here(running)
            }
        };
    }

    /// The digest of every byte fed.
    pub fn finish(self) -> Result<Vec<u8>, String> {
        match self.state {
            State::Here(running) => Ok(running.finish()),
            State::Thread { bytes, done } => {
                drop(bytes);
                done.join()
                    .map_err(|_| "a hashing thread panicked".to_string())
            }
            State::Moving => unreachable!("a hasher is never left moving"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 + i / 7) as u8).collect()
    }

    /// `data` fed in `piece`-byte updates with `limits`, against the
    /// digest of the whole.
    fn agrees(algorithm: Algorithm, data: &[u8], piece: usize, limits: &Limits) {
        let mut hasher = Hasher::new(algorithm);
        for chunk in data.chunks(piece.max(1)) {
            hasher.update_with(chunk.to_vec(), limits);
        }
        let expected = match algorithm {
            Algorithm::Sha256 => Sha256::digest(data).to_vec(),
            Algorithm::Sha512 => Sha512::digest(data).to_vec(),
        };
        assert_eq!(hasher.finish().unwrap(), expected, "{algorithm:?} {piece}");
    }

    #[test]
    fn digests_agree_with_one_shot_hashing_here_and_on_a_thread() {
        let data = bytes(3 << 20 | 12345);
        for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
            // All on the calling thread, moved after the first update, and
            // moved mid-way with a queue of one.
            for limits in [
                Limits {
                    inline_bytes: u64::MAX,
                    ..LIMITS
                },
                Limits {
                    inline_bytes: 0,
                    ..LIMITS
                },
                Limits {
                    inline_bytes: 1 << 20,
                    queued_updates: 1,
                    ..LIMITS
                },
            ] {
                for piece in [1 << 20, 65536, 1000] {
                    agrees(algorithm, &data, piece, &limits);
                }
            }
        }
    }

    #[test]
    fn known_answers() {
        let mut sha256 = Hasher::new(Algorithm::Sha256);
        sha256.update(b"abc".to_vec());
        assert_eq!(
            hex::encode(sha256.finish().unwrap()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let sha512 = Hasher::new(Algorithm::Sha512);
        assert!(
            hex::encode(sha512.finish().unwrap()).starts_with("cf83e1357eefb8bdf1542850d66d8007")
        );
    }

    #[test]
    fn without_a_free_slot_a_hasher_stays_here_and_is_right() {
        let none = Limits {
            inline_bytes: 0,
            threads: 0,
            ..LIMITS
        };
        let mut hasher = Hasher::new(Algorithm::Sha256);
        hasher.update_with(b"ab".to_vec(), &none);
        assert!(matches!(hasher.state, State::Here(_)));
        hasher.update_with(b"c".to_vec(), &none);
        assert_eq!(
            hex::encode(hasher.finish().unwrap()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_hasher_dropped_mid_way_ends_its_thread() {
        let limits = Limits {
            inline_bytes: 0,
            threads: usize::MAX,
            ..LIMITS
        };
        let mut hasher = Hasher::new(Algorithm::Sha512);
        hasher.update_with(bytes(1000), &limits);
        let State::Thread { done, bytes } = hasher.state else {
            panic!("expected a thread")
        };
        // What dropping the resource does: the queue closes, the thread
        // ends (this join would hang otherwise).
        drop(bytes);
        assert_eq!(done.join().unwrap().len(), 64);
    }
}
