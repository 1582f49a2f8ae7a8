import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOrCreateSecretFile } from './secret-file';

describe(readOrCreateSecretFile.name, () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('generates a 64-byte secret once, in a 0600 file, and reuses it', () => {
    const file = join(dataDir, 'jwt-secret');
    const first = readOrCreateSecretFile(file, 64);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.length).toBe(64);
    expect(readOrCreateSecretFile(file, 64).equals(first)).toBe(true);
    expect(readFileSync(file, 'utf8')).not.toContain(first.toString('hex'));
  });

  it('creates the data directory (0700) when it is not there yet', () => {
    const dir = join(dataDir, 'nested');
    readOrCreateSecretFile(join(dir, 'jwt-secret'), 64);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
