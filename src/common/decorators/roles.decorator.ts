import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';

export const ROLES_KEY = 'roles';

/** The 403 reason the OpenAPI document gives for `@Roles(...)`. */
export const rolesReason = (roles: string[]) => `Requires one of the roles: ${roles.join(', ')}`;

/**
 * Restricts a route (or controller) to callers holding at least one of the roles; the 403 shows in
 * the OpenAPI document with it. The bearer requirement itself (security and 401) is added to every
 * non-public route when the document is built (common/openapi/openapi-document.ts).
 */
export const Roles = (...roles: string[]) =>
  applyDecorators(SetMetadata(ROLES_KEY, roles), ApiForbiddenResponse({ description: rolesReason(roles) }));
