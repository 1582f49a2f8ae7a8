import { SetMetadata } from '@nestjs/common';
import { GatehouseAuthConfigError } from './gatehouse-auth.errors';
import { PERMISSION_PATTERN } from './permissions';

/** The metadata key Gatehouse uses too: a route reads the same in the monolith and in a service. */
export const PERMISSIONS_KEY = 'permissions';

/**
 * Restricts a route (or controller) to callers whose access token grants **every** listed permission
 * in its `scope`; others get 403 `insufficient_scope` naming the missing ones. Beside `@Roles()`, which
 * asks who the caller is, this asks what the token may do: a down-scoped token, or a service client's,
 * passes only what its scope allows. A handler's list replaces its controller's.
 *
 * A name Gatehouse could never grant (upper case, a space) throws when the class is defined: such a
 * route would refuse everyone, silently.
 */
export const RequirePermissions = (...permissions: string[]) => {
  const bad = permissions.find((permission) => !PERMISSION_PATTERN.test(permission));
  if (bad !== undefined) {
    throw new GatehouseAuthConfigError(
      `@RequirePermissions(${JSON.stringify(bad)}): a permission is lower-case letters, digits and _ . : - (1 to 64 characters)`,
    );
  }
  return SetMetadata(PERMISSIONS_KEY, permissions);
};
