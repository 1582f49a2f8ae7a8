import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN } from './test-app';
import { createPostgresDatabase, testDbKind } from './test-database';

const ROOT = join(__dirname, '..', '..');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/**
 * The entry point of a Gatehouse process (`main` the server, `cli` the admin CLI), from the sources
 * transpiled once per test run into .test-dist/ (test/setup/transpile-for-processes.js), so tests
 * need no build and a process starts without transpiling anything.
 */
export function processEntry(name: 'main' | 'cli'): string {
  return join(ROOT, '.test-dist', 'src', `${name}.js`);
}

/**
 * Starts Gatehouse as a real process, as `npm start` would, but from the current sources (see
 * processEntry), so the test needs no build. Resolves when /health/live answers.
 */
export async function startServerProcess(env: Record<string, string>, port: number): Promise<ServerProcess> {
  let output = '';
  const child = spawn(process.execPath, [processEntry('main')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) return { url, child, output: () => output, exited };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start:\n${output}`);
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * One Gatehouse process on a fresh database of the project's kind (a SQLite file in its own data
 * directory, or a new PostgreSQL database), with JWT_ISSUER set to its own URL unless `env` says
 * otherwise: what an outside client (openid-client, jose, another service) talks to.
 */
export async function startGatehouseProcess(
  env: Record<string, string> = {},
): Promise<ServerProcess & { dataDir: string; databaseUrl: string; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-process-'));
  const postgres = testDbKind() === 'postgres' ? await createPostgresDatabase() : undefined;
  const port = await freePort();
  const databaseUrl = postgres?.url ?? `sqlite:${join(dataDir, 'gatehouse.sqlite')}`;
  try {
    const server = await startServerProcess(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        ADMIN_PASSWORD: ADMIN.password,
        JWT_ISSUER: `http://127.0.0.1:${port}`,
        ...env,
      },
      port,
    );
    return {
      ...server,
      dataDir,
      databaseUrl,
      async stop() {
        if (server.child.exitCode === null) {
          server.child.kill('SIGTERM');
          await server.exited;
        }
        await postgres?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await postgres?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
