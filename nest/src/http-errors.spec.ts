import { ExecutionContext, ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { invalidTokenException, missingPermissionsException, quoteSafe, safePath, setResponseHeader } from './http-errors';

/** An execution context over a plain request and response object. */
function contextOver(request: object, response: object): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }) } as unknown as ExecutionContext;
}

describe('http-errors', () => {
  it('keeps an error_description to printable ASCII without quote or backslash (RFC 6750 §3)', () => {
    expect(quoteSafe('a "quoted" \\ value\r\nwith é')).toBe('a  quoted    value  with  ');
    expect(quoteSafe('Missing bearer token: send Authorization: Bearer <access token>')).toBe(
      'Missing bearer token: send Authorization: Bearer <access token>',
    );
  });

  it('shows the path without the query, with unusual characters percent-encoded', () => {
    expect(safePath('/me?access_token=secret')).toBe('/me');
    expect(safePath('/a<script>')).toBe('/a%3Cscript%3E');
  });

  it("sets the challenge through Fastify's reply.header or Express's res.setHeader", () => {
    const fastifyReply = { header: jest.fn() };
    const expressResponse = { setHeader: jest.fn() };
    setResponseHeader(fastifyReply, 'WWW-Authenticate', 'Bearer');
    setResponseHeader(expressResponse, 'WWW-Authenticate', 'Bearer');
    expect(fastifyReply.header).toHaveBeenCalledWith('WWW-Authenticate', 'Bearer');
    expect(expressResponse.setHeader).toHaveBeenCalledWith('WWW-Authenticate', 'Bearer');
  });

  it('builds a 401 whose response is the error body, on an Express request', () => {
    const response = { setHeader: jest.fn() };
    const exception = invalidTokenException(
      contextOver({ originalUrl: '/api/x?y=1', url: '/x?y=1' }, response),
      'gatehouse',
      'Bad "token"',
    );
    expect(exception).toBeInstanceOf(UnauthorizedException);
    expect(exception.getResponse()).toEqual({
      timestamp: expect.any(String) as string,
      status: 401,
      error: 'Unauthorized',
      code: 'invalid_token',
      message: 'Bad "token"',
      path: '/api/x',
    });
    expect(response.setHeader).toHaveBeenCalledWith(
      'WWW-Authenticate',
      'Bearer realm="gatehouse", error="invalid_token", error_description="Bad  token "',
    );
  });

  it('builds the 403 of a permission route: error insufficient_scope in the body, the scope in the challenge', () => {
    const response = { setHeader: jest.fn() };
    const exception = missingPermissionsException(
      contextOver({ url: '/patients' }, response),
      'billing',
      'Missing permission: patients:read',
      ['patients:read', 'patients:write'],
    );
    expect(exception).toBeInstanceOf(ForbiddenException);
    expect(exception.getResponse()).toEqual({
      timestamp: expect.any(String) as string,
      status: 403,
      error: 'insufficient_scope',
      code: 'insufficient_scope',
      message: 'Missing permission: patients:read',
      path: '/patients',
    });
    expect(response.setHeader).toHaveBeenCalledWith(
      'WWW-Authenticate',
      'Bearer realm="billing", error="insufficient_scope", error_description="Missing permission: patients:read", scope="patients:read patients:write"',
    );
  });
});
