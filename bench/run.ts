/**
 * `npm run bench [-- --quick]`: builds the production bundle, starts it as a real process on
 * loopback with a fresh database (SQLite, and PostgreSQL when DATABASE_URL points at one), drives
 * it with autocannon, and writes bench/results.json and bench/RESULTS.md (RESULTS.quick.md with
 * --quick, which proves the benchmark runs and is never committed). Every scenario of one database
 * runs in the same invocation, so the ratios between them are what to read: this machine is shared
 * and noisy, absolute numbers are not.
 *
 * Measured the way production runs: the server logs every request at `info` as JSON to a file, and
 * the bearer scenarios present 10,000 distinct tokens of 1,000 users (10 sessions each) round-robin,
 * so every cache on the way must hold the working set, and the session checks are those of a user
 * base, not of one token. The primary figure is the server's own CPU time per request (from /proc),
 * which neighbours on this shared machine disturb much less than throughput.
 */
import { hash, verify } from '@node-rs/argon2';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { ChildProcess, spawn } from 'node:child_process';
import { createPrivateKey, createSecretKey, randomBytes, randomUUID, sign } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import { BUILT_IN_PERMISSIONS } from '../src/common/permissions';
import { newSecret, secretDigest } from '../src/credentials/credential-secrets';
import { kidOf } from '../src/keys/key-store';
import { ARGON2_OPTIONS } from '../src/users/password.service';
import { credentialFingerprint } from '../src/users/users.repository';

const QUICK = process.argv.includes('--quick');
const DURATION = QUICK ? 1 : 10;
/** Short rounds, many of them: drift on this shared machine is over seconds, so pairs stay close in time. */
const ROUNDS = QUICK ? 1 : 10;
const CONNECTIONS = 10;
const USERS = 1000;
const SESSIONS_PER_USER = 10;
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

/** A scenario run in interleaved rounds: combined figures, per-round throughput and server CPU per request. */
interface RoundsResult {
  measured: Measured;
  perRoundRps: number[];
  /** Server CPU µs per request, over all rounds. */
  cpuUs: number;
  perRoundCpuUs: number[];
}

interface DbResults {
  database: string;
  tokens: number;
  users: number;
  hot: Record<
    'baseline' | 'bearer' | 'bearerOneToken' | 'bearerRole' | 'bearerPermission' | 'permissionPing' | 'pat' | 'patPing',
    RoundsResult
  >;
  lagZero: Record<'baseline' | 'bearer', RoundsResult>;
  floor: RoundsResult;
  scenarios: Record<'refresh' | 'login' | 'stormBearer' | 'oauthToken', Measured>;
  refreshCpuUs: number;
  argon2VerifiesPerSecond: number;
  /** With every core hashing (what the machine can do at most). */
  argon2MachineMaxPerSecond: number;
  idleBearerP99: number;
  stormBearerP99: number;
  /** Peak RSS after the 10,000-token scenarios (before logins load argon2's memory). */
  peakRssMb: number;
  logLines: number;
  rotation: { refreshes: number; tokenRows: number; sessionsWithTwoLiveTokens: number; ok: boolean };
  /** Tokens for other services: HS512 vs EdDSA bearer, the resource service, introspection (one interleaved run). */
  keys: Record<'baseline' | 'hs512Bearer' | 'resourcePublic' | 'resourceRoles' | 'resourcePrincipal' | 'introspection', RoundsResult> & {
    /** GET /authenticate/me on HS512 servers against EdDSA servers, loaded together (fleet). */
    eddsaFleet: FleetComparison;
  };
  /**
   * GET /authenticate/me on servers without and with METRICS_PORT, loaded together (fleet), scraped
   * every `scrapeSeconds`; the same fleet scraped every second; one scrape's CPU in ms.
   */
  metrics: FleetComparison & { scrapeSeconds: number; everySecond: FleetComparison; scrapeMs: number; verificationsCounted: number };
}

export function run(options: autocannon.Options): Promise<autocannon.Result> {
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

export async function waitFor(url: string, child: ChildProcess, output: () => string): Promise<void> {
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
export const PROD_NODE_FLAGS = (() => {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts[
    'start:prod'
  ];
  return script.split(/\s+/).filter((part) => part.startsWith('--'));
})();

/** A process whose stdout and stderr go to `logFile` (the production-logging set-up: JSON lines to a file). */
export function startProcess(
  script: string,
  env: Record<string, string>,
  logFile: string,
  nodeFlags: string[] = [],
): { child: ChildProcess; output: () => string } {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeFlags, script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  return { child, output: () => tail(logFile, 20_000) };
}

/** A Gatehouse server (dist/bench/server.js) started as `npm run start:prod` starts it, logging into `logFile`. */
function startServer(env: Record<string, string>, logFile: string): ReturnType<typeof startProcess> {
  return startProcess(join(ROOT, 'dist', 'bench', 'server.js'), env, logFile, PROD_NODE_FLAGS);
}

/** The last `bytes` of a file (a server's log can outgrow what one string may hold: 512 MB). */
function tail(file: string, bytes: number): string {
  const fd = openSync(file, 'r');
  try {
    const start = Math.max(0, statSync(file).size - bytes);
    const buffer = Buffer.alloc(bytes);
    return buffer.subarray(0, readSync(fd, buffer, 0, bytes, start)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Lines of a file holding `needle`, read as a stream (the request log of a run can pass 512 MB). */
async function countLines(file: string, needle: string): Promise<number> {
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line.includes(needle)) count++;
  return count;
}

export async function stop(child: ChildProcess): Promise<void> {
  // Ended already: by itself (exitCode) or by a signal, e.g. an earlier stop() (signalCode).
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** CPU time a process has used (user + system), in milliseconds, from /proc (10 ms resolution). */
export function cpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * CPU time a process has used, in nanoseconds: the run time the scheduler accounted to each of its
 * threads (/proc/<pid>/task/<tid>/schedstat), main thread, libuv pool and V8's helpers alike.
 * Nanosecond resolution, where /proc/<pid>/stat counts 10 ms ticks.
 */
export function cpuNs(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return total;
}

/** One server of a fleet: which side of the comparison it is on, and what to ask it. */
export interface FleetMember {
  side: string;
  pid: number;
  url: string;
  requests: autocannon.Request[];
}

/** What one server of a fleet did in one run: its CPU time and the requests it answered. */
export interface FleetRun {
  side: string;
  ns: number;
  requests: number;
  failed: number;
}

/**
 * Compares two configurations the way one pair of processes cannot: several servers of each side,
 * all loaded at the same time at the same steady rate, so whatever the machine does meanwhile
 * falls on every one of them alike. What still varies between servers loaded alike is mostly when
 * each runs a major GC (tens of ms: a few µs per request over a 10-s window), so a side's figure is
 * all its servers' CPU over all their requests (sideCpuUs), which averages that out where a pair, or
 * a median, does not.
 */
export async function fleet(members: FleetMember[], rate: number, seconds: number): Promise<FleetRun[]> {
  const before = members.map((m) => cpuNs(m.pid));
  const results = await Promise.all(
    members.map((m) => run({ url: m.url, requests: m.requests, connections: 4, overallRate: rate, duration: seconds })),
  );
  return members.map((m, i) => ({
    side: m.side,
    ns: cpuNs(m.pid) - before[i],
    requests: results[i].requests.total,
    failed: results[i].non2xx + results[i].errors + results[i].timeouts,
  }));
}

/** Servers per side of a fleet comparison, the rate each is offered, and its runs. */
const FLEET = { size: 3, rate: 1000, settle: QUICK ? 5 : 10, runs: QUICK ? 1 : 4, seconds: QUICK ? 2 : 15 };

/** Two sides compared by fleet: `ratio` is base CPU per request over `of`'s (≥ 1: `of` is as cheap). */
export interface FleetComparison {
  base: { label: string; cpuUs: number };
  of: { label: string; cpuUs: number };
  ratio: number;
  /** The same ratio in each run, and each server's CPU per request over all runs (base's, then of's). */
  perRun: number[];
  perServerCpuUs: { base: number[]; of: number[] };
  servers: number;
  rate: number;
  seconds: number;
  failed: number;
}

/**
 * GET /authenticate/me on a fleet of servers already started (`base` and `of` sides), each warmed
 * with every one of its tokens three times (unless `warm` is false: a second comparison on the same
 * fleet) and all together for FLEET.settle seconds, then
 * FLEET.runs runs of FLEET.seconds, all at once.
 */
async function compareFleet(
  members: FleetMember[],
  tokens: Map<number, string[]>,
  base: string,
  of: string,
  warm = true,
): Promise<FleetComparison> {
  for (const member of warm ? members : []) {
    const own = tokens.get(member.pid)!;
    await run({ url: member.url, connections: CONNECTIONS, amount: own.length * 3, requests: roundRobin(own) });
  }
  // Then all of them together, unmeasured: a server warmed first has idled longest since (V8 shrinks an
  // idle heap, and grows it back with extra GCs under load), which put the first side 10 % behind in 2-s runs.
  await fleet(members, FLEET.rate, FLEET.settle);
  const runs: FleetRun[][] = [];
  for (let i = 0; i < FLEET.runs; i++) runs.push(await fleet(members, FLEET.rate, FLEET.seconds));
  const all = runs.flat();
  // Each server's CPU per request over every run (runs list the servers in the members' order).
  const perServer = (side: string) =>
    members.flatMap((member, index) =>
      member.side === side
        ? [
            sideCpuUs(
              runs.map((r) => r[index]),
              side,
            ),
          ]
        : [],
    );
  return {
    base: { label: base, cpuUs: sideCpuUs(all, base) },
    of: { label: of, cpuUs: sideCpuUs(all, of) },
    ratio: ratio(sideCpuUs(all, base), sideCpuUs(all, of)),
    perRun: runs.map((r) => ratio(sideCpuUs(r, base), sideCpuUs(r, of))),
    perServerCpuUs: { base: perServer(base), of: perServer(of) },
    servers: members.length,
    rate: FLEET.rate,
    seconds: FLEET.runs * FLEET.seconds,
    failed: all.reduce((sum, r) => sum + r.failed, 0),
  };
}

/** A side's CPU µs per request over runs of a fleet: all its CPU over all its requests. */
export function sideCpuUs(runs: FleetRun[], side: string): number {
  const mine = runs.filter((r) => r.side === side);
  const ns = mine.reduce((sum, r) => sum + r.ns, 0);
  const requests = mine.reduce((sum, r) => sum + r.requests, 0);
  return Math.round((ns / 1000 / Math.max(1, requests)) * 10) / 10;
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

/** Requests that present `tokens` round-robin as bearer tokens (the same set-up for every hot-path scenario). */
export function roundRobin(tokens: string[]): autocannon.Request[] {
  let next = 0;
  return [
    {
      setupRequest: (request) => ({
        ...request,
        headers: { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` },
      }),
    },
  ];
}

/**
 * Runs scenarios interleaved in short rounds (rotating order), so that drift on this shared machine
 * (GC, heat, neighbours: ±20 % over seconds) falls on all of them alike, and reads the server's CPU
 * time around each run.
 */
export async function interleaved(
  scenarios: Record<string, autocannon.Options & { pid: number }>,
  rounds = ROUNDS,
): Promise<Record<string, RoundsResult>> {
  const names = Object.keys(scenarios);
  const perRound = Math.max(1, Math.round(DURATION / ROUNDS));
  const collected: Record<string, autocannon.Result[]> = Object.fromEntries(names.map((name) => [name, []]));
  const cpu: Record<string, { ms: number[]; requests: number[] }> = Object.fromEntries(
    names.map((name) => [name, { ms: [], requests: [] }]),
  );
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      const { pid, ...options } = scenarios[name];
      const before = cpuMs(pid);
      const result = await run({ ...options, connections: CONNECTIONS, duration: perRound });
      cpu[name].ms.push(cpuMs(pid) - before);
      cpu[name].requests.push(result.requests.total);
      collected[name].push(result);
    }
  }
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    names.map((name) => [
      name,
      {
        measured: combined(collected[name]),
        perRoundRps: collected[name].map((r) => r.requests.average),
        cpuUs: Math.round((sum(cpu[name].ms) * 1000) / Math.max(1, sum(cpu[name].requests))),
        perRoundCpuUs: cpu[name].ms.map((ms, i) => (ms * 1000) / Math.max(1, cpu[name].requests[i])),
      },
    ]),
  );
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

/** A database to benchmark on: where it is, how to seed it and count in it. */
export interface Target {
  label: string;
  url: string;
  sqlite: boolean;
  cleanup: () => Promise<void>;
  count: (sql: string) => Promise<number>;
  /** Runs statements with `?` placeholders (rewritten to $n for PostgreSQL) in one transaction. */
  write: (statements: [string, unknown[]][]) => Promise<void>;
  query: (sql: string) => Promise<Record<string, unknown>[]>;
}

export function sqliteTarget(dataDir: string): Target {
  const file = join(dataDir, 'gatehouse.sqlite');
  const open = () => new Database(file, { timeout: 10_000 });
  return {
    label: 'SQLite',
    url: `sqlite:${file}`,
    sqlite: true,
    cleanup: async () => undefined,
    count: async (sql) => {
      const db = open();
      try {
        return (db.prepare(sql).get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    query: async (sql) => {
      const db = open();
      try {
        return db.prepare(sql).all() as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
    write: async (statements) => {
      const db = open();
      try {
        db.transaction(() => {
          for (const [sql, params] of statements) db.prepare(sql).run(...params);
        })();
      } finally {
        db.close();
      }
    },
  };
}

export async function postgresTarget(base: string): Promise<Target> {
  const name = `gatehouse_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const withClient = async <T>(target: string, work: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: target });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    label: 'PostgreSQL',
    url: url.toString(),
    sqlite: false,
    cleanup: async () => void (await withClient(base, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
    count: async (sql) => Number((await withClient(url.toString(), (client) => client.query(sql))).rows[0].n),
    query: async (sql) => (await withClient(url.toString(), (client) => client.query(sql))).rows as Record<string, unknown>[],
    write: async (statements) =>
      withClient(url.toString(), async (client) => {
        await client.query('BEGIN');
        for (const [sql, params] of statements) await client.query(numbered(sql), params);
        await client.query('COMMIT');
      }),
  };
}

/**
 * 1,000 users (ADMIN and USER) with 10 sessions each, written straight into the database (logging
 * them in would take 10,000 argon2 verifications), and an access token for every session, signed
 * with the server's key as the server signs its own.
 */
/** Bearer tokens of the seeded sessions, and one personal access token (scope users:read) per user. */
export async function seedSessions(target: Target, secret: string): Promise<{ tokens: string[]; pats: string[] }> {
  const passwordHash = await hash(randomBytes(12).toString('hex'), ARGON2_OPTIONS);
  const credential = credentialFingerprint(passwordHash);
  const roles = await target.query(`SELECT id, name FROM roles WHERE name IN ('ADMIN', 'USER')`);
  const date = (d: Date) => (target.sqlite ? d.toISOString().replace('T', ' ').slice(0, 23) : d);
  const expires = date(new Date(Date.now() + 86_400_000));
  const now = date(new Date());
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const kid = kidOf(key);
  const tokens: string[] = [];
  const pats: string[] = [];
  const statements: [string, unknown[]][] = [];
  const patExpires = date(new Date(Date.now() + 30 * 86_400_000));
  // As a real login of an ADMIN writes it: every built-in permission in `scope`.
  const scope = [...BUILT_IN_PERMISSIONS].sort().join(' ');
  for (let u = 0; u < USERS; u++) {
    const userId = randomUUID();
    const username = `bench-user-${u}`;
    statements.push([
      `INSERT INTO users (id, username, username_normalized, enabled, password_hash) VALUES (?, ?, ?, ?, ?)`,
      [userId, username, username, target.sqlite ? 1 : true, passwordHash],
    ]);
    for (const role of roles) statements.push([`INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)`, [userId, role.id]]);
    const pat = newSecret('gth_');
    pats.push(pat);
    statements.push([
      `INSERT INTO personal_access_tokens (id, user_id, name, token_hash, scopes, expires_at) VALUES (?, ?, 'bench', ?, '["users:read"]', ?)`,
      [randomUUID(), userId, secretDigest(pat), patExpires],
    ]);
    for (let s = 0; s < SESSIONS_PER_USER; s++) {
      const sessionId = randomUUID();
      statements.push([
        `INSERT INTO sessions (id, user_id, last_used_at, expires_at, auth_method, amr, credential) VALUES (?, ?, ?, ?, 'password', 'pwd', ?)`,
        [sessionId, userId, now, expires, credential],
      ]);
      tokens.push(
        jwt.sign({ preferred_username: username, roles: ['ADMIN', 'USER'], sid: sessionId, scope }, key, {
          algorithm: 'HS512',
          keyid: kid,
          subject: userId,
          issuer: 'gatehouse',
          audience: 'gatehouse',
          expiresIn: 3600,
          jwtid: randomUUID(),
        }),
      );
    }
  }
  await target.write(statements);
  return { tokens, pats };
}

export function serverEnv(
  target: Target,
  dataDir: string,
  secret: string,
  port: number,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: target.url,
    JWT_SECRET: secret,
    ADMIN_PASSWORD,
    // Production logging: one JSON line per request, at info, into a file (stdout is redirected there).
    LOG_LEVEL: 'info',
    LOGIN_MAX_FAILURES: '1000',
    LOGIN_IP_MAX_FAILURES: '1000000',
    ...extra,
  };
}

async function benchDatabase(target: Target, dataDir: string, secret: string, port: number): Promise<DbResults> {
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(dataDir, 'server.log');
  const server = startServer(serverEnv(target, dataDir, secret, port), logFile);
  const pid = () => server.child.pid!;
  let tokens: string[];
  const results: Partial<DbResults> = { database: target.label, users: USERS };
  try {
    await waitFor(`${url}/health/live`, server.child, server.output);
    const seeded = await seedSessions(target, secret);
    tokens = seeded.tokens;
    results.tokens = tokens.length;
    const rr = roundRobin(tokens);
    // Warm-up: every token verified once (its first use goes through passport), every session checked once.
    await run({ url: `${url}/health/live`, connections: CONNECTIONS, duration: 1, requests: rr });
    await run({ url: `${url}/authenticate/me`, connections: CONNECTIONS, amount: tokens.length, requests: roundRobin(tokens) });
    await run({ url: `${url}/authenticate/me`, connections: CONNECTIONS, amount: seeded.pats.length, requests: roundRobin(seeded.pats) });
    // The floor runs beside the server, in the same rounds: a bare Fastify server verifying the same
    // tokens with fast-jwt (no logging, no session check).
    const floorUrl = `http://127.0.0.1:${port + 50}/authenticate/me`;
    const floor = startProcess(
      join(ROOT, 'bench', 'floor.js'),
      { PORT: String(port + 50), JWT_SECRET: secret },
      join(dataDir, 'floor.log'),
    );
    try {
      await waitFor(`http://127.0.0.1:${port + 50}/health/live`, floor.child, floor.output);
      await run({ url: floorUrl, connections: CONNECTIONS, amount: tokens.length, requests: roundRobin(tokens) });
      const hot = await interleaved({
        baseline: { pid: pid(), url: `${url}/health/live`, requests: roundRobin(tokens) },
        bearer: { pid: pid(), url: `${url}/authenticate/me`, requests: roundRobin(tokens) },
        // One client reusing its token on every request (the common case for a service).
        bearerOneToken: { pid: pid(), url: `${url}/authenticate/me`, requests: roundRobin(tokens.slice(0, 1)) },
        bearerRole: { pid: pid(), url: `${url}/bench/admin`, requests: roundRobin(tokens) },
        bearerPermission: { pid: pid(), url: `${url}/bench/permission`, requests: roundRobin(tokens) },
        // The baseline's own answer behind the same check: the ratio measures the check alone.
        permissionPing: { pid: pid(), url: `${url}/bench/permission/ping`, requests: roundRobin(tokens) },
        // Personal access tokens of the same users (1,000 of them), on both permission routes.
        pat: { pid: pid(), url: `${url}/bench/permission`, requests: roundRobin(seeded.pats) },
        patPing: { pid: pid(), url: `${url}/bench/permission/ping`, requests: roundRobin(seeded.pats) },
        floor: { pid: floor.child.pid!, url: floorUrl, requests: roundRobin(tokens) },
      });
      results.hot = {
        baseline: hot.baseline,
        bearer: hot.bearer,
        bearerOneToken: hot.bearerOneToken,
        bearerRole: hot.bearerRole,
        bearerPermission: hot.bearerPermission,
        permissionPing: hot.permissionPing,
        pat: hot.pat,
        patPing: hot.patPing,
      };
      results.floor = hot.floor;
    } finally {
      await stop(floor.child);
    }
    results.peakRssMb = peakRssMb(pid());

    // Refresh: a pool of live refresh tokens; each request takes one and its answer puts the successor
    // back (autocannon resets per-connection context after every request, so the pool is shared).
    const pool = await Promise.all(Array.from({ length: CONNECTIONS * 2 }, () => login(url).then((t) => t.refresh_token)));
    const rowsBefore = await target.count('SELECT COUNT(*) AS n FROM refresh_tokens');
    let refreshes = 0;
    const cpuBefore = cpuMs(pid());
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
    results.refreshCpuUs = Math.round(((cpuMs(pid()) - cpuBefore) * 1000) / Math.max(1, refresh.requests.total));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const tokenRows = (await target.count('SELECT COUNT(*) AS n FROM refresh_tokens')) - rowsBefore;
    const duplicates = await target.count(DUPLICATES);
    results.rotation = {
      refreshes,
      tokenRows,
      sessionsWithTwoLiveTokens: duplicates,
      // Rows may exceed counted answers by the requests still in flight when autocannon stopped.
      ok: duplicates === 0 && refresh.non2xx === 0 && tokenRows >= refreshes && tokenRows <= refreshes + CONNECTIONS,
    };

    // The server hashes PASSWORD_HASH_CONCURRENCY (cores − 1) at a time; compare like with like,
    // and show what every core hashing at once would give.
    results.argon2VerifiesPerSecond = await argon2Throughput(Math.max(1, availableParallelism() - 1));
    results.argon2MachineMaxPerSecond = await argon2Throughput(availableParallelism());
    const loginRun = await run({ url: `${url}/authenticate/login`, method: 'POST', headers: { authorization: BASIC }, connections: 8 });
    const oauthToken = await benchClientCredentials(url);

    // Login storm: logins saturate the hashing pool while bearer requests run.
    const idle = await run({ url: `${url}/authenticate/me`, connections: 4, requests: roundRobin(tokens) });
    const [storm] = await Promise.all([
      run({ url: `${url}/authenticate/me`, connections: 4, requests: roundRobin(tokens) }),
      run({ url: `${url}/authenticate/login`, method: 'POST', headers: { authorization: BASIC }, connections: 16 }),
    ]);
    results.scenarios = { refresh: measured(refresh), login: measured(loginRun), stormBearer: measured(storm), oauthToken };
    results.idleBearerP99 = idle.latency.p99;
    results.stormBearerP99 = storm.latency.p99;
  } finally {
    await stop(server.child);
  }
  results.logLines = await countLines(logFile, '"request completed"');

  // REVOCATION_MAX_LAG=0: no session-check cache at all, a database read on every bearer request.
  const strict = startServer(serverEnv(target, dataDir, secret, port, { REVOCATION_MAX_LAG: '0' }), logFile);
  try {
    await waitFor(`${url}/health/live`, strict.child, strict.output);
    await run({ url: `${url}/authenticate/me`, connections: CONNECTIONS, amount: tokens.length, requests: roundRobin(tokens) });
    const strictPid = strict.child.pid!;
    results.lagZero = (await interleaved({
      baseline: { pid: strictPid, url: `${url}/health/live`, requests: roundRobin(tokens) },
      bearer: { pid: strictPid, url: `${url}/authenticate/me`, requests: roundRobin(tokens) },
    })) as DbResults['lagZero'];
  } finally {
    await stop(strict.child);
  }
  results.keys = await benchKeys(target, dataDir, secret, port, tokens);
  results.metrics = await benchMetrics(target, dataDir, secret, port, tokens);
  return results as DbResults;
}

/** POST /oauth/token with the client credentials grant (argon2-bound: one verification of the secret per request). */
async function benchClientCredentials(url: string): Promise<Measured> {
  const admin = await login(url);
  const res = await fetch(`${url}/api/v1/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench-client', scopes: ['users:read'] }),
  });
  const client = (await res.json()) as { client_id: string; client_secret: string };
  return measured(
    await run({
      url: `${url}/oauth/token`,
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
      connections: 8,
    }),
  );
}

/**
 * Issue 14's scenarios, interleaved in the same rounds: the HS512 server and an EdDSA server (a
 * second process on the same database, its own key) answering GET /authenticate/me for the same
 * 10,000 sessions; examples/resource-service verifying the EdDSA tokens locally against the JWKS
 * (its public route and its @Roles('ADMIN') route); and introspection on the HS512 server (a
 * service caller by Basic, the same tokens in the form body) beside that server's baseline.
 */
async function benchKeys(target: Target, dataDir: string, secret: string, port: number, hsTokens: string[]): Promise<DbResults['keys']> {
  type Keys = Omit<DbResults['keys'], 'eddsaFleet'>;
  const hsUrl = `http://127.0.0.1:${port}`;
  const edPort = port + 10;
  const edUrl = `http://127.0.0.1:${edPort}`;
  const rsPort = port + 20;
  const logFile = join(dataDir, 'server.log');
  const edDir = join(dataDir, 'eddsa');
  mkdirSync(edDir, { recursive: true });
  const hs = startServer(serverEnv(target, dataDir, secret, port, { INTROSPECTION_RATE_LIMIT: '1000000' }), logFile);
  const ed = startServer(
    serverEnv(target, edDir, secret, edPort, { ACCESS_TOKEN_ALG: 'EdDSA', JWT_ISSUER: edUrl, KEY_PUBLISH_DELAY: '600' }),
    join(edDir, 'server.log'),
  );
  let rs: ReturnType<typeof startProcess> | undefined;
  const extra: ReturnType<typeof startProcess>[] = [];
  try {
    await waitFor(`${hsUrl}/health/live`, hs.child, hs.output);
    await waitFor(`${edUrl}/health/live`, ed.child, ed.output);
    const edTokens = await resign(hsTokens, await eddsaKey(target, edDir), edUrl);
    rs = startProcess(
      join(ROOT, 'examples', 'resource-service', 'main.ts'),
      { PORT: String(rsPort), HOST: '127.0.0.1', GATEHOUSE_ISSUER: edUrl },
      join(dataDir, 'resource-service.log'),
      ['-r', 'ts-node/register/transpile-only', ...PROD_NODE_FLAGS],
    );
    const rsUrl = `http://127.0.0.1:${rsPort}`;
    await waitFor(`${rsUrl}/health`, rs.child, rs.output);
    const introspection: autocannon.Request[] = [
      {
        method: 'POST',
        headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
        setupRequest: (request) => ({ ...request, body: `token=${hsTokens[Math.floor(Math.random() * hsTokens.length)]}` }),
      },
    ];
    // Warm-up: every token once through each path (caches filled, code optimised).
    for (const [url, tokens] of [
      [`${hsUrl}/authenticate/me`, hsTokens],
      [`${edUrl}/authenticate/me`, edTokens],
      [`${rsUrl}/admin`, edTokens],
    ] as const) {
      await run({ url, connections: CONNECTIONS, amount: tokens.length, requests: roundRobin([...tokens]) });
    }
    await run({ url: `${hsUrl}/authenticate/introspect`, connections: CONNECTIONS, amount: 2000, requests: introspection });
    const interleavedKeys = (await interleaved({
      baseline: { pid: hs.child.pid!, url: `${hsUrl}/health/live`, requests: roundRobin(hsTokens) },
      hs512Bearer: { pid: hs.child.pid!, url: `${hsUrl}/authenticate/me`, requests: roundRobin(hsTokens) },
      resourcePublic: { pid: rs.child.pid!, url: `${rsUrl}/public`, requests: roundRobin(edTokens) },
      // The same answer as /public behind @Roles('ADMIN'): the ratio measures authentication alone.
      resourceRoles: { pid: rs.child.pid!, url: `${rsUrl}/admin/ping`, requests: roundRobin(edTokens) },
      // Informational: the route that answers with the whole principal (a larger body to serialize and send).
      resourcePrincipal: { pid: rs.child.pid!, url: `${rsUrl}/admin`, requests: roundRobin(edTokens) },
      introspection: { pid: hs.child.pid!, url: `${hsUrl}/authenticate/introspect`, requests: introspection },
    })) as Keys;
    await stop(rs.child);
    // EdDSA against HS512: GET /authenticate/me on FLEET.size servers of each (these two and more).
    const members: FleetMember[] = [];
    const tokens = new Map<number, string[]>();
    const enlist = async (side: string, server: ReturnType<typeof startProcess>, url: string, own: string[]) => {
      await waitFor(`${url}/health/live`, server.child, server.output);
      members.push({ side, pid: server.child.pid!, url: `${url}/authenticate/me`, requests: roundRobin(own) });
      tokens.set(server.child.pid!, own);
    };
    await enlist('HS512', hs, hsUrl, hsTokens);
    await enlist('EdDSA', ed, edUrl, edTokens);
    for (let i = 1; i < FLEET.size; i++) {
      const hsMore = fleetPort(port, 2 * i);
      const edMore = fleetPort(port, 2 * i + 1);
      const moreDir = join(dataDir, `fleet-${i}`);
      mkdirSync(moreDir, { recursive: true });
      const more = startServer(serverEnv(target, moreDir, secret, hsMore), logFile);
      extra.push(more);
      await enlist('HS512', more, `http://127.0.0.1:${hsMore}`, hsTokens);
      const edMoreDir = join(dataDir, `fleet-${i}-eddsa`);
      mkdirSync(edMoreDir, { recursive: true });
      const edMoreUrl = `http://127.0.0.1:${edMore}`;
      const edServer = startServer(
        serverEnv(target, edMoreDir, secret, edMore, { ACCESS_TOKEN_ALG: 'EdDSA', JWT_ISSUER: edMoreUrl, KEY_PUBLISH_DELAY: '600' }),
        join(edMoreDir, 'server.log'),
      );
      extra.push(edServer);
      await waitFor(`${edMoreUrl}/health/live`, edServer.child, edServer.output);
      await enlist('EdDSA', edServer, edMoreUrl, await resign(hsTokens, await eddsaKey(target, edMoreDir), edMoreUrl));
    }
    return { ...interleavedKeys, eddsaFleet: await compareFleet(members, tokens, 'HS512', 'EdDSA') };
  } finally {
    for (const server of [...extra, ...(rs ? [rs] : []), ed, hs]) await stop(server.child);
  }
}

/** The port of a fleet's `index`-th extra server (clear of the ports the other scenarios use). */
const fleetPort = (port: number, index: number) => port + 100 + index;

/** How often Prometheus scrapes in the judged metrics comparison: a common setting (its own default is a minute). */
const SCRAPE_SECONDS = 15;

/**
 * What metrics cost the bearer hot path (issue 18: at most 3 %): FLEET.size servers without
 * METRICS_PORT against FLEET.size with it, on the same database and sessions, all loaded at once
 * (fleet), their CPU including the scrapes. Judged with a scrape every SCRAPE_SECONDS; then the same
 * fleet again with a scrape every second (informational: a scrape renders the whole exposition, about
 * 1.5-2 ms of CPU, so at 1,000 requests/s a scrape a second adds 1-2 % by itself), and the CPU of one
 * scrape on its own.
 */
async function benchMetrics(
  target: Target,
  dataDir: string,
  secret: string,
  port: number,
  tokens: string[],
): Promise<DbResults['metrics']> {
  const servers: ReturnType<typeof startProcess>[] = [];
  const members: FleetMember[] = [];
  const metricsUrls: string[] = [];
  let scraper: NodeJS.Timeout | undefined;
  const scrapeEvery = (seconds: number) => {
    clearInterval(scraper);
    scraper = setInterval(() => {
      for (const url of metricsUrls) void fetch(url).then((res) => res.text());
    }, seconds * 1000);
  };
  try {
    for (let i = 0; i < 2 * FLEET.size; i++) {
      const on = i % 2 === 1;
      const serverPort = fleetPort(port, i);
      const dir = join(dataDir, `metrics-${i}`);
      mkdirSync(dir, { recursive: true });
      const extra: Record<string, string> = on ? { METRICS_PORT: String(fleetPort(port, 100 + i)) } : {};
      const server = startServer(serverEnv(target, dir, secret, serverPort, extra), join(dir, 'server.log'));
      servers.push(server);
      await waitFor(`http://127.0.0.1:${serverPort}/health/live`, server.child, server.output);
      if (on) metricsUrls.push(`http://127.0.0.1:${fleetPort(port, 100 + i)}/metrics`);
      members.push({
        side: on ? 'on' : 'off',
        pid: server.child.pid!,
        url: `http://127.0.0.1:${serverPort}/authenticate/me`,
        requests: roundRobin(tokens),
      });
    }
    const ownTokens = new Map(members.map((m) => [m.pid, tokens]));
    scrapeEvery(SCRAPE_SECONDS);
    const judged = await compareFleet(members, ownTokens, 'off', 'on');
    scrapeEvery(1);
    const everySecond = await compareFleet(members, ownTokens, 'off', 'on', false);
    clearInterval(scraper);
    // One scrape's CPU on its own (a server with metrics, idle otherwise): 200 scrapes after 20 unmeasured.
    const scraped = members.find((m) => m.side === 'on')!;
    for (let i = 0; i < 20; i++) await (await fetch(metricsUrls[0])).text();
    const before = cpuNs(scraped.pid);
    for (let i = 0; i < 200; i++) await (await fetch(metricsUrls[0])).text();
    const scrapeMs = Math.round(((cpuNs(scraped.pid) - before) / 1e6 / 200) * 100) / 100;
    // The measured servers did count: their verifications, answered from the caches, are in the exposition.
    let counted = 0;
    for (const url of metricsUrls) {
      const match = /^gatehouse_token_verifications_total\{result="valid",cache="hit"\} (\d+)/m.exec(await (await fetch(url)).text());
      counted += Number(match?.[1] ?? 0);
    }
    return { ...judged, scrapeSeconds: SCRAPE_SECONDS, everySecond, scrapeMs, verificationsCounted: counted };
  } finally {
    clearInterval(scraper);
    for (const server of servers) await stop(server.child);
  }
}

/** The EdDSA server's private key, where it keeps it: a PEM file on SQLite, a row on PostgreSQL. */
export async function eddsaKey(target: Target, edDir: string): Promise<string> {
  if (target.sqlite) {
    const dir = join(edDir, 'signing-keys');
    const file = readdirSync(dir).find((name) => name.endsWith('.pem'));
    if (!file) throw new Error('the EdDSA server wrote no key');
    return readFileSync(join(dir, file), 'utf8');
  }
  const [row] = await target.query(`SELECT private_key FROM signing_keys WHERE alg = 'EdDSA'`);
  return String(row.private_key);
}

/** The same sessions' tokens signed by the EdDSA server's key, with its kid and issuer. */
export async function resign(tokens: string[], pem: string, issuer: string): Promise<string[]> {
  const { publicJwkOf } = await import('../src/keys/key-pairs');
  const key = createPrivateKey(pem);
  const { jwk } = await publicJwkOf(key, 'EdDSA');
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid: jwk.kid })).toString('base64url');
  return tokens.map((token) => {
    const payload = { ...(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as object), iss: issuer };
    const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
  });
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Throughput of `name` over `base`, paired round by round: the median ratio and every round's. */
function pairedRatios(of: RoundsResult, base: RoundsResult): { median: number; rounds: number[] } {
  const rounds = of.perRoundRps.map((rps, i) => ratio(rps, base.perRoundRps[i]));
  return { median: ratio(median(of.perRoundRps.map((rps, i) => rps / base.perRoundRps[i])), 1), rounds };
}

/** How a fleet comparison was run, for its target's line. */
const fleetHow = (f: FleetComparison) =>
  `${f.servers / 2} servers each, all loaded at once, ${f.rate} requests/s to each, ${f.seconds} s; all of a side's CPU over all its requests`;

/** A fleet comparison's figures: the ratio, each side, each run's ratio, each server's. */
const fleetValue = (f: FleetComparison) =>
  `${f.ratio} (${f.base.label} ${f.base.cpuUs} / ${f.of.label} ${f.of.cpuUs} µs; runs ${f.perRun.join(', ')}; servers ${f.perServerCpuUs.base.join(', ')} / ${f.perServerCpuUs.of.join(', ')} µs)`;

function evaluate(r: DbResults) {
  const pg = r.database === 'PostgreSQL';
  const { baseline, bearer, bearerRole } = r.hot;
  // CPU per request of `base` over `of`, paired round by round (the median): each pair ran seconds apart.
  const cpuRatio = (of: RoundsResult, base: RoundsResult) =>
    ratio(median(of.perRoundCpuUs.map((cpu, i) => base.perRoundCpuUs[i] / cpu)), 1);
  const bearerThroughput = pairedRatios(bearer, baseline);
  const roleThroughput = pairedRatios(bearerRole, baseline);
  const refreshTarget = pg ? 0.1 : 0.15;
  return [
    {
      target: `bearer ≥ 0.90 × baseline, by server CPU per request (${r.tokens} tokens of ${r.users} users)`,
      value: `${cpuRatio(bearer, baseline)} (${baseline.cpuUs} / ${bearer.cpuUs} µs)`,
      ok: cpuRatio(bearer, baseline) >= 0.9,
    },
    {
      target: 'bearer + role ≥ 0.88 × baseline, by server CPU per request',
      value: `${cpuRatio(bearerRole, baseline)} (${baseline.cpuUs} / ${bearerRole.cpuUs} µs)`,
      ok: cpuRatio(bearerRole, baseline) >= 0.88,
    },
    {
      target: `bearer with one token on every request ≥ 0.9 × bearer with ${r.tokens} tokens round-robin (a client reusing its token costs no more), by CPU per request`,
      value: `${cpuRatio(r.hot.bearerOneToken, bearer)} (${bearer.cpuUs} / ${r.hot.bearerOneToken.cpuUs} µs)`,
      ok: cpuRatio(r.hot.bearerOneToken, bearer) >= 0.9,
    },
    {
      target:
        "bearer + `@RequirePermissions('users:read')` ≥ 0.88 × baseline, by server CPU per request (/bench/permission/ping: the baseline's answer, so the check alone)",
      value: `${cpuRatio(r.hot.permissionPing, baseline)} (${baseline.cpuUs} / ${r.hot.permissionPing.cpuUs} µs); throughput ${pairedRatios(r.hot.permissionPing, baseline).median}`,
      ok: cpuRatio(r.hot.permissionPing, baseline) >= 0.88,
    },
    {
      target: `personal access token on /bench/permission/ping ≥ 0.85 × baseline, by server CPU per request (${r.users} tokens)`,
      value: `${cpuRatio(r.hot.patPing, baseline)} (${baseline.cpuUs} / ${r.hot.patPing.cpuUs} µs); throughput ${pairedRatios(r.hot.patPing, baseline).median}`,
      ok: cpuRatio(r.hot.patPing, baseline) >= 0.85,
    },
    {
      target: 'bearer + `@RequirePermissions` on /bench/permission, answering with the principal / baseline (informational)',
      value: `${cpuRatio(r.hot.bearerPermission, baseline)} (${baseline.cpuUs} / ${r.hot.bearerPermission.cpuUs} µs)`,
      ok: true,
    },
    {
      target: 'personal access token on /bench/permission, answering with the principal / baseline (informational)',
      value: `${cpuRatio(r.hot.pat, baseline)} (${baseline.cpuUs} / ${r.hot.pat.cpuUs} µs)`,
      ok: true,
    },
    {
      target: 'POST /oauth/token (client credentials) ≥ 0.8 × pure argon2id verifications (as many at a time as the server)',
      value: `${ratio(r.scenarios.oauthToken.rps, r.argon2VerifiesPerSecond)} (${r.scenarios.oauthToken.rps} / ${r.argon2VerifiesPerSecond} per s)`,
      ok: r.scenarios.oauthToken.rps >= 0.8 * r.argon2VerifiesPerSecond,
    },
    {
      target: 'bearer / baseline throughput, median of paired rounds (secondary)',
      value: `${bearerThroughput.median} (rounds: ${bearerThroughput.rounds.join(', ')})`,
      ok: true,
    },
    {
      target: 'bearer + role / baseline throughput, median of paired rounds (secondary)',
      value: `${roleThroughput.median} (rounds: ${roleThroughput.rounds.join(', ')})`,
      ok: true,
    },
    ...(pg
      ? [
          {
            target: 'REVOCATION_MAX_LAG=0: bearer / baseline by CPU per request (informational on PostgreSQL)',
            value: `${cpuRatio(r.lagZero.bearer, r.lagZero.baseline)} (${r.lagZero.baseline.cpuUs} / ${r.lagZero.bearer.cpuUs} µs)`,
            ok: true,
          },
        ]
      : [
          {
            target: 'REVOCATION_MAX_LAG=0: bearer ≥ 0.5 × baseline by CPU per request',
            value: `${cpuRatio(r.lagZero.bearer, r.lagZero.baseline)} (${r.lagZero.baseline.cpuUs} / ${r.lagZero.bearer.cpuUs} µs)`,
            ok: cpuRatio(r.lagZero.bearer, r.lagZero.baseline) >= 0.5,
          },
        ]),
    {
      target: 'baseline ≥ 0.45 × a bare Fastify server verifying the same token, by CPU per request',
      value: `${cpuRatio(baseline, r.floor)} (floor ${r.floor.cpuUs} µs / baseline ${baseline.cpuUs} µs)`,
      ok: cpuRatio(baseline, r.floor) >= 0.45,
    },
    {
      target: `refresh ≥ ${refreshTarget} × baseline (throughput)`,
      value: `${ratio(r.scenarios.refresh.rps, baseline.measured.rps)} (${r.refreshCpuUs} µs CPU per refresh)`,
      ok: r.scenarios.refresh.rps >= refreshTarget * baseline.measured.rps,
    },
    {
      target: 'refresh rotation exact (no duplicate successors, no errors)',
      value: `${r.rotation.sessionsWithTwoLiveTokens} duplicates, ${r.rotation.tokenRows} rows / ${r.rotation.refreshes} answers`,
      ok: r.rotation.ok,
    },
    { target: `server peak RSS ≤ 200 MB (after the ${r.tokens}-token scenarios)`, value: r.peakRssMb, ok: r.peakRssMb <= 200 },
    {
      target: 'bearer p99 ≤ 1.5 × baseline p99',
      value: ratio(bearer.measured.p99, Math.max(baseline.measured.p99, 1)),
      ok: bearer.measured.p99 <= 1.5 * Math.max(baseline.measured.p99, 1),
    },
    {
      target: 'storm bearer p99 ≤ 3 × idle p99',
      value: ratio(r.stormBearerP99, Math.max(r.idleBearerP99, 1)),
      ok: r.stormBearerP99 <= 3 * Math.max(r.idleBearerP99, 1),
    },
    {
      target: 'login ≥ 0.8 × pure argon2id verifies/s (same concurrency)',
      value: ratio(r.scenarios.login.rps, r.argon2VerifiesPerSecond),
      ok: r.scenarios.login.rps >= 0.8 * r.argon2VerifiesPerSecond,
    },
    {
      target: 'login / argon2id with every core hashing (informational)',
      value: ratio(r.scenarios.login.rps, r.argon2MachineMaxPerSecond),
      ok: true,
    },
    { target: 'request log lines written (every request logged at info)', value: r.logLines, ok: r.logLines > 0 },
    {
      target: `EdDSA bearer ≥ 0.9 × HS512 bearer, by server CPU per request (${fleetHow(r.keys.eddsaFleet)})`,
      value: fleetValue(r.keys.eddsaFleet),
      ok: r.keys.eddsaFleet.ratio >= 0.9 && r.keys.eddsaFleet.failed === 0,
    },
    {
      target:
        "resource service @Roles('ADMIN') (local JWKS verification, /admin/ping: the same answer) ≥ 0.8 × its public route, by CPU per request",
      value: `${cpuRatio(r.keys.resourceRoles, r.keys.resourcePublic)} (${r.keys.resourcePublic.cpuUs} / ${r.keys.resourceRoles.cpuUs} µs); throughput ${pairedRatios(r.keys.resourceRoles, r.keys.resourcePublic).median}`,
      ok: cpuRatio(r.keys.resourceRoles, r.keys.resourcePublic) >= 0.8,
    },
    {
      target: "resource service @Roles('ADMIN') /admin, answering with the whole principal / its public route (informational)",
      value: `${cpuRatio(r.keys.resourcePrincipal, r.keys.resourcePublic)} (${r.keys.resourcePublic.cpuUs} / ${r.keys.resourcePrincipal.cpuUs} µs)`,
      ok: true,
    },
    {
      target: `bearer with METRICS_PORT (scraped every ${r.metrics.scrapeSeconds} s) ≥ 0.97 × without, by server CPU per request (${fleetHow(r.metrics)})`,
      value: `${fleetValue(r.metrics)}; ${r.metrics.verificationsCounted} verifications counted`,
      ok: r.metrics.ratio >= 0.97 && r.metrics.failed === 0 && r.metrics.verificationsCounted > 0,
    },
    {
      target: `the same fleet scraped every second (informational: one scrape costs ${r.metrics.scrapeMs} ms of CPU, ${ratio(r.metrics.scrapeMs * 1000, r.metrics.rate)} µs a request at ${r.metrics.rate} requests/s)`,
      value: fleetValue(r.metrics.everySecond),
      ok: true,
    },
    {
      target: 'introspection ≥ 0.3 × baseline, by CPU per request',
      value: `${cpuRatio(r.keys.introspection, r.keys.baseline)} (${r.keys.baseline.cpuUs} / ${r.keys.introspection.cpuUs} µs); throughput ${pairedRatios(r.keys.introspection, r.keys.baseline).median}`,
      ok: cpuRatio(r.keys.introspection, r.keys.baseline) >= 0.3,
    },
  ];
}

function markdown(all: DbResults[], machine: string): string {
  const lines = [
    `# Benchmark results`,
    '',
    `${machine}. Mode: ${QUICK ? 'quick (1 s per scenario)' : `${DURATION} s per scenario; the hot-path scenarios (and the floor, a second process) interleaved in ${ROUNDS} rounds of ${DURATION / ROUNDS} s, ratios taken round by round (the median)`}, ${CONNECTIONS} connections unless noted; autocannon runs on the same machine. Server started as \`npm run start:prod\` does (\`node ${PROD_NODE_FLAGS.join(' ')}\`), logging every request at \`info\` as JSON into a file. Bearer scenarios present ${USERS * SESSIONS_PER_USER} distinct tokens of ${USERS} users (${SESSIONS_PER_USER} sessions each) round-robin; the primary figure is the server's CPU time per request (from /proc). Comparisons of two server configurations (EdDSA / HS512, metrics on / off) run as fleets: ${FLEET.size} servers of each side loaded at once, ${FLEET.rate} requests/s to each, each side's CPU (per thread, from /proc/…/schedstat) over all its requests.`,
    '',
  ];
  for (const r of all) {
    lines.push(
      `## ${r.database}`,
      '',
      '| scenario | req/s | p50 ms | p99 ms | non-2xx | server CPU µs/request |',
      '|---|---:|---:|---:|---:|---:|',
    );
    const row = (label: string, m: Measured, cpu: number | string = '') =>
      lines.push(`| ${label} | ${m.rps} | ${m.p50} | ${m.p99} | ${m.non2xx} | ${cpu} |`);
    const rounds = (label: string, result: RoundsResult) => row(label, result.measured, result.cpuUs);
    rounds('baseline `GET /health/live`', r.hot.baseline);
    rounds('bearer `GET /authenticate/me`', r.hot.bearer);
    rounds('bearer `GET /authenticate/me`, one token on every request', r.hot.bearerOneToken);
    rounds("bearer + `@Roles('ADMIN')`", r.hot.bearerRole);
    rounds("bearer + `@RequirePermissions('users:read')` (answers with the principal)", r.hot.bearerPermission);
    rounds("bearer + `@RequirePermissions('users:read')` `GET /bench/permission/ping` (the baseline's answer)", r.hot.permissionPing);
    rounds('personal access token (`gth_…`, 1,000 of them) on the permission route', r.hot.pat);
    rounds('personal access token on `GET /bench/permission/ping`', r.hot.patPing);
    rounds('baseline, REVOCATION_MAX_LAG=0 server', r.lagZero.baseline);
    rounds('bearer, REVOCATION_MAX_LAG=0 (a database read per request)', r.lagZero.bearer);
    rounds('floor: bare Fastify + fast-jwt, same tokens', r.floor);
    row('refresh (rotating, DB write)', r.scenarios.refresh, r.refreshCpuUs);
    row('login (argon2id, 8 connections)', r.scenarios.login);
    row('`POST /oauth/token` client credentials (argon2id, 8 connections)', r.scenarios.oauthToken);
    row('bearer during a login storm (4 + 16 connections)', r.scenarios.stormBearer);
    rounds('keys run: baseline `GET /health/live` (HS512 server)', r.keys.baseline);
    rounds('keys run: HS512 bearer `GET /authenticate/me`', r.keys.hs512Bearer);
    rounds('resource service `GET /public`', r.keys.resourcePublic);
    rounds("resource service `@Roles('ADMIN')` `GET /admin/ping` (EdDSA via JWKS, the same answer as /public)", r.keys.resourceRoles);
    rounds("resource service `@Roles('ADMIN')` `GET /admin` (answers with the principal)", r.keys.resourcePrincipal);
    rounds('introspection `POST /authenticate/introspect` (Basic caller, form body)', r.keys.introspection);
    lines.push(
      `| pure argon2id verifications, ${Math.max(1, availableParallelism() - 1)} at a time (as the server) | ${r.argon2VerifiesPerSecond} | | | | |`,
    );
    lines.push(
      `| pure argon2id verifications, ${availableParallelism()} at a time (every core) | ${r.argon2MachineMaxPerSecond} | | | | |`,
      '',
    );
    lines.push('| target | measured | met |', '|---|---:|:---:|');
    for (const t of evaluate(r)) lines.push(`| ${t.target} | ${t.value} | ${t.ok ? 'yes' : '**no**'} |`);
    lines.push('');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const secret = randomBytes(64).toString('base64url');
  const all: DbResults[] = [];
  const dataDirs: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
    dataDirs.push(dir);
    return dir;
  };
  const base = process.env.DATABASE_URL;
  const targets: ((dir: string) => Promise<Target>)[] = [async (dir) => sqliteTarget(dir)];
  if (base && /^postgres(ql)?:\/\//.test(base)) targets.push(() => postgresTarget(base));
  else process.stdout.write('PostgreSQL: skipped (DATABASE_URL is not a postgres:// URL)\n');
  try {
    for (const [index, makeTarget] of targets.entries()) {
      const dir = newDir();
      const target = await makeTarget(dir);
      try {
        process.stdout.write(`Benchmarking on ${target.label}…\n`);
        all.push(await benchDatabase(target, dir, secret, 3900 + index));
        process.stdout.write(`  request log: ${(statSync(join(dir, 'server.log')).size / 2 ** 20).toFixed(1)} MB\n`);
      } finally {
        await target.cleanup();
      }
    }
  } finally {
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  }
  const report = markdown(all, machine);
  writeFileSync(
    join(__dirname, 'results.json'),
    JSON.stringify(
      { machine, quick: QUICK, at: new Date().toISOString(), runs: all.map((r) => ({ ...r, targets: evaluate(r) })) },
      null,
      2,
    ),
  );
  // --quick (CI) proves the benchmark runs; its one-second figures never replace the committed results.
  writeFileSync(join(__dirname, QUICK ? 'RESULTS.quick.md' : 'RESULTS.md'), report + '\n');
  process.stdout.write(report + '\n');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
