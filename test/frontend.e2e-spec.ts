/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser and use its globals)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { buildDemo, serveDemo } from '../examples/spa/serve';
import { adminToken } from './support/auth-helpers';
import { CHROMIUM_ARGS, chromiumPath } from './support/browser';
import { freePort, rsaKey, startOidcProvider, TestProvider } from './support/oidc';
import { ADMIN, TestApp, createTestApp } from './support/test-app';
import { describeBrowser } from './support/test-database';

// The demo page and @gatehouse/client in real Chromium, against a real Gatehouse on another origin
// (CORS, the HttpOnly refresh cookie, Web Locks, BroadcastChannel). The database does not matter
// to the browser side, so this runs once, in the SQLite project.
const executablePath = chromiumPath();

const ARTIFACTS = join(__dirname, 'artifacts');

describeBrowser('Demo page and @gatehouse/client in Chromium', () => {
  let t: TestApp;
  let demo: Server;
  let browser: Browser;
  let pageUrl: string;
  let provider: TestProvider;
  let configDir: string;

  beforeAll(async () => {
    await buildDemo();
    // The page and Gatehouse are different origins (different ports), as in most deployments.
    demo = await serveDemo(0, '127.0.0.1', 'http://localhost:*');
    const pageOrigin = `http://localhost:${(demo.address() as AddressInfo).port}`;
    const apiPort = await freePort();
    const api = `http://localhost:${apiPort}`;
    pageUrl = `${pageOrigin}/?api=${encodeURIComponent(api)}&validity=3&skew=1`;
    // An OpenID Provider too, for "Sign in with …" on the page.
    provider = await startOidcProvider([await rsaKey('rsa-1')]);
    configDir = mkdtempSync(join(tmpdir(), 'gatehouse-spa-oidc-'));
    const config = join(configDir, 'oidc.json');
    writeFileSync(
      config,
      JSON.stringify({
        providers: {
          test: {
            issuer: provider.issuer,
            clientId: provider.clientId,
            clientSecret: provider.clientSecret,
            scopes: 'openid profile email roles',
            claims: { roles: 'realm_access.roles' },
          },
        },
      }),
    );
    // No reuse grace: a double refresh by two uncoordinated tabs would end the session, so the test
    // fails unless the tabs really coordinate (Web Locks, BroadcastChannel).
    t = await createTestApp({
      CORS_ORIGINS: pageOrigin,
      OIDC_CONFIG: config,
      OIDC_POST_LOGIN_REDIRECTS: pageUrl,
      PORT: String(apiPort),
      REFRESH_REUSE_GRACE: '0',
    });
    await t.app.listen(apiPort, '127.0.0.1');
    await provider.setRedirectUris([`${api}/authenticate/oidc/test/callback`]);
    await provider.setAccounts({ grace: { preferred_username: 'grace.hopper', given_name: 'Grace', realm_access: { roles: ['USER'] } } });
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await provider?.stop();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
    await new Promise((resolve) => demo?.close(resolve));
  });

  async function open(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // A native password prompt would be a 'dialog' only for alert/confirm; the real guard is the
    // missing Basic challenge (asserted below). Any dialog at all fails the test.
    page.on('dialog', (dialog) => errors.push(`dialog: ${dialog.message()}`));
    await page.goto(pageUrl);
    await page.waitForFunction(() => !document.getElementById('login')!.hidden || !document.getElementById('session')!.hidden);
    return { page, errors };
  }

  async function signIn(page: Page, password = ADMIN.password): Promise<void> {
    await page.fill('#username', ADMIN.username);
    await page.fill('#password', password);
    await page.click('#sign-in');
  }

  async function callApi(page: Page): Promise<string> {
    await page.evaluate(() => (document.getElementById('result')!.textContent = ''));
    await page.click('#call');
    await page.waitForFunction(() => document.getElementById('result')!.textContent !== '');
    return (await page.textContent('#result'))!;
  }

  const renewals = async (page: Page) => Number(await page.textContent('#renewal-count'));

  it('signs in, renews silently past expiry, survives two tabs renewing at once, and signs out', async () => {
    const context = await browser.newContext();
    const { page, errors } = await open(context);
    await signIn(page);
    await page.waitForSelector('#session:not([hidden])');
    expect(await page.textContent('#who')).toBe(ADMIN.username);
    expect(await page.textContent('#roles')).toContain('ADMIN');
    // The refresh token never reaches script: it is an HttpOnly cookie.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'gatehouse_refresh');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/authenticate' });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'spa-signed-in.png'), fullPage: true });

    // A 3 s token with a 1 s skew: after 3.5 s it has expired; the click still succeeds.
    expect(await callApi(page)).toMatch(/^200 /);
    expect(await renewals(page)).toBe(0);
    await page.waitForTimeout(3_500);
    const result = await callApi(page);
    expect(result).toMatch(/^200 /);
    expect(result).toContain(`"username": "${ADMIN.username}"`);
    expect(await renewals(page)).toBe(1);

    // A second tab of the same origin resumes the session from the cookie, without a password.
    const second = await open(context);
    await second.page.waitForSelector('#session:not([hidden])');
    expect(await second.page.textContent('#who')).toBe(ADMIN.username);

    // Both tabs renew at the same moment: coordinated, neither trips reuse detection.
    const force = (p: Page) =>
      p.evaluate(() =>
        (window as unknown as { demo: { client: { refresh(o: object): Promise<boolean> } } }).demo.client.refresh({ force: true }),
      );
    expect(await Promise.all([force(page), force(second.page)])).toEqual([true, true]);
    expect(await callApi(page)).toMatch(/^200 /);
    expect(await callApi(second.page)).toMatch(/^200 /);
    await page.waitForTimeout(3_500);
    expect(await callApi(second.page)).toMatch(/^200 /);
    expect(await callApi(page)).toMatch(/^200 /);
    const audit = await t
      .http()
      .get('/api/v1/audit?type=token.reuse_detected')
      .set('Authorization', `Bearer ${await adminToken(t)}`);
    expect(audit.status).toBe(200);
    expect(audit.body.items).toEqual([]);

    // Sign out: the next call finds no session and the page shows its login screen.
    await page.click('#logout');
    await page.waitForFunction(() => document.getElementById('result')!.textContent === 'Signed out.');
    expect(await callApi(page)).toMatch(/^401 /);
    await page.waitForSelector('#expired:not([hidden])');
    await page.waitForSelector('#login:not([hidden])');
    // The other tab heard about it too and shows its login screen at once, without a call of its own.
    await second.page.waitForSelector('#expired:not([hidden])');
    await second.page.waitForSelector('#login:not([hidden])');

    expect(errors).toEqual([]);
    expect(second.errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('signs in through an OpenID Connect provider and comes back signed in', async () => {
    const context = await browser.newContext();
    const { page, errors } = await open(context);
    await page.click('text=Sign in with test');
    // The provider's own login and consent pages (oidc-provider's development interactions).
    await page.waitForSelector('input[name="login"]');
    await page.fill('input[name="login"]', 'grace');
    await page.fill('input[name="password"]', 'any password');
    await page.click('button[type="submit"]');
    await page.waitForSelector('button[type="submit"]');
    await page.click('button[type="submit"]');
    // Back on the page: the session is resumed from the refresh cookie the callback set.
    await page.waitForSelector('#session:not([hidden])');
    expect(page.url()).toBe(pageUrl);
    expect(await page.textContent('#who')).toBe('grace.hopper');
    expect(await page.textContent('#roles')).toBe('USER');
    expect(await callApi(page)).toMatch(/^200 [\s\S]*"username": "grace.hopper"/);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows a wrong password on the page, with no browser dialog', async () => {
    const context = await browser.newContext();
    const { page, errors } = await open(context);
    const loginResponse = page.waitForResponse((response) => response.url().includes('/authenticate/login'));
    await signIn(page, 'not-the-password');
    const response = await loginResponse;
    expect(response.status()).toBe(401);
    // No Basic challenge, so the browser has nothing to show a password dialog for.
    expect(response.headers()['www-authenticate'] ?? '').not.toMatch(/basic/i);
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toMatch(/invalid|incorrect|wrong/i);
    expect(await page.isVisible('#session')).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
