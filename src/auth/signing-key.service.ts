import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { KeyObject, createSecretKey, randomBytes } from 'node:crypto';
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

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    this.current = this.config.jwt.secret ?? (await this.sharedKey());
  }

  get key(): KeyObject {
    if (!this.current) throw new Error('The signing key is not loaded yet');
    return this.current;
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
