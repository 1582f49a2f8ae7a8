import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { isUUID } from 'class-validator';
import { Strategy } from 'passport-jwt';
import { InvalidTokenException } from '../../common/exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../../common/interfaces/authenticated-user';
import { appConfig } from '../../config/app.config';
import { UsersService } from '../../users/users.service';
import { ACCESS_TOKEN_ALGORITHM, AccessTokenClaims } from '../token.service';

/** RFC 6750 §2.1 b64token, with a case-insensitive scheme (RFC 7235 §2.1). */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function extractBearerToken(req: { headers: Record<string, string | string[] | undefined> }): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  return BEARER.exec(header)?.[1] ?? null;
}

/**
 * Verifies Gatehouse's own access tokens: HS512 only (pinned here, never taken from the token
 * header, RFC 8725 §3.1), `iss` and `aud` checked, `exp` required, no clock leeway.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
    private readonly usersService: UsersService,
  ) {
    super({
      jwtFromRequest: extractBearerToken,
      // jsonwebtoken accepts a KeyObject; the typings only list string | Buffer.
      secretOrKey: config.jwt.secret as unknown as Buffer,
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: 0 },
    });
  }

  async validate(payload: Partial<AccessTokenClaims>): Promise<AuthenticatedUser> {
    // jsonwebtoken checks exp only when present; RFC 8725 §3.10 and the contract require it.
    if (typeof payload.exp !== 'number') throw new InvalidTokenException('The access token has no expiry');
    if (typeof payload.iat !== 'number') throw new InvalidTokenException('The access token has no issue time');
    // Checked before any query: TypeORM ignores an undefined condition and a non-UUID breaks PostgreSQL.
    if (typeof payload.sub !== 'string' || !isUUID(payload.sub)) {
      throw new InvalidTokenException('The access token subject is not valid');
    }
    if (typeof payload.sid !== 'string' || !isUUID(payload.sid)) {
      throw new InvalidTokenException('The access token has no valid session');
    }
    const user = await this.usersService.findActiveById(payload.sub);
    if (!user) throw new InvalidTokenException('The access token belongs to a user who is unknown or disabled');
    return {
      id: user.id,
      username: user.username,
      roles: user.roles.map((role) => role.name).sort(),
      sessionId: payload.sid,
      tokenExpiresAt: payload.exp,
    };
  }
}
