// Compiled by `npm test` (tsc --noEmit): the declared API and jco's
// generated report types fit together as a TypeScript user would use them.
import {
  audit,
  findEntry,
  forgetRegistry,
  install,
  InstallerError,
  listInstalled,
  loadIndex,
  outdated,
  readManifest,
  trustShow,
  uninstall,
  verify,
  verifyBundle,
} from '../../src/index.js';
import type { AuditReport, ErrorKind, InstallReport, OutdatedPlugin } from '../../src/index.js';

async function use(): Promise<void> {
  const report: InstallReport = await install({ registry: 'index.json', spec: 'hello', dest: 'plugins', trustRoot: 'trust' });
  const action: string = report.action;
  const size: bigint = report.size;
  const audited: AuditReport = await audit({ dest: 'plugins', registry: 'index.json', allowExpired: true });
  const drift: boolean = audited.plugins.some((p) => p.findings.some((f) => f.kind === 'drift'));
  const signedBy: string | undefined = (await verify({ artifact: 'plugins/hello.wasm' })).signedBy;
  const sigstoreSigner: string = (
    await verifyBundle({ bundle: 'b.sigstore.json', artifact: 'sha256:00', identity: 'me', issuer: 'https://issuer' })
  ).signedBy;
  const names: string[] = (await listInstalled({ dest: 'plugins' })).map((r) => r.name);
  const version: bigint | undefined = (await loadIndex({ registry: 'https://example.com/index.json' })).version;
  const found: number = (await loadIndex({ registry: 'sparse', search: 'col', plugin: undefined })).plugins.length;
  const entrySize: bigint | undefined = (await findEntry({ registry: 'index.json', spec: 'hello@^0.1' })).size;
  const behind: OutdatedPlugin[] = await outdated({ registry: 'index.json', dest: 'plugins', allowExpired: true });
  const wanted: string | undefined = behind[0]?.wanted;
  const forgotten: bigint | undefined = (await forgetRegistry({ dest: 'plugins', registry: 'index.json' })).forgotten;
  const removed: string[] = (await uninstall({ dest: 'plugins', name: 'hello' })).removed;
  const setDest: string | undefined = (await readManifest({ path: 'wasm-plugin.toml' })).dest;
  const complete: boolean = (await trustShow({ path: 'trust' })).complete;
  void [found, entrySize, wanted, forgotten, removed, setDest, complete];
  try {
    await install({ registry: 'index.json', spec: 'x', dest: 'p', maxSize: 1024 });
  } catch (e) {
    if (e instanceof InstallerError) {
      const kind: ErrorKind = e.kind;
      void kind;
      if (e.is('digest-mismatch')) {
        const expected: string = e.details.expected;
        void expected;
      }
      if (e.is('fetch-failed')) {
        const url: string = e.details.url;
        const tag: string = e.details.cause.tag;
        void [url, tag];
      }
    }
  }
  void [action, size, drift, signedBy, names, version];
}
void use;
