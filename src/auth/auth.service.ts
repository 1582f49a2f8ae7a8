import { Injectable } from '@nestjs/common';
import { InvalidTokenException } from '../common/exceptions/auth.exceptions';
import type { User } from '../users/entities/user.entity';
import { PasswordService } from '../users/password.service';
import { UsersService } from '../users/users.service';
import { RefreshTokenService } from './refresh-token.service';
import { TokenService } from './token.service';

export interface TokenBlock {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

const REFRESH_FAILURES = {
  unknown: 'The refresh token is not valid',
  expired: 'The refresh token has expired; log in again',
  revoked: 'The session of this refresh token has ended; log in again',
  reused: 'The refresh token was already used; the session has been ended for safety, log in again',
} as const;

@Injectable()
export class AuthService {
  constructor(
    private readonly usersService: UsersService,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly refreshTokens: RefreshTokenService,
  ) {}

  /**
   * The user for a correct username and password, or null. Unknown users, wrong passwords and
   * disabled users all cost one argon2 verification and give the same answer (no enumeration).
   */
  async validateCredentials(username: string, password: string): Promise<User | null> {
    const user = await this.usersService.findForLogin(username);
    const valid = await this.passwords.verify(user?.passwordHash, password);
    if (!user || !valid || !user.enabled) return null;
    return user;
  }

  /** Starts a session for a user who just proved their password. */
  async login(user: User, validitySecs?: string): Promise<TokenBlock> {
    const refresh = await this.refreshTokens.startSession(user.id);
    return this.tokenBlock(user, refresh, validitySecs);
  }

  /** Exchanges a refresh token for a new token block; the old refresh token is spent. */
  async refresh(refreshToken: string, validitySecs?: string): Promise<TokenBlock> {
    const result = await this.refreshTokens.rotate(refreshToken);
    if (result.outcome !== 'rotated') throw new InvalidTokenException(REFRESH_FAILURES[result.outcome]);
    const user = await this.usersService.findActiveById(result.issued.userId);
    if (!user) {
      await this.refreshTokens.revokeSession(result.issued.sessionId);
      throw new InvalidTokenException(REFRESH_FAILURES.revoked);
    }
    return this.tokenBlock(user, result.issued, validitySecs);
  }

  private tokenBlock(
    user: User,
    refresh: { token: string; sessionId: string; expiresIn: number },
    validitySecs?: string,
  ): TokenBlock {
    const subject = { id: user.id, username: user.username, roles: user.roles.map((role) => role.name).sort() };
    const access = this.tokens.signAccessToken(subject, refresh.sessionId, this.tokens.accessTtl(validitySecs));
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: refresh.token,
      refresh_expires_in: refresh.expiresIn,
    };
  }
}
