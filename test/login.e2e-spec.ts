import { BUILT_IN_PERMISSIONS } from '../src/common/permissions';
import { ADMIN, TestApp, createTestApp } from './support/test-app';
import { basic, createUser, decodeJwt, expectErrorBody, serverIssuer } from './support/auth-helpers';
import { describeE2E, testAlgorithm } from './support/test-database';

describeE2E('POST /authenticate/login', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('logs in with Basic credentials: 200, the user and an HS512 token block, not cached', async () => {
    const res = await t.http().post('/authenticate/login').set('Authorization', basic(ADMIN.username, ADMIN.password));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: 'admin',
      email: null,
      emailVerified: false,
      locale: null,
      firstName: null,
      lastName: null,
      enabled: true,
      identityProvider: null,
      systemId: null,
      roles: [
        { id: expect.any(String), name: 'ADMIN' },
        { id: expect.any(String), name: 'USER' },
      ],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(res.body.user).not.toHaveProperty('passwordHash');
    expect(res.body.token).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 300,
      refresh_token: expect.any(String),
      refresh_expires_in: 1209600,
    });
    const { header, payload } = decodeJwt(res.body.token.access_token);
    // HS512 by default; in the key-pair projects the configured algorithm, with the RFC 7638 thumbprint as kid.
    const kid = testAlgorithm() === 'HS512' ? /^[A-Za-z0-9_-]{16}$/ : /^[A-Za-z0-9_-]{43}$/;
    expect(header).toEqual({ alg: testAlgorithm(), typ: 'JWT', kid: expect.stringMatching(kid) });
    expect(payload).toEqual({
      iss: serverIssuer(t),
      aud: 'gatehouse',
      sub: res.body.user.id,
      preferred_username: 'admin',
      roles: ['ADMIN', 'USER'],
      sid: expect.any(String),
      iat: expect.any(Number),
      exp: (payload.iat as number) + 300,
      jti: expect.any(String),
      // How and when the user authenticated (RFC 8176; OpenID Connect's auth_time).
      amr: ['pwd'],
      auth_time: expect.any(Number),
      // The permissions the token may use (RFC 9068 §2.2.3): ADMIN holds every built-in one.
      scope: [...BUILT_IN_PERMISSIONS].sort().join(' '),
    });
    expect(Math.abs((payload.auth_time as number) - (payload.iat as number))).toBeLessThanOrEqual(1);
    // Opaque refresh token of at least 256 bits.
    expect(Buffer.from(res.body.token.refresh_token, 'base64url').length).toBeGreaterThanOrEqual(32);
  });

  it('accepts a JSON body {username, password}', async () => {
    const res = await t.http().post('/authenticate/login').send({ username: ADMIN.username, password: ADMIN.password });
    expect(res.status).toBe(200);
    expect(res.body.user.username).toBe('admin');
  });

  it('prefers the Basic header when a body is sent too (as Swagger UI does)', async () => {
    const good = await t
      .http()
      .post('/authenticate/login')
      .set('Authorization', basic(ADMIN.username, ADMIN.password))
      .send({ username: ADMIN.username, password: 'wrong password entirely' });
    expect(good.status).toBe(200);
    const bad = await t
      .http()
      .post('/authenticate/login')
      .set('Authorization', basic(ADMIN.username, 'wrong password entirely'))
      .send({ username: ADMIN.username, password: ADMIN.password });
    expect(bad.status).toBe(401);
  });

  it('matches usernames case-insensitively', async () => {
    const res = await t.http().post('/authenticate/login').set('Authorization', basic('ADMIN', ADMIN.password));
    expect(res.status).toBe(200);
    expect(res.body.user.username).toBe('admin');
  });

  it('splits Basic credentials at the first colon: a password with colons works, a suffix does not', async () => {
    const user = await createUser(t, { password: 'pass:word:with:colons' });
    const ok = await t.http().post('/authenticate/login').set('Authorization', basic(user.username, 'pass:word:with:colons'));
    expect(ok.status).toBe(200);
    const other = await createUser(t, { password: 'plain-password-1' });
    const junk = await t.http().post('/authenticate/login').set('Authorization', basic(other.username, 'plain-password-1:junk'));
    expect(junk.status).toBe(401);
  });

  it('decodes Basic credentials as UTF-8 (RFC 7617)', async () => {
    const user = await createUser(t, { password: 'pässwörd-ünïcode-🔑' });
    const res = await t.http().post('/authenticate/login').set('Authorization', basic(user.username, 'pässwörd-ünïcode-🔑'));
    expect(res.status).toBe(200);
  });

  it('answers a wrong password and an unknown user alike: 401, same message, Basic challenge', async () => {
    const wrong = await t.http().post('/authenticate/login').set('Authorization', basic(ADMIN.username, 'not-the-password'));
    const unknown = await t.http().post('/authenticate/login').set('Authorization', basic('nobody-here', 'not-the-password'));
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="gatehouse", charset="UTF-8"');
      expectErrorBody(res.body, 401, '/authenticate/login');
      expect(res.body.message).toBe('Invalid username or password');
    }
  });

  it('rejects a disabled user with the same 401', async () => {
    const user = await createUser(t, { enabled: false });
    const res = await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password));
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('Invalid username or password');
  });

  it('sends no Basic challenge to browser apps (JSON login or X-Requested-With)', async () => {
    const json = await t.http().post('/authenticate/login').send({ username: ADMIN.username, password: 'nope-nope-nope' });
    expect(json.status).toBe(401);
    expect(json.headers['www-authenticate'] ?? '').not.toMatch(/basic/i);
    const xhr = await t
      .http()
      .post('/authenticate/login')
      .set('X-Requested-With', 'XMLHttpRequest')
      .set('Authorization', basic(ADMIN.username, 'nope-nope-nope'));
    expect(xhr.status).toBe(401);
    expect(xhr.headers['www-authenticate'] ?? '').not.toMatch(/basic/i);
    expect(xhr.body.message).toBe('Invalid username or password');
  });

  it('asks for credentials when none are sent', async () => {
    const res = await t.http().post('/authenticate/login');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm="gatehouse"/);
    expectErrorBody(res.body, 401, '/authenticate/login');
  });

  it.each([
    ['no colon', `Basic ${Buffer.from('adminpassword').toString('base64')}`],
    ['bad base64', 'Basic !!!not-base64!!!'],
    ['empty user-id', `Basic ${Buffer.from(':password-only').toString('base64')}`],
    ['not UTF-8', `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe, 0xfd]).toString('base64')}`],
    ['nothing after the scheme', 'Basic'],
  ])('rejects a malformed Basic header (%s) with 401', async (_case, header) => {
    const res = await t.http().post('/authenticate/login').set('Authorization', header);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic /);
    expectErrorBody(res.body, 401, '/authenticate/login');
  });

  it('rejects a JSON body with wrong types or unknown fields with a 400 naming them', async () => {
    const res = await t
      .http()
      .post('/authenticate/login')
      .send({ username: 42, password: ['x'], admin: true });
    expect(res.status).toBe(400);
    expectErrorBody(res.body, 400, '/authenticate/login');
    expect(res.body.message).toMatch(/username/);
    expect(res.body.message).toMatch(/password/);
    expect(res.body.message).toMatch(/admin/);
  });

  describe('validity_secs', () => {
    it('sets a shorter access-token lifetime', async () => {
      const res = await t.http().post('/authenticate/login?validity_secs=60').set('Authorization', basic(ADMIN.username, ADMIN.password));
      expect(res.status).toBe(200);
      expect(res.body.token.expires_in).toBe(60);
      const { payload } = decodeJwt(res.body.token.access_token);
      expect((payload.exp as number) - (payload.iat as number)).toBe(60);
    });

    it('clamps a longer one to ACCESS_TOKEN_MAX_TTL', async () => {
      const res = await t
        .http()
        .post('/authenticate/login?validity_secs=999999999999')
        .set('Authorization', basic(ADMIN.username, ADMIN.password));
      expect(res.status).toBe(200);
      expect(res.body.token.expires_in).toBe(3600);
    });

    it.each(['abc', '0', '-1', '1.5', '', '1e3', ' 5'])('rejects validity_secs=%j with 400', async (value) => {
      const res = await t
        .http()
        .post(`/authenticate/login?validity_secs=${encodeURIComponent(value)}`)
        .set('Authorization', basic(ADMIN.username, ADMIN.password));
      expect(res.status).toBe(400);
      expectErrorBody(res.body, 400, '/authenticate/login');
      expect(res.body.message).toMatch(/validity_secs/);
    });
  });
});
