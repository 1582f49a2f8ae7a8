import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDataDir } from '../config/data-dir';
import type { KeyPairAlgorithm } from './key-pairs';

/** A lock file older than this was left by a process that died holding it (the work under it takes milliseconds). */
const LOCK_STALE_MS = 10_000;
/** A generated key pair as stored: the private key (PKCS#8 PEM) and when it starts signing. */
export interface StoredKeyPair {
  kid: string;
  alg: KeyPairAlgorithm;
  privateKeyPem: string;
  createdAt: Date;
  /** Published from `createdAt`, signing from `activatesAt`. */
  activatesAt: Date;
}

/** Where generated key pairs live: PostgreSQL rows (KeysRepository) or PEM files in DATA_DIR. */
export interface KeyPairStorage {
  list(): Promise<StoredKeyPair[]>;
  /**
   * Adds `create()`'s key unless `conflict(existing)` says no (then returns the reason). Runs under a
   * lock shared by every instance (PostgreSQL) or process (the files), so two rotations cannot both pass.
   */
  insertUnless(
    conflict: (existing: StoredKeyPair[]) => string | undefined,
    create: () => Promise<StoredKeyPair>,
  ): Promise<string | undefined>;
  /** Deletes retired keys: their private material is destroyed, not just hidden. */
  remove(kids: string[]): Promise<void>;
}

const HEADER = 'Gatehouse signing key';

/**
 * SQLite deployments keep generated key pairs as PEM files, mode 0600, in DATA_DIR/signing-keys/,
 * one per key and named by its kid. The algorithm and dates are RFC 7468 explanatory text above the
 * PEM block (OpenSSL ignores it), so each file is a standard PEM key that also says what it is for:
 *
 *   Gatehouse signing key
 *   alg: EdDSA
 *   created: 2026-11-29T20:00:00.000Z
 *   activates: 2026-11-29T20:10:00.000Z
 *   -----BEGIN PRIVATE KEY-----
 */
export class KeyPairFiles implements KeyPairStorage {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'signing-keys');
  }

  list(): Promise<StoredKeyPair[]> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((name) => name.endsWith('.pem'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve([]);
      throw error;
    }
    const pairs: StoredKeyPair[] = [];
    for (const name of names) {
      const pair = parse(name.slice(0, -'.pem'.length), readFileSync(join(this.dir, name), 'utf8'));
      if (pair) pairs.push(pair);
    }
    return Promise.resolve(pairs);
  }

  async insertUnless(
    conflict: (existing: StoredKeyPair[]) => string | undefined,
    create: () => Promise<StoredKeyPair>,
  ): Promise<string | undefined> {
    // One process at a time: a lock file created exclusively (the server and the CLI may race).
    ensureDataDir(this.dir);
    const lock = join(this.dir, '.lock');
    // Longer than a stale lock's age below, so a lock left by a crash is broken, not waited out.
    const deadline = Date.now() + LOCK_STALE_MS + 5000;
    for (;;) {
      try {
        writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > deadline) throw error;
        // Left behind by a process that died holding it (the work under the lock takes milliseconds).
        const held = statSync(lock, { throwIfNoEntry: false });
        if (held && Date.now() - held.mtimeMs > LOCK_STALE_MS) rmSync(lock, { force: true });
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    try {
      const refusal = conflict(await this.list());
      if (refusal) return refusal;
      this.write(await create());
      return undefined;
    } finally {
      rmSync(lock, { force: true });
    }
  }

  remove(kids: string[]): Promise<void> {
    for (const kid of kids) rmSync(join(this.dir, `${kid}.pem`), { force: true });
    return Promise.resolve();
  }

  /** Written to a temporary file, then hard-linked into place: nobody reads a half-written key. */
  private write(pair: StoredKeyPair): void {
    const path = join(this.dir, `${pair.kid}.pem`);
    const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const text = [
      HEADER,
      `alg: ${pair.alg}`,
      `created: ${pair.createdAt.toISOString()}`,
      `activates: ${pair.activatesAt.toISOString()}`,
      pair.privateKeyPem.trim(),
      '',
    ].join('\n');
    try {
      writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
      linkSync(temporary, path);
    } finally {
      rmSync(temporary, { force: true });
    }
  }
}

function parse(kid: string, text: string): StoredKeyPair | undefined {
  const begin = text.indexOf('-----BEGIN');
  if (!text.startsWith(HEADER) || begin < 0) return undefined;
  const fields = new Map<string, string>();
  for (const line of text.slice(0, begin).split('\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const createdAt = new Date(fields.get('created') ?? '');
  const activatesAt = new Date(fields.get('activates') ?? '');
  const alg = fields.get('alg') as KeyPairAlgorithm | undefined;
  if (!alg || Number.isNaN(createdAt.getTime()) || Number.isNaN(activatesAt.getTime())) return undefined;
  return { kid, alg, privateKeyPem: text.slice(begin), createdAt, activatesAt };
}
