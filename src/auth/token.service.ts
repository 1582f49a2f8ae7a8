import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { isUUID } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type jwt from 'jsonwebtoken';
import { InvalidTokenException } from '../common/exceptions/auth.exceptions';
import type { AuthenticationFacts, Identity } from '../common/interfaces/authenticated-user';
import { verifyJws } from './jws-verification';
import { appConfig } from '../config/app.config';
import { KeyStore, VerificationKey } from '../keys/key-store';
import { MAX_INLINE_SCOPE, grantedPermissions } from '../common/permissions';
import { ScopeSetsRepository } from './scope-sets.repository';

/** `client_id` of access tokens under ACCESS_TOKEN_PROFILE=rfc9068: the login itself is Gatehouse's only client today. */
export const ACCESS_TOKEN_CLIENT_ID = 'gatehouse';

/** Gatehouse's tokens are about 600 characters; anything far larger is refused before parsing. */
export const MAX_TOKEN_LENGTH = 4096;

/** JWS compact serialisation: three base64url parts (RFC 7515 §7.1). Anything else is refused unparsed. */
export const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Cheap checks before any parsing: size, alphabet, no `crit`, and a `kid` that names a configured
 * key (an unknown kid reloads the key store first, at most once a second: another instance may just
 * have rotated). Returns the key to verify with, or throws the 401 that says what is wrong.
 */
export async function keyForToken(token: string, keys: KeyStore): Promise<VerificationKey> {
  if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenException('The access token is too large');
  if (!JWS_COMPACT.test(token)) throw new InvalidTokenException('The access token is malformed');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenException('The access token is malformed');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new InvalidTokenException('The access token is malformed');
  // RFC 7515 §4.1.11: a recipient must refuse a token whose `crit` names extensions it does not
  // understand; Gatehouse understands none.
  if ('crit' in header) throw new InvalidTokenException('The access token has critical header parameters (crit) that are not supported');
  const key = await keys.verificationKeyOrReload((header as { kid?: unknown }).kid);
  if (!key) throw new InvalidTokenException('The access token names an unknown key (kid)');
  return key;
}

/** Claims of a Gatehouse access token (besides iss, aud and jti). */
export interface AccessTokenClaims {
  sub: string;
  preferred_username: string;
  roles: string[];
  /** The session (refresh-token family) the token was issued for. */
  sid: string;
  iat: number;
  exp: number;
  /** RFC 8176: how the user authenticated (`pwd`, `otp`, `hwk`, `swk`, `mfa`, …). */
  amr?: string[];
  /** When the user authenticated (seconds since the epoch). */
  auth_time?: number;
  /** `mfa_enrolment`: the session may only enrol a second factor. */
  restriction?: string;
  /** The permissions the token may use, space-separated (RFC 9068 §2.2.3); absent only in tokens older than permissions. */
  scope?: string;
  /** Instead of `scope` when it would list more than MAX_INLINE_SCOPE permissions: the scope's hash (ScopeSetsRepository). */
  scope_ref?: string;
}

/** Who a token is for: the identity whose id, username and roles it carries. */
export type AccessTokenSubject = Identity;

export interface SignedAccessToken {
  token: string;
  expiresIn: number;
  /** The permissions the token carries. */
  scope: string[];
}

/** What the claims of an access token are checked against besides the signature. */
export interface ClaimLimits {
  /** CLOCK_TOLERANCE, seconds. */
  clockTolerance: number;
  /** ACCESS_TOKEN_MAX_TTL, seconds: no token of ours lives longer. */
  maxLifetime: number;
}

/**
 * Checks what jsonwebtoken leaves to the caller. It checks `exp` only when present (RFC 8725 §3.10
 * and the contract require it) and does not look at `iat`: a token issued in the future, or living
 * longer than any token Gatehouse issues, was not made by Gatehouse's rules (RFC 7519 §4.1.6). TypeORM
 * would ignore an undefined `sub` condition while a non-UUID breaks PostgreSQL, so both ids are
 * validated before any query.
 */
export function assertAccessClaims(payload: Partial<AccessTokenClaims>, limits: ClaimLimits): asserts payload is AccessTokenClaims {
  assertTimes(payload, limits);
  // Lower case only, as Gatehouse writes them: PostgreSQL's uuid ignores case, and another spelling
  // of a session id would slip past a cache keyed by the id.
  if (typeof payload.sub !== 'string' || !isUUID(payload.sub) || payload.sub !== payload.sub.toLowerCase()) {
    throw new InvalidTokenException('The access token subject is not valid');
  }
  if (typeof payload.sid !== 'string' || !isUUID(payload.sid) || payload.sid !== payload.sid.toLowerCase()) {
    throw new InvalidTokenException('The access token has no valid session');
  }
  if (payload.amr !== undefined && (!Array.isArray(payload.amr) || !payload.amr.every((value) => typeof value === 'string'))) {
    throw new InvalidTokenException('The access token has a malformed amr claim');
  }
  if (payload.auth_time !== undefined && typeof payload.auth_time !== 'number') {
    throw new InvalidTokenException('The access token has a malformed auth_time claim');
  }
  if (payload.restriction !== undefined && typeof payload.restriction !== 'string') {
    throw new InvalidTokenException('The access token has a malformed restriction claim');
  }
  assertScopeClaims(payload);
}

/** `exp` and `iat` present, not issued in the future, not living longer than Gatehouse issues tokens for. */
function assertTimes(payload: { exp?: unknown; iat?: unknown }, limits: ClaimLimits): void {
  if (typeof payload.exp !== 'number') throw new InvalidTokenException('The access token has no expiry');
  if (typeof payload.iat !== 'number') throw new InvalidTokenException('The access token has no issue time');
  if (payload.iat > Date.now() / 1000 + limits.clockTolerance) throw new InvalidTokenException('The access token was issued in the future');
  if (payload.exp - payload.iat > limits.maxLifetime) {
    throw new InvalidTokenException('The access token lives longer than this server issues tokens for (ACCESS_TOKEN_MAX_TTL)');
  }
}

/** `scope` and `scope_ref`, when present, are strings (a token carries one or the other). */
export function assertScopeClaims(payload: { scope?: unknown; scope_ref?: unknown }): void {
  if (payload.scope !== undefined && typeof payload.scope !== 'string')
    throw new InvalidTokenException('The access token has a malformed scope claim');
  if (payload.scope_ref !== undefined && (typeof payload.scope_ref !== 'string' || payload.scope !== undefined)) {
    throw new InvalidTokenException('The access token has a malformed scope_ref claim');
  }
}

/** The grant type written into service clients' access tokens (`gty`), which tells them from session tokens. */
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

@Injectable()
export class TokenService {
  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly jwt: JwtService,
    private readonly keys: KeyStore,
    private readonly scopeSets: ScopeSetsRepository,
  ) {}

  /** Parsed `scope` claims by their text (parsedScope). */
  private readonly scopes = new Map<string, string[]>();

  /**
   * The scope a verified token carries, as a list: its `scope`, or the stored scope its `scope_ref`
   * names; undefined for a token from before permissions (it may use all its user's permissions).
   */
  async scopeOf(claims: { scope?: string; scope_ref?: string }): Promise<string[] | undefined> {
    if (claims.scope !== undefined) return this.parsedScope(claims.scope);
    if (claims.scope_ref === undefined) return undefined;
    const scope = await this.scopeSets.resolve(claims.scope_ref);
    if (!scope) throw new InvalidTokenException('The access token names an unknown scope (scope_ref)');
    return scope;
  }

  /**
   * A `scope` claim as a list, one list per distinct scope: the tokens of many sessions carry the
   * same few scopes, and the verified-token cache keeps one list for all of them (read-only).
   */
  private parsedScope(scope: string): string[] {
    let parsed = this.scopes.get(scope);
    if (!parsed) {
      parsed = scope === '' ? [] : scope.split(' ');
      if (this.scopes.size >= 1000) this.scopes.clear();
      this.scopes.set(scope, parsed);
    }
    return parsed;
  }

  /** `scope` inline, or `scope_ref` when the list is longer than MAX_INLINE_SCOPE (the token stays small). */
  private async scopeClaims(scope: string[]): Promise<{ scope: string } | { scope_ref: string }> {
    if (scope.length <= MAX_INLINE_SCOPE) return { scope: scope.join(' ') };
    return { scope_ref: await this.scopeSets.store(scope) };
  }

  /**
   * An access token for a service client (client credentials grant, RFC 6749 §4.4): `sub` and
   * `client_id` are the client, `gty` says how it was issued, there is no session (`sid`).
   */
  async signClientToken(clientId: string, scope: string[], ttlSeconds: number): Promise<SignedAccessToken> {
    const claims = { client_id: clientId, gty: CLIENT_CREDENTIALS_GRANT, ...(await this.scopeClaims(scope)) };
    return { ...(await this.sign(claims, clientId, ttlSeconds)), scope };
  }

  /** The options every verification uses: the key store's algorithms pinned (never read from the token), iss and aud required, leeway CLOCK_TOLERANCE (0). */
  verifyOptions(): jwt.VerifyOptions & { algorithms: jwt.Algorithm[] } {
    return {
      algorithms: this.keys.algorithms() as jwt.Algorithm[],
      issuer: this.config.jwt.issuer,
      audience: this.config.jwt.audience,
      clockTolerance: this.config.jwt.clockTolerance,
    };
  }

  claimLimits(): ClaimLimits {
    return { clockTolerance: this.config.jwt.clockTolerance, maxLifetime: this.config.jwt.accessMaxTtl };
  }

  /**
   * The lifetime a client asked for with `validity_secs`, clamped to ACCESS_TOKEN_MAX_TTL; the
   * default ACCESS_TOKEN_TTL when it asked for none.
   */
  accessTtl(requested?: string): number {
    if (requested === undefined) return this.config.jwt.accessTtl;
    return Math.min(Number(requested), this.config.jwt.accessMaxTtl);
  }

  /**
   * Signs an access token with the key store's current key: HS512 through @nestjs/jwt, a key pair
   * through jose. Header `kid` always; `typ` is `at+jwt` with a `client_id` claim under
   * ACCESS_TOKEN_PROFILE=rfc9068 (RFC 9068), else `JWT`.
   */
  async signAccessToken(
    subject: AccessTokenSubject,
    sessionId: string,
    ttlSeconds: number,
    facts?: AuthenticationFacts,
    narrowed?: string[],
  ): Promise<SignedAccessToken> {
    const { profile } = this.config.jwt;
    // The user's permissions, narrowed to what the login (or this refresh) asked for.
    const asked = narrowed ?? facts?.scope ?? undefined;
    const scope = grantedPermissions(subject.permissions, asked);
    const claims: Record<string, unknown> = {
      preferred_username: subject.username,
      roles: subject.roles,
      sid: sessionId,
      // A down-scoped token always says what it may use (even nothing); a token of a user without
      // permissions carries no scope claim (it may use the user's permissions, none — as tokens from before permissions).
      ...(asked !== undefined || scope.length > 0 ? await this.scopeClaims(scope) : {}),
    };
    if (facts) {
      // RFC 8176 / OpenID Connect: how and when the user authenticated, for step-up (RFC 9470).
      if (facts.amr.length > 0) claims.amr = facts.amr;
      claims.auth_time = facts.authTime;
      if (facts.restriction) claims.restriction = facts.restriction;
    }
    if (profile === 'rfc9068') claims.client_id = ACCESS_TOKEN_CLIENT_ID;
    return { ...(await this.sign(claims, subject.id, ttlSeconds)), scope };
  }

  private async sign(claims: Record<string, unknown>, subject: string, ttlSeconds: number): Promise<Omit<SignedAccessToken, 'scope'>> {
    const signer = this.keys.signingKey();
    const { issuer, audience, profile } = this.config.jwt;
    const typ = profile === 'rfc9068' ? 'at+jwt' : 'JWT';
    if (signer.alg === 'HS512') {
      const token = this.jwt.sign(claims, {
        algorithm: 'HS512',
        privateKey: signer.key,
        keyid: signer.kid,
        header: { alg: 'HS512', typ },
        subject,
        issuer,
        audience,
        expiresIn: ttlSeconds,
        jwtid: randomUUID(),
      });
      return { token, expiresIn: ttlSeconds };
    }
    const iat = Math.floor(Date.now() / 1000);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ })
      .setSubject(subject)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .setJti(randomUUID())
      .sign(signer.key);
    return { token, expiresIn: ttlSeconds };
  }

  /**
   * Verifies an access token outside the guard (logout, renewal, introspection). `allowExpired`
   * accepts a token past its `exp` whose signature and claims are otherwise good: enough to name a
   * session to end.
   */
  async verifyAccessToken(token: string, options: { allowExpired?: boolean } = {}): Promise<AccessTokenClaims> {
    const claims = (await this.verifiedPayload(token, options)) as Partial<AccessTokenClaims>;
    assertAccessClaims(claims, this.claimLimits());
    return claims;
  }

  /** Verifies a service client's access token (signature, iss, aud, exp, and the claims a client token must have). */
  async verifyClientToken(token: string): Promise<ClientTokenClaims> {
    const claims = (await this.verifiedPayload(token, {})) as Partial<ClientTokenClaims> & { sid?: unknown };
    assertClientClaims(claims, this.claimLimits());
    return claims;
  }

  private async verifiedPayload(token: string, options: { allowExpired?: boolean }): Promise<Record<string, unknown>> {
    const key = await keyForToken(token, this.keys);
    const { issuer, audience, clockTolerance } = this.config.jwt;
    let payload: Record<string, unknown>;
    try {
      payload = await verifyJws(token, key, { issuer, audience, clockTolerance, allowExpired: options.allowExpired });
    } catch (error) {
      if (error instanceof InvalidTokenException && error.message === 'The access token has expired') {
        throw new InvalidTokenException(`${error.message}; log in again`);
      }
      throw error;
    }
    return payload;
  }
}

/** Claims of a service client's access token. */
export interface ClientTokenClaims {
  sub: string;
  client_id: string;
  gty: typeof CLIENT_CREDENTIALS_GRANT;
  iat: number;
  exp: number;
  scope?: string;
  scope_ref?: string;
  jti?: string;
}

/** A client token: `sub` = `client_id` (a lower-case UUID), `gty` client_credentials, no session, and the usual time rules. */
export function assertClientClaims(
  payload: Partial<ClientTokenClaims> & { sid?: unknown },
  limits: ClaimLimits,
): asserts payload is ClientTokenClaims {
  assertTimes(payload, limits);
  if (payload.gty !== CLIENT_CREDENTIALS_GRANT || payload.sid !== undefined)
    throw new InvalidTokenException('The access token is not a client token');
  if (
    typeof payload.sub !== 'string' ||
    !isUUID(payload.sub) ||
    payload.sub !== payload.sub.toLowerCase() ||
    payload.client_id !== payload.sub
  ) {
    throw new InvalidTokenException('The access token subject is not valid');
  }
  assertScopeClaims(payload);
}
