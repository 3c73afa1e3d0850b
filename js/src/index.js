// @wasm-plugin/installer: the wasm-plugin installer component in Node.
//
// Every call runs the component (its wasi:http variant with `digest` left to
// its host, transpiled by jco; src/digest.js answers it) in a worker thread
// with a fresh instance whose sandbox grants only the directories that call
// needs, as the Rust host grants them: the registry
// index's directory, the trust root and `allowRead` directories to read, the
// plugins directory to write. Digests, signatures, names and placement are
// all decided inside the component; this file only grants and translates.

import { mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InstallerError } from './errors.js';

export { InstallerError };

/** The largest artefact `install` accepts unless `maxSize` says otherwise (as the CLI). */
export const DEFAULT_MAX_SIZE = 512 * 1024 * 1024;

const componentDir = new URL('../dist/component/', import.meta.url);

/**
 * Installs one plugin from a registry into a plugins directory (created if
 * missing), writing `<name>.wasm` (+ `<name>.sig`) and its receipt.
 */
export async function install(options) {
  // Phase 1: every argument checked before anything is created.
  const o = required(options, 'install', ['registry', 'spec', 'dest']);
  optionalString(o, 'version');
  const maxSize = byteCount(o.maxSize ?? DEFAULT_MAX_SIZE, 'maxSize');
  const source = indexSource(o);
  const allowRead = optionalList(o, 'allowRead').map((d) => existingDir(d, 'allowRead'));
  const allowImports = optionalList(o, 'allowImports');
  const denyImports = optionalList(o, 'denyImports');
  const world = worldRef(o);
  const target = destKey(o.dest);
  // Phase 2: one call at a time per plugins directory, then grant and run.
  return serialized(target, async () => {
    const { dest, created } = ensureDir(target);
    const request = {
      registry: source.registry,
      spec: o.spec,
      version: o.version,
      dest,
      trustRoot: source.trustRoot,
      mode: o.upgrade ? 'upgrade' : 'install',
      allowDowngrade: Boolean(o.allowDowngrade),
      allowExpired: Boolean(o.allowExpired),
      maxSize,
      preloaded: undefined,
      dryRun: false,
      allowImports,
      denyImports,
      world: world?.ref,
    };
    const grants = [...source.grants, ...allowRead, ...(world?.grants ?? []), dest];
    try {
      return await call('install', [request], grants, { network: true, dest });
    } catch (e) {
      if (created) removeIfUnused(dest);
      throw e;
    }
  });
}

/** Checks a plugin file's digest and, with a trust root, its signature. */
export async function verify(options) {
  const o = required(options, 'verify', ['artifact']);
  optionalString(o, 'signature');
  const artifact = existingFile(o.artifact, 'artifact');
  const signature = o.signature === undefined ? undefined : existingFile(o.signature, 'signature');
  const trustRoot = optionalDir(o.trustRoot, 'trustRoot');
  const world = worldRef(o);
  const grants = [dirname(artifact), signature && dirname(signature), trustRoot, ...(world?.grants ?? [])].filter(Boolean);
  return call('verify', [{ artifact, signature, trustRoot, world: world?.ref }], grants);
}

/**
 * Verifies a Sigstore bundle for an artefact (a file, or `sha256:HEX`), offline: signed by
 * `identity` from `issuer` (keyless), or with the PEM public key `key`; against the public-good
 * trusted root (embedded), `staging`'s, or the `trustedRoot` file.
 */
export async function verifyBundle(options) {
  const o = required(options, 'verifyBundle', ['bundle', 'artifact']);
  for (const name of ['identity', 'issuer', 'key', 'trustedRoot']) optionalString(o, name);
  const bundle = existingFile(o.bundle, 'bundle');
  let signer;
  if (o.key !== undefined) {
    if (o.identity !== undefined) throw usage('key', 'verifyBundle() takes key, or identity with issuer, not both');
    signer = { tag: 'key', val: existingFile(o.key, 'key') };
  } else if (o.identity !== undefined && o.issuer !== undefined) {
    signer = { tag: 'identity', val: { identity: o.identity, issuer: o.issuer } };
  } else {
    throw usage(o.identity === undefined ? 'identity' : 'issuer', 'verifyBundle() needs key, or identity with issuer');
  }
  const trustedRoot =
    o.trustedRoot !== undefined
      ? { tag: 'file', val: existingFile(o.trustedRoot, 'trustedRoot') }
      : { tag: o.staging ? 'staging' : 'production' };
  // As the CLI: `sha256:` and 64 hex digits naming no file is a digest.
  const digest = /^sha256:[0-9a-fA-F]{64}$/.test(o.artifact) && !pathExists(o.artifact);
  const artifact = digest ? o.artifact.toLowerCase() : existingFile(o.artifact, 'artifact');
  const grants = [
    dirname(bundle),
    !digest && dirname(artifact),
    signer.tag === 'key' && dirname(signer.val),
    trustedRoot.tag === 'file' && dirname(trustedRoot.val),
  ].filter(Boolean);
  return call('verifyBundle', [{ bundle, artifact, signer, trustedRoot }], grants);
}

function pathExists(path) {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks everything installed in a plugins directory against its receipts (and a trust root),
 * with `manifest` against the plugin set it declares and its lock pins, and with `registry`
 * against the versions that registry has yanked.
 */
export async function audit(options) {
  const o = required(options, 'audit', ['dest']);
  const dest = existingDir(o.dest, 'dest');
  const trustRoot = optionalDir(o.trustRoot, 'trustRoot');
  const manifest = o.manifest === undefined || o.manifest === null ? undefined : existingFile(o.manifest, 'manifest');
  const allowImports = optionalList(o, 'allowImports');
  const denyImports = optionalList(o, 'denyImports');
  optionalString(o, 'registry');
  const registry = o.registry === undefined ? undefined : indexSource(o);
  const grants = [dest, trustRoot, manifest && dirname(manifest), ...(registry?.grants ?? [])].filter(Boolean);
  // After any install running there: it would otherwise see its temp file.
  return serialized(dest, () =>
    call('audit', [dest, trustRoot, manifest, registry?.request, allowImports, denyImports], grants, {
      network: Boolean(registry),
    }),
  );
}

/** The receipts of the plugins installed in a plugins directory. */
export async function listInstalled(options) {
  const o = required(options, 'listInstalled', ['dest']);
  const dest = existingDir(o.dest, 'dest');
  return serialized(dest, () => call('listInstalled', [dest], [dest]));
}

/**
 * Reads, validates and (with a trust root) authenticates a registry index.
 * A sparse registry has no index of every plugin: `plugin` reads that
 * plugin's file, `search` the files of the plugins whose names (in its
 * optional name list) hold the text.
 */
export async function loadIndex(options) {
  const o = required(options, 'loadIndex', ['registry']);
  optionalString(o, 'plugin');
  optionalString(o, 'search');
  const source = indexSource(o);
  const request = { ...source.request, plugin: o.plugin, search: o.search };
  return call('loadIndex', [request], source.grants, { network: true });
}

/** The entry of a registry index that `spec` (and `version`) resolve to: what install would take. */
export async function findEntry(options) {
  const o = required(options, 'findEntry', ['registry', 'spec']);
  optionalString(o, 'version');
  const source = indexSource(o);
  return call('findEntry', [source.request, o.spec, o.version], source.grants, { network: true });
}

/**
 * Each plugin installed in a plugins directory against a registry: the
 * highest version its recorded requirement admits, and the highest of all.
 */
export async function outdated(options) {
  const o = required(options, 'outdated', ['registry', 'dest']);
  const source = indexSource(o);
  const dest = existingDir(o.dest, 'dest');
  return serialized(dest, () => call('outdated', [source.request, dest], [...source.grants, dest], { network: true }));
}

/**
 * Forgets the index version a plugins directory recorded for a registry
 * (against rollback), after a deliberate reset of that registry.
 */
export async function forgetRegistry(options) {
  const o = required(options, 'forgetRegistry', ['dest', 'registry']);
  const dest = existingDir(o.dest, 'dest');
  const registry = registryName(o.registry);
  return serialized(dest, () => call('forgetRegistry', [dest, registry], [dest], { dest }));
}

/** Removes an installed plugin: `<name>.wasm`, then `<name>.sig`, then its receipt. */
export async function uninstall(options) {
  const o = required(options, 'uninstall', ['dest', 'name']);
  const dest = existingDir(o.dest, 'dest');
  return serialized(dest, () => call('uninstall', [dest, o.name], [dest], { dest }));
}

/** Reads and checks a plugin set's manifest (`wasm-plugin.toml`); its paths come back absolute. */
export async function readManifest(options) {
  const o = required(options, 'readManifest', ['path']);
  const path = existingFile(o.path, 'path');
  return call('readManifest', [path], [dirname(path)]);
}

/** A trust root's `root.json` (the file, or the trust root directory holding it): keys, roles, signatures. */
export async function trustShow(options) {
  const o = required(options, 'trustShow', ['path']);
  const path = canonical(o.path, 'path', 'any');
  return call('trustShow', [path], [statSync(path).isDirectory() ? path : dirname(path)]);
}

// Calls -------------------------------------------------------------------

let compiled;

/** The core modules, compiled once per process and shared with every worker. */
function coreModules() {
  compiled ??= (async () => {
    const names = readdirSync(componentDir).filter((n) => n.endsWith('.wasm'));
    if (names.length === 0) {
      throw new InstallerError('usage', null, 'the package is not built: run `npm run build` in its directory');
    }
    const modules = await Promise.all(names.map((n) => WebAssembly.compile(readFileSync(new URL(n, componentDir)))));
    return Object.fromEntries(names.map((n, i) => [n, modules[i]]));
  })().catch((e) => {
    compiled = undefined;
    throw e.code === 'ENOENT'
      ? new InstallerError('usage', null, 'the package is not built: run `npm run build` in its directory')
      : e;
  });
  return compiled;
}

/** Runs one export in a worker with these grants; throws InstallerError. */
async function call(method, args, grants, { network = false, dest } = {}) {
  const reply = await inWorker({ grants: unique(grants), network, method, args });
  if ('ok' in reply) return reply.ok;
  if ('err' in reply) throw InstallerError.fromComponent(reply.err);
  // A trap runs no clean-up inside the component: remove its temp files
  // from the plugins directory, as the Rust host does.
  if (dest) {
    await inWorker({ grants: [dest], network: false, method: 'clean', args: [dest] }).catch(() => {});
  }
  throw new InstallerError('runtime', { message: reply.trap }, `the installer component failed: ${reply.trap}`);
}

/**
 * Worker threads kept between calls, each running one call at a time (a
 * fresh component instance per call, see worker.js). An idle one does not
 * keep the process alive; one whose call trapped or that failed is ended,
 * never reused. At most `MAX_IDLE_WORKERS` wait idle.
 */
const idle = [];
const MAX_IDLE_WORKERS = 4;

/**
 * A new worker. From its start, an error or an exit is kept on it
 * (`failed`): before a call listens (while the modules compile) and between
 * calls, Node would otherwise throw an unhandled 'error', and a call would
 * wait forever on a thread that is gone.
 */
function startWorker() {
  const worker = new Worker(new URL('./worker.js', import.meta.url));
  worker.failed = null;
  worker.on('error', (e) => {
    worker.failed ??= { trap: String(e?.stack ?? e) };
  });
  worker.on('exit', (code) => {
    worker.failed ??= { trap: `the installer's worker exited with code ${code} before answering` };
  });
  return worker;
}

async function takeWorker() {
  for (let kept = idle.pop(); kept; kept = idle.pop()) {
    if (!kept.failed) return kept;
  }
  // The thread starts (and loads the shim and jco's glue) while the core
  // modules compile; they follow as its first message.
  const worker = startWorker();
  try {
    worker.postMessage({ modules: await coreModules() });
  } catch (e) {
    worker.terminate();
    throw e;
  }
  return worker;
}

function giveBack(worker) {
  if (idle.length >= MAX_IDLE_WORKERS) {
    worker.terminate();
    return;
  }
  worker.unref();
  idle.push(worker);
}

/** One call on a kept (or new) worker: its reply, a trap when the worker fails. */
async function inWorker(request) {
  const worker = await takeWorker();
  if (worker.failed) {
    worker.terminate();
    return worker.failed;
  }
  worker.ref();
  const reply = await new Promise((resolve) => {
    const done = (reply) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(reply);
    };
    const onMessage = (reply) => done(reply);
    const onError = (e) => done({ trap: String(e?.stack ?? e) });
    const onExit = (code) =>
      done({ trap: `the installer's worker exited with code ${code} before answering` });
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(request);
  });
  // A trap may leave the shim's state inside the thread half-done: the
  // thread goes with it.
  if ('trap' in reply) {
    worker.terminate();
  } else {
    giveBack(worker);
  }
  return reply;
}

/**
 * Calls on one plugins directory run one at a time, keyed by its real path
 * so that a link to it is the same directory. (Within this process only:
 * see the README on the CLI's lock.)
 */
const queues = new Map();

function serialized(key, task) {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(task);
  const tail = run.catch(() => {});
  queues.set(key, tail);
  tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

// Arguments ---------------------------------------------------------------

const usage = (option, message) => new InstallerError('usage', { option }, message);

function required(options, fn, names) {
  if (options === null || typeof options !== 'object') {
    throw new InstallerError('usage', null, `${fn}() takes an options object: { ${names.join(', ')}, ... }`);
  }
  for (const name of names) {
    if (typeof options[name] !== 'string' || options[name] === '') {
      throw usage(name, `${fn}() needs the option '${name}' (a string)`);
    }
  }
  return options;
}

function optionalString(o, name) {
  if (o[name] !== undefined && typeof o[name] !== 'string') throw usage(name, `'${name}' must be a string`);
}

function optionalList(o, name) {
  const list = o[name] ?? [];
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) {
    throw usage(name, `'${name}' must be an array of strings`);
  }
  return list;
}

/** A non-negative whole number of bytes, as the component's u64. */
function byteCount(value, name) {
  const ok =
    (typeof value === 'bigint' && value >= 0n && value < 2n ** 64n) ||
    (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);
  if (!ok) throw usage(name, `'${name}' must be a whole number of bytes, not ${String(value)}`);
  return BigInt(value);
}

/** The registry as the component takes it, and the directories it needs. */
function indexSource(o) {
  optionalString(o, 'trustRoot');
  const trustRoot = optionalDir(o.trustRoot, 'trustRoot');
  const grants = trustRoot ? [trustRoot] : [];
  const allowExpired = Boolean(o.allowExpired);
  let registry = o.registry;
  if (/^(https?|oci):\/\//i.test(registry)) return { registry, trustRoot, grants, request: { registry, trustRoot, allowExpired } };
  if (/^file:/i.test(registry)) registry = fileURLToPath(registry);
  const index = registryFile(registry);
  return { registry: index, trustRoot, grants: [dirname(index), ...grants], request: { registry: index, trustRoot, allowExpired } };
}

/**
 * A local registry's file, as the CLI takes `--registry`: a flat index's
 * `index.json`, or a sparse registry, named by its directory (or its
 * `config.json`), which the component reads one plugin's file of.
 */
function registryFile(registry) {
  const path = canonical(registry, 'registry', 'any');
  if (!statSync(path).isDirectory()) return path;
  const config = join(path, 'config.json');
  let isFile = false;
  try {
    isFile = statSync(config).isFile();
  } catch (e) {
    if (e.code !== 'ENOENT') throw ioError(config, 'open the registry', e);
  }
  if (!isFile) {
    throw usage(
      'registry',
      `registry: ${path} is a directory without a config.json: name a flat registry's index.json, ` +
        'or the root of a sparse registry (the directory holding its config.json)',
    );
  }
  return canonical(config, 'registry', 'file');
}

/**
 * A registry as a plugins directory records it: a URL as given, an index
 * by its real path (a sparse registry by its config.json), or by its
 * absolute path if it is gone (as recorded).
 */
function registryName(registry) {
  if (/^(https?|oci):\/\//i.test(registry)) return registry;
  const path = resolve(/^file:/i.test(registry) ? fileURLToPath(registry) : registry);
  let real;
  try {
    real = realpathSync(path);
  } catch {
    return path;
  }
  // A sparse registry is recorded by its config.json, as the CLI names it.
  const config = join(real, 'config.json');
  try {
    if (statSync(real).isDirectory() && statSync(config).isFile()) return config;
  } catch {
    // No config.json: the directory as given.
  }
  return real;
}

const ioError = (path, operation, e) =>
  new InstallerError('io', { path, operation, message: e.message }, `cannot ${operation} ${path}: ${e.message}`);

/** An absolute, canonical path: the shim refuses links out of a grant. */
function canonical(path, option, want) {
  const absolute = resolve(path);
  let real;
  let isDir;
  try {
    real = realpathSync(absolute);
    isDir = statSync(real).isDirectory();
  } catch (e) {
    // As the CLI: a path that is not there is a mistake in the call.
    if (e.code === 'ENOENT') throw usage(option, `${option}: ${absolute} does not exist`);
    throw ioError(absolute, `open the ${option}`, e);
  }
  if (want === 'dir' && !isDir) throw usage(option, `${option}: ${absolute} is not a directory`);
  if (want === 'file' && isDir) throw usage(option, `${option}: ${absolute} is a directory, not a file`);
  return real;
}

/** `world` (a .wit file or a WIT package directory) and `worldName` as the component takes them, and the directory to grant. */
function worldRef(o) {
  optionalString(o, 'world');
  optionalString(o, 'worldName');
  if (o.world === undefined) {
    if (o.worldName !== undefined) throw usage('worldName', `'worldName' needs 'world'`);
    return undefined;
  }
  const path = canonical(o.world, 'world', 'any');
  // A package directory is granted; a file's text is read here instead, so
  // that its directory (a home directory, say) is not.
  if (statSync(path).isDirectory()) return { ref: { path, text: undefined, name: o.worldName }, grants: [path] };
  if (statSync(path).size > 1024 * 1024) throw usage('world', `world: ${path} is larger than 1 MiB: a world's WIT is a few KiB`);
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw ioError(path, 'read the world', e);
  }
  return { ref: { path, text, name: o.worldName }, grants: [] };
}

const existingDir = (p, option) => canonical(p, option, 'dir');
const existingFile = (p, option) => canonical(p, option, 'file');
const optionalDir = (p, option) => (p === undefined || p === null ? undefined : existingDir(p, option));

/**
 * The real path a plugins directory has or will have: its own if it
 * exists, else its nearest existing ancestor's real path joined with the
 * rest, so that two spellings of one directory share a queue.
 */
function destKey(dest) {
  const absolute = resolve(dest);
  let missing = [];
  let dir = absolute;
  for (;;) {
    try {
      const real = realpathSync(dir);
      if (missing.length === 0 && !statSync(real).isDirectory()) {
        throw usage('dest', `dest: ${absolute} is not a directory`);
      }
      return join(real, ...missing);
    } catch (e) {
      if (e instanceof InstallerError) throw e;
      if (e.code !== 'ENOENT' || dirname(dir) === dir) throw ioError(dir, 'open the dest', e);
      missing = [basename(dir), ...missing];
      dir = dirname(dir);
    }
  }
}

/** Creates the plugins directory if missing; says whether this call did. */
function ensureDir(dest) {
  try {
    statSync(dest);
    return { dest, created: false };
  } catch {
    try {
      mkdirSync(dest, { recursive: true });
    } catch (e) {
      throw ioError(dest, 'create the dest', e);
    }
    return { dest, created: true };
  }
}

/** Removes a plugins directory this call created if the call left it empty. */
function removeIfUnused(dir) {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) return false;
      if (!removeIfUnused(join(dir, entry.name))) return false;
    }
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

const unique = (xs) => [...new Set(xs)];
