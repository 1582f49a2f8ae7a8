import { Logger, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import 'reflect-metadata';
import { AppModule } from './app.module';
import { loadConfig } from './config/app.config';
import { ConfigError } from './config/config.error';
import { KeyView } from './keys/dto/key.view';
import { KeyRotation } from './keys/key-rotation.service';
import { KeyRotationRefused, KeyStore } from './keys/key-store';

const USAGE = `Usage: gatehouse <command>

Commands:
  keys list     The signing keys: kid, algorithm, state (next / current / retiring) and dates, as JSON
  keys rotate   Create the next signing key: published at once, signing after KEY_PUBLISH_DELAY

Reads the same configuration as the server (environment variables, .env). From the sources:
npm run cli -- keys rotate; built: node dist/src/cli.js keys rotate.`;

/**
 * Gatehouse's command line, for operators on a host with the server's configuration. It starts the
 * application without HTTP, does one thing and exits: 0 done, 1 refused or failed, 2 bad usage.
 * Output is JSON on stdout; messages go to stderr.
 */
export async function runCli(args: string[]): Promise<number> {
  const command = args.join(' ');
  if (command !== 'keys list' && command !== 'keys rotate') {
    process.stderr.write(`${USAGE}\n`);
    return args.length === 0 || command === 'help' || command === '--help' ? 0 : 2;
  }
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  const app = await NestFactory.createApplicationContext(AppModule, { logger: new StderrLogger() });
  try {
    if (command === 'keys list') {
      print(app.get(KeyStore).describe().map(KeyView.of));
      return 0;
    }
    try {
      const key = await app.get(KeyRotation).rotate({ via: 'cli' });
      print(KeyView.of(key));
      process.stderr.write(`New key ${key.kid} published; it signs from ${key.activatesAt?.toISOString()}\n`);
      return 0;
    } catch (error) {
      if (!(error instanceof KeyRotationRefused)) throw error;
      process.stderr.write(`Refused: ${error.message}\n`);
      return 1;
    }
  } finally {
    await app.close();
  }
}

/** Warnings and errors to stderr, nothing else: stdout carries only the command's JSON. */
class StderrLogger implements LoggerService {
  log(): void {}
  warn(message: unknown): void {
    process.stderr.write(`warning: ${String(message)}\n`);
  }
  error(message: unknown): void {
    process.stderr.write(`error: ${String(message)}\n`);
  }
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      new Logger('gatehouse').error(error.message);
      process.exit(1);
    },
  );
}
