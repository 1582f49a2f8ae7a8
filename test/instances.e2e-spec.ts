import { createHash } from 'node:crypto';
import { Cluster, call, loginAt, startCluster } from './support/cluster';
import { describePostgresOnly, describeRedis } from './support/test-database';

/**
 * Several instances on one PostgreSQL database (and Redis when REDIS_URL is set) behave as one. Each
 * instance is its own process with its own data directory, cache and connection pool, as on two hosts.
 */
const redisUrl = process.env.REDIS_URL;

/** Milliseconds until `probe` answers 401 (or `status`), polling every `everyMs`; -1 if it never does within `limitMs`. */
async function millisecondsUntil401(
  probe: () => Promise<{ status: number }>,
  limitMs: number,
  everyMs: number,
  status = 401,
): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    if ((await probe()).status === status) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return -1;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** How many refresh tokens were issued in the session of `token` after it (exactly one when it rotated once). */
async function successorCount(cluster: Cluster, token: string): Promise<number> {
  const [{ session_id }] = await cluster.query<{ session_id: string }>('SELECT session_id FROM refresh_tokens WHERE token_hash = $1', [
    hashToken(token),
  ]);
  const [{ count }] = await cluster.query<{ count: string }>('SELECT COUNT(*) AS count FROM refresh_tokens WHERE session_id = $1', [
    session_id,
  ]);
  return Number(count) - 1;
}

describePostgresOnly('Several instances on one database (separate processes)', () => {
  let cluster: Cluster;
  let a: string;
  let b: string;

  beforeAll(async () => {
    cluster = await startCluster(2, { REVOCATION_MAX_LAG: '2', REFRESH_REUSE_GRACE: '0', LOGIN_IP_MAX_FAILURES: '100000' });
    [a, b] = cluster.urls;
  }, 120_000);
  afterAll(() => cluster?.stop());

  it('accepts on one instance the tokens issued by the other (same shared key, no JWT_SECRET)', async () => {
    const tokens = await loginAt(a);
    expect((await call(b, 'GET', '/authenticate/me', { token: tokens.access_token })).status).toBe(200);
    expect((await call(b, 'POST', '/authenticate/refresh', { body: { refresh_token: tokens.refresh_token } })).status).toBe(200);
  });

  it('rotates a refresh token exactly once when both instances race for it (no grace: the replay ends the session)', async () => {
    for (let round = 0; round < 20; round++) {
      const { refresh_token } = await loginAt(a);
      const results = await Promise.all([a, b].map((url) => call(url, 'POST', '/authenticate/refresh', { body: { refresh_token } })));
      expect(results.filter((res) => res.status === 200).length).toBeLessThanOrEqual(1);
      expect(results.filter((res) => res.status === 401).length).toBeGreaterThanOrEqual(1);
      expect(await successorCount(cluster, refresh_token)).toBe(1);
    }
  });

  it('honours on one instance a logout made on the other within REVOCATION_MAX_LAG', async () => {
    const tokens = await loginAt(a);
    // Instance B has checked (and cached) the session.
    expect((await call(b, 'GET', '/authenticate/me', { token: tokens.access_token })).status).toBe(200);
    expect((await call(a, 'POST', '/authenticate/logout', { token: tokens.access_token })).status).toBe(204);
    const lag = await millisecondsUntil401(() => call(b, 'GET', '/authenticate/me', { token: tokens.access_token }), 5000, 50);
    const refused = await call(b, 'GET', '/authenticate/me', { token: tokens.access_token });
    expect(refused.body.message).toMatch(/revoked/);
    process.stdout.write(`cross-instance revocation lag without Redis: ${lag} ms (REVOCATION_MAX_LAG=2 s)\n`);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(2000 + 250);
  });
});

/** Logout, disable and role change made on `from`: refused on `to` within `limitMs`. */
async function expectRevocationsReach(from: string, to: string, limitMs: number, label: string): Promise<void> {
  const admin = await loginAt(from);
  // Logout.
  const tokens = await loginAt(from);
  expect((await call(to, 'GET', '/authenticate/me', { token: tokens.access_token })).status).toBe(200);
  expect((await call(from, 'POST', '/authenticate/logout', { token: tokens.access_token })).status).toBe(204);
  const logoutLag = await millisecondsUntil401(
    () => call(to, 'GET', '/authenticate/me', { token: tokens.access_token }),
    limitMs + 2000,
    10,
  );
  // Disable, and a role change (an administrator's: the user's sessions end).
  const lags: number[] = [logoutLag];
  for (const change of [{ enabled: false }, { roles: ['USER'] }]) {
    const username = `reach-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    const password = `password-${Math.random().toString(36).slice(2)}`;
    const created = await call(from, 'POST', '/api/v1/users', {
      token: admin.access_token,
      body: { username, password, roles: ['ADMIN', 'USER'] },
    });
    expect(created.status).toBe(201);
    const user = await loginAt(from, username, password);
    // Checked (and cached) on the other instance, with the ADMIN role.
    expect((await call(to, 'GET', '/api/v1/users', { token: user.access_token })).status).toBe(200);
    expect((await call(from, 'PATCH', `/api/v1/users/${created.body.id}`, { token: admin.access_token, body: change })).status).toBe(200);
    lags.push(await millisecondsUntil401(() => call(to, 'GET', '/api/v1/users', { token: user.access_token }), limitMs + 2000, 10));
  }
  process.stdout.write(`revocation lag ${label} (logout, disable, role change): ${lags.join(' / ')} ms\n`);
  for (const lag of lags) {
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(limitMs);
  }
}

/**
 * Permissions and API credentials changed on `from` reach `to` within `limitMs`: a permission taken
 * from a role (a live token gets 403), a personal access token revoked, a service client disabled (401).
 */
async function expectCredentialChangesReach(from: string, to: string, limitMs: number, label: string): Promise<void> {
  const admin = (await loginAt(from)).access_token;
  const suffix = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const role = await call(from, 'POST', '/api/v1/roles', { token: admin, body: { name: `READER${suffix}` } });
  const setPermissions = (permissions: string[]) =>
    call(from, 'PUT', `/api/v1/roles/${role.body.id}/permissions`, { token: admin, body: { permissions } });
  expect((await setPermissions(['users:read'])).status).toBe(200);
  const username = `reader-${suffix}`;
  const password = `password-${suffix}`;
  expect(
    (await call(from, 'POST', '/api/v1/users', { token: admin, body: { username, password, roles: ['USER', role.body.name] } })).status,
  ).toBe(201);
  const session = (await loginAt(from, username, password)).access_token;
  const pat = await call(from, 'POST', '/api/v1/users/me/tokens', { token: session, body: { name: 'reach', scopes: ['users:read'] } });
  const client = await call(from, 'POST', '/api/v1/clients', { token: admin, body: { name: `reach-${suffix}`, scopes: ['users:read'] } });
  const grant = await fetch(`${from}/oauth/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${client.body.client_id}:${client.body.client_secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  const clientToken = ((await grant.json()) as { access_token: string }).access_token;
  // Each checked (and cached) on the other instance first.
  for (const token of [session, pat.body.token as string, clientToken]) {
    expect((await call(to, 'GET', '/api/v1/users', { token })).status).toBe(200);
  }
  const usersWith = (token: string) => () => call(to, 'GET', '/api/v1/users', { token });
  expect((await setPermissions([])).status).toBe(200);
  const permissionLag = await millisecondsUntil401(usersWith(session), limitMs + 2000, 10, 403);
  expect((await call(from, 'DELETE', `/api/v1/users/me/tokens/${pat.body.id}`, { token: session })).status).toBe(204);
  const patLag = await millisecondsUntil401(usersWith(pat.body.token as string), limitMs + 2000, 10);
  expect((await call(from, 'PATCH', `/api/v1/clients/${client.body.client_id}`, { token: admin, body: { enabled: false } })).status).toBe(
    200,
  );
  const clientLag = await millisecondsUntil401(usersWith(clientToken), limitMs + 2000, 10);
  const lags = [permissionLag, patLag, clientLag];
  process.stdout.write(`credential change lag ${label} (role permission, PAT revoked, client disabled): ${lags.join(' / ')} ms\n`);
  for (const lag of lags) {
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(limitMs);
  }
}

describePostgresOnly('Revocations as events between instances: LISTEN/NOTIFY, the log poll (separate processes)', () => {
  let cluster: Cluster;

  afterEach(() => cluster?.stop());

  it('carries a logout, a disable and a role change at once by NOTIFY, however long REVOCATION_MAX_LAG is', async () => {
    cluster = await startCluster(2, { REVOCATION_MAX_LAG: '60', LOGIN_IP_MAX_FAILURES: '100000' });
    const [a, b] = cluster.urls;
    await expectRevocationsReach(a, b, 1000, 'by NOTIFY, REVOCATION_MAX_LAG=60');
    await expectCredentialChangesReach(a, b, 1000, 'by NOTIFY, REVOCATION_MAX_LAG=60');
  }, 120_000);

  it('loses no revocation while the LISTEN connection is down: the poll catches it within REVOCATION_MAX_LAG', async () => {
    cluster = await startCluster(2, { REVOCATION_MAX_LAG: '2', LOGIN_IP_MAX_FAILURES: '100000' });
    const [a, b] = cluster.urls;
    const tokens = await loginAt(a);
    expect((await call(b, 'GET', '/authenticate/me', { token: tokens.access_token })).status).toBe(200);
    // Keep killing the listeners' connections (they reconnect within a second) for 4 s.
    let killing = true;
    let killed = 0;
    const killer = (async () => {
      while (killing) {
        const rows = await cluster.query<{ ok: boolean }>(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
          ['gatehouse-revocations'],
        );
        killed += rows.length;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(killed).toBeGreaterThan(0);
      expect((await call(a, 'POST', '/authenticate/logout', { token: tokens.access_token })).status).toBe(204);
      const lag = await millisecondsUntil401(() => call(b, 'GET', '/authenticate/me', { token: tokens.access_token }), 3500, 20);
      process.stdout.write(
        `revocation lag with the LISTEN connection down: ${lag} ms (REVOCATION_MAX_LAG=2 s, ${killed} connections killed)\n`,
      );
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThanOrEqual(2000 + 250);
    } finally {
      killing = false;
      await killer;
    }
    // Restored: events travel at once again.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const again = await loginAt(a);
    expect((await call(b, 'GET', '/authenticate/me', { token: again.access_token })).status).toBe(200);
    expect((await call(a, 'POST', '/authenticate/logout', { token: again.access_token })).status).toBe(204);
    expect(await millisecondsUntil401(() => call(b, 'GET', '/authenticate/me', { token: again.access_token }), 1000, 10)).toBeLessThan(
      1000,
    );
  }, 120_000);
});

describePostgresOnly('Two instances within the reuse grace (separate processes)', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(2, { REFRESH_REUSE_GRACE: '10', LOGIN_IP_MAX_FAILURES: '100000' });
  }, 120_000);
  afterAll(() => cluster?.stop());

  it('hands both racing instances the same successor', async () => {
    const [c, d] = cluster.urls;
    for (let round = 0; round < 20; round++) {
      const { refresh_token } = await loginAt(c);
      const results = await Promise.all([c, d].map((url) => call(url, 'POST', '/authenticate/refresh', { body: { refresh_token } })));
      expect(results.map((res) => res.status)).toEqual([200, 200]);
      expect(results[0].body.refresh_token).toBe(results[1].body.refresh_token);
      expect(await successorCount(cluster, refresh_token)).toBe(1);
    }
  });
});

describeRedis('Two instances sharing Redis (separate processes)', () => {
  let cluster: Cluster;
  let c: string;
  let d: string;

  beforeAll(async () => {
    // A long cache lifetime: only the published revocation can make the other instance notice quickly.
    cluster = await startCluster(2, {
      REVOCATION_MAX_LAG: '60',
      REDIS_URL: redisUrl!,
      LOGIN_MAX_FAILURES: '3',
      LOGIN_IP_MAX_FAILURES: '100000',
    });
    [c, d] = cluster.urls;
  }, 120_000);
  afterAll(() => cluster?.stop());

  async function createUser(): Promise<{ username: string; password: string; id: string }> {
    const admin = await loginAt(c);
    const username = `shared-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    const password = `password-${Math.random().toString(36).slice(2)}`;
    const res = await call(c, 'POST', '/api/v1/users', { token: admin.access_token, body: { username, password } });
    expect(res.status).toBe(201);
    return { username, password, id: res.body.id };
  }

  it('shares failed-login counters: failures on one instance lock the username on the other', async () => {
    const user = await createUser();
    for (const url of [c, d, c]) {
      expect((await call(url, 'POST', '/authenticate/login', { credentials: [user.username, 'wrong-password-x'] })).status).toBe(401);
    }
    expect((await call(d, 'POST', '/authenticate/login', { credentials: [user.username, user.password] })).status).toBe(401);
  });

  it('verifies at most LOGIN_MAX_FAILURES of a burst split over both instances', async () => {
    const user = await createUser();
    const burst = Array.from({ length: 24 }, (_, i) =>
      call(i % 2 ? c : d, 'POST', '/authenticate/login', { credentials: [user.username, 'wrong-password-x'] }),
    );
    const right = call(d, 'POST', '/authenticate/login', { credentials: [user.username, user.password] });
    const results = await Promise.all([...burst, right]);
    expect(results.map((res) => res.status)).toEqual(Array(25).fill(401));
    const verified = await cluster.query(
      `SELECT 1 FROM audit_events WHERE type = 'login.failure' AND user_id = $1 AND details LIKE '%wrong password%'`,
      [user.id],
    );
    expect(verified).toHaveLength(3);
    const locks = await cluster.query(`SELECT 1 FROM audit_events WHERE type = 'login.locked' AND user_id = $1`, [user.id]);
    expect(locks).toHaveLength(1);
  });

  it('drops the revoked session on the other instance at once', async () => {
    const tokens = await loginAt(c);
    expect((await call(d, 'GET', '/authenticate/me', { token: tokens.access_token })).status).toBe(200);
    expect((await call(c, 'POST', '/authenticate/logout', { token: tokens.access_token })).status).toBe(204);
    const lag = await millisecondsUntil401(() => call(d, 'GET', '/authenticate/me', { token: tokens.access_token }), 3000, 10);
    process.stdout.write(`cross-instance revocation lag with Redis: ${lag} ms\n`);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(1000);
  });

  it('carries a logout, a disable and a role change at once with Redis too', async () => {
    await expectRevocationsReach(c, d, 1000, 'with Redis, REVOCATION_MAX_LAG=60');
    await expectCredentialChangesReach(c, d, 1000, 'with Redis, REVOCATION_MAX_LAG=60');
  });
});
