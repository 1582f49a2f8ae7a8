import type { AuthenticatedUser } from './authenticated-user';

/** A Gatehouse permission: lower-case letters, digits, `_ . : -`, at most 64 characters (as Gatehouse validates them). */
export const PERMISSION_PATTERN = /^[a-z0-9_.:-]{1,64}$/;

/** `scope_ref`: Gatehouse's base64url SHA-256 of a scope too long to carry (over 50 permissions). */
const SCOPE_REF = /^[A-Za-z0-9_-]{43}$/;

/**
 * A `scope` claim or introspection member (RFC 9068 §2.2.3: space-separated) as a frozen list, read
 * once per token (or answer) and kept with it: the guard never splits a string per request. `""`
 * and an absent claim both mean no permissions.
 */
export function scopeList(scope: string | undefined): string[] {
  if (scope === undefined || scope === '') return Object.freeze([] as string[]) as string[];
  return Object.freeze(scope.split(' ').filter((permission) => permission !== '')) as string[];
}

/** Whether a `scope_ref` claim has the shape Gatehouse writes. */
export function isScopeRef(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_REF.test(value);
}

/** The permissions of `required` that `granted` lacks, in the route's order. */
export function missingPermissions(required: readonly string[], granted: readonly string[]): string[] {
  return required.filter((permission) => !granted.includes(permission));
}

/**
 * Principals of tokens that carry `scope_ref` instead of `scope` and whose scope no introspection
 * answer has resolved: their `permissions` are empty because they are unknown, not because none were
 * granted, and a permission check must say so instead of naming a "missing" permission. A WeakSet,
 * not a field: the principal's public shape stays the same, and a forgotten principal leaves it.
 */
const unresolvedScopes = new WeakSet<AuthenticatedUser>();

export function markScopeUnresolved(user: AuthenticatedUser): AuthenticatedUser {
  unresolvedScopes.add(user);
  return user;
}

export function hasUnresolvedScope(user: AuthenticatedUser): boolean {
  return unresolvedScopes.has(user);
}
