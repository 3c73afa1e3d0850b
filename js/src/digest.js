// The component's `digest` import (wit/installer.wit), answered by
// node:crypto: OpenSSL, with the CPU's SHA instructions. The component still
// picks the bytes, keeps the digests, compares them and decides; only the
// arithmetic happens here, as in the Rust host (host/src/digest.rs).
//
// Why not the WebAssembly `digest` the wasi:http variant carries: jco on an
// engine without multi-memory (Node 20) copies every byte passed between
// composed components through a JavaScript call, and the artefact's bytes go
// to two hashes: a 32 MiB `verify` took 13 s. Here `update` gets them with
// one copy out of the installer's memory.

import { createHash } from 'node:crypto';

/** The WIT `algorithm` enum, by jco's name for each case, as OpenSSL names them. */
const ALGORITHMS = new Map([
  ['sha256', 'sha256'],
  ['sha512', 'sha512'],
]);

/** One hash in progress: the WIT `hasher` resource. */
export class Hasher {
  #hash;

  constructor(algorithm) {
    const name = ALGORITHMS.get(algorithm);
    // Only a component built against another WIT could ask for another:
    // a trap, as a host bug is.
    if (name === undefined) throw new TypeError(`digest: unknown algorithm ${String(algorithm)}`);
    this.#hash = createHash(name);
  }

  /** Feeds `bytes` (a copy jco made out of the component's memory). */
  update(bytes) {
    this.#hash.update(bytes);
  }

  /** The digest of everything fed; consumes the hasher. */
  static finish(hasher) {
    return hasher.#hash.digest();
  }
}

/** The import as jco's instantiation takes it. */
export const digestImport = { 'wasm-plugin:installer/digest': { Hasher } };
