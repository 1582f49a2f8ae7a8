import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { OnEvent } from '@nestjs/event-emitter';
import { AuditService } from '../audit/audit.service';
import type { AuthenticationFacts, Identity } from '../common/interfaces/authenticated-user';
import { appConfig } from '../config/app.config';
import { Transactions } from '../database/transaction';
import type { SessionRevocationReason } from '../metrics/metric-labels';
import { MetricsService } from '../metrics/metrics.service';
import { RoleEvent, RoleEvents } from '../roles/role-events';
import { UserEvent, UserEvents } from '../users/user-events';
import { UsersRepository } from '../users/users.repository';
import type { Session } from './entities/session.entity';
import { ChecksCache } from './checks-cache';
import { PrincipalCache, SessionCheck, SessionRefHolder } from './principal-cache';
import { IssuedRefreshToken, LiveRefreshToken, RefreshTokenService, RotationResult } from './refresh-token.service';
import { RevocationBus } from './revocation-bus';
import { SessionsRepository } from './sessions.repository';

/** A user check for credentials without a session: their identity, or why they may not act. */
export type UserCheck = ({ ok: true } & Identity) | { ok: false; reason: 'user-disabled' | 'user-unknown' };

/** A good user check is re-read at least this often even without an event (a safety net, like a session's expiry). */
const USER_CHECK_TTL_MS = 3_600_000;

/** How a session is started: the one way every login method ends (password, a provider, later MFA). */
export interface SessionStart {
  /** `password`, `oidc:<provider>`, … */
  method: string;
  /** RFC 8176 authentication method references (`pwd`, `otp`, …). */
  amr: string[];
  client: { userAgent?: string; ip?: string };
  /**
   * For a password login, the fingerprint of the password hash that was verified
   * (credentialFingerprint): the session ends when the password changes — even if the change
   * landed between this login's check and the session's start. Null for other methods.
   */
  credential: string | null;
  /** `mfa_enrolment` when the session may only enrol a second factor (MFA_REQUIRED_ROLES); null otherwise. */
  restriction?: string | null;
  /** The permissions the login asked for (a down-scoped session, sorted); null or absent: all the user's. */
  scope?: string[] | null;
}

export { authenticationFactsOf } from './sessions.repository';

/**
 * The session lifecycle: started for a verified user, kept alive by refresh-token rotation, checked
 * by the bearer guard on every request, ended by logout, reuse detection, the sessions API, or —
 * through the users module's events — when its user is disabled, deleted, or has their credentials
 * or roles changed.
 */
@Injectable()
export class SessionsService implements OnModuleInit {
  /** Absent with REVOCATION_MAX_LAG=0: every request reads its session from the database. */
  private readonly cache?: PrincipalCache;
  private readonly negativeTtlMs: number;
  /** How each session's user authenticated: fixed when the session starts, so it can be kept without invalidation. */
  private readonly facts = new Map<string, AuthenticationFacts>();
  /** Users' checks for credentials without a session (personal access tokens), kept like session checks. */
  private readonly identities: ChecksCache<UserCheck>;

  constructor(
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
    private readonly repository: SessionsRepository,
    private readonly users: UsersRepository,
    private readonly refreshTokens: RefreshTokenService,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly bus: RevocationBus,
    private readonly metrics: MetricsService,
  ) {
    if (config.sessions.revocationMaxLag > 0) this.cache = new PrincipalCache();
    this.negativeTtlMs = config.sessions.revocationMaxLag * 1000;
    this.identities = new ChecksCache<UserCheck>(bus, 50_000);
  }

  onModuleInit(): void {
    this.metrics.observe('sessionCache', () => this.cache?.size ?? 0);
    this.bus.onEvent((event) => {
      if (event.kind === 'session') this.cache?.dropSession(event.id);
      else if (event.kind === 'user') {
        this.cache?.dropUser(event.id);
        this.identities.delete(event.id);
      } else if (event.kind === 'role' || event.kind === 'all') {
        // A role's permissions changed (or this instance may have missed events): every user holding it may be cached.
        this.cache?.clear();
        this.identities.clear();
      }
    });
  }

  /**
   * Starts a session for a user whose credentials were just verified, and returns its first refresh
   * token; the session, the token and the `login.success` event commit together.
   */
  startSession(user: { id: string; username: string }, start: SessionStart): Promise<IssuedRefreshToken> {
    return this.transactions.run(async (tx) => {
      const now = new Date();
      const session = await this.repository.insertSession(tx, {
        userId: user.id,
        now,
        expiresAt: this.refreshTokens.firstExpiry(now),
        userAgent: start.client.userAgent,
        ip: start.client.ip,
        authMethod: start.method,
        amr: start.amr,
        credential: start.credential,
        restriction: start.restriction ?? null,
        scope: start.scope ?? null,
      });
      const issued = await this.refreshTokens.issueFirst(tx, session.id, user.id, now);
      await this.audit.recordIn(tx, {
        type: 'login.success',
        userId: user.id,
        username: user.username,
        details: { sessionId: session.id, method: start.method },
      });
      return issued;
    });
  }

  /** Exchanges a refresh token for its successor; a replayed one ends its session (reuse detection). */
  async refresh(refreshToken: string): Promise<RotationResult> {
    const result = await this.refreshTokens.rotate(refreshToken);
    if (result.outcome === 'reused') {
      // Outside the rotation's transaction: the revocation must stand although the request fails.
      await this.revoke(result.userId, result.sessionId, 'reuse_detected');
      await this.audit.record({ type: 'token.reuse_detected', userId: result.userId, details: { sessionId: result.sessionId } });
    }
    return result;
  }

  /** The session a refresh token belongs to (spent or not), for logout. */
  sessionOfRefreshToken(refreshToken: string): Promise<{ sessionId: string; userId: string } | undefined> {
    return this.refreshTokens.sessionOf(refreshToken);
  }

  /** A refresh token that can still be exchanged, read without spending it (introspection). */
  describeRefreshToken(refreshToken: string): Promise<LiveRefreshToken | undefined> {
    return this.refreshTokens.describeLive(refreshToken);
  }

  /** Calls `handler` whenever something about a user changes, on this instance or another (RevocationBus). */
  onUserChanged(handler: (userId: string | undefined) => void): void {
    this.bus.onEvent((event) => {
      if (event.kind === 'user') handler(event.id);
      else if (event.kind === 'role' || event.kind === 'credential' || event.kind === 'all') handler(undefined);
    });
  }

  /**
   * The bearer guard's check of a token's session and user: a cache hit costs a Map lookup; a miss
   * reads the session and the user with their roles. A good check stays cached until the session is
   * revoked (an event drops it) or expires; a refusal for REVOCATION_MAX_LAG (a user may be enabled again).
   */
  async check(userId: string, sessionId: string): Promise<SessionCheck> {
    const cached = this.checkCached(userId, sessionId);
    if (cached) return cached;
    const seen = this.bus.generation;
    const { check, validUntil } = await this.load(userId, sessionId);
    // Kept only if no revocation arrived during the read (it may be for what the read saw before it).
    if (this.bus.generation === seen) {
      this.cache?.set(sessionId, userId, check, check.ok ? validUntil : Math.min(validUntil, Date.now() + this.negativeTtlMs));
    }
    return check;
  }

  /**
   * The check from the cache alone, synchronously (the bearer guard's hot path); undefined on a miss.
   * `holder` keeps the session's cache entry between calls (see PrincipalCache.get).
   */
  checkCached(userId: string, sessionId: string, holder?: SessionRefHolder): SessionCheck | undefined {
    if (!this.cache) return undefined;
    const now = Date.now();
    // Revocations from other instances may not have arrived: read afresh (RevocationBus.trustedUntil).
    if (now > this.bus.trustedUntil) return undefined;
    const cached = this.cache.get(sessionId, now, holder);
    if (!cached) return undefined;
    return cached.ok && cached.id !== userId ? { ok: false, reason: 'unknown-session' } : cached;
  }

  /**
   * Whether a user may act now, for a credential without a session (a personal access token): their
   * identity (roles and permissions) or why not. Cached like session checks — dropped when anything
   * about the user changes (on every instance), trusted only while the revocation bus is — so a
   * credential costs no database read per request.
   */
  async checkUser(userId: string): Promise<UserCheck> {
    const cached = this.checkUserCached(userId);
    if (cached) return cached;
    const seen = this.bus.generation;
    const account = await this.users.findAccount(userId);
    const check: UserCheck = !account
      ? { ok: false, reason: 'user-unknown' }
      : !account.enabled
        ? { ok: false, reason: 'user-disabled' }
        : { ok: true, ...account.identity };
    if (this.cache && this.bus.generation === seen) this.identities.set(userId, check, check.ok ? USER_CHECK_TTL_MS : this.negativeTtlMs);
    return check;
  }

  /** The user check from the cache alone, synchronously; undefined on a miss. */
  checkUserCached(userId: string): UserCheck | undefined {
    return this.identities.get(userId);
  }

  /**
   * How the session's user authenticated (`amr`, `auth_time`, restriction) for the access tokens it
   * issues after the first: read once per session and instance, then remembered (it never changes).
   */
  async authenticationFacts(sessionId: string): Promise<AuthenticationFacts | undefined> {
    const known = this.facts.get(sessionId);
    if (known) return known;
    const facts = await this.repository.findAuthenticationFacts(sessionId);
    if (!facts) return undefined;
    if (this.facts.size >= 50_000) this.facts.delete(this.facts.keys().next().value as string);
    this.facts.set(sessionId, facts);
    return facts;
  }

  findActive(sessionId: string): Promise<Session | null> {
    return this.repository.findActive(sessionId);
  }

  /** A user's sessions that can still be used, most recently used first. */
  listActive(userId: string): Promise<Session[]> {
    return this.repository.listActive(userId);
  }

  /**
   * Ends one session of a user: its refresh tokens can no longer be exchanged and its access tokens
   * are refused. False when the user has no such session; ending an ended session again is a no-op.
   * `reason` is what `gatehouse_sessions_revoked_total` counts it under.
   */
  async revoke(userId: string, sessionId: string, reason: SessionRevocationReason = 'admin'): Promise<boolean> {
    if (!(await this.repository.existsForUser(sessionId, userId))) return false;
    this.metrics.sessionsRevoked(reason, await this.repository.revoke(sessionId));
    await this.bus.publish({ kind: 'session', id: sessionId });
    return true;
  }

  /** Ends every session of a user, or every one but `exceptSessionId`. */
  async revokeAllForUser(userId: string, exceptSessionId?: string, reason: SessionRevocationReason = 'admin'): Promise<void> {
    this.metrics.sessionsRevoked(reason, await this.repository.revokeAllForUser(userId, exceptSessionId));
    await this.bus.publish({ kind: 'user', id: userId });
  }

  /**
   * An administrator ends one session of a user, or (without `sessionId`) all of them: audited
   * `session.revoked` with the actor, as the CLI's sessions:end is. False when the user has no such session.
   */
  async endByAdministrator(user: { id: string; username: string }, actorId: string, sessionId?: string): Promise<boolean> {
    let details: Record<string, unknown>;
    if (sessionId) {
      if (!(await this.revoke(user.id, sessionId, 'admin'))) return false;
      details = { sessionId };
    } else {
      const ended = (await this.listActive(user.id)).length;
      await this.revokeAllForUser(user.id, undefined, 'admin');
      details = { sessions: 'all', ended };
    }
    await this.audit.record({ type: 'session.revoked', userId: user.id, username: user.username, actorId, details });
    return true;
  }

  // The users module announces changes; the guarantees are the same as a direct call: the handlers
  // run (and are awaited, `emitAsync`) before the request that made the change answers.

  @OnEvent(UserEvents.Disabled, { suppressErrors: false })
  async onUserDisabled(event: UserEvent): Promise<void> {
    await this.revokeAllForUser(event.userId, event.keepSessionId, 'user_disabled');
  }

  @OnEvent(UserEvents.CredentialsChanged, { suppressErrors: false })
  async onCredentialsChanged(event: UserEvent): Promise<void> {
    // The session kept (the one that made the change) follows the new password; the others end.
    if (event.keepSessionId && event.credential !== undefined) await this.repository.rebind(event.keepSessionId, event.credential);
    await this.revokeAllForUser(event.userId, event.keepSessionId, 'credentials_changed');
  }

  /** Roles changed: an administrator's change ends the sessions; a provider's login only refreshes the cached checks. */
  @OnEvent(UserEvents.RolesChanged, { suppressErrors: false })
  async onRolesChanged(event: UserEvent): Promise<void> {
    if (event.endSessions) await this.revokeAllForUser(event.userId, event.keepSessionId, 'roles_changed');
    else await this.bus.publish({ kind: 'user', id: event.userId });
  }

  /** A role's permissions changed or the role is gone: every instance drops its cached checks (they hold the permissions). */
  @OnEvent(RoleEvents.PermissionsChanged, { suppressErrors: false })
  @OnEvent(RoleEvents.Deleted, { suppressErrors: false })
  async onRoleChanged(event: RoleEvent): Promise<void> {
    await this.bus.publish({ kind: 'role', id: event.roleId });
  }

  /** Enabled again: cached refusals of the user (for credentials without a session) are dropped on every instance. */
  @OnEvent(UserEvents.Enabled, { suppressErrors: false })
  async onUserEnabled(event: UserEvent): Promise<void> {
    await this.bus.publish({ kind: 'user', id: event.userId });
  }

  /** The database deleted their sessions with them; what any instance has cached is dropped. */
  @OnEvent(UserEvents.Deleted, { suppressErrors: false })
  async onUserDeleted(event: UserEvent): Promise<void> {
    await this.bus.publish({ kind: 'user', id: event.userId });
  }

  /** The check as the database has it, and until when it holds on its own (the session's expiry). */
  private async load(userId: string, sessionId: string): Promise<{ check: SessionCheck; validUntil: number }> {
    const refused = (reason: Exclude<SessionCheck, { ok: true }>['reason']) => ({
      check: { ok: false as const, reason },
      validUntil: Number.MAX_SAFE_INTEGER,
    });
    const session = await this.repository.findForCheck(sessionId);
    if (!session || session.userId !== userId) return refused('unknown-session');
    if (session.revoked) return refused('revoked');
    if (session.expiresAt.getTime() <= Date.now()) return refused('expired');
    const account = await this.users.findAccount(userId);
    if (!account) return refused('user-unknown');
    if (!account.enabled) return refused('user-disabled');
    if (session.credential !== null && session.credential !== account.credential) return refused('credentials-changed');
    const identity: Identity = account.identity;
    return { check: { ok: true, ...identity }, validUntil: session.expiresAt.getTime() };
  }
}
