// Builds the web console into dist/console/ (served at /console/ by src/console): index.html,
// app.js (the bundle: Preact, htm, @gatehouse/client and the pages, minified) and app.css.
// Run by `npm run build`, before `npm start` (prestart) and by the console browser tests.
const { build } = require('esbuild');
const { copyFileSync, mkdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const here = __dirname;
const out = join(here, '..', 'dist', 'console');

async function buildConsole() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: { app: join(here, 'src', 'main.ts'), 'app-style': join(here, 'src', 'app.css') },
    outdir: out,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020'],
    platform: 'browser',
    legalComments: 'none',
    sourcemap: false,
    alias: { '@gatehouse/client': join(here, '..', 'client', 'src', 'index.ts') },
    logLevel: 'warning',
  });
  // esbuild names the stylesheet after its entry point.
  const { renameSync } = require('node:fs');
  renameSync(join(out, 'app-style.css'), join(out, 'app.css'));
  copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
  return out;
}

module.exports = { buildConsole };

if (require.main === module) {
  buildConsole().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
