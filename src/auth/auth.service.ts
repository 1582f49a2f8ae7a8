import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config';
import { AuditService } from '../audit/audit.service';
import type { AuthenticationFacts, Identity } from '../common/interfaces/authenticated-user';
import { grantedPermissions, parseScope, withinScope } from '../common/permissions';
import { InvalidTokenException, MfaRequiredException } from '../common/exceptions/auth.exceptions';
import type { RefreshResult } from '../metrics/metric-labels';
import { MetricsService } from '../metrics/metrics.service';
import { SessionsService, authenticationFactsOf } from '../sessions/sessions.service';
import type { User } from '../users/entities/user.entity';
import { PasswordService } from '../users/password.service';
import { UsersService } from '../users/users.service';
import { credentialFingerprint, identityOf } from '../users/users.repository';
import type { IssuedRefreshToken } from '../sessions/refresh-token.service';
import type { SessionStart } from '../sessions/sessions.service';
import { LoginThrottleService, TooManyFailedLoginsException } from '../throttle/login-throttle.service';
import { REVOKED_MESSAGES } from './bearer-token';
import { SessionStartGates } from './session-start-gates';
import { SignedAccessToken, TokenService } from './token.service';

/** Who is logging in from where (for the session's record and the audit log). */
export interface ClientInfo {
  userAgent?: string;
  ip?: string;
}

export interface AccessTokenBlock {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /**
   * The permissions the access token carries, space-separated: present when the login or the
   * refresh asked for a scope (RFC 6749 §5.1: optional when it is the one the client expects).
   */
  scope?: string;
}

export interface TokenBlock extends AccessTokenBlock {
  /** Absent when the refresh token travels in the HttpOnly cookie instead. */
  refresh_token?: string;
  refresh_expires_in: number;
}

const REFRESH_FAILURES = {
  unknown: 'The refresh token is not valid',
  expired: 'The refresh token has expired; log in again',
  revoked: 'The session of this refresh token has ended; log in again',
  reused: 'The refresh token was already used; the session has been ended for safety, log in again',
} as const;

/** How a refused exchange is counted (`gatehouse_refresh_total{result}`). */
const REFRESH_RESULT: Record<keyof typeof REFRESH_FAILURES, RefreshResult> = {
  unknown: 'invalid',
  expired: 'expired',
  revoked: 'revoked',
  reused: 'reuse_detected',
};

@Injectable()
export class AuthService {
  constructor(
    private readonly usersService: UsersService,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly sessions: SessionsService,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditService,
    private readonly gates: SessionStartGates,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * The user for a correct username and password, or null. Unknown users, wrong passwords,
   * disabled and locked users all cost one argon2 verification and give the same answer (no
   * enumeration, OWASP ASVS 6.3.8). The throttle's slots are taken before the password is verified,
   * so parallel guesses cannot outrun the lock (see LoginThrottleService).
   */
  async authenticate(username: string, password: string, ip: string | undefined): Promise<User | null> {
    let user: User | null = null;
    let valid = false;
    const result = await this.throttle.guard(username, ip, async (allowed) => {
      user = await this.usersService.findForLogin(username);
      valid = await this.passwords.verify(allowed ? user?.passwordHash : undefined, password);
      return user !== null && valid && user.enabled;
    });
    const found = user as User | null;
    if (result.kind === 'ip-blocked') {
      this.metrics.login('ip_blocked');
      await this.audit.record({ type: 'login.ip_blocked', username });
      throw new TooManyFailedLoginsException(result.retryAfter);
    }
    if (result.kind === 'locked') {
      this.metrics.login('locked');
      await this.audit.record({
        type: 'login.failure',
        userId: found?.id,
        username,
        details: { reason: 'locked', lockedFor: result.lockedFor },
      });
      return null;
    }
    if (!result.ok || !found) {
      const failure = !found ? 'unknown_user' : !valid ? 'wrong_password' : 'disabled';
      this.metrics.login(failure);
      await this.audit.record({ type: 'login.failure', userId: found?.id, username, details: { reason: failure.replace('_', ' ') } });
      if (result.lockedNow > 0)
        await this.audit.record({ type: 'login.locked', userId: found?.id, username, details: { seconds: result.lockedNow } });
      return null;
    }
    await this.usersService.upgradePasswordHash(found, password);
    return found;
  }

  /** Starts a session for a user who just proved their password (down-scoped when `scope` asks for less than all their permissions). */
  async login(user: User, validitySecs: string | undefined, client: ClientInfo, scope?: string): Promise<TokenBlock> {
    const credential = credentialFingerprint(user.passwordHash);
    const start: SessionStart = { method: 'password', amr: ['pwd'], client, credential, scope: parseScope(scope) ?? null };
    return (await this.startSession(user, start, validitySecs)).token;
  }

  /**
   * Starts a session for a verified user (a password login, a passkey, a second factor, a provider's
   * callback) and issues its tokens: the one way every login method ends. The registered gates run
   * first: the second-factor gate may refuse (401 mfa_required, no session) or restrict the session
   * to enrolling a factor.
   */
  async startSession(user: User, start: SessionStart, validitySecs?: string): Promise<{ token: TokenBlock; sessionId: string }> {
    const identity = identityOf(user);
    // Before anything else: asking for more than the user holds is the client's mistake, whatever the second factor says.
    const scope = start.scope ? withinScope(start.scope, identity.permissions, 'the user holds') : null;
    const restriction = await this.gates.check(user, start).catch((error: unknown) => {
      if (error instanceof MfaRequiredException) this.metrics.login('mfa_required');
      throw error;
    });
    const authTime = Math.floor(Date.now() / 1000);
    const refresh = await this.sessions.startSession(user, { ...start, restriction, scope });
    // Every login method ends here: a session started is a successful login, whatever its method.
    this.metrics.login('success');
    const facts = { amr: start.amr, authTime, restriction, scope };
    return { token: await this.tokenBlock(identity, refresh, validitySecs, facts), sessionId: refresh.sessionId };
  }

  /**
   * Exchanges a refresh token for a new token block; the old refresh token is spent. `scope` narrows
   * the new access token (RFC 6749 §6: never beyond what the session was granted); it is checked
   * before the token is spent, so an invalid_scope leaves the refresh token usable.
   */
  async refresh(refreshToken: string, validitySecs?: string, scope?: string, options: { withScope?: boolean } = {}): Promise<TokenBlock> {
    const narrowed = parseScope(scope);
    if (narrowed) await this.checkNarrowing(refreshToken, narrowed);
    const result = await this.sessions.refresh(refreshToken);
    if (result.outcome !== 'rotated') {
      this.metrics.refresh(REFRESH_RESULT[result.outcome]);
      throw new InvalidTokenException(REFRESH_FAILURES[result.outcome]);
    }
    const { userId, sessionId } = result.issued;
    const check = await this.sessions.check(userId, sessionId);
    if (!check.ok) {
      await this.sessions.revoke(userId, sessionId, 'refresh_refused');
      this.metrics.refresh('revoked');
      throw new InvalidTokenException(REFRESH_FAILURES.revoked);
    }
    const facts = await this.sessions.authenticationFacts(sessionId);
    const block = await this.tokenBlock(check, result.issued, validitySecs, facts, narrowed, options.withScope);
    this.metrics.refresh(result.grace ? 'grace' : 'rotated');
    return block;
  }

  /** A refresh asking for `narrowed` may have it only within what its session grants now. */
  private async checkNarrowing(refreshToken: string, narrowed: string[]): Promise<void> {
    const live = await this.sessions.describeRefreshToken(refreshToken);
    // An unusable refresh token: the rotation says why.
    if (!live) return;
    const check = await this.sessions.check(live.userId, live.sessionId);
    const facts = await this.sessions.authenticationFacts(live.sessionId);
    if (!check.ok || !facts) return;
    withinScope(narrowed, grantedPermissions(check.permissions, facts.scope ?? undefined), 'this session was granted');
  }

  /**
   * Renewal with a still-valid access token, for frontends that keep no refresh token (BEARER_RENEWAL,
   * off by default: a stolen access token must not become a long session). The new token lives no
   * longer than the one presented, and a chain of renewals ends BEARER_RENEWAL_MAX seconds after the
   * login that started the session.
   */
  async renew(accessToken: string, validitySecs?: string): Promise<AccessTokenBlock> {
    const claims = await this.tokens.verifyAccessToken(accessToken);
    const check = await this.sessions.check(claims.sub, claims.sid);
    if (!check.ok) throw new InvalidTokenException(REVOKED_MESSAGES[check.reason]);
    const session = await this.sessions.findActive(claims.sid);
    if (!session) throw new InvalidTokenException(REVOKED_MESSAGES.revoked);
    const chainEnd = session.createdAt.getTime() + this.config.sessions.bearerRenewalMax * 1000;
    const chainLeft = Math.floor((chainEnd - Date.now()) / 1000);
    if (chainLeft <= 0) {
      throw new InvalidTokenException(
        'The access token can no longer be renewed (BEARER_RENEWAL_MAX since the login has passed); log in again',
      );
    }
    const ttl = Math.min(this.cappedTtl(validitySecs, session.expiresAt), claims.exp - claims.iat, chainLeft);
    const access = await this.tokens.signAccessToken(check, claims.sid, ttl, authenticationFactsOf(session));
    return accessTokenBlock(access, session.scope !== null);
  }

  /**
   * An access token for a session started elsewhere (a delegated login's callback), after checking
   * that the session and its user are still good.
   */
  async sessionAccessToken(userId: string, sessionId: string, validitySecs?: string): Promise<AccessTokenBlock> {
    const check = await this.sessions.check(userId, sessionId);
    if (!check.ok) throw new InvalidTokenException(REVOKED_MESSAGES[check.reason]);
    const session = await this.sessions.findActive(sessionId);
    if (!session) throw new InvalidTokenException(REVOKED_MESSAGES.revoked);
    const ttl = this.cappedTtl(validitySecs, session.expiresAt);
    const access = await this.tokens.signAccessToken(check, sessionId, ttl, authenticationFactsOf(session));
    return accessTokenBlock(access, session.scope !== null);
  }

  /** Ends the session a refresh token or an access token (even an expired one) belongs to. Idempotent. */
  async logout(credentials: { refreshToken?: string; accessToken?: string }): Promise<void> {
    const ended: { userId: string; sessionId: string }[] = [];
    if (credentials.refreshToken) {
      const owner = await this.sessions.sessionOfRefreshToken(credentials.refreshToken);
      if (owner) ended.push(owner);
    }
    if (credentials.accessToken) {
      const claims = await this.tokens.verifyAccessToken(credentials.accessToken, { allowExpired: true });
      ended.push({ userId: claims.sub, sessionId: claims.sid });
    }
    for (const { userId, sessionId } of ended) {
      if (await this.sessions.revoke(userId, sessionId, 'logout')) {
        await this.audit.record({ type: 'session.logout', userId, details: { sessionId } });
      }
    }
  }

  private async tokenBlock(
    subject: Identity,
    refresh: IssuedRefreshToken,
    validitySecs: string | undefined,
    facts: AuthenticationFacts | undefined,
    narrowed?: string[],
    withScope = false,
  ): Promise<TokenBlock> {
    const ttl = this.cappedTtl(validitySecs, refresh.sessionExpiresAt);
    const access = await this.tokens.signAccessToken(subject, refresh.sessionId, ttl, facts, narrowed);
    return {
      ...accessTokenBlock(access, withScope || narrowed !== undefined || Boolean(facts?.scope)),
      refresh_token: refresh.token,
      refresh_expires_in: refresh.expiresIn,
    };
  }

  /** The requested (or default) lifetime, never past the end of the session. */
  private cappedTtl(validitySecs: string | undefined, sessionExpiresAt: Date): number {
    const remaining = Math.floor((sessionExpiresAt.getTime() - Date.now()) / 1000);
    if (remaining <= 0) throw new InvalidTokenException(REVOKED_MESSAGES.expired);
    return Math.min(this.tokens.accessTtl(validitySecs), remaining);
  }
}

/** The access token as the API answers it; `scope` when the client asked for one (or always, for the OAuth token endpoint). */
function accessTokenBlock(access: SignedAccessToken, withScope: boolean): AccessTokenBlock {
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    ...(withScope ? { scope: access.scope.join(' ') } : {}),
  };
}
