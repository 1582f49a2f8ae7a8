import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger, NotFoundException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';
import { QueryFailedError } from 'typeorm';
import type { ChallengeCarrier, ErrorBodyCarrier } from '../exceptions/auth.exceptions';
import { databaseErrorCode, isForeignKeyViolation, isUniqueViolation } from '../database-errors';
import {
  ERROR_CACHING,
  PROBLEM_CONTENT_TYPE,
  codeForStatus,
  errorBody,
  problemDetails,
  safePath,
  wantsProblemDetails,
} from '../http-surface';

export type { ErrorBody } from '../http-surface';

interface Described {
  status: number;
  message: string;
}

/** PostgreSQL SQLSTATEs that mean "the client sent a value the column cannot hold". */
const PG_BAD_INPUT = new Set(['22P02', '22021', '22001', '22003', '22007', '22008']);
/** Errors that mean "the database is unreachable or overloaded right now": 503, worth a retry. */
const DATABASE_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
]);

/**
 * Turns every error into the project's error body. Client errors keep their message; anything
 * unexpected becomes a 500 whose details go to the log, never to the response.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<unknown>();
    const response = ctx.getResponse<unknown>();
    const method = httpAdapter.getRequestMethod(request);
    const url = httpAdapter.getRequestUrl(request);
    const { status, message } = this.describe(exception, method, url);
    if (status === HttpStatus.SERVICE_UNAVAILABLE || (status >= 500 && exception instanceof HttpException)) {
      // Answered on purpose (a dependency is down, not ready yet): one line, no stack — an outage
      // would otherwise write a stack trace per request.
      this.logger.warn(`${method} ${safePath(url)} answered ${status}: ${message}`);
    } else if (status >= 500) {
      this.logger.error(`${method} ${safePath(url)} failed`, exception instanceof Error ? exception.stack : String(exception));
    }
    const vary = httpAdapter.getHeader(response, 'vary') as string | undefined;
    httpAdapter.setHeader(response, 'Vary', vary ? `${vary}, Accept` : 'Accept');
    httpAdapter.setHeader(response, 'Cache-Control', ERROR_CACHING['Cache-Control']);
    const challenge = (exception as ChallengeCarrier | undefined)?.challenge;
    if (challenge) httpAdapter.setHeader(response, 'WWW-Authenticate', challenge);
    // Headers an exception asks for, e.g. Retry-After on a 429.
    const extra = exception instanceof HttpException ? (exception as HttpException & { headers?: unknown }).headers : undefined;
    if (extra && typeof extra === 'object') {
      for (const [name, value] of Object.entries(extra as Record<string, string>)) httpAdapter.setHeader(response, name, value);
    }
    // A machine-readable code (`mfa_required`, …) and its fields, for the exceptions that carry them.
    const { errorCode, details, code } = (exception instanceof HttpException ? exception : {}) as ErrorBodyCarrier;
    const body = errorBody(status, message, url, code ?? errorCode ?? codeForStatus(status));
    const full = errorCode ? { ...body, error: errorCode, ...details } : body;
    if (wantsProblemDetails(acceptOf(request))) {
      httpAdapter.setHeader(response, 'Content-Type', PROBLEM_CONTENT_TYPE);
      httpAdapter.reply(response, problemDetails(full), status);
      return;
    }
    httpAdapter.reply(response, full, status);
  }

  private describe(exception: unknown, method: string, url: string): Described {
    if (exception instanceof HttpException) {
      // Nest's router answers an unknown route with "Cannot GET <raw path>": echo the path escaped only.
      if (exception instanceof NotFoundException && messageOf(exception).startsWith(`Cannot ${method} `)) {
        return { status: HttpStatus.NOT_FOUND, message: `Cannot ${method} ${safePath(url)}` };
      }
      return { status: exception.getStatus(), message: messageOf(exception) };
    }
    if (exception instanceof QueryFailedError) {
      const code = databaseErrorCode(exception);
      if (isUniqueViolation(exception)) return { status: HttpStatus.CONFLICT, message: 'The resource already exists' };
      if (isForeignKeyViolation(exception)) {
        return { status: HttpStatus.CONFLICT, message: 'What the request refers to was changed or removed meanwhile; try again' };
      }
      if (PG_BAD_INPUT.has(code)) return { status: HttpStatus.BAD_REQUEST, message: 'A value in the request is not valid' };
    }
    if (
      DATABASE_UNAVAILABLE.has(databaseErrorCode(exception)) ||
      /Connection terminated|timeout exceeded when trying to connect/i.test(String((exception as Error | undefined)?.message))
    ) {
      return { status: HttpStatus.SERVICE_UNAVAILABLE, message: 'The database is unavailable; try again shortly' };
    }
    const fromFramework = frameworkClientError(exception);
    if (fromFramework) return fromFramework;
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
  }
}

function acceptOf(request: unknown): string | string[] | undefined {
  return (request as { headers?: Record<string, string | string[] | undefined> } | undefined)?.headers?.accept;
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return exception.message;
}

/**
 * Errors raised by the HTTP layer before a route runs (body too large, bad JSON, wrong content
 * type) carry a 4xx `statusCode`; their messages are fixed texts without request data.
 */
function frameworkClientError(exception: unknown): Described | undefined {
  if (!(exception instanceof Error)) return undefined;
  const { statusCode, code } = exception as Error & { statusCode?: unknown; code?: unknown };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined;
  if (statusCode === HttpStatus.PAYLOAD_TOO_LARGE) {
    return { status: statusCode, message: 'Request body is larger than the server accepts' };
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: statusCode, message: 'Unsupported content type; send application/json' };
  }
  if (statusCode === HttpStatus.BAD_REQUEST && typeof code === 'string' && code.startsWith('FST_ERR_CTP')) {
    return { status: statusCode, message: 'Request body is not valid JSON' };
  }
  return { status: statusCode, message: STATUS_CODES[statusCode] ?? 'Bad request' };
}
