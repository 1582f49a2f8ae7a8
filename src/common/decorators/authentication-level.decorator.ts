import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';

export const AUTHENTICATION_LEVEL_KEY = 'authenticationLevel';

/** What a route asks of the way its caller authenticated (AuthenticationLevelGuard). */
export interface AuthenticationLevel {
  /** A second factor was used (`amr` contains `mfa`). */
  mfa?: boolean;
  /** The user authenticated at most this many seconds ago (`auth_time`). */
  maxAge?: number;
  /** Open to sessions restricted to enrolling a second factor (MFA_REQUIRED_ROLES). */
  allowRestricted?: boolean;
}

function level(value: AuthenticationLevel, description?: string) {
  const decorators: (MethodDecorator & ClassDecorator)[] = [SetMetadata(AUTHENTICATION_LEVEL_KEY, value)];
  if (description) decorators.push(ApiUnauthorizedResponse({ description }));
  return applyDecorators(...decorators);
}

/** The 401 reasons the OpenAPI document gives for `@RequireMfa()` and `@RequireRecentAuth(s)`. */
export const mfaReason = () => 'insufficient_user_authentication: log in with a second factor (acr_values="mfa")';
export const recentAuthReason = (seconds: number) =>
  `insufficient_user_authentication: log in again (authenticated within ${seconds} s, max_age)`;

/** The caller must have logged in with a second factor; otherwise 401 insufficient_user_authentication (RFC 9470, acr_values="mfa"). */
export const RequireMfa = () => level({ mfa: true }, mfaReason());

/**
 * The caller must have authenticated (password, passkey or second factor) within `seconds`;
 * otherwise 401 insufficient_user_authentication with max_age (RFC 9470). A new login is a fresh one.
 */
export const RequireRecentAuth = (seconds: number) => level({ maxAge: seconds }, recentAuthReason(seconds));

/** Open to a session restricted to enrolling a second factor: the enrolment routes themselves. */
export const AllowMfaEnrolmentSession = (extra: Omit<AuthenticationLevel, 'allowRestricted'> = {}) =>
  level({ ...extra, allowRestricted: true });

export const LOGIN_SESSION_KEY = 'loginSessionOnly';

/** The 403 reason the OpenAPI document gives for `@RequireLoginSession()` (which also drops the personal-access-token scheme there). */
export const LOGIN_SESSION_REASON = 'Called with a personal access token or a client’s token: this needs a login session';

/**
 * The route changes the caller's own account (password, profile, sessions, tokens, second factors):
 * only a login session's token may call it — a personal access token (or a service client) gets 403,
 * whatever its scopes. A leaked token must not be able to lock its owner out or outlive a revocation.
 */
export const RequireLoginSession = () =>
  applyDecorators(SetMetadata(LOGIN_SESSION_KEY, true), ApiForbiddenResponse({ description: LOGIN_SESSION_REASON }));
