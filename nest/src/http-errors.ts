import { ExecutionContext, ForbiddenException, HttpException, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { INSUFFICIENT_ROLE_MESSAGE, TOKEN_MESSAGES } from './gatehouse-auth.errors';

/** Gatehouse's error body (its README, "Errors"): every refusal of this module has exactly this shape. */
export interface ErrorBody {
  timestamp: string;
  status: number;
  error: string;
  /** Stable and machine-readable, as Gatehouse writes it: `invalid_token`, `token_expired`, `insufficient_scope`, … */
  code: string;
  message: string;
  path: string;
}

/** What an error may carry for a Gatehouse-style exception filter (which sets WWW-Authenticate from it). */
export interface ChallengeCarrier {
  readonly challenge?: string;
}

type HttpRequest = { originalUrl?: string; url?: string };
/** Fastify's reply has `header(name, value)`; Express's response (a Node ServerResponse) has `setHeader`. */
type HttpResponse = { header?: (name: string, value: string) => unknown; setHeader?: (name: string, value: string) => unknown };

/** RFC 6750 §3: error_description may hold only printable ASCII without `"` and `\`. */
export function quoteSafe(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, ' ');
}

/**
 * The path as the error body shows it (as Gatehouse does): without the query (it may carry secrets),
 * at most 200 characters, every character outside RFC 3986's path characters percent-encoded so a
 * hostile path is never echoed as markup.
 */
export function safePath(url: string): string {
  const path = url.split('?')[0];
  const shown = path.length > 200 ? path.slice(0, 200) : path;
  return shown.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (character) => encodeURIComponent(character)) + (path.length > 200 ? '…' : '');
}

/**
 * `error` is the status text, or a machine-readable code where Gatehouse writes one (`insufficient_scope`);
 * `code` is the stable code of Gatehouse's docs/errors.md.
 */
export function errorBody(
  status: number,
  message: string,
  request: HttpRequest,
  code: string,
  error = STATUS_CODES[status] ?? 'Error',
): ErrorBody {
  return {
    timestamp: new Date().toISOString(),
    status,
    error,
    code,
    message,
    path: safePath(request.originalUrl ?? request.url ?? ''),
  };
}

/**
 * Sets a header on the platform's response object directly: the response keeps it whatever
 * exception filter the host application uses to write the body.
 */
export function setResponseHeader(response: HttpResponse, name: string, value: string): void {
  if (typeof response.header === 'function') response.header(name, value);
  else if (typeof response.setHeader === 'function') response.setHeader(name, value);
}

/** 401 invalid_token (RFC 6750 §3.1): the challenge header set now, the exception carrying the body. */
export function invalidTokenException(context: ExecutionContext, realm: string, message: string): HttpException {
  const challenge = `Bearer realm="${realm}", error="invalid_token", error_description="${quoteSafe(message)}"`;
  return withChallenge(
    context,
    new UnauthorizedException(
      errorBody(401, message, request(context), message === TOKEN_MESSAGES.expired ? 'token_expired' : 'invalid_token'),
    ),
    challenge,
  );
}

/** 403 insufficient_scope (RFC 6750 §3.1): the caller is known but lacks the role. */
export function insufficientScopeException(context: ExecutionContext, realm: string): HttpException {
  const message = INSUFFICIENT_ROLE_MESSAGE;
  const challenge = `Bearer realm="${realm}", error="insufficient_scope", error_description="${quoteSafe(message)}"`;
  return withChallenge(context, new ForbiddenException(errorBody(403, message, request(context), 'insufficient_scope')), challenge);
}

/**
 * 403 insufficient_scope for a `@RequirePermissions()` route, as Gatehouse answers it: the challenge
 * names the scope that would do (`scope="…"`, the route's permissions), the body's `error` is
 * `insufficient_scope` and its message says what is missing.
 */
export function missingPermissionsException(
  context: ExecutionContext,
  realm: string,
  message: string,
  required: readonly string[],
): HttpException {
  const challenge =
    `Bearer realm="${realm}", error="insufficient_scope", ` +
    `error_description="${quoteSafe(message)}", scope="${quoteSafe(required.join(' '))}"`;
  return withChallenge(
    context,
    new ForbiddenException(errorBody(403, message, request(context), 'insufficient_scope', 'insufficient_scope')),
    challenge,
  );
}

/** 503: Gatehouse could not be asked, so the token could not be judged either way (no challenge). */
export function unavailableException(context: ExecutionContext, message: string): HttpException {
  return new ServiceUnavailableException(errorBody(503, message, request(context), 'service_unavailable'));
}

function withChallenge(context: ExecutionContext, exception: HttpException, challenge: string): HttpException {
  setResponseHeader(context.switchToHttp().getResponse<HttpResponse>(), 'WWW-Authenticate', challenge);
  return Object.assign(exception, { challenge }) satisfies ChallengeCarrier;
}

function request(context: ExecutionContext): HttpRequest {
  return context.switchToHttp().getRequest<HttpRequest>();
}
