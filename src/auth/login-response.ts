import type { ConfigType } from '@nestjs/config';
import type { appConfig } from '../config/app.config';
import { UserView } from '../users/dto/user.view';
import type { User } from '../users/entities/user.entity';
import type { AuthService, TokenBlock } from './auth.service';
import type { LoginView } from './dto/token.view';
import type { LoginQueryDto } from './dto/token-query.dto';
import { refreshCookie } from './refresh-cookie';

/** The little of the request and reply the auth routes touch; both Fastify and Express provide it. */
export interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
}
export interface HttpReply {
  header(name: string, value: string): unknown;
}

/**
 * The answer to a successful login, password or delegated: the user, and tokens of a new session,
 * the refresh token in the HttpOnly cookie when asked (?cookie=true) or configured.
 */
export async function loginResponse(
  authService: AuthService,
  config: ConfigType<typeof appConfig>,
  user: User,
  query: LoginQueryDto,
  req: HttpRequest,
  reply: HttpReply,
): Promise<LoginView> {
  const token = await authService.login(user, query.validity_secs, clientInfo(req), query.scope);
  return sessionResponse(config, user, token, query, reply);
}

/** The login answer for a session already started (a second factor, a passkey): cookie mode as asked or configured. */
export function sessionResponse(
  config: ConfigType<typeof appConfig>,
  user: User,
  token: TokenBlock,
  query: LoginQueryDto,
  reply: HttpReply,
): LoginView {
  const cookieMode = query.cookie === undefined ? config.sessions.refreshCookie : query.cookie === 'true';
  return { user: UserView.of(user), token: cookieMode ? moveToCookie(token, reply) : token };
}

export function clientInfo(req: HttpRequest): { userAgent?: string; ip?: string } {
  const userAgent = req.headers['user-agent'];
  return { userAgent: typeof userAgent === 'string' ? userAgent : undefined, ip: req.ip };
}

/** Cookie mode: the refresh token goes into the HttpOnly cookie and out of the body. */
export function moveToCookie(token: TokenBlock, reply: HttpReply): TokenBlock {
  const { refresh_token: refreshToken, ...rest } = token;
  if (refreshToken) reply.header('Set-Cookie', refreshCookie(refreshToken, token.refresh_expires_in));
  return rest;
}
