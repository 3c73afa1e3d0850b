// The package end to end: the transpiled component, in workers, against
// registries and servers the tests make.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { audit, install, InstallerError, listInstalled, loadIndex, outdated, verify } from '../src/index.js';
import { example, index, key, localRegistry, repo, scratch, serve, sha256, snapshot } from './helpers.js';

const rejectsWith = async (promise, kind) => {
  const error = await promise.then(
    (value) => assert.fail(`expected ${kind}, got ${JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`),
    (e) => e,
  );
  assert.ok(error instanceof InstallerError, `not an InstallerError: ${error?.stack ?? error}`);
  assert.equal(error.kind, kind, error.message);
  return error;
};

test('installs the example registry with its trust root, then verifies and audits', async (t) => {
  const dest = join(scratch(t), 'plugins');
  const trustRoot = join(example, 'trust');
  const report = await install({ registry: join(example, 'index.json'), spec: 'hello', dest, trustRoot });
  assert.equal(report.action, 'installed');
  assert.equal(report.signedBy, 'example');
  const bytes = readFileSync(join(dest, 'hello.wasm'));
  assert.deepEqual(bytes, readFileSync(join(example, 'hello-0.1.0.wasm')));
  assert.ok(existsSync(join(dest, 'hello.sig')));

  const verified = await verify({ artifact: join(dest, 'hello.wasm'), trustRoot });
  assert.equal(verified.sha256, sha256(bytes));
  assert.equal(verified.size, BigInt(bytes.length));
  assert.equal(verified.signedBy, 'example');

  const clean = await audit({ dest, trustRoot });
  assert.deepEqual(
    clean.plugins.map((p) => [p.name, p.findings.length]),
    [['hello', 0]],
  );
  const [receipt] = await listInstalled({ dest });
  assert.equal(receipt.version, '0.1.0');
  assert.equal((await loadIndex({ registry: join(example, 'index.json') })).plugins[0].name, 'hello');

  // Drift is what audit is for.
  writeFileSync(join(dest, 'hello.wasm'), 'tampered');
  const drifted = await audit({ dest, trustRoot });
  assert.ok(drifted.plugins[0].findings.some((f) => f.kind === 'drift'), JSON.stringify(drifted.plugins[0].findings));
});

test('audit against a plugin set reports what sync would change', async (t) => {
  const dir = scratch(t);
  const dest = join(dir, 'plugins');
  await install({ registry: join(example, 'index.json'), spec: 'hello', dest });
  const manifest = join(dir, 'wasm-plugin.toml');
  writeFileSync(join(dir, 'wasm-plugin.lock'), ''); // the set is in use once it has a lock
  writeFileSync(manifest, `dest = "plugins"\n[registries]\ndefault = "${join(example, 'index.json')}"\n[plugins]\nother = "*"\n`);
  const report = await audit({ dest, manifest });
  assert.deepEqual(
    report.plugins.map((p) => [p.name, p.findings.map((f) => f.kind)]),
    [['hello', ['not-declared']], ['other', ['declared-missing']]],
  );
  await rejectsWith(audit({ dest, manifest: join(dir, 'missing.toml') }), 'usage');
});

test('a tampered artefact is a digest-mismatch and the previous plugin stays', async (t) => {
  const dir = scratch(t);
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'release');
  const v1 = Buffer.from('\0asm colmask one');
  const registry = localRegistry(join(dir, 'registry'), k, [{ name: 'colmask', version: '1.0.0', bytes: v1 }]);
  const dest = join(dir, 'plugins');
  await install({ registry, spec: 'colmask', dest, trustRoot });

  const v2 = Buffer.from('\0asm colmask two');
  localRegistry(join(dir, 'registry'), k, [
    { name: 'colmask', version: '1.0.0', bytes: v1 },
    { name: 'colmask', version: '2.0.0', bytes: v2 },
  ]);
  writeFileSync(join(dir, 'registry/colmask-2.0.0.wasm'), 'swapped after signing');
  const before = snapshot(dest);
  const error = await rejectsWith(install({ registry, spec: 'colmask', dest, trustRoot }), 'digest-mismatch');
  assert.ok(error.is('digest-mismatch') && !error.is('io'));
  assert.equal(error.details.expected, sha256(v2));
  assert.match(error.message, /digest mismatch/);
  assert.deepEqual(snapshot(dest), before);
  assert.deepEqual(readFileSync(join(dest, 'colmask.wasm')), v1);
});

test("a hostile index naming '../' is refused and nothing lands outside dest", async (t) => {
  const dir = scratch(t);
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'release');
  const bytes = Buffer.from('\0asm evil');
  const registry = localRegistry(join(dir, 'registry'), k, [
    { name: '../escape', version: '1.0.0', bytes, artifact: 'escape.wasm' },
  ]);
  const dest = join(dir, 'plugins');
  await rejectsWith(install({ registry, spec: '../escape', dest, trustRoot }), 'invalid-name');
  assert.deepEqual(readdirSync(dir).sort(), ['registry', 'trust']);
});

test('installs from an http registry on 127.0.0.1 while this thread keeps serving', async (t) => {
  const dir = scratch(t);
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'registry');
  const bytes = Buffer.alloc(300_000, 7);
  const body = JSON.stringify(index(k, [{ name: 'colmask', version: '2.0.0', bytes, artifact: 'files/colmask.wasm' }]));
  const server = await serve(t, {
    '/reg/index.json': body,
    '/reg/index.json.sig': k.sign(Buffer.from(body)),
    '/reg/files/colmask.wasm': bytes,
  });
  const dest = join(dir, 'plugins');
  const report = await install({ registry: `${server.base}/reg/index.json`, spec: 'colmask', dest, trustRoot });
  assert.equal(report.action, 'installed');
  assert.equal(report.source, `${server.base}/reg/files/colmask.wasm`);
  assert.deepEqual(readFileSync(join(dest, 'colmask.wasm')), bytes);
  assert.equal(server.hits['/reg/files/colmask.wasm'], 1);

  // A missing artefact is a fetch failure naming the URL and the status.
  const missing = JSON.stringify(index(k, [{ name: 'rowfilter', version: '1.0.0', bytes, artifact: 'gone.wasm' }], 2));
  const other = await serve(t, { '/index.json': missing, '/index.json.sig': k.sign(Buffer.from(missing)) });
  const error = await rejectsWith(
    install({ registry: `${other.base}/index.json`, spec: 'rowfilter', dest, trustRoot }),
    'fetch-failed',
  );
  assert.deepEqual(error.details.cause, { tag: 'http-status', val: 404 });
  assert.equal(error.details.url, `${other.base}/gone.wasm`);
});

test('installs into one plugins directory run one at a time and all land', async (t) => {
  const dir = scratch(t);
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'release');
  const names = ['a', 'b', 'c', 'd'];
  const registry = localRegistry(
    join(dir, 'registry'),
    k,
    names.map((name) => ({ name, version: '1.0.0', bytes: Buffer.from(`\0asm ${name}`) })),
  );
  const dest = join(dir, 'plugins');
  const reports = await Promise.all(names.map((spec) => install({ registry, spec, dest, trustRoot })));
  assert.deepEqual(
    reports.map((r) => r.action),
    ['installed', 'installed', 'installed', 'installed'],
  );
  assert.deepEqual((await listInstalled({ dest })).map((r) => r.name).sort(), names);
});

test('bad arguments are usage errors and a failed first install leaves no directory', async (t) => {
  const dir = scratch(t);
  await rejectsWith(install({ registry: join(example, 'index.json'), dest: join(dir, 'p') }), 'usage');
  await rejectsWith(audit(), 'usage');
  await rejectsWith(audit({ dest: join(dir, 'missing') }), 'usage');
  await rejectsWith(
    install({ registry: join(example, 'index.json'), spec: 'nope', dest: join(dir, 'new/plugins') }),
    'unknown-plugin',
  );
  assert.ok(!existsSync(join(dir, 'new/plugins')), 'the plugins directory this call created was left');

  // Signed, but by a key the trust root does not hold.
  const signer = key();
  writeFileSync(join(dir, 'new/x.wasm'), 'bytes');
  writeFileSync(join(dir, 'new/x.sig'), signer.sign(Buffer.from('bytes')));
  const untrusted = await rejectsWith(
    verify({ artifact: join(dir, 'new/x.wasm'), trustRoot: key().trust(join(dir, 'strangers'), 'someone') }),
    'signature-untrusted',
  );
  assert.deepEqual(untrusted.details.keys, ['someone']);
});

test('version pins an exact release and upgrade moves to the highest its requirement admits', async (t) => {
  const dir = scratch(t);
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'release');
  const versions = ['1.0.0', '1.5.0', '2.0.0'];
  const registry = localRegistry(
    join(dir, 'registry'),
    k,
    versions.map((version) => ({ name: 'colmask', version, bytes: Buffer.from(`\0asm ${version}`) })),
  );
  const dest = join(dir, 'plugins');
  const pinned = await install({ registry, spec: 'colmask', version: '1.0.0', dest, trustRoot });
  assert.equal(pinned.version, '1.0.0');
  const compatible = await install({ registry, spec: 'colmask@^1', dest, trustRoot, upgrade: true });
  assert.equal(compatible.version, '1.5.0');
  // The requirement an upgrade was given holds for the next one...
  const held = await install({ registry, spec: 'colmask', dest, trustRoot, upgrade: true });
  assert.deepEqual([held.version, held.action], ['1.5.0', 'unchanged']);
  // ...until another is given.
  const upgraded = await install({ registry, spec: 'colmask@*', dest, trustRoot, upgrade: true });
  assert.deepEqual([upgraded.version, upgraded.previousVersion], ['2.0.0', '1.5.0']);
  await rejectsWith(install({ registry, spec: 'colmask', version: '1.0.0', dest, trustRoot }), 'downgrade-refused');
  assert.equal(readFileSync(join(dest, 'colmask.wasm'), 'utf8'), '\0asm 2.0.0');
});

test('a body cut short is a truncation, retried like the CLI retries it, and nothing is placed', async (t) => {
  const dir = scratch(t);
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'registry');
  const bytes = Buffer.alloc(100_000, 3);
  const body = JSON.stringify(index(k, [{ name: 'colmask', version: '1.0.0', bytes, artifact: 'cut.wasm' }]));
  const server = await serve(t, {
    '/index.json': body,
    '/index.json.sig': k.sign(Buffer.from(body)),
    '/cut.wasm': { announce: bytes.length, send: bytes.subarray(0, 5000) },
  });
  const dest = join(dir, 'plugins');
  const error = await rejectsWith(
    install({ registry: `${server.base}/index.json`, spec: 'colmask', dest, trustRoot }),
    'fetch-failed',
  );
  // The shim drops what it buffered when the connection fails, so the
  // count received may be lower than what the server sent.
  assert.equal(error.details.cause.tag, 'truncated');
  const [received, announced] = error.details.cause.val;
  assert.ok(received <= 5000n && announced === 100000n, `${received} of ${announced}`);
  assert.match(error.message, /closed after \d+ of 100000 bytes/);
  assert.equal(server.hits['/cut.wasm'], 3);
  assert.ok(!existsSync(dest), 'the plugins directory this call created was left');
});

test('two spellings of one plugins directory share its queue', async (t) => {
  const dir = scratch(t);
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'release');
  const registry = localRegistry(join(dir, 'registry'), k, [{ name: 'a', version: '1.0.0', bytes: Buffer.from('\0asm a') }]);
  mkdirSync(join(dir, 'real'));
  symlinkSync(join(dir, 'real'), join(dir, 'alias'));
  const [first, second] = await Promise.all([
    install({ registry, spec: 'a', dest: join(dir, 'real'), trustRoot }),
    install({ registry, spec: 'a', dest: join(dir, 'alias'), trustRoot }),
  ]);
  assert.deepEqual([first.action, second.action], ['installed', 'unchanged']);
});

test('options of the wrong type are usage errors and create nothing', async (t) => {
  const dir = scratch(t);
  const registry = join(example, 'index.json');
  for (const bad of [{ maxSize: 1.5 }, { maxSize: -1 }, { version: 1 }, { allowRead: 'x' }]) {
    const error = await rejectsWith(install({ registry, spec: 'hello', dest: join(dir, 'p'), ...bad }), 'usage');
    assert.equal(error.details.option, Object.keys(bad)[0]);
  }
  assert.deepEqual(readdirSync(dir), []);
});

test("world takes only a plugin exporting the runtime's world, and refuses one that does not", async (t) => {
  const dir = scratch(t);
  const registry = join(example, 'index.json');
  const template = readFileSync(join(repo, 'guest/templates/plugin.wit.tmpl'), 'utf8');
  writeFileSync(join(dir, 'plugin.wit'), template);
  const report = await install({ registry, spec: 'hello', dest: join(dir, 'fits'), world: join(dir, 'plugin.wit') });
  assert.equal(report.version, '0.1.0');
  assert.deepEqual(report.skipped, []);

  // A runtime whose world renamed `handle`: the only version is skipped,
  // the call refused with it listed, and nothing placed.
  mkdirSync(join(dir, 'renamed'));
  writeFileSync(join(dir, 'renamed/plugin.wit'), template.replace('export handle:', 'export handle-event:'));
  const dest = join(dir, 'refused');
  const error = await rejectsWith(install({ registry, spec: 'hello', dest, world: join(dir, 'renamed') }), 'incompatible');
  assert.match(error.message, /handle-event/);
  assert.deepEqual(
    error.details.skipped.map((s) => s.version),
    ['0.1.0'],
  );
  assert.ok(!existsSync(dest));
  await rejectsWith(install({ registry, spec: 'hello', dest, worldName: 'plugin' }), 'usage');

  // A package with two worlds: worldName picks one, and is needed.
  writeFileSync(join(dir, 'two.wit'), `${template}\nworld other { export run: func(); }\n`);
  const two = join(dir, 'two.wit');
  await rejectsWith(install({ registry, spec: 'hello', dest, world: two }), 'invalid-request');
  const picked = await install({ registry, spec: 'hello', dest: join(dir, 'picked'), world: two, worldName: 'plugin' });
  assert.equal(picked.version, '0.1.0');
  await rejectsWith(install({ registry, spec: 'hello', dest, world: two, worldName: 'other' }), 'incompatible');

  // verify checks a file the same way.
  const artifact = join(example, 'hello-0.1.0.wasm');
  assert.match((await verify({ artifact, world: join(dir, 'plugin.wit') })).fits, /world plugin/);
  await rejectsWith(verify({ artifact, world: join(dir, 'renamed') }), 'incompatible');
});

test("each call on a kept worker thread gets its own grants, not an earlier call's", async (t) => {
  const dir = scratch(t);
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'release');
  // The one artefact lies outside the registry's directory: readable only
  // through allowRead.
  const bytes = Buffer.from('\0asm outside');
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  writeFileSync(join(elsewhere, 'colmask.wasm'), bytes);
  mkdirSync(join(dir, 'registry'));
  const registry = join(dir, 'registry', 'index.json');
  const entry = { name: 'colmask', version: '1.0.0', bytes, artifact: join(elsewhere, 'colmask.wasm') };
  writeFileSync(registry, JSON.stringify(index(k, [entry])));
  // Granted, it installs; the next call, on the thread kept from that one,
  // is not granted it, and is refused; the one after writes where it is
  // granted to (its dest, which no earlier call had).
  await install({ registry, spec: 'colmask', dest: join(dir, 'a'), trustRoot, allowRead: [elsewhere] });
  assert.deepEqual(readFileSync(join(dir, 'a', 'colmask.wasm')), bytes);
  const refused = await rejectsWith(install({ registry, spec: 'colmask', dest: join(dir, 'b'), trustRoot }), 'not-granted');
  assert.match(refused.message, /allowRead|allow-read/);
  assert.ok(!existsSync(join(dir, 'b', 'colmask.wasm')));
  await install({ registry, spec: 'colmask', dest: join(dir, 'c'), trustRoot, allowRead: [elsewhere] });
  assert.deepEqual(readFileSync(join(dir, 'c', 'colmask.wasm')), bytes);
});

test('installs from a sparse registry named by its directory, as the CLI takes it', async (t) => {
  const dir = scratch(t);
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'release');
  const bytes = readFileSync(join(example, 'hello-0.1.0.wasm'));
  // config.json at the root; hello's own file at cargo's path, signed.
  const registry = join(dir, 'sparse');
  mkdirSync(join(registry, 'he/ll'), { recursive: true });
  writeFileSync(join(registry, 'config.json'), JSON.stringify({ schema_version: '1' }));
  writeFileSync(join(registry, 'hello-0.1.0.wasm'), bytes);
  const file = Buffer.from(JSON.stringify(index(k, [{ name: 'hello', version: '0.1.0', bytes }])));
  writeFileSync(join(registry, 'he/ll/hello'), file);
  writeFileSync(join(registry, 'he/ll/hello.sig'), k.sign(file));

  const dest = join(dir, 'plugins');
  const report = await install({ registry, spec: 'hello', dest, trustRoot });
  assert.equal(report.action, 'installed');
  assert.equal(report.signedBy, 'release');
  assert.deepEqual(readFileSync(join(dest, 'hello.wasm')), bytes);
  // Named by its config.json, it is the same registry.
  const again = await install({ registry: join(registry, 'config.json'), spec: 'hello', dest, trustRoot });
  assert.equal(again.action, 'unchanged');

  // Over http, a second install revalidates the registry's files: 304s,
  // the bytes kept in the plugins directory reused (and judged again).
  const server = await serve(t, {
    '/reg/config.json': { cacheable: JSON.stringify({ schema_version: '1' }) },
    '/reg/he/ll/hello': { cacheable: file },
    '/reg/he/ll/hello.sig': { cacheable: k.sign(file) },
    '/reg/hello-0.1.0.wasm': bytes,
  });
  const remote = join(dir, 'remote');
  await install({ registry: `${server.base}/reg/`, spec: 'hello', dest: remote, trustRoot });
  assert.deepEqual(server.notModified, {});
  const revalidated = await install({ registry: `${server.base}/reg/`, spec: 'hello', dest: remote, trustRoot });
  assert.equal(revalidated.action, 'unchanged');
  assert.deepEqual(server.notModified, { '/reg/config.json': 1, '/reg/he/ll/hello': 1, '/reg/he/ll/hello.sig': 1 });

  // A directory that is neither says what to name.
  const error = await rejectsWith(install({ registry: join(dir, 'trust'), spec: 'hello', dest, trustRoot }), 'usage');
  assert.match(error.message, /without a config\.json/);
});

test('outdated reads several plugins of a sparse registry over http in one batch, revalidating each file', async (t) => {
  const dir = scratch(t);
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'release');
  const bytes = readFileSync(join(example, 'hello-0.1.0.wasm'));
  const routes = { '/reg/config.json': { cacheable: JSON.stringify({ schema_version: '1' }) } };
  const files = ['/reg/he/ll/hello', '/reg/ot/he/other'];
  for (const [name, path] of [['hello', files[0]], ['other', files[1]]]) {
    const file = Buffer.from(JSON.stringify(index(k, [{ name, version: '0.1.0', bytes }])));
    routes[path] = { cacheable: file };
    routes[`${path}.sig`] = { cacheable: k.sign(file) };
    routes[`/reg/${name}-0.1.0.wasm`] = bytes;
  }
  const server = await serve(t, routes);
  const registry = `${server.base}/reg/`;
  const dest = join(dir, 'plugins');
  mkdirSync(dest, { recursive: true });
  for (const spec of ['hello', 'other']) await install({ registry, spec, dest, trustRoot });
  const rows = await outdated({ registry, dest, trustRoot });
  const latest = rows.map((r) => [r.name, r.latest]).sort();
  assert.deepEqual(latest, [['hello', '0.1.0'], ['other', '0.1.0']]);
  // The installs kept each file; outdated asked for each again (through
  // wasi:http's side-by-side batch), conditionally: a 304 each.
  for (const path of files) {
    assert.equal(server.hits[path], 2, path);
    assert.equal(server.notModified[path], 1, path);
    assert.equal(server.notModified[`${path}.sig`], 1, path);
  }
});

test('a sparse registry is listed by plugin, searched through its name list and audited for yanks', async (t) => {
  const dir = scratch(t);
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'release');
  const bytes = readFileSync(join(example, 'hello-0.1.0.wasm'));
  const registry = join(dir, 'sparse');
  mkdirSync(join(registry, 'he/ll'), { recursive: true });
  writeFileSync(join(registry, 'config.json'), JSON.stringify({ schema_version: '1' }));
  writeFileSync(join(registry, 'hello-0.1.0.wasm'), bytes);
  const writeFile = (version, yanked) => {
    const doc = index(k, [{ name: 'hello', version: '0.1.0', bytes }], version);
    doc.plugins[0].yanked = yanked;
    const file = Buffer.from(JSON.stringify(doc));
    writeFileSync(join(registry, 'he/ll/hello'), file);
    writeFileSync(join(registry, 'he/ll/hello.sig'), k.sign(file));
  };
  writeFile(1, false);

  // Without a name list, there is nothing to search.
  const refused = await rejectsWith(loadIndex({ registry, trustRoot, search: 'hel' }), 'invalid-request');
  assert.match(refused.message, /no name list/);
  // With one (a hint: the listed name without a file is passed over).
  writeFileSync(join(registry, 'names.json'), JSON.stringify({ names: ['hello', 'help-gone'] }));
  const found = await loadIndex({ registry, trustRoot, search: 'HEL' });
  assert.deepEqual(found.plugins.map((p) => p.name), ['hello']);
  assert.equal(found.signedBy, 'release');
  const one = await loadIndex({ registry, trustRoot, plugin: 'hello' });
  assert.equal(one.plugins.length, 1);

  const dest = join(dir, 'plugins');
  await install({ registry, spec: 'hello', dest, trustRoot });
  const clean = await audit({ dest, trustRoot, registry });
  assert.deepEqual(clean.plugins[0].findings, []);
  writeFile(2, true);
  const report = await audit({ dest, trustRoot, registry });
  assert.deepEqual(report.plugins[0].findings.map((f) => f.kind), ['yanked']);
});
