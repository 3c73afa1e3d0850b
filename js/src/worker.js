// One installer call, on a thread of its own: a fresh component instance
// whose sandbox grants exactly the directories the call needs.
//
// Why a worker: preview2-shim's I/O is synchronous from the component's side
// (each read blocks this thread on Atomics.wait while the shim's own worker
// does it), so on the caller's thread a call would freeze its event loop, and
// an HTTP server in the same process could never answer. The core modules
// arrive compiled; only instantiation happens here.

import { parentPort, workerData } from 'node:worker_threads';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { instantiate } from '../dist/component/installer.js';

const { modules, grants, network, method, args } = workerData;

const shim = new WASIShim({
  sandbox: {
    // Each grant under its own absolute path, as the Rust host preopens.
    preopens: Object.fromEntries(grants.map((dir) => [dir, dir])),
    env: {},
    enableNetwork: network,
  },
});

/**
 * preview2-shim 0.26.1 answers `http-error-code` for a failed body read with
 * the raw Node error (a connection reset, a stall) instead of an ErrorCode,
 * which jco cannot lower: the component would trap instead of seeing a
 * fetch error it retries. Anything that is not an ErrorCode becomes
 * `internal-error(message)`, which the component reads as a transport
 * failure (a truncation when the body was shorter than announced).
 */
function withErrorCodes(imports) {
  const types = imports['wasi:http/types'];
  const httpErrorCode = (e) => {
    const code = types.httpErrorCode(e);
    if (code === undefined || typeof code?.tag === 'string') return code;
    return { tag: 'internal-error', val: String(code?.message ?? code) };
  };
  return { ...imports, 'wasi:http/types': { ...types, httpErrorCode } };
}

let reply;
try {
  const { installer } = await instantiate((name) => modules[name], withErrorCodes(shim.getImportObject()));
  reply = { ok: installer[method](...args) };
} catch (e) {
  // jco throws an `err` result as a ComponentError carrying the WIT error
  // in `payload`; anything else is a trap or a bug in this glue.
  reply = e && typeof e === 'object' && 'payload' in e ? { err: e.payload } : { trap: String(e?.stack ?? e) };
}
parentPort.postMessage(reply);
