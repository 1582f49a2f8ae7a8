import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm start` and `npm run start:prod` (and the Dockerfile, which runs the latter's command) pass V8
 * flags to Node. Node refuses to start on a flag its V8 does not know ("bad option", exit 9), so each
 * runtime CI tests (Node 20 and 24) must accept every one of them. Why each flag is there:
 * docs/performance.md.
 */
const scripts = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const nodeFlags = (script: string) =>
  script
    .split('&&')
    .map((command) => command.trim().split(/\s+/))
    .filter(([program]) => program === 'node')
    .flatMap((parts) => parts.filter((part) => part.startsWith('--')));

describe.each(['start', 'start:prod'])('npm run %s', (name) => {
  const flags = nodeFlags(scripts[name]);

  it('keeps V8 from pretenuring request objects, which doubled the CPU per request under a mixed load', () => {
    expect(flags).toContain('--no-allocation-site-pretenuring');
  });

  it(`starts on this Node.js (${process.version}) with every flag it passes`, () => {
    expect(() => execFileSync(process.execPath, [...flags, '-e', '0'], { stdio: 'pipe' })).not.toThrow();
  });
});
