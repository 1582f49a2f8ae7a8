/**
 * Starts OpenTelemetry tracing when it is configured — imported by main.ts before anything else.
 *
 * It must run before Nest and the app module load: the instrumentations patch `http`, `pg` and
 * `ioredis` as they are required, so a module required earlier would stay untraced. That is why
 * this file reads its configuration (through config/, as everything else) before bootstrap() does,
 * and why it loads the `.env` file itself (bootstrap loads it again; values already set win).
 *
 * With tracing off (no OTLP endpoint) it loads no OpenTelemetry module at all: sdk.ts, which
 * imports them, is required only when tracing is on. An invalid tracing configuration is left for
 * bootstrap(), whose loadConfig reads the same variables and stops start-up with the message.
 */
import { existsSync } from 'node:fs';
import { ConfigError } from '../config/config.error';
import { TracingConfig, loadTracingConfig } from '../config/tracing.config';

function tracingConfig(): TracingConfig | undefined {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadTracingConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

const config = tracingConfig();
if (config) {
  // A synchronous require, on purpose: an import() would resolve after main.ts has loaded the app.
  const sdk = require('./sdk') as typeof import('./sdk');
  sdk.startTracing(config);
}
