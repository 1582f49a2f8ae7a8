import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, Not, type Repository } from 'typeorm';
import { SigningKey } from './entities/signing-key.entity';
import type { KeyPairAlgorithm } from './key-pairs';
import type { KeyPairStorage, StoredKeyPair } from './key-pair-storage';

/** Any constant: the key of the PostgreSQL advisory lock taken while a key pair is added. */
const KEY_PAIR_LOCK = 4_711_017;

/**
 * The `signing_keys` table: the generated root secret (PostgreSQL without JWT_SECRET) and, with an
 * asymmetric ACCESS_TOKEN_ALG on PostgreSQL, the key pairs every instance signs and verifies with.
 */
@Injectable()
export class KeysRepository implements KeyPairStorage {
  constructor(@InjectRepository(SigningKey) private readonly keys: Repository<SigningKey>) {}

  /**
   * The secret stored under `id`, creating it from `generate()` first if there is none. The insert
   * is `ON CONFLICT DO NOTHING`, so instances starting at once agree on the first one written.
   */
  async getOrCreateSecret(id: string, generate: () => string): Promise<string> {
    await this.keys.createQueryBuilder().insert().values({ id, secret: generate() }).orIgnore().execute();
    return (await this.keys.findOneByOrFail({ id })).secret;
  }

  async list(): Promise<StoredKeyPair[]> {
    return (await this.keys.find({ where: { alg: Not(IsNull()) } })).map(stored);
  }

  /** Under a transaction-scoped advisory lock shared by every instance (on SQLite, one connection serialises anyway). */
  insertUnless(
    conflict: (existing: StoredKeyPair[]) => string | undefined,
    create: () => Promise<StoredKeyPair>,
  ): Promise<string | undefined> {
    return this.keys.manager.transaction(async (manager) => {
      if (manager.connection.options.type === 'postgres') await manager.query('SELECT pg_advisory_xact_lock($1)', [KEY_PAIR_LOCK]);
      const existing = await manager.getRepository(SigningKey).find({ where: { alg: Not(IsNull()) } });
      const refusal = conflict(existing.map(stored));
      if (refusal) return refusal;
      const pair = await create();
      await manager.getRepository(SigningKey).insert({
        id: pair.kid,
        secret: '',
        alg: pair.alg,
        privateKey: pair.privateKeyPem,
        activatesAt: pair.activatesAt,
        createdAt: pair.createdAt,
      });
      return undefined;
    });
  }

  async remove(kids: string[]): Promise<void> {
    if (kids.length > 0) await this.keys.delete({ id: In(kids), alg: Not(IsNull()) });
  }
}

function stored(row: SigningKey): StoredKeyPair {
  return {
    kid: row.id,
    alg: row.alg as KeyPairAlgorithm,
    privateKeyPem: row.privateKey ?? '',
    createdAt: row.createdAt,
    activatesAt: row.activatesAt ?? row.createdAt,
  };
}
