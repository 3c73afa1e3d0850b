// Compiled by `npm test` (tsc --noEmit): the declared API and jco's
// generated report types fit together as a TypeScript user would use them.
import { audit, install, InstallerError, listInstalled, loadIndex, verify } from '../../src/index.js';
import type { AuditReport, ErrorKind, InstallReport } from '../../src/index.js';

async function use(): Promise<void> {
  const report: InstallReport = await install({ registry: 'index.json', spec: 'hello', dest: 'plugins', trustRoot: 'trust' });
  const action: string = report.action;
  const size: bigint = report.size;
  const audited: AuditReport = await audit({ dest: 'plugins' });
  const drift: boolean = audited.plugins.some((p) => p.findings.some((f) => f.kind === 'drift'));
  const signedBy: string | undefined = (await verify({ artifact: 'plugins/hello.wasm' })).signedBy;
  const names: string[] = (await listInstalled({ dest: 'plugins' })).map((r) => r.name);
  const version: bigint | undefined = (await loadIndex({ registry: 'https://example.com/index.json' })).version;
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
