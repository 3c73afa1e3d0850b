// preview2-shim loaded with its I/O thread started at first use
// (src/shim.js): importing it starts no thread, and the first call that
// needs the thread starts it and is answered while the caller blocks. Run
// in a process of its own, with a time limit: a stand-in that failed to
// pass the call on would block its thread for good.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const script = `
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import workerThreads from 'node:worker_threads';
import { ioThreadStarted, WASIShim } from ${JSON.stringify(new URL('../src/shim.js', import.meta.url).href)};
const seen = { restored: workerThreads.Worker.name, afterImport: ioThreadStarted() };
const dir = mkdtempSync(join(tmpdir(), 'wasm-plugin-shim-'));
try {
  writeFileSync(join(dir, 'a.txt'), 'hello');
  const imports = new WASIShim({ sandbox: { preopens: { [dir]: dir }, env: {} } }).getImportObject();
  const [[preopen]] = imports['wasi:filesystem/preopens'].getDirectories();
  // A stat by path is answered on this thread by the shim.
  preopen.statAt({ symlinkFollow: false }, 'a.txt');
  seen.afterStat = ioThreadStarted();
  // An open is the I/O thread's.
  const file = preopen.openAt({ symlinkFollow: false }, 'a.txt', {}, { read: true });
  seen.afterOpen = ioThreadStarted();
  seen.read = Buffer.from(file.read(10n, 0n)[0]).toString();
  file[Symbol.dispose]();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(seen));
// No process.exit: the thread is unref'd as the shim asked, so the process ends by itself.
`;

test("the shim's I/O thread starts at its first use, and answers it", () => {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, `${run.error ?? ''}${run.stderr}`);
  assert.deepEqual(JSON.parse(run.stdout), {
    restored: 'Worker',
    afterImport: false,
    afterStat: false,
    afterOpen: true,
    read: 'hello',
  });
});
