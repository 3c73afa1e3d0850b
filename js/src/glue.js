// jco's glue as the worker runs it: a classic script compiled with V8's
// code cache, which `npm run build` made after a warm-up (scripts/code-cache.js).
//
// Why: the glue is 2.8 MB of JavaScript. As an ES module every worker parsed
// and compiled it afresh (30-60 ms), then compiled each function the first
// call ran (the instantiation alone was 25 ms the first time, 5 ms later).
// With the cache, both come compiled: the first call took about 30 ms less
// (measured 2026-12-07 on the 2-core development VM). The cache is used only
// for the script it was made from: V8 itself compares no more than the
// source's length, so the file starts with the script's SHA-256. A cache
// that does not match, or that V8 refuses (another Node, or V8 flags), costs
// nothing but that time: the glue is compiled from source.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/** The glue as a script, and its code cache: written by scripts/build.js. */
export const SCRIPT = 'installer.script.js';
export const CACHE = 'installer.script.cache';

const built = new URL('../dist/component/', import.meta.url);

// jco's glue offers each export to WebAssembly.promising (JS Promise
// Integration) and, where that throws, keeps the export itself. Node 20-24
// has no JSPI, so each of the ~40 attempts throws a TypeError, and V8 words
// a "not a function" message by re-parsing the function the call sits in:
// jco's instance initializer, some 50,000 lines. That was ~2.5 s of CPU per
// instantiation, nearly all of a call. Where JSPI is absent, `promising` as
// the identity gives the glue what its fallback takes, without the throws.
if (typeof WebAssembly.promising !== 'function') {
  WebAssembly.promising = (f) => f;
}

const sha256 = (text) => createHash('sha256').update(text).digest();

/**
 * jco's `instantiate`, from the script in `dir` (the package's built one by
 * default), with its code cache unless `cache` is false. Also returns the
 * `vm.Script` (whose `cachedDataRejected` says whether V8 took the cache,
 * undefined when none matched) and the source, for making a cache.
 */
export function loadGlue(dir = built, { cache = true } = {}) {
  const path = new URL(SCRIPT, dir);
  const source = readFileSync(path, 'utf8');
  const cachedData = cache ? cacheFor(source, readCache(dir)) : undefined;
  const script = new vm.Script(source, { filename: fileURLToPath(path), cachedData });
  return { instantiate: script.runInThisContext(), script, source };
}

/** The bytes of a cache file: the script's SHA-256, then V8's cache. */
export function cacheFile(source, script) {
  return Buffer.concat([sha256(source), script.createCachedData()]);
}

/** V8's cache from a cache file, if the file was made for `source`. */
export function cacheFor(source, file) {
  if (!file || file.length <= 32 || !sha256(source).equals(file.subarray(0, 32))) return undefined;
  return file.subarray(32);
}

function readCache(dir) {
  try {
    return readFileSync(new URL(CACHE, dir));
  } catch {
    return undefined; // none: compiled from source
  }
}

/**
 * jco's ES-module glue as a classic script whose value is `instantiate`
 * (a code cache is for scripts: Node 20 keeps none for modules), strict as
 * a module is. In instantiation mode the glue imports nothing: everything
 * comes in through `instantiate`'s arguments. Each edit must match exactly
 * once, so that a jco whose output differs fails the build instead of
 * misbehaving.
 */
export function glueScript(module) {
  let source = module;
  for (const [from, to] of [
    ['export function instantiate(', 'function instantiate('],
    ['export const _util =', 'const _util ='],
    // Only where no core-module getter is passed: the worker always passes one.
    ['import.meta.url', 'undefined'],
    // jco's debug log reads process.env (a call into the C++ environment)
    // at each of the hundreds of places it logs, every call: about 0.2 ms
    // of a 7 ms call. Read once, when the glue loads (JCO_DEBUG set before
    // the first call still turns it on).
    ['if (!globalThis?.process?.env?.JCO_DEBUG) { return; }', 'if (!jcoDebug) { return; }'],
  ]) {
    const at = source.indexOf(from);
    if (at < 0 || source.indexOf(from, at + 1) >= 0) {
      throw new Error(`jco's glue does not contain \`${from}\` exactly once: see src/glue.js`);
    }
    source = source.slice(0, at) + to + source.slice(at + from.length);
  }
  return `(function () {\n'use strict';\nconst jcoDebug = globalThis?.process?.env?.JCO_DEBUG;\n${source}\nreturn instantiate;\n})()\n`;
}
