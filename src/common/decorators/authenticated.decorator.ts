import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';

/**
 * Documents a controller or route as bearer-protected. The protection itself is the global JWT
 * guard; this only makes it visible in Swagger UI ("Authorize" → bearer, or a personal access token).
 */
export const Authenticated = () =>
  applyDecorators(
    ApiBearerAuth('bearer'),
    // A personal access token (gth_…) is sent the same way; Swagger UI offers it as its own scheme.
    ApiBearerAuth('personal-access-token'),
    ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or revoked bearer token' }),
  );
