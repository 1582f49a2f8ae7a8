import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { ADMIN, TestApp, createTestApp, startApp } from './support/test-app';
import { freePort } from './support/server-process';
import { TcpProxy } from './support/tcp-proxy';
import { TestDatabase, createPostgresDatabase, describeE2E, describePostgresOnly } from './support/test-database';

const redisUrl = process.env.REDIS_URL;

/** The 503 of /health/ready: the one error body plus the state of every dependency. */
function expectNotReady(res: request.Response, checks: Record<string, string>, message: RegExp): void {
  expect(res.status).toBe(503);
  expect(res.body).toEqual({
    timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    status: 503,
    error: 'not_ready',
    code: 'not_ready',
    message: expect.stringMatching(message),
    path: '/health/ready',
    checks,
  });
}

describeE2E('Health endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(redisUrl ? { REDIS_URL: redisUrl } : {});
  });
  afterAll(() => t.close());

  it('reports ready with the state of every dependency', async () => {
    const res = await t.http().get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'up', migrations: 'up', redis: redisUrl ? 'up' : 'disabled' } });
  });

  it('reports started once start-up is over (the first administrator exists)', async () => {
    const res = await t.http().get('/health/started');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect((await t.http().post('/authenticate/login').auth(ADMIN.username, ADMIN.password)).status).toBe(200);
  });

  it('answers 503 on /health/started until the listener opens after start-up, then 200', async () => {
    // Initialised (every start-up hook ran) but not yet listening: what a probe could meet if the
    // listener ever opened early. Fastify's inject reaches the routes without a listener.
    const other = await startOwnApp({ DATABASE_URL: t.databaseUrl });
    try {
      const before = await other.app.inject({ method: 'GET', url: '/health/started' });
      expect(before.statusCode).toBe(503);
      expect(before.json()).toMatchObject({ status: 503, message: 'Still starting', path: '/health/started' });
      await other.app.listen(0, '127.0.0.1');
      const after = await other.app.inject({ method: 'GET', url: '/health/started' });
      expect(after.statusCode).toBe(200);
      expect(after.json()).toEqual({ status: 'ok' });
    } finally {
      await other.close();
    }
  });

  it('keeps /health and /health/live as they were', async () => {
    expect((await t.http().get('/health')).body).toEqual({ status: 'ok', database: 'up' });
    expect((await t.http().get('/health/live')).body).toEqual({ status: 'ok' });
  });

  it('answers 503 naming the migrations while one of this build is not applied, and 200 again once it is', async () => {
    const [last] = await t.dataSource().query(`SELECT id, timestamp, name FROM migrations ORDER BY timestamp DESC LIMIT 1`);
    await t.dataSource().query(`DELETE FROM migrations WHERE id = ${Number(last.id)}`);
    try {
      const res = await t.http().get('/health/ready');
      expectNotReady(
        res,
        { database: 'up', migrations: 'pending', redis: redisUrl ? 'up' : 'disabled' },
        /^Not ready: 1 migration pending$/,
      );
      expect(JSON.stringify(res.body)).not.toContain(last.name);
    } finally {
      await t
        .dataSource()
        .query(
          `INSERT INTO migrations (id, timestamp, name) VALUES (${Number(last.id)}, ${Number(last.timestamp)}, '${String(last.name)}')`,
        );
    }
    expect((await t.http().get('/health/ready')).status).toBe(200);
  });

  it('is documented in the OpenAPI description as public routes', async () => {
    const doc = (await t.http().get('/docs-json')).body as { paths: Record<string, { get: { responses: Record<string, unknown> } }> };
    for (const path of ['/health/ready', '/health/started']) {
      expect(Object.keys(doc.paths[path].get.responses)).toEqual(expect.arrayContaining(['200', '503']));
    }
  });

  describe('with Redis unreachable', () => {
    let other: OwnApp;
    beforeAll(async () => {
      other = await startOwnApp({ DATABASE_URL: t.databaseUrl, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    });
    afterAll(() => other.close());

    it('answers 503 naming Redis when REDIS_URL points at a closed port, and stays live', async () => {
      const started = Date.now();
      const res = await other.http().get('/health/ready');
      expectNotReady(res, { database: 'up', migrations: 'up', redis: 'down' }, /^Not ready: redis down$/);
      expect(Date.now() - started).toBeLessThan(2500);
      expect((await other.http().get('/health/live')).status).toBe(200);
      expect((await other.http().get('/health')).status).toBe(200);
    });
  });

  (redisUrl ? describe : describe.skip)(
    `with Redis that stops answering${redisUrl ? '' : ' [skipped: Redis (REDIS_URL=redis://…) is missing]'}`,
    () => {
      let redis: Proxied;
      let other: OwnApp;
      beforeAll(async () => {
        redis = await proxied(redisUrl!, 6379);
        other = await startOwnApp({ DATABASE_URL: t.databaseUrl, REDIS_URL: redis.url });
      });
      afterAll(async () => {
        await redis.proxy.down();
        await other.close();
      });

      it('answers 503 within its time limit, naming Redis, while Redis hangs', async () => {
        await expectQuick503sWhileFrozen(
          other,
          redis.proxy,
          { database: 'up', migrations: 'up', redis: 'down' },
          /^Not ready: redis down$/,
        );
      }, 30_000);
    },
  );
});

describePostgresOnly('Health with a database that stops answering', () => {
  let db: TestDatabase;
  let database: Proxied;
  let other: OwnApp;

  beforeAll(async () => {
    db = await createPostgresDatabase();
    database = await proxied(db.url, 5432);
    other = await startOwnApp({ DATABASE_URL: database.url });
  });
  afterAll(async () => {
    await database.proxy.down();
    await other.close().catch(() => undefined);
    await db.drop();
  });

  it('answers 503 within its time limit, naming the database, while queries hang', async () => {
    await expectQuick503sWhileFrozen(
      other,
      database.proxy,
      { database: 'down', migrations: 'unknown', redis: 'disabled' },
      /^Not ready: database down$/,
    );
    expect((await other.http().get('/health/live')).status).toBe(200);
  }, 30_000);
});

interface OwnApp {
  app: NestFastifyApplication;
  http(): request.Agent;
  close(): Promise<void>;
}

/** Another app in this process, with its own data directory, on the database and Redis `env` names. */
async function startOwnApp(env: Record<string, string>): Promise<OwnApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-health-'));
  const app = await startApp({ DATA_DIR: dataDir, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'fatal', ...env });
  return {
    app,
    http: () => request.agent(app.getHttpServer()),
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Proxied {
  proxy: TcpProxy;
  /** `url` with the proxy's port. */
  url: string;
}

async function proxied(url: string, defaultPort: number): Promise<Proxied> {
  const real = new URL(url);
  const proxy = new TcpProxy({ host: real.hostname, port: Number(real.port || defaultPort) });
  const through = new URL(url);
  through.port = String(await proxy.up());
  return { proxy, url: through.toString() };
}

/** Ready, then — once the proxy stops forwarding — 503s that each come within the check's time limit. */
async function expectQuick503sWhileFrozen(app: OwnApp, proxy: TcpProxy, checks: Record<string, string>, message: RegExp): Promise<void> {
  expect((await app.http().get('/health/ready')).status).toBe(200);
  proxy.freeze();
  for (let i = 0; i < 3; i++) {
    const started = Date.now();
    expectNotReady(await app.http().get('/health/ready'), checks, message);
    expect(Date.now() - started).toBeLessThan(3000);
  }
}
