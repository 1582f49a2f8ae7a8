import { ForbiddenException, UnauthorizedException } from '@nestjs/common';

export const REALM = 'gatehouse';

/** RFC 6750 §3: error_description may hold only printable ASCII without `"` and `\`. */
function quoteSafe(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ');
}

/** An error that tells the client how to authenticate (RFC 7235 §4.1); the filter sets the header. */
export interface ChallengeCarrier {
  readonly challenge?: string;
}

/** 401 for a missing, malformed, expired, revoked or otherwise unusable bearer or refresh token. */
export class InvalidTokenException extends UnauthorizedException implements ChallengeCarrier {
  readonly challenge: string;

  constructor(message: string) {
    super(message);
    this.challenge = `Bearer realm="${REALM}", error="invalid_token", error_description="${quoteSafe(message)}"`;
  }
}

/** The one message for every failed password login, whatever the reason (no user enumeration). */
export const INVALID_CREDENTIALS = 'Invalid username or password';

/**
 * 401 for a failed login. Browser apps (JSON-body logins, `X-Requested-With: XMLHttpRequest`) get no
 * Basic challenge: browsers answer one with their own login dialog.
 */
export class InvalidCredentialsException extends UnauthorizedException implements ChallengeCarrier {
  readonly challenge?: string;

  constructor(basicChallenge: boolean, message = INVALID_CREDENTIALS) {
    super(message);
    // RFC 7617 §2.1: announce that credentials are expected as UTF-8.
    this.challenge = basicChallenge ? `Basic realm="${REALM}", charset="UTF-8"` : undefined;
  }
}

/** 403 for an authenticated caller who lacks the role (RFC 6750 §3.1 insufficient_scope). */
export class InsufficientScopeException extends ForbiddenException implements ChallengeCarrier {
  readonly challenge: string;

  constructor(message = 'You do not have the role this route requires') {
    super(message);
    this.challenge = `Bearer realm="${REALM}", error="insufficient_scope", error_description="${quoteSafe(message)}"`;
  }
}
