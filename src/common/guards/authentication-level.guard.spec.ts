import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AllowMfaEnrolmentSession, RequireMfa, RequireRecentAuth } from '../decorators/authentication-level.decorator';
import { InsufficientUserAuthenticationException, MfaEnrolmentRequiredException } from '../exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../interfaces/authenticated-user';
import { AuthenticationLevelGuard } from './authentication-level.guard';

/** A route decorated with `decorator` (or none), called by `user`. */
function contextFor(decorator: MethodDecorator | undefined, user?: Partial<AuthenticatedUser>): ExecutionContext {
  class Controller {
    handler(): void {}
  }
  const descriptor = Object.getOwnPropertyDescriptor(Controller.prototype, 'handler') as PropertyDescriptor;
  decorator?.(Controller.prototype, 'handler', descriptor);
  return {
    getHandler: () => Controller.prototype.handler,
    getClass: () => Controller,
    switchToHttp: () => ({ getRequest: () => ({ user: user ? { amr: [], ...user } : undefined }) }),
  } as unknown as ExecutionContext;
}

function thrown(run: () => unknown): (Error & { challenge?: string; details?: unknown; getStatus(): number }) | undefined {
  try {
    run();
  } catch (error) {
    return error as Error & { challenge?: string; details?: unknown; getStatus(): number };
  }
  return undefined;
}

describe(AuthenticationLevelGuard.name, () => {
  const guard = new AuthenticationLevelGuard(new Reflector());
  const now = () => Math.floor(Date.now() / 1000);

  it('lets routes without a level, and public routes (no principal), through', () => {
    expect(guard.canActivate(contextFor(undefined, { amr: ['pwd'] }))).toBe(true);
    expect(guard.canActivate(contextFor(RequireMfa()))).toBe(true);
  });

  it('@RequireMfa(): a login with a second factor passes; a password alone is 401 insufficient_user_authentication, acr_values="mfa"', () => {
    expect(guard.canActivate(contextFor(RequireMfa(), { amr: ['pwd', 'otp', 'mfa'] }))).toBe(true);
    const error = thrown(() => guard.canActivate(contextFor(RequireMfa(), { amr: ['pwd'] })));
    expect(error).toBeInstanceOf(InsufficientUserAuthenticationException);
    expect(error?.getStatus()).toBe(401);
    expect(error?.challenge).toBe(
      'Bearer realm="gatehouse", error="insufficient_user_authentication", error_description="This needs a login with a second factor", acr_values="mfa"',
    );
    expect(error?.details).toEqual({ acr_values: 'mfa' });
  });

  it('@RequireRecentAuth(300): a login 100 s ago passes; 400 s ago, or without auth_time, is 401 with max_age=300', () => {
    expect(guard.canActivate(contextFor(RequireRecentAuth(300), { authTime: now() - 100 }))).toBe(true);
    for (const user of [{ authTime: now() - 400 }, {}]) {
      const error = thrown(() => guard.canActivate(contextFor(RequireRecentAuth(300), user)));
      expect(error).toBeInstanceOf(InsufficientUserAuthenticationException);
      expect(error?.challenge).toMatch(/error="insufficient_user_authentication".*max_age=300$/);
      expect(error?.details).toEqual({ max_age: 300 });
    }
  });

  it('a session restricted to MFA enrolment reaches only the routes marked for it (403 elsewhere)', () => {
    const restricted = { restriction: 'mfa_enrolment', amr: ['pwd'] };
    expect(guard.canActivate(contextFor(AllowMfaEnrolmentSession(), restricted))).toBe(true);
    const error = thrown(() => guard.canActivate(contextFor(undefined, restricted)));
    expect(error).toBeInstanceOf(MfaEnrolmentRequiredException);
    expect(error?.getStatus()).toBe(403);
    expect(thrown(() => guard.canActivate(contextFor(RequireRecentAuth(300), { ...restricted, authTime: now() })))).toBeInstanceOf(
      MfaEnrolmentRequiredException,
    );
  });
});
