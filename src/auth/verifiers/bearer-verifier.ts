import type { ExecutionContext } from '@nestjs/common';
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
}
