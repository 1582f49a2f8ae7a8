import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthenticatedUser } from './authenticated-user';
import { UNRESOLVED_SCOPE_MESSAGE, missingPermissionsMessage } from './gatehouse-auth.errors';
import { GATEHOUSE_AUTH_OPTIONS } from './gatehouse-auth.options';
import type { ResolvedGatehouseAuthOptions } from './gatehouse-auth.options';
import { insufficientScopeException, missingPermissionsException } from './http-errors';
import { hasUnresolvedScope, missingPermissions } from './permissions';
import { PERMISSIONS_KEY } from './require-permissions.decorator';
import { ROLES_KEY } from './roles.decorator';
import { routeMetadata } from './route-metadata';

/**
 * Runs after the bearer guard: a route marked `@Roles(...)` needs one of the listed roles, one marked
 * `@RequirePermissions(...)` every listed permission of the token's scope (both, when it has both; the
 * role first, as Gatehouse checks them). 403 otherwise.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly logger = new Logger('GatehouseAuth');
  private readonly requiredRoles: (context: ExecutionContext) => string[] | undefined;
  private readonly requiredPermissions: (context: ExecutionContext) => string[] | undefined;
  private readonly realm: string;
  private warnedUnresolvedScope = false;

  constructor(reflector: Reflector, @Inject(GATEHOUSE_AUTH_OPTIONS) options: ResolvedGatehouseAuthOptions) {
    this.requiredRoles = routeMetadata<string[]>(reflector, ROLES_KEY);
    this.requiredPermissions = routeMetadata<string[]>(reflector, PERMISSIONS_KEY);
    this.realm = options.realm;
  }

  canActivate(context: ExecutionContext): boolean {
    const roles = this.requiredRoles(context);
    const permissions = this.requiredPermissions(context);
    if (!roles?.length && !permissions?.length) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
    if (roles?.length && !(user && roles.some((role) => user.roles.includes(role)))) throw insufficientScopeException(context, this.realm);
    if (permissions?.length) this.checkPermissions(context, permissions, user);
    return true;
  }

  /** The token's permissions were split once, when it was verified: this is a few string comparisons. */
  private checkPermissions(context: ExecutionContext, required: string[], user: AuthenticatedUser | undefined): void {
    if (user && hasUnresolvedScope(user)) {
      // Not the caller's fault alone: the operator should know this service cannot read such tokens.
      if (!this.warnedUnresolvedScope) {
        this.warnedUnresolvedScope = true;
        this.logger.warn('A token with scope_ref reached a @RequirePermissions() route: configure `introspection` to resolve it');
      }
      throw missingPermissionsException(context, this.realm, UNRESOLVED_SCOPE_MESSAGE, required);
    }
    const missing = missingPermissions(required, user?.permissions ?? []);
    if (missing.length > 0) throw missingPermissionsException(context, this.realm, missingPermissionsMessage(missing), required);
  }
}
