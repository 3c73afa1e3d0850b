// The shim's raw read, write and get-type failures become WASI error
// codes (see src/fs-errors.js): without it a full disk traps the component
// instead of being an I/O error naming the file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { fsErrorCode, withFsErrorCodes } from '../src/fs-errors.js';

test('a raw Node error thrown by read or write becomes its WASI error code', () => {
  class Fake {
    read() {
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    write() {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    getType() {
      throw new TypeError('a bug, not an answer of the file system');
    }
  }
  withFsErrorCodes(Fake);
  withFsErrorCodes(Fake); // once per class: not wrapped twice
  const f = new Fake();
  assert.throws(() => f.write(new Uint8Array(1), 0n), (e) => e === 'insufficient-space');
  assert.throws(() => f.read(1n, 0n), (e) => e === 'io');
  // Anything that is not a system error is left as it is (it traps).
  assert.throws(() => f.getType(), TypeError);
  assert.equal(fsErrorCode('access'), 'access');
  assert.equal(fsErrorCode({ code: 'ESOMETHING' }), 'io');
  assert.equal(fsErrorCode(Object.assign(new Error('x'), { code: 'EDQUOT' })), 'quota');
  assert.equal(fsErrorCode(new Error('Internal error: Atomics.wait() failed')), undefined);
});

test("the shim's own Descriptor answers a failed read with a WASI error code", () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-errors-'));
  mkdirSync(join(dir, 'sub'));
  const imports = new WASIShim({ sandbox: { preopens: { '/x': dir }, env: {} } }).getImportObject();
  const [[preopen]] = imports['wasi:filesystem/preopens'].getDirectories();
  const sub = preopen.openAt({}, 'sub', { directory: true }, { read: true });
  // Reading a directory: the shim lets Node's EISDIR out raw...
  assert.throws(() => sub.read(16n, 0n), (e) => e instanceof Error && e.code === 'EISDIR');
  // ...and, wrapped, it is the WASI code the component can be given.
  withFsErrorCodes(imports['wasi:filesystem/types'].Descriptor);
  assert.throws(() => sub.read(16n, 0n), (e) => e === 'is-directory');
});
