import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC_KEY } from '../../common/decorators/public.decorator';
import { InvalidTokenException } from '../../common/exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../../common/interfaces/authenticated-user';
import { appConfig } from '../../config/app.config';
import type { SessionCheck } from '../../sessions/principal-cache';
import { SessionsService } from '../../sessions/sessions.service';
import { looksLikeProviderToken, ServiceAccountVerifier } from '../../federation/service-account.verifier';
import { REVOKED_MESSAGES, describeJwtFailure, extractBearerToken } from '../bearer-token';
import { VerifiedToken, VerifiedTokenCache } from '../verified-token-cache';

type BearerRequest = { headers: Record<string, string | string[] | undefined>; user?: AuthenticatedUser };

/**
 * The global bearer guard. passport-jwt (the verifier of record) checks a token the first time it
 * is seen; the token is then cached until its `exp`, so later requests with it skip the signature
 * check and passport's per-request machinery. Revocation (session ended, user disabled) is checked
 * on every request, cached hit or not.
 *
 * passport-jwt reports bad tokens through `info`, not `err`, and Nest's default `handleRequest`
 * would turn a non-HTTP error into a 500, so every failure is mapped to a 401 that says what was
 * wrong (RFC 6750 §3.1).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  private readonly verified: VerifiedTokenCache;

  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
    private readonly serviceAccounts: ServiceAccountVerifier,
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
  ) {
    super();
    this.verified = new VerifiedTokenCache(10_000, config.jwt.clockTolerance);
  }

  /** Synchronous when the token and its session check are both cached: no promise on the hot path. */
  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<BearerRequest>();
    const assertion = request.headers['x-jwt-assertion'];
    if (typeof assertion === 'string' && assertion && this.serviceAccounts.enabled) return this.admitServiceAccount(request, assertion);
    const token = extractBearerToken(request);
    const known = token ? this.verified.get(token) : undefined;
    if (known) {
      const cached = this.sessions.checkCached(known.sub, known.sid);
      if (cached) return this.admit(request, known, cached);
      return this.sessions.check(known.sub, known.sid).then((check) => this.admit(request, known, check));
    }
    // A token signed with a provider's key (RS256, PS256, …): a service account, when any is configured.
    if (token && this.serviceAccounts.enabled && looksLikeProviderToken(token)) return this.admitServiceAccount(request, token);
    return this.verifyAndRemember(context, request, token);
  }

  private async admitServiceAccount(request: BearerRequest, token: string): Promise<boolean> {
    request.user = await this.serviceAccounts.verify(token);
    return true;
  }

  private admit(request: BearerRequest, known: VerifiedToken, check: SessionCheck): true {
    if (!check.ok) throw new InvalidTokenException(REVOKED_MESSAGES[check.reason]);
    request.user = { id: check.userId, username: check.username, roles: check.roles, sessionId: known.sid, tokenExpiresAt: known.exp };
    return true;
  }

  /** A token not seen before: passport-jwt verifies it (and the strategy checks its session). */
  private async verifyAndRemember(context: ExecutionContext, request: BearerRequest, token: string | null): Promise<boolean> {
    const allowed = (await super.canActivate(context)) as boolean;
    const user = request.user;
    if (allowed && token && user) {
      const known = { sub: user.id, sid: user.sessionId, exp: user.tokenExpiresAt };
      // Passport's strategy registry is process-wide: with several apps in one process (tests) the
      // strategy that ran may belong to another app. Checking with this app's own session cache
      // (a Map hit when it was ours) keeps the entry the hot path reads in the right place.
      this.admit(request, known, await this.sessions.check(known.sub, known.sid));
      this.verified.set(token, known);
    }
    return allowed;
  }

  override handleRequest<T = AuthenticatedUser>(err: unknown, user: unknown, info: unknown): T {
    // A strategy's own 401, or a real fault (e.g. database down) that the filter maps: never disguised as 401.
    if (err) throw err;
    // Our own pre-parse checks (size, alphabet, kid) arrive as `info` through passport's fail().
    if (info instanceof InvalidTokenException) throw info;
    if (!user) throw new InvalidTokenException(describeJwtFailure(info));
    return user as T;
  }
}
