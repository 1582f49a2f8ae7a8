import { CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '../../common/decorators/public.decorator';
import { routeMetadata } from '../../common/decorators/route-metadata';
import { InvalidTokenException } from '../../common/exceptions/auth.exceptions';
import { AuthenticatedUser, authenticatedUser } from '../../common/interfaces/authenticated-user';
import { appConfig } from '../../config/app.config';
import type { CacheResult, TokenVerificationResult } from '../../metrics/metric-labels';
import { MetricsService } from '../../metrics/metrics.service';
import { grantedPermissions } from '../../common/permissions';
import type { SessionCheck } from '../../sessions/principal-cache';
import { SessionsService } from '../../sessions/sessions.service';
import { REVOKED_MESSAGES, isRevocation } from '../bearer-token';
import { VerifiedToken, VerifiedTokenCache } from '../verified-token-cache';
import type { BearerVerifier, PresentedToken } from '../verifiers/bearer-verifier';
import { BearerVerifiers } from '../verifiers/bearer-verifiers';
import { activeTracing } from '../../tracing/tracing';

/** At most this many verified tokens are remembered (about 1.15 KB each, the token itself included: 50,000 → ~57 MB). */
export const VERIFIED_TOKENS_CACHED = 50_000;

type BearerRequest = { headers: Record<string, string | string[] | undefined>; user?: AuthenticatedUser };

/**
 * The global bearer guard (deny by default; `@Public()` opts out). It asks the registered verifiers
 * (BearerVerifiers) which one a token belongs to and lets that one verify it. A verified Gatehouse
 * token is then cached until its `exp`, so later requests with it skip the signature check and
 * passport's per-request machinery; revocation (session ended, user disabled) is still checked on
 * every request, cached hit or not — synchronously when the session check is cached too.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly verified: VerifiedTokenCache;
  private readonly isPublic: (context: ExecutionContext) => boolean | undefined;

  constructor(
    reflector: Reflector,
    private readonly sessions: SessionsService,
    private readonly verifiers: BearerVerifiers,
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
    private readonly metrics: MetricsService,
  ) {
    // Sized above the tokens a busy deployment has live at once: a working set larger than the cache
    // would miss on every request (each miss costs passport and the HMAC again).
    this.verified = new VerifiedTokenCache(VERIFIED_TOKENS_CACHED, config.jwt.clockTolerance);
    this.isPublic = routeMetadata<boolean>(reflector, IS_PUBLIC_KEY);
  }

  /** Synchronous when the token and its session check are both cached: no promise on the hot path. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.isPublic(context)) return true;
    // With tracing on, authentication is a span of its own (no closure, no span with tracing off).
    const tracing = activeTracing();
    return tracing ? tracing.span('auth.guard', {}, () => this.authenticate(context)) : this.authenticate(context);
  }

  /**
   * Requires a good bearer token whatever the route's metadata, and puts its principal on the
   * request (routes that accept other credentials too, e.g. introspection, call this for bearer).
   */
  authenticate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<BearerRequest>();
    let token: PresentedToken | undefined;
    // The common form (`Bearer ` and the token) is looked up as sent: a hit is a token that passed the full
    // extraction when it was verified. Anything else, or a miss, goes through the extraction below.
    // (Measured: the extraction's regular expression over a ~700-character token cost about 1 µs a request.)
    const plain = plainBearer(request.headers);
    let known = this.verified.get(plain);
    if (!known) {
      token = this.verifiers.present(request.headers);
      // Only JWSs are in the cache (an opaque personal access token is its verifier's business).
      const other = token?.source === 'authorization' && token.raw !== plain && token.raw.includes('.');
      known = other ? this.verified.get(token!.raw) : undefined;
    }
    if (known) {
      const cached = this.sessions.checkCached(known.sub, known.sid, known);
      if (cached) return this.admit(request, known, cached);
      return this.sessions.check(known.sub, known.sid).then(
        (check) => this.admit(request, known, check),
        (error: unknown) => this.refuse(error, 'hit'),
      );
    }
    const verifier = this.verifiers.select(token);
    // Credentials with caches of their own (personal access tokens, service clients' tokens): synchronous when cached.
    let cached: AuthenticatedUser | undefined;
    try {
      cached = token && verifier.verifyCached?.(token);
    } catch (error) {
      this.refuse(error, 'hit');
    }
    if (cached) {
      this.metrics.tokenVerification('valid', 'hit');
      request.user = cached;
      return true;
    }
    return this.verify(context, request, token, verifier);
  }

  private async verify(
    context: ExecutionContext,
    request: BearerRequest,
    token: ReturnType<BearerVerifiers['present']>,
    verifier: BearerVerifier,
  ): Promise<boolean> {
    let principal: AuthenticatedUser;
    try {
      principal = await verifier.verify(token ?? { raw: '', source: 'authorization' }, context);
    } catch (error) {
      this.refuse(error, 'miss');
    }
    this.metrics.tokenVerification('valid', 'miss');
    request.user = principal;
    if (verifier.cacheable && token)
      this.verified.set(token.raw, {
        sub: principal.id,
        sid: principal.sessionId,
        exp: principal.tokenExpiresAt,
        amr: principal.amr,
        authTime: principal.authTime,
        restriction: principal.restriction,
        scope: principal.scope,
      });
    return true;
  }

  /** A token from the verified-token cache, admitted when its session check is good. */
  private admit(request: BearerRequest, known: VerifiedToken, check: SessionCheck): true {
    this.metrics.tokenVerification(check.ok ? 'valid' : 'revoked', 'hit');
    return admit(request, known, check);
  }

  /** Counts a refusal (`gatehouse_token_verifications_total`) and passes the error on. */
  private refuse(error: unknown, cache: CacheResult): never {
    this.metrics.tokenVerification(verdictOf(error), cache);
    throw error;
  }
}

/**
 * What follows `Bearer ` in `Authorization`, taken as is ('' when the header has another form, or when an
 * `X-JWT-Assertion` may take precedence: BearerVerifiers.present). Without the extraction's checks, so
 * only good for finding a verified token: one that is a hit is exactly a token that passed them.
 */
function plainBearer(headers: BearerRequest['headers']): string {
  const header = headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ') || headers['x-jwt-assertion'] !== undefined) return '';
  return header.slice(7);
}

/** A 401 is the token's fault (revoked, or invalid: malformed, expired, forged, unknown); anything else is ours. */
function verdictOf(error: unknown): TokenVerificationResult {
  if (!(error instanceof HttpException) || error.getStatus() !== HttpStatus.UNAUTHORIZED) return 'error';
  return isRevocation(error) ? 'revoked' : 'invalid';
}

function admit(request: BearerRequest, known: VerifiedToken, check: SessionCheck): true {
  if (!check.ok) throw new InvalidTokenException(REVOKED_MESSAGES[check.reason]);
  // The scope applied to the user's permissions now, computed again only when the user's identity changed.
  let granted = known.granted;
  if (granted?.of !== check) known.granted = granted = { of: check, permissions: grantedPermissions(check.permissions, known.scope) };
  request.user = authenticatedUser(check, {
    scope: known.scope,
    permissions: granted.permissions,
    sessionId: known.sid,
    expiresAt: known.exp,
    amr: known.amr,
    authTime: known.authTime,
    restriction: known.restriction,
  });
  return true;
}
