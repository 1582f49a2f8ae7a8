import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// The published shape: `npm run build:nest` produces a CommonJS build and type declarations, and
// Node 20 loads it by the package name through the `exports` map.
describe('@gatehouse/nest package', () => {
  const root = join(__dirname, '..');
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'build.js')], { stdio: 'pipe' });
  }, 60_000);

  const node = (...args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

  it('loads with require() through the exports map', () => {
    const probe =
      'typeof m.GatehouseAuthModule.forRoot + " " + typeof m.Public + " " + m.IS_PUBLIC_KEY + " " + m.ROLES_KEY' +
      ' + " " + typeof m.RequirePermissions + " " + m.PERMISSIONS_KEY';
    expect(node('-e', `const m = require('@gatehouse/nest'); console.log(${probe})`)).toBe(
      'function function isPublic roles function permissions',
    );
  });

  it('ships type declarations and no specs', () => {
    const listing = node('-e', "console.log(require('fs').readdirSync('dist/cjs').join(' '))");
    expect(listing).not.toMatch(/\.spec\.|spec-support/);
    const types = node('-e', "console.log(require('fs').readFileSync('dist/types/index.d.ts', 'utf8'))");
    expect(types).toContain("export { GatehouseAuthModule } from './gatehouse-auth.module';");
  });
});
