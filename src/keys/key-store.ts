import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { KeyObject, createHash, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MIN_SECRET_BYTES, appConfig } from '../config/app.config';
import { KeysRepository } from './keys.repository';
import { readOrCreateSecretFile } from './secret-file';

/** A key that signs new tokens: its `kid`, the JWS algorithm it is for, and the key itself. */
export interface SigningKey {
  kid: string;
  alg: string;
  /** The HMAC secret, or the private key of a key pair. */
  key: KeyObject;
}

/** A key that verifies tokens carrying its `kid` (the secret, or the public key of a pair). */
export interface VerificationKey {
  kid: string;
  alg: string;
  key: KeyObject;
}

/** The file that holds the generated root secret on SQLite (in DATA_DIR, mode 0600). */
export const SECRET_FILE = 'jwt-secret';
const SHARED_KEY_ID = 'default';

/**
 * Owns Gatehouse's keys: where the root secret comes from (JWT_SECRET; else generated once — on
 * SQLite into DATA_DIR/jwt-secret, on PostgreSQL into the `signing_keys` table so every instance
 * shares it), the key that signs access tokens and the keys that verify them (the current one and
 * JWT_SECRET_PREVIOUS during a rotation), each named by a `kid`, and keys for other purposes derived
 * from the root secret (HKDF, one `info` per purpose), so no key serves two purposes.
 *
 * Callers see keys, `kid`s and algorithm names, never where they come from: an HS512 secret today;
 * a key pair is another `SigningKey` with its public half as the `VerificationKey`.
 */
@Injectable()
export class KeyStore implements OnModuleInit {
  private readonly logger = new Logger(KeyStore.name);
  private root?: Buffer;
  private signer?: SigningKey;
  private readonly byKid = new Map<string, VerificationKey>();

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly repository: KeysRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    const current = this.config.jwt.secret ?? (await this.generatedSecret());
    this.root = current.export();
    this.signer = hs512(current);
    for (const secret of [current, ...this.config.jwt.previousSecrets]) {
      const key = hs512(secret);
      if (!this.byKid.has(key.kid)) this.byKid.set(key.kid, key);
    }
  }

  /** The key new access tokens are signed with. */
  signingKey(): SigningKey {
    if (!this.signer) throw new Error('The signing key is not loaded yet');
    return this.signer;
  }

  /**
   * The configured key a token's `kid` names, or undefined. The kid only selects among configured
   * keys: it is never used as a path, a query or a URL (RFC 8725 §3.10; jku/x5u/jwk are ignored).
   */
  verificationKey(kid: unknown): VerificationKey | undefined {
    return typeof kid === 'string' ? this.byKid.get(kid) : undefined;
  }

  /**
   * The algorithms Gatehouse's own tokens may carry (pinned by every verification). Known from the
   * configuration alone, before the keys are loaded: verifiers are set up with it at construction.
   */
  algorithms(): string[] {
    return ['HS512'];
  }

  /**
   * A 256-bit key for one purpose, derived from the root secret with HKDF-SHA256 (RFC 5869) and
   * `purpose` as its `info`: keys of different purposes are independent, and none is the signing key.
   */
  deriveKey(purpose: string): KeyObject {
    if (!this.root) throw new Error('The root secret is not loaded yet');
    return createSecretKey(Buffer.from(hkdfSync('sha256', this.root, 'gatehouse', purpose, 32)));
  }

  private async generatedSecret(): Promise<KeyObject> {
    if (this.config.database.type === 'sqlite') {
      return createSecretKey(readOrCreateSecretFile(join(this.config.dataDir, SECRET_FILE), MIN_SECRET_BYTES));
    }
    const secret = await this.repository.getOrCreateSecret(SHARED_KEY_ID, () => randomBytes(MIN_SECRET_BYTES).toString('base64url'));
    this.logger.warn(
      'JWT_SECRET is not set: using the signing key generated into the database and shared by all instances. ' +
        'Set JWT_SECRET from a secret store to keep the key out of the database.',
    );
    return createSecretKey(Buffer.from(secret, 'base64url'));
  }
}

function hs512(secret: KeyObject): SigningKey {
  return { kid: kidOf(secret), alg: 'HS512', key: secret };
}

/** A public, stable name for a key: a truncated hash that reveals nothing usable about the key. */
export function kidOf(key: KeyObject): string {
  return createHash('sha256').update('gatehouse-kid:').update(key.export()).digest('base64url').slice(0, 16);
}
