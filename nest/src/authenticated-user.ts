/**
 * The principal the bearer guard puts on `request.user`, read from a verified Gatehouse access token.
 * Same fields as Gatehouse's own, so a handler moves between the monolith and a service unchanged.
 *
 * The object is shared by every request that presents the same token (it is cached with the token),
 * so it is frozen: read it, do not change it.
 */
export interface AuthenticatedUser {
  /** The user's id: the token's `sub`. */
  id: string;
  /** The token's `preferred_username`. */
  username: string;
  /** Role names, as the token carries them (`roles`). */
  roles: string[];
  /** The login session the token belongs to: the token's `sid`. */
  sessionId: string;
  /** The token's `exp`, in seconds since the epoch. */
  tokenExpiresAt: number;
}
