import { Logger, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import 'reflect-metadata';
import { appOptions, configureApp, createHttpAdapter } from './app.setup';
import { AppConfig, loadConfig } from './config/app.config';
import { ConfigError } from './config/config.error';
import { createLogger } from './common/logging';
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
  // With tracing on, log lines written within a request carry its trace_id (and span_id).
  const pino = createLogger(config.logLevel, { mixin: activeTracing()?.logFields });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, createHttpAdapter(config, pino), appOptions(pino));
  await configureApp(app, config);
  await app.listen(config.http.port, config.http.host);
  const shownHost = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host;
  logger.log(`Listening on http://${shownHost}:${config.http.port} (Swagger UI: /docs)`);
}
