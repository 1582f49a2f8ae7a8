import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { InvalidTokenException } from '../../common/exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../../common/interfaces/authenticated-user';
import { SessionsService } from '../../sessions/sessions.service';
import { REVOKED_MESSAGES, extractBearerToken } from '../bearer-token';
import { SigningKeyService } from '../signing-key.service';
import { AccessTokenClaims, ClaimLimits, TokenService, assertAccessClaims, keyForToken } from '../token.service';

/**
 * Verifies Gatehouse's own access tokens: HS512 only (pinned here, never taken from the token
 * header, RFC 8725 §3.1), `iss` and `aud` checked, `exp` required, no clock leeway; then the
 * session and user must still be active (cached for at most REVOCATION_MAX_LAG seconds).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly limits: ClaimLimits;

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
    this.limits = tokens.claimLimits();
  }

  async validate(payload: Partial<AccessTokenClaims>): Promise<AuthenticatedUser> {
    assertAccessClaims(payload, this.limits);
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
