import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export type TestDbKind = 'sqlite' | 'postgres';

export function testDbKind(): TestDbKind {
  return process.env.GATEHOUSE_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
}

/** The PostgreSQL server to create test databases on, or undefined when none is configured. */
export function postgresBaseUrl(): string | undefined {
  const url = process.env.DATABASE_URL;
  return url && /^postgres(ql)?:\/\//.test(url) ? url : undefined;
}

let skipNoticeShown = false;

/**
 * `describe` for e2e suites: on the PostgreSQL project, suites skip (saying why) unless DATABASE_URL
 * points at a PostgreSQL server.
 */
export function describeE2E(name: string, body: () => void): void {
  if (testDbKind() === 'postgres' && !postgresBaseUrl()) {
    if (!skipNoticeShown) {
      skipNoticeShown = true;
      process.stdout.write('e2e-postgres: skipped, DATABASE_URL is not a postgres:// URL\n');
    }
    describe.skip(`${name} [postgres: skipped, DATABASE_URL is not a postgres:// URL]`, body);
    return;
  }
  describe(`${name} [${testDbKind()}]`, body);
}

/** `describeE2E` for suites that only make sense on PostgreSQL (several instances, outages). */
export function describePostgresOnly(name: string, body: () => void): void {
  if (testDbKind() === 'postgres') describeE2E(name, body);
  else describe.skip(`${name} [PostgreSQL only]`, body);
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty PostgreSQL database on the configured server, dropped after the suite. */
export async function createPostgresDatabase(): Promise<TestDatabase> {
  const base = postgresBaseUrl();
  if (!base) throw new Error('DATABASE_URL must be a postgres:// URL');
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  await withClient(base, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withClient(base, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
