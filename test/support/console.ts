/// <reference lib="dom" />
// Helpers for the web console's browser suites (test/console-*.e2e-spec.ts): build the bundle, start
// Gatehouse serving it on http://localhost:<port> (a secure context, and a valid WebAuthn RP id), open
// it in Chromium, sign in, run axe-core at phone and desktop widths, and take screenshots.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type CDPSession, type Page, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from './browser';
import { freePort } from './oidc';
import { TestApp, createTestApp } from './test-app';

export const ARTIFACTS = join(__dirname, '..', 'artifacts');
export const DOCS_SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'console');
/** The two widths every page is checked at: a phone and a laptop. */
export const WIDTHS = [375, 1280] as const;

let built: Promise<string> | undefined;
/** Builds dist/console once per test process (console/build.js, as `npm run build` does). */
export function buildConsole(): Promise<string> {
  const { buildConsole: build } = require('../../console/build.js') as { buildConsole(): Promise<string> };
  return (built ??= build());
}

export interface ConsoleServer {
  t: TestApp;
  /** http://localhost:<port> */
  origin: string;
  /** http://localhost:<port>/console/ */
  url: string;
}

/**
 * Builds the console and starts Gatehouse listening on localhost, with WebAuthn for that origin.
 * `env`: more settings, or a function of the origin that returns them.
 */
export async function startConsoleServer(
  env: Record<string, string> | ((origin: string) => Record<string, string>) = {},
): Promise<ConsoleServer> {
  await buildConsole();
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const more = typeof env === 'function' ? env(origin) : env;
  const t = await createTestApp({ PORT: String(port), WEBAUTHN_ORIGINS: origin, WEBAUTHN_RP_ID: 'localhost', PUBLIC_URL: origin, ...more });
  await t.app.listen(port, '127.0.0.1');
  return { t, origin, url: `${origin}/console/` };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}

export interface ConsoleTab {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors, CSP violations and console errors seen in the page: a test expects none. */
  problems: string[];
  cdp: CDPSession;
}

/**
 * A new browser context (own cookies) with one tab. `authenticator`: Chrome's virtual platform
 * authenticator (resident keys, user verified), as in test/passkeys.e2e-spec.ts.
 */
export async function openTab(browser: Browser, options: { authenticator?: boolean; width?: number } = {}): Promise<ConsoleTab> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('dialog', (dialog) => problems.push(`native dialog: ${dialog.message()}`));
  page.on('console', (message) => {
    // A refused call shows in the console as "Failed to load resource" (4xx): the page handles those.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  const cdp = await context.newCDPSession(page);
  if (options.authenticator) {
    await cdp.send('WebAuthn.enable', { enableUI: false });
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
  }
  return { context, page, problems, cdp };
}

/** Opens the console at `hash` (e.g. `#/account`) and waits for it to show sign-in or a page. */
export async function openConsole(page: Page, url: string, hash = ''): Promise<void> {
  await page.goto(`${url}${hash}`);
  await page.waitForSelector('main h1');
}

/** Signs in with username and password; `secondFactor` (a TOTP or recovery code) when the user has one. */
export async function signIn(page: Page, username: string, password: string, secondFactor?: string | (() => string)): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  if (secondFactor !== undefined) {
    await page.getByRole('heading', { name: 'Second factor' }).waitFor();
    const code = typeof secondFactor === 'function' ? secondFactor() : secondFactor;
    const field = /^\d{6}$/.test(code) ? 'Code from your authenticator app' : 'Recovery code';
    const choice = page.getByLabel(field === 'Recovery code' ? 'Use a recovery code' : 'Use an authenticator app code');
    if ((await choice.count()) > 0) await choice.check();
    await page.getByLabel(field, { exact: true }).fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
  }
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html: string }[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core on the page as it is at 375 px and at 1280 px wide; returns the serious and critical
 * violations (each with the width), so a test can expect `[]` and see what failed otherwise.
 * axe is evaluated through the DevTools protocol, which the page's CSP does not govern.
 */
export async function axeCheck(page: Page): Promise<(AxeViolation & { width: number })[]> {
  axeSource ??= (require('axe-core') as { source: string }).source;
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  const found: (AxeViolation & { width: number })[] = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target, html: n.html })),
      }));
    });
    found.push(...violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ ...v, width })));
  }
  await page.setViewportSize(original);
  return found;
}

/**
 * Saves the page at both widths under test/artifacts/console-<name>-<width>.png; with `docs`, also
 * docs/console/<name>.png at 1280×800 (the visible part only, so the PNGs stay small).
 */
export async function screenshot(page: Page, name: string, options: { docs?: boolean } = {}): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: join(ARTIFACTS, `console-${name}-${width}.png`), fullPage: true });
  }
  if (options.docs) {
    mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(DOCS_SCREENSHOTS, `${name}.png`) });
  }
  await page.setViewportSize(original);
}

/** The widths at which the page is wider than the window (it would scroll sideways): none, for a usable page. */
export async function overflowingWidths(page: Page): Promise<{ width: number; scrollWidth: number }[]> {
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  const found: { width: number; scrollWidth: number }[] = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    if (scrollWidth > width) found.push({ width, scrollWidth });
  }
  await page.setViewportSize(original);
  return found;
}

/** axe at both widths, no sideways scrolling at either, then the screenshots: what every console page gets. */
export async function checkPage(page: Page, name: string, options: { docs?: boolean } = {}): Promise<void> {
  expect(await axeCheck(page)).toEqual([]);
  expect(await overflowingWidths(page)).toEqual([]);
  await screenshot(page, name, options);
}

/** The console's own files, for the size budget. */
export const CONSOLE_FILES = ['index.html', 'app.js', 'app.css'];

export { freePort };
