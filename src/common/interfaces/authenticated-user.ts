/** Who a user is, as authorization sees it: id, username and role names (sorted). */
export interface Identity {
  id: string;
  username: string;
  /** Role names, read from the database so a role change applies at once. */
  roles: string[];
}

/** The principal the bearer guard puts on the request, as the server sees it. */
export interface AuthenticatedUser extends Identity {
  /** The login session the token belongs to ('' for tokens that carry none, e.g. a provider's). */
  sessionId: string;
  /** The access token's `exp`, in seconds since the epoch. */
  tokenExpiresAt: number;
  /** How the user authenticated (RFC 8176 `amr`: `pwd`, `otp`, `hwk`, `mfa`, …); empty when the token says nothing. */
  amr: string[];
  /** When the user authenticated (`auth_time`, seconds since the epoch); undefined when the token says nothing. */
  authTime?: number;
  /** Set when the session may do only one thing (`mfa_enrolment`). */
  restriction?: string;
}

/** How a session's user authenticated, as its access tokens carry it (`amr`, `auth_time`, `restriction`). */
export interface AuthenticationFacts {
  amr: string[];
  /** Seconds since the epoch. */
  authTime: number;
  restriction: string | null;
}

/** The one place a principal is built: an identity, and the token that proved it. */
export function authenticatedUser(
  identity: Identity,
  token: { sessionId: string; expiresAt: number; amr?: string[]; authTime?: number; restriction?: string },
): AuthenticatedUser {
  return {
    id: identity.id,
    username: identity.username,
    roles: identity.roles,
    sessionId: token.sessionId,
    tokenExpiresAt: token.expiresAt,
    amr: token.amr ?? [],
    authTime: token.authTime,
    restriction: token.restriction,
  };
}
