import { Injectable } from '@nestjs/common';
import type { AuthenticationFacts } from '../common/interfaces/authenticated-user';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, Not, Repository } from 'typeorm';
import { RawSql, readDate } from '../database/raw-sql';
import { Tx } from '../database/transaction';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';

export interface NewSession {
  userId: string;
  now: Date;
  expiresAt: Date;
  userAgent?: string;
  ip?: string;
  authMethod: string;
  amr: string[];
  credential: string | null;
  restriction: string | null;
  /** The permissions the login asked for (null: all the user's). */
  scope: string[] | null;
}

/** How a session's user authenticated and what the login asked for, from its row. */
export function authenticationFactsOf(session: Pick<Session, 'amr' | 'createdAt' | 'restriction' | 'scope'>): AuthenticationFacts {
  return {
    amr: session.amr ? session.amr.split(',') : [],
    authTime: Math.floor(session.createdAt.getTime() / 1000),
    restriction: session.restriction,
    scope: session.scope ? session.scope.split(' ') : null,
  };
}

/** What spending a live refresh token tells the rotation. */
export interface SpentToken {
  sessionId: string;
  userId: string;
  sessionCreatedAt: Date;
}

/**
 * The `sessions` and `refresh_tokens` tables. Writes that belong together (a session and its first
 * token; a spent token, its successor and the session's new expiry) run in the caller's transaction.
 *
 * The live-token rotation is plain SQL: it runs on every refresh, and TypeORM's query building and
 * hydration were about a fifth of its CPU time (see docs/performance.md). Statements are written
 * once with `$1` placeholders and run on both databases (RawSql).
 */
@Injectable()
export class SessionsRepository {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>,
  ) {}

  // --- sessions -------------------------------------------------------------------------------

  async insertSession(tx: Tx, session: NewSession): Promise<Session> {
    const sessions = tx.manager.getRepository(Session);
    return sessions.save(
      sessions.create({
        userId: session.userId,
        lastUsedAt: session.now,
        expiresAt: session.expiresAt,
        revokedAt: null,
        userAgent: session.userAgent?.slice(0, 512) ?? null,
        ip: session.ip?.slice(0, 64) ?? null,
        authMethod: session.authMethod.slice(0, 64),
        amr: session.amr.join(',').slice(0, 255) || null,
        credential: session.credential,
        restriction: session.restriction,
        scope: session.scope ? session.scope.join(' ') : null,
      }),
    );
  }

  /** How the session's user authenticated: its `amr`, its start (`auth_time`) and its restriction. */
  async findAuthenticationFacts(id: string): Promise<AuthenticationFacts | undefined> {
    const session = await this.sessions.findOne({
      where: { id },
      select: { id: true, amr: true, createdAt: true, restriction: true, scope: true },
    });
    return session ? authenticationFactsOf(session) : undefined;
  }

  /**
   * What the bearer guard's session check needs, in plain SQL: it runs on every cache miss, and on
   * every bearer request with REVOCATION_MAX_LAG=0, where TypeORM's query building and hydration
   * were most of its cost.
   */
  async findForCheck(id: string): Promise<{ userId: string; expiresAt: Date; revoked: boolean; credential: string | null } | undefined> {
    const rows = (await this.sessions.query(
      this.pg
        ? 'SELECT user_id, expires_at, revoked_at, credential FROM sessions WHERE id = $1'
        : 'SELECT user_id, expires_at, revoked_at, credential FROM sessions WHERE id = ?',
      [id],
    )) as { user_id: string; expires_at: Date | string; revoked_at: unknown; credential: string | null }[];
    if (rows.length === 0) return undefined;
    const [row] = rows;
    return {
      userId: String(row.user_id),
      expiresAt: readDate(row.expires_at),
      revoked: row.revoked_at !== null,
      credential: row.credential,
    };
  }

  private get pg(): boolean {
    return this.sessions.manager.connection.options.type === 'postgres';
  }

  findSession(id: string, tx?: Tx): Promise<Session | null> {
    return (tx ? tx.manager.getRepository(Session) : this.sessions).findOneBy({ id });
  }

  findActive(id: string): Promise<Session | null> {
    return this.sessions.findOneBy({ id, revokedAt: IsNull(), expiresAt: MoreThan(new Date()) });
  }

  /** A user's sessions that can still be used, most recently used first. */
  listActive(userId: string): Promise<Session[]> {
    return this.sessions.find({
      where: { userId, revokedAt: IsNull(), expiresAt: MoreThan(new Date()) },
      order: { lastUsedAt: 'DESC', id: 'ASC' },
    });
  }

  existsForUser(id: string, userId: string): Promise<boolean> {
    return this.sessions.existsBy({ id, userId });
  }

  /** Ends a session; how many were live before (0 or 1). */
  async revoke(id: string): Promise<number> {
    return (await this.sessions.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() })).affected ?? 0;
  }

  /** Ends every live session of a user (but one); how many there were. */
  async revokeAllForUser(userId: string, exceptSessionId?: string): Promise<number> {
    const where = exceptSessionId ? { userId, revokedAt: IsNull(), id: Not(exceptSessionId) } : { userId, revokedAt: IsNull() };
    return (await this.sessions.update(where, { revokedAt: new Date() })).affected ?? 0;
  }

  /** Binds a session to a new password (the one its user just changed to from it). */
  async rebind(id: string, credential: string | null): Promise<void> {
    await this.sessions.update({ id }, { credential });
  }

  async recordUse(tx: Tx, id: string, now: Date, expiresAt: Date): Promise<void> {
    await tx.manager.getRepository(Session).update({ id }, { lastUsedAt: now, expiresAt });
  }

  // --- refresh tokens -------------------------------------------------------------------------

  async insertToken(tx: Tx, token: { hash: string; sessionId: string; userId: string; expiresAt: Date; id: string }): Promise<void> {
    const sql = new RawSql(tx.manager);
    await sql.run(`INSERT INTO refresh_tokens (id, token_hash, session_id, user_id, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
      token.id,
      token.hash,
      token.sessionId,
      token.userId,
      sql.date(token.expiresAt),
    ]);
  }

  /**
   * The hot path of a refresh: spends the token if it is live (unspent, unrevoked, unexpired) and its
   * session has not ended — a conditional UPDATE, so of two concurrent spends (on one instance or
   * several) exactly one succeeds. Undefined when the token is not live.
   */
  async spendLive(tx: Tx, tokenHash: string, now: Date): Promise<SpentToken | undefined> {
    const sql = new RawSql(tx.manager);
    const spent = await sql.run(
      `UPDATE refresh_tokens SET spent_at = $1
       WHERE token_hash = $2 AND spent_at IS NULL AND revoked_at IS NULL AND expires_at > $3
         AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = refresh_tokens.session_id AND s.revoked_at IS NULL)
       RETURNING session_id, user_id, (SELECT s.created_at FROM sessions s WHERE s.id = refresh_tokens.session_id) AS session_created_at`,
      [sql.date(now), tokenHash, sql.date(now)],
    );
    if (spent.rows.length !== 1) return undefined;
    const row = spent.rows[0];
    return { sessionId: String(row.session_id), userId: String(row.user_id), sessionCreatedAt: sql.readDate(row.session_created_at) };
  }

  /**
   * PostgreSQL: the whole rotation of a live token in one statement — spend it (only if live and its
   * session not ended), insert the successor with its expiry (sliding, capped by the session's start
   * plus `maxLifetimeSeconds`), extend the session, and commit `audit` — one round trip instead of
   * six (BEGIN, four statements, COMMIT), and atomic by itself. Undefined when the token is not live.
   */
  async rotateLiveInOneStatement(args: {
    tokenHash: string;
    now: Date;
    successor: { id: string; hash: string; slidingExpiry: Date };
    maxLifetimeSeconds: number;
    audit: (firstParam: number) => { sql: string; params: unknown[] };
  }): Promise<{ sessionId: string; userId: string; expiresAt: Date; sessionStillLive: boolean } | undefined> {
    const audit = args.audit(7);
    const rows = (await this.sessions.query(
      `WITH spent AS (
         UPDATE refresh_tokens SET spent_at = $1
         WHERE token_hash = $2 AND spent_at IS NULL AND revoked_at IS NULL AND expires_at > $1
           AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = refresh_tokens.session_id AND s.revoked_at IS NULL)
         RETURNING session_id, user_id
       ), session AS (
         SELECT s.id, LEAST($5::timestamptz, s.created_at + make_interval(secs => $6)) AS expires_at
         FROM sessions s JOIN spent ON s.id = spent.session_id
       ), successor AS (
         INSERT INTO refresh_tokens (id, token_hash, session_id, user_id, expires_at)
         SELECT $3, $4, spent.session_id, spent.user_id, session.expires_at FROM spent, session RETURNING id
       ), touched AS (
         UPDATE sessions SET last_used_at = $1, expires_at = session.expires_at
         FROM session WHERE sessions.id = session.id AND sessions.revoked_at IS NULL RETURNING sessions.id
       ), audited AS (${audit.sql})
       SELECT spent.session_id, spent.user_id, session.expires_at,
              (SELECT COUNT(*) FROM touched) AS touched, (SELECT COUNT(*) FROM successor) AS issued, (SELECT COUNT(*) FROM audited) AS audited
       FROM spent, session`,
      [
        args.now,
        args.tokenHash,
        args.successor.id,
        args.successor.hash,
        args.successor.slidingExpiry,
        args.maxLifetimeSeconds,
        ...audit.params,
      ],
    )) as { session_id: string; user_id: string; expires_at: Date; touched: string }[];
    if (rows.length !== 1) return undefined;
    const [row] = rows;
    return {
      sessionId: String(row.session_id),
      userId: String(row.user_id),
      expiresAt: new Date(row.expires_at),
      sessionStillLive: Number(row.touched) === 1,
    };
  }

  /** Whether the rotation can run as one statement (PostgreSQL's data-modifying CTEs; SQLite has none). */
  get rotatesInOneStatement(): boolean {
    return this.pg;
  }

  /** The session's use after a rotation; false when it was ended meanwhile (by a concurrent request). */
  async touchLive(tx: Tx, sessionId: string, now: Date, expiresAt: Date): Promise<boolean> {
    const sql = new RawSql(tx.manager);
    const touched = await sql.run(`UPDATE sessions SET last_used_at = $1, expires_at = $2 WHERE id = $3 AND revoked_at IS NULL`, [
      sql.date(now),
      sql.date(expiresAt),
      sessionId,
    ]);
    return touched.affected === 1;
  }

  findToken(tokenHash: string, tx?: Tx): Promise<RefreshToken | null> {
    return (tx ? tx.manager.getRepository(RefreshToken) : this.tokens).findOneBy({ tokenHash });
  }

  findTokenById(tx: Tx, id: string): Promise<RefreshToken> {
    return tx.manager.getRepository(RefreshToken).findOneByOrFail({ id });
  }

  /** Spends a token that was live when read; false when another request spent it first. */
  async spend(tx: Tx, id: string, now: Date): Promise<boolean> {
    const result = await tx.manager.getRepository(RefreshToken).update({ id, spentAt: IsNull() }, { spentAt: now });
    return result.affected === 1;
  }
}
