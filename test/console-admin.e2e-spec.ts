/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser and use its globals)
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { basic, createUser, login } from './support/auth-helpers';
import { ConsoleServer, checkPage, launchChromium, openConsole, openTab, signIn, startConsoleServer } from './support/console';
import { ADMIN } from './support/test-app';
import { describeBrowser } from './support/test-database';

// The web console's administration pages in real Chromium, against Gatehouse serving the built bundle
// (docs/console.md#administration). Runs once, in the SQLite project.
describeBrowser('Web console: administration in Chromium', () => {
  let server: ConsoleServer;
  let browser: Browser;
  let totp: TOTP;
  const tag = randomBytes(3).toString('hex');
  /** A second administrator without a second factor (the keyboard walk), and a user who may only read the audit log. */
  let admin2: { id: string; username: string; password: string };
  let auditor: { id: string; username: string; password: string };

  const http = () => server.t.http();
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    // A key pair, so that signing keys can rotate (HS512 cannot: 409).
    server = await startConsoleServer({ ACCESS_TOKEN_ALG: 'EdDSA', JWT_ISSUER: 'http://gatehouse.test' });
    browser = await launchChromium();
    const { t } = server;
    admin2 = await createUser(t, { roles: ['USER', 'ADMIN'] });
    const adminToken = (await login(t)).access_token;
    const role = await http()
      .post('/api/v1/roles')
      .set(bearer(adminToken))
      .send({ name: `AUDITOR_${tag}` })
      .expect(201);
    await http()
      .put(`/api/v1/roles/${role.body.id}/permissions`)
      .set(bearer(adminToken))
      .send({ permissions: ['audit:read'] })
      .expect(200);
    auditor = await createUser(t, { roles: ['USER', `AUDITOR_${tag}`] });
    // The first administrator enrols TOTP through the API; the console then asks for a code. The
    // enrolment is confirmed with the previous time step's code, so the current one is still unused
    // (each step is accepted once) when the test signs in.
    const started = await http().post('/api/v1/users/me/mfa/totp').set(bearer(adminToken)).expect(201);
    totp = new TOTP({ secret: Secret.fromBase32(started.body.secret as string) });
    await http()
      .post('/api/v1/users/me/mfa/totp/confirm')
      .set(bearer(adminToken))
      .send({ code: totp.generate({ timestamp: Date.now() - 30_000 }) })
      .expect(200);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.t.close();
  });

  /** The names in the navigation's Administration list. */
  async function adminNav(page: Page): Promise<string[]> {
    const list = page.getByRole('navigation', { name: 'Console' }).locator('ul').nth(1);
    return (await list.count()) > 0 ? list.getByRole('link').allTextContents() : [];
  }

  /** Confirms through the console's dialog (an accessible <dialog>, not window.confirm). */
  async function confirm(page: Page, label: string): Promise<void> {
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: label, exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
  }

  it('lets an administrator who signed in with TOTP run users, roles, keys, clients and the audit log', async () => {
    const { page, problems } = await openTab(browser);
    await openConsole(page, server.url);
    await signIn(page, ADMIN.username, ADMIN.password, () => totp.generate());
    expect(await adminNav(page)).toEqual(['Users', 'Roles', 'Audit log', 'Signing keys', 'Service clients']);

    // A role with a permission.
    const roleName = `SUPPORT_${tag}`;
    await page.getByRole('link', { name: 'Roles', exact: true }).click();
    await page.getByRole('heading', { name: 'Roles and permissions', level: 1 }).waitFor();
    await checkPage(page, 'admin-roles', { docs: true });
    await page.getByLabel('Role name').fill(roleName);
    await page.getByLabel('Description', { exact: true }).fill('Answers tickets');
    await page.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('heading', { name: `Role ${roleName}`, level: 1 }).waitFor();
    await page.getByLabel('Another permission').fill('tickets:read');
    await page.getByRole('button', { name: 'Add permission' }).click();
    expect(await page.getByLabel('tickets:read').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Save permissions' }).click();
    await page.getByText('Permissions saved.').waitFor();
    await checkPage(page, 'admin-role', { docs: true });

    // A user, created in the console, given that role.
    const username = `carol-${tag}`;
    const password = `carol-password-${tag}`;
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('link', { name: 'New user', exact: true }).click();
    await page.getByRole('heading', { name: 'New user', level: 1 }).waitFor();
    await checkPage(page, 'admin-user-new', { docs: true });
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Initial password').fill(password);
    await page.getByLabel('E-mail address').fill(`carol.${tag}@example.org`);
    await page.getByLabel('First name').fill('Carol');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: `User ${username}`, level: 1 }).waitFor();
    const userId = (await page.locator('dl.facts dd').first().textContent())!.trim();
    await page.getByLabel(roleName, { exact: true }).check();
    await page.getByRole('button', { name: 'Save roles' }).click();
    await page.getByText('Roles saved.').waitFor();
    // The user's session (made here, through the API) carries the role's permission.
    let session = (await login(server.t, username, password)) as { access_token: string; refresh_token: string };
    expect((await http().get('/authenticate/me').set(bearer(session.access_token))).body.permissions).toContain('tickets:read');

    // Found by part of the e-mail address, in any case.
    await page.getByRole('link', { name: '← All users' }).click();
    await page.getByRole('table', { name: 'Users' }).waitFor();
    const searchBox = page.getByLabel('Search by username or e-mail');
    await searchBox.fill(`CAROL.${tag}`);
    expect(await searchBox.inputValue()).toBe(`CAROL.${tag}`);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(`1 user matching “CAROL.${tag}”`).waitFor();
    expect(await page.getByRole('table', { name: 'Users' }).getByRole('link').allTextContents()).toEqual([username]);
    await checkPage(page, 'admin-users', { docs: true });
    await page.getByRole('link', { name: username }).click();
    await page.getByRole('heading', { name: `User ${username}`, level: 1 }).waitFor();

    // Disabled (after confirming): the live session is refused; enabled again: the user signs in.
    await page.getByRole('button', { name: 'Disable user' }).click();
    await confirm(page, 'Disable user');
    await page.getByText(`${username} is disabled; their sessions have ended.`).waitFor();
    expect((await http().get('/authenticate/me').set(bearer(session.access_token))).status).toBe(401);
    expect((await http().post('/authenticate/login').set('Authorization', basic(username, password))).status).not.toBe(200);
    await page.getByRole('button', { name: 'Enable user' }).click();
    await page.getByText(`${username} can sign in again.`).waitFor();
    session = (await login(server.t, username, password)) as typeof session;
    expect((await http().get('/authenticate/me').set(bearer(session.access_token))).status).toBe(200);

    // The new session shows in the editor; ended there, its tokens are refused.
    await page.reload();
    const sessions = page.getByRole('table', { name: `Sessions of ${username}` });
    await sessions.waitFor();
    expect(await sessions.locator('tbody tr').count()).toBe(1);
    await checkPage(page, 'admin-user', { docs: true });
    await sessions.getByRole('button', { name: /^End the session/ }).click();
    await confirm(page, 'End session');
    await page.getByText('Session ended.').waitFor();
    await page.getByText('No active sessions.').waitFor();
    expect((await http().get('/authenticate/me').set(bearer(session.access_token))).status).toBe(401);
    expect((await http().post('/authenticate/refresh').send({ refresh_token: session.refresh_token })).status).toBe(401);

    // Second factors: the user enrols TOTP (API); the administrator resets it from the editor.
    const own = (await login(server.t, username, password)).access_token;
    const enrolment = await http().post('/api/v1/users/me/mfa/totp').set(bearer(own)).expect(201);
    const userTotp = new TOTP({ secret: Secret.fromBase32(enrolment.body.secret as string) });
    await http().post('/api/v1/users/me/mfa/totp/confirm').set(bearer(own)).send({ code: userTotp.generate() }).expect(200);
    await page.reload();
    await page.getByText(/^On since/).waitFor();
    await page.getByRole('button', { name: 'Reset second factors' }).click();
    await confirm(page, 'Reset second factors');
    await page.getByText('Second factors removed; the user’s sessions have ended.').waitFor();
    expect((await http().post('/authenticate/login').set('Authorization', basic(username, password))).status).toBe(200);

    // A signing key rotation: the new key is published at once.
    const jwks = async () => ((await http().get('/.well-known/jwks.json')).body as { keys: { kid: string }[] }).keys.length;
    const keysBefore = await jwks();
    await page.getByRole('link', { name: 'Signing keys', exact: true }).click();
    await page.getByRole('heading', { name: 'Signing keys', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Rotate signing key' }).click();
    await confirm(page, 'Rotate key');
    await page.getByText(/^New key .* published/).waitFor();
    expect(await jwks()).toBe(keysBefore + 1);
    await page.getByRole('cell', { name: 'Next (published, not signing yet)' }).waitFor();
    await checkPage(page, 'admin-keys', { docs: true });
    // A second rotation while one waits is refused: the API's message shows in the page.
    await page.getByRole('button', { name: 'Rotate signing key' }).click();
    await confirm(page, 'Rotate key');
    await page
      .getByRole('alert')
      .filter({ hasText: /pending|waits|already/i })
      .waitFor();

    // The audit log filtered to that user (by username), newest first, and exported as CSV.
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    await page.getByLabel('User', { exact: true }).fill(username);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(new RegExp(`userId=${userId}`));
    // The filtered list has replaced the whole one when every row is that user's.
    await page.waitForFunction((name) => {
      const cells = Array.from(document.querySelectorAll('td[data-label="User"]'));
      return cells.length > 0 && cells.every((cell) => cell.textContent!.trim() === name);
    }, username);
    const status = page.getByText(/^\d+ events, newest first$/);
    await status.waitFor();
    const total = Number((await status.textContent())!.split(' ')[0]);
    expect(total).toBeGreaterThanOrEqual(6);
    const events = page.getByRole('table', { name: 'Audit events' });
    const times = await events.locator('time').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('datetime')!));
    expect(times).toEqual([...times].sort().reverse());
    expect(await events.getByRole('cell', { name: 'user.disabled' }).count()).toBe(1);
    await checkPage(page, 'admin-audit', { docs: true });
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^gatehouse-audit-.*\.csv$/);
    const csv = readFileSync((await file.path())!, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('timestamp,type,userId,username,actorId,actor,ip,userAgent,requestId,details');
    expect(lines).toHaveLength(total + 1);
    for (const line of lines.slice(1)) expect(line.split('","')[2]).toBe(userId);
    const types = lines.slice(1).map((line) => line.split('","')[1]);
    for (const type of ['user.created', 'user.roles_changed', 'user.disabled', 'user.enabled', 'session.revoked', 'mfa.reset'])
      expect(types).toContain(type);

    // A service client: registered (secret shown once, copied), used, rotated, deleted.
    await page.getByRole('link', { name: 'Service clients', exact: true }).click();
    await page.getByLabel('Client name').fill(`billing-${tag}`);
    await page.getByLabel('audit:read').check();
    await page.getByRole('button', { name: 'Register client' }).click();
    const secret = (await page.getByTestId('client-secret').textContent())!.trim();
    const clientId = (await page
      .getByRole('region', { name: `Secret of billing-${tag}` })
      .locator('dd code')
      .first()
      .textContent())!.trim();
    await page.getByRole('button', { name: 'Copy secret' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    const clientToken = (id: string, key: string) =>
      http().post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: id, client_secret: key });
    expect((await clientToken(clientId, secret)).status).toBe(200);
    await page.getByRole('button', { name: 'I have stored the secret' }).click();
    await expect(page.getByTestId('client-secret').count()).resolves.toBe(0);
    await checkPage(page, 'admin-clients', { docs: true });
    await page.getByRole('button', { name: `Rotate secret of billing-${tag}` }).click();
    await confirm(page, 'Rotate secret');
    const rotated = (await page.getByTestId('client-secret').textContent())!.trim();
    expect(rotated).not.toBe(secret);
    expect((await clientToken(clientId, rotated)).status).toBe(200);
    await page.getByRole('button', { name: `Delete billing-${tag}` }).click();
    await confirm(page, 'Delete client');
    await page.getByText(`Client billing-${tag} deleted.`).waitFor();
    expect((await clientToken(clientId, rotated)).status).toBe(401);

    expect(problems).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('shows a user holding only audit:read the audit log and no other administration page', async () => {
    const { page, problems } = await openTab(browser);
    await openConsole(page, server.url);
    await signIn(page, auditor.username, auditor.password);
    expect(await adminNav(page)).toEqual(['Audit log']);
    // Another admin page by its address: not shown (the shell goes to My account).
    await page.goto(`${server.url}#/admin/users`);
    await page.waitForFunction(() => !location.hash.startsWith('#/admin/users'));
    await expect(page.getByRole('heading', { name: 'Users', level: 1 }).count()).resolves.toBe(0);
    // More events than one page holds (25): the list pages.
    for (let i = 0; i < 26; i++) await login(server.t, auditor.username, auditor.password);
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    await page.getByText(/^\d+ events?, newest first$/).waitFor();
    const pages = page.getByRole('navigation', { name: 'Pages of events' });
    await pages.getByText(/^Page 1 of [2-9]/).waitFor();
    await pages.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/page=2/);
    await pages.getByText(/^Page 2 of/).waitFor();
    expect(await page.getByRole('table', { name: 'Audit events' }).locator('tbody tr').count()).toBeGreaterThan(0);
    // Without users:read, the user filter takes an id only, and says so.
    await page.getByLabel('User', { exact: true }).fill('admin');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('alert').filter({ hasText: 'Enter the user’s id' }).waitFor();
    expect(problems).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('walks the user editor with the keyboard alone', async () => {
    const target = await createUserAs(admin2);
    const { page, problems } = await openTab(browser);
    await openConsole(page, server.url);
    await signIn(page, admin2.username, admin2.password);
    await page.goto(`${server.url}#/admin/users/${target.id}`);
    await page.getByRole('heading', { name: `User ${target.username}`, level: 1 }).focus();
    const nameOfFocus = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el) return '';
        const input = el as HTMLInputElement;
        if (input.labels && input.labels.length > 0) return input.labels[0].textContent!.trim();
        return (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
      });
    const order: string[] = [];
    for (let i = 0; i < 16; i++) {
      await page.keyboard.press('Tab');
      order.push(await nameOfFocus());
    }
    const expected = [
      'First name',
      'Last name',
      'E-mail address',
      'E-mail address verified',
      'Save details',
      'Disable user',
      'USER',
      'Save roles',
    ];
    const positions = expected.map((name) => order.indexOf(name));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));

    // Edit and save with keys only.
    await page.getByRole('heading', { name: `User ${target.username}`, level: 1 }).focus();
    while ((await nameOfFocus()) !== 'First name') await page.keyboard.press('Tab');
    await page.keyboard.type('Ada');
    while ((await nameOfFocus()) !== 'Save details') await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByText('Details saved.').waitFor();
    // The destructive button opens the dialog with Cancel focused; Escape closes it and nothing happens.
    while ((await nameOfFocus()) !== 'Disable user') await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    expect(await nameOfFocus()).toBe('Cancel');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect(await nameOfFocus()).toBe('Disable user');
    // A role toggled with Space, saved with Enter.
    while ((await nameOfFocus()) !== 'ADMIN') await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    while ((await nameOfFocus()) !== 'Save roles') await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByText('Roles saved.').waitFor();
    const admin2Token = (await login(server.t, admin2.username, admin2.password)).access_token;
    const saved = (await http().get(`/api/v1/users/${target.id}`).set(bearer(admin2Token))).body;
    expect(saved).toMatchObject({ firstName: 'Ada', enabled: true });
    expect(saved.roles.map((role: { name: string }) => role.name).sort()).toEqual(['ADMIN', 'USER']);
    // Taking a role away asks first; cancelled, nothing changes.
    while ((await nameOfFocus()) !== 'ADMIN') await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Space');
    while ((await nameOfFocus()) !== 'Save roles') await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Remove roles?' }).waitFor();
    expect(await nameOfFocus()).toBe('Cancel');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    const kept = (await http().get(`/api/v1/users/${target.id}`).set(bearer(admin2Token))).body;
    expect(kept.roles.map((role: { name: string }) => role.name).sort()).toEqual(['ADMIN', 'USER']);
    expect(problems).toEqual([]);
    await page.context().close();
  }, 60_000);

  /** A plain user, made through the API by `actor` (the first administrator now needs a second factor). */
  async function createUserAs(actor: { username: string; password: string }): Promise<{ id: string; username: string }> {
    const token = (await login(server.t, actor.username, actor.password)).access_token;
    const username = `kb-${tag}`;
    const res = await http()
      .post('/api/v1/users')
      .set(bearer(token))
      .send({ username, password: `kb-password-${tag}` })
      .expect(201);
    return { id: res.body.id as string, username };
  }
});
