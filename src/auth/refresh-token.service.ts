import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { appConfig } from '../config/app.config';
import { RawSql } from '../database/raw-sql';
import { Session } from '../sessions/entities/session.entity';
import { SessionsService } from '../sessions/sessions.service';
import { RefreshToken } from './entities/refresh-token.entity';
import { SigningKeyService } from './signing-key.service';

export interface IssuedRefreshToken {
  token: string;
  sessionId: string;
  userId: string;
  /** Seconds until this refresh token expires. */
  expiresIn: number;
  /** When the session ends unless refreshed again; access tokens never outlive it. */
  sessionExpiresAt: Date;
}

export interface ClientInfo {
  userAgent?: string;
  ip?: string;
}

export type RotationResult =
  | { outcome: 'rotated'; issued: IssuedRefreshToken }
  | { outcome: 'reused'; sessionId: string; userId: string }
  | { outcome: 'unknown' | 'expired' | 'revoked' };

/** 256 random bits, base64url: unguessable, and URL-, header- and cookie-safe. */
const TOKEN_BYTES = 32;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Rotating refresh tokens (OAuth 2.0 Security BCP, RFC 9700 §4.14.2): each token is exchanged once
 * for a successor; presenting a spent token again means it leaked, so the whole session is revoked —
 * except within REFRESH_REUSE_GRACE seconds of the exchange, when it yields the same successor
 * again, so two tabs refreshing at once do not log the user out.
 */
@Injectable()
export class RefreshTokenService {
  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: SigningKeyService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  /** Starts a session for the user and returns its first refresh token, in one transaction. */
  startSession(userId: string, client: ClientInfo, username: string): Promise<IssuedRefreshToken> {
    return this.dataSource.transaction(async (manager) => {
      const now = new Date();
      const session = await manager.getRepository(Session).save(
        manager.getRepository(Session).create({
          userId,
          lastUsedAt: now,
          expiresAt: this.refreshExpiry(now, now),
          revokedAt: null,
          userAgent: client.userAgent?.slice(0, 512) ?? null,
          ip: client.ip?.slice(0, 64) ?? null,
        }),
      );
      const issued = await this.insertToken(manager, randomBytes(TOKEN_BYTES).toString('base64url'), session.id, userId, now, now);
      await this.audit.recordWith(manager, { type: 'login.success', userId, username, details: { sessionId: session.id } });
      return issued;
    });
  }

  /**
   * Spends `token` and issues its successor in one transaction. The spend is a conditional UPDATE
   * (`spent_at IS NULL`), so of two concurrent exchanges — on one instance or several — exactly one
   * issues the successor; the other finds it spent and, within the grace, gets the same successor.
   */
  async rotate(token: string): Promise<RotationResult> {
    const result = await this.dataSource.transaction(async (manager): Promise<RotationResult> => {
      const fast = await this.rotateLive(manager, token);
      if (fast) return fast;
      // Not a live token: find out why (unknown, spent within the grace, reused, expired, revoked).
      const tokens = manager.getRepository(RefreshToken);
      const current = await tokens.findOneBy({ tokenHash: hashToken(token) });
      if (!current) return { outcome: 'unknown' };
      const session = await manager.getRepository(Session).findOneBy({ id: current.sessionId });
      if (!session || session.revokedAt || current.revokedAt) return { outcome: 'revoked' };
      if (current.spentAt) return (await this.graceSuccessor(manager, current, token)) ?? this.reused(current);
      if (current.expiresAt.getTime() <= Date.now()) return { outcome: 'expired' };
      const spent = await tokens.update({ id: current.id, spentAt: IsNull() }, { spentAt: new Date() });
      if (spent.affected !== 1) {
        const raced = await tokens.findOneByOrFail({ id: current.id });
        return (await this.graceSuccessor(manager, raced, token)) ?? this.reused(current);
      }
      const now = new Date();
      const issued = await this.insertToken(manager, this.successorOf(token), current.sessionId, current.userId, session.createdAt, now);
      await manager.getRepository(Session).update({ id: current.sessionId }, { lastUsedAt: now, expiresAt: issued.sessionExpiresAt });
      await this.audit.recordWith(manager, { type: 'token.refresh', userId: current.userId, details: { sessionId: current.sessionId } });
      return { outcome: 'rotated', issued };
    });
    if (result.outcome === 'reused') {
      // Outside the rotation transaction: the revocation must stand even though the request fails.
      await this.sessions.revoke(result.userId, result.sessionId);
    }
    return result;
  }

  /**
   * The common case in plain SQL, four statements: spend the token if it is live and its session is
   * not ended, issue the successor, extend the session, record the event. Undefined when the token
   * is not live; the caller then classifies it with the general path.
   */
  private async rotateLive(manager: EntityManager, token: string): Promise<RotationResult | undefined> {
    const sql = new RawSql(manager);
    const now = new Date();
    const spent = await sql.run(
      `UPDATE refresh_tokens SET spent_at = $1
       WHERE token_hash = $2 AND spent_at IS NULL AND revoked_at IS NULL AND expires_at > $3
         AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = refresh_tokens.session_id AND s.revoked_at IS NULL)
       RETURNING session_id, user_id, (SELECT s.created_at FROM sessions s WHERE s.id = refresh_tokens.session_id) AS session_created_at`,
      [sql.date(now), hashToken(token), sql.date(now)],
    );
    if (spent.rows.length !== 1) return undefined;
    const sessionId = String(spent.rows[0].session_id);
    const userId = String(spent.rows[0].user_id);
    const sessionCreatedAt = sql.readDate(spent.rows[0].session_created_at);
    const issued = await this.insertToken(manager, this.successorOf(token), sessionId, userId, sessionCreatedAt, now);
    const touched = await sql.run(`UPDATE sessions SET last_used_at = $1, expires_at = $2 WHERE id = $3 AND revoked_at IS NULL`, [
      sql.date(now),
      sql.date(issued.sessionExpiresAt),
      sessionId,
    ]);
    // Ended by a concurrent request since the UPDATE above (PostgreSQL): the successor is useless.
    if (touched.affected !== 1) return { outcome: 'revoked' };
    await this.audit.recordWith(manager, { type: 'token.refresh', userId, details: { sessionId } });
    return { outcome: 'rotated', issued };
  }

  /** The session a refresh token belongs to (spent or not), for logout. */
  async sessionOf(token: string): Promise<{ sessionId: string; userId: string } | undefined> {
    const row = await this.dataSource.getRepository(RefreshToken).findOneBy({ tokenHash: hashToken(token) });
    return row ? { sessionId: row.sessionId, userId: row.userId } : undefined;
  }

  private reused(token: RefreshToken): RotationResult {
    return { outcome: 'reused', sessionId: token.sessionId, userId: token.userId };
  }

  /**
   * A token's successor is derived from it with HMAC under the server key, so the successor can be
   * handed out again within the grace without storing any token in clear; only the server can
   * compute it, and only from the spent token.
   */
  private successorOf(token: string): string {
    return createHmac('sha256', this.keys.key).update(`gatehouse-refresh-successor:${token}`).digest('base64url');
  }

  private async graceSuccessor(manager: EntityManager, spent: RefreshToken, token: string): Promise<RotationResult | undefined> {
    const graceMs = this.config.sessions.reuseGrace * 1000;
    // A grace of 0 means none at all, even for an exchange in the same millisecond.
    if (graceMs <= 0 || !spent.spentAt || Date.now() - spent.spentAt.getTime() > graceMs) return undefined;
    const successor = this.successorOf(token);
    const row = await manager.getRepository(RefreshToken).findOneBy({ tokenHash: hashToken(successor) });
    // Only the immediate predecessor of the live token is answered: if the successor has been spent
    // in turn, this token is two or more steps behind — reuse, not a second tab (as Auth0 does).
    if (!row || row.revokedAt || row.spentAt) return undefined;
    const expiresIn = Math.max(0, Math.floor((row.expiresAt.getTime() - Date.now()) / 1000));
    return {
      outcome: 'rotated',
      issued: { token: successor, sessionId: row.sessionId, userId: row.userId, expiresIn, sessionExpiresAt: row.expiresAt },
    };
  }

  /**
   * A new refresh token lives REFRESH_TOKEN_TTL, but never past the session's start plus
   * SESSION_MAX_LIFETIME: refreshing slides the expiry, up to that absolute end (ASVS 7.3.2, 10.4.8).
   */
  private refreshExpiry(sessionCreatedAt: Date, now: Date): Date {
    const sliding = now.getTime() + this.config.jwt.refreshTtl * 1000;
    const absolute = sessionCreatedAt.getTime() + this.config.sessions.maxLifetime * 1000;
    return new Date(Math.min(sliding, absolute));
  }

  private async insertToken(
    manager: EntityManager,
    token: string,
    sessionId: string,
    userId: string,
    sessionCreatedAt: Date,
    now: Date,
  ): Promise<IssuedRefreshToken> {
    const expiresAt = this.refreshExpiry(sessionCreatedAt, now);
    const sql = new RawSql(manager);
    await sql.run(`INSERT INTO refresh_tokens (id, token_hash, session_id, user_id, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
      randomUUID(),
      hashToken(token),
      sessionId,
      userId,
      sql.date(expiresAt),
    ]);
    const expiresIn = Math.floor((expiresAt.getTime() - now.getTime()) / 1000);
    return { token, sessionId, userId, expiresIn, sessionExpiresAt: expiresAt };
  }
}
