import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';

export const PERMISSIONS_KEY = 'permissions';

/** The 403 reason the OpenAPI document gives for `@RequirePermissions(...)`. */
export const permissionsReason = (permissions: string[]) =>
  `Requires the permission${permissions.length > 1 ? 's' : ''}: ${permissions.join(', ')} (insufficient_scope)`;

/**
 * Restricts a route (or controller) to callers whose token grants **every** listed permission: the
 * user's (or client's) permissions now, narrowed to the token's scope. A caller without one gets
 * 403 `insufficient_scope` naming it (RFC 6750 §3.1). Beside `@Roles()`, which asks who the caller
 * is, this asks what the credential may do — a down-scoped token or a personal access token passes
 * only what its scope allows.
 */
export const RequirePermissions = (...permissions: string[]) =>
  applyDecorators(SetMetadata(PERMISSIONS_KEY, permissions), ApiForbiddenResponse({ description: permissionsReason(permissions) }));

export const ALLOW_SERVICE_CLIENTS_KEY = 'allowServiceClients';

/**
 * Lets service clients (client credentials tokens) call a route that requires no permission.
 * Without it a client principal — a machine with no user behind it and no roles — reaches only
 * routes with `@RequirePermissions()`: it acts through what it was granted, never as "any signed-in
 * user" (it has no profile, password, sessions or second factor to manage).
 */
export const AllowServiceClients = () => SetMetadata(ALLOW_SERVICE_CLIENTS_KEY, true);
