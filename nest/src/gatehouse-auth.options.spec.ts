import { Test } from '@nestjs/testing';
import { GatehouseAuthConfigError } from './gatehouse-auth.errors';
import { GatehouseAuthModule } from './gatehouse-auth.module';
import { GatehouseAuthOptions, resolveOptions } from './gatehouse-auth.options';
import { AUDIENCE, ISSUER, SECRET } from './spec-support/tokens';

const JWKS_URI = `${ISSUER}/.well-known/jwks.json`;
const base = { issuer: ISSUER, audience: AUDIENCE };

describe(resolveOptions.name, () => {
  it('refuses to start with both jwksUri and secret', () => {
    expect(() => GatehouseAuthModule.forRoot({ ...base, jwksUri: JWKS_URI, secret: SECRET })).toThrow(
      new GatehouseAuthConfigError('set either jwksUri (Gatehouse publishes its keys) or secret (Gatehouse signs with HS512), not both'),
    );
  });

  it('refuses to start with neither', () => {
    expect(() => GatehouseAuthModule.forRoot(base)).toThrow(GatehouseAuthConfigError);
    expect(() => GatehouseAuthModule.forRoot(base)).toThrow(/set jwksUri .* or secret/);
  });

  it('refuses the same through forRootAsync, when the application starts', async () => {
    const module = GatehouseAuthModule.forRootAsync({ useFactory: () => ({ ...base, jwksUri: JWKS_URI, secret: SECRET }) });
    await expect(Test.createTestingModule({ imports: [module] }).compile()).rejects.toThrow(/not both/);
  });

  it('requires the issuer and the audience', () => {
    expect(() => resolveOptions({ ...base, issuer: '', secret: SECRET })).toThrow(/issuer is required/);
    expect(() => resolveOptions({ issuer: ISSUER, secret: SECRET } as GatehouseAuthOptions)).toThrow(/audience is required/);
  });

  it('pins the published-key algorithms by default, and HS512 alone for a secret', () => {
    expect(resolveOptions({ ...base, jwksUri: JWKS_URI }).algorithms).toEqual(['EdDSA', 'ES256', 'RS256', 'PS256']);
    expect(resolveOptions({ ...base, secret: SECRET }).algorithms).toEqual(['HS512']);
  });

  it('never accepts HMAC with published keys, nor none, nor a public-key algorithm with a secret', () => {
    expect(() => resolveOptions({ ...base, jwksUri: JWKS_URI, algorithms: ['EdDSA', 'HS256'] })).toThrow(
      /HS256 cannot be used with jwksUri/,
    );
    expect(() => resolveOptions({ ...base, jwksUri: JWKS_URI, algorithms: ['none'] })).toThrow(/none cannot be used/);
    expect(() => resolveOptions({ ...base, secret: SECRET, algorithms: ['RS256'] })).toThrow(/RS256 cannot be used with secret/);
    expect(() => resolveOptions({ ...base, secret: SECRET, algorithms: [] })).toThrow(/non-empty/);
  });

  it('refuses a secret shorter than the hash (RFC 7518 §3.2)', () => {
    expect(() => resolveOptions({ ...base, secret: 'x'.repeat(63) })).toThrow(/at least 64 bytes/);
    expect(resolveOptions({ ...base, secret: 'x'.repeat(32), algorithms: ['HS256'] }).keys.kind).toBe('secret');
  });

  it('refuses URLs that are not absolute http(s)', () => {
    expect(() => resolveOptions({ ...base, jwksUri: '/.well-known/jwks.json' })).toThrow(/jwksUri must be an absolute http\(s\) URL/);
    expect(() => resolveOptions({ ...base, jwksUri: 'file:///etc/jwks.json' })).toThrow(/jwksUri/);
    const introspection = { url: 'ftp://gatehouse/introspect', credentials: { username: 'svc', password: 'pw' } };
    expect(() => resolveOptions({ ...base, secret: SECRET, introspection })).toThrow(/introspection.url/);
  });

  it('checks the introspection credentials and durations', () => {
    const introspection = { url: `${ISSUER}/authenticate/introspect`, credentials: { username: 'svc', password: 'pw' } };
    expect(resolveOptions({ ...base, secret: SECRET, introspection }).introspection).toEqual({
      url: new URL(introspection.url),
      authorization: 'Basic c3ZjOnB3',
      cacheMs: 30_000,
      timeoutMs: 5_000,
    });
    const withColon = { ...introspection, credentials: { username: 'a:b', password: 'pw' } };
    expect(() => resolveOptions({ ...base, secret: SECRET, introspection: withColon })).toThrow(/cannot contain ":"/);
    const noPassword = { ...introspection, credentials: { username: 'svc', password: '' } };
    expect(() => resolveOptions({ ...base, secret: SECRET, introspection: noPassword })).toThrow(/password is required/);
    expect(() => resolveOptions({ ...base, secret: SECRET, introspection: { ...introspection, cacheSeconds: -1 } })).toThrow(
      /cacheSeconds/,
    );
  });

  it('refuses a realm that cannot be quoted in a challenge', () => {
    expect(() => resolveOptions({ ...base, secret: SECRET, realm: 'a"b' })).toThrow(/realm/);
    expect(() => resolveOptions({ ...base, secret: SECRET, clockTolerance: -1 })).toThrow(/clockTolerance/);
  });
});
