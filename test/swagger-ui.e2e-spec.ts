import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { ADMIN, TestApp, createTestApp } from './support/test-app';
import { CHROMIUM_ARGS, chromiumPath } from './support/browser';
import { describeBrowser } from './support/test-database';

// Swagger UI does not depend on the database: this runs once, in the SQLite project, in real Chromium.
const executablePath = chromiumPath();

describeBrowser('Swagger UI in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lets a developer log in with Basic and then call a bearer route', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${baseUrl}/docs`);
    await page.waitForSelector('.opblock');

    await page.click('button.authorize');
    await page.fill('input[name="username"]', ADMIN.username);
    await page.fill('input[name="password"]', ADMIN.password);
    await page.click('.auth-container button.authorize');
    await page.click('button.btn-done');

    const status = async (operation: string) => {
      const op = `#operations-authentication-AuthController_${operation}`;
      await page.click(op);
      await page.click(`${op} button.try-out__btn`);
      await page.click(`${op} button.execute`);
      const cell = `${op} .live-responses-table tbody .response-col_status`;
      await page.waitForSelector(cell);
      return (await page.textContent(cell))?.trim();
    };
    expect(await status('login')).toBe('200');
    // The login response authorized the bearer scheme by itself.
    expect(await status('me')).toBe('200');
    expect(pageErrors).toEqual([]);
    // Nothing of the authorization — least of all the Basic password — is kept in the browser's storage.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored).not.toContain(ADMIN.password);
    expect(stored).not.toContain('authorized');
  }, 60_000);
});
