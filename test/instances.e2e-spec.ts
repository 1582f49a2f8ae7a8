import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { RefreshToken } from '../src/auth/entities/refresh-token.entity';
import { hashToken } from '../src/auth/refresh-token.service';
import { TestApp, createTestApp } from './support/test-app';
import { basic, createUser, login } from './support/auth-helpers';
import { describePostgresOnly } from './support/test-database';

/**
 * Two instances on one PostgreSQL database (and Redis when REDIS_URL is set) behave as one. Each
 * instance has its own data directory, cache and connection pool, as on two hosts.
 */
const redisUrl = process.env.REDIS_URL;

/** Milliseconds until `probe` answers 401 (polling every `everyMs`), or -1 if it never does within `limitMs`. */
async function millisecondsUntil401(probe: () => Promise<{ status: number }>, limitMs: number, everyMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    if ((await probe()).status === 401) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return -1;
}

/** How many refresh tokens were issued in the session of `token` after it (exactly one when it rotated once). */
async function successorCount(t: TestApp, token: string): Promise<number> {
  const tokens = t.dataSource().getRepository(RefreshToken);
  const { sessionId } = await tokens.findOneByOrFail({ tokenHash: hashToken(token) });
  return (await tokens.countBy({ sessionId })) - 1;
}

describePostgresOnly('Several instances on one database', () => {
  let a: TestApp;
  let b: NestFastifyApplication;
  const http = (app: NestFastifyApplication) => request(app.getHttpServer());

  beforeAll(async () => {
    a = await createTestApp({ REVOCATION_MAX_LAG: '2', REFRESH_REUSE_GRACE: '0' });
    b = await a.sibling();
  });
  afterAll(() => a.close());

  it('accepts on one instance the tokens issued by the other (same shared key, no JWT_SECRET)', async () => {
    const tokens = await login(a);
    const me = await http(b).get('/authenticate/me').auth(tokens.access_token, { type: 'bearer' });
    expect(me.status).toBe(200);
    expect((await http(b).post('/authenticate/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(200);
  });

  it('rotates a refresh token exactly once when both instances race for it (no grace: the replay ends the session)', async () => {
    for (let round = 0; round < 20; round++) {
      const { refresh_token } = await login(a);
      const results = await Promise.all([
        a.http().post('/authenticate/refresh').send({ refresh_token }),
        http(b).post('/authenticate/refresh').send({ refresh_token }),
      ]);
      expect(results.filter((res) => res.status === 200).length).toBeLessThanOrEqual(1);
      expect(results.filter((res) => res.status === 401).length).toBeGreaterThanOrEqual(1);
      expect(await successorCount(a, refresh_token)).toBe(1);
    }
  });

  it('hands both racing instances the same successor within the reuse grace', async () => {
    const c = await a.sibling({ REFRESH_REUSE_GRACE: '10' });
    const d = await a.sibling({ REFRESH_REUSE_GRACE: '10' });
    for (let round = 0; round < 20; round++) {
      const { refresh_token } = await login(a);
      const results = await Promise.all([http(c).post('/authenticate/refresh').send({ refresh_token }), http(d).post('/authenticate/refresh').send({ refresh_token })]);
      expect(results.map((res) => res.status)).toEqual([200, 200]);
      expect(results[0].body.refresh_token).toBe(results[1].body.refresh_token);
      expect(await successorCount(a, refresh_token)).toBe(1);
    }
  });

  it('honours on one instance a logout made on the other within REVOCATION_MAX_LAG', async () => {
    const tokens = await login(a);
    // Instance B has checked (and cached) the session.
    expect((await http(b).get('/authenticate/me').auth(tokens.access_token, { type: 'bearer' })).status).toBe(200);
    expect((await a.http().post('/authenticate/logout').auth(tokens.access_token, { type: 'bearer' })).status).toBe(204);
    const lag = await millisecondsUntil401(() => http(b).get('/authenticate/me').auth(tokens.access_token, { type: 'bearer' }), 5000, 50);
    const refused = await http(b).get('/authenticate/me').auth(tokens.access_token, { type: 'bearer' });
    expect(refused.body.message).toMatch(/revoked/);
    process.stdout.write(`cross-instance revocation lag without Redis: ${lag} ms (REVOCATION_MAX_LAG=2 s)\n`);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(2000 + 250);
  });

  (redisUrl ? describe : describe.skip)(`with Redis${redisUrl ? '' : ' (skipped: REDIS_URL is not set)'}`, () => {
    let c: TestApp;
    let d: NestFastifyApplication;

    beforeAll(async () => {
      // A long cache lifetime: only the published revocation can make the other instance notice quickly.
      c = await createTestApp({ REVOCATION_MAX_LAG: '60', REDIS_URL: redisUrl!, LOGIN_MAX_FAILURES: '3', LOGIN_IP_MAX_FAILURES: '100000' });
      d = await c.sibling();
    });

    it('shares failed-login counters: failures on one instance lock the username on the other', async () => {
      const user = await createUser(c);
      for (const instance of [c.app, d, c.app]) {
        const res = await http(instance).post('/authenticate/login').set('Authorization', basic(user.username, 'wrong-password-x'));
        expect(res.status).toBe(401);
      }
      expect((await http(d).post('/authenticate/login').set('Authorization', basic(user.username, user.password))).status).toBe(401);
    });
    afterAll(() => c.close());

    it('drops the revoked session on the other instance at once', async () => {
      const tokens = await login(c);
      expect((await http(d).get('/authenticate/me').auth(tokens.access_token, { type: 'bearer' })).status).toBe(200);
      expect((await c.http().post('/authenticate/logout').auth(tokens.access_token, { type: 'bearer' })).status).toBe(204);
      const lag = await millisecondsUntil401(() => http(d).get('/authenticate/me').auth(tokens.access_token, { type: 'bearer' }), 3000, 10);
      process.stdout.write(`cross-instance revocation lag with Redis: ${lag} ms\n`);
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(1000);
    });
  });
});
