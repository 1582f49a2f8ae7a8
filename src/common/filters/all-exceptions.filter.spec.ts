import { ArgumentsHost, BadRequestException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { QueryFailedError } from 'typeorm';
import { InvalidTokenException } from '../exceptions/auth.exceptions';
import { AllExceptionsFilter, ErrorBody } from './all-exceptions.filter';

function run(exception: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } {
  const out = { status: 0, body: undefined as unknown as ErrorBody, headers: {} as Record<string, string> };
  const adapter = {
    getRequestUrl: () => '/api/v1/users?access_token=secret',
    getRequestMethod: () => 'GET',
    setHeader: (_res: unknown, name: string, value: string) => (out.headers[name] = value),
    reply: (_res: unknown, body: ErrorBody, status: number) => Object.assign(out, { body, status }),
  };
  const host = { switchToHttp: () => ({ getRequest: () => ({}), getResponse: () => ({}) }) } as unknown as ArgumentsHost;
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
      message: 'a must be a string; b is required',
      path: '/api/v1/users',
    });
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
