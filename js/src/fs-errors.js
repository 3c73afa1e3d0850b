// preview2-shim 0.26.1's `descriptor.read` and `descriptor.write` let a
// failed read or write (a full disk, an I/O error) out as the raw Node
// error, where its other filesystem calls give the WASI `error-code`. jco
// cannot lower a raw error as a result's error, so the component would trap
// instead of reporting an I/O error naming the file. The component reads
// and writes files with those two calls (positioned reads of small files,
// each chunk of an artefact it installs written at its offset).

/** WASI `error-code`s of the Node errors a read or write may meet. */
const CODES = {
  EACCES: 'access',
  EPERM: 'not-permitted',
  EBADF: 'bad-descriptor',
  EDQUOT: 'quota',
  EFBIG: 'file-too-large',
  EINTR: 'interrupted',
  EINVAL: 'invalid',
  EIO: 'io',
  EISDIR: 'is-directory',
  ENOSPC: 'insufficient-space',
  EROFS: 'read-only',
  ESPIPE: 'invalid-seek',
};

/** The WASI `error-code` for what a shim call threw (`io` when unknown). */
export function fsErrorCode(e) {
  if (typeof e === 'string') return e;
  return CODES[e?.code] ?? 'io';
}

/** Makes `Descriptor`'s `read` and `write` throw `error-code`s; once per class. */
export function withFsErrorCodes(Descriptor) {
  const proto = Descriptor.prototype;
  if (proto.read.fsErrorCodes) return;
  for (const name of ['read', 'write']) {
    const original = proto[name];
    const wrapped = function (...args) {
      try {
        return original.apply(this, args);
      } catch (e) {
        throw fsErrorCode(e);
      }
    };
    wrapped.fsErrorCodes = true;
    proto[name] = wrapped;
  }
}
