import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { basic } from '../support/auth-helpers';
import { processEntry } from '../support/server-process';
import { TcpProxy } from '../support/tcp-proxy';
import { TestDatabase, createPostgresDatabase, postgresBaseUrl } from '../support/test-database';
import { ServerState, serverStates, waitForStates } from './haproxy';
import { Hosts, createHosts, missingForHosts } from './hosts';

/**
 * The deployment of deploy/compose.yaml, natively: HAProxy (Debian's, with deploy/haproxy.cfg as
 * shipped) on one network namespace, two Gatehouse processes on two others, PostgreSQL and Redis on
 * the machine (reached through forwarders on the test's own address). All traffic goes through HAProxy.
 */
const ROOT = join(__dirname, '..', '..');
const BACKEND = 'gatehouse';
const PORT = 3000;
const inCI = /^(true|1)$/i.test(process.env.CI ?? '');
/**
 * The first administrator, named for this run: login counters live in the shared Redis, where other
 * suites running at the same time must not be able to lock this name (nor this one theirs).
 */
const ADMIN = { username: `deploy-${randomBytes(4).toString('hex')}`, password: randomBytes(18).toString('base64url') };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function describeMultiHost(name: string, body: () => void): void {
  const missing =
    missingForHosts() ??
    (postgresBaseUrl() ? undefined : 'PostgreSQL (DATABASE_URL=postgres://…)') ??
    (process.env.REDIS_URL ? undefined : 'Redis (REDIS_URL=redis://…)');
  if (!missing) return describe(name, body);
  if (inCI) {
    describe(name, () => {
      it(`has ${missing}`, () => {
        throw new Error(`${missing} is required in CI (CI=true); it is missing, so the multi-host test cannot run`);
      });
    });
    return;
  }
  process.stdout.write(`skipped: ${missing} is missing (in CI this is a failure)\n`);
  describe.skip(`${name} [skipped: ${missing} is missing]`, body);
}

interface Answer {
  status: number;
  body: any;
  /** The instance that answered (HAProxy's X-Served-By: the server's name in haproxy.cfg). */
  servedBy: string | null;
  requestId: string | null;
}

interface Instance {
  host: string;
  server: string;
  child: ChildProcess;
  output: string;
}

describeMultiHost('Two instances behind HAProxy on separate network namespaces (deploy/)', () => {
  let hosts: Hosts;
  let database: TestDatabase;
  let db: Client;
  const forwarders: TcpProxy[] = [];
  const redisForwarders: Record<string, TcpProxy> = {};
  const dataDirs: string[] = [];
  let haproxy: ChildProcess;
  let haproxyOutput = '';
  let statsSocket: string;
  let frontend: string;
  const instances: Record<string, Instance> = {};
  let instanceEnv: (host: string) => Record<string, string>;

  async function send(method: string, path: string, options: { token?: string; login?: boolean; body?: unknown } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.login) headers.authorization = basic(ADMIN.username, ADMIN.password);
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${frontend}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : undefined,
      servedBy: res.headers.get('x-served-by'),
      requestId: res.headers.get('x-request-id'),
    };
  }

  async function login(): Promise<{ access_token: string; refresh_token: string; servedBy: string | null; requestId: string | null }> {
    const res = await send('POST', '/authenticate/login', { login: true });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { ...res.body.token, servedBy: res.servedBy, requestId: res.requestId };
  }

  /**
   * A refresh as a careful client does it: a 502/503/504 or a broken connection means the request may
   * or may not have reached an instance, so the same token is sent again (within REFRESH_REUSE_GRACE
   * a spent token returns the same successor). Anything else is the answer.
   */
  async function refresh(token: string): Promise<{ answer: Answer; retries: number }> {
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        const answer = await send('POST', '/authenticate/refresh', { body: { refresh_token: token } });
        if (![502, 503, 504].includes(answer.status)) return { answer, retries: attempt };
      } catch {
        // connection reset or timed out: retry
      }
      await sleep(250);
    }
    throw new Error('a refresh kept failing after 8 attempts');
  }

  /** Starts Gatehouse from the sources in its namespace; resolves when it answers /health/ready on its own address. */
  async function startInstance(host: string, server: string): Promise<Instance> {
    const instance: Instance = {
      host,
      server,
      child: hosts.spawnIn(host, process.execPath, [processEntry('main')], {
        cwd: ROOT,
        env: instanceEnv(host),
      }),
      output: '',
    };
    instance.child.stdout?.on('data', (chunk: Buffer) => (instance.output += chunk.toString()));
    instance.child.stderr?.on('data', (chunk: Buffer) => (instance.output += chunk.toString()));
    instances[host] = instance;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (instance.child.exitCode !== null) throw new Error(`${server} exited early:\n${instance.output}`);
      try {
        if ((await fetch(`http://${hosts.address(host)}:${PORT}/health/ready`, { signal: AbortSignal.timeout(2000) })).ok) return instance;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`${server} did not become ready:\n${instance.output}`);
  }

  const isUp = (state?: ServerState) => state?.status === 'UP';
  const isDown = (state?: ServerState) => state?.status === 'DOWN';

  beforeAll(async () => {
    hosts = createHosts(['lb', 'g1', 'g2']);
    database = await createPostgresDatabase();
    db = new Client({ connectionString: database.url });
    await db.connect();
    // PostgreSQL and Redis listen on 127.0.0.1 only; the namespaces reach them on the test's address.
    const forward = async (url: string, defaultPort: number): Promise<{ forwarder: TcpProxy; url: string }> => {
      const target = new URL(url);
      const forwarder = new TcpProxy({ host: target.hostname, port: Number(target.port || defaultPort) }, { host: hosts.hostAddress });
      forwarders.push(forwarder);
      target.hostname = hosts.hostAddress;
      target.port = String(await forwarder.up());
      return { forwarder, url: target.toString() };
    };
    const pgUrl = (await forward(database.url, 5432)).url;
    // One Redis forwarder per instance, so that a test can cut one instance's Redis.
    const redisUrls: Record<string, string> = {};
    for (const host of ['g1', 'g2']) {
      const { forwarder, url } = await forward(process.env.REDIS_URL!, 6379);
      redisForwarders[host] = forwarder;
      redisUrls[host] = url;
    }

    frontend = `http://${hosts.address('lb')}:8080`;
    const jwtSecret = randomBytes(48).toString('base64url');
    const dirs: Record<string, string> = {};
    instanceEnv = (host) => {
      dirs[host] ??= mkdtempSync(join(tmpdir(), `gatehouse-${host}-`));
      if (!dataDirs.includes(dirs[host])) dataDirs.push(dirs[host]);
      return {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        HOST: hosts.address(host),
        PORT: String(PORT),
        DATA_DIR: dirs[host],
        DATABASE_URL: pgUrl,
        REDIS_URL: redisUrls[host],
        // As in production: one secret for all instances, from a secret store (here: generated per run).
        JWT_SECRET: jwtSecret,
        JWT_ISSUER: frontend,
        ADMIN_USERNAME: ADMIN.username,
        ADMIN_PASSWORD: ADMIN.password,
        // Only HAProxy may say who the client is.
        TRUST_PROXY: hosts.address('lb'),
        // Long: a logout reaching the other instance quickly is Redis's (and NOTIFY's) doing, not the poll's.
        REVOCATION_MAX_LAG: '30',
        LOG_LEVEL: 'warn',
      };
    };
    // One after the other: the first runs the migrations on the empty database.
    await startInstance('g1', 'gatehouse-1');
    await startInstance('g2', 'gatehouse-2');

    statsSocket = join(mkdtempSync(join(tmpdir(), 'gatehouse-haproxy-')), 'admin.sock');
    dataDirs.push(join(statsSocket, '..'));
    haproxy = hosts.spawnIn('lb', 'haproxy', ['-db', '-f', join(ROOT, 'deploy', 'haproxy.cfg')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HAPROXY_BIND: `${hosts.address('lb')}:8080`,
        GATEHOUSE_1: `${hosts.address('g1')}:${PORT}`,
        GATEHOUSE_2: `${hosts.address('g2')}:${PORT}`,
        HAPROXY_STATS_SOCKET: statsSocket,
      },
    });
    haproxy.stdout?.on('data', (chunk: Buffer) => (haproxyOutput += chunk.toString()));
    haproxy.stderr?.on('data', (chunk: Buffer) => (haproxyOutput += chunk.toString()));
    await waitForStates(
      statsSocket,
      BACKEND,
      (states) => isUp(states['gatehouse-1']) && isUp(states['gatehouse-2']),
      20_000,
      haproxy,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nHAProxy:\n${haproxyOutput}`);
    });
  }, 150_000);

  afterAll(async () => {
    await db?.end();
    hosts?.destroy();
    for (const forwarder of forwarders) await forwarder.down();
    await database?.drop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('spreads logins and refreshes over both instances, which see the client address HAProxy forwards', async () => {
    const sessions = [];
    for (let i = 0; i < 4; i++) sessions.push(await login());
    expect(new Set(sessions.map((session) => session.servedBy))).toEqual(new Set(['gatehouse-1', 'gatehouse-2']));
    const refreshedBy = new Set<string | null>();
    for (const session of sessions) {
      const { answer } = await refresh(session.refresh_token);
      expect(answer.status).toBe(200);
      refreshedBy.add(answer.servedBy);
    }
    expect(refreshedBy).toEqual(new Set(['gatehouse-1', 'gatehouse-2']));
    // TRUST_PROXY names HAProxy: the audit log has the test's address (X-Forwarded-For), not HAProxy's.
    const rows = await db.query<{ ip: string }>(`SELECT ip FROM audit_events WHERE type = 'login.success' AND request_id = ANY($1)`, [
      sessions.map((session) => session.requestId),
    ]);
    expect(rows.rows.map((row) => row.ip)).toEqual(Array(4).fill(hosts.hostAddress));
  }, 60_000);

  it('honours a logout made through one instance on the other at once (Redis), well within REVOCATION_MAX_LAG', async () => {
    const session = await login();
    // Both instances have checked (and cached) the session.
    const seen = new Set<string | null>();
    for (let i = 0; i < 10 && seen.size < 2; i++) {
      const res = await send('GET', '/authenticate/me', { token: session.access_token });
      expect(res.status).toBe(200);
      seen.add(res.servedBy);
    }
    expect(seen.size).toBe(2);
    const logout = await send('POST', '/authenticate/logout', { token: session.access_token });
    expect(logout.status).toBe(204);
    const loggedOutAt = Date.now();
    let lag = -1;
    for (let i = 0; i < 100 && Date.now() - loggedOutAt < 5000; i++) {
      const res = await send('GET', '/authenticate/me', { token: session.access_token });
      if (res.servedBy === logout.servedBy) expect(res.status).toBe(401);
      else if (res.status === 401) {
        lag = Date.now() - loggedOutAt;
        break;
      }
      await sleep(10);
    }
    process.stdout.write(`multi-host: logout reached the other instance after ${lag} ms (REVOCATION_MAX_LAG=30 s)\n`);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(1000);
  }, 30_000);

  it('takes out an instance that is alive but not ready (its Redis cut), and lets it back in when Redis returns', async () => {
    await redisForwarders.g2.down();
    expect((await fetch(`http://${hosts.address('g2')}:${PORT}/health/live`)).status).toBe(200);
    await waitForStates(statsSocket, BACKEND, (states) => isUp(states['gatehouse-1']) && isDown(states['gatehouse-2']), 15_000);
    for (let i = 0; i < 4; i++) expect((await send('GET', '/health/ready')).servedBy).toBe('gatehouse-1');
    await redisForwarders.g2.up();
    await waitForStates(statsSocket, BACKEND, (states) => isUp(states['gatehouse-1']) && isUp(states['gatehouse-2']), 20_000);
  }, 60_000);

  it('loses no committed refresh when an instance is killed mid-load; HAProxy takes it out, and back in after a restart', async () => {
    const clients = 6;
    const rounds = 40;
    const tokens: string[] = [];
    for (let i = 0; i < clients; i++) tokens.push((await login()).refresh_token);
    const served: Record<string, number> = {};
    let succeeded = 0;
    let retries = 0;
    const failures: string[] = [];
    const deadline = Date.now() + 30_000;

    const client = async (index: number) => {
      for (let round = 0; round < rounds && Date.now() < deadline; round++) {
        const { answer, retries: retried } = await refresh(tokens[index]);
        retries += retried;
        if (answer.status !== 200) {
          failures.push(`client ${index}, round ${round}: ${answer.status} ${JSON.stringify(answer.body)}`);
          return;
        }
        // Committed: from now on only the successor is this client's session.
        tokens[index] = answer.body.refresh_token;
        served[answer.servedBy ?? '?'] = (served[answer.servedBy ?? '?'] ?? 0) + 1;
        succeeded++;
        await sleep(50);
      }
    };
    const victim = instances.g1;
    const killer = (async () => {
      for (let i = 0; i < 400 && succeeded < 3 * clients; i++) await sleep(10);
      victim.child.kill('SIGKILL');
    })();
    await Promise.all([...Array.from({ length: clients }, (_, index) => client(index)), killer]);

    const { retried, redispatched } = (await serverStates(statsSocket, BACKEND))['gatehouse-1'];
    process.stdout.write(
      `multi-host: ${succeeded} refreshes committed (${JSON.stringify(served)}); after the kill the clients retried ${retries}, ` +
        `HAProxy retried ${retried} and redispatched ${redispatched}\n`,
    );
    expect(failures).toEqual([]);
    expect(victim.child.signalCode).toBe('SIGKILL');
    expect(served['gatehouse-1']).toBeGreaterThan(0);
    // Every client's last successor is still its live session.
    for (const token of tokens) expect((await refresh(token)).answer.status).toBe(200);

    // HAProxy's health checks (/health/ready) take the dead instance out …
    await waitForStates(statsSocket, BACKEND, (states) => isDown(states['gatehouse-1']) && isUp(states['gatehouse-2']), 15_000);
    for (let i = 0; i < 4; i++) expect((await send('GET', '/health/ready')).servedBy).toBe('gatehouse-2');

    // … and let it back in once it runs again.
    await startInstance('g1', 'gatehouse-1');
    await waitForStates(statsSocket, BACKEND, (states) => isUp(states['gatehouse-1']) && isUp(states['gatehouse-2']), 20_000);
    const after = new Set<string | null>();
    for (let i = 0; i < 6; i++) {
      const res = await send('POST', '/authenticate/login', { login: true });
      expect(res.status).toBe(200);
      after.add(res.servedBy);
    }
    expect(after).toEqual(new Set(['gatehouse-1', 'gatehouse-2']));
  }, 120_000);
});
