// preview2-shim 0.26.1's `descriptor.read`, `descriptor.write` and
// `descriptor.get-type` let a failed call (a full disk, an I/O error) out
// as the raw Node error, where its other filesystem calls give the WASI
// `error-code`. jco cannot lower a raw error as a result's error, so the
// component would trap instead of reporting an I/O error naming the file.
// The component makes these calls for every file it reads whole and every
// chunk of an artefact it installs.

/** WASI `error-code`s of the Node errors these calls may meet. */
const CODES = {
  EACCES: 'access',
  EAGAIN: 'would-block',
  EBADF: 'bad-descriptor',
  EDQUOT: 'quota',
  EFBIG: 'file-too-large',
  EINTR: 'interrupted',
  EINVAL: 'invalid',
  EIO: 'io',
  EISDIR: 'is-directory',
  ELOOP: 'loop',
  ENAMETOOLONG: 'name-too-long',
  ENOENT: 'no-entry',
  ENOMEM: 'insufficient-memory',
  ENOSPC: 'insufficient-space',
  ENOTDIR: 'not-directory',
  ENXIO: 'no-device',
  EOVERFLOW: 'overflow',
  EPERM: 'not-permitted',
  EROFS: 'read-only',
  ESPIPE: 'invalid-seek',
};

/**
 * The WASI `error-code` for what a shim call threw: a code as it is, a Node
 * system error (one with a string `code`) mapped (`io` when unlisted), and
 * anything else (a bug, not a file system's answer) `undefined`.
 */
export function fsErrorCode(e) {
  if (typeof e === 'string') return e;
  if (typeof e?.code === 'string' && /^E[A-Z0-9]+$/.test(e.code)) return CODES[e.code] ?? 'io';
  return undefined;
}

/** Makes `Descriptor`'s `read`, `write` and `getType` throw `error-code`s; once per class. */
export function withFsErrorCodes(Descriptor) {
  const proto = Descriptor.prototype;
  if (proto.read.fsErrorCodes) return;
  for (const name of ['read', 'write', 'getType']) {
    const original = proto[name];
    const wrapped = function (...args) {
      try {
        return original.apply(this, args);
      } catch (e) {
        throw fsErrorCode(e) ?? e;
      }
    };
    wrapped.fsErrorCodes = true;
    proto[name] = wrapped;
  }
}
