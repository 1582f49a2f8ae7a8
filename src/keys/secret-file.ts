import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../config/config.error';
import { ensureDataDir } from '../config/data-dir';
import { dirname } from 'node:path';

/**
 * A generated secret that survives restarts (SQLite without JWT_SECRET). It is written to a
 * temporary file and then hard-linked into place, which fails atomically when the file exists, so
 * concurrent first starts agree on one secret and nobody reads a half-written file. Mode 0600.
 */
export function readOrCreateSecretFile(path: string, bytes: number): Buffer {
  ensureDataDir(dirname(path));
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, randomBytes(bytes).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigError('DATA_DIR', `cannot store the generated JWT secret at ${path}: ${(error as Error).message}`);
    }
  } finally {
    rmSync(temporary, { force: true });
  }
  const secret = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
  if (secret.length < bytes) {
    throw new ConfigError('JWT_SECRET', `file ${path} holds fewer than ${bytes} bytes; delete it to regenerate`);
  }
  return secret;
}
