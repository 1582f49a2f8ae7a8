/**
 * What a refused token is told: the messages Gatehouse itself answers with, so a client sees the same
 * text whichever service refused its token.
 */
export const TOKEN_MESSAGES = {
  missing: 'Missing bearer token: send Authorization: Bearer <access token>',
  expired: 'The access token has expired',
  signature: 'The access token signature is invalid',
  issuer: 'The access token issuer is not accepted',
  audience: 'The access token audience is not accepted',
  algorithm: 'The access token algorithm is not allowed',
  malformed: 'The access token is malformed',
  revoked: 'The access token was revoked: its session has ended',
  /** Introspection's `active: false` for a service client's token (it has no session). */
  clientRevoked: 'The access token was revoked: its client is disabled or no longer exists',
  restricted: 'The access token belongs to a session restricted to enrolling a second factor (MFA_REQUIRED_ROLES); log in again with it',
} as const;

/** The 403 message of a route whose roles the caller lacks (Gatehouse's own). */
export const INSUFFICIENT_ROLE_MESSAGE = 'You do not have the role this route requires';

/** The 403 message of a `@RequirePermissions()` route whose permissions the token lacks (Gatehouse's own). */
export function missingPermissionsMessage(missing: readonly string[]): string {
  return `Missing permission${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`;
}

/**
 * The 403 message of a `@RequirePermissions()` route for a token that carries `scope_ref` (its scope
 * listed over 50 permissions) while this module does not introspect: only Gatehouse can read it.
 */
export const UNRESOLVED_SCOPE_MESSAGE =
  'The access token scope is too large to be read here (scope_ref): this service must enable token introspection, ' +
  'or the client must ask for a token with a narrower scope';

/** Why Gatehouse could not be asked: the token may be fine, so these are 503s, never 401s. */
export const UNAVAILABLE_MESSAGES = {
  keys: "Gatehouse's signing keys (JWKS) could not be fetched to verify the access token; try again shortly",
  introspectionUnreachable: 'Gatehouse could not be reached to check the access token session; try again shortly',
  introspectionRefused: 'Gatehouse did not answer the access token session check; try again shortly',
} as const;

/** The token is unusable (401 invalid_token). Carries no HTTP detail: the guard shapes the response. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** Gatehouse (its key set or its introspection endpoint) could not answer: fail closed with 503. */
export class GatehouseUnavailableError extends Error {
  override readonly name = 'GatehouseUnavailableError';
}

/** GatehouseAuthModule was configured in a way it cannot run with; thrown at start-up. */
export class GatehouseAuthConfigError extends Error {
  override readonly name = 'GatehouseAuthConfigError';

  constructor(message: string) {
    super(`GatehouseAuthModule: ${message}`);
  }
}
