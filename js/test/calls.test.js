// The calls beyond install, verify and audit: each against a registry or a
// plugins directory the test makes, its report, and its refusals.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  audit,
  findEntry,
  forgetRegistry,
  install,
  InstallerError,
  listInstalled,
  outdated,
  readManifest,
  trustShow,
  uninstall,
  verifyBundle,
} from '../src/index.js';
import { example, index, key, localRegistry, repo, scratch, serve, sha256 } from './helpers.js';

const rejectsWith = async (promise, kind) => {
  const error = await promise.then(
    (value) => assert.fail(`expected ${kind}, got ${JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`),
    (e) => e,
  );
  assert.ok(error instanceof InstallerError, `not an InstallerError: ${error?.stack ?? error}`);
  assert.equal(error.kind, kind, error.message);
  return error;
};

/** A registry offering colmask at `versions`, signed by a key the returned trust root holds. */
function colmask(dir, versions) {
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'release');
  const entries = versions.map((version) => ({ name: 'colmask', version, bytes: Buffer.from(`\0asm ${version}`) }));
  return { k, trustRoot, entries, registry: localRegistry(join(dir, 'registry'), k, entries) };
}

test('findEntry resolves a spec as install would, and outdated shows what upgrade would take', async (t) => {
  const dir = scratch(t);
  const { k, trustRoot, registry } = colmask(dir, ['1.0.0']);
  const dest = join(dir, 'plugins');
  await install({ registry, spec: 'colmask@^1', dest, trustRoot });
  assert.deepEqual(await outdated({ registry, dest, trustRoot }), [
    { name: 'colmask', installed: '1.0.0', requirement: '^1', wanted: '1.0.0', latest: '1.0.0', yanked: false },
  ]);

  const newer = ['1.0.0', '1.5.0', '2.0.0'].map((version) => ({ name: 'colmask', version, bytes: Buffer.from(`\0asm ${version}`) }));
  localRegistry(join(dir, 'registry'), k, newer);
  const [row] = await outdated({ registry, dest, trustRoot });
  assert.deepEqual([row.installed, row.wanted, row.latest], ['1.0.0', '1.5.0', '2.0.0']);

  const entry = await findEntry({ registry, spec: 'colmask@^1', trustRoot });
  assert.deepEqual([entry.name, entry.version, entry.sha256], ['colmask', '1.5.0', sha256(Buffer.from('\0asm 1.5.0'))]);
  assert.equal((await findEntry({ registry, spec: 'colmask' })).version, '2.0.0');
  assert.equal((await findEntry({ registry, spec: 'colmask@^1', version: '1.0.0' })).version, '1.0.0');
  await rejectsWith(findEntry({ registry, spec: 'colmask@^3' }), 'unknown-version');
  await rejectsWith(findEntry({ registry, spec: 'nope' }), 'unknown-plugin');
  await rejectsWith(findEntry({ registry }), 'usage');
  await rejectsWith(outdated({ registry, dest: join(dir, 'missing') }), 'usage');
  // Nothing was installed by either.
  assert.deepEqual((await listInstalled({ dest })).map((r) => r.version), ['1.0.0']);
});

test('uninstall removes the plugin, its signature and its receipt, and then it is not installed', async (t) => {
  const dest = join(scratch(t), 'plugins');
  await install({ registry: join(example, 'index.json'), spec: 'hello', dest, trustRoot: join(example, 'trust') });
  const report = await uninstall({ dest, name: 'hello' });
  assert.deepEqual([report.name, report.version], ['hello', '0.1.0']);
  assert.ok(report.removed.some((p) => p.endsWith('hello.wasm')), JSON.stringify(report.removed));
  assert.ok(!existsSync(join(dest, 'hello.wasm')) && !existsSync(join(dest, 'hello.sig')));
  assert.deepEqual(await listInstalled({ dest }), []);
  const error = await rejectsWith(uninstall({ dest, name: 'hello' }), 'not-installed');
  assert.equal(error.details.name, 'hello');
  await rejectsWith(uninstall({ dest, name: '../escape' }), 'invalid-name');
  await rejectsWith(uninstall({ dest }), 'usage');
});

test('forgetRegistry lets a deliberately reset registry be used again instead of refused as a rollback', async (t) => {
  const dir = scratch(t);
  const k = key();
  const trustRoot = k.trust(join(dir, 'trust'), 'release');
  const bytes = Buffer.from('\0asm colmask');
  const entries = [{ name: 'colmask', version: '1.0.0', bytes }];
  mkdirSync(join(dir, 'registry'));
  writeFileSync(join(dir, 'registry/colmask-1.0.0.wasm'), bytes);
  const publish = (version) => {
    const body = JSON.stringify(index(k, entries, version));
    writeFileSync(join(dir, 'registry/index.json'), body);
    writeFileSync(join(dir, 'registry/index.json.sig'), k.sign(Buffer.from(body)));
  };
  const registry = join(dir, 'registry/index.json');
  const dest = join(dir, 'plugins');
  publish(5);
  await install({ registry, spec: 'colmask', dest, trustRoot });

  publish(1); // the registry was reset
  await rejectsWith(install({ registry, spec: 'colmask', dest, trustRoot, upgrade: true }), 'index-rollback');
  const report = await forgetRegistry({ dest, registry });
  assert.equal(report.forgotten, 5n);
  assert.equal(report.registry, registry);
  assert.equal((await install({ registry, spec: 'colmask', dest, trustRoot, upgrade: true })).action, 'unchanged');
  // A registry it has no record of: nothing forgotten, the ones it has listed.
  const other = await forgetRegistry({ dest, registry: 'https://example.com/index.json' });
  assert.equal(other.forgotten, undefined);
  assert.deepEqual(other.recorded, [registry]);
  await rejectsWith(forgetRegistry({ dest: join(dir, 'missing'), registry }), 'usage');
});

test('readManifest reads a plugin set with its paths resolved, and refuses a malformed one', async (t) => {
  const dir = scratch(t);
  const manifest = join(dir, 'wasm-plugin.toml');
  const registry = join(example, 'index.json');
  writeFileSync(manifest, `dest = "plugins"\n[registries]\ndefault = "${registry}"\n[plugins]\nhello = "^0.1"\n`);
  const read = await readManifest({ path: manifest });
  assert.equal(read.dest, join(dir, 'plugins'));
  assert.deepEqual(read.registries, [['default', registry]]);
  assert.deepEqual(
    read.plugins.map((p) => p.name),
    ['hello'],
  );
  writeFileSync(manifest, '[plugins\n');
  const error = await rejectsWith(readManifest({ path: manifest }), 'manifest-invalid');
  assert.deepEqual([error.details.line, error.details.column], [1, 9]);
  assert.match(error.message, /wasm-plugin\.toml:1:9: unclosed table/);
  await rejectsWith(readManifest({ path: join(dir, 'missing.toml') }), 'usage');
});

test('trustShow reads a root.json, from the file or its trust root directory', async (t) => {
  const dir = scratch(t);
  const a = key();
  const id = sha256(a.raw);
  const role = { keyids: [id], threshold: 1 };
  const root = {
    signed: {
      _type: 'root',
      spec_version: '1',
      version: 1,
      expires: '2999-01-01T00:00:00Z',
      keys: { [id]: { keytype: 'ed25519', scheme: 'ed25519', label: 'alice', keyval: { public: a.raw.toString('hex') } } },
      roles: { root: role, index: role, publishers: [{ ...role, names: ['acme-*'] }] },
    },
    signatures: [],
  };
  const trust = join(dir, 'trust');
  mkdirSync(trust);
  writeFileSync(join(trust, 'root.json'), JSON.stringify(root));
  for (const path of [trust, join(trust, 'root.json')]) {
    const summary = await trustShow({ path });
    assert.equal(summary.version, 1n);
    assert.deepEqual(summary.signedBy, []);
    assert.equal(summary.complete, false);
    assert.deepEqual(summary.publishers[0].names, ['acme-*']);
  }
  await rejectsWith(trustShow({ path: join(dir, 'missing') }), 'usage');
});

test('audit with a registry finds the installed versions it has yanked', async (t) => {
  const dir = scratch(t);
  const { k, trustRoot, entries, registry } = colmask(dir, ['1.0.0', '1.1.0']);
  const dest = join(dir, 'plugins');
  await install({ registry, spec: 'colmask', version: '1.0.0', dest, trustRoot });
  assert.deepEqual((await audit({ dest, trustRoot, registry })).plugins[0].findings, []);

  const yanked = index(k, entries);
  yanked.plugins[0].yanked = true;
  writeFileSync(registry, JSON.stringify(yanked));
  const [plugin] = (await audit({ dest, trustRoot, registry })).plugins;
  assert.deepEqual(
    plugin.findings.map((f) => f.kind),
    ['yanked'],
  );
  assert.match(plugin.findings[0].detail, /colmask 1\.0\.0 is yanked/);
  await rejectsWith(audit({ dest, registry: 7 }), 'usage');
});

test('an oci:// registry is asked over the network, not looked for as a file', async (t) => {
  // Tags and nothing else: resolution picks 1.2.0 from them, then its manifest is missing.
  const tags = JSON.stringify({ name: 'plugins/colmask', tags: ['1.0.0', '1.2.0', '2.0.0'] });
  const server = await serve(t, { '/v2/plugins/colmask/tags/list': tags });
  const registry = `oci://${server.base.slice('http://'.length)}/plugins`;
  const error = await rejectsWith(findEntry({ registry, spec: 'colmask@^1' }), 'fetch-failed');
  assert.equal(error.details.url, `${server.base}/v2/plugins/colmask/manifests/1.2.0`);
  assert.deepEqual(error.details.cause, { tag: 'http-status', val: 404 });
  assert.equal(server.hits['/v2/plugins/colmask/tags/list'], 1);
});

test('verifyBundle checks a Sigstore bundle offline, from the file or its digest, and names the check that fails', async () => {
  const cases = new URL('../../tests/assets/sigstore-conformance/bundle-verify/', import.meta.url).pathname;
  const identity =
    'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
  const issuer = 'https://token.actions.githubusercontent.com';
  const bundle = join(cases, 'happy-path-v0.3/bundle.sigstore.json');
  const artifact = join(cases, 'a.txt');
  const report = await verifyBundle({ bundle, artifact, identity, issuer });
  assert.equal(report.signedBy, `sigstore:${identity} (${issuer})`);
  const byDigest = await verifyBundle({ bundle, artifact: `sha256:${report.sha256}`, identity, issuer });
  assert.equal(byDigest.sha256, report.sha256);

  const refused = await rejectsWith(verifyBundle({ bundle, artifact, identity: 'https://example.com/mallory', issuer }), 'sigstore-unverified');
  assert.equal(refused.details.check, 'identity');
  assert.match(refused.message, /mallory/);
  const managed = join(cases, 'managed-key-wrong-key_fail');
  await rejectsWith(
    verifyBundle({ bundle: join(managed, 'bundle.sigstore.json'), artifact, key: join(managed, 'key.pub') }),
    'sigstore-unverified',
  );
  await rejectsWith(verifyBundle({ bundle, artifact, identity }), 'usage');
});


test('a worker that fails while starting is a runtime error, not a crash or a hang', async (t) => {
  // A copy of the package whose jco glue throws when loaded: the worker
  // dies while the core modules compile, before any call listens to it.
  const dir = scratch(t);
  const pkg = join(dir, 'pkg');
  cpSync(join(repo, 'js/src'), join(pkg, 'src'), { recursive: true });
  cpSync(join(repo, 'js/dist'), join(pkg, 'dist'), { recursive: true });
  cpSync(join(repo, 'js/package.json'), join(pkg, 'package.json'));
  symlinkSync(join(repo, 'js/node_modules'), join(pkg, 'node_modules'));
  // The script the worker loads (src/glue.js), whose code cache is then
  // for another source and not used.
  writeFileSync(join(pkg, 'dist/component/installer.script.js'), "throw new Error('broken glue');\n");
  const script = `
    const { verify } = await import(${JSON.stringify(join(pkg, 'src/index.js'))});
    try {
      await verify({ artifact: ${JSON.stringify(join(example, 'hello-0.1.0.wasm'))} });
      console.log('no error');
    } catch (e) {
      console.log(e.kind, String(e.message).includes('broken glue'));
    }`;
  writeFileSync(join(dir, 'call.mjs'), script);
  const { stdout, status } = spawnSync(process.execPath, [join(dir, 'call.mjs')], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(status, 0, stdout);
  assert.equal(stdout.trim(), 'runtime true');
});
