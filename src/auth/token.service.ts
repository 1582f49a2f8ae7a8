import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { appConfig } from '../config/app.config';

export const ACCESS_TOKEN_ALGORITHM = 'HS512';

/** Claims of a Gatehouse access token (besides iss, aud and jti). */
export interface AccessTokenClaims {
  sub: string;
  preferred_username: string;
  roles: string[];
  /** The session (refresh-token family) the token was issued for. */
  sid: string;
  iat: number;
  exp: number;
}

export interface AccessTokenSubject {
  id: string;
  username: string;
  roles: string[];
}

export interface SignedAccessToken {
  token: string;
  expiresIn: number;
}

@Injectable()
export class TokenService {
  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly jwt: JwtService,
  ) {}

  /**
   * The lifetime a client asked for with `validity_secs`, clamped to ACCESS_TOKEN_MAX_TTL; the
   * default ACCESS_TOKEN_TTL when it asked for none.
   */
  accessTtl(requested?: string): number {
    if (requested === undefined) return this.config.jwt.accessTtl;
    return Math.min(Number(requested), this.config.jwt.accessMaxTtl);
  }

  signAccessToken(subject: AccessTokenSubject, sessionId: string, ttlSeconds: number): SignedAccessToken {
    const token = this.jwt.sign(
      { preferred_username: subject.username, roles: subject.roles, sid: sessionId },
      {
        algorithm: ACCESS_TOKEN_ALGORITHM,
        privateKey: this.config.jwt.secret,
        subject: subject.id,
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
        expiresIn: ttlSeconds,
        jwtid: randomUUID(),
      },
    );
    return { token, expiresIn: ttlSeconds };
  }
}
