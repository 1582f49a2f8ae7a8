/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser and use its globals)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { createUser } from './support/auth-helpers';
import {
  CONSOLE_FILES,
  ConsoleServer,
  buildConsole,
  checkPage,
  launchChromium,
  openConsole,
  openTab,
  signIn,
  startConsoleServer,
} from './support/console';
import { createTestApp } from './support/test-app';
import { describeBrowser } from './support/test-database';

// The web console's sign-in and My account pages in real Chromium, against Gatehouse serving the
// built bundle at /console/ (docs/console.md). The database does not matter to the browser side,
// so this runs once, in the SQLite project.
describeBrowser('Web console: sign-in and My account in Chromium', () => {
  let server: ConsoleServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startConsoleServer();
    browser = await launchChromium();
  }, 60_000);
  let closed = false;
  afterAll(async () => {
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

  it('signs in with a password and shows My account only to a user with no admin permission', async () => {
    const user = await createUser(server.t);
    const { page, problems, context } = await openTab(browser);
    const started = Date.now();
    await openConsole(page, server.url);
    console.log(`console first page (sign-in) shown ${Date.now() - started} ms after navigation`);
    await checkPage(page, 'sign-in', { docs: true });
    await signIn(page, user.username, user.password);
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual(['Profile']);
    expect(await page.getByRole('heading', { name: 'Administration' }).count()).toBe(0);
    await checkPage(page, 'account-profile', { docs: true });
    expect(problems).toEqual([]);
    await context.close();
  });
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
