// Builds dist/cjs (require) and dist/types with the TypeScript compiler alone. CommonJS only: Nest
// applications are CommonJS, and one module system means one copy of every decorator's metadata.
const { execFileSync } = require('node:child_process');
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const tsc = require.resolve('typescript/bin/tsc');
const here = __dirname;
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
const run = (...args) => execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json'), ...args], { stdio: 'inherit' });
run('--outDir', join(dist, 'cjs'));
run('--declaration', '--emitDeclarationOnly', '--outDir', join(dist, 'types'));
// The .js files are CommonJS whatever the consumer's package.json says.
mkdirSync(join(dist, 'cjs'), { recursive: true });
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
