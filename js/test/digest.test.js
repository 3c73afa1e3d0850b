// The component's `digest` import, answered by node:crypto (src/digest.js):
// the digests themselves, and that the package's component really asks its
// host for them (the WebAssembly one, composed in, crossed memories a byte
// at a time under jco on Node 20: a 32 MiB verify took 13 s).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hasher } from '../src/digest.js';
import { builtInstaller } from './helpers.js';

const hex = (bytes) => Buffer.from(bytes).toString('hex');

test('a hasher fed in pieces gives the SHA-256 and SHA-512 of the whole (FIPS 180-2 "abc")', () => {
  for (const [algorithm, expected] of [
    ['sha256', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'sha512',
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    ],
  ]) {
    const h = new Hasher(algorithm);
    h.update(new TextEncoder().encode('a'));
    h.update(new Uint8Array(0));
    // A view into a larger buffer, as jco may hand over.
    h.update(new Uint8Array(Buffer.from('xbcx')).subarray(1, 3));
    assert.equal(hex(Hasher.finish(h)), expected, algorithm);
  }
});

test('an algorithm the WIT does not name is a trap, not a guess', () => {
  assert.throws(() => new Hasher('md5'), /unknown algorithm md5/);
  assert.throws(() => new Hasher('toString'), /unknown algorithm toString/);
});

test("the package's component imports digest from its host", async () => {
  await assert.rejects(builtInstaller({ imports: {} }), /Hasher/);
  assert.equal(typeof (await builtInstaller()).verify, 'function');
});
