import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTHENTICATION_LEVEL_KEY, AuthenticationLevel } from '../decorators/authentication-level.decorator';
import { routeMetadata } from '../decorators/route-metadata';
import { InsufficientUserAuthenticationException, MfaEnrolmentRequiredException } from '../exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../interfaces/authenticated-user';

/**
 * Runs after the bearer and roles guards, from the token's own claims (no database read): a session
 * restricted to MFA enrolment reaches only the routes marked for it (403 elsewhere), and routes marked
 * `@RequireMfa()` / `@RequireRecentAuth(s)` answer 401 insufficient_user_authentication (RFC 9470)
 * when the login was not strong or recent enough, saying what would be.
 */
@Injectable()
export class AuthenticationLevelGuard implements CanActivate {
  private readonly levelOf: (context: ExecutionContext) => AuthenticationLevel | undefined;

  constructor(reflector: Reflector) {
    this.levelOf = routeMetadata<AuthenticationLevel>(reflector, AUTHENTICATION_LEVEL_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
    // Public routes (no principal) and principals without a session's facts pass untouched.
    if (!user) return true;
    const level = this.levelOf(context);
    if (user.restriction && !level?.allowRestricted) throw new MfaEnrolmentRequiredException();
    if (!level) return true;
    if (level.mfa && !user.amr.includes('mfa')) {
      throw new InsufficientUserAuthenticationException('This needs a login with a second factor', { mfa: true });
    }
    if (level.maxAge !== undefined) {
      const age = user.authTime === undefined ? Infinity : Date.now() / 1000 - user.authTime;
      if (age > level.maxAge) {
        throw new InsufficientUserAuthenticationException(`This needs an authentication within the last ${level.maxAge} seconds`, {
          maxAge: level.maxAge,
        });
      }
    }
    return true;
  }
}
