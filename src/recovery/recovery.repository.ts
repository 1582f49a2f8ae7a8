import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, MoreThan, Repository } from 'typeorm';
import { AccountToken } from './entities/account-token.entity';

export type AccountTokenKind = 'password_reset' | 'email_verification';

/** The `account_tokens` table. Spending a token is a conditional UPDATE: of two concurrent uses exactly one wins. */
@Injectable()
export class RecoveryRepository {
  constructor(@InjectRepository(AccountToken) private readonly tokens: Repository<AccountToken>) {}

  async create(token: { tokenHash: string; kind: AccountTokenKind; userId: string; binding: string; expiresAt: Date }): Promise<void> {
    await this.tokens.insert({ ...token, usedAt: null });
    // Housekeeping now and then: expired and used tokens have nothing left to do.
    if (Math.random() < 0.05) await this.tokens.delete({ expiresAt: LessThan(new Date(Date.now() - 86_400_000)) });
  }

  /** An unused, unexpired token of this kind, without spending it. */
  findLive(tokenHash: string, kind: AccountTokenKind): Promise<AccountToken | null> {
    return this.tokens.findOneBy({ tokenHash, kind, usedAt: IsNull(), expiresAt: MoreThan(new Date()) });
  }

  async spend(tokenHash: string): Promise<boolean> {
    const now = new Date();
    const result = await this.tokens.update({ tokenHash, usedAt: IsNull(), expiresAt: MoreThan(now) }, { usedAt: now });
    return result.affected === 1;
  }

  /** Outstanding links of a kind for a user stop working (a new password, a new link). */
  async spendAllFor(userId: string, kind: AccountTokenKind): Promise<void> {
    await this.tokens.update({ userId, kind, usedAt: IsNull() }, { usedAt: new Date() });
  }
}
