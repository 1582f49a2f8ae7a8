import type { ExecutionContext } from '@nestjs/common';
import { InvalidTokenException } from '../../common/exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../../common/interfaces/authenticated-user';

/** A token presented to the bearer guard, decoded (not verified) just enough to choose a verifier. */
export interface PresentedToken {
  /** The token as sent. */
  raw: string;
  /** `Authorization: Bearer` or `X-JWT-Assertion`. */
  source: 'authorization' | 'assertion';
  /** The JOSE header and the `iss` claim, unverified; undefined when the token is not a decodable JWS. */
  header?: Record<string, unknown>;
  issuer?: unknown;
  /** The payload, unverified: for choosing among verifiers of the same issuer (a service client's token has `gty`). */
  payload?: Record<string, unknown>;
}

/**
 * Verifies one kind of bearer token. Each module that issues or trusts a kind of token registers
 * its verifier (BearerVerifiers.register); the guard asks them in order and the first that claims a
 * token verifies it.
 */
export interface BearerVerifier {
  /** For logs and docs. */
  readonly name: string;
  /** Reads tokens from `X-JWT-Assertion` too (not only `Authorization: Bearer`). */
  readonly acceptsAssertions: boolean;
  /** Whether verified tokens may be kept in the guard's verified-token cache until they expire. */
  readonly cacheable: boolean;
  /** Takes the token when its issuer (and header) is one this verifier answers for. Cheap and synchronous. */
  claims(token: PresentedToken): boolean;
  /** The principal, or a 401 (InvalidTokenException) saying what is wrong. */
  verify(token: PresentedToken, context: ExecutionContext): Promise<AuthenticatedUser>;
  /**
   * The principal from what the verifier has cached, synchronously (the hot path of a credential
   * that is not a cacheable Gatehouse token); undefined when it must verify (then `verify` runs).
   * Throws the 401 when the cache already knows the credential is bad.
   */
  verifyCached?(token: PresentedToken): AuthenticatedUser | undefined;
  /**
   * What introspection (RFC 7662) answers for a token this verifier claims; undefined: not active.
   * Optional: verifiers without it answer `{active: false}`.
   */
  introspect?(token: PresentedToken): Promise<Record<string, unknown> | undefined>;
  /** Revokes a token this verifier claims (RFC 7009: holding it is the proof); nothing for one it does not know. */
  revoke?(token: PresentedToken): Promise<void>;
}

/** `work`'s result, or undefined when it refuses the token with a 401 (introspection's "not active"). */
export async function unlessInvalid<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof InvalidTokenException) return undefined;
    throw error;
  }
}
