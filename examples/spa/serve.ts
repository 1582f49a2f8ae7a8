/**
 * Builds the demo page with esbuild and serves it as static files. Shared by `npm run demo` and the
 * browser tests (test/frontend.e2e-spec.ts), so the tests drive exactly what the demo serves.
 */
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import { join } from 'node:path';

const HERE = __dirname;
const DIST = join(HERE, 'dist');

/** Bundles src/main.ts with the library's source (the same code the package ships) into dist/app.js. */
export async function buildDemo(): Promise<void> {
  await build({
    entryPoints: [join(HERE, 'src', 'main.ts')],
    outfile: join(DIST, 'app.js'),
    bundle: true,
    format: 'esm',
    target: 'es2020',
    sourcemap: true,
    alias: { '@gatehouse/client': join(HERE, '..', '..', 'client', 'src', 'index.ts') },
    logLevel: 'warning',
  });
}

const FILES: Record<string, { path: string; type: string }> = {
  '/': { path: join(HERE, 'index.html'), type: 'text/html; charset=utf-8' },
  '/index.html': { path: join(HERE, 'index.html'), type: 'text/html; charset=utf-8' },
  // The page again, where Gatehouse's e-mails link to (RESET_URL, EMAIL_VERIFY_URL).
  '/reset-password': { path: join(HERE, 'index.html'), type: 'text/html; charset=utf-8' },
  '/verify-email': { path: join(HERE, 'index.html'), type: 'text/html; charset=utf-8' },
  '/style.css': { path: join(HERE, 'style.css'), type: 'text/css; charset=utf-8' },
  '/app.js': { path: join(DIST, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/app.js.map': { path: join(DIST, 'app.js.map'), type: 'application/json' },
};

/**
 * Serves the page with a strict CSP: scripts from this origin only, and network calls only to
 * Gatehouse (`apiOrigin`), the defence in depth that keeps an injected script from sending a token elsewhere.
 */
export function serveDemo(port: number, host: string, apiOrigin: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const file = FILES[new URL(req.url ?? '/', 'http://demo').pathname];
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    try {
      const body = await readFile(file.path);
      res.writeHead(200, {
        'content-type': file.type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'content-security-policy': `default-src 'self'; connect-src 'self' ${apiOrigin}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not built yet: run npm run demo');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
