/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser and use its globals)
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Secret, TOTP } from 'otpauth';
import { type Browser, type Page, chromium } from 'playwright-core';
import { buildDemo, serveDemo } from '../examples/spa/serve';
import { adminToken, basic, createUser } from './support/auth-helpers';
import { CHROMIUM_ARGS, chromiumPath } from './support/browser';
import { freePort } from './support/oidc';
import { ReceivedMail, TestSmtp, startSmtp } from './support/smtp';
import { TestApp, createTestApp } from './support/test-app';
import { describeBrowser } from './support/test-database';

// "Forgot password?" on the demo page in real Chromium, through a real SMTP server: the links in the
// e-mails (RESET_URL, EMAIL_VERIFY_URL) open the page, which sets the new password with
// @gatehouse/client; then the page signs in with it. The server side of reset and verification runs on
// SQLite and PostgreSQL in recovery.e2e-spec.ts; the browser side does not depend on the database.
const executablePath = chromiumPath();

type User = { id: string; username: string; password: string };

describeBrowser('Password reset and e-mail verification on the demo page in Chromium', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let demo: Server;
  let browser: Browser;
  let pageOrigin: string;
  let pageUrl: string;
  let admin: string;

  beforeAll(async () => {
    await buildDemo();
    smtp = await startSmtp();
    demo = await serveDemo(0, '127.0.0.1', 'http://localhost:*');
    pageOrigin = `http://localhost:${(demo.address() as AddressInfo).port}`;
    const apiPort = await freePort();
    const api = encodeURIComponent(`http://localhost:${apiPort}`);
    pageUrl = `${pageOrigin}/?api=${api}`;
    // As `npm run demo` sets them: the e-mails link to the page, which is served at these paths too.
    t = await createTestApp({
      CORS_ORIGINS: pageOrigin,
      PORT: String(apiPort),
      SMTP_URL: smtp.url,
      MAIL_RETRY_DELAY_MS: '100',
      RESET_URL: `${pageOrigin}/reset-password?api=${api}`,
      EMAIL_VERIFY_URL: `${pageOrigin}/verify-email?api=${api}`,
      PASSWORD_RESET_IP_RATE_LIMIT: '10000',
    });
    await t.app.listen(apiPort, '127.0.0.1');
    admin = await adminToken(t);
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.stop();
    await new Promise((resolve) => demo?.close(resolve));
  });

  let serial = 0;
  const address = () => `reader${++serial}-${Date.now()}@example.org`;

  /** The link in an e-mail (the first URL with a token). */
  function linkIn(mail: ReceivedMail): string {
    const match = /https?:\/\/\S+[?&]token=[A-Za-z0-9_-]+/.exec(mail.text);
    if (!match) throw new Error(`no link in: ${mail.text}`);
    return match[0];
  }

  async function openTab(): Promise<{ page: Page; errors: string[] }> {
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('dialog', (dialog) => errors.push(`dialog: ${dialog.message()}`));
    return { page, errors };
  }

  /** Gives the user an address; the admin marks it verified (the other test verifies through the link). */
  async function setAddress(user: User, verified: boolean): Promise<string> {
    const email = address();
    const res = await t
      .http()
      .patch(`/api/v1/users/${user.id}`)
      .set('Authorization', `Bearer ${admin}`)
      .send({ email, ...(verified ? { emailVerified: true } : {}) });
    expect(res.status).toBe(200);
    expect(res.body.emailVerified).toBe(verified);
    return email;
  }

  const passwordLogin = (username: string, password: string) =>
    t.http().post('/authenticate/login').set('Authorization', basic(username, password)).set('X-Requested-With', 'XMLHttpRequest');

  /** "Forgot password?" on the sign-in form: the page's answer and the e-mail it leads to. */
  async function askForLink(page: Page, name: string, email: string): Promise<string> {
    const since = smtp.messages.length;
    await page.goto(pageUrl);
    await page.waitForSelector('#login:not([hidden])');
    await page.click('#forgot-link');
    await page.waitForSelector('#forgot:not([hidden])');
    await page.fill('#forgot-name', name);
    const answer = page.waitForResponse((r) => r.url().includes('/authenticate/password/forgot'));
    await page.click('#forgot-submit');
    expect((await answer).status()).toBe(202);
    await page.waitForSelector('#forgot-sent:not([hidden])');
    expect(await page.textContent('#forgot-sent')).toMatch(/^If an account matches and has a verified e-mail address/);
    return linkIn(await smtp.waitFor(email, { since, subject: /reset/i }));
  }

  /** Opens a reset link: the page shows its form and takes the token out of the address bar. */
  async function openResetLink(page: Page, link: string): Promise<void> {
    await page.goto(link);
    await page.waitForSelector('#reset:not([hidden])');
    expect(page.url()).not.toContain('token=');
    expect(await page.isVisible('#login')).toBe(false);
  }

  async function submitNewPassword(page: Page, password: string): Promise<number> {
    await page.fill('#new-password', password);
    await page.fill('#new-password-again', password);
    const answer = page.waitForResponse((r) => r.url().includes('/authenticate/password/reset'));
    await page.click('#reset-submit');
    return (await answer).status();
  }

  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('#sign-in');
  }

  it('verifies the address from its link, then resets a forgotten password on the page and signs in with the new one', async () => {
    const user = await createUser(t);
    const { page, errors } = await openTab();

    // The verification link the address is sent opens the page, which confirms it.
    let since = smtp.messages.length;
    const email = await setAddress(user, false);
    const verifyLink = linkIn(await smtp.waitFor(email, { since, subject: /confirm/i }));
    expect(verifyLink.startsWith(`${pageOrigin}/verify-email?api=`)).toBe(true);
    const verified = page.waitForResponse((r) => r.url().includes('/authenticate/email/verify'));
    await page.goto(verifyLink);
    expect((await verified).status()).toBe(204);
    await page.waitForSelector('#notice:not([hidden])');
    expect(await page.textContent('#notice')).toBe('Your e-mail address is verified.');
    expect(page.url()).not.toContain('token=');
    const view = await t.http().get(`/api/v1/users/${user.id}`).set('Authorization', `Bearer ${admin}`);
    expect(view.body.emailVerified).toBe(true);

    // Forgot password, by username; the mail links to the page's reset path.
    const resetLink = await askForLink(page, user.username, email);
    expect(resetLink.startsWith(`${pageOrigin}/reset-password?api=`)).toBe(true);

    // A link with an altered token is refused; the page says so and offers a new link; nothing changes.
    const token = new URL(resetLink).searchParams.get('token')!;
    const altered = resetLink.replace(token, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`);
    await openResetLink(page, altered);
    expect(await submitNewPassword(page, 'a-brand-new-password-1')).toBe(400);
    await page.waitForSelector('#reset-error:not([hidden])');
    expect(await page.textContent('#reset-error')).toMatch(/invalid, expired or already used/);
    expect(await page.isVisible('#reset-new-link')).toBe(true);
    expect((await passwordLogin(user.username, user.password)).status).toBe(200);

    // The password the policy refuses is explained, and the link still works afterwards.
    await openResetLink(page, resetLink);
    expect(await submitNewPassword(page, 'too-short')).toBe(400);
    await page.waitForSelector('#reset-error:not([hidden])');
    expect(await page.isVisible('#reset-new-link')).toBe(false);

    // The real link: the new password is set, the page returns to sign-in and says so.
    const newPassword = `new-${user.password}`;
    expect(await submitNewPassword(page, newPassword)).toBe(204);
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.textContent('#notice')).toMatch(/^Your password has been changed/);
    expect(await page.isVisible('#reset')).toBe(false);

    // Signing in on the page with the new password; the old one is refused.
    await signIn(page, user.username, newPassword);
    await page.waitForSelector('#session:not([hidden])');
    expect(await page.textContent('#who')).toBe(user.username);
    expect((await passwordLogin(user.username, user.password)).status).toBe(401);

    // The link works once.
    await openResetLink(page, resetLink);
    expect(await submitNewPassword(page, `again-${newPassword}`)).toBe(400);
    await page.waitForSelector('#reset-error:not([hidden])');
    expect(await page.isVisible('#reset-new-link')).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('asks for the second factor of an account that has one, and signs in with the new password and a recovery code', async () => {
    const user = await createUser(t);
    const email = await setAddress(user, true);
    const { body: tokens } = await passwordLogin(user.username, user.password);
    const auth = { Authorization: `Bearer ${tokens.token.access_token as string}` };
    const started = await t.http().post('/api/v1/users/me/mfa/totp').set(auth);
    const totp = new TOTP({ secret: Secret.fromBase32(started.body.secret as string), algorithm: 'SHA1', digits: 6, period: 30 });
    const confirmed = await t.http().post('/api/v1/users/me/mfa/totp/confirm').set(auth).send({ code: totp.generate() });
    expect(confirmed.status).toBe(200);
    const [recoveryCode] = confirmed.body.recoveryCodes as string[];

    const { page, errors } = await openTab();
    // By address this time.
    const link = await askForLink(page, email, email);
    await openResetLink(page, link);
    const newPassword = `reset-${user.password}`;

    // The link alone is not enough: the page asks for a code.
    expect(await submitNewPassword(page, newPassword)).toBe(401);
    await page.waitForSelector('#reset-factor:not([hidden])');
    expect(await page.textContent('#reset-factor-hint')).toBe(
      'Your account has a second factor: enter a code from your authenticator app or a recovery code.',
    );
    // A wrong code is refused; the link keeps working.
    const code = (steps: number) => totp.generate({ timestamp: Date.now() + steps * 30_000 });
    await page.fill('#reset-code', code(5));
    expect(await submitNewPassword(page, newPassword)).toBe(401);
    await page.waitForSelector('#reset-error:not([hidden])');
    expect(await page.textContent('#reset-error')).toMatch(/^The code is not valid/);
    // The next time step (the current one was spent confirming TOTP; the server accepts one step either side).
    await page.fill('#reset-code', code(1));
    expect(await submitNewPassword(page, newPassword)).toBe(204);
    await page.waitForSelector('#login:not([hidden])');

    // Sign in: the new password, then the second factor (a recovery code; the TOTP step is spent).
    await signIn(page, user.username, newPassword);
    await page.waitForSelector('#mfa:not([hidden])');
    await page.fill('#mfa-code', recoveryCode);
    await page.click('#mfa-submit');
    await page.waitForSelector('#session:not([hidden])');
    expect(await page.textContent('#who')).toBe(user.username);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
