import { ArgumentsHost, BadRequestException, ConflictException, HttpException, NotFoundException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { QueryFailedError } from 'typeorm';
import { InvalidCredentialsException, InvalidTokenException, MfaRequiredException } from '../exceptions/auth.exceptions';
import { ValidationFailedException } from '../validation';
import { AllExceptionsFilter, ErrorBody } from './all-exceptions.filter';

function run(exception: unknown, accept?: string): { status: number; body: ErrorBody; headers: Record<string, string> } {
  const out = { status: 0, body: undefined as unknown as ErrorBody, headers: {} as Record<string, string> };
  const adapter = {
    getRequestUrl: () => '/api/v1/users?access_token=secret',
    getRequestMethod: () => 'GET',
    setHeader: (_res: unknown, name: string, value: string) => (out.headers[name] = value),
    getHeader: (_res: unknown, name: string) => out.headers[name === 'vary' ? 'Vary' : name],
    reply: (_res: unknown, body: ErrorBody, status: number) => Object.assign(out, { body, status }),
  };
  const host = {
    switchToHttp: () => ({ getRequest: () => ({ headers: { accept } }), getResponse: () => ({}) }),
  } as unknown as ArgumentsHost;
  const filter = new AllExceptionsFilter({ httpAdapter: adapter } as unknown as HttpAdapterHost);
  jest.spyOn(filter['logger'], 'error').mockImplementation(() => undefined);
  filter.catch(exception, host);
  return out;
}

describe(AllExceptionsFilter.name, () => {
  it('keeps an HTTP error’s status and message, joins validation messages, and drops the query string', () => {
    const { status, body } = run(new BadRequestException(['a must be a string', 'b is required']));
    expect(status).toBe(400);
    expect(body).toEqual({
      timestamp: expect.any(String),
      status: 400,
      error: 'Bad Request',
      code: 'bad_request',
      message: 'a must be a string; b is required',
      path: '/api/v1/users',
    });
  });

  it('gives every error a stable code: the exception’s own, else its errorCode, else one per status', () => {
    expect(run(new InvalidTokenException('The access token has expired; log in again')).body.code).toBe('token_expired');
    expect(run(new InvalidTokenException('The personal access token has expired')).body.code).toBe('token_expired');
    expect(run(new InvalidTokenException('The access token was revoked: its session has expired, log in again')).body.code).toBe(
      'invalid_token',
    );
    expect(run(new InvalidTokenException('The access token is malformed')).body.code).toBe('invalid_token');
    expect(run(new InvalidCredentialsException(true)).body.code).toBe('invalid_credentials');
    expect(run(new ValidationFailedException('name must be a string')).body.code).toBe('validation_failed');
    expect(run(new MfaRequiredException('t', ['totp'], 300)).body).toMatchObject({ error: 'mfa_required', code: 'mfa_required' });
    expect(run(new NotFoundException('No such user')).body.code).toBe('not_found');
    expect(run(new ConflictException('Exists')).body.code).toBe('conflict');
    expect(run(new HttpException('Slow down', 429)).body.code).toBe('rate_limited');
    expect(run(new Error('boom')).body).toMatchObject({ status: 500, code: 'internal_error', message: 'Internal server error' });
  });

  it('answers RFC 9457 Problem Details to a client that asks for them, with the same content', () => {
    const { status, body, headers } = run(new MfaRequiredException('t', ['totp'], 300), 'application/problem+json');
    expect(status).toBe(401);
    expect(headers['Content-Type']).toBe('application/problem+json; charset=utf-8');
    expect(body).toEqual({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: expect.stringMatching(/^A second factor is required/),
      instance: '/api/v1/users',
      code: 'mfa_required',
      error: 'mfa_required',
      timestamp: expect.any(String),
      mfa_token: 't',
      methods: ['totp'],
      expires_in: 300,
    });
    expect(run(new NotFoundException('x')).headers['Content-Type']).toBeUndefined();
    // Either form: never cached, and a cache keys it by Accept.
    expect(run(new NotFoundException('x')).headers).toMatchObject({ 'Cache-Control': 'no-store', Vary: 'Accept' });
  });

  it('sets WWW-Authenticate from the exception', () => {
    expect(run(new InvalidTokenException('The access token has expired')).headers['WWW-Authenticate']).toMatch(
      /^Bearer realm="gatehouse", error="invalid_token"/,
    );
  });

  it('turns an unexpected error into a bare 500', () => {
    const { status, body } = run(new Error('secret internals at /src/x.ts:1'));
    expect(status).toBe(500);
    expect(body.message).toBe('Internal server error');
  });

  it('maps unique violations to 409 and bad PostgreSQL input to 400', () => {
    const unique = new QueryFailedError('INSERT', [], Object.assign(new Error('dup'), { code: '23505' }));
    expect(run(unique).status).toBe(409);
    const badUuid = new QueryFailedError('SELECT', [], Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' }));
    expect(run(badUuid).status).toBe(400);
  });

  it('answers 503 when the database is unreachable', () => {
    expect(run(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })).status).toBe(503);
    expect(run(new Error('Connection terminated unexpectedly')).status).toBe(503);
  });
});
