import { INestApplicationContext, Injectable, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { AppConfig, loadConfig } from '../config/app.config';
import { ConfigError } from '../config/config.error';
import { Refused } from './cli-errors';

/**
 * The server's application — the same modules and configuration, without HTTP — opened by the
 * commands that need it, once per run; `--help` and bad usage open nothing. The configuration is
 * validated as at the server's start-up (a bad one: its message, exit 1).
 */
@Injectable()
export class GatehouseApp {
  private app?: Promise<INestApplicationContext>;

  config(): AppConfig {
    try {
      return loadConfig(process.env);
    } catch (error) {
      if (error instanceof ConfigError) throw new Refused(error.message);
      throw error;
    }
  }

  /** The application context: migrations applied, key store and revocation bus started, as in the server. */
  context(): Promise<INestApplicationContext> {
    this.config();
    this.app ??= NestFactory.createApplicationContext(AppModule, { logger: new StderrLogger(), abortOnError: false });
    return this.app;
  }

  get<T>(type: new (...args: never[]) => T): Promise<T> {
    return this.context().then((app) => app.get(type));
  }

  async close(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    if (app) await (await app).close();
  }
}

/** Warnings and errors to stderr, nothing else: stdout carries only the command's JSON. */
export class StderrLogger implements LoggerService {
  log(): void {}
  warn(message: unknown): void {
    process.stderr.write(`warning: ${String(message)}\n`);
  }
  error(message: unknown): void {
    process.stderr.write(`error: ${String(message)}\n`);
  }
}
