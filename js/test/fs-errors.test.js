// The shim's raw read and write failures become WASI error codes (see
// src/fs-errors.js): without it a full disk traps the component instead of
// being an I/O error naming the file.
import assert from 'node:assert/strict';
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
  }
  withFsErrorCodes(Fake);
  withFsErrorCodes(Fake); // once per class: not wrapped twice
  const f = new Fake();
  assert.throws(() => f.write(new Uint8Array(1), 0n), (e) => e === 'insufficient-space');
  assert.throws(() => f.read(1n, 0n), (e) => e === 'io');
  assert.equal(fsErrorCode('access'), 'access');
  assert.equal(fsErrorCode({ code: 'ESOMETHING' }), 'io');
  assert.equal(fsErrorCode(Object.assign(new Error('x'), { code: 'EDQUOT' })), 'quota');
});

test("the shim's own Descriptor, as the worker gets it, is wrapped", () => {
  const { Descriptor } = new WASIShim({ sandbox: { preopens: {}, env: {} } }).getImportObject()['wasi:filesystem/types'];
  withFsErrorCodes(Descriptor);
  assert.equal(Descriptor.prototype.write.fsErrorCodes, true);
  assert.equal(Descriptor.prototype.read.fsErrorCodes, true);
});
