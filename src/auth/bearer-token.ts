import type { SessionCheck } from '../sessions/principal-cache';

/** The credentials of `Authorization: Bearer …`, scheme case-insensitive (RFC 7235 §2.1); null for any other header. */
export function extractBearerToken(req: { headers: Record<string, string | string[] | undefined> }): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^bearer +(\S*) *$/i.exec(header);
  return match?.[1] ? match[1] : null;
}

export const REVOKED_MESSAGES: Record<Exclude<SessionCheck, { ok: true }>['reason'], string> = {
  'unknown-session': 'The access token was revoked: its session is unknown or has ended',
  revoked: 'The access token was revoked: its session has ended',
  expired: 'The access token was revoked: its session has expired, log in again',
  'user-disabled': 'The access token was revoked: the user is disabled',
  'user-unknown': 'The access token was revoked: the user is unknown',
  'credentials-changed': 'The access token was revoked: the password has changed since this session started',
};

const REVOCATIONS = new Set<string>(Object.values(REVOKED_MESSAGES));

/** Whether a refusal says the token was good but its session or user no longer is (for metrics). */
export function isRevocation(error: Error): boolean {
  return REVOCATIONS.has(error.message);
}

/** Maps jsonwebtoken / passport-jwt failures to messages that say which check failed. */
export function describeJwtFailure(info: unknown): string {
  const name = (info as Error | undefined)?.name;
  const message = (info as Error | undefined)?.message ?? '';
  if (name === 'TokenExpiredError') return 'The access token has expired';
  if (name === 'NotBeforeError') return 'The access token is not valid yet';
  if (message === 'No auth token') return 'Missing bearer token: send Authorization: Bearer <access token>';
  if (message === 'invalid signature') return 'The access token signature is invalid';
  if (message === 'invalid algorithm') return 'The access token algorithm is not allowed (HS512 only)';
  if (message.startsWith('jwt audience invalid')) return 'The access token audience is not accepted';
  if (message.startsWith('jwt issuer invalid')) return 'The access token issuer is not accepted';
  if (message === 'jwt signature is required') return 'The access token is not signed';
  return 'The access token is malformed';
}
