/**
 * Every label value a Gatehouse metric can carry, as closed sets: nothing a client sends (a
 * username, a token, an id, an address, a raw URL) ever becomes a label, so the number of series is
 * bounded by these lists and the routes the application declares (docs/operations.md#metrics).
 */

/** How a login attempt ended (`gatehouse_logins_total{result}`); each attempt is counted once. */
export const LOGIN_RESULTS = ['success', 'wrong_password', 'unknown_user', 'disabled', 'locked', 'ip_blocked', 'mfa_required'] as const;
export type LoginResult = (typeof LOGIN_RESULTS)[number];

/** How a refresh-token exchange ended (`gatehouse_refresh_total{result}`). */
export const REFRESH_RESULTS = ['rotated', 'grace', 'reuse_detected', 'expired', 'revoked', 'invalid'] as const;
export type RefreshResult = (typeof REFRESH_RESULTS)[number];

/** The bearer guard's verdict on a token (`gatehouse_token_verifications_total{result, cache}`). */
export const TOKEN_VERIFICATION_RESULTS = ['valid', 'invalid', 'revoked', 'error'] as const;
export type TokenVerificationResult = (typeof TOKEN_VERIFICATION_RESULTS)[number];

/** `hit`: answered from the verified-token cache (or a verifier's own cache); `miss`: verified in full. */
export const CACHE_RESULTS = ['hit', 'miss'] as const;
export type CacheResult = (typeof CACHE_RESULTS)[number];

/** Why sessions ended (`gatehouse_sessions_revoked_total{reason}`). */
export const SESSION_REVOCATION_REASONS = [
  /** POST /authenticate/logout. */
  'logout',
  /** The user ended one or all other of their own sessions (the sessions API). */
  'user',
  /** An administrator ended them (the sessions API, the CLI). */
  'admin',
  /** A spent refresh token was presented again. */
  'reuse_detected',
  /** A refresh found the session's user disabled, unknown, or their password changed. */
  'refresh_refused',
  'user_disabled',
  'credentials_changed',
  'roles_changed',
  /** A second factor was added, removed or reset. */
  'mfa_changed',
] as const;
export type SessionRevocationReason = (typeof SESSION_REVOCATION_REASONS)[number];

/** The Redis connections whose state is reported (`gatehouse_redis_up{connection}`). */
export const REDIS_CONNECTIONS = ['throttle', 'revocations_publisher', 'revocations_subscriber'] as const;
export type RedisConnection = (typeof REDIS_CONNECTIONS)[number];

/** The methods reported as themselves; anything else (a client may send any token as a method) is `OTHER`. */
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function methodLabel(method: string): string {
  return HTTP_METHODS.has(method) ? method : 'OTHER';
}

/** The label of requests no route matched (404s for unknown URLs): one value, whatever the URL was. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route label of a request: the template the router matched (`/api/v1/users/:id`), never the URL
 * it was called with; requests no route matched share one value.
 */
export function routeLabel(template: string | undefined): string {
  return template === undefined || template === '' ? UNMATCHED_ROUTE : template;
}
