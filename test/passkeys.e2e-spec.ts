/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser and use its globals)
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Secret, TOTP } from 'otpauth';
import { type Browser, type Page, chromium } from 'playwright-core';
import { buildDemo, serveDemo } from '../examples/spa/serve';
import { createUser } from './support/auth-helpers';
import { CHROMIUM_ARGS, chromiumPath } from './support/browser';
import { freePort } from './support/oidc';
import { TestApp, createTestApp } from './support/test-app';
import { describeBrowser, describeE2E } from './support/test-database';

// Passkeys and the code step of the demo page in real Chromium, with Chrome's virtual authenticator
// (DevTools protocol, WebAuthn domain) standing in for a platform authenticator with user
// verification. Passkeys are stored by the server, so unlike the other browser suites this one runs
// on SQLite and on PostgreSQL. Without Chromium, describeBrowser reports it (a failure in CI).
const executablePath = chromiumPath();
const describePasskeys = executablePath ? describeE2E : describeBrowser;

type User = { id: string; username: string; password: string };

describePasskeys('Passkeys and second factors on the demo page in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let demo: Server;
  let elsewhere: Server;
  /** The page on the origin Gatehouse accepts for WebAuthn (WEBAUTHN_ORIGINS). */
  let pageUrl: string;
  /** The same page on another origin: allowed by CORS, not a WebAuthn origin. */
  let foreignUrl: string;

  beforeAll(async () => {
    await buildDemo();
    demo = await serveDemo(0, '127.0.0.1', 'http://localhost:*');
    elsewhere = await serveDemo(0, '127.0.0.1', 'http://localhost:*');
    // http://localhost is a secure context, so WebAuthn works on it; an IP address such as
    // 127.0.0.1 cannot be a relying party id. Both pages share the RP id "localhost" (ports do not
    // count), so the browser signs on either and only the server's origin check tells them apart.
    const pageOrigin = `http://localhost:${(demo.address() as AddressInfo).port}`;
    const foreignOrigin = `http://localhost:${(elsewhere.address() as AddressInfo).port}`;
    const apiPort = await freePort();
    const api = encodeURIComponent(`http://localhost:${apiPort}`);
    pageUrl = `${pageOrigin}/?api=${api}`;
    foreignUrl = `${foreignOrigin}/?api=${api}`;
    t = await createTestApp({
      CORS_ORIGINS: `${pageOrigin},${foreignOrigin}`,
      WEBAUTHN_ORIGINS: pageOrigin,
      WEBAUTHN_RP_ID: 'localhost',
      PORT: String(apiPort),
    });
    await t.app.listen(apiPort, '127.0.0.1');
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((resolve) => demo?.close(resolve));
    await new Promise((resolve) => elsewhere?.close(resolve));
  });

  /**
   * A new tab with its own virtual authenticator: internal (platform) transport, resident keys
   * (passkeys), and a user who always passes verification, as after a fingerprint or PIN.
   */
  async function openTab(options: { withoutJsonHelpers?: boolean } = {}): Promise<{
    page: Page;
    errors: string[];
    credentials: () => Promise<{ rpId?: string; isResidentCredential: boolean }[]>;
  }> {
    const context = await browser.newContext();
    // As in browsers before the WebAuthn Level 3 JSON helpers (Chrome < 129, Safari < 18.4): the
    // client must convert options and answers itself.
    if (options.withoutJsonHelpers) {
      await context.addInitScript(() => {
        const statics = PublicKeyCredential as unknown as Record<string, unknown>;
        delete statics.parseCreationOptionsFromJSON;
        delete statics.parseRequestOptionsFromJSON;
        delete (PublicKeyCredential.prototype as unknown as Record<string, unknown>).toJSON;
      });
    }
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('dialog', (dialog) => errors.push(`dialog: ${dialog.message()}`));
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    return { page, errors, credentials };
  }

  /** Loads the page (same tab, so the same authenticator) and waits for it to settle on a screen. */
  async function goto(page: Page, url: string): Promise<void> {
    await page.goto(url);
    await page.waitForSelector('#login:not([hidden]), #session:not([hidden])');
  }

  async function passwordStep(page: Page, user: User): Promise<void> {
    await page.fill('#username', user.username);
    await page.fill('#password', user.password);
    await page.click('#sign-in');
  }

  /** Signs in with the password alone (a user with no second factor yet). */
  async function signIn(page: Page, user: User): Promise<void> {
    await passwordStep(page, user);
    await page.waitForSelector('#session:not([hidden])');
  }

  /** The page's "Call API" (GET /authenticate/me with the client's token): status and body. */
  async function me(page: Page): Promise<{ status: number; body: { username?: string; amr?: string[] } }> {
    await page.evaluate(() => (document.getElementById('result')!.textContent = ''));
    await page.click('#call');
    await page.waitForFunction(() => document.getElementById('result')!.textContent !== '');
    const text = (await page.textContent('#result'))!;
    const [status, ...json] = text.split(' ');
    return { status: Number(status), body: JSON.parse(json.join(' ')) as { username?: string; amr?: string[] } };
  }

  /** Signs out and reloads: the page shows its sign-in form (no refresh cookie any more). */
  async function signOut(page: Page, url = pageUrl): Promise<void> {
    await page.click('#logout');
    await page.waitForFunction(() => document.getElementById('result')!.textContent === 'Signed out.');
    await goto(page, url);
    expect(await page.isVisible('#login')).toBe(true);
  }

  async function registerPasskey(page: Page, name: string): Promise<void> {
    await page.fill('#passkey-name', name);
    await page.click('#register-passkey');
    await page.waitForFunction(() => document.getElementById('factors')!.textContent !== '');
  }

  it.each([
    ['with the browser’s WebAuthn JSON helpers', false],
    ['without them (older browsers)', true],
  ])(
    'registers a passkey, then signs in with it alone, and with the password and the passkey as second factor, %s',
    async (_, withoutJsonHelpers) => {
      const user = await createUser(t);
      const { page, errors, credentials } = await openTab({ withoutJsonHelpers });
      await goto(page, pageUrl);
      const helpers = await page.evaluate(() => [
        typeof PublicKeyCredential.parseCreationOptionsFromJSON,
        typeof PublicKeyCredential.parseRequestOptionsFromJSON,
        typeof PublicKeyCredential.prototype.toJSON,
      ]);
      expect(helpers).toEqual(Array(3).fill(withoutJsonHelpers ? 'undefined' : 'function'));
      await signIn(page, user);
      expect((await me(page)).body.amr).toEqual(['pwd']);

      // Register: the browser creates a discoverable credential for RP id "localhost"; it is the user's
      // first factor, so the page shows the ten recovery codes once.
      const registered = page.waitForResponse((r) => r.url().endsWith('/api/v1/users/me/passkeys') && r.request().method() === 'POST');
      await registerPasskey(page, 'Virtual laptop');
      expect((await registered).status()).toBe(201);
      expect(await page.textContent('#factors')).toBe('Passkey “Virtual laptop” registered.');
      const codes = await page.locator('#recovery-codes li').allTextContents();
      expect(codes).toHaveLength(10);
      expect(codes[0]).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
      expect(await credentials()).toEqual([expect.objectContaining({ rpId: 'localhost', isResidentCredential: true })]);
      const status = await t
        .http()
        .get('/api/v1/users/me/mfa')
        .set('Authorization', `Bearer ${await page.evaluate(accessToken)}`);
      expect(status.body).toMatchObject({ passkeys: 1, methods: expect.arrayContaining(['webauthn', 'recovery_code']) });

      // Passwordless: no username typed; the authenticator offers the passkey, the server finds its user.
      await signOut(page);
      const verified = page.waitForResponse((r) => r.url().includes('/authenticate/passkey/verify'));
      await page.click('#passkey-sign-in');
      expect((await verified).status()).toBe(200);
      await page.waitForSelector('#session:not([hidden])');
      expect(await page.textContent('#who')).toBe(user.username);
      const passwordless = await me(page);
      expect(passwordless.status).toBe(200);
      // A device-bound key (the virtual authenticator's keys are not backed up), verified user: two factors.
      expect(passwordless.body.amr).toEqual(['hwk', 'user', 'mfa']);

      // The password alone is no longer enough: the page asks for the second factor, offers the passkey.
      await signOut(page);
      const passwordAnswer = page.waitForResponse((r) => r.url().includes('/authenticate/login'));
      await passwordStep(page, user);
      const challenge = await passwordAnswer;
      expect(challenge.status()).toBe(401);
      expect(await challenge.json()).toMatchObject({ error: 'mfa_required', methods: expect.arrayContaining(['webauthn']) });
      await page.waitForSelector('#mfa:not([hidden])');
      expect(await page.isVisible('#session')).toBe(false);
      expect(await page.isVisible('#mfa-passkey')).toBe(true);
      const completed = page.waitForResponse((r) => /\/authenticate\/mfa\?/.test(r.url()));
      await page.click('#mfa-passkey');
      expect((await completed).status()).toBe(200);
      await page.waitForSelector('#session:not([hidden])');
      expect(await page.textContent('#who')).toBe(user.username);
      const twoFactors = await me(page);
      expect(twoFactors.body.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
      // The session lives in the refresh cookie as after any login: a reload resumes it.
      await goto(page, pageUrl);
      expect(await page.isVisible('#session')).toBe(true);

      expect(errors).toEqual([]);
      await page.context().close();
    },
    60_000,
  );

  it('refuses to register a passkey created on an origin that is not in WEBAUTHN_ORIGINS', async () => {
    const user = await createUser(t);
    const { page, errors, credentials } = await openTab();
    // The browser creates the credential (same RP id); the server refuses it for its origin and stores nothing.
    await goto(page, foreignUrl);
    await signIn(page, user);
    const refusedRegistration = page.waitForResponse((r) => r.url().endsWith('/api/v1/users/me/passkeys'));
    await registerPasskey(page, 'Wrong origin');
    const registration = await refusedRegistration;
    expect(registration.status()).toBe(400);
    expect(((await registration.json()) as { message: string }).message).toMatch(/origin/i);
    expect(await page.textContent('#factors')).toMatch(/^Passkey not registered: .*origin/i);
    expect(await credentials()).toHaveLength(1);
    const token = await page.evaluate(accessToken);
    expect((await t.http().get('/api/v1/users/me/passkeys').set('Authorization', `Bearer ${token}`)).body).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('refuses a passkey used on an origin that is not in WEBAUTHN_ORIGINS, alone or as second factor', async () => {
    const user = await createUser(t);
    const { page, errors } = await openTab();
    // A passkey registered on the right origin…
    await goto(page, pageUrl);
    await signIn(page, user);
    await registerPasskey(page, 'Right origin');
    expect(await page.textContent('#factors')).toBe('Passkey “Right origin” registered.');
    await signOut(page);

    // …signs nothing in on the other one: passwordless is refused…
    await goto(page, foreignUrl);
    const passwordless = page.waitForResponse((r) => r.url().includes('/authenticate/passkey/verify'));
    await page.click('#passkey-sign-in');
    const refused = await passwordless;
    expect(refused.status()).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_passkey', message: expect.stringMatching(/origin/i) });
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.isVisible('#session')).toBe(false);

    // …and so is the passkey as second factor after the right password.
    await passwordStep(page, user);
    await page.waitForSelector('#mfa:not([hidden])');
    const secondFactor = page.waitForResponse((r) => /\/authenticate\/mfa\?/.test(r.url()));
    await page.click('#mfa-passkey');
    const wrong = await secondFactor;
    expect(wrong.status()).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_second_factor' });
    await page.waitForSelector('#mfa-error:not([hidden])');
    expect(await page.isVisible('#session')).toBe(false);
    expect(await page.evaluate(accessToken)).toBeNull();

    // The same passkey still works where it belongs (nothing above spent or broke it).
    await goto(page, pageUrl);
    await page.click('#passkey-sign-in');
    await page.waitForSelector('#session:not([hidden])');
    expect(await page.textContent('#who')).toBe(user.username);

    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('sets up TOTP from the page, then asks for a code after the password: a wrong one, a recovery code, a TOTP code', async () => {
    const user = await createUser(t);
    const { page, errors } = await openTab();
    await goto(page, pageUrl);
    await signIn(page, user);
    await page.click('#setup-totp');
    await page.waitForSelector('#totp:not([hidden])');
    expect(await page.locator('#totp-qr svg').count()).toBe(1);
    const secret = (await page.textContent('#totp-secret'))!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.fill('#totp-code', totpCode(secret));
    await page.click('#totp-confirm');
    await page.waitForFunction(() => document.getElementById('factors')!.textContent!.startsWith('TOTP is on'));
    const codes = await page.locator('#recovery-codes li').allTextContents();
    expect(codes).toHaveLength(10);

    // The code step: no passkey button (this user has none); a wrong code is shown and can be retried.
    await signOut(page);
    await passwordStep(page, user);
    await page.waitForSelector('#mfa:not([hidden])');
    expect(await page.isVisible('#mfa-passkey')).toBe(false);
    await page.fill('#mfa-code', totpCode(secret, 10));
    await page.click('#mfa-submit');
    await page.waitForSelector('#mfa-error:not([hidden])');
    expect(await page.textContent('#mfa-error')).toMatch(/not valid/);
    // A recovery code (letters and dashes, typed in lower case) completes the same login.
    await page.fill('#mfa-code', codes[0].toLowerCase());
    await page.click('#mfa-submit');
    await page.waitForSelector('#session:not([hidden])');
    expect((await me(page)).body.amr).toEqual(['pwd', 'otp', 'mfa']);

    // And a code from the app (the next time step: the one used to confirm is spent).
    await signOut(page);
    await passwordStep(page, user);
    await page.waitForSelector('#mfa:not([hidden])');
    const sent = page.waitForRequest((r) => /\/authenticate\/mfa\?/.test(r.url()));
    await page.fill('#mfa-code', totpCode(secret, 1));
    await page.click('#mfa-submit');
    expect((await sent).postDataJSON()).toEqual({ mfa_token: expect.any(String), totp: totpCode(secret, 1) });
    await page.waitForSelector('#session:not([hidden])');
    expect(await page.textContent('#who')).toBe(user.username);

    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);
});

/** The page's current access token (its client is exposed as window.demo for tests). */
function accessToken(): string | null {
  return (window as unknown as { demo: { client: { accessToken(): string | null } } }).demo.client.accessToken();
}

/** The code an authenticator app shows for `secret`, `offsetSteps` 30-second steps from now. */
function totpCode(secret: string, offsetSteps = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: Date.now() + offsetSteps * 30_000,
  });
}
