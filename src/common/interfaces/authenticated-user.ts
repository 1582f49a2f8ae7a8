/** The principal the bearer guard puts on the request, as the server sees it. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  /** Role names, read from the database on each request so a role change applies at once. */
  roles: string[];
  /** The login session the token belongs to. */
  sessionId: string;
  /** The access token's `exp`, in seconds since the epoch. */
  tokenExpiresAt: number;
}
