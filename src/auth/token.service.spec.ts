import { JwtService } from '@nestjs/jwt';
import { type JWK, SignJWT, createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { KeyObject, createSecretKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { InvalidTokenException } from '../common/exceptions/auth.exceptions';
import type { AppConfig } from '../config/app.config';
import type { KeyStore, VerificationKey } from '../keys/key-store';
import { ScopeSetsRepository } from './scope-sets.repository';
import { TokenService } from './token.service';

const baseJwt = {
  previousSecrets: [],
  clockTolerance: 0,
  issuer: 'http://127.0.0.1:3000',
  audience: 'gatehouse',
  accessTtl: 300,
  accessMaxTtl: 3600,
  refreshTtl: 1209600,
  profile: 'jwt',
};

/** The scope_sets table in memory (the repository's own cache and hashing are real). */
const scopeRows = new Map<string, { hash: string; scope: string }>();
const scopeSets = new ScopeSetsRepository({
  createQueryBuilder: () => {
    const chain = {
      insert: () => chain,
      into: () => chain,
      values: (row: { hash: string; scope: string }) => (scopeRows.set(row.hash, row), chain),
      orIgnore: () => chain,
      execute: () => Promise.resolve(),
    };
    return chain;
  },
  findOneBy: ({ hash }: { hash: string }) => Promise.resolve(scopeRows.get(hash) ?? null),
} as never);

/** A key store holding one key that signs and verifies (the secret, or a pair's private and public halves). */
function keyStore(kid: string, alg: string, signing: KeyObject, verifying: KeyObject): KeyStore {
  const verification: VerificationKey = { kid, alg, key: verifying };
  return {
    signingKey: () => ({ kid, alg, key: signing }),
    algorithms: () => [alg],
    verificationKeyOrReload: (k: unknown) => Promise.resolve(k === kid ? verification : undefined),
  } as unknown as KeyStore;
}

function service(alg: string, profile = 'jwt'): { tokens: TokenService; verifying: KeyObject } {
  const config = { jwt: { ...baseJwt, profile } } as unknown as AppConfig;
  if (alg === 'HS512') {
    const secret = createSecretKey(randomBytes(64));
    return {
      tokens: new TokenService(config, new JwtService({}), keyStore('test-kid', alg, secret, secret), scopeSets),
      verifying: secret,
    };
  }
  const { privateKey, publicKey } = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    tokens: new TokenService(config, new JwtService({}), keyStore('test-kid', alg, privateKey, publicKey), scopeSets),
    verifying: publicKey,
  };
}

describe(TokenService.name, () => {
  const subject = { id: randomUUID(), username: 'alice', roles: ['USER'], permissions: ['patients:read'] };

  it('uses ACCESS_TOKEN_TTL by default and clamps a requested lifetime to ACCESS_TOKEN_MAX_TTL', () => {
    const { tokens } = service('HS512');
    expect(tokens.accessTtl()).toBe(300);
    expect(tokens.accessTtl('60')).toBe(60);
    expect(tokens.accessTtl('3601')).toBe(3600);
    expect(tokens.accessTtl('9'.repeat(400))).toBe(3600);
  });

  it('signs an HS512 JWS with the contract’s header and claims', async () => {
    const { tokens, verifying } = service('HS512');
    const sessionId = randomUUID();
    const { token, expiresIn } = await tokens.signAccessToken(subject, sessionId, 120);
    expect(expiresIn).toBe(120);
    const decoded = jwt.verify(token, verifying, { algorithms: ['HS512'], issuer: baseJwt.issuer, audience: 'gatehouse', complete: true });
    expect(decoded.header).toEqual({ alg: 'HS512', typ: 'JWT', kid: 'test-kid' });
    const payload = decoded.payload as jwt.JwtPayload;
    expect(payload).toMatchObject({
      sub: subject.id,
      preferred_username: 'alice',
      roles: ['USER'],
      sid: sessionId,
      iss: baseJwt.issuer,
      aud: 'gatehouse',
      scope: 'patients:read',
    });
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each(['EdDSA', 'PS256'])('signs %s tokens that jose verifies with the public key alone', async (alg) => {
    const { tokens, verifying } = service(alg);
    const { token } = await tokens.signAccessToken(subject, randomUUID(), 60);
    expect(decodeProtectedHeader(token)).toEqual({ alg, kid: 'test-kid', typ: 'JWT' });
    const { payload } = await jwtVerify(token, verifying, { algorithms: [alg], issuer: baseJwt.issuer, audience: 'gatehouse' });
    expect(payload).toMatchObject({ sub: subject.id, preferred_username: 'alice', roles: ['USER'] });
    expect(payload.exp! - payload.iat!).toBe(60);
    const jwks = createLocalJWKSet({ keys: [{ ...(verifying.export({ format: 'jwk' }) as JWK), kid: 'test-kid', alg }] });
    await expect(jwtVerify(token, jwks, { algorithms: [alg] })).resolves.toBeDefined();
  });

  it.each(['HS512', 'EdDSA'])('under ACCESS_TOKEN_PROFILE=rfc9068, %s tokens are typed at+jwt and carry client_id', async (alg) => {
    const { tokens } = service(alg, 'rfc9068');
    const { token } = await tokens.signAccessToken(subject, randomUUID(), 60);
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    expect(decodeJwt(token)).toMatchObject({ client_id: 'gatehouse', sub: subject.id, jti: expect.any(String), iat: expect.any(Number) });
    await expect(tokens.verifyAccessToken(token)).resolves.toMatchObject({ sub: subject.id });
  });

  it('carries the user’s permissions as scope, narrowed to what the session or the refresh asked for', async () => {
    const { tokens } = service('HS512');
    const user = { ...subject, permissions: ['a:read', 'b:read', 'c:write'] };
    const facts = { amr: ['pwd'], authTime: 1, restriction: null, scope: ['a:read', 'b:read', 'z:gone'] };
    expect(decodeJwt((await tokens.signAccessToken(user, randomUUID(), 60)).token).scope).toBe('a:read b:read c:write');
    const scoped = await tokens.signAccessToken(user, randomUUID(), 60, facts);
    // What the session asked for, as far as the user still holds it.
    expect(decodeJwt(scoped.token).scope).toBe('a:read b:read');
    expect(scoped.scope).toEqual(['a:read', 'b:read']);
    expect(decodeJwt((await tokens.signAccessToken(user, randomUUID(), 60, facts, ['b:read'])).token).scope).toBe('b:read');
    expect(decodeJwt((await tokens.signAccessToken({ ...user, permissions: [] }, randomUUID(), 60)).token)).not.toHaveProperty('scope');
    expect(decodeJwt((await tokens.signAccessToken(user, randomUUID(), 60, facts, ['z:gone'])).token).scope).toBe('');
  });

  it('carries a reference instead of a scope of more than 50 permissions, which resolves to the list', async () => {
    const { tokens } = service('EdDSA');
    const many = Array.from({ length: 400 }, (_, i) => `app.module-${String(i).padStart(3, '0')}:read`).sort();
    const fifty = await tokens.signAccessToken({ ...subject, permissions: many.slice(0, 50) }, randomUUID(), 60);
    expect(decodeJwt(fifty.token).scope).toBe(many.slice(0, 50).join(' '));
    const { token } = await tokens.signAccessToken({ ...subject, permissions: many }, randomUUID(), 60);
    const claims = await tokens.verifyAccessToken(token);
    expect(claims.scope).toBeUndefined();
    expect(claims.scope_ref).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The token stays about the size of one with a handful of permissions, not 400 of them.
    expect(token.length).toBeLessThan(800);
    expect(await tokens.scopeOf(claims)).toEqual(many);
    await expect(tokens.scopeOf({ scope_ref: 'A'.repeat(43) })).rejects.toThrow('unknown scope');
  });

  it('gives every token its own jti', async () => {
    const { tokens } = service('HS512');
    const a = decodeJwt((await tokens.signAccessToken(subject, randomUUID(), 60)).token);
    const b = decodeJwt((await tokens.signAccessToken(subject, randomUUID(), 60)).token);
    expect(a.jti).not.toBe(b.jti);
  });

  describe.each(['HS512', 'EdDSA', 'RS256'])('verifyAccessToken with %s', (alg) => {
    const { tokens, verifying } = service(alg);

    it('accepts its own token and refuses a tampered one', async () => {
      const { token } = await tokens.signAccessToken(subject, randomUUID(), 60);
      await expect(tokens.verifyAccessToken(token)).resolves.toMatchObject({ sub: subject.id });
      const [header, payload, signature] = token.split('.');
      const forged = Buffer.from(JSON.stringify({ ...decodeJwt(token), roles: ['ADMIN'] })).toString('base64url');
      await expect(tokens.verifyAccessToken(`${header}.${forged}.${signature}`)).rejects.toThrow('The access token signature is invalid');
      expect(payload).toBeDefined();
    });

    it('refuses an expired token, unless asked to accept one to end its session', async () => {
      const { token } = await tokens.signAccessToken(subject, randomUUID(), 60);
      jest.useFakeTimers({ now: Date.now() + 61_000, doNotFake: ['nextTick', 'setImmediate'] });
      try {
        await expect(tokens.verifyAccessToken(token)).rejects.toThrow('The access token has expired; log in again');
        await expect(tokens.verifyAccessToken(token, { allowExpired: true })).resolves.toMatchObject({ sub: subject.id });
      } finally {
        jest.useRealTimers();
      }
    });

    it('refuses a token whose header names another algorithm for the same key (algorithm confusion)', async () => {
      const { token } = await tokens.signAccessToken(subject, randomUUID(), 60);
      // HS256 keyed with the public key's bytes (or a weaker hash with the secret): the header's alg is never trusted.
      const material = verifying.type === 'secret' ? verifying.export() : Buffer.from(verifying.export({ format: 'pem', type: 'spki' }));
      const confused = await new SignJWT(decodeJwt(token))
        .setProtectedHeader({ alg: 'HS256', kid: 'test-kid', typ: 'JWT' })
        .sign(createSecretKey(material));
      await expect(tokens.verifyAccessToken(confused)).rejects.toBeInstanceOf(InvalidTokenException);
    });

    it('refuses another issuer', async () => {
      const other = new TokenService(
        { jwt: { ...baseJwt, issuer: 'https://elsewhere.example' } } as unknown as AppConfig,
        new JwtService({}),
        (tokens as unknown as { keys: KeyStore }).keys,
        scopeSets,
      );
      const { token } = await other.signAccessToken(subject, randomUUID(), 60);
      await expect(tokens.verifyAccessToken(token)).rejects.toThrow('The access token issuer is not accepted');
    });
  });
});
