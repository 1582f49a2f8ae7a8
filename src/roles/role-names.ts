/** Roles seeded by the first migration; they cannot be deleted. */
export const BuiltInRole = {
  Admin: 'ADMIN',
  User: 'USER',
} as const;

export const BUILT_IN_ROLES: readonly string[] = Object.values(BuiltInRole);
