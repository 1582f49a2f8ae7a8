import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ADMIN } from './test-app';
import { basic } from './auth-helpers';
import { ServerProcess, freePort, startServerProcess } from './server-process';
import { TestDatabase, createPostgresDatabase } from './test-database';

/**
 * Several Gatehouse instances as separate processes on one fresh PostgreSQL database, each with its
 * own data directory and port, as on separate hosts. (Two apps in one process would share passport's
 * process-wide strategy registry, and so prove nothing about sharing state.)
 */
export interface Cluster {
  urls: string[];
  processes: ServerProcess[];
  /** Runs SQL on the instances' database (to look at what they wrote). */
  query<T = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startCluster(
  count: number,
  env: Record<string, string> = {},
  perInstance: Record<string, string>[] = [],
): Promise<Cluster> {
  const database: TestDatabase = await createPostgresDatabase();
  const dataDirs: string[] = [];
  const processes: ServerProcess[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), `gatehouse-instance-${i}-`));
      dataDirs.push(dataDir);
      const instanceEnv = {
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        ADMIN_PASSWORD: ADMIN.password,
        ...env,
        ...(perInstance[i] ?? {}),
      };
      processes.push(await startServerProcess(instanceEnv, await freePort()));
    }
  } catch (error) {
    for (const process of processes) process.child.kill('SIGKILL');
    await database.drop();
    throw error;
  }
  const client = new Client({ connectionString: database.url });
  await client.connect();
  return {
    urls: processes.map((process) => process.url),
    processes,
    query: async <T>(sql: string, parameters: unknown[] = []) => (await client.query(sql, parameters)).rows as T[],
    async stop() {
      await client.end();
      for (const process of processes) {
        process.child.kill('SIGTERM');
        await process.exited;
      }
      await database.drop();
      for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  body: any;
}

/** A JSON request to an instance; `token` as a bearer, `credentials` as Basic. */
export async function call(
  url: string,
  method: string,
  path: string,
  options: { token?: string; credentials?: [string, string]; body?: unknown } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.credentials) headers.authorization = basic(...options.credentials);
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function loginAt(
  url: string,
  username = ADMIN.username,
  password = ADMIN.password,
): Promise<{ access_token: string; refresh_token: string }> {
  const res = await call(url, 'POST', '/authenticate/login', { credentials: [username, password] });
  if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}
