import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthenticatedUser } from './authenticated-user';
import { GATEHOUSE_AUTH_OPTIONS } from './gatehouse-auth.options';
import type { ResolvedGatehouseAuthOptions } from './gatehouse-auth.options';
import { insufficientScopeException } from './http-errors';
import { ROLES_KEY } from './roles.decorator';
import { routeMetadata } from './route-metadata';

/** Runs after the bearer guard: a route marked `@Roles(...)` needs one of the listed roles (403 otherwise). */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly requiredRoles: (context: ExecutionContext) => string[] | undefined;
  private readonly realm: string;

  constructor(reflector: Reflector, @Inject(GATEHOUSE_AUTH_OPTIONS) options: ResolvedGatehouseAuthOptions) {
    this.requiredRoles = routeMetadata<string[]>(reflector, ROLES_KEY);
    this.realm = options.realm;
  }

  canActivate(context: ExecutionContext): boolean {
    const required = this.requiredRoles(context);
    if (!required || required.length === 0) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
    if (user && required.some((role) => user.roles.includes(role))) return true;
    throw insufficientScopeException(context, this.realm);
  }
}
