import { BadRequestException, ForbiddenException, UnauthorizedException } from '@nestjs/common';

export const REALM = 'gatehouse';

/** RFC 6750 §3: error_description may hold only printable ASCII without `"` and `\`. */
function quoteSafe(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ');
}

/** An error that tells the client how to authenticate (RFC 7235 §4.1); the filter sets the header. */
export interface ChallengeCarrier {
  readonly challenge?: string;
}

/** An expired access token or personal access token (not a session that ended: that needs a new login). */
const EXPIRED_TOKEN = /^The (access|personal access) token has expired/;

/**
 * 401 for a missing, malformed, expired, revoked or otherwise unusable bearer or refresh token.
 * Its `code` is `token_expired` when only the access token's time ran out (renew it with the refresh
 * token), else `invalid_token`.
 */
export class InvalidTokenException extends UnauthorizedException implements ChallengeCarrier, ErrorBodyCarrier {
  readonly challenge: string;
  readonly code: 'invalid_token' | 'token_expired';

  constructor(message: string) {
    super(message);
    this.code = EXPIRED_TOKEN.test(message) ? 'token_expired' : 'invalid_token';
    this.challenge = `Bearer realm="${REALM}", error="invalid_token", error_description="${quoteSafe(message)}"`;
  }
}

/** The one message for every failed password login, whatever the reason (no user enumeration). */
export const INVALID_CREDENTIALS = 'Invalid username or password';

/**
 * 401 for a failed login. Browser apps (JSON-body logins, `X-Requested-With: XMLHttpRequest`) get no
 * Basic challenge: browsers answer one with their own login dialog.
 */
export class InvalidCredentialsException extends UnauthorizedException implements ChallengeCarrier, ErrorBodyCarrier {
  readonly challenge?: string;
  readonly code = 'invalid_credentials';

  constructor(basicChallenge: boolean, message = INVALID_CREDENTIALS) {
    super(message);
    // RFC 7617 §2.1: announce that credentials are expected as UTF-8.
    this.challenge = basicChallenge ? `Basic realm="${REALM}", charset="UTF-8"` : undefined;
  }
}

/** 403 for an authenticated caller who lacks the role (RFC 6750 §3.1 insufficient_scope). */
export class InsufficientScopeException extends ForbiddenException implements ChallengeCarrier, ErrorBodyCarrier {
  readonly challenge: string;
  readonly code = 'insufficient_scope';

  constructor(message = 'You do not have the role this route requires') {
    super(message);
    this.challenge = `Bearer realm="${REALM}", error="insufficient_scope", error_description="${quoteSafe(message)}"`;
  }
}

/**
 * 403 for a caller whose token lacks a permission the route needs (RFC 6750 §3.1): the challenge
 * names the scope that would do (`scope="…"`), the message the permissions missing; the body's
 * `error` is `insufficient_scope`.
 */
export class MissingPermissionsException extends ForbiddenException implements ChallengeCarrier, ErrorBodyCarrier {
  readonly errorCode = 'insufficient_scope';
  readonly challenge: string;

  constructor(required: string[], missing: string[]) {
    super(`Missing permission${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
    const scope = required.join(' ');
    this.challenge =
      `Bearer realm="${REALM}", error="insufficient_scope", ` +
      `error_description="${quoteSafe(this.message)}", scope="${quoteSafe(scope)}"`;
  }
}

/** 400 for a malformed scope, or one asking for more than the user or client holds (RFC 6749 §5.2 `invalid_scope`). */
export class InvalidScopeException extends BadRequestException implements ErrorBodyCarrier {
  readonly errorCode = 'invalid_scope';
  readonly details: { error_description: string };

  constructor(message: string) {
    super(message);
    this.details = { error_description: message };
  }
}

/**
 * What an exception adds to the one error body: `error` becomes a machine-readable code instead of
 * the status text, and `details` are further fields (the filter merges them in).
 */
export interface ErrorBodyCarrier {
  readonly errorCode?: string;
  readonly details?: Record<string, unknown>;
  /** The body's stable `code` (docs/errors.md); without it, `errorCode`, else the status's code. */
  readonly code?: string;
}

/** The second-factor methods a login can be completed with (POST /authenticate/mfa). */
export type MfaMethod = 'totp' | 'recovery_code' | 'webauthn';

/**
 * 401 after a correct password when the user has a second factor: no session exists yet. The body
 * carries `error: "mfa_required"`, the `mfa_token` that POST /authenticate/mfa completes, and the
 * methods the user has. The challenge names no scheme a browser would answer with a dialog.
 */
export class MfaRequiredException extends UnauthorizedException implements ChallengeCarrier, ErrorBodyCarrier {
  readonly errorCode = 'mfa_required';
  readonly challenge = `MFA realm="${REALM}"`;
  readonly details: { mfa_token: string; methods: MfaMethod[]; expires_in: number };

  constructor(mfaToken: string, methods: MfaMethod[], expiresIn: number) {
    super('A second factor is required: send the mfa_token with a code or a passkey assertion to POST /authenticate/mfa');
    this.details = { mfa_token: mfaToken, methods, expires_in: expiresIn };
  }
}

/**
 * 401 when the token is good but the way its user authenticated is not enough for the route
 * (RFC 9470): a second factor (`acr_values`) or a more recent authentication (`max_age`).
 */
export class InsufficientUserAuthenticationException extends UnauthorizedException implements ChallengeCarrier, ErrorBodyCarrier {
  readonly errorCode = 'insufficient_user_authentication';
  readonly challenge: string;
  readonly details: { acr_values?: string; max_age?: number };

  constructor(message: string, need: { mfa?: boolean; maxAge?: number }) {
    super(message);
    this.details = {
      ...(need.mfa ? { acr_values: 'mfa' } : {}),
      ...(need.maxAge !== undefined ? { max_age: need.maxAge } : {}),
    };
    const parameters = [
      `realm="${REALM}"`,
      'error="insufficient_user_authentication"',
      `error_description="${quoteSafe(message)}"`,
      ...(need.mfa ? ['acr_values="mfa"'] : []),
      ...(need.maxAge !== undefined ? [`max_age=${need.maxAge}`] : []),
    ];
    this.challenge = `Bearer ${parameters.join(', ')}`;
  }
}

/** 403 for a session that may only enrol a second factor (MFA_REQUIRED_ROLES) on any other route. */
export class MfaEnrolmentRequiredException extends ForbiddenException implements ErrorBodyCarrier {
  readonly errorCode = 'mfa_enrolment_required';

  constructor() {
    super(
      'Your roles require a second factor: this session may only enrol one (POST /api/v1/users/me/mfa/totp or a passkey). ' +
        'Log in again once it is set up.',
    );
  }
}
