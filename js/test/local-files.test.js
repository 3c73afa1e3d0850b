// Files read on the calling thread (src/local-files.js): a read-only open of
// a regular file under a preopen is answered with node:fs, and must answer
// as the shim does, refuse what the shim refuses, and hand everything else
// to the shim.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs, { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { closeLocalFiles, withLocalFiles } from '../src/local-files.js';
import { withFsErrorCodes } from '../src/fs-errors.js';

const root = mkdtempSync(join(tmpdir(), 'wasm-plugin-local-files-'));
after(() => rmSync(root, { recursive: true, force: true }));

const dir = join(root, 'granted');
const outside = join(root, 'outside');
mkdirSync(join(dir, 'd'), { recursive: true });
mkdirSync(outside);
const bytes = randomBytes(300_000);
writeFileSync(join(dir, 'a.bin'), bytes);
writeFileSync(join(dir, 'd', 'b.txt'), 'bee');
writeFileSync(join(outside, 'secret'), 'not granted');
symlinkSync('a.bin', join(dir, 'link'));
symlinkSync(join(outside, 'secret'), join(dir, 'out'));
symlinkSync(outside, join(dir, 'outdir'));
// Links on the way that end inside: absolute, relative by way of the
// parent, and in by way of a directory outside. The shim refuses all three.
symlinkSync(join(dir, 'd'), join(dir, 'absd'));
symlinkSync('../granted/d', join(dir, 'reld'));
symlinkSync(join(dir, 'd'), join(outside, 'back'));

/** The preopen of `dir`: answered here (`local`) or by the shim alone. */
function preopen({ local }) {
  const preopens = { [dir]: dir };
  let imports = new WASIShim({ sandbox: { preopens, env: {} } }).getImportObject();
  withFsErrorCodes(imports['wasi:filesystem/types'].Descriptor);
  if (local) imports = withLocalFiles(imports, preopens);
  const [[descriptor]] = imports['wasi:filesystem/preopens'].getDirectories();
  return { descriptor, Descriptor: imports['wasi:filesystem/types'].Descriptor };
}

const READ = { read: true };
const PLAIN = {};

/** What opening `path` gives: an error code, or the file's type, size and bytes. */
function outcome(descriptor, path, { follow = false, flags = READ } = {}) {
  let file;
  try {
    file = descriptor.openAt({ symlinkFollow: follow }, path, PLAIN, flags);
  } catch (e) {
    return { error: e };
  }
  try {
    const { type, size } = file.stat();
    if (type !== 'regular-file') return { type };
    const [content] = file.read(size + 10n, 0n);
    return { type, size, content: Buffer.from(content).toString('hex') };
  } finally {
    file[Symbol.dispose]();
  }
}

test('opens to read answer as the shim does, and only plain files inside the preopen are read here', () => {
  const here = preopen({ local: true });
  const shim = preopen({ local: false });
  const cases = [
    // [path, options, served here]
    ['a.bin', {}, true],
    ['a.bin', { follow: true }, true],
    ['d/b.txt', {}, true],
    ['d/../a.bin', {}, true],
    ['./d//b.txt', {}, true],
    // A link, inside or out; escaping by `..`; a directory; a link to a
    // directory outside; a missing file; a write: all the shim's.
    ['link', { follow: true }, false],
    ['link', {}, false],
    ['out', { follow: true }, false],
    ['outdir/secret', {}, false],
    ['../outside/secret', {}, false],
    ['absd/b.txt', {}, false],
    ['reld/b.txt', {}, false],
    ['outdir/back/b.txt', {}, false],
    ['d', {}, false],
    ['missing', {}, false],
    ['a.bin', { flags: { read: true, write: true } }, false],
  ];
  for (const [path, options, servedHere] of cases) {
    const expected = outcome(shim.descriptor, path, options);
    assert.deepEqual(outcome(here.descriptor, path, options), expected, `${path} ${JSON.stringify(options)}`);
    let file;
    try {
      file = here.descriptor.openAt({ symlinkFollow: Boolean(options.follow) }, path, PLAIN, options.flags ?? READ);
    } catch {
      assert.equal(servedHere, false, `${path} was refused`);
      continue;
    }
    const local = file.constructor !== here.Descriptor;
    file[Symbol.dispose]();
    assert.equal(local, servedHere, `${path} ${JSON.stringify(options)} served here: ${local}`);
  }
  // What the sandbox is for: nothing outside the grant was read.
  for (const path of ['out', 'outdir/secret', '../outside/secret']) {
    const seen = outcome(here.descriptor, path, { follow: true });
    assert.ok('error' in seen, `${path}: ${JSON.stringify(seen)}`);
  }
  closeLocalFiles();
});

test('a file read here reads in pieces to its end, and its other calls go to the shim', () => {
  const { descriptor, Descriptor } = preopen({ local: true });
  const file = descriptor.openAt({ symlinkFollow: false }, 'a.bin', PLAIN, READ);
  assert.notEqual(file.constructor, Descriptor);
  assert.ok(file instanceof Descriptor, 'jco lowers it as a descriptor');
  assert.equal(file.getType(), 'regular-file');
  assert.deepEqual(file.getFlags(), READ);
  const pieces = [];
  let offset = 0n;
  for (;;) {
    const [piece, end] = file.read(65536n, offset);
    if (end) {
      assert.equal(piece.length, 0, 'the end is a read of nothing, as the shim has it');
      break;
    }
    pieces.push(Buffer.from(piece));
    offset += BigInt(piece.length);
  }
  assert.deepEqual(Buffer.concat(pieces), bytes);
  // A stream is the shim's, from its own open of the same file.
  const stream = file.readViaStream(299_990n);
  assert.deepEqual(Buffer.from(stream.blockingRead(100n)), bytes.subarray(299_990));
  stream[Symbol.dispose]();
  // Writing to it is refused as on any file opened to read.
  assert.throws(() => file.write(new Uint8Array([1]), 0n), (e) => typeof e === 'string');
  file[Symbol.dispose]();
  assert.throws(() => file.read(1n, 0n), (e) => e === 'bad-descriptor');
});

test("what a call leaves open is closed after it, and a preopen's entries are listed here", () => {
  const { descriptor } = preopen({ local: true });
  const file = descriptor.openAt({ symlinkFollow: false }, 'd/b.txt', PLAIN, READ);
  const entries = descriptor.readDirectory();
  const listed = [];
  for (let entry = entries.readDirectoryEntry(); entry; entry = entries.readDirectoryEntry()) listed.push(entry);
  const expected = readdirSync(dir, { withFileTypes: true }).map((e) => ({
    name: e.name,
    type: e.isFile() ? 'regular-file' : e.isDirectory() ? 'directory' : 'symbolic-link',
  }));
  const byName = (a, b) => a.name.localeCompare(b.name);
  assert.deepEqual(listed.sort(byName), expected.sort(byName));
  closeLocalFiles();
  assert.throws(() => file.read(1n, 0n), (e) => e === 'bad-descriptor');
  assert.throws(() => entries.readDirectoryEntry(), (e) => e === 'bad-descriptor');
  // A subdirectory opened through the shim lists through the shim, as before.
  const sub = descriptor.openAt({ symlinkFollow: false }, 'd', { directory: true }, READ);
  const names = [];
  const subEntries = sub.readDirectory();
  for (let entry = subEntries.readDirectoryEntry(); entry; entry = subEntries.readDirectoryEntry()) names.push(entry.name);
  assert.deepEqual(names, ['b.txt']);
  subEntries[Symbol.dispose]();
  sub[Symbol.dispose]();
});

test("a file read here is not a directory to the shim's renames and links, and its other calls reach the same file or none", () => {
  const { descriptor } = preopen({ local: true });
  writeFileSync(join(dir, 'c.bin'), 'other');
  const file = descriptor.openAt({ symlinkFollow: false }, 'a.bin', PLAIN, READ);
  // Given as the directory to move or link into, it is refused as the shim
  // refuses any file, and nothing moves.
  assert.throws(() => descriptor.renameAt('c.bin', file, 'moved'), (e) => e === 'not-directory');
  assert.throws(() => descriptor.linkAt({ symlinkFollow: false }, 'c.bin', file, 'linked'), (e) => e === 'not-directory');
  assert.ok(existsSync(join(dir, 'c.bin')));
  assert.ok(!existsSync('undefined'), 'nothing resolved against an empty base');
  // Renamed over since it was opened: reads are still the open file's, and
  // a stream (the shim's) is refused rather than the other file's.
  descriptor.renameAt('c.bin', descriptor, 'a.bin');
  try {
    assert.deepEqual(Buffer.from(file.read(16n, 0n)[0]), bytes.subarray(0, 16));
    assert.throws(() => file.readViaStream(0n), (e) => e === 'bad-descriptor');
  } finally {
    writeFileSync(join(dir, 'a.bin'), bytes);
    closeLocalFiles();
  }
});

test('a directory swapped for a link while a file is opened is caught after the open', () => {
  const { descriptor } = preopen({ local: true });
  writeFileSync(join(outside, 'b.txt'), 'not granted');
  // Another process swaps d for a link out of the grant between the checks
  // and the open (the lstat of the file is the last check before it).
  const lstat = fs.lstatSync;
  fs.lstatSync = function (path, ...rest) {
    if (path === join(dir, 'd', 'b.txt')) {
      renameSync(join(dir, 'd'), join(dir, 'd.real'));
      symlinkSync(outside, join(dir, 'd'));
      fs.lstatSync = lstat;
      syncBuiltinESMExports();
    }
    return lstat.call(this, path, ...rest);
  };
  syncBuiltinESMExports();
  try {
    let seen;
    try {
      const file = descriptor.openAt({ symlinkFollow: false }, 'd/b.txt', PLAIN, READ);
      seen = Buffer.from(file.read(100n, 0n)[0]).toString();
      file[Symbol.dispose]();
    } catch (e) {
      seen = e;
    }
    assert.notEqual(seen, 'not granted');
    assert.equal(seen, 'not-permitted', 'the shim answers the link out');
  } finally {
    fs.lstatSync = lstat;
    syncBuiltinESMExports();
    rmSync(join(dir, 'd'));
    renameSync(join(dir, 'd.real'), join(dir, 'd'));
    closeLocalFiles();
  }
});
