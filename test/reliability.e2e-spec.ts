import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { Server, Socket, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    let server: ServerProcess = await startServerProcess(env(), port);
    const login = await json(fetch(`${server.url}/authenticate/login`, { method: 'POST', headers: { authorization } }));
    const admin = login.token.access_token as string;
    const refreshTokens: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await json(fetch(`${server.url}/authenticate/login`, { method: 'POST', headers: { authorization } }));
      refreshTokens.push(res.token.refresh_token);
    }

    const created: string[] = [];
    const renewed: string[] = [];
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
          renewed.push(refreshTokens[index]);
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
    expect(renewed.length).toBeGreaterThan(0);

    server = await startServerProcess(env(), port);
    try {
      const token = (await json(fetch(`${server.url}/authenticate/login`, { method: 'POST', headers: { authorization } }))).token.access_token;
      const users = await json(fetch(`${server.url}/api/v1/users?limit=100&page=1`, { headers: { authorization: `Bearer ${token}` } }));
      const pages = Math.ceil(users.total / 100);
      const names = new Set<string>();
      for (let page = 1; page <= pages; page++) {
        const res = await json(fetch(`${server.url}/api/v1/users?limit=100&page=${page}`, { headers: { authorization: `Bearer ${token}` } }));
        for (const user of res.items) names.add(user.username);
      }
      for (const name of created) expect(names).toContain(name);
      // Every refresh token a client received still works (its row was committed with its session).
      for (const refreshToken of refreshTokens) {
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

describePostgresOnly(
  'Database outage',
  () => {
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
  },
);
