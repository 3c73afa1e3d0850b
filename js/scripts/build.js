// Builds dist/: the installer's wasi:http variant with `digest` left to the
// package (src/digest.js), written by the project's own binary (`wasm-plugin
// component --wasi-http --host-digest`, through `cargo run`, so it is always
// the component of this checkout), then transpiled by jco into
// core modules and ES-module glue with TypeScript types. Nothing here is
// committed; `npm run build` runs after the cargo build.
//
// WASM_PLUGIN_BIN names a built wasm-plugin binary to use instead of cargo.

import { transpile } from '@bytecodealliance/jco';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { glueScript, SCRIPT } from '../src/glue.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const staging = join(root, 'dist.tmp');
const dist = join(root, 'dist');
// The component itself is only jco's input: the package ships what jco makes.
const component = join(staging, 'installer-wasi-http.wasm');

rmSync(staging, { recursive: true, force: true });
mkdirSync(staging);

// Phase 1: the component.
const args = ['component', '--wasi-http', '--host-digest', '--out', component];
try {
  if (process.env.WASM_PLUGIN_BIN) {
    execFileSync(process.env.WASM_PLUGIN_BIN, args, { stdio: 'inherit' });
  } else {
    execFileSync('cargo', ['run', '--quiet', '--package', 'wasm-plugin', '--bin', 'wasm-plugin', '--', ...args], {
      cwd: dirname(root),
      stdio: 'inherit',
    });
  }
} catch (e) {
  console.error(
    `could not write the installer component (${e.message}); build the workspace first ` +
      '(`cargo build` in the repository) or set WASM_PLUGIN_BIN to a wasm-plugin binary',
  );
  process.exit(1);
}

// Phase 2: jco. Instantiation mode: the package instantiates the component
// once per call, in a worker, with that call's grants.
const { files } = await transpile(readFileSync(component), {
  name: 'installer',
  instantiation: 'async',
  quiet: true,
});
const out = join(staging, 'component');
for (const [name, bytes] of Object.entries(files)) {
  mkdirSync(dirname(join(out, name)), { recursive: true });
  writeFileSync(join(out, name), bytes);
}

// Phase 3: the glue as the worker loads it, a script (in place of jco's
// module, which nothing loads) with V8's code cache (see src/glue.js), made
// by a warm-up in a Node process of its own.
writeFileSync(join(out, SCRIPT), glueScript(readFileSync(join(out, 'installer.js'), 'utf8')));
rmSync(join(out, 'installer.js'));
// Without NODE_OPTIONS: V8 refuses a cache made under other V8 flags.
const env = { ...process.env };
delete env.NODE_OPTIONS;
try {
  execFileSync(process.execPath, [join(root, 'scripts/code-cache.js'), out], { stdio: 'inherit', env, timeout: 120_000 });
} catch (e) {
  console.error(`could not make the glue's code cache (${e.message})`);
  process.exit(1);
}

// Phase 4: replace dist/ whole, so a failed build never leaves half of one.
rmSync(component);
rmSync(dist, { recursive: true, force: true });
renameSync(staging, dist);
console.log(`built ${dist} (${Object.keys(files).length} files from jco)`);
