import { JsonWebTokenError, NotBeforeError, TokenExpiredError } from 'jsonwebtoken';
import { InvalidTokenException } from '../../common/exceptions/auth.exceptions';
import { describeJwtFailure } from '../bearer-token';
import { GatehouseTokenVerifier } from './gatehouse-token.verifier';

describe(GatehouseTokenVerifier.name, () => {
  const guard = new GatehouseTokenVerifier({ jwt: { issuer: 'gatehouse' } } as never);

  it('claims the tokens whose issuer is JWT_ISSUER, and no others', () => {
    expect(guard.claims({ raw: 'x', source: 'authorization', header: {}, issuer: 'gatehouse' })).toBe(true);
    expect(guard.claims({ raw: 'x', source: 'authorization', header: {}, issuer: 'https://idp.example' })).toBe(false);
    expect(guard.claims({ raw: 'x', source: 'authorization', header: {} })).toBe(false);
  });

  it.each([
    [new TokenExpiredError('jwt expired', new Date()), /expired/],
    [new NotBeforeError('jwt not active', new Date()), /not valid yet/],
    [new JsonWebTokenError('invalid signature'), /signature/],
    [new JsonWebTokenError('invalid algorithm'), /algorithm/],
    [new JsonWebTokenError('jwt malformed'), /malformed/],
    [new Error('No auth token'), /Missing bearer token/],
  ])('turns passport-jwt info %p into a 401 that says what failed', (info, message) => {
    let thrown: unknown;
    try {
      guard.handleRequest(null, false, info);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidTokenException);
    expect((thrown as InvalidTokenException).getStatus()).toBe(401);
    expect((thrown as InvalidTokenException).message).toMatch(message);
    expect((thrown as InvalidTokenException).challenge).toMatch(/^Bearer realm="gatehouse", error="invalid_token", error_description="/);
  });

  it('passes an authenticated principal through', () => {
    const principal = { id: 'x' };
    expect(guard.handleRequest(null, principal, undefined)).toBe(principal);
  });

  it('does not disguise a server fault as a 401', () => {
    const fault = new Error('database is down');
    expect(() => guard.handleRequest(fault, false, undefined)).toThrow(fault);
  });

  it('keeps error_description free of quotes (RFC 6750 §3)', () => {
    expect(new InvalidTokenException('say "hi" \\ now').challenge).toBe(
      'Bearer realm="gatehouse", error="invalid_token", error_description="say  hi    now"',
    );
    expect(describeJwtFailure(undefined)).toMatch(/malformed/);
  });
});
