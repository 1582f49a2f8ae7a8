import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'isPublic';

/**
 * Opens a route to anonymous callers; every other route requires a bearer token (deny by default).
 * The OpenAPI document follows the same metadata (common/openapi/openapi-document.ts): a public
 * route gets `security: []` (unless it declares the credentials it checks itself, e.g.
 * `@ApiBasicAuth`), every other one the bearer schemes and its 401.
 */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
