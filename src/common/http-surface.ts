import { BadRequestException, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { IncomingMessage, STATUS_CODES, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The security headers of every response (OWASP Secure Headers): helmet's defaults — HSTS,
 * nosniff, a strict CSP (Swagger UI needs its inline styles and data: images, which the default
 * allows), no referrer — except that nothing here is meant to be framed: `X-Frame-Options: DENY`
 * and `frame-ancestors 'none'` (clickjacking, ASVS 3.4.6). Computed once with helmet at start-up
 * instead of on every request: the policy does not change between requests.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = computeHelmetHeaders();

function computeHelmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    // Lower-case names, as Fastify sends them: it would lower-case each one again on every request.
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  const middleware = helmet({
    contentSecurityPolicy: { directives: { frameAncestors: ["'none'"] } },
    frameguard: { action: 'deny' },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  middleware({} as never, response as never, () => undefined);
  return headers;
}

/** JSON bodies nested deeper than this are refused before anything walks them (class-transformer recurses). */
export const MAX_JSON_DEPTH = 32;

/**
 * True when `text` (JSON) nests arrays and objects deeper than `max`. A single linear scan of the
 * raw text, before parsing: brackets inside strings do not count.
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * The path as the error body shows it: without the query (it may carry secrets), at most 200
 * characters, and with every character outside RFC 3986's path characters percent-encoded, so a
 * hostile path is never echoed as markup.
 */
export function safePath(url: string): string {
  const path = url.split('?')[0];
  const shown = path.length > 200 ? path.slice(0, 200) : path;
  return shown.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (character) => encodeURIComponent(character)) + (path.length > 200 ? '…' : '');
}

/** The one error body (see README, "Errors", and docs/errors.md for every `code`). */
export interface ErrorBody {
  timestamp: string;
  status: number;
  error: string;
  /** Stable and machine-readable (`invalid_token`, `not_found`, …): what a client branches on. */
  code: string;
  message: string;
  path: string;
}

/** The code of an error that no exception names more precisely: one per status (docs/errors.md). */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  410: 'gone',
  411: 'length_required',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  417: 'expectation_failed',
  422: 'unprocessable_entity',
  429: 'rate_limited',
  431: 'headers_too_large',
  500: 'internal_error',
  501: 'not_implemented',
  503: 'service_unavailable',
};

export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
}

export function errorBody(status: number, message: string, url: string, code = codeForStatus(status)): ErrorBody {
  return { timestamp: new Date().toISOString(), status, error: STATUS_CODES[status] ?? 'Error', code, message, path: safePath(url) };
}

/** True when the client asked for RFC 9457 Problem Details (`Accept: application/problem+json`). */
export function wantsProblemDetails(accept: string | string[] | undefined): boolean {
  const value = Array.isArray(accept) ? accept.join(',') : accept;
  if (value === undefined || !value.toLowerCase().includes('application/problem+json')) return false;
  // Named with a weight above zero (`;q=0` means "not this one").
  return value.split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== 'application/problem+json') return false;
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * Errors are never stored by caches (a 404 is cacheable by default), and their form depends on
 * `Accept` (JSON or Problem Details): a shared cache must not serve one form to the other's client.
 */
export const ERROR_CACHING: Readonly<Record<string, string>> = { 'Cache-Control': 'no-store', Vary: 'Accept' };

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/**
 * The same error as RFC 9457 Problem Details: `type` is `about:blank` (the status says it all; the
 * stable `code` is the extension member a client branches on), `title` the status text, `detail` the
 * message, `instance` the path; every other field of the error body rides along as an extension.
 */
export function problemDetails(body: ErrorBody): Record<string, unknown> {
  const { timestamp, status, error, code, message, path, ...rest } = body;
  return {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: message,
    instance: path,
    code,
    ...(error !== STATUS_CODES[status] ? { error } : {}),
    timestamp,
    ...rest,
  };
}

/**
 * Installs on Fastify what its own defaults would answer in another shape: the JSON parser (with the
 * depth limit), errors of the router (a malformed URL, an over-long parameter) and of the HTTP
 * parser (oversized headers, framing errors). Every one of them answers in the one error body with
 * the security headers.
 */
export function hardenHttpSurface(fastify: FastifyInstance, formRoutes: readonly string[] = []): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonNestsDeeperThan(body as string, MAX_JSON_DEPTH)) {
      done(new BadRequestException(`The request body is nested too deeply (at most ${MAX_JSON_DEPTH} levels)`), undefined);
      return;
    }
    // Callback style (it reports through `done`); its return value is not a promise to wait for.
    void parseJson(request, body as string, done);
  });
  // Form bodies only where an RFC asks for them (token introspection, revocation, the token
  // endpoint): anywhere else a form is what a cross-site <form> can send without a preflight.
  const accepted = new Set(formRoutes);
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    if (!accepted.has(request.routeOptions.url ?? '')) {
      done(new HttpException('Unsupported content type; send application/json', HttpStatus.UNSUPPORTED_MEDIA_TYPE), undefined);
      return;
    }
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** RFC 6749 §3.1: a repeated parameter is `invalid_request` (these are the OAuth endpoints' forms). */
class RepeatedFormParameterException extends BadRequestException {
  readonly errorCode = 'invalid_request';

  constructor(name: string) {
    super(`The form parameter ${name.slice(0, 40)} is repeated`);
  }
}

/**
 * An `application/x-www-form-urlencoded` body as an object of strings. RFC 6749 §3.1: a parameter
 * sent more than once is an error, not a list.
 */
export function parseForm(body: string): Record<string, string> {
  const fields: [string, string][] = [];
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (seen.has(name)) throw new RepeatedFormParameterException(name);
    seen.add(name);
    fields.push([name, value]);
  }
  // fromEntries defines own properties: a field named __proto__ stays a field.
  return Object.fromEntries(fields);
}

/** Fastify's `frameworkErrors`: the router could not take the request (bad percent-encoding, 414). */
export function onFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode === 414 || error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : error.code === 'FST_ERR_BAD_URL' ? 400 : 500;
  const message =
    status === 414
      ? 'A part of the URL is longer than the server accepts'
      : status === 400
        ? 'The URL is malformed (bad percent-encoding)'
        : 'Internal server error';
  const body = errorBody(status, message, request.raw.url ?? '');
  const problem = wantsProblemDetails(request.headers.accept);
  void reply
    .headers(SECURITY_HEADERS)
    .headers(ERROR_CACHING)
    .header('X-Request-Id', request.id)
    .code(status)
    .type(problem ? PROBLEM_CONTENT_TYPE : 'application/json; charset=utf-8')
    .send(JSON.stringify(problem ? problemDetails(body) : body));
}

/** Fastify's `clientErrorHandler`: Node's HTTP parser refused the request before there was one. */
export function onClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer (as Fastify's default handler does).
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const message =
    status === 408
      ? 'The request took too long to arrive'
      : status === 431
        ? 'The request headers (or URL) are larger than the server accepts'
        : 'The request is not valid HTTP';
  answerOnSocket(socket, status, message, '');
  socket.destroy(error);
}

/** Writes a whole error response on a raw socket (for requests Node answers before any framework sees them). */
function answerOnSocket(socket: Socket, status: number, message: string, url: string, problem = false): void {
  if (!socket.writable) return;
  const error = errorBody(status, message, url);
  const body = JSON.stringify(problem ? problemDetails(error) : error);
  const headers = Object.entries({
    ...SECURITY_HEADERS,
    ...ERROR_CACHING,
    'Content-Type': problem ? PROBLEM_CONTENT_TYPE : 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers}\r\n${body}`);
}

/**
 * Node answers some requests itself, outside any framework: an `Expect` it does not know (417),
 * `CONNECT` (it closes the connection). These listeners give them the one error body too. (A missing
 * `Host`, which Node would refuse with a bare 400, is let through to the framework and refused there:
 * see `requireHost`.)
 */
export function hardenNodeServer(server: Server): void {
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const problem = wantsProblemDetails(request.headers.accept);
    const error = errorBody(417, 'Only "Expect: 100-continue" is supported', request.url ?? '');
    const body = JSON.stringify(problem ? problemDetails(error) : error);
    response.writeHead(417, {
      ...SECURITY_HEADERS,
      ...ERROR_CACHING,
      'Content-Type': problem ? PROBLEM_CONTENT_TYPE : 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(body);
  });
  server.on('connect', (request: IncomingMessage, socket: Socket) => {
    answerOnSocket(socket, 405, 'CONNECT is not supported: this is not a proxy', '', wantsProblemDetails(request.headers.accept));
    socket.destroy();
  });
}

/** RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400 (in the one error body). */
export function requireHost(request: { headers: Record<string, unknown>; raw: IncomingMessage }): BadRequestException | undefined {
  if (request.raw.httpVersion === '1.1' && !request.headers.host)
    return new BadRequestException('HTTP/1.1 requests must carry a Host header');
  return undefined;
}
