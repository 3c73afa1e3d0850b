// The worker's glue (src/glue.js): jco's module as a script with the code
// cache the build made, taken by this Node; a cache made for another script
// is not used, one V8 refuses costs only time; a jco whose output the edits
// do not fit fails the build.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { CACHE, cacheFor, glueScript, loadGlue, SCRIPT } from '../src/glue.js';
import { builtInstaller, repo, scratch } from './helpers.js';

const dir = join(repo, 'js/dist/component');

const exportsOf = (instantiate) => builtInstaller({ instantiate });

test("the build's code cache, made after a warm-up, is taken by this Node, and the glue it loads runs", async () => {
  const { instantiate, script } = loadGlue();
  assert.equal(script.cachedDataRejected, false);
  // The functions the warm-up ran, not only the top level (about 7 kB).
  assert.ok(statSync(join(dir, CACHE)).size > 200_000, 'a code cache of the top level only');
  assert.equal(typeof (await exportsOf(instantiate)).verify, 'function');
});

test('a code cache made for another script is not used, even of the same length', () => {
  const source = readFileSync(join(dir, SCRIPT), 'utf8');
  const file = readFileSync(join(dir, CACHE));
  assert.ok(cacheFor(source, file));
  // V8 alone would take this one: it compares lengths.
  const edited = source.replace('Resource error', 'RESOURCE ERROR');
  assert.notEqual(edited, source);
  assert.equal(cacheFor(edited, file), undefined);
  assert.equal(cacheFor(source, file.subarray(0, 32)), undefined);
  assert.equal(cacheFor(source, undefined), undefined);
});

test('a code cache V8 refuses is compiled around, not an error', async (t) => {
  const copy = scratch(t);
  copyFileSync(join(dir, SCRIPT), join(copy, SCRIPT));
  const hash = createHash('sha256').update(readFileSync(join(dir, SCRIPT), 'utf8')).digest();
  writeFileSync(join(copy, CACHE), Buffer.concat([hash, Buffer.from('not a code cache')]));
  const { instantiate, script } = loadGlue(pathToFileURL(`${copy}/`));
  assert.equal(script.cachedDataRejected, true);
  assert.equal(typeof (await exportsOf(instantiate)).verify, 'function');
});

/** The lines of jco's glue that the build edits, in a glue of their own. */
const DEBUG_LOG = 'const _debugLog = (...args) => {\n  if (!globalThis?.process?.env?.JCO_DEBUG) { return; }\n  log(...args);\n};\n';

test('glue the edits do not fit exactly once fails the build, naming the edit', () => {
  const glue = `${DEBUG_LOG}export function instantiate(g, i) { return import.meta.url; }\nexport const _util = {};\n`;
  assert.equal(typeof eval(glueScript(glue)), 'function');
  assert.throws(() => glueScript(glue.replace('export const _util', 'const _util')), /`export const _util =` exactly once/);
  assert.throws(() => glueScript(glue + glue), /exactly once/);
});

test('the glue runs strict, as the module it was', () => {
  const instantiate = eval(glueScript(`${DEBUG_LOG}export function instantiate() { return this ?? import.meta.url; }\nexport const _util = {};\n`));
  assert.equal(instantiate(), undefined);
});

test("jco's debug log reads JCO_DEBUG once, when the glue loads, not at every call", () => {
  const logged = [];
  const glue = `${DEBUG_LOG}export function instantiate(log) { _debugLog('called'); }\nexport const _util = {};\nimport.meta.url;\n`;
  const load = (value) => {
    const saved = process.env.JCO_DEBUG;
    if (value === undefined) delete process.env.JCO_DEBUG;
    else process.env.JCO_DEBUG = value;
    try {
      // `log` is what the test glue's _debugLog writes with.
      return new Function('log', `return ${glueScript(glue)}`)((...args) => logged.push(args.join(' ')));
    } finally {
      if (saved === undefined) delete process.env.JCO_DEBUG;
      else process.env.JCO_DEBUG = saved;
    }
  };
  const quiet = load(undefined);
  const loud = load('1');
  process.env.JCO_DEBUG = '1';
  try {
    quiet();
  } finally {
    delete process.env.JCO_DEBUG;
  }
  assert.deepEqual(logged, [], 'set after loading: still quiet');
  loud();
  assert.deepEqual(logged, ['called'], 'set when loading: it logs');
});
