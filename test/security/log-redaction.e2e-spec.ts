import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN } from '../support/test-app';
import { basic } from '../support/auth-helpers';
import { ServerProcess, freePort, startServerProcess } from '../support/server-process';
import { createPostgresDatabase, describeOnce, testDbKind } from '../support/test-database';

/**
 * The real server process, logging every request at `info` as in production, is driven through
 * the flows that carry secrets: its whole output must hold none of them.
 */
describeOnce('Log redaction in the running server', () => {
  let server: ServerProcess;
  let dataDir: string;
  let drop = async () => undefined as unknown;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-logs-'));
    const postgres = testDbKind() === 'postgres' ? await createPostgresDatabase() : undefined;
    if (postgres) drop = postgres.drop;
    const databaseUrl = postgres?.url ?? `sqlite:${join(dataDir, 'gatehouse.sqlite')}`;
    server = await startServerProcess(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        ADMIN_PASSWORD: ADMIN.password,
        LOG_LEVEL: 'info',
        CORS_ORIGINS: 'https://app.example.org',
        BEARER_RENEWAL: 'true',
      },
      await freePort(),
    );
  }, 90_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes one JSON line per request and no password, token, cookie or hash', async () => {
    const secrets: string[] = [ADMIN.password];
    const post = (path: string, init: { headers?: Record<string, string>; body?: unknown } = {}) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });

    // Basic login, JSON login, a failed login (its password is a secret too), cookie-mode login.
    const basicLogin = await (
      await post('/authenticate/login', { headers: { authorization: basic(ADMIN.username, ADMIN.password) } })
    ).json();
    const jsonLogin = await (await post('/authenticate/login', { body: { username: ADMIN.username, password: ADMIN.password } })).json();
    const wrong = 'a-wrong-password-that-must-not-be-logged';
    secrets.push(wrong);
    expect((await post('/authenticate/login', { body: { username: ADMIN.username, password: wrong } })).status).toBe(401);
    const cookieLogin = await post('/authenticate/login?cookie=true', {
      headers: { authorization: basic(ADMIN.username, ADMIN.password) },
    });
    const setCookie = cookieLogin.headers.get('set-cookie')!;
    const cookie = setCookie.split(';')[0];
    secrets.push(cookie.split('=')[1]);
    for (const login of [basicLogin, jsonLogin]) secrets.push(login.token.access_token, login.token.refresh_token);

    // Bearer calls, refresh from the body and from the cookie, bearer renewal.
    const access = basicLogin.token.access_token as string;
    expect((await fetch(`${server.url}/authenticate/me`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(200);
    const refreshed = await (await post('/authenticate/refresh', { body: { refresh_token: jsonLogin.token.refresh_token } })).json();
    secrets.push(refreshed.access_token, refreshed.refresh_token);
    const fromCookie = await post('/authenticate/refresh', { headers: { cookie, 'x-requested-with': 'XMLHttpRequest' } });
    expect(fromCookie.status).toBe(200);
    secrets.push(
      fromCookie.headers.get('set-cookie')!.split(';')[0].split('=')[1],
      ((await fromCookie.json()) as { access_token: string }).access_token,
    );
    const renewed = await (await post('/authenticate/refresh', { headers: { authorization: `Bearer ${access}` } })).json();
    secrets.push(renewed.access_token);

    // A user created with a password, who changes it; then logouts.
    const created = await post('/api/v1/users', {
      headers: { authorization: `Bearer ${access}` },
      body: { username: 'logged-user', password: 'first-password-of-user' },
    });
    expect(created.status).toBe(201);
    secrets.push('first-password-of-user', 'second-password-of-user');
    const userLogin = await (
      await post('/authenticate/login', { headers: { authorization: basic('logged-user', 'first-password-of-user') } })
    ).json();
    secrets.push(userLogin.token.access_token, userLogin.token.refresh_token);
    const change = await fetch(`${server.url}/api/v1/users/me/password`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${userLogin.token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: 'first-password-of-user', newPassword: 'second-password-of-user' }),
    });
    expect(change.status).toBe(204);
    expect((await post('/authenticate/logout', { headers: { authorization: `Bearer ${userLogin.token.access_token}` } })).status).toBe(204);
    expect((await post('/authenticate/logout', { body: { refresh_token: refreshed.refresh_token } })).status).toBe(204);

    await new Promise((resolve) => setTimeout(resolve, 1500)); // the logger flushes its buffer every second
    const output = server.output();
    const lines = output.split('\n').filter((line) => line.startsWith('{'));
    // Every request was logged, as JSON with its id, method, path and status.
    const requests = lines
      .map((line) => JSON.parse(line) as { req?: { id?: string; method?: string; path?: string }; res?: { statusCode?: number } })
      .filter((entry) => entry.req && entry.res);
    expect(requests.length).toBeGreaterThanOrEqual(14);
    for (const entry of requests)
      expect(entry.req).toMatchObject({ id: expect.any(String), method: expect.any(String), path: expect.any(String) });
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect(output).not.toContain(secret);
    }
    expect(output).not.toMatch(/\$argon2/);
    expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT at all
    expect(output).not.toMatch(/gatehouse_refresh=[A-Za-z0-9_-]/);
  }, 60_000);
});
