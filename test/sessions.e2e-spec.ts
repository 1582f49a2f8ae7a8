import { randomUUID } from 'node:crypto';
import { TestApp, createTestApp } from './support/test-app';
import { adminToken, auditEvents, basic, createUser, decodeJwt, expectErrorBody, login, signWithServerKey } from './support/auth-helpers';
import { describeE2E } from './support/test-database';

describeE2E('Session lifecycle', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ CORS_ORIGINS: 'https://app.example.org' });
  });
  afterAll(() => t.close());

  const me = (token: string) => t.http().get('/authenticate/me').auth(token, { type: 'bearer' });
  const refresh = (refresh_token: string) => t.http().post('/authenticate/refresh').send({ refresh_token });

  function expectRevoked(res: { status: number; body: Record<string, unknown>; headers: Record<string, string> }) {
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/revoked/i);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
  }

  describe('POST /authenticate/logout', () => {
    it('ends the session of a bearer token: 204, its access and refresh tokens stop working', async () => {
      const user = await createUser(t);
      const tokens = await login(t, user.username, user.password);
      const other = await login(t, user.username, user.password);
      const res = await t.http().post('/authenticate/logout').auth(tokens.access_token, { type: 'bearer' });
      expect(res.status).toBe(204);
      expectRevoked(await me(tokens.access_token));
      expect((await refresh(tokens.refresh_token)).status).toBe(401);
      // Another session of the same user is untouched.
      expect((await me(other.access_token)).status).toBe(200);
    });

    it('ends the session of a refresh token', async () => {
      const tokens = await login(t);
      expect((await t.http().post('/authenticate/logout').send({ refresh_token: tokens.refresh_token })).status).toBe(204);
      expectRevoked(await me(tokens.access_token));
      expect((await refresh(tokens.refresh_token)).status).toBe(401);
    });

    it('is idempotent', async () => {
      const tokens = await login(t);
      for (let i = 0; i < 2; i++) {
        expect((await t.http().post('/authenticate/logout').auth(tokens.access_token, { type: 'bearer' })).status).toBe(204);
        expect((await t.http().post('/authenticate/logout').send({ refresh_token: tokens.refresh_token })).status).toBe(204);
      }
      expect((await t.http().post('/authenticate/logout').send({ refresh_token: 'unknown-token' })).status).toBe(204);
    });

    it('accepts an expired access token (to end its session) but not a forged one', async () => {
      const expired = (
        await t.http().post('/authenticate/login?validity_secs=1').set('Authorization', basic('admin', 'admin-password-for-tests'))
      ).body.token;
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await t.http().post('/authenticate/logout').auth(expired.access_token, { type: 'bearer' })).status).toBe(204);
      expect((await refresh(expired.refresh_token)).status).toBe(401);
      const forged = await t
        .http()
        .post('/authenticate/logout')
        .auth(signWithServerKey(t, { sub: randomUUID() }, { algorithm: 'HS256' }), { type: 'bearer' });
      expect(forged.status).toBe(401);
    });

    it('answers 401 when no token names a session', async () => {
      const res = await t.http().post('/authenticate/logout');
      expect(res.status).toBe(401);
      expectErrorBody(res.body, 401, '/authenticate/logout');
    });
  });

  describe('/api/v1/users/me/sessions', () => {
    it('lists the caller’s active sessions with user agent and IP, marking the current one', async () => {
      const user = await createUser(t);
      const first = await login(t, user.username, user.password);
      const second = (
        await t
          .http()
          .post('/authenticate/login')
          .set('Authorization', basic(user.username, user.password))
          .set('User-Agent', 'TestBrowser/1.0')
      ).body.token;
      const res = await t.http().get('/api/v1/users/me/sessions').auth(second.access_token, { type: 'bearer' });
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(2);
      const current = res.body.find((s: { current: boolean }) => s.current);
      expect(current).toEqual({
        id: decodeJwt(second.access_token).payload.sid,
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        expiresAt: expect.any(String),
        userAgent: 'TestBrowser/1.0',
        ip: expect.stringMatching(/127\.0\.0\.1|::1|::ffff:127\.0\.0\.1/),
        current: true,
      });
      expect(res.body.map((s: { id: string }) => s.id)).toContain(decodeJwt(first.access_token).payload.sid);
    });

    it('ends one session by id (404 for someone else’s), and all but the current one', async () => {
      const user = await createUser(t);
      const other = await createUser(t);
      const a = await login(t, user.username, user.password);
      const b = await login(t, user.username, user.password);
      const c = await login(t, user.username, user.password);
      const foreign = await login(t, other.username, other.password);
      const foreignSid = decodeJwt(foreign.access_token).payload.sid as string;
      expect((await t.http().delete(`/api/v1/users/me/sessions/${foreignSid}`).auth(a.access_token, { type: 'bearer' })).status).toBe(404);
      expect((await me(foreign.access_token)).status).toBe(200);
      expect((await t.http().delete(`/api/v1/users/me/sessions/not-a-uuid`).auth(a.access_token, { type: 'bearer' })).status).toBe(400);

      const bSid = decodeJwt(b.access_token).payload.sid;
      expect((await t.http().delete(`/api/v1/users/me/sessions/${bSid}`).auth(a.access_token, { type: 'bearer' })).status).toBe(204);
      expectRevoked(await me(b.access_token));
      expect((await me(c.access_token)).status).toBe(200);

      expect((await t.http().delete('/api/v1/users/me/sessions').auth(a.access_token, { type: 'bearer' })).status).toBe(204);
      expectRevoked(await me(c.access_token));
      expect((await me(a.access_token)).status).toBe(200);
      const left = await t.http().get('/api/v1/users/me/sessions').auth(a.access_token, { type: 'bearer' });
      expect(left.body.map((s: { id: string }) => s.id)).toEqual([decodeJwt(a.access_token).payload.sid]);
    });

    it('lets admins list and end any user’s sessions', async () => {
      const admin = await adminToken(t);
      const user = await createUser(t);
      const a = await login(t, user.username, user.password);
      const b = await login(t, user.username, user.password);
      const list = await t.http().get(`/api/v1/users/${user.id}/sessions`).auth(admin, { type: 'bearer' });
      expect(list.status).toBe(200);
      expect(list.body).toHaveLength(2);
      const aSid = decodeJwt(a.access_token).payload.sid;
      expect((await t.http().delete(`/api/v1/users/${user.id}/sessions/${aSid}`).auth(admin, { type: 'bearer' })).status).toBe(204);
      expectRevoked(await me(a.access_token));
      expect((await me(b.access_token)).status).toBe(200);
      expect((await t.http().delete(`/api/v1/users/${user.id}/sessions`).auth(admin, { type: 'bearer' })).status).toBe(204);
      expectRevoked(await me(b.access_token));
      // Both audited, with the administrator as the actor.
      const adminId = decodeJwt(admin).payload.sub;
      const revoked = (await auditEvents(t, 'session.revoked')).filter((event) => event.userId === user.id);
      expect(revoked.map((event) => ({ actorId: event.actorId, details: event.details })).reverse()).toEqual([
        { actorId: adminId, details: { sessionId: aSid } },
        { actorId: adminId, details: { sessions: 'all', ended: 1 } },
      ]);
      expect((await t.http().get(`/api/v1/users/${randomUUID()}/sessions`).auth(admin, { type: 'bearer' })).status).toBe(404);
      expect((await t.http().delete(`/api/v1/users/${randomUUID()}/sessions`).auth(admin, { type: 'bearer' })).status).toBe(404);
      expect((await t.http().delete(`/api/v1/users/${randomUUID()}/sessions/${aSid}`).auth(admin, { type: 'bearer' })).status).toBe(404);
      expect((await t.http().delete(`/api/v1/users/${user.id}/sessions/${aSid}`).auth(admin, { type: 'bearer' })).status).toBe(204);
      // Not for non-admins.
      const c = await login(t, user.username, user.password);
      expect((await t.http().get(`/api/v1/users/${user.id}/sessions`).auth(c.access_token, { type: 'bearer' })).status).toBe(403);
    });
  });

  describe('PUT /api/v1/users/me/password', () => {
    it('changes the password and ends every other session of the user', async () => {
      const user = await createUser(t);
      const current = await login(t, user.username, user.password);
      const other = await login(t, user.username, user.password);
      const res = await t
        .http()
        .put('/api/v1/users/me/password')
        .auth(current.access_token, { type: 'bearer' })
        .send({ currentPassword: user.password, newPassword: 'the-new-password-1' });
      expect(res.status).toBe(204);
      expectRevoked(await me(other.access_token));
      expect((await refresh(other.refresh_token)).status).toBe(401);
      expect((await me(current.access_token)).status).toBe(200);
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password))).status).toBe(401);
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, 'the-new-password-1'))).status).toBe(
        200,
      );
    });

    it('answers 401 for a wrong current password, without a challenge that would look like a bad token', async () => {
      const user = await createUser(t);
      const { access_token } = await login(t, user.username, user.password);
      const res = await t
        .http()
        .put('/api/v1/users/me/password')
        .auth(access_token, { type: 'bearer' })
        .send({ currentPassword: 'wrong-password-here', newPassword: 'the-new-password-1' });
      expect(res.status).toBe(401);
      expectErrorBody(res.body, 401, '/api/v1/users/me/password');
      expect(res.headers['www-authenticate'] ?? '').not.toMatch(/invalid_token|basic/i);
      expect((await me(access_token)).status).toBe(200);
    });

    it.each([
      [{ newPassword: 'short' }, /newPassword/],
      [{ newPassword: 'x'.repeat(129) }, /newPassword/],
      [{ currentPassword: undefined, newPassword: 'long-enough-password-1' }, /currentPassword/],
    ])('answers 400 for %j', async (body, message) => {
      const user = await createUser(t);
      const { access_token } = await login(t, user.username, user.password);
      const res = await t
        .http()
        .put('/api/v1/users/me/password')
        .auth(access_token, { type: 'bearer' })
        .send({ currentPassword: user.password, ...body });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(message);
    });
  });

  describe('administrator changes end the user’s sessions', () => {
    it.each([
      ['disabling', { enabled: false }],
      ['a password reset', { password: 'admin-set-password-1' }],
      ['a role change', { roles: ['USER', 'ADMIN'] }],
    ])('%s revokes the user’s tokens at once', async (_case, change) => {
      const user = await createUser(t);
      const tokens = await login(t, user.username, user.password);
      expect((await me(tokens.access_token)).status).toBe(200);
      await t
        .http()
        .patch(`/api/v1/users/${user.id}`)
        .auth(await adminToken(t), { type: 'bearer' })
        .send(change)
        .expect(200);
      expectRevoked(await me(tokens.access_token));
      expect((await refresh(tokens.refresh_token)).status).toBe(401);
    });

    it('a name change does not', async () => {
      const user = await createUser(t);
      const tokens = await login(t, user.username, user.password);
      await t
        .http()
        .patch(`/api/v1/users/${user.id}`)
        .auth(await adminToken(t), { type: 'bearer' })
        .send({ firstName: 'Renamed' })
        .expect(200);
      expect((await me(tokens.access_token)).status).toBe(200);
    });
  });

  describe('renewal with a valid access token', () => {
    it('is off by default: an access token alone renews nothing (400)', async () => {
      const tokens = await login(t);
      const res = await t.http().post('/authenticate/refresh').auth(tokens.access_token, { type: 'bearer' });
      expect(res.status).toBe(400);
      expectErrorBody(res.body, 400, '/authenticate/refresh');
      expect(res.body.message).toMatch(/BEARER_RENEWAL/);
    });
  });

  describe('refresh cookie for browsers', () => {
    function cookieOf(res: { headers: Record<string, unknown> }): string {
      const header = res.headers['set-cookie'] as string[] | undefined;
      expect(header).toHaveLength(1);
      return header![0];
    }

    it('?cookie=true sets an HttpOnly, Secure, SameSite=Strict cookie and leaves the token out of the body', async () => {
      const res = await t.http().post('/authenticate/login?cookie=true').set('Authorization', basic('admin', 'admin-password-for-tests'));
      expect(res.status).toBe(200);
      expect(res.body.token).not.toHaveProperty('refresh_token');
      expect(res.body.token.refresh_expires_in).toBe(1209600);
      const cookie = cookieOf(res);
      expect(cookie).toMatch(/^gatehouse_refresh=[A-Za-z0-9_-]{43};/);
      for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/authenticate', 'Max-Age=1209600']) {
        expect(cookie).toContain(attribute);
      }
    });

    it('refreshes from the cookie with X-Requested-With, rotating the cookie; 403 without proof of origin', async () => {
      const login1 = await t
        .http()
        .post('/authenticate/login?cookie=true')
        .set('Authorization', basic('admin', 'admin-password-for-tests'));
      const cookie = cookieOf(login1).split(';')[0];
      const csrf = await t.http().post('/authenticate/refresh').set('Cookie', cookie);
      expect(csrf.status).toBe(403);
      expectErrorBody(csrf.body, 403, '/authenticate/refresh');
      const foreignOrigin = await t.http().post('/authenticate/refresh').set('Cookie', cookie).set('Origin', 'https://evil.example');
      expect(foreignOrigin.status).toBe(403);

      const res = await t.http().post('/authenticate/refresh').set('Cookie', cookie).set('X-Requested-With', 'XMLHttpRequest');
      expect(res.status).toBe(200);
      expect(res.body).not.toHaveProperty('refresh_token');
      const rotated = cookieOf(res).split(';')[0];
      expect(rotated).not.toBe(cookie);
      const viaOrigin = await t.http().post('/authenticate/refresh').set('Cookie', rotated).set('Origin', 'https://app.example.org');
      expect(viaOrigin.status).toBe(200);
    });

    it('logs out from the cookie and clears it', async () => {
      const login1 = await t
        .http()
        .post('/authenticate/login?cookie=true')
        .set('Authorization', basic('admin', 'admin-password-for-tests'));
      const cookie = cookieOf(login1).split(';')[0];
      const res = await t.http().post('/authenticate/logout').set('Cookie', cookie).set('X-Requested-With', 'XMLHttpRequest');
      expect(res.status).toBe(204);
      expect(cookieOf(res)).toMatch(/^gatehouse_refresh=;.*Max-Age=0/);
      expectRevoked(await me(login1.body.token.access_token));
      const after = await t.http().post('/authenticate/refresh').set('Cookie', cookie).set('X-Requested-With', 'XMLHttpRequest');
      expect(after.status).toBe(401);
    });

    it('answers 400 to two refresh cookies, clearing and spending nothing', async () => {
      const first = await t.http().post('/authenticate/login?cookie=true').set('Authorization', basic('admin', 'admin-password-for-tests'));
      const second = await t
        .http()
        .post('/authenticate/login?cookie=true')
        .set('Authorization', basic('admin', 'admin-password-for-tests'));
      const cookies = `${cookieOf(first).split(';')[0]}; ${cookieOf(second).split(';')[0]}`;
      for (const path of ['/authenticate/refresh', '/authenticate/logout']) {
        const res = await t.http().post(path).set('Cookie', cookies).set('X-Requested-With', 'XMLHttpRequest');
        expect(res.status).toBe(400);
        expectErrorBody(res.body, 400, path);
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      // Both sessions are intact.
      for (const login1 of [first, second]) {
        expect((await me(login1.body.token.access_token)).status).toBe(200);
        const res = await t
          .http()
          .post('/authenticate/refresh')
          .set('Cookie', cookieOf(login1).split(';')[0])
          .set('X-Requested-With', 'XMLHttpRequest');
        expect(res.status).toBe(200);
      }
    });

    it('answers 400 for a malformed cookie flag', async () => {
      const res = await t.http().post('/authenticate/login?cookie=yes').set('Authorization', basic('admin', 'admin-password-for-tests'));
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/cookie/);
    });
  });

  describe('CORS', () => {
    it('answers a preflight from an allowed origin, with credentials', async () => {
      const res = await t
        .http()
        .options('/authenticate/refresh')
        .set('Origin', 'https://app.example.org')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,x-requested-with');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.org');
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-allow-headers']).toMatch(/X-Requested-With/i);
    });

    it('gives other origins no CORS headers', async () => {
      const res = await t
        .http()
        .options('/authenticate/refresh')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describeE2E('REFRESH_TOKEN_COOKIE=true', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ REFRESH_TOKEN_COOKIE: 'true' });
  });
  afterAll(() => t.close());

  it('uses the cookie by default, and ?cookie=false opts out', async () => {
    const withCookie = await t.http().post('/authenticate/login').set('Authorization', basic('admin', 'admin-password-for-tests'));
    expect(withCookie.body.token).not.toHaveProperty('refresh_token');
    expect(withCookie.headers['set-cookie']).toBeDefined();
    const withBody = await t
      .http()
      .post('/authenticate/login?cookie=false')
      .set('Authorization', basic('admin', 'admin-password-for-tests'));
    expect(withBody.body.token.refresh_token).toEqual(expect.any(String));
    expect(withBody.headers['set-cookie']).toBeUndefined();
  });
});

describeE2E('Renewal with a valid access token (BEARER_RENEWAL=true)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ BEARER_RENEWAL: 'true' });
  });
  afterAll(() => t.close());

  const me = (token: string) => t.http().get('/authenticate/me').auth(token, { type: 'bearer' });
  const renew = (token: string, query = '') => t.http().post(`/authenticate/refresh${query}`).auth(token, { type: 'bearer' });
  function expectRevoked(res: { status: number; body: Record<string, unknown>; headers: Record<string, string> }) {
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/revoked/i);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
  }

  it('returns a new access token for the same session, without a refresh token', async () => {
    const tokens = await login(t);
    const res = await renew(tokens.access_token);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 300 });
    expect(decodeJwt(res.body.access_token).payload.sid).toBe(decodeJwt(tokens.access_token).payload.sid);
    expect((await me(res.body.access_token)).status).toBe(200);
  });

  it('refuses an expired access token, telling the client to log in again', async () => {
    const expired = (
      await t.http().post('/authenticate/login?validity_secs=1').set('Authorization', basic('admin', 'admin-password-for-tests'))
    ).body.token;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const res = await renew(expired.access_token);
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/expired.*log in again/i);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('refuses the access token of an ended session', async () => {
    const tokens = await login(t);
    await t.http().post('/authenticate/logout').send({ refresh_token: tokens.refresh_token }).expect(204);
    expectRevoked(await renew(tokens.access_token));
  });

  it('never gives the renewed token a longer life than the token presented, whatever validity_secs asks', async () => {
    const short = (
      await t.http().post('/authenticate/login?validity_secs=20').set('Authorization', basic('admin', 'admin-password-for-tests'))
    ).body.token;
    const res = await renew(short.access_token, '?validity_secs=3600');
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBeLessThanOrEqual(20);
    const { iat, exp } = decodeJwt(res.body.access_token).payload as { iat: number; exp: number };
    expect(exp - iat).toBeLessThanOrEqual(20);
  });

  it('ends a chain of renewals BEARER_RENEWAL_MAX seconds after the login', async () => {
    const short = await createTestApp({ BEARER_RENEWAL: 'true', BEARER_RENEWAL_MAX: '3' });
    try {
      const first = (
        await short.http().post('/authenticate/login?validity_secs=60').set('Authorization', basic('admin', 'admin-password-for-tests'))
      ).body.token;
      const second = await short.http().post('/authenticate/refresh').auth(first.access_token, { type: 'bearer' });
      expect(second.status).toBe(200);
      // Capped by the end of the chain, not 60 s.
      expect(second.body.expires_in).toBeLessThanOrEqual(3);
      await new Promise((resolve) => setTimeout(resolve, 3100));
      const late = await short.http().post('/authenticate/refresh').auth(first.access_token, { type: 'bearer' });
      expect(late.status).toBe(401);
      expect(late.body.message).toMatch(/can no longer be renewed/);
      expect(late.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    } finally {
      await short.close();
    }
  });
});
