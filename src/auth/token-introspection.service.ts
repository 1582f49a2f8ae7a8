import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuditService } from '../audit/audit.service';
import { InvalidTokenException } from '../common/exceptions/auth.exceptions';
import { appConfig } from '../config/app.config';
import { SessionsService } from '../sessions/sessions.service';
import { grantedPermissions } from '../common/permissions';
import type { PresentedToken } from './verifiers/bearer-verifier';
import { BearerVerifiers } from './verifiers/bearer-verifiers';
import { ACCESS_TOKEN_CLIENT_ID, AccessTokenClaims, JWS_COMPACT, MAX_TOKEN_LENGTH, TokenService } from './token.service';
import { VerifiedTokenCache } from './verified-token-cache';

/** RFC 7662 §2.2. Inactive tokens say nothing more. */
export type IntrospectionResponse = { active: false } | ActiveIntrospection;

interface ActiveIntrospection {
  active: true;
  sub: string;
  username: string;
  /** The user's roles now (a role change applies at once), not those written into the token. */
  roles: string[];
  sid: string;
  exp: number;
  iat: number;
  iss: string;
  aud: string;
  /** `Bearer` for an access token, `refresh_token` for a refresh token. */
  token_type: 'Bearer' | 'refresh_token';
  client_id?: string;
  jti?: string;
  /** RFC 8176: how the user authenticated, and when (seconds since the epoch). */
  amr?: string[];
  auth_time?: number;
  /** The permissions the token may use now: its scope, as far as the user still holds it (absent when none). */
  scope?: string;
}

export type TokenTypeHint = 'access_token' | 'refresh_token';

const INACTIVE = { active: false } as const;
/** Access tokens whose signature and claims introspection has verified (the session is still checked on every call). */
const VERIFIED_CLAIMS_CACHED = 50_000;

type VerifiedClaims = AccessTokenClaims & { jti?: unknown; client_id?: unknown };

/**
 * Token introspection (RFC 7662) and revocation (RFC 7009) for resource servers and clients.
 * Introspection answers for Gatehouse's access tokens and refresh tokens alike: active only when the
 * token is good **and** its session and user still are; anything expired, revoked, unknown or
 * malformed is `{active: false}`, never an error that tells them apart. Nothing is changed by it: a
 * refresh token introspected is not spent.
 */
@Injectable()
export class TokenIntrospection {
  /**
   * Claims of access tokens that passed full verification, keyed by the whole token string (the
   * same bytes cannot carry another signature) and trusted only until the token's own exp: a
   * resource server introspecting the same token again skips the signature check, as the bearer
   * guard does. Whether the session and user are still good is checked on every call.
   */
  private readonly verified: VerifiedTokenCache<VerifiedClaims>;

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly tokens: TokenService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly verifiers: BearerVerifiers,
  ) {
    this.verified = new VerifiedTokenCache<VerifiedClaims>(VERIFIED_CLAIMS_CACHED, config.jwt.clockTolerance);
  }

  /**
   * `token_type_hint` is not needed (RFC 7662 §2.1 lets a server ignore it): access tokens are JWSs,
   * refresh tokens never contain a dot, so the token's shape says which lookup to make.
   */
  async introspect(token: string): Promise<IntrospectionResponse> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return INACTIVE;
    const kind = kindOf(token);
    // An access token verified here before is Gatehouse's own: no need to decode it again to find whose it is.
    const known = kind === 'access_token' ? this.verified.get(token) : undefined;
    if (known) return (await this.describeAccessToken(known)) ?? INACTIVE;
    // Credentials other modules verify (personal access tokens, service clients' tokens) answer for themselves.
    const presented: PresentedToken = { raw: token, source: 'authorization' };
    const verifier = this.verifiers.select(presented);
    if (verifier !== this.verifiers.own && verifier.introspect) {
      return ((await verifier.introspect(presented)) as IntrospectionResponse | undefined) ?? INACTIVE;
    }
    return (kind === 'access_token' ? await this.accessToken(token) : await this.refreshToken(token)) ?? INACTIVE;
  }

  /**
   * Ends the session of a refresh token or of an access token (an expired one too, as logout does).
   * Unknown, malformed and already-ended tokens are not an error (RFC 7009 §2.2): there is nothing to do.
   */
  async revoke(token: string): Promise<void> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return;
    const presented: PresentedToken = { raw: token, source: 'authorization' };
    const verifier = this.verifiers.select(presented);
    if (verifier !== this.verifiers.own) {
      // A personal access token is revoked by its own verifier; other kinds without sessions have nothing to end.
      await verifier.revoke?.(presented);
      return;
    }
    if (kindOf(token) === 'refresh_token') {
      const owner = await this.sessions.sessionOfRefreshToken(token);
      if (owner) await this.end(owner.userId, owner.sessionId);
      return;
    }
    try {
      const claims = await this.tokens.verifyAccessToken(token, { allowExpired: true });
      await this.end(claims.sub, claims.sid);
    } catch (error) {
      if (!(error instanceof InvalidTokenException)) throw error;
    }
  }

  private async end(userId: string, sessionId: string): Promise<void> {
    if (await this.sessions.revoke(userId, sessionId)) {
      await this.audit.record({ type: 'session.logout', userId, details: { sessionId, via: 'revocation endpoint' } });
    }
  }

  private async accessToken(token: string): Promise<IntrospectionResponse | undefined> {
    let claims: VerifiedClaims;
    try {
      claims = (await this.tokens.verifyAccessToken(token)) as VerifiedClaims;
    } catch (error) {
      if (error instanceof InvalidTokenException) return undefined;
      throw error;
    }
    this.verified.set(token, claims);
    return this.describeAccessToken(claims);
  }

  private async describeAccessToken(claims: VerifiedClaims): Promise<IntrospectionResponse | undefined> {
    // A session restricted to MFA enrolment is not active for anyone else: resource servers would take it for a full login.
    if (claims.restriction !== undefined) return INACTIVE;
    let scope: string[] | undefined;
    try {
      scope = await this.tokens.scopeOf(claims);
    } catch (error) {
      if (error instanceof InvalidTokenException) return undefined;
      throw error;
    }
    return this.describe(claims.sub, claims.sid, scope, {
      exp: claims.exp,
      iat: claims.iat,
      token_type: 'Bearer',
      ...(typeof claims.client_id === 'string' ? { client_id: claims.client_id } : {}),
      ...(typeof claims.jti === 'string' ? { jti: claims.jti } : {}),
      ...(claims.amr ? { amr: claims.amr } : {}),
      ...(claims.auth_time !== undefined ? { auth_time: claims.auth_time } : {}),
    });
  }

  private async refreshToken(token: string): Promise<IntrospectionResponse | undefined> {
    const live = await this.sessions.describeRefreshToken(token);
    if (!live) return undefined;
    const facts = await this.sessions.authenticationFacts(live.sessionId);
    if (!facts || facts.restriction) return undefined;
    return this.describe(live.userId, live.sessionId, facts.scope ?? undefined, {
      exp: Math.floor(live.expiresAt.getTime() / 1000),
      iat: Math.floor(live.issuedAt.getTime() / 1000),
      token_type: 'refresh_token',
      ...(this.config.jwt.profile === 'rfc9068' ? { client_id: ACCESS_TOKEN_CLIENT_ID } : {}),
      ...(facts.amr.length > 0 ? { amr: facts.amr } : {}),
      auth_time: facts.authTime,
    });
  }

  /** The answer for a good token: active only while its session and user are, with the user's roles now. */
  private async describe(
    userId: string,
    sessionId: string,
    scope: string[] | undefined,
    token: Pick<ActiveIntrospection, 'exp' | 'iat' | 'token_type' | 'client_id' | 'jti' | 'amr' | 'auth_time'>,
  ): Promise<IntrospectionResponse> {
    const check = await this.sessions.check(userId, sessionId);
    if (!check.ok) return INACTIVE;
    const { issuer, audience } = this.config.jwt;
    const { exp, iat, token_type, ...optional } = token;
    const granted = grantedPermissions(check.permissions, scope);
    return {
      active: true,
      sub: check.id,
      username: check.username,
      roles: check.roles,
      sid: sessionId,
      exp,
      iat,
      iss: issuer,
      aud: audience,
      token_type,
      ...optional,
      ...(granted.length > 0 ? { scope: granted.join(' ') } : {}),
    };
  }
}

/** Access tokens are JWSs (two dots); refresh tokens are 43 base64url characters, no dot. */
function kindOf(token: string): TokenTypeHint {
  return JWS_COMPACT.test(token) ? 'access_token' : 'refresh_token';
}
