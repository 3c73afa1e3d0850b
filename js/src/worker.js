// Installer calls, on a thread of their own, one at a time: for each call a
// fresh component instance whose sandbox grants exactly the directories that
// call needs. The thread lives on between calls (starting one, and loading
// the shim and jco's glue into it, is most of what a call cost), but nothing
// of a call's instance does: each gets its own WASI shim, preopens and
// component instance. A thread whose call trapped is not reused.
//
// Why a worker: preview2-shim's I/O is synchronous from the component's side
// (each read blocks this thread on Atomics.wait while the shim's own worker
// does it), so on the caller's thread a call would freeze its event loop, and
// an HTTP server in the same process could never answer. The core modules
// arrive compiled, once, as the first message (compiled while this thread
// started); only instantiation happens per call.

import { parentPort } from 'node:worker_threads';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { digestImport } from './digest.js';
import { withFsErrorCodes } from './fs-errors.js';
import { loadGlue } from './glue.js';
import { closeLocalFiles, withLocalFiles } from './local-files.js';

/** The compiled core modules, by file name: the first message. */
let modules;

// Compiled (from V8's code cache) while the core modules compile.
const { instantiate } = loadGlue();

/**
 * The WASI imports of one call: its grants (each under its own absolute
 * path, as the Rust host preopens them; files read there are read on this
 * thread, see local-files.js), and the network if asked.
 */
function importsFor(grants, network) {
  const preopens = Object.fromEntries(grants.map((dir) => [dir, dir]));
  const shim = new WASIShim({ sandbox: { preopens, env: {}, enableNetwork: network } });
  return withLocalFiles(withErrorCodes(shim.getImportObject()), preopens);
}

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

/** One call in a fresh instance: its reply. */
async function run({ grants, network, method, args }) {
  try {
    const imports = { ...importsFor(grants, network), ...digestImport };
    withFsErrorCodes(imports['wasi:filesystem/types'].Descriptor);
    const { installer } = await instantiate((name) => modules[name], imports);
    return { ok: installer[method](...args) };
  } catch (e) {
    // jco throws an `err` result as a ComponentError carrying the WIT error
    // in `payload`; anything else is a trap or a bug in this glue.
    return e && typeof e === 'object' && 'payload' in e ? { err: e.payload } : { trap: String(e?.stack ?? e) };
  } finally {
    closeLocalFiles();
  }
}

parentPort.on('message', async (message) => {
  if ('modules' in message) {
    modules = message.modules;
    return;
  }
  parentPort.postMessage(await run(message));
});
