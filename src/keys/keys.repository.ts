import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { SigningKey } from './entities/signing-key.entity';

/** The `signing_keys` table: key material generated into the database (PostgreSQL without JWT_SECRET). */
@Injectable()
export class KeysRepository {
  constructor(@InjectRepository(SigningKey) private readonly keys: Repository<SigningKey>) {}

  /**
   * The secret stored under `id`, creating it from `generate()` first if there is none. The insert
   * is `ON CONFLICT DO NOTHING`, so instances starting at once agree on the first one written.
   */
  async getOrCreateSecret(id: string, generate: () => string): Promise<string> {
    await this.keys.createQueryBuilder().insert().values({ id, secret: generate() }).orIgnore().execute();
    return (await this.keys.findOneByOrFail({ id })).secret;
  }
}
