// Errors as the package throws them: the kebab-case kinds of the CLI's
// `--json` errors, the case's fields as details, and the component's own
// words for what was wrong and what to do. The component writes every
// message once for all its hosts; its hint names the CLI's flags, which
// read here as this API's option names (`--allow-downgrade` is
// `allowDowngrade`).

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
    return new InstallerError(detail.tag, detail.val, message, hint === undefined ? null : asOptions(hint));
  }
}

/** `--allow-downgrade` -> `allowDowngrade`: a CLI flag as this API's option. */
export function asOptions(text) {
  return text.replace(/(^|[\s(`])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)/g, (_, before, flag) =>
    before + flag.replace(/-([a-z0-9])/g, (_m, c) => c.toUpperCase()),
  );
}
