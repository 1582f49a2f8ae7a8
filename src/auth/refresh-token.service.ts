import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { appConfig } from '../config/app.config';
import { RefreshToken } from './entities/refresh-token.entity';

export interface IssuedRefreshToken {
  token: string;
  sessionId: string;
  userId: string;
  expiresIn: number;
}

export type RotationResult =
  | { outcome: 'rotated'; issued: IssuedRefreshToken }
  | { outcome: 'reused'; sessionId: string }
  | { outcome: 'unknown' | 'expired' | 'revoked' };

/** 256 random bits, base64url: unguessable, and URL- and header-safe. */
const TOKEN_BYTES = 32;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Rotating refresh tokens (OAuth 2.0 Security BCP, RFC 9700 §4.14.2): each token is exchanged once
 * for a successor; presenting a spent token again means it leaked, so the whole session is revoked.
 */
@Injectable()
export class RefreshTokenService {
  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Starts a new session for the user and returns its first refresh token. */
  startSession(userId: string): Promise<IssuedRefreshToken> {
    return this.issue(this.dataSource.manager, userId, randomUUID());
  }

  /**
   * Spends `token` and issues its successor in one transaction. The spend is a conditional UPDATE
   * (`spent_at IS NULL`), so of two concurrent exchanges — on one instance or several — exactly one
   * wins; the loser is treated as reuse.
   */
  async rotate(token: string): Promise<RotationResult> {
    const result = await this.dataSource.transaction(async (manager): Promise<RotationResult> => {
      const repository = manager.getRepository(RefreshToken);
      const current = await repository.findOneBy({ tokenHash: hashToken(token) });
      if (!current) return { outcome: 'unknown' };
      if (current.revokedAt) return { outcome: 'revoked' };
      if (current.spentAt) return { outcome: 'reused', sessionId: current.sessionId };
      if (current.expiresAt.getTime() <= Date.now()) return { outcome: 'expired' };
      const spent = await repository.update({ id: current.id, spentAt: IsNull(), revokedAt: IsNull() }, { spentAt: new Date() });
      if (spent.affected !== 1) return { outcome: 'reused', sessionId: current.sessionId };
      return { outcome: 'rotated', issued: await this.issue(manager, current.userId, current.sessionId) };
    });
    if (result.outcome === 'reused') {
      // Outside the rotation transaction: the revocation must stand even though the request fails.
      await this.revokeSession(result.sessionId);
    }
    return result;
  }

  /** Ends a session: none of its refresh tokens can be exchanged any more. */
  async revokeSession(sessionId: string): Promise<void> {
    await this.dataSource
      .getRepository(RefreshToken)
      .update({ sessionId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  private async issue(manager: EntityManager, userId: string, sessionId: string): Promise<IssuedRefreshToken> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const expiresIn = this.config.jwt.refreshTtl;
    await manager.getRepository(RefreshToken).insert({
      id: randomUUID(),
      tokenHash: hashToken(token),
      sessionId,
      userId,
      expiresAt: new Date(Date.now() + expiresIn * 1000),
      spentAt: null,
      revokedAt: null,
    });
    return { token, sessionId, userId, expiresIn };
  }
}
