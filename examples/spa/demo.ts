/**
 * `npm run demo`: builds the sign-in page, starts Gatehouse (the production build, on SQLite in
 * ./data unless DATABASE_URL says otherwise) with CORS allowing the page, and serves the page.
 * Environment: DEMO_PORT (5173), GATEHOUSE_PORT (3000); anything else goes to Gatehouse as usual.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildDemo, serveDemo } from './serve';

const ROOT = join(__dirname, '..', '..');
const demoPort = Number(process.env.DEMO_PORT ?? 5173);
const apiPort = Number(process.env.GATEHOUSE_PORT ?? 3000);
const pageOrigin = `http://localhost:${demoPort}`;
const apiOrigin = `http://localhost:${apiPort}`;
// The page may be opened as localhost or as 127.0.0.1; each talks to Gatehouse on its own host.
const pageOrigins = [pageOrigin, `http://127.0.0.1:${demoPort}`];
const apiOrigins = [apiOrigin, `http://127.0.0.1:${apiPort}`];

async function main(): Promise<void> {
  await buildDemo();
  const gatehouse = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      PORT: String(apiPort),
      HOST: process.env.HOST ?? '127.0.0.1',
      CORS_ORIGINS: pageOrigins.join(','),
      // Passkeys are bound to the page's origin, not Gatehouse's. Only localhost: an IP address
      // cannot be a WebAuthn relying party id, so passkeys do not work on http://127.0.0.1.
      WEBAUTHN_ORIGINS: process.env.WEBAUTHN_ORIGINS ?? pageOrigin,
      // With OIDC providers configured, "Sign in with …" returns to the page.
      OIDC_POST_LOGIN_REDIRECTS:
        process.env.OIDC_POST_LOGIN_REDIRECTS ??
        pageOrigins.flatMap((page, i) => [`${page}/`, `${page}/?api=${encodeURIComponent(apiOrigins[i])}`]).join(','),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
  });
  gatehouse.on('exit', (code) => process.exit(code ?? 1));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => gatehouse.kill(signal));
  await serveDemo(demoPort, '127.0.0.1', apiOrigins.join(' '));
  const passwordFile = join(process.env.DATA_DIR ?? join(ROOT, 'data'), 'initial-admin-password');
  const hint = process.env.ADMIN_PASSWORD
    ? 'as admin with ADMIN_PASSWORD'
    : `as admin with the password Gatehouse wrote to ${passwordFile} at its first start`;
  process.stdout.write(
    `\nDemo: ${pageOrigin}/?api=${encodeURIComponent(apiOrigin)}  — sign in ${hint}.\n` +
      `Try ${pageOrigin}/?api=${encodeURIComponent(apiOrigin)}&validity=10&skew=3 to watch silent renewals.\n` +
      `Passkeys work on ${pageOrigin} (WEBAUTHN_ORIGINS), not on 127.0.0.1.\n\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
