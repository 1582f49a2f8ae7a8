import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { InvalidTokenException } from '../../common/exceptions/auth.exceptions';
import { AuthenticatedUser, authenticatedUser } from '../../common/interfaces/authenticated-user';
import { grantedPermissions } from '../../common/permissions';
import { KeyStore } from '../../keys/key-store';
import { SessionsService } from '../../sessions/sessions.service';
import { REVOKED_MESSAGES, extractBearerToken } from '../bearer-token';
import { installKeyObjectVerifier } from '../jws-verification';
import { AccessTokenClaims, ClaimLimits, TokenService, assertAccessClaims, keyForToken } from '../token.service';

/**
 * Verifies Gatehouse's own access tokens: the algorithms of the key store's keys only (pinned here,
 * never taken from the token header, RFC 8725 §3.1), `iss` and `aud` checked, `exp` required, no
 * clock leeway; then the session and user must still be active (cached for at most
 * REVOCATION_MAX_LAG seconds).
 */
installKeyObjectVerifier();

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly limits: ClaimLimits;

  constructor(
    private readonly tokens: TokenService,
    keys: KeyStore,
    private readonly sessions: SessionsService,
  ) {
    const { issuer, audience, clockTolerance } = tokens.verifyOptions();
    super({
      jwtFromRequest: extractBearerToken,
      // Size, alphabet, crit and kid are checked before anything parses the token; the kid only
      // picks among the key store's keys. The key goes to passport-jwt's verifier hook as a
      // VerificationKey (installKeyObjectVerifier): verified with its own algorithm, as a KeyObject.
      secretOrKeyProvider: (_req: unknown, token: string, done: (error: Error | null, key?: Buffer) => void) => {
        keyForToken(token, keys).then(
          (key) => done(null, key as unknown as Buffer),
          (error: Error) => done(error),
        );
      },
      algorithms: tokens.verifyOptions().algorithms,
      issuer: issuer as string,
      audience: audience as string,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance },
    });
    this.limits = tokens.claimLimits();
  }

  async validate(payload: Partial<AccessTokenClaims>): Promise<AuthenticatedUser> {
    assertAccessClaims(payload, this.limits);
    const scope = await this.tokens.scopeOf(payload);
    const check = await this.sessions.check(payload.sub, payload.sid);
    if (!check.ok) throw new InvalidTokenException(REVOKED_MESSAGES[check.reason]);
    return authenticatedUser(check, {
      scope,
      permissions: grantedPermissions(check.permissions, scope),
      sessionId: payload.sid,
      expiresAt: payload.exp,
      amr: payload.amr,
      authTime: payload.auth_time,
      restriction: payload.restriction,
    });
  }
}
