import type { UserView } from '../account/profile';

/** The API's answers the administration pages read (README's API table; the OpenAPI document at /docs). */
/** A user as GET /api/v1/users/:id shows it (the account pages' UserView, with the administrator's fields). */
export interface AdminUser extends UserView {
  updatedAt: string;
}

export interface Paged<T> {
  items: T[];
  page: number;
  limit: number;
  total: number;
}

export interface Role {
  id: string;
  name: string;
  description: string | null;
  permissions: string[];
}

export interface MfaStatus {
  totp: { enabled: boolean; confirmedAt?: string };
  recoveryCodes: { remaining: number };
  passkeys: number;
  methods: string[];
}

/** A session and a personal access token as the API shows them to their owner and to an administrator alike. */
export type { SessionView as Session } from '../account/sessions';
export type { TokenView as AccessToken } from '../account/tokens';

export interface AuditEvent {
  id: string;
  timestamp: string;
  type: string;
  userId: string | null;
  username: string | null;
  actorId: string | null;
  actor: 'cli' | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
}

export interface SigningKey {
  kid: string;
  alg: string;
  state: 'next' | 'current' | 'retiring';
  published: boolean;
  source: string;
  createdAt?: string;
  activatesAt?: string;
  retiresAt?: string;
}

export interface ServiceClient {
  client_id: string;
  name: string;
  scopes: string[];
  enabled: boolean;
  createdAt: string;
  secretRotatedAt: string | null;
  previousSecretExpiresAt: string | null;
}

export interface ServiceClientWithSecret extends ServiceClient {
  client_secret: string;
}

/** Built-in roles: never deleted; ADMIN always holds every built-in permission. */
export const BUILT_IN_ROLES = ['ADMIN', 'USER', 'INTROSPECT'];
