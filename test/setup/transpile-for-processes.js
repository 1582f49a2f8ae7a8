// Jest global setup: transpiles src/ once per test run into .test-dist/, for the suites that start
// Gatehouse (or its CLI) as a separate process. Each process used to load the sources through
// ts-node, transpiling some 225 files at every start (about 10 s of CPU on the CI machine, against 2 s
// for the transpiled files); the CLI and multi-instance suites start dozens of processes.
// The transpilation is the one ts-node's transpile-only mode does (TypeScript's transpileModule with
// the project's compiler options, file by file), so the processes run the same code as before; it
// takes about 10 s on a busy CI machine and runs every time, so the output is never stale.
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, cpSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');
const ts = require('typescript');

const ROOT = join(__dirname, '..', '..');
const OUT = join(ROOT, '.test-dist');

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * The paths under src/ of nest-cli.json's assets: a file, or a directory given as `dir/**\/*`. Any
 * other pattern is refused rather than silently skipped (this copy would no longer match the build's).
 */
function assets() {
  const nestCli = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8'));
  return (nestCli.compilerOptions.assets ?? []).map((asset) => {
    const include = typeof asset === 'string' ? asset : asset.include;
    const path = include.replace(/\/\*\*\/\*$/, '');
    if (/[*?[\]{}]/.test(path)) throw new Error(`transpile-for-processes: cannot copy the nest-cli.json asset "${include}"`);
    return path;
  });
}

module.exports = function transpileForProcesses() {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  const compilerOptions = { ...config.options, sourceMap: false, inlineSourceMap: true, inlineSources: false, declaration: false };
  // Written beside the old output, then swapped in whole: a process never sees half a build.
  const next = `${OUT}.${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  for (const file of sources(join(ROOT, 'src'))) {
    const target = join(next, relative(ROOT, file)).replace(/\.ts$/, '.js');
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file });
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  // The files `nest build` copies beside the code, read from nest-cli.json "assets" so the two lists
  // cannot drift apart.
  for (const asset of assets()) cpSync(join(ROOT, 'src', asset), join(next, 'src', asset), { recursive: true });
  rmSync(OUT, { recursive: true, force: true });
  renameSync(next, OUT);
};
