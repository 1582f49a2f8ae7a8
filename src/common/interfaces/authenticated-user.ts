/** Who a user is, as authorization sees it: id, username, role names and what the roles grant (sorted). */
export interface Identity {
  id: string;
  username: string;
  /** Role names, read from the database so a role change applies at once. */
  roles: string[];
  /** Every permission the roles grant (common/permissions.ts), read with them. */
  permissions: string[];
}

/** What proved the caller: a session's access token, a personal access token, a service client's token, or a provider's token. */
export type CredentialKind = 'session' | 'personal_access_token' | 'client' | 'provider';

/**
 * The principal the bearer guard puts on the request, as the server sees it. `permissions` are those
 * the credential may use now: the holder's, narrowed to the token's scope.
 */
export interface AuthenticatedUser extends Identity {
  /** What proved the caller ('session' unless said otherwise). */
  credential: CredentialKind;
  /** The scope the token carries (undefined: none, it may use all the holder's permissions). */
  scope?: string[];
  /** The personal access token's or the client's id, when `credential` is one of those. */
  credentialId?: string;
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
  /** The scope the login asked for (sorted); null when it asked for none: the tokens carry all the user's permissions. */
  scope: string[] | null;
}

/** The one place a principal is built: an identity, and the token that proved it. */
export function authenticatedUser(
  identity: Identity,
  token: {
    sessionId: string;
    expiresAt: number;
    amr?: string[];
    authTime?: number;
    restriction?: string;
    /** The token's scope (undefined: a token from before permissions, which may use all its user's). */
    scope?: string[];
    /** The permissions the token may use (its scope applied); the identity's all when omitted. */
    permissions?: string[];
    credential?: CredentialKind;
    credentialId?: string;
  },
): AuthenticatedUser {
  return {
    id: identity.id,
    username: identity.username,
    roles: identity.roles,
    permissions: token.permissions ?? identity.permissions,
    credential: token.credential ?? 'session',
    credentialId: token.credentialId,
    scope: token.scope,
    sessionId: token.sessionId,
    tokenExpiresAt: token.expiresAt,
    amr: token.amr ?? [],
    authTime: token.authTime,
    restriction: token.restriction,
  };
}
