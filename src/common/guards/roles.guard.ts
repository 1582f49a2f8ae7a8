import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ROLES_KEY } from '../decorators/roles.decorator';
import { routeMetadata } from '../decorators/route-metadata';
import { InsufficientScopeException } from '../exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../interfaces/authenticated-user';

/** Runs after the JWT guard: a route marked `@Roles(...)` needs one of the listed roles. */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly requiredRoles: (context: ExecutionContext) => string[] | undefined;

  constructor(reflector: Reflector) {
    this.requiredRoles = routeMetadata<string[]>(reflector, ROLES_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const required = this.requiredRoles(context);
    if (!required || required.length === 0) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
    if (user && required.some((role) => user.roles.includes(role))) return true;
    throw new InsufficientScopeException();
  }
}
