/**
 * @gatehouse/nest — the resource-server side of Gatehouse for NestJS services.
 *
 * `GatehouseAuthModule.forRoot({ issuer, audience, jwksUri })` verifies Gatehouse's access tokens
 * locally (JWKS, or the shared HS512 secret), optionally checks their session at Gatehouse by token
 * introspection, and offers the decorators Gatehouse itself uses (`@Public()`, `@Roles()`,
 * `@RequirePermissions()`, `@CurrentUser()`), with the same metadata keys, so a route reads the same in the monolith and in
 * an extracted service. Refusals answer in Gatehouse's error body with its WWW-Authenticate challenge.
 */

export { GatehouseAuthModule } from './gatehouse-auth.module';
export type { GatehouseAuthAsyncOptions } from './gatehouse-auth.module';
export { GATEHOUSE_AUTH_OPTIONS } from './gatehouse-auth.options';
export type { GatehouseAuthOptions, GatehouseIntrospectionOptions, ResolvedGatehouseAuthOptions } from './gatehouse-auth.options';
export type { AuthenticatedUser } from './authenticated-user';
export { IS_PUBLIC_KEY, Public } from './public.decorator';
export { ROLES_KEY, Roles } from './roles.decorator';
export { PERMISSIONS_KEY, RequirePermissions } from './require-permissions.decorator';
export { CurrentUser } from './current-user.decorator';
export { BearerAuthGuard } from './bearer-auth.guard';
export { RolesGuard } from './roles.guard';
export { AccessTokenVerifier, MAX_TOKEN_LENGTH } from './access-token.verifier';
export {
  GatehouseAuthConfigError,
  GatehouseUnavailableError,
  INSUFFICIENT_ROLE_MESSAGE,
  InvalidTokenError,
  TOKEN_MESSAGES,
  UNAVAILABLE_MESSAGES,
  UNRESOLVED_SCOPE_MESSAGE,
  missingPermissionsMessage,
} from './gatehouse-auth.errors';
export type { ErrorBody } from './http-errors';
