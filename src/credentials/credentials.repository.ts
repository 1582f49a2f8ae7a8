import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, Repository } from 'typeorm';
import { OAuthClient } from './entities/oauth-client.entity';
import { PersonalAccessToken } from './entities/personal-access-token.entity';

/** What verifying a personal access token needs from its row. */
export type PatRecord = Pick<PersonalAccessToken, 'id' | 'userId' | 'scopes' | 'expiresAt' | 'revokedAt'>;

/** A client with its secret hashes (for authentication only). */
export type ClientWithSecrets = OAuthClient & { secretHash: string; previousSecretHash: string | null };

/** The tables of API credentials: `personal_access_tokens` and `oauth_clients`. */
@Injectable()
export class CredentialsRepository {
  constructor(
    @InjectRepository(PersonalAccessToken) private readonly pats: Repository<PersonalAccessToken>,
    @InjectRepository(OAuthClient) private readonly clients: Repository<OAuthClient>,
  ) {}

  insertPat(fields: Pick<PersonalAccessToken, 'userId' | 'name' | 'tokenHash' | 'scopes' | 'expiresAt'>): Promise<PersonalAccessToken> {
    return this.pats.save(this.pats.create({ ...fields, lastUsedAt: null, revokedAt: null }));
  }

  /** A user's tokens that are not revoked (expired ones too: they show as expired), newest first. */
  listPats(userId: string): Promise<PersonalAccessToken[]> {
    return this.pats.find({ where: { userId, revokedAt: IsNull() }, order: { createdAt: 'DESC' } });
  }

  countUnrevokedPats(userId: string): Promise<number> {
    return this.pats.count({ where: { userId, revokedAt: IsNull() } });
  }

  findPatByHash(tokenHash: string): Promise<PatRecord | null> {
    return this.pats.findOne({ where: { tokenHash }, select: { id: true, userId: true, scopes: true, expiresAt: true, revokedAt: true } });
  }

  /** Revokes a token of this user; false when they have no such unrevoked token. */
  async revokePat(id: string, userId: string, now: Date): Promise<PersonalAccessToken | null> {
    const token = await this.pats.findOneBy({ id, userId, revokedAt: IsNull() });
    if (!token) return null;
    const result = await this.pats.update({ id, revokedAt: IsNull() }, { revokedAt: now });
    return result.affected ? token : null;
  }

  /** Records a use of these tokens, except those with one recorded within `minIntervalMs` (by any instance). */
  async touchPats(ids: string[], now: Date, minIntervalMs: number): Promise<void> {
    const before = new Date(now.getTime() - minIntervalMs);
    await this.pats
      .createQueryBuilder()
      .update(PersonalAccessToken)
      .set({ lastUsedAt: now })
      .where('id IN (:...ids)', { ids })
      .andWhere('(last_used_at IS NULL OR last_used_at < :before)', { before })
      .execute();
  }

  insertClient(fields: Pick<OAuthClient, 'name' | 'scopes' | 'secretHash' | 'createdBy'>): Promise<OAuthClient> {
    return this.clients.save(
      this.clients.create({ ...fields, enabled: true, previousSecretHash: null, previousSecretExpiresAt: null, secretRotatedAt: null }),
    );
  }

  listClients(): Promise<OAuthClient[]> {
    return this.clients.find({ order: { createdAt: 'ASC' } });
  }

  findClient(id: string): Promise<OAuthClient | null> {
    return this.clients.findOneBy({ id });
  }

  findClientWithSecrets(id: string): Promise<ClientWithSecrets | null> {
    return this.clients
      .createQueryBuilder('client')
      .addSelect(['client.secretHash', 'client.previousSecretHash'])
      .where('client.id = :id', { id })
      .getOne() as Promise<ClientWithSecrets | null>;
  }

  async updateClient(id: string, fields: Partial<Pick<OAuthClient, 'name' | 'scopes' | 'enabled'>>): Promise<void> {
    await this.clients.update({ id }, fields);
  }

  /**
   * The new secret replaces the current one, which stays valid until `previousExpiresAt` (null: at
   * once invalid). One statement: two rotations at once cannot lose a secret between read and write.
   */
  async rotateClientSecret(id: string, secretHash: string, previousExpiresAt: Date | null, now: Date): Promise<boolean> {
    const result = await this.clients
      .createQueryBuilder()
      .update(OAuthClient)
      .set({
        previousSecretHash: previousExpiresAt ? () => 'secret_hash' : null,
        secretHash,
        previousSecretExpiresAt: previousExpiresAt,
        secretRotatedAt: now,
      })
      .where('id = :id', { id })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async deleteClient(id: string): Promise<boolean> {
    return ((await this.clients.delete({ id })).affected ?? 0) > 0;
  }

  /** Forgets previous secrets whose grace period is over. */
  async expirePreviousSecrets(now: Date): Promise<void> {
    await this.clients.update({ previousSecretExpiresAt: LessThan(now) }, { previousSecretHash: null, previousSecretExpiresAt: null });
  }
}
