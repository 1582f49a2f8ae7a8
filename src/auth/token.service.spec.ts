import { JwtService } from '@nestjs/jwt';
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { AppConfig } from '../config/app.config';
import type { KeyStore } from '../keys/key-store';
import { TokenService } from './token.service';

describe(TokenService.name, () => {
  const secret = createSecretKey(randomBytes(64));
  const config = {
    jwt: {
      previousSecrets: [],
      clockTolerance: 0,
      issuer: 'gatehouse',
      audience: 'gatehouse',
      accessTtl: 300,
      accessMaxTtl: 3600,
      refreshTtl: 1209600,
    },
  } as unknown as AppConfig;
  const keys = { signingKey: () => ({ kid: 'test-kid', alg: 'HS512', key: secret }), algorithms: () => ['HS512'] } as unknown as KeyStore;
  const service = new TokenService(config, new JwtService({}), keys);
  const subject = { id: randomUUID(), username: 'alice', roles: ['USER'] };

  it('uses ACCESS_TOKEN_TTL by default and clamps a requested lifetime to ACCESS_TOKEN_MAX_TTL', () => {
    expect(service.accessTtl()).toBe(300);
    expect(service.accessTtl('60')).toBe(60);
    expect(service.accessTtl('3601')).toBe(3600);
    expect(service.accessTtl('9'.repeat(400))).toBe(3600);
  });

  it('signs an HS512 JWS with the contract’s header and claims', () => {
    const sessionId = randomUUID();
    const { token, expiresIn } = service.signAccessToken(subject, sessionId, 120);
    expect(expiresIn).toBe(120);
    const decoded = jwt.verify(token, secret, { algorithms: ['HS512'], issuer: 'gatehouse', audience: 'gatehouse', complete: true });
    expect(decoded.header).toEqual({ alg: 'HS512', typ: 'JWT', kid: 'test-kid' });
    const payload = decoded.payload as jwt.JwtPayload;
    expect(payload).toMatchObject({
      sub: subject.id,
      preferred_username: 'alice',
      roles: ['USER'],
      sid: sessionId,
      iss: 'gatehouse',
      aud: 'gatehouse',
    });
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives every token its own jti', () => {
    const a = jwt.decode(service.signAccessToken(subject, randomUUID(), 60).token) as jwt.JwtPayload;
    const b = jwt.decode(service.signAccessToken(subject, randomUUID(), 60).token) as jwt.JwtPayload;
    expect(a.jti).not.toBe(b.jti);
  });
});
