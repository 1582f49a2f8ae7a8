import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { appOptions, configureApp, createHttpAdapter } from '../../src/app.setup';
import { createLogger } from '../../src/common/logging';
import { configVariableNames, loadConfig } from '../../src/config/app.config';
import { algorithmEnv, createPostgresDatabase, testDbKind } from './test-database';

export const ADMIN = { username: 'admin', password: 'admin-password-for-tests' };

export interface TestApp {
  app: NestFastifyApplication;
  dataDir: string;
  databaseUrl: string;
  /** A supertest agent bound to the running app. */
  http(): request.Agent;
  dataSource(): DataSource;
  /** Starts another instance on the same database, with its own data directory (as on another host). */
  sibling(env?: Record<string, string>): Promise<NestFastifyApplication>;
  /** Stops this instance and starts a new one on the same database and data directory. */
  restart(env?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/**
 * Boots the whole app in-process exactly as main.ts does (same adapter options, module graph,
 * Swagger), on a fresh database: a SQLite file in a temporary data directory, or a new PostgreSQL
 * database when the suite runs in the e2e-postgres project.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const postgres = testDbKind() === 'postgres' ? await createPostgresDatabase() : undefined;
  const databaseUrl = postgres?.url ?? `sqlite:${join(dataDir, 'gatehouse.sqlite')}`;
  let app = await startApp({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ...defaults(), ...env });
  const siblings: { app: NestFastifyApplication; dataDir: string }[] = [];

  return {
    get app() {
      return app;
    },
    dataDir,
    databaseUrl,
    http: () => request.agent(app.getHttpServer()),
    dataSource: () => app.get(DataSource),
    async sibling(more = {}) {
      const siblingDir = mkdtempSync(join(tmpdir(), 'gatehouse-sibling-'));
      const sibling = await startApp({ DATA_DIR: siblingDir, DATABASE_URL: databaseUrl, ...defaults(), ...env, ...more });
      siblings.push({ app: sibling, dataDir: siblingDir });
      return sibling;
    },
    async restart(more = {}) {
      await app.close();
      app = await startApp({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ...defaults(), ...env, ...more });
    },
    async close() {
      for (const sibling of siblings) {
        await sibling.app.close();
        rmSync(sibling.dataDir, { recursive: true, force: true });
      }
      await app.close();
      await postgres?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function defaults(): Record<string, string> {
  // Request logs off in tests (they would drown the output); errors still show.
  return { ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'error', ...algorithmEnv() };
}

/** The app reads its configuration from process.env at start-up; give it exactly `env`, then restore. */
export async function startApp(env: Record<string, string>): Promise<NestFastifyApplication> {
  const saved = { ...process.env };
  for (const name of configVariableNames()) delete process.env[name];
  for (const name of Object.keys(process.env)) if (name.startsWith('OIDC_')) delete process.env[name];
  Object.assign(process.env, env);
  try {
    const config = loadConfig(process.env);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const pino = createLogger(config.logLevel, { sync: true });
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config, pino), appOptions(pino));
    await configureApp(app, config);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  } finally {
    process.env = saved;
  }
}
