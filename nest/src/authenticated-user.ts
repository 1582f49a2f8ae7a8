/**
 * The principal the bearer guard puts on `request.user`, read from a verified Gatehouse access token.
 * Same fields as Gatehouse's own, so a handler moves between the monolith and a service unchanged.
 *
 * The object is shared by every request that presents the same token (it is cached with the token),
 * so it is frozen: read it, do not change it.
 */
export interface AuthenticatedUser {
  /** The user's id: the token's `sub`. For a service client, its client id (`sub` = `client_id`). */
  id: string;
  /** The token's `preferred_username`. For a service client (whose token names none), its client id. */
  username: string;
  /** Role names, as the token carries them (`roles`). Always empty for a service client. */
  roles: string[];
  /**
   * What the token may do: its `scope` (RFC 9068 §2.2.3) as a list; empty when it carries none. A
   * token whose scope is too long to carry has `scope_ref` instead: with `introspection` the list is
   * Gatehouse's answer, without it the list is empty and `@RequirePermissions()` routes refuse it.
   */
  permissions: string[];
  /** The login session the token belongs to: the token's `sid`. Empty for a service client (no session). */
  sessionId: string;
  /** Set for a service client's token (client credentials grant, `gty: client_credentials`): its `client_id`. */
  clientId?: string;
  /** The token's `exp`, in seconds since the epoch. */
  tokenExpiresAt: number;
}
