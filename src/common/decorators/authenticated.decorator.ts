import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';

/**
 * Documents a controller or route as bearer-protected. The protection itself is the global JWT
 * guard; this only makes it visible in Swagger UI ("Authorize" → bearer).
 */
export const Authenticated = () =>
  applyDecorators(ApiBearerAuth('bearer'), ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or revoked bearer token' }));
