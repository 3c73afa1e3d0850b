// Regular files opened to read, answered on the calling thread.
//
// preview2-shim 0.26.1 does every call on an open file (the open, its stat,
// each read, the close) as a round trip to its own I/O worker, which then
// waits on libuv's thread pool: three thread hand-offs, about 0.35 ms each
// on a 2-core machine, and varying with whatever else runs. A `verify`
// makes 14 of them, most of its time in the component. The package's calls
// already run on a thread of their own (worker.js), where blocking is what
// the shim does anyway; so a read-only open of a regular file under a
// preopen is done here with node:fs's synchronous calls, and so are that
// file's stat, reads and close. A preopen's own directory is listed here
// too (the shim refuses to list a preopen, so the component would open it
// again through the shim to list it: two more round trips).
//
// What is served here is narrow on purpose: a regular file inside the
// preopen, reached through no symbolic link at all, to read only, on Linux.
// Anything else (writes, creation, directories, links anywhere on the path,
// FIFOs, paths this cannot resolve, other systems) goes to the shim
// unchanged, errors included; so does any call on such a file that is not a
// stat, a read or a close (the shim then opens the same path itself, once,
// and it must still be the same file).

import {
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  opendirSync,
  openSync,
  readlinkSync,
  readSync,
  realpathSync,
} from 'node:fs';
import { join } from 'node:path';
import { fsErrorCode } from './fs-errors.js';

/** Host directory of each preopen descriptor of the current call (see `withLocalFiles`). */
const hostPaths = new WeakMap();

/** Files and listings opened here and not yet closed, in the current call (see `closeLocalFiles`). */
const open = new Set();

/** The shim `Descriptor` classes already patched (see `servedHere`). */
const patched = new WeakSet();

/**
 * The imports with a read-only open of a regular file under one of
 * `preopens` (virtual path to host directory, as given to the shim) served
 * on this thread. Patches the shim's `Descriptor` class once (see
 * `servedHere`); descriptors of other imports keep the shim's behaviour.
 */
export function withLocalFiles(imports, preopens) {
  // Linux only: an open is checked against /proc/self/fd (see `openHere`).
  if (process.platform !== 'linux') return imports;
  const { Descriptor, DirectoryEntryStream } = imports['wasi:filesystem/types'];
  servedHere(Descriptor, DirectoryEntryStream);
  const shimPreopens = imports['wasi:filesystem/preopens'];
  const getDirectories = () => {
    const directories = shimPreopens.getDirectories();
    for (const [descriptor, virtualPath] of directories) {
      const host = preopens[virtualPath];
      if (typeof host === 'string') hostPaths.set(descriptor, host);
    }
    return directories;
  };
  return { ...imports, 'wasi:filesystem/preopens': { ...shimPreopens, getDirectories } };
}

/**
 * Closes what the call left open. Its instance is discarded after it (a
 * trap included), so nothing could use these descriptors again.
 */
export function closeLocalFiles() {
  for (const file of [...open]) file.close();
}

/** Patches `openAt`, `readDirectory`, `renameAt` and `linkAt` on the shim's class, once. */
function servedHere(Descriptor, DirectoryEntryStream) {
  if (patched.has(Descriptor)) return;
  patched.add(Descriptor);
  const LocalFile = localFileClass(Descriptor);
  const LocalEntries = localEntriesClass(DirectoryEntryStream);
  const shimReadDirectory = Descriptor.prototype.readDirectory;
  Descriptor.prototype.readDirectory = function readDirectory() {
    const base = hostPaths.get(this);
    if (base === undefined) return shimReadDirectory.call(this);
    try {
      return new LocalEntries(opendirSync(base));
    } catch (e) {
      throw wasiError(e);
    }
  };
  // The shim's calls that take a second descriptor resolve paths against
  // its private fields, which a file opened here does not have: given one,
  // they answer as for any file, which is not a directory.
  for (const name of ['renameAt', 'linkAt']) {
    const shimCall = Descriptor.prototype[name];
    Descriptor.prototype[name] = function (...args) {
      if (args.some((arg) => arg instanceof LocalFile)) throw 'not-directory';
      return shimCall.apply(this, args);
    };
  }
  const shimOpenAt = Descriptor.prototype.openAt;
  Descriptor.prototype.openAt = function openAt(pathFlags, path, openFlags, descriptorFlags) {
    const base = hostPaths.get(this);
    if (base !== undefined && readOnly(path, openFlags, descriptorFlags)) {
      const opened = openHere(base, path);
      if (opened) {
        const reopen = () => shimOpenAt.call(this, pathFlags, path, openFlags, descriptorFlags);
        return new LocalFile(opened.fd, opened.ino, descriptorFlags, reopen);
      }
    }
    return shimOpenAt.call(this, pathFlags, path, openFlags, descriptorFlags);
  };
}

/** Whether an open asks for nothing but reading an existing file, by a plain relative path. */
function readOnly(path, openFlags, flags) {
  return (
    typeof path === 'string' &&
    path !== '' &&
    !path.startsWith('/') &&
    !path.endsWith('/') &&
    !path.includes('\\') &&
    !path.includes('\0') &&
    !openFlags?.create &&
    !openFlags?.directory &&
    !openFlags?.exclusive &&
    !openFlags?.truncate &&
    flags?.read === true &&
    !flags.write &&
    !flags.mutateDirectory &&
    !flags.fileIntegritySync &&
    !flags.dataIntegritySync &&
    !flags.requestedWriteSync
  );
}

/**
 * Opens `path` under the directory `base` when it is a regular file inside
 * it reached through no symbolic link (`..` taken lexically, as the shim
 * does, never above `base`; the directories on the way must resolve to
 * themselves; the file itself no link). `undefined` for anything else,
 * which the shim then answers.
 */
function openHere(base, path) {
  const segments = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.pop() === undefined) return undefined;
    } else {
      segments.push(segment);
    }
  }
  const name = segments.pop();
  if (name === undefined) return undefined;
  let fd;
  try {
    const root = realpathSync(base);
    const dir = join(root, ...segments);
    if (realpathSync(dir) !== dir) return undefined;
    const file = join(dir, name);
    const seen = lstatSync(file, { bigint: true });
    if (!seen.isFile()) return undefined;
    // O_NOFOLLOW: a link swapped in since the lstat is refused; O_NONBLOCK:
    // a FIFO swapped in cannot block the open (the type is checked next).
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const opened = fstatSync(fd, { bigint: true });
    // What was opened, where the kernel found it: a directory on the way
    // swapped for a link between the checks above and the open shows here.
    const where = readlinkSync(`/proc/self/fd/${fd}`);
    if (!opened.isFile() || opened.ino !== seen.ino || opened.dev !== seen.dev || where !== file) {
      closeSync(fd);
      return undefined;
    }
    return { fd, ino: opened.ino };
  } catch {
    if (fd !== undefined) closeSync(fd);
    return undefined;
  }
}

// The symbol jco drops a resource with (and the shim defines).
const symbolDispose = Symbol.dispose || Symbol.for('dispose');

const NS = 1_000_000_000n;

function timestamp(ns) {
  return { seconds: ns / NS, nanoseconds: Number(ns % NS) };
}

/** The WASI `descriptor-type` of Node stats (as the shim names them). */
function typeOf(stats) {
  if (stats.isFile()) return 'regular-file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symbolic-link';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character-device';
  if (stats.isBlockDevice()) return 'block-device';
  return 'unknown';
}

/** A Node error as the WASI `error-code` the shim would give. */
function wasiError(e) {
  return fsErrorCode(e) ?? e;
}

function localEntriesClass(DirectoryEntryStream) {
  /** A preopen's entries, listed here; a subclass of the shim's class, so jco takes it. */
  class LocalEntries extends DirectoryEntryStream {
    #dir;

    constructor(dir) {
      super();
      this.#dir = dir;
      open.add(this);
    }

    readDirectoryEntry() {
      if (this.#dir === undefined) throw 'bad-descriptor';
      let entry;
      try {
        entry = this.#dir.readSync();
      } catch (e) {
        throw wasiError(e);
      }
      return entry === null ? undefined : { name: entry.name, type: typeOf(entry) };
    }

    close() {
      if (this.#dir === undefined) return;
      open.delete(this);
      const dir = this.#dir;
      this.#dir = undefined;
      try {
        dir.closeSync();
      } catch {
        // Nothing was written through it.
      }
    }

    [symbolDispose]() {
      this.close();
    }
  }
  return LocalEntries;
}

function localFileClass(Descriptor) {
  /**
   * A regular file opened here to read. A subclass of the shim's class, so
   * jco takes it as a `descriptor`; its stat, reads and close are answered
   * with node:fs, every other call by the shim's own descriptor for the
   * same open, made on first need.
   */
  class LocalFile extends Descriptor {
    #fd;
    #ino;
    #flags;
    #reopen;
    #shim;

    constructor(fd, ino, flags, reopen) {
      super();
      this.#fd = fd;
      this.#ino = ino;
      this.#flags = flags;
      this.#reopen = reopen;
      open.add(this);
    }

    #live() {
      if (this.#fd === undefined) throw 'bad-descriptor';
      return this.#fd;
    }

    /**
     * The shim's descriptor for this open, for what is not answered here:
     * the same path opened by the shim, which must still be the same file
     * (renamed over or removed since, there is no other way to reach it:
     * `bad-descriptor`).
     */
    shimDescriptor() {
      this.#live();
      if (this.#shim === undefined) {
        const shim = this.#reopen();
        let same = false;
        try {
          same = shim.metadataHash().lower === this.#ino;
        } finally {
          if (!same) shim[symbolDispose]();
        }
        if (!same) throw 'bad-descriptor';
        this.#shim = shim;
      }
      return this.#shim;
    }

    read(length, offset) {
      const fd = this.#live();
      try {
        const buffer = new Uint8Array(Number(length));
        const got = readSync(fd, buffer, 0, buffer.length, offset);
        // As the shim: the end is a read that returns nothing.
        return [buffer.subarray(0, got), got === 0];
      } catch (e) {
        throw wasiError(e);
      }
    }

    stat() {
      const fd = this.#live();
      let stats;
      try {
        stats = fstatSync(fd, { bigint: true });
      } catch (e) {
        throw wasiError(e);
      }
      return {
        type: typeOf(stats),
        linkCount: stats.nlink,
        size: stats.size,
        dataAccessTimestamp: timestamp(stats.atimeNs),
        dataModificationTimestamp: timestamp(stats.mtimeNs),
        statusChangeTimestamp: timestamp(stats.ctimeNs),
      };
    }

    getType() {
      try {
        return typeOf(fstatSync(this.#live()));
      } catch (e) {
        throw wasiError(e);
      }
    }

    getFlags() {
      this.#live();
      return this.#flags;
    }

    metadataHash() {
      try {
        const stats = fstatSync(this.#live(), { bigint: true });
        return { upper: stats.mtimeNs, lower: stats.ino };
      } catch (e) {
        throw wasiError(e);
      }
    }

    advise() {
      this.#live();
    }

    sync() {
      this.#flush(fsyncSync);
    }

    syncData() {
      this.#flush(fdatasyncSync);
    }

    /** `fsync` or `fdatasync`; a file system that refuses it for a file opened to read (EPERM) is not an error, as in the shim. */
    #flush(call) {
      try {
        call(this.#live());
      } catch (e) {
        if (e?.code !== 'EPERM') throw wasiError(e);
      }
    }

    isSameObject(other) {
      return other === this;
    }

    /** Closes the file (and the shim's descriptor, if one was made). */
    close() {
      if (this.#fd === undefined) return;
      open.delete(this);
      const fd = this.#fd;
      this.#fd = undefined;
      const shim = this.#shim;
      this.#shim = undefined;
      try {
        closeSync(fd);
      } catch {
        // Closing a read-only descriptor loses nothing.
      }
      shim?.[symbolDispose]?.();
    }

    [symbolDispose]() {
      this.close();
    }
  }

  // Every other method of the shim's class goes to the shim's descriptor
  // for this open: a stream, a write (refused there as on any read-only
  // descriptor), a directory call (refused as on any file).
  const here = new Set(Object.getOwnPropertyNames(LocalFile.prototype));
  for (const name of Object.getOwnPropertyNames(Descriptor.prototype)) {
    if (here.has(name) || name === 'constructor') continue;
    if (typeof Object.getOwnPropertyDescriptor(Descriptor.prototype, name)?.value !== 'function') continue;
    Object.defineProperty(LocalFile.prototype, name, {
      value: function (...args) {
        return this.shimDescriptor()[name](...args);
      },
      writable: true,
      configurable: true,
    });
  }
  return LocalFile;
}
