import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { ADMIN } from '../support/test-app';
import { basic } from '../support/auth-helpers';
import { ServerProcess, freePort, startServerProcess } from '../support/server-process';
import { TestSmtp, startSmtp } from '../support/smtp';
import { describeOnce } from '../support/test-database';

const code = (secret: string, offsetSteps = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: Date.now() + offsetSteps * 30_000,
  });

/**
 * The real server at `info`, driven through the flows of second factors and e-mail links: its output
 * holds no TOTP secret, recovery code, mfa_token, reset or verification token, nor the SMTP password.
 */
describeOnce('Log redaction: MFA and e-mail flows', () => {
  let server: ServerProcess;
  let smtp: TestSmtp;
  let dataDir: string;
  const smtpPassword = 'smtp-password-that-must-not-be-logged';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-logs-'));
    smtp = await startSmtp();
    const port = new URL(smtp.url).port;
    server = await startServerProcess(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: `sqlite:${join(dataDir, 'gatehouse.sqlite')}`,
        ADMIN_PASSWORD: ADMIN.password,
        LOG_LEVEL: 'info',
        // Credentials in the URL: they must never reach the log.
        SMTP_URL: `smtp://mailer:${smtpPassword}@127.0.0.1:${port}?requireTLS=false`,
        MAIL_RETRY_DELAY_MS: '50',
      },
      await freePort(),
    );
  }, 90_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await smtp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs no factor secret, code, mfa_token, link token or SMTP password', async () => {
    const secrets: string[] = [smtpPassword];
    const call = async (path: string, init: { method?: string; token?: string; basic?: string; body?: unknown } = {}) => {
      const res = await fetch(`${server.url}${path}`, {
        method: init.method ?? 'POST',
        headers: {
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.basic ? { authorization: init.basic } : {}),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> };
    };
    const admin = (await call('/authenticate/login', { basic: basic(ADMIN.username, ADMIN.password) })).body.token.access_token;
    expect(
      (
        await call('/api/v1/users', {
          token: admin,
          body: { username: 'mfa-user', password: 'mfa-user-password-1', email: 'mfa-user@example.org' },
        })
      ).status,
    ).toBe(201);
    const login = (await call('/authenticate/login', { basic: basic('mfa-user', 'mfa-user-password-1') })).body.token.access_token;
    const started = (await call('/api/v1/users/me/mfa/totp', { token: login })).body;
    secrets.push(started.secret);
    const confirmed = (await call('/api/v1/users/me/mfa/totp/confirm', { token: login, body: { code: code(started.secret) } })).body;
    secrets.push(...confirmed.recoveryCodes);
    const step1 = (await call('/authenticate/login', { basic: basic('mfa-user', 'mfa-user-password-1') })).body;
    expect(step1.error).toBe('mfa_required');
    secrets.push(step1.mfa_token);
    expect(
      (await call('/authenticate/mfa', { body: { mfa_token: step1.mfa_token, recovery_code: confirmed.recoveryCodes[0] } })).status,
    ).toBe(200);
    // Mail flows.
    expect((await call('/authenticate/password/forgot', { body: { username: 'mfa-user' } })).status).toBe(202);
    expect((await call('/authenticate/password/reset', { body: { token: 'x'.repeat(43), newPassword: 'a-new-password-12' } })).status).toBe(
      400,
    );
    await new Promise((resolve) => setTimeout(resolve, 2500)); // delayed work, retries, the logger's flush
    const output = server.output();
    // The verification message went out (the flow ran end to end).
    expect(smtp.messages.some((m) => m.to === 'mfa-user@example.org')).toBe(true);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect(output).not.toContain(secret);
    }
    expect(output).not.toMatch(/token=[A-Za-z0-9_-]{20,}/);
  }, 60_000);
});
