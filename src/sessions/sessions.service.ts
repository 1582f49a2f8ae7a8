import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, MoreThan, Not, Repository } from 'typeorm';
import { appConfig } from '../config/app.config';
import { User } from '../users/entities/user.entity';
import { Session } from './entities/session.entity';
import { PrincipalCache, SessionCheck } from './principal-cache';
import { RevocationBus } from './revocation-bus';

@Injectable()
export class SessionsService implements OnModuleInit {
  private readonly cache: PrincipalCache;

  constructor(
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: RevocationBus,
  ) {
    this.cache = new PrincipalCache(config.sessions.revocationMaxLag * 1000);
  }

  onModuleInit(): void {
    this.bus.onEvent((event) => (event.kind === 'session' ? this.cache.dropSession(event.id) : this.cache.dropUser(event.id)));
  }

  /**
   * The bearer guard's check of a token's session and user: a cache hit costs a Map lookup; a miss
   * reads the session and the user with their roles (at most once per REVOCATION_MAX_LAG per session).
   */
  async check(userId: string, sessionId: string): Promise<SessionCheck> {
    const cached = this.checkCached(userId, sessionId);
    if (cached) return cached;
    const check = await this.load(userId, sessionId);
    this.cache.set(sessionId, userId, check);
    return check;
  }

  /** The check from the cache alone, synchronously (the bearer guard's hot path); undefined on a miss. */
  checkCached(userId: string, sessionId: string): SessionCheck | undefined {
    const cached = this.cache.get(sessionId);
    if (!cached) return undefined;
    return cached.ok && cached.userId !== userId ? { ok: false, reason: 'unknown-session' } : cached;
  }

  findActive(sessionId: string): Promise<Session | null> {
    return this.sessions.findOneBy({ id: sessionId, revokedAt: IsNull(), expiresAt: MoreThan(new Date()) });
  }

  /** A user's sessions that can still be used, most recently used first. */
  listActive(userId: string): Promise<Session[]> {
    return this.sessions.find({
      where: { userId, revokedAt: IsNull(), expiresAt: MoreThan(new Date()) },
      order: { lastUsedAt: 'DESC', id: 'ASC' },
    });
  }

  /**
   * Ends one session of a user: its refresh tokens can no longer be exchanged and its access tokens
   * are refused. False when the user has no such session; ending an ended session again is a no-op.
   */
  async revoke(userId: string, sessionId: string): Promise<boolean> {
    if (!(await this.sessions.existsBy({ id: sessionId, userId }))) return false;
    await this.sessions.update({ id: sessionId, revokedAt: IsNull() }, { revokedAt: new Date() });
    await this.bus.publish({ kind: 'session', id: sessionId });
    return true;
  }

  /** Ends every session of a user, or every one but `exceptSessionId`. */
  async revokeAllForUser(userId: string, exceptSessionId?: string): Promise<void> {
    const where = exceptSessionId
      ? { userId, revokedAt: IsNull(), id: Not(exceptSessionId) }
      : { userId, revokedAt: IsNull() };
    await this.sessions.update(where, { revokedAt: new Date() });
    await this.bus.publish({ kind: 'user', id: userId });
  }

  /** Something about the user changed (roles, deletion): checks of their sessions are read afresh. */
  async userChanged(userId: string): Promise<void> {
    await this.bus.publish({ kind: 'user', id: userId });
  }

  private async load(userId: string, sessionId: string): Promise<SessionCheck> {
    const session = await this.sessions.findOneBy({ id: sessionId });
    if (!session || session.userId !== userId) return { ok: false, reason: 'unknown-session' };
    if (session.revokedAt) return { ok: false, reason: 'revoked' };
    if (session.expiresAt.getTime() <= Date.now()) return { ok: false, reason: 'expired' };
    const user = await this.dataSource.getRepository(User).findOne({ where: { id: userId }, relations: { roles: true } });
    if (!user) return { ok: false, reason: 'user-unknown' };
    if (!user.enabled) return { ok: false, reason: 'user-disabled' };
    return { ok: true, userId: user.id, username: user.username, roles: user.roles.map((role) => role.name).sort() };
  }
}
