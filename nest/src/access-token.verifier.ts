import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey, JWTVerifyOptions, JWTVerifyResult } from 'jose';
import type { AuthenticatedUser } from './authenticated-user';
import { GatehouseUnavailableError, InvalidTokenError, TOKEN_MESSAGES, UNAVAILABLE_MESSAGES } from './gatehouse-auth.errors';
import { GATEHOUSE_AUTH_OPTIONS } from './gatehouse-auth.options';
import type { ResolvedGatehouseAuthOptions } from './gatehouse-auth.options';
import { isScopeRef, markScopeUnresolved, scopeList } from './permissions';

/** Gatehouse's tokens are under 1 KB; anything far larger is refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;

/** JWS compact serialisation: three base64url parts (RFC 7515 §7.1). Anything else is refused unparsed. */
export const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The `typ` values Gatehouse writes: `JWT`, or `at+jwt` with the RFC 9068 profile (compared as media types). */
const ACCEPTED_TYPES = new Set(['jwt', 'at+jwt']);

/**
 * Verifies a Gatehouse access token locally (RFC 8725, JWT best current practices) and reads its
 * principal. jose checks the signature with the algorithms pinned by configuration (never the
 * token's word: `none`, and HS* against a published key, are refused before any key is looked up),
 * and `iss`, `aud`, `exp` (required), `iat` (required), `nbf`; this class adds what jose leaves to the
 * caller: size and shape before parsing, `crit` and `typ`, an `iat` not in the future, and the types
 * of the claims the principal is built from (`sub`, `sid`, `preferred_username`, `roles`, `scope`,
 * `scope_ref`; for a service client's token `gty`, `client_id`).
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly verifySignature: (token: string) => Promise<JWTVerifyResult>;
  private readonly clockTolerance: number;

  constructor(@Inject(GATEHOUSE_AUTH_OPTIONS) options: ResolvedGatehouseAuthOptions) {
    this.clockTolerance = options.clockTolerance;
    const verifyOptions: JWTVerifyOptions = {
      algorithms: options.algorithms,
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockTolerance,
      // RFC 8725 §3.10: exp is required (a token without one would never expire), and iat, which
      // Gatehouse always writes. jose then checks that both are numbers, and exp against the clock.
      requiredClaims: ['exp', 'iat'],
    };
    const { keys } = options;
    if (keys.kind === 'secret') {
      this.verifySignature = (token) => jwtVerify(token, keys.secret, verifyOptions);
    } else {
      const keySet = remoteKeySet(keys.uri, keys.cooldownMs, keys.cacheMaxAgeMs);
      this.verifySignature = (token) => jwtVerify(token, keySet, verifyOptions);
    }
  }

  /**
   * The principal of a valid token. Throws InvalidTokenError (401) with a message saying which check
   * failed, or GatehouseUnavailableError (503) when the key set could not be fetched. For a token with
   * `scope_ref`, `permissions` is empty: only Gatehouse can resolve it (the bearer guard asks it).
   */
  async verify(token: string): Promise<AuthenticatedUser> {
    checkShape(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await this.verifySignature(token));
    } catch (error) {
      throw describeFailure(error);
    }
    return principalOf(payload, this.clockTolerance);
  }
}

/**
 * Gatehouse's JWKS through jose's remote key set: fetched once and cached for `cacheMaxAge`; a `kid`
 * it does not hold (a key published during a rotation) triggers one refetch, but at most once per
 * `cooldown`, so a flood of made-up kids cannot turn into a flood of requests to Gatehouse.
 * Concurrent refetches share one request. Failing to fetch is not the token's fault: 503.
 */
function remoteKeySet(uri: URL, cooldownMs: number, cacheMaxAgeMs: number): JWTVerifyGetKey {
  const keySet = createRemoteJWKSet(uri, { cooldownDuration: cooldownMs, cacheMaxAge: cacheMaxAgeMs });
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      // The set answered, but holds no (single) key for this kid and alg: the token is unusable.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      if (error instanceof errors.JOSENotSupported) throw error;
      // Timeout, connection refused, non-200, not JSON, not a key set: Gatehouse is at fault.
      throw new GatehouseUnavailableError(UNAVAILABLE_MESSAGES.keys, { cause: error });
    }
  };
}

/** Cheap checks before jose parses anything: size, alphabet, and the protected header's `crit` and `typ`. */
function checkShape(token: string): void {
  if (token.length > MAX_TOKEN_LENGTH || !JWS_COMPACT.test(token)) throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  // RFC 7515 §4.1.11: a recipient must refuse `crit` extensions it does not understand. Gatehouse
  // writes none, so any `crit` is refused (jose alone would accept `b64`).
  if ('crit' in header) throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  // RFC 8725 §3.11 (explicit typing): a JWT of another kind (an ID token with its own typ, a logout
  // token) is not an access token. `typ` is a media type: case-insensitive, `application/` optional.
  if ('typ' in header) {
    const typ = (header as { typ: unknown }).typ;
    if (typeof typ !== 'string' || !ACCEPTED_TYPES.has(typ.toLowerCase().replace(/^application\//, ''))) {
      throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
    }
  }
}

/** Maps jose's failures to the message that says which check failed (RFC 6750 §3.1 error_description). */
function describeFailure(error: unknown): Error {
  if (error instanceof GatehouseUnavailableError || error instanceof InvalidTokenError) return error;
  if (error instanceof errors.JWTExpired) return new InvalidTokenError(TOKEN_MESSAGES.expired);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new InvalidTokenError(TOKEN_MESSAGES.signature);
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenError(TOKEN_MESSAGES.algorithm);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return new InvalidTokenError(TOKEN_MESSAGES.issuer);
    if (error.claim === 'aud') return new InvalidTokenError(TOKEN_MESSAGES.audience);
  }
  return new InvalidTokenError(TOKEN_MESSAGES.malformed);
}

/** The grant Gatehouse writes into service clients' tokens (`gty`); a user's token carries none. */
const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

/**
 * The principal of a verified payload. The claims are checked for type before use: a valid signature
 * says who made the token, not that every claim has the shape this service relies on.
 */
function principalOf(payload: JWTPayload, clockTolerance: number): AuthenticatedUser {
  const { sub } = payload;
  // Present and numbers: jose checked (requiredClaims).
  const exp = payload.exp as number;
  const iat = payload.iat as number;
  if (typeof sub !== 'string' || sub === '') throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  // RFC 7519 §4.1.6: Gatehouse's clock wrote iat; a token from the future was not made by its rules.
  if (iat > Date.now() / 1000 + clockTolerance) throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  const { permissions, unresolved } = scopeOf(payload);
  const user =
    payload.gty === CLIENT_CREDENTIALS_GRANT ? clientPrincipal(payload, sub, permissions) : userPrincipal(payload, sub, permissions);
  // Frozen: the principal is cached with the token and shared by every request that presents it.
  const principal = Object.freeze({ ...user, tokenExpiresAt: exp });
  return unresolved ? markScopeUnresolved(principal) : principal;
}

/** A user's token: a login session (`sid`), a name, roles. */
function userPrincipal(payload: JWTPayload, sub: string, permissions: string[]): Omit<AuthenticatedUser, 'tokenExpiresAt'> {
  const { sid, preferred_username: username, roles } = payload;
  if (typeof sid !== 'string' || sid === '' || typeof username !== 'string') throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  // A session Gatehouse limits to MFA enrolment (MFA_REQUIRED_ROLES) is not this service's to serve.
  if (payload.restriction !== undefined) throw new InvalidTokenError(TOKEN_MESSAGES.restricted);
  if (!Array.isArray(roles) || !roles.every((role): role is string => typeof role === 'string')) {
    throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  }
  return { id: sub, username, roles: Object.freeze([...roles]) as string[], permissions, sessionId: sid };
}

/**
 * A service client's token (client credentials grant): `gty: client_credentials`, `client_id` equal to
 * `sub`, and no session. Gatehouse writes no name and no roles into it: the client acts by its scope
 * alone, so any `roles` claim is ignored rather than trusted, and `@Roles()` routes refuse it.
 */
function clientPrincipal(payload: JWTPayload, sub: string, permissions: string[]): Omit<AuthenticatedUser, 'tokenExpiresAt'> {
  if (payload.sid !== undefined || payload.client_id !== sub) throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  if (payload.restriction !== undefined) throw new InvalidTokenError(TOKEN_MESSAGES.restricted);
  return { id: sub, username: sub, roles: Object.freeze([] as string[]) as string[], permissions, sessionId: '', clientId: sub };
}

/**
 * The token's permissions, split once here and cached with the principal. `scope` is a string when
 * present (absent or `""`: none); `scope_ref` replaces it for a scope of over 50 permissions, which
 * only Gatehouse can resolve (the bearer guard asks it by introspection, when configured).
 */
function scopeOf(payload: JWTPayload): { permissions: string[]; unresolved: boolean } {
  const { scope, scope_ref: scopeRef } = payload;
  if (scope !== undefined && typeof scope !== 'string') throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  if (scopeRef === undefined) return { permissions: scopeList(scope), unresolved: false };
  // A token carries one or the other, never both (Gatehouse's own rule).
  if (scope !== undefined || !isScopeRef(scopeRef)) throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  return { permissions: scopeList(undefined), unresolved: true };
}
