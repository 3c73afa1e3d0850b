// Writes V8's code cache of the worker's glue (src/glue.js) into the built
// component directory given as the argument. The cache is made after a
// warm-up, so that it holds compiled code for the functions calls run, not
// only the glue's top level: the example registry's plugin installed,
// verified and listed, in a scratch directory, as the package's calls do.
// Run by scripts/build.js in a process of its own.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { digestImport } from '../src/digest.js';
import { CACHE, cacheFile, loadGlue } from '../src/glue.js';

const dir = process.argv[2];
const example = join(dirname(dirname(dirname(fileURLToPath(import.meta.url)))), 'examples/registry');
const { instantiate, script, source } = loadGlue(pathToFileURL(`${dir}/`), { cache: false });
const modules = {};
for (const name of readdirSync(dir).filter((n) => n.endsWith('.wasm'))) {
  modules[name] = await WebAssembly.compile(readFileSync(join(dir, name)));
}

const scratch = mkdtempSync(join(tmpdir(), 'wasm-plugin-code-cache-'));
try {
  const trustRoot = join(example, 'trust');
  const dest = join(scratch, 'plugins');
  mkdirSync(dest);
  const call = async (grants, f) => {
    const preopens = Object.fromEntries(grants.map((d) => [d, d]));
    const shim = new WASIShim({ sandbox: { preopens, env: {}, enableNetwork: false } });
    const { installer } = await instantiate((name) => modules[name], { ...shim.getImportObject(), ...digestImport });
    return f(installer);
  };
  await call([example, dest], (i) =>
    i.install({
      registry: join(example, 'index.json'),
      spec: 'hello',
      version: undefined,
      dest,
      trustRoot,
      mode: 'install',
      allowDowngrade: false,
      allowExpired: false,
      maxSize: 1n << 20n,
      preloaded: undefined,
      dryRun: false,
      allowImports: [],
      denyImports: [],
      world: undefined,
    }),
  );
  await call([dest, trustRoot], (i) =>
    i.verify({ artifact: join(dest, 'hello.wasm'), signature: undefined, trustRoot, world: undefined }),
  );
  await call([dest], (i) => i.listInstalled(dest));
} catch (e) {
  // The component could not install, verify or list the example plugin:
  // not a package to ship.
  console.error(`the warm-up (${fileURLToPath(import.meta.url)}) failed: ${e?.payload?.message ?? e?.stack ?? e}`);
  process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (!process.exitCode) writeFileSync(join(dir, CACHE), cacheFile(source, script));
