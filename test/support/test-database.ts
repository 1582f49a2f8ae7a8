import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { chromiumPath } from './browser';

export type TestDbKind = 'sqlite' | 'postgres';

export function testDbKind(): TestDbKind {
  return process.env.GATEHOUSE_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
}

/**
 * The access-token algorithm of this project's run: HS512 (the default projects), or an asymmetric
 * one in the projects that run the contract suites again with published keys (test/setup/*-eddsa.ts, *-rs256.ts).
 */
export function testAlgorithm(): string {
  return process.env.GATEHOUSE_TEST_ALG ?? 'HS512';
}

/** The environment an asymmetric project adds to every app it starts: the algorithm and a URL issuer (required then). */
export function algorithmEnv(): Record<string, string> {
  const alg = testAlgorithm();
  return alg === 'HS512' ? {} : { ACCESS_TOKEN_ALG: alg, JWT_ISSUER: 'http://gatehouse.test', KEY_PUBLISH_DELAY: '0' };
}

/**
 * `it` for a test of the HS512 shared secret itself (JWT_SECRET, JWT_SECRET_PREVIOUS): the key-pair
 * projects skip it, saying why (their keys are tested in test/keys.e2e-spec.ts).
 */
export function itWithSharedSecret(name: string, fn: jest.ProvidesCallback, timeout?: number): void {
  if (testAlgorithm() === 'HS512') it(name, fn, timeout);
  else it.skip(`${name} ${EXPECTED_SKIP} HS512 shared secret only]`, fn, timeout);
}

/** The project's name in suite titles: the database, and the algorithm when it is not the default. */
function projectLabel(): string {
  return testAlgorithm() === 'HS512' ? testDbKind() : `${testDbKind()} ${testAlgorithm()}`;
}

/** The PostgreSQL server to create test databases on, or undefined when none is configured. */
export function postgresBaseUrl(): string | undefined {
  const url = process.env.DATABASE_URL;
  return url && /^postgres(ql)?:\/\//.test(url) ? url : undefined;
}

/**
 * Skips and missing services. A suite that only makes sense on one database is skipped on the other
 * with `[expected skip: …]` in its title; the summary reporter counts those and, in CI, fails the run
 * on any other skip. A suite that needs a service the machine lacks (PostgreSQL, Redis, Chromium) is
 * skipped on a developer's laptop, saying what is missing — but in CI (`CI=true`) it fails instead.
 */
export const EXPECTED_SKIP = '[expected skip:';

const inCI = /^(true|1)$/i.test(process.env.CI ?? '');
const noticesShown = new Set<string>();

function missingService(name: string, what: string, body: () => void): void {
  if (inCI) {
    describe(name, () => {
      it(`has ${what}`, () => {
        throw new Error(`${what} is required in CI (CI=true); it is missing, so this suite cannot run`);
      });
    });
    return;
  }
  if (!noticesShown.has(what)) {
    noticesShown.add(what);
    process.stdout.write(`skipped: ${what} is missing (in CI this is a failure)\n`);
  }
  describe.skip(`${name} [skipped: ${what} is missing]`, body);
}

/**
 * `describe` for e2e suites: on the PostgreSQL project, suites need DATABASE_URL pointing at a
 * PostgreSQL server (skipped without one, failed in CI).
 */
export function describeE2E(name: string, body: () => void): void {
  if (testDbKind() === 'postgres' && !postgresBaseUrl()) return missingService(name, 'PostgreSQL (DATABASE_URL=postgres://…)', body);
  describe(`${name} [${projectLabel()}]`, body);
}

/** `describeE2E` for suites that only make sense on PostgreSQL (several instances, outages). */
export function describePostgresOnly(name: string, body: () => void): void {
  if (testDbKind() === 'postgres') describeE2E(name, body);
  else describe.skip(`${name} ${EXPECTED_SKIP} PostgreSQL only]`, body);
}

/** `describeE2E` for suites that do not depend on the database and run once, in the SQLite project. */
export function describeOnce(name: string, body: () => void): void {
  if (testDbKind() === 'sqlite' && testAlgorithm() === 'HS512') describeE2E(name, body);
  else describe.skip(`${name} ${EXPECTED_SKIP} runs once, in the SQLite project]`, body);
}

/** Suites in real Chromium (Debian's `chromium`, or CHROMIUM_PATH): once, in the SQLite project. */
export function describeBrowser(name: string, body: () => void): void {
  if (testDbKind() === 'sqlite' && !chromiumPath()) return missingService(name, 'Chromium (apt-get install chromium)', body);
  describeOnce(name, body);
}

/**
 * `describeE2E` for suites that drive an outside program (Debian's `prometheus`, …): without it they
 * are skipped on a laptop, saying what to install, and fail in CI.
 */
export function describeWithProgram(name: string, what: string, present: boolean, body: () => void): void {
  if (!present) return missingService(name, what, body);
  describeE2E(name, body);
}

/** Suites that need Redis (REDIS_URL) and several instances on PostgreSQL. */
export function describeRedis(name: string, body: () => void): void {
  if (testDbKind() === 'postgres' && !process.env.REDIS_URL) return missingService(name, 'Redis (REDIS_URL=redis://…)', body);
  describePostgresOnly(name, body);
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
