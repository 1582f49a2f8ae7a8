import { ADMIN, TestApp, createTestApp } from './support/test-app';
import { adminToken, basic, createUser, signWithServerKey } from './support/auth-helpers';
import { describeE2E } from './support/test-database';

/** Every error body carries a stable `code` (docs/errors.md); RFC 9457 Problem Details on request. */
describeE2E('Error codes', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp({ LOGIN_MAX_FAILURES: '2', LOGIN_LOCK_SECONDS: '60', LOGIN_IP_MAX_FAILURES: '1000' });
    admin = await adminToken(t);
  });
  afterAll(() => t.close());

  it('names what went wrong with a token: token_expired only when the access token ran out, else invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = signWithServerKey(t, { sub: 'x', iat: now - 600, exp: now - 300 });
    const response = await t.http().get('/authenticate/me').auth(expired, { type: 'bearer' });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'token_expired', error: 'Unauthorized' });
    expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    const bad = await t.http().get('/authenticate/me').auth('not.a.token', { type: 'bearer' });
    expect(bad.body.code).toBe('invalid_token');
    expect((await t.http().get('/authenticate/me')).body.code).toBe('invalid_token');
  });

  it('answers a locked account with exactly the body of a wrong password (invalid_credentials)', async () => {
    const user = await createUser(t);
    const attempt = (password: string) => t.http().post('/authenticate/login').set('Authorization', basic(user.username, password));
    const wrong = await attempt('wrong-password-x');
    await attempt('wrong-password-x');
    const locked = await attempt(user.password);
    expect(locked.status).toBe(wrong.status);
    expect(locked.headers['www-authenticate']).toBe(wrong.headers['www-authenticate']);
    const { timestamp: _a, ...lockedRest } = locked.body as Record<string, unknown>;
    const { timestamp: _b, ...wrongRest } = wrong.body as Record<string, unknown>;
    expect(lockedRest).toEqual(wrongRest);
    expect(wrong.body.code).toBe('invalid_credentials');
  });

  it('gives validation, not-found, conflict, permission and method errors their codes', async () => {
    const invalid = await t.http().post('/api/v1/users').auth(admin, { type: 'bearer' }).send({ username: 42 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('validation_failed');
    // The same code wherever a field breaks a rule: a login body, a path id, a password policy.
    const loginBody = await t.http().post('/authenticate/login').send({ username: 5 });
    expect([loginBody.status, loginBody.body.code]).toEqual([400, 'validation_failed']);
    const badId = await t.http().get('/api/v1/users/not-a-uuid').auth(admin, { type: 'bearer' });
    expect([badId.status, badId.body.code]).toEqual([400, 'validation_failed']);
    const missing = await t.http().get('/api/v1/users/00000000-0000-4000-8000-000000000000').auth(admin, { type: 'bearer' });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
    expect((await t.http().get('/no/such/route')).body.code).toBe('not_found');
    const duplicate = await t
      .http()
      .post('/api/v1/users')
      .auth(admin, { type: 'bearer' })
      .send({ username: ADMIN.username, password: 'another-long-password-9', email: 'dup@example.org' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('conflict');
    const user = await createUser(t);
    const login = await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password));
    const forbidden = await t.http().get('/api/v1/audit').auth(login.body.token.access_token, { type: 'bearer' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('insufficient_scope');
    const badJson = await t.http().post('/authenticate/refresh').set('Content-Type', 'application/json').send('{"refresh');
    expect(badJson.status).toBe(400);
    expect(badJson.body.code).toBe('bad_request');
  });

  it('answers RFC 9457 Problem Details to a client that asks for them, with the same content', async () => {
    const plain = await t.http().get('/authenticate/me').auth('not.a.token', { type: 'bearer' });
    const problem = await t
      .http()
      .get('/authenticate/me')
      .set('Accept', 'application/problem+json')
      .auth('not.a.token', { type: 'bearer' })
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => done(null, JSON.parse(text)));
      });
    expect(problem.status).toBe(401);
    expect(problem.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(problem.headers['www-authenticate']).toBe(plain.headers['www-authenticate']);
    expect(problem.body).toEqual({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: plain.body.message,
      instance: '/authenticate/me',
      code: 'invalid_token',
      timestamp: expect.any(String),
    });
    // A URL the router refuses (bad percent-encoding) answers in the same form.
    const router = await t.http().get('/api/v1/users/%E0%A4%A').set('Accept', 'application/problem+json');
    expect(router.status).toBe(400);
    expect(router.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    // `;q=0` means "not this one".
    const refused = await t.http().get('/nope').set('Accept', 'application/json, application/problem+json;q=0');
    expect(refused.headers['content-type']).toBe('application/json; charset=utf-8');
    // Errors are never cached, and caches key them by Accept (the two forms differ); CORS's Vary stays.
    for (const response of [problem, router, refused]) {
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers.vary).toMatch(/\bAccept\b/);
    }
  });
});
