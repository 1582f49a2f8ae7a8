import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { InvalidTokenException } from '../../common/exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../../common/interfaces/authenticated-user';
import type { SessionCheck } from '../../sessions/principal-cache';
import { SessionsService } from '../../sessions/sessions.service';
import { SigningKeyService } from '../signing-key.service';
import { AccessTokenClaims, TokenService, assertAccessClaims, keyForToken } from '../token.service';

/** The credentials of `Authorization: Bearer …`, scheme case-insensitive (RFC 7235 §2.1); null for any other header. */
export function extractBearerToken(req: { headers: Record<string, string | string[] | undefined> }): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^bearer +(\S*) *$/i.exec(header);
  return match?.[1] ? match[1] : null;
}

export const REVOKED_MESSAGES: Record<Exclude<SessionCheck, { ok: true }>['reason'], string> = {
  'unknown-session': 'The access token was revoked: its session is unknown or has ended',
  revoked: 'The access token was revoked: its session has ended',
  expired: 'The access token was revoked: its session has expired, log in again',
  'user-disabled': 'The access token was revoked: the user is disabled',
  'user-unknown': 'The access token was revoked: the user is unknown',
};

/**
 * Verifies Gatehouse's own access tokens: HS512 only (pinned here, never taken from the token
 * header, RFC 8725 §3.1), `iss` and `aud` checked, `exp` required, no clock leeway; then the
 * session and user must still be active (cached for at most REVOCATION_MAX_LAG seconds).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    tokens: TokenService,
    keys: SigningKeyService,
    private readonly sessions: SessionsService,
  ) {
    const { algorithms, issuer, audience, clockTolerance } = tokens.verifyOptions();
    super({
      jwtFromRequest: extractBearerToken,
      // jsonwebtoken accepts a KeyObject; passport-jwt's typings only list string | Buffer.
      // Size, alphabet and kid are checked before jsonwebtoken parses anything; the kid only picks
      // among configured keys. jsonwebtoken accepts a KeyObject; the typings only list string | Buffer.
      secretOrKeyProvider: (_req: unknown, token: string, done: (error: Error | null, key?: Buffer) => void) => {
        try {
          done(null, keyForToken(token, keys) as unknown as Buffer);
        } catch (error) {
          done(error as Error);
        }
      },
      algorithms,
      issuer: issuer as string,
      audience: audience as string,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance },
    });
  }

  async validate(payload: Partial<AccessTokenClaims>): Promise<AuthenticatedUser> {
    assertAccessClaims(payload);
    const check = await this.sessions.check(payload.sub, payload.sid);
    if (!check.ok) throw new InvalidTokenException(REVOKED_MESSAGES[check.reason]);
    return {
      id: check.userId,
      username: check.username,
      roles: check.roles,
      sessionId: payload.sid,
      tokenExpiresAt: payload.exp,
    };
  }
}
