// Errors as the package throws them: the kebab-case kinds of the CLI's
// `--json` errors, the case's fields as details, and a message that says
// what was wrong and what to do (with this API's option names, not flags).

/** A failed installer call. `kind` is the CLI's JSON `error.kind`. */
export class InstallerError extends Error {
  constructor(kind, details, message) {
    super(message ?? describe(kind, details));
    this.name = 'InstallerError';
    this.kind = kind;
    this.details = details ?? null;
  }

  /** Whether this is a `kind` error (in TypeScript, also narrows `details`). */
  is(kind) {
    return this.kind === kind;
  }

  /** From the component's `error` variant, as jco gives it ({tag, val}). */
  static fromComponent(payload) {
    return new InstallerError(payload.tag, payload.val);
  }
}

const list = (xs) => (xs && xs.length ? xs.join(', ') : 'none');

/** A `fetch-error` in words, as the CLI says it. */
function fetchCause({ tag, val }) {
  switch (tag) {
    case 'http-status':
      return `the server answered HTTP ${val} (check the artifact URL in the index)`;
    case 'truncated':
      return `the connection closed after ${val[0]} of ${val[1]} bytes`;
    case 'unsupported-scheme':
      return `the ${val}: scheme is not supported`;
    default:
      return `${tag.replace(/-/g, ' ')}: ${val}`;
  }
}

function describe(kind, d) {
  switch (kind) {
    case 'index-malformed':
      return `${d.path}:${d.line}:${d.column}: the registry index is malformed: ${d.message}`;
    case 'manifest-invalid':
      return `${d.path}:${d.line}:${d.column}: ${d.message}; fix the plugin set's wasm-plugin.toml (see the README's "Plugin sets")`;
    case 'index-invalid':
      return `the registry index ${d.path} is invalid: ${d.problem}`;
    case 'unknown-plugin':
      return `no plugin named '${d.name}' in ${d.registry}; it has: ${list(d.available)}`;
    case 'unknown-version':
      return d.requirement
        ? `no version of '${d.name}' matches ${d.requested}; available: ${list(d.available)}` +
            (d.preReleases?.length ? `; pre-releases passed over: ${list(d.preReleases)} (a requirement matches one only when it names one, e.g. ${d.name}@^${d.preReleases[0]}; ${d.name}@=${d.preReleases[0]} takes exactly that one)` : '')
        : `plugin '${d.name}' has no version '${d.requested}'; available: ${list(d.available)}`;
    case 'invalid-name':
      return `invalid name '${d.value}': ${d.reason}`;
    case 'not-granted':
      return d.link
        ? `${d.path} leads outside the granted directories: ${d.link} is a symbolic link to ${d.linkTarget ?? 'a place outside them'}`
        : `${d.path} is outside the directories the installer may read; grant its directory with allowRead`;
    case 'not-regular-file':
      return `${d.value} is ${d.reason}, not a regular file`;
    case 'trust-root-invalid':
      return `cannot use trust root ${d.value}: ${d.reason}`;
    case 'downgrade-refused':
      return `refusing to downgrade '${d.name}' from ${d.installed} to ${d.requested}; pass allowDowngrade: true to install it anyway`;
    case 'too-large':
      return `${d.source} is larger than the limit of ${d.limit} bytes; raise maxSize if it really is that large`;
    case 'index-untrusted':
      return `refusing the registry index ${d.value}: ${d.reason}`;
    case 'index-expired':
      return `the registry index ${d.registry} expired at ${d.expires}; pass allowExpired: true to use it anyway`;
    case 'index-rollback':
      return `the registry index ${d.registry} is version ${d.got}, older than version ${d.seen} seen before`;
    case 'size-mismatch':
      return `size mismatch for ${d.source}: the registry publishes ${d.expected} bytes, the source has ${d.actual}; nothing was installed`;
    case 'digest-mismatch':
      return `digest mismatch for ${d.source}: expected sha256 ${d.expected}, actual ${d.actual}; nothing was installed`;
    case 'signature-missing':
      return `${d.value} is not signed (looked in ${d.reason}), but a trust root was given`;
    case 'signature-malformed':
      return `malformed signature in ${d.value}: ${d.reason}`;
    case 'signature-untrusted':
      return `the signature of ${d.artifact} does not verify against any key in the trust root ${d.trustRoot} (tried: ${list(d.keys)})`;
    case 'capability-denied':
      return `${d.artifact} imports what the capability policy forbids: ${d.denied.join('; ')}; nothing was placed`;
    case 'incompatible':
      return `${d.artifact} does not fit the ${d.world}: ${[d.mismatch, ...d.skipped.map((s) => `skipped ${s.version}: ${s.reason}`)].join('; ')}; nothing was placed`;
    case 'metadata-mismatch':
      return `the index ${d.index} describes ${d.artifact} otherwise than its bytes are: ${d.reason}; nothing was placed`;
    case 'signature-insufficient':
      return `${d.value} is not signed as the trust root's root.json requires: ${d.reason}`;
    case 'fetch-failed':
      return `fetching ${d.url} failed: ${fetchCause(d.cause)}`;
    case 'not-installed':
      return `'${d.name}' is not installed in ${d.dest}; installed: ${list(d.installed)}`;
    case 'unsupported-location':
      return `cannot use location '${d.value}': ${d.reason}`;
    case 'invalid-request':
      return `${d.value}: ${d.reason}`;
    case 'io':
      return `cannot ${d.operation} ${d.path}: ${d.message}`;
    default: {
      const fields = d && typeof d === 'object' ? Object.entries(d).map(([k, v]) => `${k}: ${v}`) : [String(d)];
      return `${kind}: ${fields.join(', ')}`;
    }
  }
}
