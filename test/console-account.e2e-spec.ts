/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser and use its globals)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import jsQR from 'jsqr';
import { Secret, TOTP, URI } from 'otpauth';
import { PNG } from 'pngjs';
import { adminToken, basic, createUser, login } from './support/auth-helpers';
import {
  type ConsoleTab,
  CONSOLE_FILES,
  ConsoleServer,
  axeCheck,
  buildConsole,
  checkPage,
  launchChromium,
  openConsole,
  openTab,
  signIn,
  startConsoleServer,
} from './support/console';
import { TestProvider, rsaKey, startOidcProvider } from './support/oidc';
import { IsNull } from 'typeorm';
import { Session as SessionEntity } from '../src/sessions/entities/session.entity';
import { createTestApp } from './support/test-app';
import { describeBrowser } from './support/test-database';

// The web console's sign-in and My account pages in real Chromium, against Gatehouse serving the
// built bundle at /console/ (docs/console.md). The database does not matter to the browser side,
// so this runs once, in the SQLite project.
describeBrowser('Web console: sign-in and My account in Chromium', () => {
  let server: ConsoleServer;
  let browser: Browser;
  let provider: TestProvider;
  let configDir: string;

  beforeAll(async () => {
    // An OpenID Provider for "Sign in with test", and e-mail written to the log (MAIL_DEV_LOG) so
    // "Forgot password?" is on.
    provider = await startOidcProvider([await rsaKey('rsa-1')]);
    configDir = mkdtempSync(join(tmpdir(), 'gatehouse-console-oidc-'));
    const config = join(configDir, 'oidc.json');
    const { issuer, clientId, clientSecret } = provider;
    const test = { issuer, clientId, clientSecret, scopes: 'openid profile email roles', claims: { roles: 'realm_access.roles' } };
    writeFileSync(config, JSON.stringify({ providers: { test } }));
    server = await startConsoleServer((origin) => ({
      OIDC_CONFIG: config,
      OIDC_POST_LOGIN_REDIRECTS: `${origin}/console/`,
      MAIL_DEV_LOG: 'true',
      // Users with this role must use a second factor (the federated user "ken" below holds it).
      MFA_REQUIRED_ROLES: 'SECURED',
    }));
    const created = await server.t
      .http()
      .post('/api/v1/roles')
      .auth(await adminToken(server.t), { type: 'bearer' })
      .send({ name: 'SECURED' });
    expect(created.status).toBe(201);
    await provider.setRedirectUris([`${server.origin}/authenticate/oidc/test/callback`]);
    await provider.setAccounts({
      grace: { preferred_username: 'grace.hopper', given_name: 'Grace', realm_access: { roles: ['USER'] } },
      ken: { preferred_username: 'ken.thompson', given_name: 'Ken', realm_access: { roles: ['USER', 'SECURED'] } },
    });
    browser = await launchChromium();
  }, 60_000);
  let closed = false;
  afterAll(async () => {
    await provider?.stop();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
    if (closed) return; // the last test closed both
    await browser?.close();
    await server?.t.close();
  });

  it('is served at /console/ with a strict CSP, X-Frame-Options DENY and the API’s security headers', async () => {
    const redirect = await fetch(`${server.origin}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/console/');
    // Bodies are read to the end, so no connection stays busy and the server can close.
    await redirect.arrayBuffer();
    const api = await fetch(`${server.origin}/health/live`);
    await api.arrayBuffer();
    for (const path of ['/console/', '/console/app.js', '/console/app.css']) {
      const response = await fetch(`${server.origin}${path}`);
      await response.arrayBuffer();
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      // The API's other security headers (helmet's), the same values.
      for (const name of ['strict-transport-security', 'x-content-type-options', 'referrer-policy', 'cross-origin-opener-policy']) {
        expect([path, name, response.headers.get(name)]).toEqual([path, name, api.headers.get(name)]);
        expect(response.headers.get(name)).toBeTruthy();
      }
    }
  });

  it('keeps all its assets within 150 KB gzip', async () => {
    const dist = await buildConsole();
    const sizes = CONSOLE_FILES.map((file) => ({ file, gzip: gzipSync(readFileSync(join(dist, file)), { level: 9 }).length }));
    const total = sizes.reduce((sum, s) => sum + s.gzip, 0);
    console.log(
      `console assets, gzip: ${sizes.map((s) => `${s.file} ${(s.gzip / 1024).toFixed(1)} KB`).join(', ')}; total ${(total / 1024).toFixed(1)} KB`,
    );
    expect(total).toBeLessThanOrEqual(150 * 1024);
  });

  it('shows the sign-in page first, walks it with the keyboard alone, and says what was wrong in words', async () => {
    const user = await createUser(server.t);
    // Reported, not asserted (timings vary with the machine): the page's own clock from navigation
    // start to the sign-in heading, in a new browser context each time (nothing cached). The first
    // load after the server started pays for its cold code paths; the second is a new visitor's.
    const shown = async (tab: ConsoleTab) => {
      await openConsole(tab.page, server.url);
      return Math.round(await tab.page.evaluate(() => performance.now()));
    };
    const cold = await openTab(browser);
    const coldMs = await shown(cold);
    await cold.context.close();
    const tab = await openTab(browser);
    const { page, problems, context } = tab;
    const warmMs = await shown(tab);
    console.log(
      `console first page (sign-in) shown ${warmMs} ms after navigation start (first load after the server started: ${coldMs} ms; loopback)`,
    );
    await page.getByRole('link', { name: 'Sign in with test' }).waitFor();
    await checkPage(page, 'sign-in', { docs: true });

    // Tab order from the top of the page: the form, then the other ways in.
    const focused = () =>
      page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        const label = element?.id ? document.querySelector(`label[for="${element.id}"]`)?.textContent : undefined;
        return (label ?? element?.textContent ?? '').trim();
      });
    const order: string[] = [];
    for (let i = 0; i < 7; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    expect(order).toEqual([
      'Username',
      'Password',
      'Show password',
      'Sign in',
      'Forgot password?',
      'Sign in with a passkey',
      'Sign in with test',
    ]);

    // Typing and Enter only: a wrong password first (the server's message, on the page), then the right one.
    for (let i = 0; i < 6; i++) await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('Username');
    await page.keyboard.type(user.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type('not-the-password');
    await page.keyboard.press('Enter');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/invalid|wrong|incorrect/i);
    await page.getByLabel('Password', { exact: true }).focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('heading').allTextContents()).toEqual(['My account']);
    await checkPage(page, 'account-profile', { docs: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('offers "Forgot password?" and the reset page, with errors in words', async () => {
    const user = await createUser(server.t);
    const { page, problems, context } = await openTab(browser);
    await openConsole(page, server.url);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { name: 'Forgot password' }).waitFor();
    await checkPage(page, 'forgot-password', { docs: true });
    await page.getByLabel('Username or e-mail address').fill(user.username);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByText('If an account matches', { exact: false }).waitFor();
    // A reset link's page (RESET_URL=…/console/#/reset-password): a bad token is refused in words.
    await openConsole(page, server.url, '#/reset-password?token=not-a-real-token');
    const newPassword = page.getByLabel('New password', { exact: true });
    await newPassword.fill('a-new-long-password');
    // The token is read once and leaves the address bar (and so the history).
    expect(page.url()).toBe(`${server.url}#/reset-password`);
    // Show/Hide lets the user check what they typed; sending the form hides it again.
    const reveal = page.getByRole('button', { name: 'Show new password' });
    expect(await reveal.getAttribute('aria-pressed')).toBe('false');
    await reveal.click();
    expect(await newPassword.getAttribute('type')).toBe('text');
    expect(await page.getByRole('button', { name: 'Hide new password' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('alert').waitFor();
    expect(await newPassword.getAttribute('type')).toBe('password');
    expect(await page.getByRole('alert').textContent()).toMatch(/link/i);
    await checkPage(page, 'reset-password', { docs: true });
    // Opened again without its token (a reload): says what is wrong, offers a new link.
    await page.reload();
    await page.getByRole('link', { name: 'Ask for a new link' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/whole link/i);
    // An e-mail verification link that is not valid: refused in words.
    await openConsole(page, server.url, '#/verify-email?token=not-a-real-token');
    await page.getByRole('alert').waitFor();
    expect(page.url()).toBe(`${server.url}#/verify-email`);
    expect(await page.getByRole('alert').textContent()).toMatch(/link|token/i);
    await checkPage(page, 'verify-email', { docs: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('follows the other tabs: a sign-out there signs this tab out at once, a sign-in there resumes it, another user replaces the view', async () => {
    const [alice, bob] = [await createUser(server.t), await createUser(server.t)];
    const { page, problems, context } = await openTab(browser);
    await openConsole(page, server.url);
    await signIn(page, alice.username, alice.password);
    const other = await context.newPage(); // the same browser profile: the same cookie, another tab
    await openConsole(other, server.url, '#/account/sessions');
    await other.getByText(`Signed in as ${alice.username}`).waitFor();

    // Signed out there: this tab shows sign-in without making a call of its own.
    await other.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('Your session has ended').count()).toBe(1);

    // Signed in there (as someone else): this tab follows, with that user's account.
    await signIn(other, bob.username, bob.password);
    await page.getByText(`Signed in as ${bob.username}`).waitFor();

    // A tab that missed the sign-out (a frozen background tab) still showing Bob's pages, with a
    // half-edited form, when Alice's token arrives: the page starts afresh as Alice, says so, and
    // keeps nothing of Bob's form.
    await page.getByLabel('First name').fill('Typed for Bob');
    const aliceToken = (await login(server.t, alice.username, alice.password)).access_token;
    await other.evaluate(
      ([origin, accessToken]) => {
        const channel = new BroadcastChannel(`gatehouse:${origin}`);
        channel.postMessage({ type: 'renewed', accessToken });
        channel.close();
      },
      [server.origin, aliceToken],
    );
    await page.getByText(`Signed in as ${alice.username}`).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'another user in another tab' }).count()).toBe(1);
    expect(await page.getByLabel('First name').inputValue()).toBe('');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('offers to sign in again when a change needs a recent sign-in, then comes back to the page and the change goes through', async () => {
    const user = await createUser(server.t);
    const { page, problems, context } = await openTab(browser);
    await openConsole(page, server.url);
    await signIn(page, user.username, user.password);
    // The sign-in is made ten minutes old where the server keeps it (auth_time is the session's
    // start); the reload's refresh then carries that time, as after a long pause.
    await server.t
      .dataSource()
      .getRepository(SessionEntity)
      .update({ userId: user.id }, { createdAt: new Date(Date.now() - 10 * 60_000) });
    await page.reload();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    const address = `${user.username}@example.org`;
    await page.getByLabel('E-mail address').fill(address);
    await page.getByRole('button', { name: 'Save profile' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/within the last 300 seconds.*Sign in again to confirm it is you/);
    await alert.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByText('Sign in again to confirm it is you.').waitFor();
    await signIn(page, user.username, user.password);
    // Back on the same page, and the change is accepted now.
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    await page.getByLabel('E-mail address').fill(address);
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Profile saved.').waitFor();
    // The old session ended when the new one began: one live session, not two.
    const live = await server.t
      .dataSource()
      .getRepository(SessionEntity)
      .count({ where: { userId: user.id, revokedAt: IsNull() } });
    expect(live).toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  /** "Sign in with test", then the provider's own login and consent pages (oidc-provider's development interactions). */
  async function providerSignIn(page: Page, account: string): Promise<void> {
    await page.getByRole('link', { name: 'Sign in with test' }).click();
    await page.waitForSelector('input[name="login"]');
    await page.fill('input[name="login"]', account);
    await page.fill('input[name="password"]', 'any password');
    await page.click('button[type="submit"]');
    await page.waitForSelector('button[type="submit"]');
    await page.click('button[type="submit"]');
  }

  it('signs in through an OpenID Connect provider and comes back to the console signed in', async () => {
    const { page, problems, context } = await openTab(browser);
    await openConsole(page, server.url);
    await providerSignIn(page, 'grace');
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    expect(page.url()).toBe(`${server.url}#/account`); // the one-time code left the address bar
    expect(await page.getByText('Signed in as grace.hopper').count()).toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('has a federated user whose role requires a second factor enrol one first, then asks for it after the provider', async () => {
    // First login: no factor yet, so the session may only enrol one; the console shows that page alone.
    const first = await openTab(browser);
    await openConsole(first.page, server.url);
    await providerSignIn(first.page, 'ken');
    await first.page.getByRole('heading', { name: 'Sign-in security' }).waitFor();
    const nav = first.page.getByRole('navigation', { name: 'Console' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Sign-in security']);
    expect(await first.page.getByRole('alert').first().textContent()).toMatch(/requires a second factor/);
    await first.page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await first.page.locator('#totp-secret').textContent())!.trim();
    await first.page.getByLabel('Code from the app').fill(new TOTP({ secret: Secret.fromBase32(secret) }).generate());
    await first.page.getByRole('button', { name: 'Turn on' }).click();
    // allTextContents() does not wait: the list is read once the confirmation has rendered it.
    await first.page.getByText('The authenticator app is set up.', { exact: false }).waitFor();
    const codes = await first.page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allTextContents();
    expect(codes).toHaveLength(10);
    // This session may only enrol: what would change the factor now enrolled is not offered (the API refuses it).
    expect(await first.page.getByRole('button', { name: 'Turn off the authenticator app' }).count()).toBe(0);
    expect(await first.page.getByRole('button', { name: 'Make new recovery codes' }).count()).toBe(0);
    await checkPage(first.page, 'account-mfa-enrolment-required', { docs: true });
    expect(first.problems).toEqual([]);
    await first.context.close();

    // Next time the provider sends the browser back with #mfa_token=…: the console asks for the factor.
    const second = await openTab(browser);
    await openConsole(second.page, server.url);
    await providerSignIn(second.page, 'ken');
    await second.page.getByRole('heading', { name: 'Second factor' }).waitFor();
    expect(second.page.url()).not.toContain('mfa_token');
    await second.page.getByLabel('Use a recovery code').check();
    await second.page.getByLabel('Recovery code', { exact: true }).fill(codes[0]);
    await second.page.getByRole('button', { name: 'Verify' }).click();
    await second.page.getByRole('heading', { name: 'Profile' }).waitFor();
    expect(await second.page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual([
      'Profile',
      'Sign-in security',
      'Sessions',
      'Access tokens',
    ]);
    expect(await second.page.getByText('Signed in as ken.thompson').count()).toBe(1);
    expect(second.problems).toEqual([]);
    await second.context.close();
  });

  /** A role with one application permission (no administration permission), for the journey's user. */
  async function reporterRole(): Promise<string> {
    const token = await adminToken(server.t);
    const created = await server.t.http().post('/api/v1/roles').auth(token, { type: 'bearer' }).send({ name: 'REPORTER' });
    expect(created.status).toBe(201);
    const set = await server.t
      .http()
      .put(`/api/v1/roles/${created.body.id}/permissions`)
      .auth(token, { type: 'bearer' })
      .send({ permissions: ['reports:read'] });
    expect(set.status).toBe(200);
    return 'REPORTER';
  }

  /** GET /authenticate/me from the test (not the browser) with a bearer token: the status and body. */
  async function meWith(token: string): Promise<{ status: number; body: { username?: string; permissions?: string[] } }> {
    const response = await fetch(`${server.origin}/authenticate/me`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as { username?: string; permissions?: string[] } };
  }

  it('takes a user with no admin permission through My account: password, sessions, TOTP from the QR secret, a passkey, a token, sign-out and passkey sign-in', async () => {
    const user = await createUser(server.t, { roles: ['USER', await reporterRole()] });
    const { page, problems, context } = await openTab(browser, { authenticator: true });
    await openConsole(page, server.url);
    await signIn(page, user.username, user.password);

    // Only My account: no administration page for a user without an administration permission.
    const nav = page.getByRole('navigation', { name: 'Console' });
    // A menu link, then its page's heading: the next step must not act on the page being left.
    const goTo = async (name: string) => {
      await nav.getByRole('link', { name }).click();
      await page.getByRole('heading', { name, level: 1 }).waitFor();
    };
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Profile', 'Sign-in security', 'Sessions', 'Access tokens']);
    expect(await nav.getByRole('heading').allTextContents()).toEqual(['My account']);

    // The session resumes on reload (the HttpOnly refresh cookie; nothing in storage).
    await page.reload();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie])).toEqual([0, 0, '']);

    // Profile: names and an e-mail address (the badge is the server's answer read again), unverified
    // until its link is followed; the link can be sent again.
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('E-mail address').fill(`${user.username}@example.org`);
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Profile saved.').waitFor();
    await page.getByText('Not verified').waitFor();
    expect(await page.getByLabel('First name').inputValue()).toBe('Ada');
    await page.getByRole('button', { name: 'Send the verification link again' }).click();
    await page.getByText(`A verification link is on its way to ${user.username}@example.org.`).waitFor();

    // Password: a wrong current password is refused in words; the right one changes it.
    const newPassword = `${user.password}-new`;
    await page.getByLabel('Current password').fill('not-the-password');
    await page.getByLabel('New password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /password/i })
      .waitFor();
    await page.getByLabel('Current password').fill(user.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    expect((await server.t.http().post('/authenticate/login').set('Authorization', basic(user.username, newPassword))).status).toBe(200);
    expect((await server.t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password))).status).toBe(401);

    // Sessions: the login just made from the test shows beside this one; end it (after confirming).
    await goTo('Sessions');
    await page.getByText('This session').waitFor();
    await page
      .getByRole('button', { name: /^End session of/ })
      .first()
      .waitFor();
    await checkPage(page, 'account-sessions', { docs: true });
    const others = await page.getByRole('button', { name: /^End session of/ }).count();
    expect(others).toBeGreaterThanOrEqual(1);
    await page
      .getByRole('button', { name: /^End session of/ })
      .first()
      .click();
    const dialog = page.getByRole('dialog', { name: 'End this session?' });
    await dialog.waitFor();
    expect(await axeCheck(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'End session' }).click();
    await page.getByText('Session ended.').waitFor();
    expect(await page.getByRole('button', { name: /^End session of/ }).count()).toBe(others - 1);
    // A long list pages: eleven more sign-ins make two pages of sessions (ten rows a page).
    for (let i = 0; i < 11; i++)
      expect((await server.t.http().post('/authenticate/login').set('Authorization', basic(user.username, newPassword))).status).toBe(200);
    await goTo('Profile');
    await goTo('Sessions');
    const pager = page.getByRole('navigation', { name: 'Pages of your active sessions' });
    await pager.getByText('Page 1 of 2').waitFor();
    expect(await page.getByRole('row').count()).toBe(1 + 10);
    await pager.getByRole('button', { name: 'Next' }).click();
    await pager.getByText('Page 2 of 2').waitFor();
    expect(await page.getByRole('row').count()).toBeGreaterThan(1);

    // TOTP: the QR code, read from the pixels the browser drew as a phone's camera would; the app
    // it configures must agree with the key shown for typing by hand, and its code turns TOTP on.
    await goTo('Sign-in security');
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const qr = page.getByRole('img', { name: 'QR code of your authenticator app key' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    const png = PNG.sync.read(await qr.screenshot());
    const scanned = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(scanned?.data).toMatch(/^otpauth:\/\/totp\//);
    const totp = URI.parse(scanned!.data);
    expect(totp).toBeInstanceOf(TOTP);
    expect(totp.label).toBe(user.username);
    const secret = (await page.locator('#totp-secret').textContent())!.trim();
    expect(totp.secret.base32).toBe(Secret.fromBase32(secret.replace(/\s/g, '')).base32);
    await checkPage(page, 'account-totp-enrolment', { docs: true });
    await page.getByLabel('Code from the app').fill(totp.generate());
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('The authenticator app is set up.', { exact: false }).waitFor();
    const codes = await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allTextContents();
    expect(codes).toHaveLength(10);
    await checkPage(page, 'account-recovery-codes', { docs: true });
    await page.getByRole('button', { name: 'I have stored them' }).click();

    // A passkey from Chrome's virtual authenticator; renamed.
    await page.getByLabel('Name of the new passkey').fill('Virtual laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Passkey “Virtual laptop” added.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Rename Virtual laptop' }).click();
    await page.getByLabel('New name').fill('Laptop');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Passkey renamed.').waitFor();
    await page.getByRole('cell', { name: 'Laptop', exact: true }).waitFor();
    await checkPage(page, 'account-security', { docs: true });

    // A personal access token with one permission: shown once, works from outside, then revoked.
    await goTo('Access tokens');
    await page.getByLabel('Name').fill('nightly report');
    await page.getByLabel('reports:read').check();
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.locator('#new-token');
    await shown.waitFor();
    const pat = (await shown.textContent())!.trim();
    expect(pat).toMatch(/^gth_/);
    await page.getByRole('button', { name: 'Copy token' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(pat);
    await checkPage(page, 'account-tokens', { docs: true });
    expect(await meWith(pat)).toMatchObject({ status: 200, body: { username: user.username, permissions: ['reports:read'] } });
    // The confirmation is a modal dialog: Cancel has the focus, Escape cancels, focus returns to the button.
    await page.getByRole('button', { name: 'Revoke nightly report' }).click();
    const confirmRevoke = page.getByRole('dialog', { name: 'Revoke “nightly report”?' });
    await confirmRevoke.waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Escape');
    await confirmRevoke.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Revoke nightly report');
    expect((await meWith(pat)).status).toBe(200);
    await page.getByRole('button', { name: 'Revoke nightly report' }).click();
    await page.getByRole('dialog', { name: 'Revoke “nightly report”?' }).getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('Token “nightly report” revoked.').waitFor();
    expect(await page.locator('#new-token').count()).toBe(0);
    expect((await meWith(pat)).status).toBe(401);

    // Sign out ends the session: a reload shows the sign-in page again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    // The password alone now leads to the second-factor step (app code, recovery code or passkey).
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(newPassword);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Second factor' }).waitFor();
    await checkPage(page, 'sign-in-second-factor', { docs: true });
    await page.getByRole('button', { name: 'Start over' }).click();

    // And back in with the passkey alone.
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    expect(await page.getByText(`Signed in as ${user.username}`).count()).toBe(1);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  // Last: it stops the browser and the server above, then starts one without the console.
  it('answers 404 at /console with CONSOLE=false', async () => {
    closed = true;
    await browser.close();
    await server.t.close();
    const off = await createTestApp({ CONSOLE: 'false' });
    try {
      for (const path of ['/console', '/console/', '/console/app.js']) {
        expect([path, (await off.http().get(path)).status]).toEqual([path, 404]);
      }
      expect((await off.http().get('/health/live')).status).toBe(200);
    } finally {
      await off.close();
    }
  });
});
