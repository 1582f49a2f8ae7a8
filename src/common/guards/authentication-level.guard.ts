import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTHENTICATION_LEVEL_KEY, AuthenticationLevel, LOGIN_SESSION_KEY } from '../decorators/authentication-level.decorator';
import { routeMetadata } from '../decorators/route-metadata';
import {
  InsufficientScopeException,
  InsufficientUserAuthenticationException,
  MfaEnrolmentRequiredException,
} from '../exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../interfaces/authenticated-user';

/**
 * Runs after the bearer and roles guards, from the token's own claims (no database read): routes
 * marked `@RequireLoginSession()` refuse personal access tokens and clients' tokens; a session
 * restricted to MFA enrolment reaches only the routes marked for it (403 elsewhere), and routes marked
 * `@RequireMfa()` / `@RequireRecentAuth(s)` answer 401 insufficient_user_authentication (RFC 9470)
 * when the login was not strong or recent enough, saying what would be.
 */
@Injectable()
export class AuthenticationLevelGuard implements CanActivate {
  private readonly levelOf: (context: ExecutionContext) => AuthenticationLevel | undefined;
  private readonly needsLoginSession: (context: ExecutionContext) => boolean | undefined;

  constructor(reflector: Reflector) {
    this.levelOf = routeMetadata<AuthenticationLevel>(reflector, AUTHENTICATION_LEVEL_KEY);
    this.needsLoginSession = routeMetadata<boolean>(reflector, LOGIN_SESSION_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
    // Public routes (no principal) and principals without a session's facts pass untouched.
    if (!user) return true;
    if (user.credential !== 'session' && this.needsLoginSession(context)) {
      throw new InsufficientScopeException(
        'This changes your account: it needs a login session, not a personal access token or a client’s token',
      );
    }
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
