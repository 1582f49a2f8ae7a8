import { BadRequestException, ForbiddenException } from '@nestjs/common';
import { parse, serialize } from 'cookie';

export const REFRESH_COOKIE = 'gatehouse_refresh';

type Headers = Record<string, string | string[] | undefined>;

/**
 * The refresh token for browsers: HttpOnly (script injection cannot read it), Secure, SameSite=Strict
 * (not sent on cross-site requests) and scoped to /authenticate, the only routes that use it.
 */
export function refreshCookie(token: string, maxAgeSeconds: number): string {
  return serialize(REFRESH_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/authenticate',
    maxAge: maxAgeSeconds,
  });
}

export function clearedRefreshCookie(): string {
  return serialize(REFRESH_COOKIE, '', {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/authenticate',
    maxAge: 0,
    expires: new Date(0),
  });
}

/**
 * The refresh token from the cookie header. Two `gatehouse_refresh` cookies (one planted by a sibling
 * subdomain or an injected script with another Path, say — cookie tossing) leave it ambiguous which
 * session is meant: 400, and nothing is cleared or used.
 */
export function readRefreshCookie(headers: Headers): string | undefined {
  const header = headers.cookie;
  if (typeof header !== 'string') return undefined;
  const occurrences = header.split(';').filter((pair) => pair.split('=', 1)[0].trim() === REFRESH_COOKIE).length;
  if (occurrences > 1) throw new BadRequestException(`The request carries ${occurrences} ${REFRESH_COOKIE} cookies; send one`);
  const value = parse(header)[REFRESH_COOKIE];
  return value ? value : undefined;
}

/**
 * A cookie rides along on any request to our origin, so a cookie-authenticated refresh or logout
 * must prove it comes from our own frontend: a custom header (which a cross-site page cannot send
 * without passing CORS) or an Origin on the allow-list (OWASP CSRF Cheat Sheet, custom request headers).
 */
export function assertCookieRequestAllowed(headers: Headers, allowedOrigins: string[]): void {
  const requestedWith = headers['x-requested-with'];
  if (typeof requestedWith === 'string' && requestedWith.trim() !== '') return;
  const origin = headers.origin;
  if (typeof origin === 'string' && allowedOrigins.includes(origin)) return;
  throw new ForbiddenException('Cookie-authenticated requests need an X-Requested-With header or an allowed Origin');
}
