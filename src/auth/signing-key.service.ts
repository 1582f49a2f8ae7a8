import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { KeyObject, createHash, createSecretKey, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MIN_SECRET_BYTES, appConfig } from '../config/app.config';
import { SigningKey } from './entities/signing-key.entity';

const SHARED_KEY_ID = 'default';

/**
 * The HS512 key. JWT_SECRET when set; on SQLite without it, the generated file in DATA_DIR; on
 * PostgreSQL without it, a key generated once into the database, so that every instance behind a
 * load balancer signs and verifies with the same key (the first instance to start creates it).
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private readonly logger = new Logger(SigningKeyService.name);
  private current?: KeyObject;
  private currentKid?: string;
  /** Every key that may verify a token, by `kid`: the current one and JWT_SECRET_PREVIOUS. */
  private readonly byKid = new Map<string, KeyObject>();

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    this.current = this.config.jwt.secret ?? (await this.sharedKey());
    this.currentKid = kidOf(this.current);
    for (const key of [this.current, ...this.config.jwt.previousSecrets]) {
      if (!this.byKid.has(kidOf(key))) this.byKid.set(kidOf(key), key);
    }
  }

  /** The key new tokens are signed with. */
  get key(): KeyObject {
    if (!this.current) throw new Error('The signing key is not loaded yet');
    return this.current;
  }

  /** The `kid` header of new tokens. */
  get kid(): string {
    if (!this.currentKid) throw new Error('The signing key is not loaded yet');
    return this.currentKid;
  }

  /**
   * The configured key a token's `kid` names, or undefined. The kid only selects among configured
   * keys: it is never used as a path, a query or a URL (RFC 8725 §3.10; jku/x5u/jwk are ignored).
   */
  verificationKey(kid: unknown): KeyObject | undefined {
    return typeof kid === 'string' ? this.byKid.get(kid) : undefined;
  }

  private async sharedKey(): Promise<KeyObject> {
    const keys = this.dataSource.getRepository(SigningKey);
    await keys
      .createQueryBuilder()
      .insert()
      .values({ id: SHARED_KEY_ID, secret: randomBytes(MIN_SECRET_BYTES).toString('base64url') })
      .orIgnore()
      .execute();
    const row = await keys.findOneByOrFail({ id: SHARED_KEY_ID });
    this.logger.warn(
      'JWT_SECRET is not set: using the signing key generated into the database and shared by all instances. ' +
        'Set JWT_SECRET from a secret store to keep the key out of the database.',
    );
    return createSecretKey(Buffer.from(row.secret, 'base64url'));
  }
}

/** A public, stable name for a key: a truncated hash that reveals nothing usable about the key. */
export function kidOf(key: KeyObject): string {
  return createHash('sha256').update('gatehouse-kid:').update(key.export()).digest('base64url').slice(0, 16);
}
