import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ALLOW_SERVICE_CLIENTS_KEY, PERMISSIONS_KEY } from '../decorators/require-permissions.decorator';
import { ROLES_KEY } from '../decorators/roles.decorator';
import { routeMetadata } from '../decorators/route-metadata';
import { InsufficientScopeException, MissingPermissionsException } from '../exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../interfaces/authenticated-user';
import { holdsAll, missingPermissions } from '../permissions';

/**
 * Runs after the bearer guard: a route marked `@Roles(...)` needs one of the listed roles, one
 * marked `@RequirePermissions(...)` every listed permission of the token (both, when it has both).
 */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly requiredRoles: (context: ExecutionContext) => string[] | undefined;
  private readonly requiredPermissions: (context: ExecutionContext) => string[] | undefined;
  private readonly allowsClients: (context: ExecutionContext) => boolean | undefined;

  constructor(reflector: Reflector) {
    this.requiredRoles = routeMetadata<string[]>(reflector, ROLES_KEY);
    this.requiredPermissions = routeMetadata<string[]>(reflector, PERMISSIONS_KEY);
    this.allowsClients = routeMetadata<boolean>(reflector, ALLOW_SERVICE_CLIENTS_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const roles = this.requiredRoles(context);
    const permissions = this.requiredPermissions(context);
    const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
    // A service client acts only through the permissions it was granted (see @AllowServiceClients).
    if (user?.credential === 'client' && !permissions?.length && !this.allowsClients(context)) {
      throw new InsufficientScopeException('Service clients may call only routes that require a permission; this route is for users');
    }
    if (!roles?.length && !permissions?.length) return true;
    if (roles?.length && !(user && roles.some((role) => user.roles.includes(role)))) throw new InsufficientScopeException();
    if (permissions?.length && !holdsAll(permissions, user?.permissions ?? [])) {
      throw new MissingPermissionsException(permissions, missingPermissions(permissions, user?.permissions ?? []));
    }
    return true;
  }
}
