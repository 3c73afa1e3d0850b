// Errors as the package throws them: the kebab-case kinds of the CLI's
// `--json` errors, the case's fields as details, and the component's own
// words for what was wrong and what to do. The component writes every
// message once for all its hosts; the CLI's flags in them read here as this
// API's option names (`--allow-downgrade` is `allowDowngrade`).

/** A failed installer call. `kind` is the CLI's JSON `error.kind`. */
export class InstallerError extends Error {
  constructor(kind, details, message, hint) {
    super(hint ? `${message}\n${hint}` : message);
    this.name = 'InstallerError';
    this.kind = kind;
    this.details = details ?? null;
    this.hint = hint ?? null;
  }

  /** Whether this is a `kind` error (in TypeScript, also narrows `details`). */
  is(kind) {
    return this.kind === kind;
  }

  /**
   * From the component's `error` record, as jco gives it:
   * `{message, hint, detail: {tag, val}}`.
   */
  static fromComponent({ message, hint, detail }) {
    return new InstallerError(detail.tag, detail.val, asOptions(message), hint === undefined ? null : asOptions(hint));
  }
}

/** The CLI's flags that are this API's options, by their option names. */
const OPTIONS = {
  'allow-downgrade': 'allowDowngrade',
  'allow-expired': 'allowExpired',
  'allow-read': 'allowRead',
  'allow-import': 'allowImports',
  'deny-import': 'denyImports',
  'max-size': 'maxSize',
  'trust-root': 'trustRoot',
  config: 'manifest',
  dest: 'dest',
  registry: 'registry',
  world: 'world',
  'world-name': 'worldName',
};

/**
 * The component's words with the CLI's flags read as this API's options
 * (`--allow-downgrade` as `allowDowngrade`). A flag with no option here is
 * left as it is, and so is everything inside backticks: a command line
 * quoted whole stays one.
 */
export function asOptions(text) {
  return text
    .split(/(`[^`]*`)/)
    .map((part) =>
      part.startsWith('`')
        ? part
        : part.replace(/(^|[\s(/])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\b/g, (whole, before, flag) =>
            flag in OPTIONS ? before + OPTIONS[flag] : whole,
          ),
    )
    .join('');
}
