import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';

export const ROLES_KEY = 'roles';

/**
 * Restricts a route (or controller) to callers holding at least one of the roles; the 403 shows in
 * the OpenAPI document with it. The bearer requirement itself is documented by `@Authenticated()`
 * on the controller, since the global JWT guard protects every non-public route.
 */
export const Roles = (...roles: string[]) =>
  applyDecorators(SetMetadata(ROLES_KEY, roles), ApiForbiddenResponse({ description: `Requires one of the roles: ${roles.join(', ')}` }));
