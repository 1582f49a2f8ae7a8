import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { isUUID } from 'class-validator';
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { InvalidTokenException } from '../common/exceptions/auth.exceptions';
import type { Identity } from '../common/interfaces/authenticated-user';
import { describeJwtFailure } from './bearer-token';
import { appConfig } from '../config/app.config';
import { KeyStore, VerificationKey } from '../keys/key-store';

/** Gatehouse's tokens are about 600 characters; anything far larger is refused before parsing. */
export const MAX_TOKEN_LENGTH = 4096;

/** JWS compact serialisation: three base64url parts (RFC 7515 §7.1). Anything else is refused unparsed. */
export const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Cheap checks before any parsing: size, alphabet, and a `kid` that names a configured key. Returns
 * the key to verify with, or throws the 401 that says what is wrong.
 */
export function keyForToken(token: string, keys: KeyStore): VerificationKey {
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
  const key = keys.verificationKey((header as { kid?: unknown }).kid);
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
}

/** Who a token is for: the identity whose id, username and roles it carries. */
export type AccessTokenSubject = Identity;

export interface SignedAccessToken {
  token: string;
  expiresIn: number;
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
  if (typeof payload.exp !== 'number') throw new InvalidTokenException('The access token has no expiry');
  if (typeof payload.iat !== 'number') throw new InvalidTokenException('The access token has no issue time');
  if (payload.iat > Date.now() / 1000 + limits.clockTolerance) throw new InvalidTokenException('The access token was issued in the future');
  if (payload.exp - payload.iat > limits.maxLifetime) {
    throw new InvalidTokenException('The access token lives longer than this server issues tokens for (ACCESS_TOKEN_MAX_TTL)');
  }
  // Lower case only, as Gatehouse writes them: PostgreSQL's uuid ignores case, and another spelling
  // of a session id would slip past a cache keyed by the id.
  if (typeof payload.sub !== 'string' || !isUUID(payload.sub) || payload.sub !== payload.sub.toLowerCase()) {
    throw new InvalidTokenException('The access token subject is not valid');
  }
  if (typeof payload.sid !== 'string' || !isUUID(payload.sid) || payload.sid !== payload.sid.toLowerCase()) {
    throw new InvalidTokenException('The access token has no valid session');
  }
}

@Injectable()
export class TokenService {
  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly jwt: JwtService,
    private readonly keys: KeyStore,
  ) {}

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

  signAccessToken(subject: AccessTokenSubject, sessionId: string, ttlSeconds: number): SignedAccessToken {
    const signer = this.keys.signingKey();
    const token = this.jwt.sign(
      { preferred_username: subject.username, roles: subject.roles, sid: sessionId },
      {
        algorithm: signer.alg as jwt.Algorithm,
        privateKey: signer.key,
        keyid: signer.kid,
        subject: subject.id,
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
        expiresIn: ttlSeconds,
        jwtid: randomUUID(),
      },
    );
    return { token, expiresIn: ttlSeconds };
  }

  /**
   * Verifies an access token outside the guard (logout, renewal). `allowExpired` accepts a token
   * past its `exp` whose signature and claims are otherwise good: enough to name a session to end.
   */
  verifyAccessToken(token: string, options: { allowExpired?: boolean } = {}): AccessTokenClaims {
    const { key } = keyForToken(token, this.keys);
    let payload: jwt.JwtPayload | string;
    try {
      payload = jwt.verify(token, key, { ...this.verifyOptions(), ignoreExpiration: options.allowExpired ?? false });
    } catch (error) {
      const message = describeJwtFailure(error);
      throw new InvalidTokenException(error instanceof jwt.TokenExpiredError ? `${message}; log in again` : message);
    }
    if (typeof payload === 'string') throw new InvalidTokenException('The access token is malformed');
    const claims = payload as Partial<AccessTokenClaims>;
    assertAccessClaims(claims, this.claimLimits());
    return claims;
  }
}
