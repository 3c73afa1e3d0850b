// The component words its errors once; the package throws them as they are,
// reading the CLI's flags in the hint as this API's options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InstallerError, asOptions } from '../src/errors.js';

test('a hint names the options of this API where the component names flags', () => {
  assert.equal(
    asOptions('pass --allow-downgrade to install it; grant it with --allow-read /x (or --max-size)'),
    'pass allowDowngrade to install it; grant it with allowRead /x (or maxSize)',
  );
  // Both halves of a pair; a quoted command line and a flag with no option stay as they are.
  assert.equal(asOptions('change --allow-import/--deny-import'), 'change allowImports/denyImports');
  assert.equal(
    asOptions('run `wasm-plugin list --registry X`, or pass --registry-token-file'),
    'run `wasm-plugin list --registry X`, or pass --registry-token-file',
  );
  // Not a flag: left as it is.
  assert.equal(asOptions('a--b and x-y'), 'a--b and x-y');
});

test('an error from the component carries its kind, details, message and hint', () => {
  const e = InstallerError.fromComponent({
    message: "refusing to downgrade 'p' from 2.0.0 to 1.0.0",
    hint: 'pass --allow-downgrade to install the lower version anyway',
    detail: { tag: 'downgrade-refused', val: { name: 'p', installed: '2.0.0', requested: '1.0.0' } },
  });
  assert.equal(e.kind, 'downgrade-refused');
  assert.ok(e.is('downgrade-refused'));
  assert.equal(e.details.installed, '2.0.0');
  assert.equal(e.hint, 'pass allowDowngrade to install the lower version anyway');
  assert.equal(
    e.message,
    "refusing to downgrade 'p' from 2.0.0 to 1.0.0\npass allowDowngrade to install the lower version anyway",
  );
  const plain = InstallerError.fromComponent({ message: 'm', hint: undefined, detail: { tag: 'io', val: {} } });
  assert.equal(plain.message, 'm');
  assert.equal(plain.hint, null);
});
