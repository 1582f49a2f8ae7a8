import { BUILT_IN_PERMISSIONS } from '../src/common/permissions';
import { randomBytes, randomUUID } from 'node:crypto';
import { TestApp, createTestApp } from './support/test-app';
import { adminToken, createUser, decodeJwt, expectErrorBody, login, signWithServerKey, unsignedToken } from './support/auth-helpers';
import { describeE2E } from './support/test-database';

describeE2E('Bearer tokens and the global guards', () => {
  let t: TestApp;
  let adminId: string;

  beforeAll(async () => {
    t = await createTestApp();
    adminId = (
      await t
        .http()
        .get('/api/v1/users/me')
        .auth(await adminToken(t), { type: 'bearer' })
    ).body.id;
  });
  afterAll(() => t.close());

  async function expectInvalidToken(token: string | undefined, message: RegExp, path = '/authenticate/me') {
    const req = t.http().get(path);
    if (token !== undefined) req.set('Authorization', `Bearer ${token}`);
    const res = await req;
    expect(res.status).toBe(401);
    expectErrorBody(res.body, 401, path);
    expect(res.body.message).toMatch(message);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="gatehouse", error="invalid_token", error_description="[^"]+"$/);
    return res;
  }

  it('GET /authenticate/me returns the principal from the token', async () => {
    const token = await login(t);
    const res = await t.http().get('/authenticate/me').auth(token.access_token, { type: 'bearer' });
    expect(res.status).toBe(200);
    const { exp, auth_time } = decodeJwt(token.access_token).payload;
    expect(res.body).toEqual({
      id: adminId,
      username: 'admin',
      roles: ['ADMIN', 'USER'],
      permissions: [...BUILT_IN_PERMISSIONS].sort(),
      exp,
      amr: ['pwd'],
      auth_time,
    });
  });

  it('accepts the scheme name in any case (RFC 7235)', async () => {
    const token = await adminToken(t);
    const res = await t.http().get('/authenticate/me').set('Authorization', `bearer ${token}`);
    expect(res.status).toBe(200);
  });

  it('rejects a missing token', () => expectInvalidToken(undefined, /missing bearer token/i));

  it('rejects a Basic header on a bearer route', async () => {
    const res = await t.http().get('/api/v1/users/me').set('Authorization', 'Basic YWRtaW46eA==');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it('rejects garbage and non-JWT values', async () => {
    await expectInvalidToken('not-a-jwt', /malformed/i);
    await expectInvalidToken('a.b.c', /malformed/i);
    await expectInvalidToken('', /missing/i);
  });

  it('rejects a token whose payload was tampered with (roles escalated)', async () => {
    const user = await createUser(t);
    const { access_token } = await login(t, user.username, user.password);
    const [header, payload, signature] = access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.roles = ['ADMIN'];
    const forged = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    await expectInvalidToken(forged, /signature/i, '/api/v1/users');
  });

  it('rejects a token signed with another key', () =>
    expectInvalidToken(signWithServerKey(t, { sub: adminId }, { key: randomBytes(64) }), /signature/i));

  it('rejects alg "none" and every algorithm but HS512, even with the right key', async () => {
    await expectInvalidToken(unsignedToken({ sub: adminId, iss: 'gatehouse', aud: 'gatehouse', exp: 9999999999 }), /.+/);
    await expectInvalidToken(signWithServerKey(t, { sub: adminId }, { algorithm: 'HS256' }), /algorithm/i);
    await expectInvalidToken(signWithServerKey(t, { sub: adminId }, { algorithm: 'HS384' }), /algorithm/i);
  });

  it('rejects an expired token with a message that says so, with no clock leeway', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectInvalidToken(signWithServerKey(t, { sub: adminId, iat: now - 10, exp: now }), /expired/i);
  });

  it('rejects a real token once it expires', async () => {
    // exp is whole seconds (iat + validity, iat rounded down): a 1-s token can have 50 ms left when
    // issued, so a busy machine saw it expire before the first call. 2 s leaves at least 1 s of life.
    const res = await t.http().post('/authenticate/login?validity_secs=2').auth('admin', 'admin-password-for-tests');
    const token = res.body.token.access_token as string;
    expect((await t.http().get('/authenticate/me').auth(token, { type: 'bearer' })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await expectInvalidToken(token, /expired/i);
  });

  it('honours nbf', () =>
    expectInvalidToken(signWithServerKey(t, { sub: adminId, nbf: Math.floor(Date.now() / 1000) + 60 }), /not valid yet/i));

  it('rejects a wrong issuer or audience, and a token without them', async () => {
    await expectInvalidToken(signWithServerKey(t, { sub: adminId, iss: 'evil' }), /issuer/i);
    await expectInvalidToken(signWithServerKey(t, { sub: adminId, aud: 'other-app' }), /audience/i);
    await expectInvalidToken(signWithServerKey(t, { sub: adminId, iss: undefined }), /issuer/i);
    await expectInvalidToken(signWithServerKey(t, { sub: adminId, aud: undefined }), /audience/i);
  });

  it('rejects a token without exp', () => expectInvalidToken(signWithServerKey(t, { sub: adminId, exp: undefined }), /expiry/i));

  it.each([
    ['missing', undefined],
    ['null', null],
    ['a number', 42],
    ['not a UUID', 'admin'],
    ['an SQL fragment', "' OR 1=1 --"],
    ['a NUL byte', 'abc\u0000def'],
    ['an unknown UUID', randomUUID()],
  ])('rejects a signed token whose sub is %s with 401', (_case, sub) =>
    expectInvalidToken(signWithServerKey(t, { sub }), /subject|unknown/i, '/api/v1/users'),
  );

  it('rejects the token of a user who was disabled or deleted since', async () => {
    const user = await createUser(t);
    const { access_token } = await login(t, user.username, user.password);
    const admin = await adminToken(t);
    await t.http().patch(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' }).send({ enabled: false }).expect(200);
    await expectInvalidToken(access_token, /revoked/i);
    await t.http().delete(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' }).expect(204);
    await expectInvalidToken(access_token, /revoked/i);
  });

  it('answers 403 insufficient_scope when the role is missing', async () => {
    const user = await createUser(t);
    const { access_token } = await login(t, user.username, user.password);
    const res = await t.http().get('/api/v1/users').auth(access_token, { type: 'bearer' });
    expect(res.status).toBe(403);
    expectErrorBody(res.body, 403, '/api/v1/users');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="gatehouse", error="insufficient_scope"/);
  });

  it('applies a role change on the next request, not at token expiry: the old session ends', async () => {
    const user = await createUser(t, { roles: ['USER', 'ADMIN'] });
    const { access_token } = await login(t, user.username, user.password);
    expect((await t.http().get('/api/v1/users').auth(access_token, { type: 'bearer' })).status).toBe(200);
    await t
      .http()
      .patch(`/api/v1/users/${user.id}`)
      .auth(await adminToken(t), { type: 'bearer' })
      .send({ roles: ['USER'] })
      .expect(200);
    await expectInvalidToken(access_token, /revoked/i, '/api/v1/users');
    const again = await login(t, user.username, user.password);
    expect((await t.http().get('/api/v1/users').auth(again.access_token, { type: 'bearer' })).status).toBe(403);
  });

  describe('verified-token cache', () => {
    it('refuses a cached token the moment it expires', async () => {
      const res = await t.http().post('/authenticate/login?validity_secs=2').auth('admin', 'admin-password-for-tests');
      const token = res.body.token.access_token as string;
      const exp = decodeJwt(token).payload.exp as number;
      // First request verifies and caches; the next ones are cache hits.
      for (let i = 0; i < 3; i++) expect((await me(token)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now())));
      const expired = await me(token);
      expect(expired.status).toBe(401);
      expect(expired.body.message).toMatch(/expired/);
    });

    it('refuses a cached token’s signature under an altered header or payload, and keeps the genuine token', async () => {
      const user = await createUser(t);
      const { access_token } = await login(t, user.username, user.password);
      expect((await me(access_token)).status).toBe(200);
      const [header, payload, signature] = access_token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const altered = [
        [header, Buffer.from(JSON.stringify({ ...claims, roles: ['ADMIN'] })).toString('base64url'), signature],
        [Buffer.from(JSON.stringify({ ...decodeJwt(access_token).header, cty: 'altered' })).toString('base64url'), payload, signature],
      ];
      for (const parts of altered) {
        const res = await t.http().get('/api/v1/users').auth(parts.join('.'), { type: 'bearer' });
        expect([res.status, res.body.message]).toEqual([401, expect.stringMatching(/signature/i)]);
      }
      expect((await me(access_token)).status).toBe(200);
    });

    it('refuses a cached token the moment its session is revoked or its user disabled', async () => {
      const user = await createUser(t);
      const a = await login(t, user.username, user.password);
      const b = await login(t, user.username, user.password);
      for (const token of [a.access_token, b.access_token]) {
        expect((await me(token)).status).toBe(200);
        expect((await me(token)).status).toBe(200);
      }
      await t.http().post('/authenticate/logout').auth(a.access_token, { type: 'bearer' }).expect(204);
      expect((await me(a.access_token)).body.message).toMatch(/revoked/);
      expect((await me(b.access_token)).status).toBe(200);
      await t
        .http()
        .patch(`/api/v1/users/${user.id}`)
        .auth(await adminToken(t), { type: 'bearer' })
        .send({ enabled: false })
        .expect(200);
      const disabled = await me(b.access_token);
      expect(disabled.status).toBe(401);
      expect(disabled.body.message).toMatch(/revoked/);
    });
  });

  const me = (token: string) => t.http().get('/authenticate/me').auth(token, { type: 'bearer' });
});
