import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { KeyObject, createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { appConfig } from '../config/app.config';
import { Transactions, Tx } from '../database/transaction';
import { KeyStore } from '../keys/key-store';
import type { RefreshToken } from './entities/refresh-token.entity';
import { SessionsRepository } from './sessions.repository';

export interface IssuedRefreshToken {
  token: string;
  sessionId: string;
  userId: string;
  /** Seconds until this refresh token expires. */
  expiresIn: number;
  /** When the session ends unless refreshed again; access tokens never outlive it. */
  sessionExpiresAt: Date;
}

/** A refresh token that can still be exchanged (RefreshTokenService.describeLive). */
export interface LiveRefreshToken {
  sessionId: string;
  userId: string;
  issuedAt: Date;
  expiresAt: Date;
}

export type RotationResult =
  | {
      outcome: 'rotated';
      issued: IssuedRefreshToken;
      /** A spent token's successor handed out again within REFRESH_REUSE_GRACE. */
      grace?: true;
    }
  | { outcome: 'reused'; sessionId: string; userId: string }
  | { outcome: 'unknown' | 'expired' | 'revoked' };

/** 256 random bits, base64url: unguessable, and URL-, header- and cookie-safe. */
const TOKEN_BYTES = 32;

/** The `info` of the successor key (HKDF from the root secret): never the access-token signing key. */
export const SUCCESSOR_KEY_PURPOSE = 'gatehouse refresh-token successor v1';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Refresh tokens: issued when a session starts, rotated on every use (OAuth 2.0 Security BCP,
 * RFC 9700 §4.14.2). Each token is exchanged once for a successor; presenting a spent token again
 * means it leaked, so the whole session is revoked — except within REFRESH_REUSE_GRACE seconds of
 * the exchange, when the live token's immediate predecessor yields that same successor again, so
 * two tabs refreshing at once do not log the user out.
 */
@Injectable()
export class RefreshTokenService {
  private successorKey?: KeyObject;

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly repository: SessionsRepository,
    private readonly transactions: Transactions,
    private readonly keys: KeyStore,
    private readonly audit: AuditService,
  ) {}

  /** The first refresh token of a session being started in `tx`. */
  issueFirst(tx: Tx, sessionId: string, userId: string, now: Date): Promise<IssuedRefreshToken> {
    return this.insert(tx, randomBytes(TOKEN_BYTES).toString('base64url'), sessionId, userId, now, now);
  }

  /** When a new session's first token expires (and with it the session, unless refreshed). */
  firstExpiry(now: Date): Date {
    return this.expiry(now, now);
  }

  /**
   * Spends `token` and issues its successor in one transaction. The spend is a conditional UPDATE
   * (`spent_at IS NULL`), so of two concurrent exchanges — on one instance or several — exactly one
   * issues the successor; the other finds it spent and, within the grace, gets the same successor.
   * A `reused` result still has to be acted on (the caller ends the session, outside this transaction).
   */
  async rotate(token: string): Promise<RotationResult> {
    if (this.repository.rotatesInOneStatement) {
      const rotated = await this.rotateLiveInOneStatement(token);
      if (rotated) return rotated;
    }
    return this.transactions.run(async (tx): Promise<RotationResult> => {
      const now = new Date();
      const spent = await this.repository.spendLive(tx, hashToken(token), now);
      if (spent) return this.issueSuccessor(tx, token, spent.sessionId, spent.userId, spent.sessionCreatedAt, now, true);
      return this.classify(tx, token);
    });
  }

  /**
   * PostgreSQL's fast path: a live token's whole rotation, event included, in one statement (one round
   * trip). Undefined when the token is not live; the general path then finds out why.
   */
  private async rotateLiveInOneStatement(token: string): Promise<RotationResult | undefined> {
    const now = new Date();
    const successor = this.successorOf(token);
    const done = await this.repository.rotateLiveInOneStatement({
      tokenHash: hashToken(token),
      now,
      successor: {
        id: randomUUID(),
        hash: hashToken(successor),
        slidingExpiry: new Date(now.getTime() + this.config.jwt.refreshTtl * 1000),
      },
      maxLifetimeSeconds: this.config.sessions.maxLifetime,
      audit: (firstParam) =>
        this.audit.insertFromSelect(
          { type: 'token.refresh' },
          'spent',
          { userId: 'spent.user_id', details: "json_build_object('sessionId', spent.session_id)::text" },
          firstParam,
        ),
    });
    if (!done) return undefined;
    // Ended by a concurrent request since the spend (the session's row was locked and re-checked): the successor is useless.
    if (!done.sessionStillLive) return { outcome: 'revoked' };
    const expiresIn = Math.floor((done.expiresAt.getTime() - now.getTime()) / 1000);
    return {
      outcome: 'rotated',
      issued: { token: successor, sessionId: done.sessionId, userId: done.userId, expiresIn, sessionExpiresAt: done.expiresAt },
    };
  }

  /** The session a refresh token belongs to (spent or not), for logout. */
  async sessionOf(token: string): Promise<{ sessionId: string; userId: string } | undefined> {
    const row = await this.repository.findToken(hashToken(token));
    return row ? { sessionId: row.sessionId, userId: row.userId } : undefined;
  }

  /**
   * A refresh token that could be exchanged right now — not spent, revoked or expired — with its
   * session and dates; undefined otherwise. Reads only: introspecting a token must not spend it or
   * count as a reuse.
   */
  async describeLive(token: string): Promise<LiveRefreshToken | undefined> {
    const row = await this.repository.findToken(hashToken(token));
    const now = Date.now();
    if (!row || row.spentAt || row.revokedAt || row.expiresAt.getTime() <= now) return undefined;
    return { sessionId: row.sessionId, userId: row.userId, issuedAt: row.createdAt, expiresAt: row.expiresAt };
  }

  /** Not a live token: find out why (unknown, spent within the grace, reused, expired, revoked). */
  private async classify(tx: Tx, token: string): Promise<RotationResult> {
    const current = await this.repository.findToken(hashToken(token), tx);
    if (!current) return { outcome: 'unknown' };
    const session = await this.repository.findSession(current.sessionId, tx);
    if (!session || session.revokedAt || current.revokedAt) return { outcome: 'revoked' };
    if (current.spentAt) return (await this.graceSuccessor(tx, current, token)) ?? reused(current);
    if (current.expiresAt.getTime() <= Date.now()) return { outcome: 'expired' };
    const now = new Date();
    if (!(await this.repository.spend(tx, current.id, now))) {
      const raced = await this.repository.findTokenById(tx, current.id);
      return (await this.graceSuccessor(tx, raced, token)) ?? reused(current);
    }
    return this.issueSuccessor(tx, token, current.sessionId, current.userId, session.createdAt, now, false);
  }

  private async issueSuccessor(
    tx: Tx,
    token: string,
    sessionId: string,
    userId: string,
    sessionCreatedAt: Date,
    now: Date,
    live: boolean,
  ): Promise<RotationResult> {
    const issued = await this.insert(tx, this.successorOf(token), sessionId, userId, sessionCreatedAt, now);
    if (live) {
      // Ended by a concurrent request since the spend above (PostgreSQL): the successor is useless.
      if (!(await this.repository.touchLive(tx, sessionId, now, issued.sessionExpiresAt))) return { outcome: 'revoked' };
    } else {
      await this.repository.recordUse(tx, sessionId, now, issued.sessionExpiresAt);
    }
    await this.audit.recordIn(tx, { type: 'token.refresh', userId, details: { sessionId } });
    return { outcome: 'rotated', issued };
  }

  /**
   * Within the grace, the spent token's successor again — only while that successor is the live
   * token: if it has been spent in turn, this token is two or more steps behind — reuse, not a
   * second tab (as Auth0 does).
   */
  private async graceSuccessor(tx: Tx, spent: RefreshToken, token: string): Promise<RotationResult | undefined> {
    const graceMs = this.config.sessions.reuseGrace * 1000;
    // A grace of 0 means none at all, even for an exchange in the same millisecond.
    if (graceMs <= 0 || !spent.spentAt || Date.now() - spent.spentAt.getTime() > graceMs) return undefined;
    const successor = this.successorOf(token);
    const row = await this.repository.findToken(hashToken(successor), tx);
    if (!row || row.revokedAt || row.spentAt) return undefined;
    const expiresIn = Math.max(0, Math.floor((row.expiresAt.getTime() - Date.now()) / 1000));
    return {
      outcome: 'rotated',
      issued: { token: successor, sessionId: row.sessionId, userId: row.userId, expiresIn, sessionExpiresAt: row.expiresAt },
      grace: true,
    };
  }

  /**
   * A token's successor is derived from it with HMAC under a key of its own (derived from the root
   * secret, never the signing key), so the successor can be handed out again within the grace
   * without storing any token in clear; only the server can compute it, and only from the spent token.
   */
  private successorOf(token: string): string {
    this.successorKey ??= this.keys.deriveKey(SUCCESSOR_KEY_PURPOSE);
    return createHmac('sha256', this.successorKey).update(token).digest('base64url');
  }

  /**
   * A new refresh token lives REFRESH_TOKEN_TTL, but never past the session's start plus
   * SESSION_MAX_LIFETIME: refreshing slides the expiry, up to that absolute end (ASVS 7.3.2, 10.4.8).
   */
  private expiry(sessionCreatedAt: Date, now: Date): Date {
    const sliding = now.getTime() + this.config.jwt.refreshTtl * 1000;
    const absolute = sessionCreatedAt.getTime() + this.config.sessions.maxLifetime * 1000;
    return new Date(Math.min(sliding, absolute));
  }

  private async insert(
    tx: Tx,
    token: string,
    sessionId: string,
    userId: string,
    sessionCreatedAt: Date,
    now: Date,
  ): Promise<IssuedRefreshToken> {
    const expiresAt = this.expiry(sessionCreatedAt, now);
    await this.repository.insertToken(tx, { id: randomUUID(), hash: hashToken(token), sessionId, userId, expiresAt });
    const expiresIn = Math.floor((expiresAt.getTime() - now.getTime()) / 1000);
    return { token, sessionId, userId, expiresIn, sessionExpiresAt: expiresAt };
  }
}

function reused(token: RefreshToken): RotationResult {
  return { outcome: 'reused', sessionId: token.sessionId, userId: token.userId };
}
