import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// The published shape: `npm run build:client` produces an ESM build, a CommonJS build and type
// declarations, and Node 20 loads each through the package's `exports` map.
describe('@gatehouse/client package', () => {
  const root = join(__dirname, '..');
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'build.js')], { stdio: 'pipe' });
  }, 60_000);

  const node = (...args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

  it('loads with require() and with import, through the exports map', () => {
    const probe = 'typeof m.createGatehouseClient + " " + typeof m.GatehouseError';
    expect(node('-e', `const m = require('@gatehouse/client'); console.log(${probe})`)).toBe('function function');
    expect(node('--input-type=module', '-e', `import * as m from '@gatehouse/client'; console.log(${probe})`)).toBe('function function');
  });

  it('ships type declarations', () => {
    const types = node('-e', "console.log(require('fs').readFileSync('dist/types/index.d.ts', 'utf8'))");
    expect(types).toContain('export declare function createGatehouseClient(options: GatehouseClientOptions): GatehouseClient;');
  });
});
