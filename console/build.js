// Builds the web console into dist/console/ (served at /console/ by src/console): index.html,
// app.js (the bundle: Preact, htm, @gatehouse/client and the pages, minified) and app.css.
// Run by `npm run build` (which `npm start` runs first) and by the console browser tests.
const { build } = require('esbuild');
const { copyFileSync, mkdirSync, renameSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const here = __dirname;
const out = join(here, '..', 'dist', 'console');

/**
 * Builds into a directory of its own, then swaps it in whole: a server serving dist/console (or a
 * test worker building it at the same moment) never sees it half-written or missing its files.
 */
async function buildConsole() {
  const staging = `${out}.${process.pid}-${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  try {
    await build({
      entryPoints: { app: join(here, 'src', 'main.ts'), 'app-style': join(here, 'src', 'app.css') },
      outdir: staging,
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
    renameSync(join(staging, 'app-style.css'), join(staging, 'app.css'));
    copyFileSync(join(here, 'index.html'), join(staging, 'index.html'));
    swapIn(staging);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return out;
}

/** Replaces dist/console with `staging` (two renames; retried when another build swapped in between). */
function swapIn(staging) {
  for (let attempt = 0; ; attempt++) {
    const old = `${out}.old-${process.pid}-${Date.now()}-${attempt}`;
    try {
      renameSync(out, old);
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    try {
      renameSync(staging, out);
      return;
    } catch (error) {
      if (!['ENOTEMPTY', 'EEXIST'].includes(error.code) || attempt >= 10) throw error;
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  }
}

module.exports = { buildConsole };

if (require.main === module) {
  buildConsole().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
