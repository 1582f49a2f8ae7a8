import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse } from '@nestjs/swagger';

export const ROLES_KEY = 'roles';

/**
 * Restricts a route (or controller) to callers holding at least one of the roles. The Swagger
 * annotations come with it so a route's security always shows in the OpenAPI document.
 */
export const Roles = (...roles: string[]) =>
  applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    ApiBearerAuth('bearer'),
    ApiForbiddenResponse({ description: `Requires one of the roles: ${roles.join(', ')}` }),
  );
