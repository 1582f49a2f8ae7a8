/** Roles seeded by migrations; they cannot be deleted. */
export const BuiltInRole = {
  Admin: 'ADMIN',
  User: 'USER',
  /** Services that may introspect tokens (POST /authenticate/introspect). */
  Introspect: 'INTROSPECT',
} as const;

export const BUILT_IN_ROLES: readonly string[] = Object.values(BuiltInRole);
