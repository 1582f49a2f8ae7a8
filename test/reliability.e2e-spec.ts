import BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { Server, Socket, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import request from 'supertest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ADMIN, startApp } from './support/test-app';
import { basic, expectErrorBody } from './support/auth-helpers';
import { ServerProcess, freePort, startServerProcess } from './support/server-process';
import { TestDatabase, createPostgresDatabase, describeE2E, describePostgresOnly, testDbKind } from './support/test-database';

const authorization = basic(ADMIN.username, ADMIN.password);

const json = async (response: Promise<Response> | Response): Promise<any> => (await response).json();

/** A fresh database for a server process: a SQLite file in `dataDir`, or a new PostgreSQL database. */
async function databaseFor(dataDir: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (testDbKind() === 'postgres') return createPostgresDatabase();
  return { url: `sqlite:${join(dataDir, 'gatehouse.sqlite')}`, drop: async () => undefined };
}

describeE2E('Reliability of a server process', () => {
  let dataDir: string;
  let database: { url: string; drop(): Promise<void> };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-process-'));
    database = await databaseFor(dataDir);
  });
  afterEach(async () => {
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ DATA_DIR: dataDir, DATABASE_URL: database.url, ADMIN_PASSWORD: ADMIN.password, LOGIN_IP_MAX_FAILURES: '100000' });

  it('finishes in-flight requests on SIGTERM, then refuses new connections and exits', async () => {
    const server = await startServerProcess(env(), await freePort());
    // Open the connections first, so that the logins below are on sockets the server has accepted.
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const send = (method: string, path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${server.url}${path}`, { method, agent, headers: { authorization } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    await Promise.all(Array.from({ length: 16 }, () => send('GET', '/health/live')));
    const inFlight = Array.from({ length: 16 }, () => send('POST', '/authenticate/login'));
    // Sixteen argon2 verifications on four hashing threads take ~80 ms: most are still running.
    await new Promise((resolve) => setTimeout(resolve, 30));
    server.child.kill('SIGTERM');
    expect(await Promise.all(inFlight)).toEqual(Array(16).fill(200));
    // Nest re-raises the signal once it has drained (exit status 143), as a process manager expects.
    expect([0, 'SIGTERM']).toContain(await server.exited);
    agent.destroy();
    await expect(fetch(`${server.url}/health/live`)).rejects.toThrow();
  }, 90_000);

  it('loses no acknowledged write and leaves no half-written session when killed with SIGKILL mid-burst', async () => {
    const port = await freePort();
    // No reuse grace, so nothing below depends on how soon the server is back: a token that was spent
    // is never presented again.
    const processEnv = { ...env(), REFRESH_REUSE_GRACE: '0' };
    let server: ServerProcess = await startServerProcess(processEnv, port);
    const login = await json(fetch(`${server.url}/authenticate/login`, { method: 'POST', headers: { authorization } }));
    const admin = login.token.access_token as string;
    const refreshTokens: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await json(fetch(`${server.url}/authenticate/login`, { method: 'POST', headers: { authorization } }));
      refreshTokens.push(res.token.refresh_token);
    }

    const created: string[] = [];
    let renewals = 0;
    let stop = false;
    const createLoop = async (worker: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`${server.url}/api/v1/users`, {
            method: 'POST',
            headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
            body: JSON.stringify({ username: `burst-${worker}-${i}`, password: 'burst-password-123' }),
          });
          if (res.status === 201) created.push(`burst-${worker}-${i}`);
        } catch {
          return;
        }
      }
    };
    const refreshLoop = async (index: number) => {
      while (!stop) {
        try {
          const res = await fetch(`${server.url}/authenticate/refresh`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ refresh_token: refreshTokens[index] }),
          });
          if (res.status !== 200) return;
          refreshTokens[index] = (await json(res)).refresh_token;
          renewals++;
        } catch {
          return;
        }
      }
    };
    const loops = [0, 1, 2].map(createLoop).concat(refreshTokens.map((_token, index) => refreshLoop(index)));
    await new Promise((resolve) => setTimeout(resolve, 700));
    server.child.kill('SIGKILL');
    stop = true;
    await Promise.all(loops);
    await server.exited;
    expect(created.length).toBeGreaterThan(0);
    expect(renewals).toBeGreaterThan(0);

    // The database as the killed process left it (read before anything else touches it).
    const db = await openDatabase(database.url);
    try {
      const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
      const tokens = await db.query<{ session_id: string; token_hash: string; spent: number }>(
        'SELECT session_id, token_hash, CASE WHEN spent_at IS NULL THEN 0 ELSE 1 END AS spent FROM refresh_tokens',
      );
      const sessions = await db.query<{ id: string; revoked: number }>(
        'SELECT id, CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END AS revoked FROM sessions',
      );
      const names = new Set((await db.query<{ username: string }>('SELECT username FROM users')).map((row) => row.username));
      // Every acknowledged user creation is there.
      for (const name of created) expect(names).toContain(name);
      // No half-written session: every session has its chain, every chain its session, and a live
      // session exactly one unspent token (a rotation is all there or not at all).
      const sessionIds = new Set(sessions.map((row) => row.id));
      for (const token of tokens) expect(sessionIds).toContain(token.session_id);
      for (const session of sessions) {
        const chain = tokens.filter((token) => token.session_id === session.id);
        expect(chain.length).toBeGreaterThan(0);
        expect(Number(session.revoked)).toBe(0);
        expect(chain.filter((token) => Number(token.spent) === 0)).toHaveLength(1);
      }
      // Every refresh token a client received is there: live, or spent by a rotation whose answer
      // the kill swallowed (its successor is then the session's one live token, checked above).
      for (const token of refreshTokens) {
        const row = tokens.find((candidate) => candidate.token_hash === hashOf(token));
        expect(row).toBeDefined();
      }
    } finally {
      await db.close();
    }

    server = await startServerProcess(processEnv, port);
    try {
      // The tokens the database holds as live work; the spent ones are not presented (reuse).
      const liveHashes = new Set(
        (
          await withDatabase(database.url, (db) =>
            db.query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens WHERE spent_at IS NULL'),
          )
        ).map((row) => row.token_hash),
      );
      for (const refreshToken of refreshTokens) {
        if (!liveHashes.has(createHash('sha256').update(refreshToken).digest('hex'))) continue;
        const res = await fetch(`${server.url}/authenticate/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token: refreshToken }),
        });
        expect(res.status).toBe(200);
      }
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 120_000);
});

interface Db {
  query<T>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

/** Opens the server's database directly (SQLite file or PostgreSQL), to look at what it wrote. */
async function openDatabase(url: string): Promise<Db> {
  if (url.startsWith('sqlite:')) {
    const sqlite = new BetterSqlite3(url.slice('sqlite:'.length), { readonly: true });
    return { query: async <T>(sql: string) => sqlite.prepare(sql).all() as T[], close: async () => void sqlite.close() };
  }
  const client = new PgClient({ connectionString: url });
  await client.connect();
  return { query: async <T>(sql: string) => (await client.query(sql)).rows as T[], close: () => client.end() };
}

async function withDatabase<T>(url: string, work: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase(url);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** A TCP proxy in front of PostgreSQL that the test can cut and restore, like a network outage. */
class CuttableProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

describePostgresOnly('Database outage', () => {
  let db: TestDatabase;
  let proxy: CuttableProxy;
  let app: NestFastifyApplication;
  let dataDir: string;

  beforeAll(async () => {
    db = await createPostgresDatabase();
    const real = new URL(db.url);
    const port = await freePort();
    proxy = new CuttableProxy(port, { host: real.hostname, port: Number(real.port || 5432) });
    await proxy.up();
    const proxied = new URL(db.url);
    proxied.port = String(port);
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-outage-'));
    app = await startApp({ DATA_DIR: dataDir, DATABASE_URL: proxied.toString(), ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'fatal' });
  });
  afterAll(async () => {
    await app.close();
    await proxy.down();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 in the error format while the database is unreachable, and recovers when it returns', async () => {
    const http = () => request(app.getHttpServer());
    const before = await http().post('/authenticate/login').set('Authorization', authorization);
    expect(before.status).toBe(200);
    const token = before.body.token.access_token as string;

    await proxy.down();
    const health = await http().get('/health');
    expect(health.status).toBe(503);
    expectErrorBody(health.body, 503, '/health');
    for (const res of [
      await http().post('/authenticate/login').set('Authorization', authorization),
      await http().get('/api/v1/users').auth(token, { type: 'bearer' }),
      await http().post('/authenticate/refresh').send({ refresh_token: before.body.token.refresh_token }),
    ]) {
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/database is unavailable/);
    }
    expect((await http().get('/health/live')).status).toBe(200);

    await proxy.up();
    let healthy = 0;
    for (let i = 0; i < 50 && healthy !== 200; i++) {
      healthy = (await http().get('/health')).status;
      if (healthy !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(healthy).toBe(200);
    expect((await http().post('/authenticate/login').set('Authorization', authorization)).status).toBe(200);
    expect((await http().get('/api/v1/users').auth(token, { type: 'bearer' })).status).toBe(200);
  }, 60_000);
});
