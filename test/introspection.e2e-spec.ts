import { TestApp, createTestApp } from './support/test-app';
import {
  TokenBlock,
  adminToken,
  auditEvents,
  basic,
  createUser,
  decodeJwt,
  expectErrorBody,
  login,
  signWithServerKey,
} from './support/auth-helpers';
import { describeE2E } from './support/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeE2E('POST /authenticate/introspect (RFC 7662)', () => {
  let t: TestApp;
  /** A service account with the INTROSPECT role, as a resource server would use. */
  let service: { username: string; password: string };
  let user: { id: string; username: string; password: string };

  beforeAll(async () => {
    t = await createTestApp({ INTROSPECTION_RATE_LIMIT: '20', ACCESS_TOKEN_TTL: '300' });
    service = await createUser(t, { roles: ['INTROSPECT'] });
    user = await createUser(t);
  });
  afterAll(() => t.close());

  const introspect = (token: string, as: 'form' | 'json' = 'form') => {
    const req = t.http().post('/authenticate/introspect').set('Authorization', basic(service.username, service.password));
    return as === 'form' ? req.type('form').send({ token }) : req.send({ token });
  };

  it('describes an active access token, form-encoded or JSON, with the user’s roles now; never cached', async () => {
    const tokens = await login(t, user.username, user.password);
    const claims = decodeJwt(tokens.access_token).payload;
    for (const as of ['form', 'json'] as const) {
      const res = await introspect(tokens.access_token, as);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        active: true,
        sub: user.id,
        username: user.username,
        roles: ['USER'],
        sid: claims.sid,
        exp: claims.exp,
        iat: claims.iat,
        iss: claims.iss,
        aud: 'gatehouse',
        token_type: 'Bearer',
        jti: claims.jti,
        // How and when the user authenticated (RFC 8176), as the token says.
        amr: ['pwd'],
        auth_time: claims.auth_time,
      });
    }
  });

  it('describes a refresh token without spending it', async () => {
    const tokens = await login(t, user.username, user.password);
    const res = await introspect(tokens.refresh_token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      active: true,
      sub: user.id,
      username: user.username,
      token_type: 'refresh_token',
      sid: decodeJwt(tokens.access_token).payload.sid,
    });
    expect(res.body.exp).toBeGreaterThan(Date.now() / 1000 + 3600);
    expect(JSON.stringify(res.body)).not.toContain(tokens.refresh_token);
    // Introspected twice, still good for one refresh (and a spent one is inactive).
    expect((await introspect(tokens.refresh_token)).body.active).toBe(true);
    expect((await t.http().post('/authenticate/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(200);
    expect((await introspect(tokens.refresh_token)).body).toEqual({ active: false });
  });

  it('answers {active:false} alike for expired, revoked, unknown, malformed and foreign tokens', async () => {
    const tokens = await login(t, user.username, user.password);
    const { sub, sid } = decodeJwt(tokens.access_token).payload;
    const now = Math.floor(Date.now() / 1000);
    const loggedOut = await login(t, user.username, user.password);
    await t.http().post('/authenticate/logout').auth(loggedOut.access_token, { type: 'bearer' }).expect(204);
    const inactive = [
      signWithServerKey(t, { sub, sid, roles: ['USER'], iat: now - 600, exp: now - 300 }),
      signWithServerKey(
        t,
        { sub, sid, roles: ['USER'] },
        { key: Buffer.from('not the server key at all, sixty-four bytes of attacker text..') },
      ),
      loggedOut.access_token,
      loggedOut.refresh_token,
      'x'.repeat(43),
      'not-a-token',
      'a.b.c',
      'x'.repeat(9000),
      `${tokens.access_token.slice(0, -4)}AAAA`,
    ];
    for (const token of inactive) {
      const res = await introspect(token);
      expect({ token, status: res.status, body: res.body }).toEqual({ token, status: 200, body: { active: false } });
    }
  });

  it('makes a disabled user’s tokens inactive at once', async () => {
    const victim = await createUser(t);
    const tokens = await login(t, victim.username, victim.password);
    expect((await introspect(tokens.access_token)).body.active).toBe(true);
    await t
      .http()
      .patch(`/api/v1/users/${victim.id}`)
      .auth(await adminToken(t), { type: 'bearer' })
      .send({ enabled: false })
      .expect(200);
    expect((await introspect(tokens.access_token)).body).toEqual({ active: false });
    expect((await introspect(tokens.refresh_token)).body).toEqual({ active: false });
  });

  it('takes a bearer caller with the INTROSPECT or ADMIN role', async () => {
    const target = await login(t, user.username, user.password);
    const serviceToken = (await login(t, service.username, service.password)).access_token;
    for (const caller of [serviceToken, await adminToken(t)]) {
      const res = await t
        .http()
        .post('/authenticate/introspect')
        .auth(caller, { type: 'bearer' })
        .type('form')
        .send({ token: target.access_token });
      expect(res.status).toBe(200);
      expect(res.body.active).toBe(true);
    }
  });

  it('refuses an unauthenticated caller (401 with both challenges), a wrong password (401) and a caller without the role (403)', async () => {
    const target = await login(t, user.username, user.password);
    const none = await t.http().post('/authenticate/introspect').type('form').send({ token: target.access_token });
    expect(none.status).toBe(401);
    expectErrorBody(none.body, 401, '/authenticate/introspect');
    expect(String(none.headers['www-authenticate'])).toMatch(/Basic realm="gatehouse"/);
    expect(String(none.headers['www-authenticate'])).toMatch(/Bearer realm="gatehouse"/);
    const wrong = await t
      .http()
      .post('/authenticate/introspect')
      .set('Authorization', basic(service.username, 'not-the-password'))
      .type('form')
      .send({ token: target.access_token });
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toHaveProperty('active');
    const plain = await t
      .http()
      .post('/authenticate/introspect')
      .set('Authorization', basic(user.username, user.password))
      .type('form')
      .send({ token: target.access_token });
    expect(plain.status).toBe(403);
    expectErrorBody(plain.body, 403, '/authenticate/introspect');
    const asBearer = await t
      .http()
      .post('/authenticate/introspect')
      .auth(target.access_token, { type: 'bearer' })
      .send({ token: target.access_token });
    expect(asBearer.status).toBe(403);
  });

  it('answers a bad request with 400 and changes nothing', async () => {
    await sleep(1100); // a fresh rate-limit window
    for (const body of [{}, { token: '' }, { token: 42 }, { token: 'x', scope: 'not a parameter here' }]) {
      const res = await introspect(body as never, 'json')
        .set('Content-Type', 'application/json')
        .send(body);
      expect(res.status).toBe(400);
      expectErrorBody(res.body, 400, '/authenticate/introspect');
    }
  });

  it('rate-limits each caller (429 with Retry-After), a burst included', async () => {
    const burstCaller = await createUser(t, { roles: ['INTROSPECT'] });
    const target = await login(t, user.username, user.password);
    // Warm the credential cache so the burst measures the limit, not argon2.
    await t
      .http()
      .post('/authenticate/introspect')
      .set('Authorization', basic(burstCaller.username, burstCaller.password))
      .send({ token: 'x' });
    await sleep(1100);
    const replies = await Promise.all(
      Array.from({ length: 40 }, () =>
        t
          .http()
          .post('/authenticate/introspect')
          .set('Authorization', basic(burstCaller.username, burstCaller.password))
          .send({ token: target.access_token }),
      ),
    );
    const statuses = replies.map((res) => res.status);
    const ok = statuses.filter((status) => status === 200).length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(20 * 2); // at most the limit per one-second window (a burst may straddle two)
    const limited = replies.filter((res) => res.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(40 - 2 * 20);
    expect(limited[0].headers['retry-after']).toBe('1');
    expectErrorBody(limited[0].body, 429, '/authenticate/introspect');
  });

  it('counts wrong Basic passwords as failed logins (the lock applies)', async () => {
    const victim = await createUser(t, { roles: ['INTROSPECT'] });
    for (let i = 0; i < 6; i++) {
      const r = await t
        .http()
        .post('/authenticate/introspect')
        .set('Authorization', basic(victim.username, `wrong-${i}-password`))
        .send({ token: 'x' });
      expect(r.status).toBe(401);
    }
    const locked = await t
      .http()
      .post('/authenticate/introspect')
      .set('Authorization', basic(victim.username, victim.password))
      .send({ token: 'x' });
    // Refused like a locked login: the right password does not get through while the lock lasts.
    expect(locked.status).toBe(401);
    const failures = (await auditEvents(t, 'login.failure')).filter((event) => event.username === victim.username);
    expect(failures.map((event) => event.details?.reason)).toContain('locked');
    expect(failures.filter((event) => event.details?.reason === 'wrong password').length).toBeLessThanOrEqual(5);
  });
});

describeE2E('POST /authenticate/revoke (RFC 7009)', () => {
  let t: TestApp;
  let user: { id: string; username: string; password: string };

  beforeAll(async () => {
    t = await createTestApp();
    user = await createUser(t);
  });
  afterAll(() => t.close());

  const revoke = (token: string) => t.http().post('/authenticate/revoke').type('form').send({ token });
  const me = (tokens: TokenBlock) => t.http().get('/authenticate/me').auth(tokens.access_token, { type: 'bearer' });

  it('revokes a refresh token’s session: its access token and refresh token stop working', async () => {
    const tokens = await login(t, user.username, user.password);
    const res = await revoke(tokens.refresh_token);
    expect(res.status).toBe(200);
    expect((await me(tokens)).status).toBe(401);
    expect((await t.http().post('/authenticate/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(401);
  });

  it('revokes an access token’s session, JSON body too', async () => {
    const tokens = await login(t, user.username, user.password);
    const other = await login(t, user.username, user.password);
    const res = await t.http().post('/authenticate/revoke').send({ token: tokens.access_token, token_type_hint: 'access_token' });
    expect(res.status).toBe(200);
    expect((await me(tokens)).status).toBe(401);
    expect((await t.http().post('/authenticate/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(401);
    // Only that session: the user's other session goes on.
    expect((await me(other)).status).toBe(200);
  });

  it('answers 200 for unknown, malformed, forged and already revoked tokens, changing nothing', async () => {
    const tokens = await login(t, user.username, user.password);
    const { sub, sid } = decodeJwt(tokens.access_token).payload;
    const forged = signWithServerKey(
      t,
      { sub, sid },
      { key: Buffer.from('an attacker key that is not the server key, sixty-four bytes.') },
    );
    for (const token of ['x'.repeat(43), 'not-a-token', 'a.b.c', forged]) {
      expect((await revoke(token)).status).toBe(200);
    }
    expect((await me(tokens)).status).toBe(200);
    expect((await revoke(tokens.refresh_token)).status).toBe(200);
    expect((await revoke(tokens.refresh_token)).status).toBe(200);
  });

  it('answers 400 without a token', async () => {
    const res = await t.http().post('/authenticate/revoke').type('form').send('token_type_hint=refresh_token');
    expect(res.status).toBe(400);
    expectErrorBody(res.body, 400, '/authenticate/revoke');
  });
});

describeE2E('POST /authenticate/refresh as the RFC 6749 token endpoint', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('takes grant_type=refresh_token form-encoded and answers the token block', async () => {
    const tokens = await login(t);
    const res = await t
      .http()
      .post('/authenticate/refresh')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.token_type).toBe('Bearer');
    expect(res.body.refresh_token).not.toBe(tokens.refresh_token);
  });

  it('refuses another grant type with 400', async () => {
    const tokens = await login(t);
    const res = await t
      .http()
      .post('/authenticate/refresh')
      .type('form')
      .send({ grant_type: 'password', refresh_token: tokens.refresh_token });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/grant_type must be refresh_token/);
  });
});
