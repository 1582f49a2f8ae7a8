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
}

/** The one place a principal is built: an identity, and the token that proved it. */
export function authenticatedUser(identity: Identity, token: { sessionId: string; expiresAt: number }): AuthenticatedUser {
  return {
    id: identity.id,
    username: identity.username,
    roles: identity.roles,
    sessionId: token.sessionId,
    tokenExpiresAt: token.expiresAt,
  };
}
