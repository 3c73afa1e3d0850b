// preview2-shim, with its I/O thread started when first used instead of
// when the shim is imported.
//
// preview2-shim 0.26.1 starts a worker thread for its I/O as its module
// loads (io/worker-io.js: `new Worker(...)` at the top level). Booting it is
// about 20 ms of CPU, which on a 2-core machine competes with everything a
// first call does; and since a call's file reads are answered on the
// calling thread (local-files.js), a `verify` never uses it. So while the
// shim loads, `Worker` is a stand-in that remembers what the shim does with
// it (its listeners, `unref`) and starts the real thread at the first
// message the shim sends it: the shim then blocks on the answer as it does
// for every call, while the thread boots. Only this import sees the
// stand-in: `Worker` is restored as soon as the shim has loaded.

import { syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

const RealWorker = workerThreads.Worker;

/** Whether a stand-in has started its real worker (see `ioThreadStarted`). */
let started = false;

/** A `Worker` that starts at its first message. */
class LaterWorker {
  #args;
  #real;
  #pending = [];

  constructor(...args) {
    this.#args = args;
  }

  #replay(method, args) {
    if (this.#real) {
      this.#real[method](...args);
    } else {
      this.#pending.push([method, args]);
    }
  }

  #start() {
    if (!this.#real) {
      this.#real = new RealWorker(...this.#args);
      started = true;
      for (const [method, args] of this.#pending) this.#real[method](...args);
      this.#pending = [];
    }
    return this.#real;
  }

  on(...args) {
    this.#replay('on', args);
    return this;
  }

  once(...args) {
    this.#replay('once', args);
    return this;
  }

  ref() {
    this.#replay('ref', []);
  }

  unref() {
    this.#replay('unref', []);
  }

  postMessage(...args) {
    return this.#start().postMessage(...args);
  }

  terminate() {
    return this.#real ? this.#real.terminate() : Promise.resolve(undefined);
  }
}

workerThreads.Worker = LaterWorker;
syncBuiltinESMExports();
let shim;
try {
  shim = await import('@bytecodealliance/preview2-shim/instantiation');
} finally {
  workerThreads.Worker = RealWorker;
  syncBuiltinESMExports();
}

/** preview2-shim's `WASIShim`. */
export const { WASIShim } = shim;

/** Whether the shim's I/O thread has been started in this thread. */
export function ioThreadStarted() {
  return started;
}
