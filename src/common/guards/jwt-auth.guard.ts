import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import { InvalidTokenException } from '../exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../interfaces/authenticated-user';

/**
 * The global bearer guard. passport-jwt reports bad tokens through `info`, not `err`, and Nest's
 * default `handleRequest` would turn a non-HTTP error into a 500, so every failure is mapped here to
 * a 401 that says what was wrong (RFC 6750 §3.1).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    return super.canActivate(context);
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

/** Maps jsonwebtoken / passport-jwt failures to messages that say which check failed. */
export function describeJwtFailure(info: unknown): string {
  const name = (info as Error | undefined)?.name;
  const message = (info as Error | undefined)?.message ?? '';
  if (name === 'TokenExpiredError') return 'The access token has expired';
  if (name === 'NotBeforeError') return 'The access token is not valid yet';
  if (message === 'No auth token') return 'Missing bearer token: send Authorization: Bearer <access token>';
  if (message === 'invalid signature') return 'The access token signature is invalid';
  if (message === 'invalid algorithm') return 'The access token algorithm is not allowed (HS512 only)';
  if (message.startsWith('jwt audience invalid')) return 'The access token audience is not accepted';
  if (message.startsWith('jwt issuer invalid')) return 'The access token issuer is not accepted';
  if (message === 'jwt signature is required') return 'The access token is not signed';
  return 'The access token is malformed';
}
