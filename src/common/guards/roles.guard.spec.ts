import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InsufficientScopeException } from '../exceptions/auth.exceptions';
import { RolesGuard } from './roles.guard';

function contextFor(roles: string[] | undefined, userRoles?: string[]): ExecutionContext {
  const handler = () => undefined;
  class Controller {}
  if (roles) Reflect.defineMetadata('roles', roles, handler);
  return {
    getHandler: () => handler,
    getClass: () => Controller,
    switchToHttp: () => ({ getRequest: () => ({ user: userRoles ? { roles: userRoles } : undefined }) }),
  } as unknown as ExecutionContext;
}

describe(RolesGuard.name, () => {
  const guard = new RolesGuard(new Reflector());

  it('lets a route without @Roles through', () => {
    expect(guard.canActivate(contextFor(undefined, []))).toBe(true);
  });

  it('lets a caller with one of the roles through', () => {
    expect(guard.canActivate(contextFor(['ADMIN', 'AUDITOR'], ['USER', 'AUDITOR']))).toBe(true);
  });

  it('refuses a caller without the role with 403 insufficient_scope', () => {
    expect(() => guard.canActivate(contextFor(['ADMIN'], ['USER']))).toThrow(InsufficientScopeException);
    const error = (() => {
      try {
        guard.canActivate(contextFor(['ADMIN'], ['USER']));
      } catch (e) {
        return e as InsufficientScopeException;
      }
    })();
    expect(error?.getStatus()).toBe(403);
    expect(error?.challenge).toMatch(/error="insufficient_scope"/);
  });

  it('refuses when no principal is present', () => {
    expect(() => guard.canActivate(contextFor(['ADMIN']))).toThrow(InsufficientScopeException);
  });

  it('compares role names exactly', () => {
    expect(() => guard.canActivate(contextFor(['ADMIN'], ['admin']))).toThrow(InsufficientScopeException);
  });
});
