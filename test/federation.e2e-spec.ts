import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, JWK, SignJWT } from 'jose';
import { adminToken, basic, createUser, decodeJwt } from './support/auth-helpers';
import { freePort, rsaKey, startOidcProvider, TestBrowser, TestProvider } from './support/oidc';
import { TestApp, createTestApp } from './support/test-app';
import { describeE2E, testAlgorithm } from './support/test-database';

// Delegated login and service-account tokens against a real OpenID Provider (oidc-provider) on
// loopback: the whole browser flow over HTTP, on SQLite and on PostgreSQL.
describeE2E('OpenID Connect federation', () => {
  let provider: TestProvider;
  let t: TestApp;
  let gatehouse: string;
  let configDir: string;
  let rsa1: JWK;
  let rsa2: JWK;
  let admin: string;

  // The provider's subject is the login name ("ada"); the username claim differs, to tell them apart.
  const ada = {
    preferred_username: 'ada.lovelace',
    given_name: 'Ada',
    family_name: 'Lovelace',
    email: 'ada@example.org',
    realm_access: { roles: ['ADMIN', 'no-such-local-role'] },
  };

  beforeAll(async () => {
    rsa1 = await rsaKey('rsa-1');
    rsa2 = await rsaKey('rsa-2');
    provider = await startOidcProvider([rsa1]);
    const port = await freePort();
    gatehouse = `http://127.0.0.1:${port}`;
    configDir = mkdtempSync(join(tmpdir(), 'gatehouse-oidc-'));
    const configFile = join(configDir, 'oidc.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        providers: {
          test: {
            issuer: provider.issuer,
            clientId: provider.clientId,
            clientSecret: provider.clientSecret,
            scopes: 'openid profile email roles',
            // Keycloak's shape: realm roles under realm_access.roles.
            claims: { roles: 'realm_access.roles' },
            serviceAccounts: { claim: 'azp', audience: 'gatehouse-api', jwksCooldownSeconds: 1 },
          },
        },
        postLoginRedirects: ['/', '/app'],
      }),
    );
    // No PUBLIC_URL: the callback URL comes from the request's Host (127.0.0.1:<port>), as in development.
    t = await createTestApp({ OIDC_CONFIG: configFile, PORT: String(port) });
    await t.app.listen(port, '127.0.0.1');
    await provider.setRedirectUris([`${gatehouse}/authenticate/oidc/test/callback`]);
    await provider.setAccounts({ ada, eve: { preferred_username: 'eve', given_name: 'Eve' }, zoe: { preferred_username: 'zoe' } });
    admin = await adminToken(t);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await provider?.stop();
    rmSync(configDir, { recursive: true, force: true });
  });

  const callbackPrefix = () => `${gatehouse}/authenticate/oidc/test/callback`;

  /** Starts a login in `browser` and walks the provider's pages; the callback URL, not yet requested. */
  async function toCallback(browser: TestBrowser, login: string, tamperAuthUrl: (url: URL) => void = () => undefined): Promise<string> {
    const start = await browser.request(`${gatehouse}/authenticate/oidc/test/login?redirect=/app`);
    expect(start.status).toBe(302);
    const authUrl = new URL(start.headers.get('location')!);
    tamperAuthUrl(authUrl);
    return browser.throughProvider(authUrl.toString(), callbackPrefix(), login);
  }

  /**
   * A whole delegated login: the callback starts the session (refresh cookie) and redirects with a
   * one-time code, which is exchanged for the user and an access token of that session.
   */
  async function loginAs(login: string): Promise<{ user: Record<string, unknown>; token: Record<string, string>; refreshCookie: string }> {
    const browser = new TestBrowser();
    const done = await browser.request(await toCallback(browser, login));
    expect(done.status).toBe(302);
    const location = done.headers.get('location')!;
    expect(location).toMatch(/^\/app#code=[A-Za-z0-9_-]{43}$/);
    const refreshCookie = done.headers.getSetCookie().find((c) => c.startsWith('gatehouse_refresh='))!;
    expect(refreshCookie).toMatch(/HttpOnly/);
    expect(refreshCookie).toMatch(/SameSite=Strict/);
    expect(refreshCookie).toMatch(/Path=\/authenticate/);
    const code = location.split('code=')[1];
    const exchanged = await t.http().post('/authenticate/oidc/token').send({ code });
    expect(exchanged.status).toBe(200);
    expect(Object.keys(exchanged.body.token).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    // The code is single use.
    expect((await t.http().post('/authenticate/oidc/token').send({ code })).status).toBe(401);
    return { ...exchanged.body, refreshCookie: refreshCookie.split(';')[0] };
  }

  const userCount = async () => (await t.http().get('/api/v1/users?limit=1').set('Authorization', `Bearer ${admin}`)).body.total as number;

  describe('delegated login', () => {
    it('lists the provider and redirects to it with state, nonce and PKCE (S256)', async () => {
      const list = await t.http().get('/authenticate/oidc');
      expect(list.status).toBe(200);
      expect(list.body).toEqual([{ name: 'test', loginUrl: '/authenticate/oidc/test/login' }]);
      const start = await t.http().get('/authenticate/oidc/test/login?redirect=/app');
      expect(start.status).toBe(302);
      const url = new URL(start.headers.location);
      expect(`${url.origin}${url.pathname}`).toBe(`${provider.issuer}/auth`);
      expect(url.searchParams.get('response_type')).toBe('code');
      expect(url.searchParams.get('client_id')).toBe('gatehouse');
      expect(url.searchParams.get('redirect_uri')).toBe(callbackPrefix());
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      // The state is bound to this browser by an HttpOnly cookie.
      expect(start.headers['set-cookie'][0]).toMatch(new RegExp(`^gatehouse_oidc_state=${url.searchParams.get('state')}; .*HttpOnly`));
    });

    it('first login creates the user from the claims, skips unknown roles, and starts a session', async () => {
      const before = await userCount();
      const { user, token, refreshCookie } = await loginAs('ada');
      expect(user).toMatchObject({
        username: 'ada.lovelace',
        firstName: 'Ada',
        lastName: 'Lovelace',
        email: 'ada@example.org',
        enabled: true,
        identityProvider: 'test',
        systemId: 'ada',
        roles: [expect.objectContaining({ name: 'ADMIN' })],
      });
      expect(await userCount()).toBe(before + 1);
      expect(decodeJwt(token.access_token).header.alg).toBe(testAlgorithm());
      const me = await t.http().get('/authenticate/me').set('Authorization', `Bearer ${token.access_token}`);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ username: 'ada.lovelace', roles: ['ADMIN'] });
      // The session continues with the refresh cookie, as after a password login in cookie mode.
      const refreshed = await t.http().post('/authenticate/refresh').set('Cookie', refreshCookie).set('X-Requested-With', 'XMLHttpRequest');
      expect(refreshed.status).toBe(200);
      expect(decodeJwt(refreshed.body.access_token).payload.sid).toBe(decodeJwt(token.access_token).payload.sid);
      // Federated-only: no password to log in with.
      expect((await t.http().post('/authenticate/login').set('Authorization', basic('ada.lovelace', 'anything-at-all-1'))).status).toBe(
        401,
      );
      const skipped = await t.http().get('/api/v1/audit?type=federation.roles_skipped').set('Authorization', `Bearer ${admin}`);
      expect(skipped.body.items[0].details).toEqual({ provider: 'test', skipped: ['no-such-local-role'] });
    });

    it('a later login updates names, email and roles, never the username or systemId', async () => {
      const first = (await loginAs('ada')).user;
      await provider.setAccounts({
        ada: {
          ...ada,
          preferred_username: 'ada-renamed',
          given_name: 'Augusta',
          email: 'augusta@example.org',
          realm_access: { roles: ['USER'] },
        },
      });
      try {
        const { user } = await loginAs('ada');
        expect(user).toMatchObject({
          id: first.id,
          username: 'ada.lovelace',
          systemId: 'ada',
          firstName: 'Augusta',
          email: 'augusta@example.org',
        });
        expect((user.roles as { name: string }[]).map((r) => r.name)).toEqual(['USER']);
      } finally {
        await provider.setAccounts({ ada, eve: { preferred_username: 'eve', given_name: 'Eve' }, zoe: { preferred_username: 'zoe' } });
      }
    });

    it('two first logins of one person at the same moment make one user, and both succeed', async () => {
      const before = await userCount();
      const [one, two] = [new TestBrowser(), new TestBrowser()];
      const callbacks = [await toCallback(one, 'zoe'), await toCallback(two, 'zoe')];
      const answers = await Promise.all([one.request(callbacks[0]), two.request(callbacks[1])]);
      expect(answers.map((a) => a.status)).toEqual([302, 302]);
      expect(await userCount()).toBe(before + 1);
    });

    it('refuses a tampered state, and creates nothing', async () => {
      const before = await userCount();
      const browser = new TestBrowser();
      const callback = new URL(await toCallback(browser, 'eve'));
      callback.searchParams.set('state', 'not-the-state-this-browser-started-with');
      const res = await browser.request(callback.toString());
      expect(res.status).toBe(401);
      expect((await res.json()).message).toMatch(/state/i);
      expect(await userCount()).toBe(before);
    });

    it('refuses a callback from a browser that did not start the login (no state cookie)', async () => {
      const browser = new TestBrowser();
      const callback = await toCallback(browser, 'eve');
      const res = await new TestBrowser().request(callback);
      expect(res.status).toBe(401);
      expect((await res.json()).message).toMatch(/does not match this browser/);
    });

    it('refuses a replayed callback and a replayed authorization code', async () => {
      const browser = new TestBrowser();
      const callback = await toCallback(browser, 'ada');
      expect((await browser.request(callback)).status).toBe(302);
      // The same callback again: its state is spent.
      const again = await browser.request(callback);
      expect(again.status).toBe(401);
      // A new login, but the old code spliced in: the provider refuses it (codes are single use).
      const fresh = new URL(await toCallback(browser, 'ada'));
      fresh.searchParams.set('code', new URL(callback).searchParams.get('code')!);
      const replayed = await browser.request(fresh.toString());
      expect(replayed.status).toBe(401);
      expect((await replayed.json()).message).toMatch(/code exchange|invalid_grant/);
    });

    it('refuses an ID token with the wrong nonce, and creates nothing', async () => {
      const before = await userCount();
      const browser = new TestBrowser();
      const callback = await toCallback(browser, 'eve', (url) => url.searchParams.set('nonce', 'a-nonce-gatehouse-never-issued'));
      const res = await browser.request(callback);
      expect(res.status).toBe(401);
      expect((await res.json()).message).toMatch(/nonce/);
      expect(await userCount()).toBe(before);
    });

    it('refuses a redirect that is not on the allow-list, and an unknown provider', async () => {
      for (const redirect of ['https://evil.example/', '//evil.example', '/app/../admin', '/elsewhere']) {
        const res = await t.http().get(`/authenticate/oidc/test/login?redirect=${encodeURIComponent(redirect)}`);
        expect(res.status).toBe(400);
        expect(res.headers.location).toBeUndefined();
        expect(res.body.message).toMatch(/redirect/);
      }
      expect((await t.http().get('/authenticate/oidc/nope/login')).status).toBe(404);
      expect(
        (
          await t
            .http()
            .post('/authenticate/oidc/token')
            .send({ code: 'x'.repeat(43) })
        ).status,
      ).toBe(401);
      expect((await t.http().post('/authenticate/oidc/token').send({ code: 'short' })).status).toBe(400);
    });
  });

  describe('service-account tokens', () => {
    let serviceUserId: string;

    beforeAll(async () => {
      serviceUserId = (await createUser(t, { username: 'svc-reporting', roles: ['USER'] })).id;
    });

    async function sign(key: JWK, alg: string, claims: Record<string, unknown> = {}, expiresIn = '5m'): Promise<string> {
      return new SignJWT({ iss: provider.issuer, aud: 'gatehouse-api', azp: 'svc-reporting', ...claims })
        .setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(await importJWK(key, alg));
    }

    const me = (headers: Record<string, string>) => {
      const req = t.http().get('/authenticate/me');
      for (const [name, value] of Object.entries(headers)) req.set(name, value);
      return req;
    };

    it('accepts RS256 as a bearer and PS256 as X-JWT-Assertion, as the mapped local user with their roles', async () => {
      const rs = await me({ Authorization: `Bearer ${await sign(rsa1, 'RS256')}` });
      expect(rs.status).toBe(200);
      expect(rs.body).toMatchObject({ id: serviceUserId, username: 'svc-reporting', roles: ['USER'] });
      const ps = await me({ 'X-JWT-Assertion': await sign(rsa1, 'PS256') });
      expect(ps.status).toBe(200);
      expect(ps.body.username).toBe('svc-reporting');
      // The local user's roles apply: USER is not ADMIN.
      const forbidden = await t
        .http()
        .get('/api/v1/users')
        .set('Authorization', `Bearer ${await sign(rsa1, 'RS256')}`);
      expect(forbidden.status).toBe(403);
    });

    it('judges an X-JWT-Assertion even beside a bearer the guard has already verified and cached', async () => {
      const bearer = await adminToken(t);
      expect((await me({ Authorization: `Bearer ${bearer}` })).body.username).toBe('admin');
      // The cached admin token must not answer for the request: the assertion is the credential.
      const both = await me({ Authorization: `Bearer ${bearer}`, 'X-JWT-Assertion': await sign(rsa1, 'PS256') });
      expect(both.status).toBe(200);
      expect(both.body.username).toBe('svc-reporting');
      const badAssertion = await me({
        Authorization: `Bearer ${bearer}`,
        'X-JWT-Assertion': await sign(rsa1, 'PS256', { aud: 'someone-else' }),
      });
      expect(badAssertion.status).toBe(401);
    });

    it('refuses HS256 (even with the client secret) and alg none', async () => {
      const hs = await new SignJWT({ azp: 'svc-reporting' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(provider.issuer)
        .setAudience('gatehouse-api')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(provider.clientSecret));
      const none = [
        Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url'),
        Buffer.from(
          JSON.stringify({ iss: provider.issuer, aud: 'gatehouse-api', azp: 'svc-reporting', exp: Math.floor(Date.now() / 1000) + 300 }),
        ).toString('base64url'),
        '',
      ].join('.');
      for (const token of [hs, none]) {
        for (const headers of [{ Authorization: `Bearer ${token}` }, { 'X-JWT-Assertion': token }] as Record<string, string>[]) {
          const res = await me(headers);
          expect(res.status).toBe(401);
          expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
        }
      }
    });

    it('refuses a wrong audience, a wrong issuer, an expired token and an unknown subject', async () => {
      const cases: [string, string][] = [
        [await sign(rsa1, 'RS256', { aud: 'someone-else' }), 'aud'],
        [await sign(rsa1, 'RS256', { iss: 'https://other.example' }), 'unknown provider'],
        [await sign(rsa1, 'RS256', {}, '-1m'), 'expired'],
        [await sign(rsa1, 'RS256', { azp: 'nobody-here' }), 'no known account'],
      ];
      for (const [token, message] of cases) {
        const res = await me({ Authorization: `Bearer ${token}` });
        expect(res.status).toBe(401);
        expect(res.body.message).toContain(message);
      }
    });

    it('picks up a JWKS key rotation (refetched on an unknown kid, at most once per cooldown)', async () => {
      const rotated = await sign(rsa2, 'RS256');
      const before = await me({ Authorization: `Bearer ${rotated}` });
      expect(before.status).toBe(401);
      expect(before.body.message).toMatch(/unknown key/);
      await provider.setJwks([rsa2, rsa1]);
      await new Promise((resolve) => setTimeout(resolve, 1_200)); // past the 1 s cooldown
      const after = await me({ Authorization: `Bearer ${rotated}` });
      expect(after.status).toBe(200);
      expect(after.body.username).toBe('svc-reporting');
      // Tokens of the old key still verify while the provider publishes it.
      expect((await me({ Authorization: `Bearer ${await sign(rsa1, 'RS256')}` })).status).toBe(200);
    });
  });
});
