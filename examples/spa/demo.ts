/**
 * `npm run demo`: builds the sign-in page, starts Gatehouse (the production build, on SQLite in
 * ./data unless DATABASE_URL says otherwise) with CORS allowing the page, and serves the page.
 * Environment: DEMO_PORT (5173), GATEHOUSE_PORT (3000); anything else goes to Gatehouse as usual.
 * The password-reset and verification e-mails link to the page; without SMTP_URL they are not sent
 * but printed here (MAIL_DEV_LOG).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildDemo, serveDemo } from './serve';

const ROOT = join(__dirname, '..', '..');
const demoPort = Number(process.env.DEMO_PORT ?? 5173);
const apiPort = Number(process.env.GATEHOUSE_PORT ?? 3000);
const pageOrigin = `http://localhost:${demoPort}`;
const apiOrigin = `http://localhost:${apiPort}`;
// The page may be opened as localhost or as 127.0.0.1; each talks to Gatehouse on its own host.
const pageOrigins = [pageOrigin, `http://127.0.0.1:${demoPort}`];
const apiOrigins = [apiOrigin, `http://127.0.0.1:${apiPort}`];

// No mail server configured: Gatehouse writes its e-mails to the log (development only; Gatehouse
// refuses MAIL_DEV_LOG with NODE_ENV=production). It logs them at `info`, so then Gatehouse runs at
// `info` and this script shows only the e-mails and the warnings (unless LOG_LEVEL is set).
const mailToLog = !process.env.SMTP_URL && process.env.MAIL_DEV_LOG === undefined && process.env.NODE_ENV !== 'production';
const filterLog = mailToLog && process.env.LOG_LEVEL === undefined;
const PINO_WARN = 40;

/** A line of Gatehouse's log: an e-mail in full (readable), warnings and errors as they are, the rest dropped. */
function showLogLine(line: string): void {
  let entry: { level?: number; msg?: string };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    process.stdout.write(`${line}\n`);
    return;
  }
  if (entry.msg?.startsWith('MAIL_DEV_LOG')) process.stdout.write(`\n${entry.msg}\n\n`);
  else if ((entry.level ?? PINO_WARN) >= PINO_WARN) process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  await buildDemo();
  const api = encodeURIComponent(apiOrigin);
  const gatehouse = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    stdio: filterLog ? ['inherit', 'pipe', 'inherit'] : 'inherit',
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
      // Links in e-mails open the page, which serves itself at these paths too.
      RESET_URL: process.env.RESET_URL ?? `${pageOrigin}/reset-password?api=${api}`,
      EMAIL_VERIFY_URL: process.env.EMAIL_VERIFY_URL ?? `${pageOrigin}/verify-email?api=${api}`,
      ...(mailToLog ? { MAIL_DEV_LOG: 'true' } : {}),
      LOG_LEVEL: process.env.LOG_LEVEL ?? (filterLog ? 'info' : 'warn'),
    },
  });
  if (gatehouse.stdout) createInterface({ input: gatehouse.stdout }).on('line', showLogLine);
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
      `Passkeys work on ${pageOrigin} (WEBAUTHN_ORIGINS), not on 127.0.0.1.\n` +
      `"Forgot password?" mails a link to a user's verified address${mailToLog ? ' (printed here: MAIL_DEV_LOG)' : ''}; ` +
      `give a user an address with PATCH /api/v1/users/:id {"email": …} and open the verification link it is sent.\n\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
