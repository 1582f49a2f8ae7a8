import { errors as joseErrors, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import { Strategy as JwtPassportStrategy } from 'passport-jwt';
import { InvalidTokenException } from '../common/exceptions/auth.exceptions';
import type { VerificationKey } from '../keys/key-store';
import { describeJwtFailure } from './bearer-token';

/** What a token's signature and registered claims are checked against. */
export interface JwsCheck {
  issuer: string;
  audience: string;
  clockTolerance: number;
  /** Accept a token past its `exp` whose signature and other claims are good (enough to name a session to end). */
  allowExpired?: boolean;
}

/**
 * Verifies a Gatehouse token's signature with the key its `kid` named, pinned to that key's own
 * algorithm (never the header's choice, RFC 8725 §3.1), and checks iss, aud, exp and nbf.
 * HS512 goes through jsonwebtoken, as it always has; key pairs through jose with KeyObjects
 * (jsonwebtoken has no EdDSA, and its string-key path is far slower). Failures are 401s that say
 * which check failed.
 */
export async function verifyJws(token: string, key: VerificationKey, check: JwsCheck): Promise<Record<string, unknown>> {
  if (key.alg === 'HS512') return verifyHmac(token, key, check);
  try {
    const { payload } = await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      issuer: check.issuer,
      audience: check.audience,
      clockTolerance: check.clockTolerance,
    });
    return payload;
  } catch (error) {
    // jose checks `exp` last, so an expired token has passed every other check when this is thrown.
    if (check.allowExpired && error instanceof joseErrors.JWTExpired) return error.payload;
    throw new InvalidTokenException(describeJoseFailure(error));
  }
}

function verifyHmac(token: string, key: VerificationKey, check: JwsCheck): Record<string, unknown> {
  let payload: jwt.JwtPayload | string;
  try {
    payload = jwt.verify(token, key.key, {
      algorithms: [key.alg as jwt.Algorithm],
      issuer: check.issuer,
      audience: check.audience,
      clockTolerance: check.clockTolerance,
      ignoreExpiration: check.allowExpired ?? false,
    });
  } catch (error) {
    throw new InvalidTokenException(describeJwtFailure(error));
  }
  if (typeof payload === 'string') throw new InvalidTokenException('The access token is malformed');
  return payload;
}

/** The same messages jsonwebtoken's failures get (describeJwtFailure), for jose's. */
function describeJoseFailure(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The access token has expired';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The access token signature is invalid';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'The access token algorithm is not allowed';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'The access token issuer is not accepted';
    if (error.claim === 'aud') return 'The access token audience is not accepted';
    if (error.claim === 'nbf') return 'The access token is not valid yet';
  }
  return 'The access token is malformed';
}

function isVerificationKey(value: unknown): value is VerificationKey {
  return typeof value === 'object' && value !== null && 'kid' in value && 'alg' in value && 'key' in value;
}

type PassportJwtVerifier = (
  token: string,
  secretOrKey: unknown,
  options: jwt.VerifyOptions,
  callback: (error: Error | null, payload?: unknown) => void,
) => void;

/**
 * passport-jwt verifies with jsonwebtoken through its replaceable `JwtVerifier` hook (a static, so
 * process-wide). Gatehouse's strategy hands it a VerificationKey (kid, alg, KeyObject) instead of a
 * bare secret; those go to verifyJws, pinned to the key's algorithm and within the strategy's
 * algorithm list. Anything else goes to passport-jwt's own verifier, unchanged.
 */
export function installKeyObjectVerifier(): void {
  const strategy = JwtPassportStrategy as unknown as { JwtVerifier: PassportJwtVerifier & { gatehouse?: true } };
  if (strategy.JwtVerifier.gatehouse) return;
  const original = strategy.JwtVerifier;
  const verifier: PassportJwtVerifier & { gatehouse?: true } = (token, secretOrKey, options, callback) => {
    if (!isVerificationKey(secretOrKey)) return original(token, secretOrKey, options, callback);
    if (!options.algorithms?.includes(secretOrKey.alg as jwt.Algorithm)) {
      return callback(new InvalidTokenException('The access token algorithm is not allowed'));
    }
    verifyJws(token, secretOrKey, {
      issuer: options.issuer as string,
      audience: options.audience as string,
      clockTolerance: options.clockTolerance ?? 0,
      allowExpired: options.ignoreExpiration,
    }).then(
      (payload) => callback(null, payload),
      (error: Error) => callback(error),
    );
  };
  verifier.gatehouse = true;
  strategy.JwtVerifier = verifier;
}
