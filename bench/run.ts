/**
 * `npm run bench [-- --quick]`: builds the production bundle, starts it as a real process on
 * loopback with a fresh database (SQLite, and PostgreSQL when DATABASE_URL points at one), drives
 * it with autocannon, and writes bench/results.json and bench/RESULTS.md. Every scenario of one
 * database runs in the same invocation, so the ratios between them are what to read: this machine
 * is shared and noisy, absolute numbers are not.
 */
import { hash, verify } from '@node-rs/argon2';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ARGON2_OPTIONS } from '../src/users/password.service';

const QUICK = process.argv.includes('--quick');
const DURATION = QUICK ? 1 : 10;
const CONNECTIONS = 10;
const ROOT = join(__dirname, '..');
const ADMIN_PASSWORD = 'bench-admin-password-1';
const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

interface DbResults {
  database: string;
  scenarios: Record<string, Measured>;
  argon2VerifiesPerSecond: number;
  /** With every core hashing (what the machine can do at most). */
  argon2MachineMaxPerSecond: number;
  idleBearerP99: number;
  stormBearerP99: number;
  peakRssMb: number;
  rotation: { refreshes: number; tokenRows: number; sessionsWithTwoLiveTokens: number; ok: boolean };
  /** Per round, each hot-path scenario's throughput over the baseline's in the same round. */
  roundRatios: { bearer: number[]; bearerRole: number[] };
  /**
   * Server CPU time per answered request (µs), summed over the rounds: the server's own cost,
   * which steal time and neighbours on this shared machine disturb much less than throughput.
   */
  cpuPerRequestUs: { baseline: number; bearer: number; bearerRole: number };
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ ...options, duration: options.duration ?? DURATION }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function measured(result: autocannon.Result): Measured {
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** Several runs of one scenario as one: mean throughput, mean percentiles, summed errors. */
function combined(results: autocannon.Result[]): Measured {
  const mean = (pick: (r: autocannon.Result) => number) => results.reduce((sum, r) => sum + pick(r), 0) / results.length;
  return {
    rps: Math.round(mean((r) => r.requests.average)),
    p50: Math.round(mean((r) => r.latency.p50) * 10) / 10,
    p99: Math.round(mean((r) => r.latency.p99) * 10) / 10,
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
  };
}

async function waitFor(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet listening
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not start:\n${output()}`);
}

/**
 * The V8 flags of `npm run start:prod`, read from package.json so the benchmark runs the server the
 * way the README says to run it in production.
 */
const PROD_NODE_FLAGS = (() => {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts[
    'start:prod'
  ];
  return script.split(/\s+/).filter((part) => part.startsWith('--'));
})();

function startProcess(
  script: string,
  env: Record<string, string>,
  nodeFlags: string[] = [],
): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [...nodeFlags, script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** CPU time a process has used (user + system), in milliseconds, from /proc (10 ms resolution). */
function cpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Peak resident set size of a process (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

async function login(url: string, validity = 3600): Promise<{ access_token: string; refresh_token: string }> {
  const res = await fetch(`${url}/authenticate/login?validity_secs=${validity}`, { method: 'POST', headers: { authorization: BASIC } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  return ((await res.json()) as { token: { access_token: string; refresh_token: string } }).token;
}

/** Pure argon2id verification throughput at the server's parameters, `concurrency` at a time. */
async function argon2Throughput(concurrency: number): Promise<number> {
  const encoded = await hash(ADMIN_PASSWORD, ARGON2_OPTIONS);
  let count = 0;
  const until = Date.now() + DURATION * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        await verify(encoded, ADMIN_PASSWORD);
        count++;
      }
    }),
  );
  return Math.round(count / DURATION);
}

/** Sessions holding more than one unspent, unrevoked refresh token: a duplicate successor. */
const DUPLICATES = `SELECT COUNT(*) AS n FROM (SELECT session_id FROM refresh_tokens
  WHERE spent_at IS NULL AND revoked_at IS NULL GROUP BY session_id HAVING COUNT(*) > 1) AS d`;

interface Target {
  database: {
    label: string;
    url: string;
    cleanup: () => Promise<void>;
    countTokens: () => Promise<number>;
    countDuplicates: () => Promise<number>;
  };
}

async function sqliteTarget(dataDir: string): Promise<Target['database']> {
  const file = join(dataDir, 'gatehouse.sqlite');
  const count = (sql: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare(sql).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  return {
    label: 'SQLite',
    url: `sqlite:${file}`,
    cleanup: async () => undefined,
    countTokens: async () => count('SELECT COUNT(*) AS n FROM refresh_tokens'),
    countDuplicates: async () => count(DUPLICATES),
  };
}

async function postgresTarget(base: string): Promise<Target['database']> {
  const name = `gatehouse_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const query = async (sql: string, target: string) => {
    const client = new Client({ connectionString: target });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    label: 'PostgreSQL',
    url: url.toString(),
    cleanup: async () => void (await query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, base)),
    countTokens: async () => Number((await query('SELECT COUNT(*) AS n FROM refresh_tokens', url.toString())).rows[0].n),
    countDuplicates: async () => Number((await query(DUPLICATES, url.toString())).rows[0].n),
  };
}

async function benchDatabase(database: Target['database'], dataDir: string, secret: string, port: number): Promise<DbResults> {
  const url = `http://127.0.0.1:${port}`;
  const server = startProcess(
    join(ROOT, 'dist', 'bench', 'server.js'),
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      JWT_SECRET: secret,
      ADMIN_PASSWORD,
      // Request logs are I/O whose cost depends on where they go; the benchmark measures the server.
      LOG_LEVEL: 'warn',
      LOGIN_MAX_FAILURES: '1000',
      LOGIN_IP_MAX_FAILURES: '1000000',
    },
    PROD_NODE_FLAGS,
  );
  try {
    await waitFor(`${url}/health/live`, server.child, server.output);
    const token = (await login(url)).access_token;
    const bearer = { authorization: `Bearer ${token}` };
    const scenarios: Record<string, Measured> = {};

    await run({ url: `${url}/health/live`, connections: CONNECTIONS, duration: 1 }); // warm-up
    await run({ url: `${url}/authenticate/me`, connections: CONNECTIONS, headers: bearer, duration: 1 });
    // The three hot-path scenarios run interleaved in short rounds (rotating order), so that drift on
    // this shared machine (GC, heat, neighbours: ±20 % over seconds) falls on all of them alike; the
    // targets are judged on the median of the per-round ratios (a paired comparison).
    const hot: Record<string, autocannon.Options> = {
      baseline: { url: `${url}/health/live`, connections: CONNECTIONS },
      bearer: { url: `${url}/authenticate/me`, connections: CONNECTIONS, headers: bearer },
      bearerRole: { url: `${url}/bench/admin`, connections: CONNECTIONS, headers: bearer },
    };
    const rounds = QUICK ? 1 : 5;
    const perRound = Math.max(1, Math.round(DURATION / rounds));
    const collected: Record<string, autocannon.Result[]> = { baseline: [], bearer: [], bearerRole: [] };
    const cpu: Record<string, { ms: number; requests: number }> = {
      baseline: { ms: 0, requests: 0 },
      bearer: { ms: 0, requests: 0 },
      bearerRole: { ms: 0, requests: 0 },
    };
    const order = Object.keys(hot);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < order.length; i++) {
        const name = order[(i + round) % order.length];
        const cpuBefore = cpuMs(server.child.pid!);
        const result = await run({ ...hot[name], duration: perRound });
        cpu[name].ms += cpuMs(server.child.pid!) - cpuBefore;
        cpu[name].requests += result.requests.total;
        collected[name].push(result);
      }
    }
    for (const [name, results] of Object.entries(collected)) scenarios[name] = combined(results);
    const perRoundRatio = (name: string) => collected[name].map((r, i) => r.requests.average / collected.baseline[i].requests.average);
    const roundRatios = { bearer: perRoundRatio('bearer'), bearerRole: perRoundRatio('bearerRole') };
    const perRequest = (name: string) => Math.round((cpu[name].ms * 1000) / Math.max(1, cpu[name].requests));
    const cpuPerRequestUs = { baseline: perRequest('baseline'), bearer: perRequest('bearer'), bearerRole: perRequest('bearerRole') };

    // Refresh: a pool of live refresh tokens; each request takes one and its answer puts the successor
    // back (autocannon resets per-connection context after every request, so the pool is shared).
    const pool = await Promise.all(Array.from({ length: CONNECTIONS * 2 }, () => login(url).then((t) => t.refresh_token)));
    const rowsBefore = await database.countTokens();
    let refreshes = 0;
    const refresh = await run({
      url: `${url}/authenticate/refresh`,
      connections: CONNECTIONS,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => ({ ...request, body: JSON.stringify({ refresh_token: pool.shift() ?? 'pool-exhausted' }) }),
          onResponse: (status, body) => {
            if (status !== 200) return;
            refreshes++;
            pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
          },
        },
      ],
    });
    scenarios.refresh = measured(refresh);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const tokenRows = (await database.countTokens()) - rowsBefore;
    const duplicates = await database.countDuplicates();

    // The server hashes PASSWORD_HASH_CONCURRENCY (cores − 1) at a time; compare like with like,
    // and show what every core hashing at once would give.
    const argon2VerifiesPerSecond = await argon2Throughput(Math.max(1, availableParallelism() - 1));
    const argon2MachineMaxPerSecond = await argon2Throughput(availableParallelism());
    scenarios.login = measured(
      await run({ url: `${url}/authenticate/login`, method: 'POST', headers: { authorization: BASIC }, connections: 8 }),
    );

    // Login storm: logins saturate the hashing pool while bearer requests run.
    const idle = await run({ url: `${url}/authenticate/me`, connections: 4, headers: bearer });
    const [storm] = await Promise.all([
      run({ url: `${url}/authenticate/me`, connections: 4, headers: bearer }),
      run({ url: `${url}/authenticate/login`, method: 'POST', headers: { authorization: BASIC }, connections: 16 }),
    ]);
    scenarios.stormBearer = measured(storm);

    return {
      database: database.label,
      scenarios,
      argon2VerifiesPerSecond,
      argon2MachineMaxPerSecond,
      idleBearerP99: idle.latency.p99,
      stormBearerP99: storm.latency.p99,
      peakRssMb: peakRssMb(server.child.pid!),
      // Rows may exceed counted answers by the requests still in flight when autocannon stopped.
      rotation: {
        refreshes,
        tokenRows,
        sessionsWithTwoLiveTokens: duplicates,
        ok: duplicates === 0 && refresh.non2xx === 0 && tokenRows >= refreshes && tokenRows <= refreshes + CONNECTIONS,
      },
      roundRatios,
      cpuPerRequestUs,
    };
  } finally {
    await stop(server.child);
  }
}

async function benchFloor(secret: string, token: string, port: number): Promise<Measured> {
  const floor = startProcess(join(ROOT, 'bench', 'floor.js'), { PORT: String(port), JWT_SECRET: secret });
  try {
    await waitFor(`http://127.0.0.1:${port}/health/live`, floor.child, floor.output);
    const headers = { authorization: `Bearer ${token}` };
    await run({ url: `http://127.0.0.1:${port}/authenticate/me`, connections: CONNECTIONS, headers, duration: 1 });
    return measured(await run({ url: `http://127.0.0.1:${port}/authenticate/me`, connections: CONNECTIONS, headers }));
  } finally {
    await stop(floor.child);
  }
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const round2 = (x: number) => Math.round(x * 100) / 100;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function evaluate(r: DbResults, floor: Measured) {
  const s = r.scenarios;
  const pg = r.database === 'PostgreSQL';
  return [
    {
      target: 'bearer ≥ 0.90 × baseline (req/s; median of the paired rounds)',
      value: `${round2(median(r.roundRatios.bearer))} (rounds: ${r.roundRatios.bearer.map(round2).join(', ')})`,
      ok: median(r.roundRatios.bearer) >= 0.9,
    },
    {
      target: 'bearer + role ≥ 0.88 × baseline (median of the paired rounds)',
      value: `${round2(median(r.roundRatios.bearerRole))} (rounds: ${r.roundRatios.bearerRole.map(round2).join(', ')})`,
      ok: median(r.roundRatios.bearerRole) >= 0.88,
    },
    { target: 'bearer / baseline, whole-run means (informational)', value: ratio(s.bearer.rps, s.baseline.rps), ok: true },
    {
      target: 'server CPU per request, baseline / bearer / bearer + role (informational)',
      value: `${r.cpuPerRequestUs.baseline} / ${r.cpuPerRequestUs.bearer} / ${r.cpuPerRequestUs.bearerRole} µs → ${ratio(r.cpuPerRequestUs.baseline, r.cpuPerRequestUs.bearer)} / ${ratio(r.cpuPerRequestUs.baseline, r.cpuPerRequestUs.bearerRole)}`,
      ok: true,
    },
    {
      target: 'bearer p99 ≤ 1.5 × baseline p99',
      value: ratio(s.bearer.p99, Math.max(s.baseline.p99, 1)),
      ok: s.bearer.p99 <= 1.5 * Math.max(s.baseline.p99, 1),
    },
    {
      target: 'storm bearer p99 ≤ 3 × idle p99',
      value: ratio(r.stormBearerP99, Math.max(r.idleBearerP99, 1)),
      ok: r.stormBearerP99 <= 3 * Math.max(r.idleBearerP99, 1),
    },
    {
      target: `refresh ≥ ${pg ? '0.05' : '0.10'} × baseline`,
      value: ratio(s.refresh.rps, s.baseline.rps),
      ok: s.refresh.rps >= (pg ? 0.05 : 0.1) * s.baseline.rps,
    },
    {
      target: 'refresh rotation exact (no duplicate successors, no errors)',
      value: `${r.rotation.sessionsWithTwoLiveTokens} duplicates, ${r.rotation.tokenRows} rows / ${r.rotation.refreshes} answers`,
      ok: r.rotation.ok,
    },
    { target: 'server peak RSS ≤ 200 MB', value: r.peakRssMb, ok: r.peakRssMb <= 200 },
    {
      target: 'login ≥ 0.8 × pure argon2id verifies/s (same concurrency)',
      value: ratio(s.login.rps, r.argon2VerifiesPerSecond),
      ok: s.login.rps >= 0.8 * r.argon2VerifiesPerSecond,
    },
    {
      target: 'login / argon2id with every core hashing (informational)',
      value: ratio(s.login.rps, r.argon2MachineMaxPerSecond),
      ok: true,
    },
    { target: 'bearer / floor (framework cost, informational)', value: ratio(s.bearer.rps, floor.rps), ok: true },
  ];
}

function markdown(all: { results: DbResults; floor: Measured }[], machine: string): string {
  const lines = [
    `# Benchmark results`,
    '',
    `${machine}. Mode: ${QUICK ? 'quick (1 s per scenario)' : `${DURATION} s per scenario (baseline, bearer and bearer + role interleaved in 5 rounds of 2 s)`}, ${CONNECTIONS} connections unless noted; autocannon runs on the same machine. Server started as \`npm run start:prod\` does (\`node ${PROD_NODE_FLAGS.join(' ')}\`).`,
    '',
  ];
  for (const { results: r, floor } of all) {
    lines.push(`## ${r.database}`, '', '| scenario | req/s | p50 ms | p99 ms | non-2xx |', '|---|---:|---:|---:|---:|');
    const names: Record<string, string> = {
      baseline: 'baseline `GET /health/live`',
      bearer: 'bearer `GET /authenticate/me`',
      bearerRole: "bearer + `@Roles('ADMIN')`",
      refresh: 'refresh (rotating, DB write)',
      login: 'login (argon2id, 8 connections)',
      stormBearer: 'bearer during a login storm (4 + 16 connections)',
    };
    for (const [key, label] of Object.entries(names)) {
      const m = r.scenarios[key];
      lines.push(`| ${label} | ${m.rps} | ${m.p50} | ${m.p99} | ${m.non2xx} |`);
    }
    lines.push(`| floor: bare Fastify + fast-jwt | ${floor.rps} | ${floor.p50} | ${floor.p99} | ${floor.non2xx} |`);
    lines.push(
      `| pure argon2id verifications, ${Math.max(1, availableParallelism() - 1)} at a time (as the server) | ${r.argon2VerifiesPerSecond} | | | |`,
    );
    lines.push(
      `| pure argon2id verifications, ${availableParallelism()} at a time (every core) | ${r.argon2MachineMaxPerSecond} | | | |`,
      '',
    );
    lines.push('| target | measured | met |', '|---|---:|:---:|');
    for (const t of evaluate(r, floor)) lines.push(`| ${t.target} | ${t.value} | ${t.ok ? 'yes' : '**no**'} |`);
    lines.push('');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const secret = randomBytes(64).toString('base64url');
  const all: { results: DbResults; floor: Measured }[] = [];
  const targets: (() => Promise<Target['database']>)[] = [];
  const dataDirs: string[] = [];
  const base = process.env.DATABASE_URL;
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
    dataDirs.push(dir);
    return dir;
  };
  const sqliteDir = newDir();
  targets.push(() => sqliteTarget(sqliteDir));
  if (base && /^postgres(ql)?:\/\//.test(base)) targets.push(() => postgresTarget(base));
  else process.stdout.write('PostgreSQL: skipped (DATABASE_URL is not a postgres:// URL)\n');
  try {
    for (const [index, makeTarget] of targets.entries()) {
      const database = await makeTarget();
      try {
        const dir = index === 0 ? sqliteDir : newDir();
        process.stdout.write(`Benchmarking on ${database.label}…\n`);
        const results = await benchDatabase(database, dir, secret, 3900 + index);
        // The floor verifies a token the server issued (same key, claims and algorithm).
        const server = startProcess(join(ROOT, 'dist', 'bench', 'server.js'), {
          PORT: '3950',
          HOST: '127.0.0.1',
          DATA_DIR: dir,
          DATABASE_URL: database.url,
          JWT_SECRET: secret,
          ADMIN_PASSWORD,
          LOG_LEVEL: 'warn',
        });
        let token: string;
        try {
          await waitFor('http://127.0.0.1:3950/health/live', server.child, server.output);
          token = (await login('http://127.0.0.1:3950')).access_token;
        } finally {
          await stop(server.child);
        }
        const floor = await benchFloor(secret, token, 3960 + index);
        all.push({ results, floor });
      } finally {
        await database.cleanup();
      }
    }
  } finally {
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  }
  const report = markdown(all, machine);
  writeFileSync(
    join(__dirname, 'results.json'),
    JSON.stringify(
      {
        machine,
        quick: QUICK,
        at: new Date().toISOString(),
        runs: all.map(({ results, floor }) => ({ ...results, floor, targets: evaluate(results, floor) })),
      },
      null,
      2,
    ),
  );
  // --quick (CI) proves the benchmark runs; its one-second figures never replace the committed results.
  writeFileSync(join(__dirname, QUICK ? 'RESULTS.quick.md' : 'RESULTS.md'), report + '\n');
  process.stdout.write(`\n${report}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
