import { mkdirSync } from 'node:fs';
import { ConfigError } from './config.error';

/**
 * Creates DATA_DIR (mode 0700) when something is about to be written there: the SQLite file, a
 * generated secret, the first administrator's password. Configuration parsing itself writes nothing.
 */
export function ensureDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new ConfigError('DATA_DIR', `(${dataDir}) cannot be created: ${(error as Error).message}`);
  }
}
