import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuthGuard } from '@nestjs/passport';
import { InvalidTokenException } from '../../common/exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../../common/interfaces/authenticated-user';
import { appConfig } from '../../config/app.config';
import { describeJwtFailure } from '../bearer-token';
import type { BearerVerifier, PresentedToken } from './bearer-verifier';

/**
 * Gatehouse's own access tokens, verified by passport-jwt (the verifier of record, through
 * @nestjs/passport's `AuthGuard('jwt')` and JwtStrategy): claims the tokens whose `iss` is
 * JWT_ISSUER. passport-jwt reports bad tokens through `info`, not `err`, and Nest's default
 * `handleRequest` would turn a non-HTTP error into a 500, so every failure is mapped to a 401 that
 * says what was wrong (RFC 6750 §3.1).
 */
@Injectable()
export class GatehouseTokenVerifier extends AuthGuard('jwt') implements BearerVerifier {
  readonly name = 'gatehouse';
  readonly acceptsAssertions = false;
  readonly cacheable = true;
  private readonly issuer: string;

  constructor(@Inject(appConfig.KEY) config: ConfigType<typeof appConfig>) {
    super();
    this.issuer = config.jwt.issuer;
  }

  /** Tokens of JWT_ISSUER, except service clients' (`gty`: their own verifier takes those). */
  claims(token: PresentedToken): boolean {
    return token.issuer === this.issuer && token.payload?.gty === undefined;
  }

  async verify(_token: PresentedToken, context: ExecutionContext): Promise<AuthenticatedUser> {
    await super.canActivate(context);
    return context.switchToHttp().getRequest<{ user: AuthenticatedUser }>().user;
  }

  override handleRequest<T = AuthenticatedUser>(err: unknown, user: unknown, info: unknown): T {
    // A strategy's own 401, or a real fault (e.g. database down) that the filter maps: never disguised as 401.
    if (err) throw err;
    // Our own pre-parse checks (size, alphabet, kid) arrive as `info` through passport's fail().
    if (info instanceof InvalidTokenException) throw info;
    if (!user) throw new InvalidTokenException(describeJwtFailure(info));
    return user as T;
  }
}
