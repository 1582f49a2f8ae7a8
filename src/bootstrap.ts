import { Logger, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata';
import { appOptions, configureApp, createHttpAdapter } from './app.setup';
import { AppConfig, loadConfig } from './config/app.config';
import { ConfigError } from './config/config.error';
import { createLogger, flushLogger } from './common/logging';
import { SECRET_FILE } from './keys/key-store';
import { ADMIN_PASSWORD_FILE } from './users/admin-bootstrap.service';
import { activeTracing } from './tracing/tracing';

/** Starts a server for `rootModule` (the app, or the app plus the benchmark's extra route). */
export async function bootstrap(rootModule: Type<unknown>): Promise<void> {
  const logger = new Logger('Gatehouse');
  // An optional .env fills in variables the environment does not set.
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.error(error.message);
    process.exit(1);
  }
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true);
  // With tracing on, log lines written within a request carry its trace_id (and span_id).
  const pino = createLogger(config.logLevel, { pretty, mixin: activeTracing()?.logFields });
  let app: NestFastifyApplication | undefined;
  try {
    app = await NestFactory.create<NestFastifyApplication>(rootModule, createHttpAdapter(config, pino), appOptions(pino));
    await configureApp(app, config);
    await app.listen(config.http.port, config.http.host);
  } catch (error) {
    // One log line in the chosen format (a port in use, an unreachable database, …), then exit 1.
    logger.error(`Gatehouse could not start: ${(error as Error).message}`, (error as Error).stack);
    await app?.close().catch(() => undefined);
    flushLogger(pino);
    process.exit(1);
  }
  for (const line of startupBanner(config)) logger.log(line);
}

/**
 * What an operator needs to know at start: where it listens, where Swagger UI and the console are, which database
 * and signing mode are in use, and where the first administrator's generated password is (if it was
 * generated). Never a secret: the database URL is shown without its credentials.
 */
export function startupBanner(config: AppConfig): string[] {
  const shownHost = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  const base = `http://${shownHost}:${config.http.port}`;
  const lines = [
    `Listening on ${base} (Swagger UI: ${base}/docs)`,
    ...(config.console ? [`Web console: ${base}/console/`] : []),
    `Database: ${describeDatabase(config)}`,
    `Signing: ${describeSigning(config)}`,
  ];
  const adminFile = join(config.dataDir, ADMIN_PASSWORD_FILE);
  if (existsSync(adminFile)) lines.push(`The first administrator's generated password is in ${adminFile} (read it, sign in, change it)`);
  return lines;
}

function describeDatabase(config: AppConfig): string {
  const { database } = config;
  if (database.type === 'sqlite') return database.path === ':memory:' ? 'SQLite in memory' : `SQLite ${database.path}`;
  try {
    const url = new URL(database.url);
    return `PostgreSQL ${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname}${config.redisUrl ? ', with Redis' : ''}`;
  } catch {
    return 'PostgreSQL';
  }
}

function describeSigning(config: AppConfig): string {
  const { jwt, database } = config;
  if (jwt.algorithm === 'HS512') {
    if (jwt.secret) return 'HS512 with JWT_SECRET';
    return database.type === 'sqlite'
      ? `HS512 with a generated secret in ${join(config.dataDir, SECRET_FILE)}`
      : 'HS512 with a generated secret in the database (set JWT_SECRET in production)';
  }
  if (jwt.signingKeyFile) return `${jwt.algorithm} with the key in SIGNING_KEY_FILE; public keys at /.well-known/jwks.json`;
  const where = database.type === 'sqlite' ? join(config.dataDir, 'signing-keys') : 'the database';
  return `${jwt.algorithm} with generated, rotatable key pairs in ${where}; public keys at /.well-known/jwks.json`;
}
