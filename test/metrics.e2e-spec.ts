import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basic } from './support/auth-helpers';
import { freePort, startGatehouseProcess } from './support/server-process';
import { ADMIN } from './support/test-app';
import { describeWithProgram, testDbKind } from './support/test-database';

// A real Gatehouse process with METRICS_PORT, scraped every second by Debian's Prometheus (its own
// config, data directory and port); the counters are read back through Prometheus' HTTP API, and
// promtool checks the exposition. On both databases.

/** Debian's `prometheus` and `promtool` (apt-get install prometheus), or PROMETHEUS_PATH / PROMTOOL_PATH. */
function program(name: 'prometheus' | 'promtool'): string | undefined {
  const configured = process.env[`${name.toUpperCase()}_PATH`];
  if (configured) return existsSync(configured) ? configured : undefined;
  try {
    return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const prometheusPath = program('prometheus');
const promtoolPath = program('promtool');

type Gatehouse = Awaited<ReturnType<typeof startGatehouseProcess>>;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

interface Prometheus {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Prometheus scraping `target` every second, on a free loopback port, with its own temporary data directory. */
async function startPrometheus(target: string): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-prometheus-'));
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: gatehouse',
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  let output = '';
  const child = spawn(
    prometheusPath!,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const prometheus: Prometheus = {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killed = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killed);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${prometheus.url}/-/ready`)).ok) return prometheus;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await prometheus.stop();
  throw new Error(`Prometheus did not start:\n${output}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithProgram(
  'Metrics scraped by a real Prometheus',
  'Prometheus (apt-get install prometheus)',
  prometheusPath !== undefined && promtoolPath !== undefined,
  () => {
    let gatehouse: Gatehouse;
    let prometheus: Prometheus;
    let metricsUrl: string;
    const withRedis = testDbKind() === 'postgres' && process.env.REDIS_URL !== undefined;

    beforeAll(async () => {
      const metricsPort = await freePort();
      metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      gatehouse = await startGatehouseProcess({
        METRICS_PORT: String(metricsPort),
        METRICS_HOST: '127.0.0.1',
        LOGIN_IP_MAX_FAILURES: '100000',
        ...(withRedis ? { REDIS_URL: process.env.REDIS_URL! } : {}),
      });
      prometheus = await startPrometheus(`127.0.0.1:${metricsPort}`);
    }, 90_000);
    afterAll(async () => {
      await prometheus?.stop();
      await gatehouse?.stop();
    });

    const post = (path: string, init: RequestInit = {}) => fetch(`${gatehouse.url}${path}`, { method: 'POST', ...init });
    const loginAs = (username: string, password: string) =>
      post('/authenticate/login', { headers: { authorization: basic(username, password) } });
    const scrape = async () => (await fetch(metricsUrl)).text();

    /** Prometheus' answer to an instant query, by the value of `label`. */
    async function query(promql: string, label: string): Promise<Record<string, number>> {
      const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { status: string; data: { result: Sample[] } };
      expect(body.status).toBe('success');
      return Object.fromEntries(body.data.result.map((s) => [s.metric[label] ?? '', Number(s.value[1])]));
    }

    /** Polls Prometheus until `expected` holds (it scrapes every second), then returns what it last answered. */
    async function eventually(promql: string, label: string, expected: Record<string, number>): Promise<Record<string, number>> {
      let seen: Record<string, number> = {};
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(250)) {
        seen = await query(promql, label);
        if (Object.entries(expected).every(([key, value]) => seen[key] === value)) return seen;
      }
      return seen;
    }

    /** Polls Prometheus until `promql` has an answer. */
    async function until(promql: string): Promise<Record<string, number>> {
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(250)) {
        const seen = await query(promql, '');
        if (Object.keys(seen).length > 0) return seen;
      }
      throw new Error(`Prometheus never answered ${promql}`);
    }

    it('serves /metrics on its own listener only: the public port answers 404 in the error format', async () => {
      const publicAnswer = await fetch(`${gatehouse.url}/metrics`);
      expect(publicAnswer.status).toBe(404);
      expect(await publicAnswer.json()).toMatchObject({ status: 404, path: '/metrics' });
      const res = await fetch(metricsUrl);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await res.text()).toMatch(/^# HELP /m);
      expect((await fetch(metricsUrl.replace('/metrics', '/'))).status).toBe(404);
      expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(405);
    });

    it('counts logins by result, read back through Prometheus', async () => {
      for (let i = 0; i < 2; i++) expect((await loginAs(ADMIN.username, ADMIN.password)).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await loginAs(ADMIN.username, `wrong-${i}`)).status).toBe(401);
      expect((await loginAs(`nobody-${randomUUID()}`, 'whatever-password')).status).toBe(401);
      const seen = await eventually('gatehouse_logins_total', 'result', { success: 2, wrong_password: 3, unknown_user: 1 });
      expect(seen).toEqual({
        success: 2,
        wrong_password: 3,
        unknown_user: 1,
        disabled: 0,
        locked: 0,
        ip_blocked: 0,
        mfa_required: 0,
      });
      // Prometheus scraped a healthy target: `up` is 1.
      expect(await query('up{job="gatehouse"}', 'job')).toEqual({ gatehouse: 1 });
    }, 60_000);

    it('counts refreshes, bearer verifications (cache miss, then hit) and ended sessions', async () => {
      const first = (await (await loginAs(ADMIN.username, ADMIN.password)).json()) as {
        token: { access_token: string; refresh_token: string };
      };
      const refresh = (token: string) =>
        post('/authenticate/refresh', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: token }) });
      const rotated = await refresh(first.token.refresh_token);
      expect(rotated.status).toBe(200);
      // The same spent token within REFRESH_REUSE_GRACE: its successor again (a second tab), not a reuse.
      expect((await refresh(first.token.refresh_token)).status).toBe(200);
      expect((await refresh(randomBytes(32).toString('base64url'))).status).toBe(401);
      const bearer = { authorization: `Bearer ${first.token.access_token}` };
      for (let i = 0; i < 3; i++) expect((await fetch(`${gatehouse.url}/authenticate/me`, { headers: bearer })).status).toBe(200);
      expect((await fetch(`${gatehouse.url}/authenticate/me`, { headers: { authorization: 'Bearer not.a.token' } })).status).toBe(401);
      expect((await post('/authenticate/logout', { headers: bearer })).status).toBe(204);
      // The session ended: its (cached) token is now refused as revoked.
      expect((await fetch(`${gatehouse.url}/authenticate/me`, { headers: bearer })).status).toBe(401);

      expect(await eventually('gatehouse_refresh_total > 0', 'result', { rotated: 1, grace: 1, invalid: 1 })).toEqual({
        rotated: 1,
        grace: 1,
        invalid: 1,
      });
      const verifications = await eventually(
        'sum by (outcome) (label_join(gatehouse_token_verifications_total, "outcome", "/", "result", "cache")) > 0',
        'outcome',
        { 'valid/miss': 1, 'valid/hit': 2, 'invalid/miss': 1, 'revoked/hit': 1 },
      );
      expect(verifications).toEqual({ 'valid/miss': 1, 'valid/hit': 2, 'invalid/miss': 1, 'revoked/hit': 1 });
      expect(await eventually('gatehouse_sessions_revoked_total > 0', 'reason', { logout: 1 })).toEqual({ logout: 1 });
    }, 60_000);

    it('records HTTP requests by route template, method and status, and reads the gauges on scrape', async () => {
      const logins = await until('sum(gatehouse_http_request_duration_seconds_count{route="/authenticate/login", method="POST"}) >= 7');
      expect(logins['']).toBeGreaterThanOrEqual(7);
      const text = await scrape();
      expect(text).toMatch(
        /^gatehouse_http_request_duration_seconds_count\{route="\/authenticate\/login",method="POST",status="200"\} \d+/m,
      );
      expect(text).toMatch(
        /^gatehouse_http_request_duration_seconds_count\{route="\/authenticate\/login",method="POST",status="401"\} \d+/m,
      );
      expect(text).toMatch(/^gatehouse_session_cache_entries \d+/m);
      expect(text).toMatch(/^gatehouse_password_hash_queue_length 0/m);
      expect(text).toMatch(/^gatehouse_password_hash_wait_seconds_count [1-9]\d*/m);
      expect(text).toMatch(/^process_cpu_seconds_total /m);
      // PostgreSQL: the pg pool's connections in use; SQLite has no pool and reports none.
      if (testDbKind() === 'postgres') expect(text).toMatch(/^gatehouse_database_pool_in_use \d+/m);
      else expect(text).not.toContain('gatehouse_database_pool_in_use');
      if (withRedis) {
        for (const connection of ['throttle', 'revocations_publisher', 'revocations_subscriber'])
          expect(text).toContain(`gatehouse_redis_up{connection="${connection}"} 1`);
      } else expect(text).not.toContain('gatehouse_redis_up');
    }, 60_000);

    it('passes promtool check metrics', async () => {
      const checked = spawnSync(promtoolPath!, ['check', 'metrics'], { input: await scrape(), encoding: 'utf8' });
      expect({ status: checked.status, problems: `${checked.stdout}${checked.stderr}` }).toEqual({ status: 0, problems: '' });
    });

    it('keeps the number of series bounded and no username, id or URL in any label', async () => {
      const before = (await scrape()).split('\n').filter((line) => line.startsWith('gatehouse_')).length;
      const token = ((await (await loginAs(ADMIN.username, ADMIN.password)).json()) as { token: { access_token: string } }).token
        .access_token;
      const secrets: string[] = [];
      for (let i = 0; i < 25; i++) {
        const username = `probe-user-${randomBytes(6).toString('hex')}`;
        const id = randomUUID();
        const path = `probe-path-${randomBytes(6).toString('hex')}`;
        secrets.push(username, id, path);
        expect((await loginAs(username, 'some-password-1')).status).toBe(401);
        expect((await fetch(`${gatehouse.url}/api/v1/users/${id}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
        expect((await fetch(`${gatehouse.url}/${path}?user=${username}`)).status).toBe(404);
        expect((await fetch(`${gatehouse.url}/api/v1/users/${path}`, { method: 'PROPFIND' })).status).toBeGreaterThanOrEqual(400);
      }
      const text = await scrape();
      const samples = text.split('\n').filter((line) => line.startsWith('gatehouse_'));
      // 100 distinct requests added only the few series of their (route, method, status) and histogram buckets.
      expect(samples.length - before).toBeLessThanOrEqual(4 * 16);
      const labelValues = samples.flatMap((line) => [...line.matchAll(/="((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]));
      for (const secret of secrets) expect(labelValues.filter((value) => value.includes(secret))).toEqual([]);
      expect(labelValues).toContain('/api/v1/users/:id');
      expect(labelValues).toContain('unmatched');
      expect(labelValues).toContain('OTHER');
      // Prometheus sees the same: every value of `route` is a template or `unmatched`.
      await until('gatehouse_http_request_duration_seconds_count{route="/api/v1/users/:id", status="404"} >= 25');
      const routes = await query('count by (route) (gatehouse_http_request_duration_seconds_count)', 'route');
      for (const route of Object.keys(routes)) expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
      expect(Object.keys(routes).some((route) => secrets.some((secret) => route.includes(secret)))).toBe(false);
      const series = await query('count({__name__=~"gatehouse_.+"})', '');
      expect(series['']).toBeLessThan(400);
    }, 120_000);
  },
);
