import { InvalidScopeException } from './exceptions/auth.exceptions';

/**
 * Permissions: what a role grants and a token's `scope` carries (`patients:read`, `users:write`).
 * Gatehouse's own administration routes need the built-in ones below; application modules declare
 * theirs with `@RequirePermissions()` and administrators give them to roles.
 */
export const Permission = {
  UsersRead: 'users:read',
  UsersWrite: 'users:write',
  RolesWrite: 'roles:write',
  AuditRead: 'audit:read',
  SessionsAdmin: 'sessions:admin',
  KeysRotate: 'keys:rotate',
  Introspect: 'introspect',
  ClientsAdmin: 'clients:admin',
} as const;

export const BUILT_IN_PERMISSIONS: readonly string[] = Object.values(Permission);

/** Lower-case letters, digits, `_ . : -`; at most 64 characters. */
export const PERMISSION_PATTERN = /^[a-z0-9_.:-]{1,64}$/;

/** Above this many permissions a token carries a reference to its scope instead of the list (`scope_ref`). */
export const MAX_INLINE_SCOPE = 50;

/** How many permissions one role, one token request or one credential may name. */
export const MAX_PERMISSIONS = 500;

/**
 * The permissions a credential may use now: what its user (or client) holds, narrowed to the
 * credential's scope when it has one. Both lists are small; the result keeps the holder's order.
 */
export function grantedPermissions(held: readonly string[], scope: readonly string[] | undefined): string[] {
  if (scope === undefined) return held as string[];
  // The common case — a token carrying all its user's permissions — shares the user's list: no copy per token.
  if (held.every((permission) => scope.includes(permission))) return held as string[];
  return held.filter((permission) => scope.includes(permission));
}

/**
 * A `scope` parameter (RFC 6749 §3.3: space-separated) as a sorted list without repeats; undefined
 * when absent or blank. Throws InvalidScopeException (400 invalid_scope) for a malformed one.
 */
export function parseScope(raw: string | undefined | null): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw new InvalidScopeException('scope must be a space-separated string of permissions');
  const items = raw.split(' ').filter((item) => item.length > 0);
  if (items.length === 0) return undefined;
  if (items.length > MAX_PERMISSIONS) throw new InvalidScopeException(`scope names more than ${MAX_PERMISSIONS} permissions`);
  const bad = items.find((item) => !PERMISSION_PATTERN.test(item));
  if (bad !== undefined)
    throw new InvalidScopeException('scope holds a malformed permission (lower-case letters, digits and _ . : - only, at most 64)');
  return [...new Set(items)].sort();
}

/** Whether `granted` holds every permission of `wanted` (the guard's per-request check: no array built). */
export function holdsAll(wanted: readonly string[], granted: readonly string[]): boolean {
  for (let i = 0; i < wanted.length; i++) if (!granted.includes(wanted[i])) return false;
  return true;
}

/** The permissions of `wanted` that `granted` lacks. */
export function missingPermissions(wanted: readonly string[], granted: readonly string[]): string[] {
  return wanted.filter((permission) => !granted.includes(permission));
}

/** A malformed scope, or one asking for more than its holder has (RFC 6749 `invalid_scope`). */
export class InvalidScopeError extends Error {}

/** `wanted`, when every permission in it is among `held`; else 400 invalid_scope naming those that are not. */
export function withinScope(wanted: string[], held: readonly string[], holder: string): string[] {
  const missing = missingPermissions(wanted, held);
  if (missing.length > 0) throw new InvalidScopeException(`scope asks for more than ${holder}: ${missing.join(', ')}`);
  return wanted;
}
