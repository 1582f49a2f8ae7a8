import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { KeyObject, createHash, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIN_SECRET_BYTES, appConfig } from '../config/app.config';
import { ConfigError } from '../config/config.error';
import {
  KEY_PAIR_ALGORITHMS,
  KeyPairAlgorithm,
  PublicJwk,
  generatePrivateKey,
  privateKeyPem,
  publicJwkOf,
  readPrivateKey,
} from './key-pairs';
import { KeyPairFiles, KeyPairStorage, StoredKeyPair } from './key-pair-storage';
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

/** next: published, not signing yet; current: signs new tokens; retiring: published until its tokens have expired. */
export type KeyState = 'next' | 'current' | 'retiring';

/** What GET /api/v1/keys shows of a key: never private material. */
export interface KeyDescription {
  kid: string;
  alg: string;
  state: KeyState;
  /** In the JWKS (key pairs); an HS512 secret never is. */
  published: boolean;
  /** generated (key store), file (SIGNING_KEY_FILE), JWT_SECRET / JWT_SECRET_PREVIOUS, or the generated secret. */
  source: 'generated' | 'file' | 'JWT_SECRET' | 'JWT_SECRET_PREVIOUS' | 'generated secret';
  createdAt?: Date;
  activatesAt?: Date;
  /** When a retiring key leaves the JWKS (every token it signed has expired by then). */
  retiresAt?: Date;
}

/** A rotation that cannot happen in this configuration (HS512, SIGNING_KEY_FILE) or not now (one is pending). */
export class KeyRotationRefused extends Error {}

/** The file that holds the generated root secret on SQLite (in DATA_DIR, mode 0600). */
export const SECRET_FILE = 'jwt-secret';
const SHARED_KEY_ID = 'default';
/** A token naming an unknown kid reloads the keys (another instance may have rotated) at most this often. */
const UNKNOWN_KID_RELOAD_COOLDOWN_MS = 1000;

interface KeyPair extends VerificationKey {
  alg: KeyPairAlgorithm;
  privateKey: KeyObject;
  jwk: PublicJwk;
  createdAt: Date;
  activatesAt: Date;
}

/**
 * Owns Gatehouse's keys.
 *
 * - The root secret (JWT_SECRET; else generated once — on SQLite into DATA_DIR/jwt-secret, on
 *   PostgreSQL into `signing_keys` so every instance shares it). It signs HS512 tokens, and keys for
 *   other purposes are derived from it (HKDF, one `info` per purpose), so no key serves two purposes.
 * - With an asymmetric ACCESS_TOKEN_ALG, key pairs: read from SIGNING_KEY_FILE, or generated on first
 *   start (SQLite: PEM files in DATA_DIR; PostgreSQL: the database, shared by every instance) and
 *   rotated without logging anyone out: a new key is published KEY_PUBLISH_DELAY before it signs,
 *   and the key it replaces stays published until every token it signed has expired, then is deleted.
 *   Each instance reloads the keys periodically and when a token names a kid it does not know yet.
 *
 * Callers see keys, `kid`s and algorithm names, never where they come from.
 */
@Injectable()
export class KeyStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(KeyStore.name);
  private root?: Buffer;
  private secrets: SigningKey[] = [];
  /** Key pairs, oldest activation first (the last one activated signs). */
  private pairs: KeyPair[] = [];
  private readonly byKid = new Map<string, VerificationKey>();
  private readonly storage?: KeyPairStorage;
  private timer?: NodeJS.Timeout;
  private reloading?: Promise<void>;
  private lastReload = 0;

  /** Parsed key pairs by kid: a PEM is parsed and its thumbprint computed once, not at every reload. */
  private readonly parsedByKid = new Map<string, KeyPair>();

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly repository: KeysRepository,
  ) {
    if (this.mode === 'generated') this.storage = config.database.type === 'sqlite' ? new KeyPairFiles(config.dataDir) : repository;
  }

  /** secret: HS512; file: one key pair from SIGNING_KEY_FILE; generated: rotatable key pairs in the key store. */
  get mode(): 'secret' | 'file' | 'generated' {
    if (this.config.jwt.algorithm === 'HS512') return 'secret';
    return this.config.jwt.signingKeyFile ? 'file' : 'generated';
  }

  async onModuleInit(): Promise<void> {
    const current = this.config.jwt.secret ?? (await this.generatedSecret());
    this.root = current.export();
    if (this.mode === 'secret') {
      this.secrets = [current, ...this.config.jwt.previousSecrets].map(hs512);
      for (const key of this.secrets) if (!this.byKid.has(key.kid)) this.byKid.set(key.kid, key);
      return;
    }
    if (this.mode === 'file') {
      this.install([await this.fromFile(this.config.jwt.signingKeyFile as string)]);
      return;
    }
    await this.reload();
    this.timer = setInterval(() => void this.reloadQuietly(), this.reloadIntervalSeconds() * 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The key new access tokens are signed with: for key pairs, the last one whose activation has come. */
  signingKey(): SigningKey {
    if (this.mode === 'secret') {
      if (!this.secrets[0]) throw new Error('The signing key is not loaded yet');
      return this.secrets[0];
    }
    const now = Date.now();
    for (let i = this.pairs.length - 1; i >= 0; i--) {
      const pair = this.pairs[i];
      if (pair.activatesAt.getTime() <= now) return { kid: pair.kid, alg: pair.alg, key: pair.privateKey };
    }
    throw new Error('No signing key is active yet');
  }

  /**
   * The configured key a token's `kid` names, or undefined. The kid only selects among configured
   * keys: it is never used as a path, a query or a URL (RFC 8725 §3.10; jku/x5u/jwk are ignored).
   */
  verificationKey(kid: unknown): VerificationKey | undefined {
    return typeof kid === 'string' ? this.byKid.get(kid) : undefined;
  }

  /**
   * Like verificationKey, but an unknown kid first reloads the key store (another instance may just
   * have rotated), at most once per second whatever the number of tokens asking.
   */
  async verificationKeyOrReload(kid: unknown): Promise<VerificationKey | undefined> {
    const known = this.verificationKey(kid);
    if (known || typeof kid !== 'string' || this.mode !== 'generated') return known;
    if (Date.now() - this.lastReload >= UNKNOWN_KID_RELOAD_COOLDOWN_MS) await this.reloadQuietly();
    return this.verificationKey(kid);
  }

  /**
   * The algorithms Gatehouse's own tokens may carry (each key also pins its own). Known from the
   * configuration alone, before the keys are loaded: verifiers are set up with it at construction.
   */
  algorithms(): string[] {
    return this.mode === 'secret' ? ['HS512'] : [...KEY_PAIR_ALGORITHMS];
  }

  /** The public keys for the JWKS (next, current and retiring); none under HS512. */
  publishedKeys(): PublicJwk[] {
    return this.pairs.map((pair) => pair.jwk);
  }

  /** Every key with its state and dates (GET /api/v1/keys). */
  describe(now = Date.now()): KeyDescription[] {
    if (this.mode === 'secret') {
      return this.secrets.map((key, index) => ({
        kid: key.kid,
        alg: key.alg,
        state: index === 0 ? 'current' : 'retiring',
        published: false,
        source: index > 0 ? 'JWT_SECRET_PREVIOUS' : this.config.jwt.secret ? 'JWT_SECRET' : 'generated secret',
      }));
    }
    const current = this.currentIndex(now);
    return this.pairs.map((pair, index) => ({
      kid: pair.kid,
      alg: pair.alg,
      state: index > current ? 'next' : index === current ? 'current' : 'retiring',
      published: true,
      source: this.mode === 'file' ? 'file' : 'generated',
      createdAt: pair.createdAt,
      activatesAt: pair.activatesAt,
      retiresAt: index < current ? this.retirement(this.pairs[index + 1]) : undefined,
    }));
  }

  /**
   * Creates the next key: published now, signing from now + KEY_PUBLISH_DELAY. Refused under HS512,
   * with SIGNING_KEY_FILE, and while another new key waits for its activation.
   */
  async rotate(): Promise<KeyDescription> {
    if (this.mode === 'secret') {
      throw new KeyRotationRefused(
        'Access tokens are signed with HS512 (ACCESS_TOKEN_ALG): rotate the secret by moving it to JWT_SECRET_PREVIOUS and setting a new JWT_SECRET',
      );
    }
    if (this.mode === 'file' || !this.storage) {
      throw new KeyRotationRefused(
        'The signing key comes from SIGNING_KEY_FILE: rotate it by replacing the file (keys are generated and rotated only without it)',
      );
    }
    const now = new Date();
    const activatesAt = new Date(now.getTime() + this.config.jwt.keyPublishDelay * 1000);
    let created: StoredKeyPair | undefined;
    const refusal = await this.storage.insertUnless(
      (existing) => {
        const pending = existing.find((pair) => pair.activatesAt.getTime() > now.getTime());
        return pending
          ? `A new key (${pending.kid}) is already published and starts signing at ${pending.activatesAt.toISOString()}; rotate again after that`
          : undefined;
      },
      async () => (created = await this.newPair(now, activatesAt)),
    );
    if (refusal || !created) throw new KeyRotationRefused(refusal ?? 'The key was not created');
    // A reload already running may have listed the keys before this one was written: wait for it,
    // then load again, so the new key is installed before it is described.
    await this.reloading?.catch(() => undefined);
    await this.reload();
    const kid = created.kid;
    const described = this.describe().find((key) => key.kid === kid);
    if (!described) throw new Error('The new key did not load');
    return described;
  }

  /**
   * A 256-bit key for one purpose, derived from the root secret with HKDF-SHA256 (RFC 5869) and
   * `purpose` as its `info`: keys of different purposes are independent, and none is the signing key.
   */
  deriveKey(purpose: string): KeyObject {
    if (!this.root) throw new Error('The root secret is not loaded yet');
    return createSecretKey(Buffer.from(hkdfSync('sha256', this.root, 'gatehouse', purpose, 32)));
  }

  /**
   * Reads the stored key pairs, creates the first one (or one for a newly configured algorithm),
   * deletes those past their retirement, and installs the rest. One reload at a time.
   */
  private reload(): Promise<void> {
    this.reloading ??= this.load().finally(() => {
      this.reloading = undefined;
      this.lastReload = Date.now();
    });
    return this.reloading;
  }

  private async reloadQuietly(): Promise<void> {
    try {
      await this.reload();
    } catch (error) {
      this.logger.error(`Could not reload the signing keys (the loaded ones stay in use): ${(error as Error).message}`);
    }
  }

  private async load(): Promise<void> {
    const storage = this.storage as KeyPairStorage;
    const alg = this.config.jwt.algorithm as KeyPairAlgorithm;
    const now = new Date();
    // The last key activated must be of the configured algorithm: on first start, or after
    // ACCESS_TOKEN_ALG changed, a key is created that signs at once (the old ones retire as usual).
    const hasCurrent = (existing: StoredKeyPair[]): string | undefined => {
      const active = existing.filter((pair) => pair.activatesAt <= now).sort(byActivation);
      return active.at(-1)?.alg === alg ? 'a current key exists' : undefined;
    };
    let stored = await storage.list();
    if (!hasCurrent(stored)) {
      const refusal = await storage.insertUnless(hasCurrent, () => this.newPair(now, now));
      if (!refusal) this.logger.log(`Generated a new ${alg} signing key`);
      stored = await storage.list();
    }
    const pairs = (await Promise.all(stored.map((pair) => this.parsed(pair)))).filter((pair) => pair !== undefined);
    // Keys of another algorithm that never signed (a rotation pending when ACCESS_TOKEN_ALG changed) are dropped.
    const usable = pairs.filter((pair) => pair.alg === alg || pair.activatesAt <= now).sort(byActivation);
    const current = lastIndexActive(usable, now.getTime());
    const retired = usable.filter((pair, index) => index < current && now >= this.retirement(usable[index + 1]));
    const dropped = pairs.filter((pair) => !usable.includes(pair) || retired.includes(pair));
    if (dropped.length > 0) {
      await storage.remove(dropped.map((pair) => pair.kid));
      for (const pair of dropped) this.parsedByKid.delete(pair.kid);
      this.logger.log(`Retired signing keys ${dropped.map((pair) => pair.kid).join(', ')}: every token they signed has expired`);
    }
    this.install(usable.filter((pair) => !retired.includes(pair)));
  }

  private install(pairs: KeyPair[]): void {
    this.pairs = pairs;
    this.byKid.clear();
    for (const pair of pairs) this.byKid.set(pair.kid, pair);
  }

  /** When a key replaced by `successor` may leave the JWKS: its last tokens have expired by then. */
  private retirement(successor: KeyPair): Date {
    const { accessMaxTtl, clockTolerance } = this.config.jwt;
    // An instance may sign with the old key until its next reload after the successor's activation.
    const margin = accessMaxTtl + clockTolerance + this.reloadIntervalSeconds() + 60;
    return new Date(successor.activatesAt.getTime() + margin * 1000);
  }

  private currentIndex(now: number): number {
    return lastIndexActive(this.pairs, now);
  }

  /** Reload period: a quarter of KEY_PUBLISH_DELAY (so a new key is known everywhere before it signs), 5 s to 60 s. */
  private reloadIntervalSeconds(): number {
    return Math.min(60, Math.max(5, Math.floor(this.config.jwt.keyPublishDelay / 4)));
  }

  /** A stored key pair ready for use; undefined (and logged) when it is damaged or not what its name says. */
  private async parsed(stored: StoredKeyPair): Promise<KeyPair | undefined> {
    const known = this.parsedByKid.get(stored.kid);
    if (known) return known;
    try {
      if (!(KEY_PAIR_ALGORITHMS as readonly string[]).includes(stored.alg)) throw new Error(`unknown algorithm ${stored.alg}`);
      const privateKey = readPrivateKey(stored.privateKeyPem, stored.alg, 'the stored key');
      const { publicKey, jwk } = await publicJwkOf(privateKey, stored.alg);
      if (jwk.kid !== stored.kid) throw new Error(`its thumbprint is ${jwk.kid}`);
      const pair: KeyPair = { ...stored, key: publicKey, privateKey, jwk };
      this.parsedByKid.set(stored.kid, pair);
      return pair;
    } catch (error) {
      this.logger.error(`Signing key ${stored.kid} is unusable and ignored: ${(error as Error).message}`);
      return undefined;
    }
  }

  private async newPair(createdAt: Date, activatesAt: Date): Promise<StoredKeyPair> {
    const alg = this.config.jwt.algorithm as KeyPairAlgorithm;
    const privateKey = generatePrivateKey(alg);
    const { jwk } = await publicJwkOf(privateKey, alg);
    return { kid: jwk.kid, alg, privateKeyPem: privateKeyPem(privateKey), createdAt, activatesAt };
  }

  private async fromFile(path: string): Promise<KeyPair> {
    const alg = this.config.jwt.algorithm as KeyPairAlgorithm;
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError('SIGNING_KEY_FILE', `cannot be read: ${(error as Error).message}`);
    }
    let privateKey: KeyObject;
    try {
      privateKey = readPrivateKey(pem, alg, path);
    } catch (error) {
      throw new ConfigError('SIGNING_KEY_FILE', (error as Error).message);
    }
    const { publicKey, jwk } = await publicJwkOf(privateKey, alg);
    return { kid: jwk.kid, alg, key: publicKey, privateKey, jwk, createdAt: new Date(0), activatesAt: new Date(0) };
  }

  private async generatedSecret(): Promise<KeyObject> {
    if (this.config.database.type === 'sqlite') {
      return createSecretKey(readOrCreateSecretFile(join(this.config.dataDir, SECRET_FILE), MIN_SECRET_BYTES));
    }
    const secret = await this.repository.getOrCreateSecret(SHARED_KEY_ID, () => randomBytes(MIN_SECRET_BYTES).toString('base64url'));
    this.logger.warn(
      'JWT_SECRET is not set: using the root secret generated into the database and shared by all instances. ' +
        'Set JWT_SECRET from a secret store to keep the key out of the database.',
    );
    return createSecretKey(Buffer.from(secret, 'base64url'));
  }
}

function byActivation(a: { activatesAt: Date; kid: string }, b: { activatesAt: Date; kid: string }): number {
  return a.activatesAt.getTime() - b.activatesAt.getTime() || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);
}

/** The index of the last key whose activation has come (-1 if none). */
function lastIndexActive(pairs: { activatesAt: Date }[], now: number): number {
  for (let i = pairs.length - 1; i >= 0; i--) if (pairs[i].activatesAt.getTime() <= now) return i;
  return -1;
}

function hs512(secret: KeyObject): SigningKey {
  return { kid: kidOf(secret), alg: 'HS512', key: secret };
}

/** A public, stable name for a secret: a truncated hash that reveals nothing usable about the key. */
export function kidOf(key: KeyObject): string {
  return createHash('sha256').update('gatehouse-kid:').update(key.export()).digest('base64url').slice(0, 16);
}
