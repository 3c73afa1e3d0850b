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

test('glue the edits do not fit exactly once fails the build, naming the edit', () => {
  const glue = 'export function instantiate(g, i) { return import.meta.url; }\nexport const _util = {};\n';
  assert.equal(typeof eval(glueScript(glue)), 'function');
  assert.throws(() => glueScript(glue.replace('export const _util', 'const _util')), /`export const _util =` exactly once/);
  assert.throws(() => glueScript(glue + glue), /exactly once/);
});

test('the glue runs strict, as the module it was', () => {
  const instantiate = eval(glueScript('export function instantiate() { return this ?? import.meta.url; }\nexport const _util = {};\n'));
  assert.equal(instantiate(), undefined);
});
