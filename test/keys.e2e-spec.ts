import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { TestApp, createTestApp, startApp } from './support/test-app';
import { adminToken, auditEvents, createUser, decodeJwt, expectErrorBody, login } from './support/auth-helpers';
import { call, loginAt, startCluster } from './support/cluster';
import { processEntry } from './support/server-process';
import { describeE2E, describePostgresOnly, testAlgorithm, testDbKind } from './support/test-database';

/** The key-pair algorithm these suites exercise: the project's, or EdDSA in the HS512 projects. */
const PAIR_ALG = testAlgorithm() === 'HS512' ? 'EdDSA' : testAlgorithm();
const PAIR_ENV = { ACCESS_TOKEN_ALG: PAIR_ALG, JWT_ISSUER: 'http://gatehouse.test' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeE2E('Signing keys under HS512', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ACCESS_TOKEN_ALG: 'HS512', JWT_ISSUER: 'gatehouse' });
  });
  afterAll(() => t.close());

  it('publishes no key: the JWKS is {"keys": []} and the secret appears in no response', async () => {
    const jwks = await t.http().get('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.body).toEqual({ keys: [] });
    const keys = await t
      .http()
      .get('/api/v1/keys')
      .auth(await adminToken(t), { type: 'bearer' });
    expect(keys.status).toBe(200);
    expect(keys.body).toEqual([
      { kid: decodeJwt(await adminToken(t)).header.kid, alg: 'HS512', state: 'current', published: false, source: 'generated secret' },
    ]);
    const secret = testDbKind() === 'sqlite' ? readFileSync(join(t.dataDir, 'jwt-secret'), 'utf8').trim() : undefined;
    if (secret) expect(JSON.stringify([jwks.body, keys.body])).not.toContain(secret);
  });

  it('answers the discovery documents with 404 saying why when JWT_ISSUER is not a URL', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const res = await t.http().get(path);
      expect(res.status).toBe(404);
      expectErrorBody(res.body, 404, path);
      expect(res.body.message).toMatch(/JWT_ISSUER is "gatehouse", not a URL/);
    }
  });

  it('refuses a rotation with 409 pointing to JWT_SECRET_PREVIOUS', async () => {
    const res = await t
      .http()
      .post('/api/v1/keys/rotate')
      .auth(await adminToken(t), { type: 'bearer' });
    expect(res.status).toBe(409);
    expectErrorBody(res.body, 409, '/api/v1/keys/rotate');
    expect(res.body.message).toMatch(/JWT_SECRET_PREVIOUS/);
  });

  it('keeps the key routes to admins', async () => {
    const user = await createUser(t);
    const token = (await login(t, user.username, user.password)).access_token;
    expect((await t.http().get('/api/v1/keys')).status).toBe(401);
    expect((await t.http().get('/api/v1/keys').auth(token, { type: 'bearer' })).status).toBe(403);
    expect((await t.http().post('/api/v1/keys/rotate').auth(token, { type: 'bearer' })).status).toBe(403);
  });
});

describeE2E(`Signing key pairs (${PAIR_ALG})`, () => {
  it('generates the key pair on first start (SQLite: a 0600 PEM file in DATA_DIR; PostgreSQL: the database) and keeps it across restarts', async () => {
    const t = await createTestApp(PAIR_ENV);
    try {
      const token = await adminToken(t);
      const { kid, alg } = decodeJwt(token).header;
      expect(alg).toBe(PAIR_ALG);
      const dir = join(t.dataDir, 'signing-keys');
      if (testDbKind() === 'sqlite') {
        const files = readdirSync(dir).filter((name) => name.endsWith('.pem'));
        expect(files).toEqual([`${kid}.pem`]);
        expect(statSync(join(dir, files[0])).mode & 0o777).toBe(0o600);
        expect(readFileSync(join(dir, files[0]), 'utf8')).toMatch(/-----BEGIN PRIVATE KEY-----/);
      } else {
        expect(existsSync(dir)).toBe(false);
        const rows = await t.dataSource().query('SELECT id AS kid, alg FROM signing_keys WHERE private_key IS NOT NULL');
        expect(rows).toEqual([{ kid, alg: PAIR_ALG }]);
      }
      await t.restart();
      expect((await t.http().get('/authenticate/me').auth(token, { type: 'bearer' })).status).toBe(200);
      expect(decodeJwt(await adminToken(t)).header.kid).toBe(kid);
    } finally {
      await t.close();
    }
  });

  it('publishes the public key only, with kid, alg and use, cacheable no longer than KEY_PUBLISH_DELAY', async () => {
    const t = await createTestApp({ ...PAIR_ENV, KEY_PUBLISH_DELAY: '120' });
    try {
      const token = await adminToken(t);
      const res = await t.http().get('/.well-known/jwks.json');
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=60');
      expect(res.body.keys).toHaveLength(1);
      const [jwk] = res.body.keys;
      expect(jwk).toMatchObject({ kid: decodeJwt(token).header.kid, alg: PAIR_ALG, use: 'sig' });
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(jwk).not.toHaveProperty(secret);
      // What a verifier does with it: jose checks a Gatehouse token against the published set.
      const { payload } = await jwtVerify(token, createLocalJWKSet(res.body), { issuer: 'http://gatehouse.test', audience: 'gatehouse' });
      expect(payload.preferred_username).toBe('admin');
      const keys = await t.http().get('/api/v1/keys').auth(token, { type: 'bearer' });
      expect(keys.body).toEqual([
        {
          kid: jwk.kid,
          alg: PAIR_ALG,
          state: 'current',
          published: true,
          source: 'generated',
          createdAt: expect.any(String),
          activatesAt: expect.any(String),
        },
      ]);
      expect(JSON.stringify(keys.body)).not.toMatch(/PRIVATE KEY|"d":/);
    } finally {
      await t.close();
    }
  });

  it('rotates without logging anyone out: the new key is published first, signs after KEY_PUBLISH_DELAY, and the old one stays until its tokens expire', async () => {
    const t = await createTestApp({ ...PAIR_ENV, KEY_PUBLISH_DELAY: '2' });
    try {
      const before = await login(t);
      const oldKid = decodeJwt(before.access_token).header.kid;
      const rotated = await t.http().post('/api/v1/keys/rotate').auth(before.access_token, { type: 'bearer' });
      expect(rotated.status).toBe(201);
      expect(rotated.body).toMatchObject({ alg: PAIR_ALG, state: 'next', published: true, source: 'generated' });
      const newKid = rotated.body.kid as string;
      expect(newKid).not.toBe(oldKid);
      expect(Date.parse(rotated.body.activatesAt) - Date.parse(rotated.body.createdAt)).toBe(2000);
      // Published at once, not signing yet; a second rotation waits for this one.
      expect((await t.http().get('/.well-known/jwks.json')).body.keys.map((key: { kid: string }) => key.kid)).toEqual([oldKid, newKid]);
      expect(decodeJwt(await adminToken(t)).header.kid).toBe(oldKid);
      const again = await t.http().post('/api/v1/keys/rotate').auth(before.access_token, { type: 'bearer' });
      expect(again.status).toBe(409);
      expect(again.body.message).toMatch(/already published/);

      await sleep(2100);
      const after = await login(t);
      expect(decodeJwt(after.access_token).header.kid).toBe(newKid);
      // Nobody is logged out: the old key's token still works, and so does its refresh token.
      expect((await t.http().get('/authenticate/me').auth(before.access_token, { type: 'bearer' })).status).toBe(200);
      expect((await t.http().post('/authenticate/refresh').send({ refresh_token: before.refresh_token })).status).toBe(200);
      const keys = (await t.http().get('/api/v1/keys').auth(after.access_token, { type: 'bearer' })).body as Record<string, string>[];
      expect(keys.map(({ kid, state }) => ({ kid, state }))).toEqual([
        { kid: oldKid, state: 'retiring' },
        { kid: newKid, state: 'current' },
      ]);
      // Retired once every token it signed has expired (the longest TTL, the tolerance and a reload later).
      expect(Date.parse(keys[0].retiresAt)).toBeGreaterThanOrEqual(Date.parse(keys[1].activatesAt) + 300_000);
      expect((await t.http().get('/.well-known/jwks.json')).body.keys).toHaveLength(2);

      const events = await auditEvents(t, 'key.rotated');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ actorId: decodeJwt(before.access_token).payload.sub, details: { kid: newKid, alg: PAIR_ALG } });
    } finally {
      await t.close();
    }
  });

  it('signs with SIGNING_KEY_FILE when given (its thumbprint as kid) and refuses to rotate it', async () => {
    const t = await createTestApp(PAIR_ENV);
    try {
      const file = join(t.dataDir, 'provided-key.pem');
      const { privateKey } =
        PAIR_ALG === 'EdDSA'
          ? generateKeyPairSync('ed25519')
          : PAIR_ALG === 'ES256'
            ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
            : generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
      await t.restart({ SIGNING_KEY_FILE: file });
      const token = await adminToken(t);
      const jwks = (await t.http().get('/.well-known/jwks.json')).body;
      expect(jwks.keys).toHaveLength(1);
      expect(decodeJwt(token).header.kid).toBe(jwks.keys[0].kid);
      await jwtVerify(token, createLocalJWKSet(jwks), { issuer: 'http://gatehouse.test' });
      const res = await t.http().post('/api/v1/keys/rotate').auth(token, { type: 'bearer' });
      expect(res.status).toBe(409);
      expect(res.body.message).toMatch(/SIGNING_KEY_FILE/);
    } finally {
      await t.close();
    }
  });

  it('refuses to start with a key-pair algorithm and an issuer that is not a URL, saying so', async () => {
    await expect(startApp({ DATABASE_URL: 'sqlite::memory:', ACCESS_TOKEN_ALG: PAIR_ALG, JWT_ISSUER: 'gatehouse' })).rejects.toThrow(
      /JWT_ISSUER.*URL/,
    );
  });

  it('refuses a SIGNING_KEY_FILE that does not hold a key of the configured algorithm', async () => {
    const t = await createTestApp(PAIR_ENV);
    try {
      const file = join(t.dataDir, 'wrong-key.pem');
      const { privateKey } = PAIR_ALG === 'EdDSA' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
      writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
      await expect(t.restart({ SIGNING_KEY_FILE: file })).rejects.toThrow(/SIGNING_KEY_FILE/);
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});

describePostgresOnly('Signing key pairs shared by instances', () => {
  it('two instances (separate processes) publish the same keys, verify each other’s tokens, and pick up a rotation made on the other', async () => {
    const cluster = await startCluster(2, { ...PAIR_ENV, JWT_ISSUER: 'http://gatehouse.test', KEY_PUBLISH_DELAY: '3', LOG_LEVEL: 'warn' });
    try {
      const [a, b] = cluster.urls;
      const jwksOf = async (url: string) =>
        ((await call(url, 'GET', '/.well-known/jwks.json')).body.keys as { kid: string }[]).map((k) => k.kid);
      expect(await jwksOf(a)).toEqual(await jwksOf(b));
      expect(await jwksOf(a)).toHaveLength(1);
      const fromA = await loginAt(a);
      expect((await call(b, 'GET', '/authenticate/me', { token: fromA.access_token })).status).toBe(200);

      const rotated = await call(a, 'POST', '/api/v1/keys/rotate', { token: fromA.access_token });
      expect(rotated.status).toBe(201);
      // The other instance refuses a second rotation (the pending key is in the shared store)…
      expect((await call(b, 'POST', '/api/v1/keys/rotate', { token: fromA.access_token })).status).toBe(409);
      // …publishes the new key within its reload period (a quarter of the delay, at least 5 s)…
      const deadline = Date.now() + 8000;
      while (!(await jwksOf(b)).includes(rotated.body.kid) && Date.now() < deadline) await sleep(250);
      expect(await jwksOf(b)).toContain(rotated.body.kid);
      // …and once the key signs, each instance verifies the other's tokens, old and new.
      await sleep(Math.max(0, Date.parse(rotated.body.activatesAt) - Date.now() + 200));
      const fromB = await loginAt(b);
      expect(decodeJwt(fromB.access_token).header.kid).toBe(rotated.body.kid);
      expect((await call(a, 'GET', '/authenticate/me', { token: fromB.access_token })).status).toBe(200);
      expect((await call(b, 'GET', '/authenticate/me', { token: fromA.access_token })).status).toBe(200);
      const [row] = await cluster.query<{ count: string }>('SELECT count(*) AS count FROM signing_keys WHERE private_key IS NOT NULL');
      expect(Number(row.count)).toBe(2);
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});

describeE2E('gatehouse keys (the command line)', () => {
  const cli = (t: TestApp, args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [processEntry('cli'), ...args], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: t.dataDir,
        DATABASE_URL: t.databaseUrl,
        ADMIN_PASSWORD: 'admin-password-for-tests',
        ...env,
      },
    });

  it('lists and rotates the keys of a running deployment, audited as done at the command line', async () => {
    const env = { ...PAIR_ENV, KEY_PUBLISH_DELAY: '60' };
    const t = await createTestApp(env);
    try {
      const kid = decodeJwt(await adminToken(t)).header.kid;
      const rotated = cli(t, ['keys', 'rotate'], env);
      expect({ status: rotated.status, stderr: rotated.stderr }).toEqual({
        status: 0,
        stderr: expect.stringMatching(/New key \S+ published/),
      });
      const key = JSON.parse(rotated.stdout);
      expect(key).toMatchObject({ alg: PAIR_ALG, state: 'next', published: true });
      const again = cli(t, ['keys', 'rotate'], env);
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/Refused: .*already published/);
      const list = cli(t, ['keys', 'list'], env);
      expect(list.status).toBe(0);
      expect(JSON.parse(list.stdout).map((k: { kid: string; state: string }) => [k.kid, k.state])).toEqual([
        [kid, 'current'],
        [key.kid, 'next'],
      ]);
      expect(list.stdout).not.toMatch(/PRIVATE KEY/);
      // The running server publishes it (here after a restart; a live one within its reload period).
      await t.restart();
      expect((await t.http().get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid)).toEqual([kid, key.kid]);
      const [event] = await auditEvents(t, 'key.rotated');
      expect(event).toMatchObject({ actorId: null, details: { kid: key.kid, via: 'cli' } });
    } finally {
      await t.close();
    }
  }, 90_000);

  it('refuses under HS512 (exit 1, saying how to rotate the secret) and answers bad usage with exit 2', async () => {
    const env = { ACCESS_TOKEN_ALG: 'HS512', JWT_ISSUER: 'gatehouse' };
    const t = await createTestApp(env);
    try {
      const refused = cli(t, ['keys', 'rotate'], env);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/JWT_SECRET_PREVIOUS/);
      const usage = cli(t, ['keys', 'shred'], env);
      expect(usage.status).toBe(2);
      expect(usage.stderr).toMatch(/Usage: gatehouse/);
    } finally {
      await t.close();
    }
  }, 90_000);
});
