// The package follows the component: every function the built component
// exports has a Node function or a reason in src/component-exports.js, and
// every Node function calls one it exports. A new export in
// wit/installer.wit fails here until it is given one or the other.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as api from '../src/index.js';
import { componentExports } from '../src/component-exports.js';
import { builtInstaller, repo } from './helpers.js';

const js = join(repo, 'js');
const camel = (kebab) => kebab.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const sorted = (xs) => [...xs].sort();

/** The functions of the transpiled component's `installer` export, instantiated with nothing granted. */
async function builtExports() {
  const installer = await builtInstaller();
  return sorted(Object.keys(installer).filter((k) => typeof installer[k] === 'function'));
}

/** The functions `interface installer` declares in wit/installer.wit, camelCased as jco names them. */
function witExports() {
  const wit = readFileSync(join(repo, 'wit/installer.wit'), 'utf8').replace(/\/\/.*$/gm, '');
  const start = wit.search(/^[ \t]*interface installer\s*\{/m);
  assert.ok(start >= 0, 'wit/installer.wit has no `interface installer`');
  const names = [];
  let depth = 0;
  for (const line of wit.slice(start).split('\n')) {
    // Only the interface's own items (depth 1), not records' fields or resources' methods.
    const item = depth === 1 && line.match(/^\s*%?([a-z][a-z0-9-]*)\s*:\s*func\b/);
    if (item) names.push(camel(item[1]));
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    if (depth === 0) break; // the interface's closing brace
  }
  return sorted(names);
}

const listed = Object.keys(componentExports);
const exposed = Object.entries(componentExports).filter(([, v]) => typeof v === 'string');
const absent = Object.entries(componentExports).filter(([, v]) => typeof v !== 'string');

test('every function the component exports has a Node function or a reason in src/component-exports.js', async () => {
  const built = await builtExports();
  const missing = built.filter((name) => !listed.includes(name));
  assert.deepEqual(
    missing,
    [],
    `the component exports ${missing.join(', ')}, which the package neither calls nor lists: add a Node function ` +
      '(src/index.js and index.d.ts, a test, README.md) or an entry { absent: "why" } in src/component-exports.js',
  );
  const gone = listed.filter((name) => !built.includes(name));
  assert.deepEqual(gone, [], `src/component-exports.js lists ${gone.join(', ')}, which the component no longer exports`);
});

test('the built component exports what wit/installer.wit declares (dist/ is of this checkout)', async () => {
  assert.deepEqual(await builtExports(), witExports(), 'dist/ is stale: run `npm run build` after the cargo build');
});

test('each Node function calls the export the table names, and is declared and documented', () => {
  const functions = sorted(Object.keys(api).filter((k) => typeof api[k] === 'function' && k !== 'InstallerError'));
  assert.deepEqual(functions, sorted(exposed.map(([, fn]) => fn)), 'src/index.js and src/component-exports.js disagree');
  const source = readFileSync(join(js, 'src/index.js'), 'utf8');
  const types = readFileSync(join(js, 'src/index.d.ts'), 'utf8');
  const readme = readFileSync(join(js, 'README.md'), 'utf8');
  for (const [name, fn] of exposed) {
    assert.ok(new RegExp(`call\\('${name}'`).test(source), `${fn}() does not call the component's ${name}`);
    assert.ok(new RegExp(`export function ${fn}\\(`).test(types), `src/index.d.ts does not declare ${fn}()`);
    assert.ok(new RegExp(`\\b${fn}\\(`).test(readme), `README.md does not show ${fn}()`);
  }
  for (const [name, { absent: reason }] of absent) {
    assert.ok(typeof reason === 'string' && reason.length > 20, `${name} is absent without a reason`);
  }
});
