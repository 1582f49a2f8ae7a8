// Builds dist/esm (import), dist/cjs (require) and dist/types with the TypeScript compiler alone:
// the library is one module with no dependencies, so no bundler is needed.
const { execFileSync } = require('node:child_process');
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const tsc = require.resolve('typescript/bin/tsc');
const here = __dirname;
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
const run = (...args) => execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json'), ...args], { stdio: 'inherit' });
run('--module', 'ES2020', '--outDir', join(dist, 'esm'));
run('--module', 'commonjs', '--outDir', join(dist, 'cjs'));
run('--declaration', '--emitDeclarationOnly', '--outDir', join(dist, 'types'));
// Each folder says which module system its .js files use, whatever the consumer's package says.
mkdirSync(join(dist, 'esm'), { recursive: true });
writeFileSync(join(dist, 'esm', 'package.json'), '{ "type": "module" }\n');
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
