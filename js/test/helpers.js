// Registries, keys and servers made by the tests themselves.

import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { digestImport } from '../src/digest.js';
import { loadGlue } from '../src/glue.js';

export const repo = new URL('../../', import.meta.url).pathname;
export const example = join(repo, 'examples/registry');

/**
 * The built component's `installer` export, from glue `instantiate` (the
 * worker's, by default), with nothing granted and `imports` beside the
 * shim's (the package's digest by default).
 */
export async function builtInstaller({ instantiate = loadGlue().instantiate, imports = digestImport } = {}) {
  const dir = join(repo, 'js/dist/component');
  const modules = {};
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.wasm'))) {
    modules[name] = await WebAssembly.compile(readFileSync(join(dir, name)));
  }
  const shim = new WASIShim({ sandbox: { preopens: {}, env: {}, enableNetwork: false } });
  const { installer } = await instantiate((name) => modules[name], { ...shim.getImportObject(), ...imports });
  return installer;
}

/** A scratch directory, removed when the test ends. */
export function scratch(t) {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-plugin-js-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** An Ed25519 key; `trust(dir, label)` writes `<label>.pub` as wasm-plugin reads it. */
export function key() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  return {
    /** The raw 32-byte public key. */
    raw,
    sign: (bytes) => sign(null, bytes, privateKey).toString('base64'),
    trust(dir, label) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${label}.pub`), raw.toString('base64'));
      return dir;
    },
  };
}

/** An index listing `entries` ({name, version, bytes, artifact?, sign?}), signed by `k`. */
export function index(k, entries, version = 1) {
  return {
    schema_version: '1',
    version,
    plugins: entries.map((e) => ({
      name: e.name,
      version: e.version,
      artifact: e.artifact ?? `${e.name}-${e.version}.wasm`,
      sha256: sha256(e.bytes),
      signature: k.sign(e.bytes),
    })),
  };
}

/** Writes a registry directory: index.json and each entry's artefact. */
export function localRegistry(dir, k, entries) {
  mkdirSync(dir, { recursive: true });
  for (const e of entries) writeFileSync(join(dir, e.artifact ?? `${e.name}-${e.version}.wasm`), e.bytes);
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index(k, entries), null, 2));
  return join(dir, 'index.json');
}

/** Every file under `dir` with its sha256, to compare before and after. */
export function snapshot(dir) {
  const out = {};
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = sha256(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/**
 * An HTTP server on 127.0.0.1 in this thread (the package's calls run in
 * workers, so it can answer them). `routes` maps a path to a body, a status,
 * `{announce, send}`: a Content-Length of `announce`, then `send` and a
 * closed connection, or `{cacheable}`: that body with an ETag, and a 304
 * (counted in `notModified`) to a request whose If-None-Match names it.
 */
export async function serve(t, routes) {
  const hits = {};
  const notModified = {};
  const server = createServer((req, res) => {
    hits[req.url] = (hits[req.url] ?? 0) + 1;
    const route = routes[req.url];
    if (route === undefined || typeof route === 'number') {
      res.writeHead(route ?? 404).end('no');
    } else if (route.cacheable !== undefined) {
      const etag = `"${sha256(Buffer.from(route.cacheable))}"`;
      if (req.headers['if-none-match'] === etag) {
        notModified[req.url] = (notModified[req.url] ?? 0) + 1;
        res.writeHead(304, { etag }).end();
      } else {
        res.writeHead(200, { etag, 'content-length': Buffer.byteLength(route.cacheable) }).end(route.cacheable);
      }
    } else if (route.announce !== undefined) {
      res.writeHead(200, { 'content-length': route.announce });
      res.write(route.send, () => res.socket.end());
    } else {
      res.writeHead(200, { 'content-length': Buffer.byteLength(route) }).end(route);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { base: `http://127.0.0.1:${server.address().port}`, hits, notModified };
}
