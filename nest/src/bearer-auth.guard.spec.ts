import { ExecutionContext, Module } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccessTokenVerifier } from './access-token.verifier';
import { BearerAuthGuard } from './bearer-auth.guard';
import { TOKEN_MESSAGES, UNAVAILABLE_MESSAGES } from './gatehouse-auth.errors';
import { GatehouseAuthModule } from './gatehouse-auth.module';
import { resolveOptions } from './gatehouse-auth.options';
import { SessionIntrospector } from './session-introspector';
import { ProbeApp, expectInsufficientScope, expectInvalidToken, expectUnavailable } from './spec-support/app';
import { JwksServer, deadUrl } from './spec-support/servers';
import {
  AUDIENCE,
  ISSUER,
  SECRET,
  TestKey,
  claims,
  forge,
  generateTestKey,
  hmacWithPublicKey,
  sign,
  signWithSecret,
} from './spec-support/tokens';

describe(BearerAuthGuard.name, () => {
  describe('with published keys (JWKS)', () => {
    let ed: TestKey;
    let rsa: TestKey;
    let jwks: JwksServer;
    let probe: ProbeApp;

    beforeAll(async () => {
      ed = await generateTestKey('EdDSA', 'ed-1');
      rsa = await generateTestKey('RS256', 'rsa-1');
      jwks = await JwksServer.start([ed.jwk, rsa.jwk]);
      probe = await ProbeApp.start({ issuer: ISSUER, audience: AUDIENCE, jwksUri: jwks.url });
    });

    afterAll(async () => {
      await probe.close();
      await jwks.close();
    });

    it('admits a valid EdDSA token and puts its principal on the request', async () => {
      const payload = claims({ preferred_username: 'alice', roles: ['USER'] });
      const response = await probe.get('/me', await sign(ed, payload));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        id: payload.sub,
        username: 'alice',
        roles: ['USER'],
        permissions: [],
        sessionId: payload.sid,
        tokenExpiresAt: payload.exp,
      });
    });

    it('admits a valid RS256 token', async () => {
      expect((await probe.get('/me', await sign(rsa))).status).toBe(200);
    });

    it('admits the RFC 9068 profile (typ at+jwt, client_id, scope)', async () => {
      const token = await sign(ed, claims({ client_id: 'spa', scope: 'openid' }), { typ: 'at+jwt' });
      expect((await probe.get('/me', token)).status).toBe(200);
    });

    it('answers a public route without a token', async () => {
      expect(await probe.get('/public')).toEqual({ status: 200, challenge: null, body: { ok: true } });
    });

    it('refuses a request without a token with 401, the error body and the challenge (path without the query)', async () => {
      expectInvalidToken(await probe.get('/me?secret=1'), TOKEN_MESSAGES.missing, '/me');
    });

    it('refuses another scheme, and a bearer header with two credentials, as a missing token', async () => {
      expectInvalidToken(await probe.get('/me', undefined, 'Basic YWxpY2U6cHc='), TOKEN_MESSAGES.missing, '/me');
      expectInvalidToken(await probe.get('/me', undefined, `Bearer ${await sign(ed)} more`), TOKEN_MESSAGES.missing, '/me');
    });

    it('accepts the scheme in any case and extra spaces (RFC 7235 §2.1)', async () => {
      expect((await probe.get('/me', undefined, `bEaReR   ${await sign(ed)}  `)).status).toBe(200);
    });

    it('refuses a token whose payload was changed after signing', async () => {
      const [header, , signature] = (await sign(ed, claims({ roles: ['USER'] }))).split('.');
      const tampered = `${header}.${Buffer.from(JSON.stringify(claims({ roles: ['ADMIN'] }))).toString('base64url')}.${signature}`;
      expectInvalidToken(await probe.get('/admin', tampered), TOKEN_MESSAGES.signature, '/admin');
    });

    it('refuses a token signed by another key under a published kid', async () => {
      const impostor = await generateTestKey('EdDSA', ed.kid);
      expectInvalidToken(await probe.get('/me', await sign(impostor)), TOKEN_MESSAGES.signature, '/me');
    });

    it('refuses a token of a session Gatehouse restricts to MFA enrolment (MFA_REQUIRED_ROLES)', async () => {
      expectInvalidToken(
        await probe.get('/me', await sign(ed, claims({ restriction: 'mfa_enrolment' }))),
        TOKEN_MESSAGES.restricted,
        '/me',
      );
    });

    it('refuses an expired token', async () => {
      const past = Math.floor(Date.now() / 1000) - 600;
      expectInvalidToken(await probe.get('/me', await sign(ed, claims({ iat: past, exp: past + 300 }))), TOKEN_MESSAGES.expired, '/me');
    });

    it('refuses a token of another issuer, or of none', async () => {
      expectInvalidToken(await probe.get('/me', await sign(ed, claims({ iss: 'https://evil.example' }))), TOKEN_MESSAGES.issuer, '/me');
      expectInvalidToken(await probe.get('/me', await sign(ed, claims({ iss: undefined }))), TOKEN_MESSAGES.issuer, '/me');
    });

    it('refuses a token for another audience', async () => {
      expectInvalidToken(await probe.get('/me', await sign(ed, claims({ aud: 'billing' }))), TOKEN_MESSAGES.audience, '/me');
    });

    it('refuses an unsigned token (alg none)', async () => {
      const token = forge({ alg: 'none', typ: 'JWT' }, claims());
      expectInvalidToken(await probe.get('/me', token), TOKEN_MESSAGES.algorithm, '/me');
    });

    it('refuses HS256 keyed with the published public key (key confusion, RFC 8725 §2.1)', async () => {
      expectInvalidToken(await probe.get('/me', hmacWithPublicKey(ed, claims())), TOKEN_MESSAGES.algorithm, '/me');
    });

    it('refuses a token naming a key the JWKS does not hold', async () => {
      const stranger = await generateTestKey('EdDSA', 'unknown-kid');
      expectInvalidToken(await probe.get('/me', await sign(stranger)), TOKEN_MESSAGES.malformed, '/me');
    });

    it('refuses tokens without exp, iat, sub or sid, or with a non-string sub or sid', async () => {
      for (const missing of ['exp', 'iat', 'sub', 'sid']) {
        expectInvalidToken(await probe.get('/me', await sign(ed, claims({ [missing]: undefined }))), TOKEN_MESSAGES.malformed, '/me');
      }
      expectInvalidToken(await probe.get('/me', await sign(ed, claims({ sub: 42 }))), TOKEN_MESSAGES.malformed, '/me');
      expectInvalidToken(await probe.get('/me', await sign(ed, claims({ sid: { id: 1 } }))), TOKEN_MESSAGES.malformed, '/me');
    });

    it('refuses a token issued in the future', async () => {
      const future = Math.floor(Date.now() / 1000) + 120;
      expectInvalidToken(
        await probe.get('/me', await sign(ed, claims({ iat: future, exp: future + 300 }))),
        TOKEN_MESSAGES.malformed,
        '/me',
      );
    });

    it('refuses roles that are not a list of names', async () => {
      expectInvalidToken(await probe.get('/admin', await sign(ed, claims({ roles: 'ADMIN' }))), TOKEN_MESSAGES.malformed, '/admin');
    });

    it('refuses a JWT of another type (RFC 8725 §3.11)', async () => {
      expectInvalidToken(await probe.get('/me', await sign(ed, claims(), { typ: 'logout+jwt' })), TOKEN_MESSAGES.malformed, '/me');
    });

    it('refuses critical header parameters, even one jose understands (crit b64)', async () => {
      const token = await sign(ed, claims(), { crit: ['b64'], b64: true });
      expectInvalidToken(await probe.get('/me', token), TOKEN_MESSAGES.malformed, '/me');
    });

    it('refuses a token over 8 KB before parsing it, however well signed', async () => {
      const token = await sign(ed, claims({ padding: 'x'.repeat(8_200) }));
      expectInvalidToken(await probe.get('/me', token), TOKEN_MESSAGES.malformed, '/me');
    });

    it('refuses what is not JWS compact', async () => {
      expectInvalidToken(await probe.get('/me', 'not-a-token'), TOKEN_MESSAGES.malformed, '/me');
      expectInvalidToken(await probe.get('/me', 'e30.e30.#'), TOKEN_MESSAGES.malformed, '/me');
    });

    it('refuses another spelling of a valid token that a lenient base64 decoder would accept', async () => {
      expectInvalidToken(await probe.get('/me', `${await sign(ed)}!!`), TOKEN_MESSAGES.malformed, '/me');
    });

    it("refuses a token whose alg is not its published key's alg", async () => {
      // The RSA key is published for RS256; the same private key can make a valid PS256 signature.
      const token = await sign({ ...rsa, alg: 'PS256' });
      expectInvalidToken(await probe.get('/me', token), TOKEN_MESSAGES.malformed, '/me');
    });

    it('answers 403 with the insufficient_scope challenge when the role is missing', async () => {
      expectInsufficientScope(await probe.get('/admin', await sign(ed, claims({ roles: ['USER'] }))), '/admin');
    });

    it('admits a caller holding one of the roles', async () => {
      expect((await probe.get('/admin', await sign(ed, claims({ roles: ['USER', 'ADMIN'] })))).status).toBe(200);
    });

    it("reads a handler's roles before its controller's", async () => {
      const user = await sign(ed, claims({ roles: ['USER'] }));
      expect((await probe.get('/reports/mine', user)).status).toBe(200);
      expectInsufficientScope(await probe.get('/reports', user), '/reports');
    });

    it('verifies a token once, then trusts it from the cache', async () => {
      const verify = jest.spyOn(probe.app.get(AccessTokenVerifier), 'verify');
      try {
        const token = await sign(ed);
        for (let i = 0; i < 3; i++) expect((await probe.get('/me', token)).status).toBe(200);
        expect(verify).toHaveBeenCalledTimes(1);
      } finally {
        verify.mockRestore();
      }
    });

    it('stops trusting a cached token at its exp', async () => {
      // exp is in whole seconds: two of them leave at least one to use the token before it expires.
      const now = Math.floor(Date.now() / 1000);
      const token = await sign(ed, claims({ iat: now, exp: now + 2 }));
      expect((await probe.get('/me', token)).status).toBe(200);
      await sleep((now + 2) * 1000 - Date.now() + 50);
      expectInvalidToken(await probe.get('/me', token), TOKEN_MESSAGES.expired, '/me');
    });

    it('fetches the JWKS once for many tokens', async () => {
      expect((await probe.get('/me', await sign(ed))).status).toBe(200);
      const before = jwks.requests;
      for (let i = 0; i < 5; i++) expect((await probe.get('/me', await sign(i % 2 ? ed : rsa))).status).toBe(200);
      expect(jwks.requests).toBe(before);
    });
  });

  describe('during a key rotation', () => {
    let current: TestKey;
    let jwks: JwksServer;
    let probe: ProbeApp;

    beforeEach(async () => {
      current = await generateTestKey('EdDSA', 'key-1');
      jwks = await JwksServer.start([current.jwk]);
      probe = await ProbeApp.start({ issuer: ISSUER, audience: AUDIENCE, jwksUri: jwks.url, jwksCooldownSeconds: 1 });
    });

    afterEach(async () => {
      await probe.close();
      await jwks.close();
    });

    it('picks up a newly published key without a restart', async () => {
      expect((await probe.get('/me', await sign(current))).status).toBe(200);
      const next = await generateTestKey('PS256', 'key-2');
      jwks.keys = [current.jwk, next.jwk];
      await sleep(1_100); // past the cooldown since the first fetch
      expect((await probe.get('/me', await sign(next))).status).toBe(200);
      expect(jwks.requests).toBe(2);
    });

    it('refetches at most once per cooldown when flooded with unknown kids', async () => {
      expect((await probe.get('/me', await sign(current))).status).toBe(200);
      await sleep(1_100);
      const strangers = await Promise.all(Array.from({ length: 5 }, (_, i) => generateTestKey('EdDSA', `made-up-${i}`)));
      const tokens = await Promise.all(strangers.map((key) => sign(key)));
      // At once (they share the one refetch), then one after another (within the cooldown: none).
      for (const response of await Promise.all(tokens.map((token) => probe.get('/me', token)))) {
        expectInvalidToken(response, TOKEN_MESSAGES.malformed, '/me');
      }
      for (const token of tokens) expectInvalidToken(await probe.get('/me', token), TOKEN_MESSAGES.malformed, '/me');
      expect(jwks.requests).toBe(2);
    });
  });

  describe('when the JWKS cannot be fetched', () => {
    it('fails closed with 503, not 401: the token may be fine', async () => {
      const key = await generateTestKey('EdDSA', 'key-1');
      const probe = await ProbeApp.start({ issuer: ISSUER, audience: AUDIENCE, jwksUri: await deadUrl('/.well-known/jwks.json') });
      try {
        expectUnavailable(await probe.get('/me', await sign(key)), UNAVAILABLE_MESSAGES.keys, '/me');
      } finally {
        await probe.close();
      }
    });
  });

  describe('with a shared secret (HS512)', () => {
    let probe: ProbeApp;

    beforeAll(async () => {
      probe = await ProbeApp.start({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET, realm: 'billing' });
    });

    afterAll(() => probe.close());

    it('admits a token signed with the secret', async () => {
      const payload = claims({ roles: ['ADMIN'] });
      const response = await probe.get('/admin', await signWithSecret(payload));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: payload.sub, roles: ['ADMIN'] });
    });

    it('refuses a token signed with another secret, in the configured realm', async () => {
      const token = await signWithSecret(claims(), 'HS512', `${SECRET}-but-another-one`);
      expectInvalidToken(await probe.get('/me', token), TOKEN_MESSAGES.signature, '/me', 'billing');
    });

    it('refuses other algorithms, even HMAC ones keyed with the right secret', async () => {
      expectInvalidToken(await probe.get('/me', await signWithSecret(claims(), 'HS256')), TOKEN_MESSAGES.algorithm, '/me', 'billing');
      const ed = await generateTestKey('EdDSA', 'shared');
      expectInvalidToken(await probe.get('/me', await sign(ed)), TOKEN_MESSAGES.algorithm, '/me', 'billing');
    });
  });

  describe('configured by forRootAsync', () => {
    it('reads the options from the factory', async () => {
      const probe = await ProbeApp.start(
        GatehouseAuthModule.forRootAsync({ useFactory: async () => ({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET }) }),
      );
      try {
        expect((await probe.get('/me', await signWithSecret())).status).toBe(200);
      } finally {
        await probe.close();
      }
    });

    it('injects what the factory asks for from the imported modules', async () => {
      const settings = { issuer: ISSUER, audience: AUDIENCE, secret: SECRET };
      @Module({ providers: [{ provide: 'SETTINGS', useValue: settings }], exports: ['SETTINGS'] })
      class SettingsModule {}
      const probe = await ProbeApp.start(
        GatehouseAuthModule.forRootAsync({
          imports: [SettingsModule],
          inject: ['SETTINGS'],
          useFactory: (given: typeof settings) => given,
        }),
      );
      try {
        expect((await probe.get('/me', await signWithSecret())).status).toBe(200);
      } finally {
        await probe.close();
      }
    });
  });

  describe('on the hot path', () => {
    it('returns synchronously (no promise) for a token it has verified before', async () => {
      const options = resolveOptions({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET });
      const guard = new BearerAuthGuard(new Reflector(), new AccessTokenVerifier(options), new SessionIntrospector(options), options);
      const token = await signWithSecret();
      const request = { headers: { authorization: `Bearer ${token}` }, user: undefined as unknown };
      class Probe {
        handler(): void {}
      }
      const context = {
        getHandler: () => Probe.prototype.handler,
        getClass: () => Probe,
        switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
      } as unknown as ExecutionContext;
      await expect(guard.canActivate(context)).resolves.toBe(true);
      request.user = undefined;
      expect(guard.canActivate(context)).toBe(true);
      expect(request.user).toMatchObject({ username: 'alice', sessionId: expect.any(String) as string });
    });
  });
});
