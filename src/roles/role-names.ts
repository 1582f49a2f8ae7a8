import { BUILT_IN_PERMISSIONS, Permission } from '../common/permissions';

/** Roles seeded by migrations; they cannot be deleted. */
export const BuiltInRole = {
  Admin: 'ADMIN',
  User: 'USER',
  /** Services that may introspect tokens (POST /authenticate/introspect). */
  Introspect: 'INTROSPECT',
} as const;

export const BUILT_IN_ROLES: readonly string[] = Object.values(BuiltInRole);

/**
 * Permissions a built-in role always holds, whatever its stored list says: ADMIN every built-in
 * permission (so every administration route works for it as before permissions existed),
 * INTROSPECT `introspect`. They cannot be taken away.
 */
export const IMPLIED_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  [BuiltInRole.Admin]: BUILT_IN_PERMISSIONS,
  [BuiltInRole.Introspect]: [Permission.Introspect],
};

/** A role's permissions: those stored on it and those its name implies, sorted. */
export function rolePermissions(role: { name: string; permissions?: readonly string[] | null }): string[] {
  return [...new Set([...(role.permissions ?? []), ...(IMPLIED_PERMISSIONS[role.name] ?? [])])].sort();
}

/** What a set of roles grants together, sorted without repeats. */
export function permissionsOfRoles(roles: readonly { name: string; permissions?: readonly string[] | null }[]): string[] {
  const all = new Set<string>();
  for (const role of roles) for (const permission of rolePermissions(role)) all.add(permission);
  return [...all].sort();
}
