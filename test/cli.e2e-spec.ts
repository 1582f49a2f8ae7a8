import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ADMIN } from './support/test-app';
import { ServerProcess, processEntry, startGatehouseProcess } from './support/server-process';
import { EXPECTED_SKIP, describeE2E, testDbKind } from './support/test-database';

const ROOT = join(__dirname, '..');
/** Low, so "within REVOCATION_MAX_LAG" is measured in a test: the server polls the log every second. */
const LAG_SECONDS = 2;
/** HTTP and scheduling on a loaded machine, on top of the lag. */
const SLACK_MS = 750;
const SERVER_ENV = { REVOCATION_MAX_LAG: String(LAG_SECONDS), LOGIN_MAX_FAILURES: '3' };

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** When the command had exited: a change it made is committed by then. */
  endedAt: number;
}

/** The message a command ends with (start-up warnings, e.g. about JWT_SECRET, may come before it). */
const lastLine = (text: string) => text.trim().split('\n').pop();

/** A test that makes sense on one database only: skipped on the other, saying why. */
function itOn(kind: 'sqlite' | 'postgres', name: string, fn: jest.ProvidesCallback, timeout: number): void {
  if (testDbKind() === kind) it(name, fn, timeout);
  else it.skip(`${name} ${EXPECTED_SKIP} ${kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'} only]`, fn, timeout);
}

/**
 * `npm run gatehouse -- …` as an operator runs it: its own process, from the sources, with the
 * server's configuration, against the database of a running server **process** — so what it
 * changes must travel between processes (on SQLite too) to reach that server.
 */
describeE2E('gatehouse (the admin command line) against a running server', () => {
  let server: ServerProcess & { dataDir: string; databaseUrl: string; stop(): Promise<void> };

  beforeAll(async () => {
    server = await startGatehouseProcess(SERVER_ENV);
  }, 90_000);
  afterAll(() => server?.stop());

  /** Starts `gatehouse <args>`; `done` resolves when it has exited. */
  function startGatehouse(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
    const child = spawn(process.execPath, [processEntry('cli'), ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        DATA_DIR: server.dataDir,
        DATABASE_URL: server.databaseUrl,
        ADMIN_PASSWORD: ADMIN.password,
        JWT_ISSUER: server.url,
        ...SERVER_ENV,
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const done = new Promise<Run>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr, endedAt: Date.now() });
      });
    });
    child.stdin.end(options.input ?? '');
    return { child, stdout: () => stdout, done };
  }

  const gatehouse = (args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> =>
    startGatehouse(args, options).done;

  async function login(username: string, password: string): Promise<{ status: number; access?: string; refresh?: string; body: any }> {
    const res = await fetch(`${server.url}/authenticate/login`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    });
    const body = (await res.json()) as { token?: { access_token: string; refresh_token: string } };
    return { status: res.status, access: body.token?.access_token, refresh: body.token?.refresh_token, body };
  }

  async function me(token: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${server.url}/authenticate/me`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() };
  }

  /** The newest audit event of `type` about `username`, as the audit API shows it. */
  async function auditEvent(type: string, username: string): Promise<Record<string, unknown> | undefined> {
    const admin = await login(ADMIN.username, ADMIN.password);
    const res = await fetch(`${server.url}/api/v1/audit?type=${type}&limit=100`, { headers: { Authorization: `Bearer ${admin.access}` } });
    return ((await res.json()) as { items: Record<string, unknown>[] }).items.find((event) => event.username === username);
  }

  const byCommandLine = { actor: 'cli', actorId: null, requestId: expect.stringMatching(/^cli-/) };

  /** Milliseconds from `since` until `check` holds, polling; Infinity when it does not within `budgetMs`. */
  async function msUntil(since: number, budgetMs: number, check: () => Promise<boolean>): Promise<number> {
    for (;;) {
      if (await check()) return Date.now() - since;
      if (Date.now() - since > budgetMs) return Number.POSITIVE_INFINITY;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const refusedWithinLag = async (token: string, since: number) =>
    expect(await msUntil(since, LAG_SECONDS * 1000 * 3, async () => (await me(token)).status === 401)).toBeLessThanOrEqual(
      LAG_SECONDS * 1000 + SLACK_MS,
    );

  async function createUser(username: string, extra: string[] = []): Promise<string> {
    const created = await gatehouse(['user:create', username, ...extra]);
    expect({ status: created.status, stderr: created.stderr }).toEqual({
      status: 0,
      stderr: expect.stringContaining(`Created ${username}`),
    });
    return (JSON.parse(created.stdout) as { password: string }).password;
  }

  it('user:create prints a password once that logs in; reset-password replaces it and ends the live session within the lag', async () => {
    const first = await createUser('carol', ['--email', 'carol@example.org']);
    expect(first).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const session = await login('carol', first);
    expect(session.status).toBe(200);
    expect((await me(session.access!)).body).toMatchObject({ username: 'carol', roles: ['USER'] });

    const reset = await gatehouse(['user:reset-password', 'carol']);
    expect(reset.status).toBe(0);
    const { password: second, user } = JSON.parse(reset.stdout) as { password: string; user: Record<string, unknown> };
    expect(user).toMatchObject({ username: 'carol' });
    expect(reset.stdout).not.toMatch(/argon2|passwordHash/);
    // The server process caches the session check; the command line is another process.
    await refusedWithinLag(session.access!, reset.endedAt);
    expect((await login('carol', first)).status).toBe(401);
    expect((await login('carol', second)).status).toBe(200);

    // --password-stdin: the policy applies; a good password is taken as given and not printed.
    const weak = await gatehouse(['user:reset-password', 'carol', '--password-stdin'], { input: 'carol\n' });
    expect({ status: weak.status, stdout: weak.stdout }).toEqual({ status: 1, stdout: '' });
    expect(weak.stderr).toMatch(/at least 12 characters/);
    const chosen = 'a long passphrase chosen by the operator';
    const piped = await gatehouse(['user:reset-password', 'carol', '--password-stdin'], { input: `${chosen}\n` });
    expect(piped.status).toBe(0);
    expect(piped.stdout).not.toContain(chosen);
    expect(JSON.parse(piped.stdout)).not.toHaveProperty('password');
    expect((await login('carol', chosen)).status).toBe(200);
    expect(await auditEvent('user.created', 'carol')).toMatchObject(byCommandLine);
    expect(await auditEvent('password.reset', 'carol')).toMatchObject(byCommandLine);
  }, 240_000);

  it('user:disable refuses a live bearer token at the server within the lag; user:enable lets the user in again', async () => {
    const password = await createUser('dave');
    const session = await login('dave', password);
    expect((await me(session.access!)).status).toBe(200);

    const disabled = await gatehouse(['user:disable', 'dave']);
    expect(disabled.status).toBe(0);
    expect(JSON.parse(disabled.stdout).user).toMatchObject({ username: 'dave', enabled: false });
    await refusedWithinLag(session.access!, disabled.endedAt);
    expect((await login('dave', password)).status).toBe(401);

    const enabled = await gatehouse(['user:enable', 'dave']);
    expect(enabled.status).toBe(0);
    expect((await login('dave', password)).status).toBe(200);
    expect(await auditEvent('user.disabled', 'dave')).toMatchObject(byCommandLine);
    expect(await auditEvent('user.enabled', 'dave')).toMatchObject(byCommandLine);
  }, 240_000);

  it('user:add-role reaches a live token within the lag (its session ends; the next login carries the role)', async () => {
    const password = await createUser('erin');
    const session = await login('erin', password);
    expect((await me(session.access!)).body.roles).toEqual(['USER']);

    const added = await gatehouse(['user:add-role', 'erin', 'INTROSPECT']);
    expect(added.status).toBe(0);
    expect(added.stderr).toMatch(/erin now holds: .*INTROSPECT/);
    await refusedWithinLag(session.access!, added.endedAt);
    const again = await login('erin', password);
    expect((await me(again.access!)).body.roles).toEqual(expect.arrayContaining(['INTROSPECT', 'USER']));
    expect(await auditEvent('user.roles_changed', 'erin')).toMatchObject({
      ...byCommandLine,
      details: { from: 'USER', to: 'INTROSPECT,USER', actor: 'cli' },
    });

    const unknownRole = await gatehouse(['user:add-role', 'erin', 'NO_SUCH_ROLE']);
    expect({ status: unknownRole.status, stderr: lastLine(unknownRole.stderr) }).toEqual({
      status: 1,
      stderr: 'roles: unknown role(s) NO_SUCH_ROLE',
    });
  }, 240_000);

  it('sessions:revoke --user ends the refresh at once and the access token within the lag', async () => {
    const password = await createUser('frank');
    const session = await login('frank', password);
    expect((await me(session.access!)).status).toBe(200);

    const revoked = await gatehouse(['sessions:revoke', '--user', 'frank']);
    expect(revoked.status).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ username: 'frank', sessionsEnded: 1 });
    const refresh = await fetch(`${server.url}/authenticate/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: session.refresh }),
    });
    expect(refresh.status).toBe(401);
    await refusedWithinLag(session.access!, revoked.endedAt);
    expect(await auditEvent('session.revoked', 'frank')).toMatchObject({
      ...byCommandLine,
      details: { sessions: 'all', ended: 1, actor: 'cli' },
    });
  }, 240_000);

  it('user:unlock lets a locked user in (the server counts failures in its own memory: the unlock travels)', async () => {
    const password = await createUser('grace');
    for (let i = 0; i < 3; i++) expect((await login('grace', 'wrong password, again')).status).toBe(401);
    // Locked: the right password is refused like a wrong one.
    expect((await login('grace', password)).status).toBe(401);

    const unlocked = await gatehouse(['user:unlock', 'grace']);
    expect(unlocked.status).toBe(0);
    const ms = await msUntil(unlocked.endedAt, LAG_SECONDS * 1000 * 3, async () => (await login('grace', password)).status === 200);
    expect(ms).toBeLessThanOrEqual(LAG_SECONDS * 1000 + SLACK_MS);
    expect(await auditEvent('login.unlocked', 'grace')).toMatchObject(byCommandLine);
  }, 240_000);

  it('audit:tail prints the newest events as JSON lines, oldest first, with actor cli for the command line; --follow streams', async () => {
    await createUser('heidi');
    expect((await login(ADMIN.username, ADMIN.password)).status).toBe(200);
    const tail = await gatehouse(['audit:tail', '--limit', '5']);
    expect(tail.status).toBe(0);
    const events = tail.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; username: string | null; actor: string | null; timestamp: string });
    expect(events).toHaveLength(5);
    // Oldest first, like tail(1): the admin's login (an HTTP request: no actor) is the last.
    const times = events.map((e) => e.timestamp);
    expect([...times].sort()).toEqual(times);
    expect(events[4]).toMatchObject({ type: 'login.success', username: ADMIN.username, actor: null });
    expect(events.find((e) => e.type === 'user.created' && e.username === 'heidi')).toMatchObject(byCommandLine);

    // --follow: the events that happen meanwhile, as they come, until interrupted (exit 0).
    const follow = startGatehouse(['audit:tail', '--limit', '1', '--follow']);
    expect(await msUntil(Date.now(), 90_000, async () => follow.stdout().includes('\n'))).toBeLessThan(Infinity);
    expect((await login('heidi', 'not her password at all')).status).toBe(401);
    const seen = await msUntil(Date.now(), 10_000, async () =>
      /"type":"login.failure","userId":"[^"]+","username":"heidi"/.test(follow.stdout()),
    );
    follow.child.kill('SIGINT');
    const followed = await follow.done;
    expect(seen).toBeLessThan(Infinity);
    expect(followed.status).toBe(0);

    const bad = await gatehouse(['audit:tail', '--limit', 'lots']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--limit must be a whole number[\s\S]*Usage: gatehouse audit:tail/);
  }, 240_000);

  it('migration:status lists the applied migrations (exit 0, none pending)', async () => {
    const status = await gatehouse(['migration:status']);
    expect(status.status).toBe(0);
    const { applied, pending } = JSON.parse(status.stdout) as { applied: string[]; pending: string[] };
    expect(pending).toEqual([]);
    expect(applied[0]).toBe('InitialSchema1732300000000');
  }, 120_000);

  itOn(
    'sqlite',
    'db:backup copies the live database into a readable SQLite file; migration:status exits 1 on a copy with a pending migration',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gatehouse-backup-'));
      try {
        const file = join(dir, 'backup.sqlite');
        const backup = await gatehouse(['db:backup', file]);
        expect(backup.status).toBe(0);
        expect(JSON.parse(backup.stdout)).toMatchObject({ file, bytes: expect.any(Number) });
        const copy = new Database(file);
        try {
          expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
          const names = (copy.prepare('SELECT username FROM users ORDER BY username').all() as { username: string }[]).map(
            (row) => row.username,
          );
          expect(names).toContain(ADMIN.username);
          // A database one migration behind: what an upgrade finds before the server's first start.
          copy.prepare('DELETE FROM migrations WHERE id = (SELECT max(id) FROM migrations)').run();
        } finally {
          copy.close();
        }
        const behind = await gatehouse(['migration:status'], { env: { DATABASE_URL: `sqlite:${file}` } });
        expect(behind.status).toBe(1);
        expect(JSON.parse(behind.stdout).pending).toHaveLength(1);
        expect(behind.stderr).toMatch(/1 pending migration/);

        const again = await gatehouse(['db:backup', file]);
        expect({ status: again.status, stderr: lastLine(again.stderr) }).toEqual({
          status: 1,
          stderr: `${file} exists; give a new file name`,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    180_000,
  );

  itOn(
    'postgres',
    'db:backup refuses on PostgreSQL, pointing to pg_dump',
    async () => {
      const file = join(tmpdir(), `gatehouse-never-${process.pid}.sqlite`);
      const refused = await gatehouse(['db:backup', file]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/pg_dump/);
      expect(existsSync(file)).toBe(false);
    },
    120_000,
  );

  it('answers errors with a message and an exit code: unknown user 1, the last ADMIN 1, bad usage 2 with the usage, --help 0', async () => {
    const [unknown, lastAdmin, missing, unknownCommand, help] = await Promise.all([
      gatehouse(['user:disable', 'nobody']),
      gatehouse(['user:disable', ADMIN.username]),
      gatehouse(['user:create']),
      gatehouse(['user:shred', 'carol']),
      gatehouse(['--help']),
    ]);
    expect({ status: unknown.status, stdout: unknown.stdout, stderr: lastLine(unknown.stderr) }).toEqual({
      status: 1,
      stdout: '',
      stderr: 'Unknown user: nobody',
    });
    expect(lastAdmin.status).toBe(1);
    expect(lastAdmin.stderr).toMatch(/last enabled ADMIN/);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/missing required argument 'username'[\s\S]*Usage: gatehouse user:create/);
    expect(unknownCommand.status).toBe(2);
    expect(unknownCommand.stderr).toMatch(/unknown command 'user:shred'[\s\S]*Usage: gatehouse/);
    expect(help.status).toBe(0);
    for (const command of [
      'user:create',
      'user:reset-password',
      'user:unlock',
      'user:disable',
      'user:add-role',
      'sessions:revoke',
      'keys:rotate',
      'audit:tail',
      'migration:status',
      'db:backup',
    ]) {
      expect(help.stdout).toContain(command);
    }
    // The administrator is still enabled: the refusal changed nothing.
    expect((await login(ADMIN.username, ADMIN.password)).status).toBe(200);
  }, 240_000);
});
