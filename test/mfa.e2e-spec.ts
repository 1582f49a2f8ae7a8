import { randomUUID } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { TestApp, createTestApp } from './support/test-app';
import { ADMIN } from './support/test-app';
import { adminToken, auditEvents, basic, createUser, decodeJwt, login, signWithServerKey } from './support/auth-helpers';
import { describeE2E } from './support/test-database';

type Res = { status: number; body: Record<string, unknown>; headers: Record<string, string> };

/** The code an authenticator app shows for `secret`, `offsetSteps` 30-second steps from now. */
function totpCode(secret: string, offsetSteps = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: Date.now() + offsetSteps * 30_000,
  });
}

describeE2E('Multi-factor login', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ LOGIN_MAX_FAILURES: '5' });
  });
  afterAll(() => t.close());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const me = (token: string) => t.http().get('/authenticate/me').set(bearer(token));
  const passwordLogin = (username: string, password: string) =>
    t.http().post('/authenticate/login').set('Authorization', basic(username, password));
  const complete = (body: Record<string, unknown>, query = '') => t.http().post(`/authenticate/mfa${query}`).send(body);

  /** A new user with TOTP enrolled and confirmed (at the current step): their secret, recovery codes and session. */
  async function userWithTotp(roles?: string[]): Promise<{
    id: string;
    username: string;
    password: string;
    secret: string;
    codes: string[];
    token: string;
  }> {
    const user = await createUser(t, roles ? { roles } : {});
    const { access_token: token } = await login(t, user.username, user.password);
    const started = await t.http().post('/api/v1/users/me/mfa/totp').set(bearer(token));
    expect(started.status).toBe(201);
    const secret = started.body.secret as string;
    const confirmed = await t
      .http()
      .post('/api/v1/users/me/mfa/totp/confirm')
      .set(bearer(token))
      .send({ code: totpCode(secret) });
    expect(confirmed.status).toBe(200);
    return { ...user, secret, codes: confirmed.body.recoveryCodes as string[], token };
  }

  /** The password step of a user with a factor: the mfa_token. */
  async function mfaToken(username: string, password: string): Promise<string> {
    const res = await passwordLogin(username, password);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('mfa_required');
    return res.body.mfa_token as string;
  }

  describe('TOTP enrolment', () => {
    it('gives a secret, an otpauth URI and a QR code, and turns on only after a correct code', async () => {
      const user = await createUser(t);
      const other = await login(t, user.username, user.password);
      const { access_token: token } = await login(t, user.username, user.password);
      const started = await t.http().post('/api/v1/users/me/mfa/totp').set(bearer(token));
      expect(started.status).toBe(201);
      const { secret, otpauthUri, qrSvg } = started.body as Record<string, string>;
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      const uri = new URL(otpauthUri);
      expect(uri.protocol).toBe('otpauth:');
      expect(uri.host).toBe('totp');
      expect(uri.searchParams.get('secret')).toBe(secret);
      expect(uri.searchParams.get('algorithm')).toBe('SHA1');
      expect(uri.searchParams.get('digits')).toBe('6');
      expect(uri.searchParams.get('period')).toBe('30');
      expect(decodeURIComponent(uri.pathname)).toContain(user.username);
      expect(qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);

      // Not on yet: the password alone still logs in.
      expect((await t.http().get('/api/v1/users/me/mfa').set(bearer(token))).body).toMatchObject({ totp: { enabled: false }, methods: [] });
      expect((await passwordLogin(user.username, user.password)).status).toBe(200);

      const wrong = await t
        .http()
        .post('/api/v1/users/me/mfa/totp/confirm')
        .set(bearer(token))
        .send({ code: totpCode(secret, 5) });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_code');
      const bad = await t.http().post('/api/v1/users/me/mfa/totp/confirm').set(bearer(token)).send({ code: '12345' });
      expect(bad.status).toBe(400);

      const confirmed = await t
        .http()
        .post('/api/v1/users/me/mfa/totp/confirm')
        .set(bearer(token))
        .send({ code: totpCode(secret) });
      expect(confirmed.status).toBe(200);
      const codes = confirmed.body.recoveryCodes as string[];
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);

      const status = await t.http().get('/api/v1/users/me/mfa').set(bearer(token));
      expect(status.body).toMatchObject({
        totp: { enabled: true },
        recoveryCodes: { remaining: 10 },
        passkeys: 0,
        methods: ['totp', 'recovery_code'],
      });
      // The secret is never shown again, and a second enrolment is refused while one is on.
      expect(JSON.stringify(status.body)).not.toContain(secret);
      expect((await t.http().post('/api/v1/users/me/mfa/totp').set(bearer(token))).status).toBe(409);
      // The change ended the user's other sessions, not this one.
      expect((await me(other.access_token)).status).toBe(401);
      expect((await me(token)).status).toBe(200);
      expect((await auditEvents(t, 'mfa.totp_enrolled')).some((event) => event.userId === user.id)).toBe(true);
    });

    it('stores the secret encrypted and the recovery codes hashed', async () => {
      const user = await userWithTotp();
      const [row] = await t.dataSource().query(`SELECT secret FROM mfa_totp WHERE user_id = '${user.id}'`);
      expect(row.secret).not.toContain(user.secret);
      const codes = await t.dataSource().query(`SELECT code_hash FROM mfa_recovery_codes WHERE user_id = '${user.id}'`);
      expect(codes).toHaveLength(10);
      for (const { code_hash } of codes) for (const code of user.codes) expect(code_hash).not.toContain(code.replace(/-/g, ''));
    });
  });

  describe('login with a second factor', () => {
    it('answers a correct password with 401 mfa_required (Basic and JSON alike) and starts no session', async () => {
      const user = await userWithTotp();
      const sessionsBefore = await t.dataSource().query(`SELECT id FROM sessions WHERE user_id = '${user.id}'`);
      const res = (await passwordLogin(user.username, user.password)) as Res;
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ status: 401, path: '/authenticate/login', message: expect.stringMatching(/second factor/) });
      expect(res.body).toMatchObject({ error: 'mfa_required', methods: ['totp', 'recovery_code'], expires_in: 300 });
      expect(res.body.mfa_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(res.body).not.toHaveProperty('token');
      expect(res.headers['www-authenticate']).not.toMatch(/basic/i);
      const json = (await t
        .http()
        .post('/authenticate/login')
        .set('X-Requested-With', 'XMLHttpRequest')
        .send({ username: user.username, password: user.password })) as Res;
      expect(json.status).toBe(401);
      expect(json.body).toMatchObject({ error: 'mfa_required', methods: ['totp', 'recovery_code'] });
      expect(json.headers['www-authenticate'] ?? '').not.toMatch(/basic/i);
      const sessionsAfter = await t.dataSource().query(`SELECT id FROM sessions WHERE user_id = '${user.id}'`);
      expect(sessionsAfter).toHaveLength(sessionsBefore.length);
      // A wrong password is still the plain failure: nothing about factors.
      const wrong = await passwordLogin(user.username, 'not-the-password');
      expect(wrong.status).toBe(401);
      expect(wrong.body).not.toHaveProperty('mfa_token');
    });

    it('completes with a TOTP code: tokens with amr and auth_time; cookie mode and validity_secs honoured', async () => {
      const user = await userWithTotp();
      const token = await mfaToken(user.username, user.password);
      // The enrolment spent the current step: its code is a replay now.
      const replay = await complete({ mfa_token: token, totp: totpCode(user.secret) });
      expect(replay.status).toBe(401);
      expect(replay.body.error).toBe('invalid_second_factor');
      const res = await complete({ mfa_token: token, totp: totpCode(user.secret, 1) }, '?validity_secs=120&cookie=true');
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ id: user.id, username: user.username });
      expect(res.body.token.expires_in).toBe(120);
      expect(res.body.token).not.toHaveProperty('refresh_token');
      expect(String(res.headers['set-cookie'])).toMatch(/HttpOnly/);
      const { payload } = decodeJwt(res.body.token.access_token);
      expect(payload.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
      expect(Math.abs((payload.auth_time as number) - Date.now() / 1000)).toBeLessThan(10);
      const principal = await me(res.body.token.access_token);
      expect(principal.status).toBe(200);
      expect(principal.body.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
      // The mfa_token was spent by the success.
      const again = await complete({ mfa_token: token, totp: totpCode(user.secret, 1) });
      expect(again.status).toBe(401);
      expect(again.body.error).toBe('invalid_mfa_token');
    });

    it('keeps the scope the password step asked for (a down-scoped login); a wider one is 400 before any factor', async () => {
      const admin = await adminToken(t);
      const role = await t.http().post('/api/v1/roles').set(bearer(admin)).send({ name: 'MFA_READER' });
      await t
        .http()
        .put(`/api/v1/roles/${role.body.id}/permissions`)
        .set(bearer(admin))
        .send({ permissions: ['users:read', 'audit:read'] });
      const user = await userWithTotp(['USER', 'MFA_READER']);
      const wider = await t.http().post('/authenticate/login?scope=users:write').set('Authorization', basic(user.username, user.password));
      expect(wider.status).toBe(400);
      expect(wider.body.error).toBe('invalid_scope');
      const step = await t.http().post('/authenticate/login?scope=audit:read').set('Authorization', basic(user.username, user.password));
      expect(step.body.error).toBe('mfa_required');
      const done = await complete({ mfa_token: step.body.mfa_token, totp: totpCode(user.secret, 1) });
      expect(done.status).toBe(200);
      expect(done.body.token.scope).toBe('audit:read');
      expect((await me(done.body.token.access_token)).body.permissions).toEqual(['audit:read']);
    });

    it('keeps amr and auth_time through refresh', async () => {
      const user = await userWithTotp();
      const token = await mfaToken(user.username, user.password);
      const res = await complete({ mfa_token: token, totp: totpCode(user.secret, 1) });
      const first = decodeJwt(res.body.token.access_token).payload;
      const refreshed = await t.http().post('/authenticate/refresh').send({ refresh_token: res.body.token.refresh_token });
      expect(refreshed.status).toBe(200);
      const second = decodeJwt(refreshed.body.token?.access_token ?? refreshed.body.access_token).payload;
      expect(second.amr).toEqual(first.amr);
      expect(second.auth_time).toBe(first.auth_time);
    });

    it('completes with a recovery code, once', async () => {
      const user = await userWithTotp();
      const res = await complete({ mfa_token: await mfaToken(user.username, user.password), recovery_code: user.codes[0].toLowerCase() });
      expect(res.status).toBe(200);
      expect(decodeJwt(res.body.token.access_token).payload.amr).toEqual(expect.arrayContaining(['pwd', 'mfa']));
      const spent = await complete({ mfa_token: await mfaToken(user.username, user.password), recovery_code: user.codes[0] });
      expect(spent.status).toBe(401);
      expect(spent.body.error).toBe('invalid_second_factor');
      const status = await t.http().get('/api/v1/users/me/mfa').set(bearer(res.body.token.access_token));
      expect(status.body.recoveryCodes).toEqual({ remaining: 9 });
      expect((await auditEvents(t, 'mfa.recovery_code_used')).some((event) => event.userId === user.id)).toBe(true);
    });

    it('refuses an unknown or malformed mfa_token, and more or fewer than one factor', async () => {
      const user = await userWithTotp();
      const token = await mfaToken(user.username, user.password);
      expect((await complete({ mfa_token: 'x'.repeat(43), totp: '123456' })).body.error).toBe('invalid_mfa_token');
      expect((await complete({ mfa_token: token })).status).toBe(400);
      expect((await complete({ mfa_token: token, totp: totpCode(user.secret, 1), recovery_code: user.codes[0] })).status).toBe(400);
      expect((await complete({ mfa_token: token, totp: 'abcdef' })).status).toBe(400);
      expect((await complete({ mfa_token: token, totp: totpCode(user.secret, 1), extra: 1 })).status).toBe(400);
    });

    it('refuses an expired mfa_token', async () => {
      const user = await userWithTotp();
      const token = await mfaToken(user.username, user.password);
      await t
        .dataSource()
        .query(
          `UPDATE mfa_challenges SET expires_at = ${t.databaseUrl.startsWith('postgres') ? "now() - interval '1 second'" : "'2000-01-01 00:00:00.000'"} WHERE user_id = '${user.id}'`,
        );
      const res = await complete({ mfa_token: token, totp: totpCode(user.secret, 1) });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_mfa_token');
    });

    it('counts wrong codes toward the username’s lock, like wrong passwords', async () => {
      const user = await userWithTotp();
      const token = await mfaToken(user.username, user.password);
      for (let i = 0; i < 5; i++) {
        const wrong = await complete({ mfa_token: token, totp: String(100000 + i) });
        expect(wrong.status).toBe(401);
        expect(wrong.body.error).toBe('invalid_second_factor');
      }
      // Locked now: the right code is refused too, and so is the password.
      const right = await complete({ mfa_token: token, totp: totpCode(user.secret, 1) });
      expect(right.status).toBe(401);
      const password = await passwordLogin(user.username, user.password);
      expect(password.status).toBe(401);
      expect(password.body).not.toHaveProperty('mfa_token');
      expect((await auditEvents(t, 'login.locked')).some((event) => event.userId === user.id)).toBe(true);
    });

    it('checks one submission at a time per mfa_token: of a burst of good recovery codes one is spent, and none counts as a failure', async () => {
      const user = await userWithTotp();
      const token = await mfaToken(user.username, user.password);
      const burst = await Promise.all(user.codes.slice(0, 5).map((code) => complete({ mfa_token: token, recovery_code: code })));
      expect(burst.filter((res) => res.status === 200)).toHaveLength(1);
      const session = burst.find((res) => res.status === 200)!.body.token.access_token as string;
      expect((await t.http().get('/api/v1/users/me/mfa').set(bearer(session))).body.recoveryCodes).toEqual({ remaining: 9 });
      expect((await auditEvents(t, 'login.failure')).filter((event) => event.userId === user.id)).toHaveLength(0);
    });

    it('lets one of a burst of completions with the same code and mfa_token through', async () => {
      const user = await userWithTotp();
      const token = await mfaToken(user.username, user.password);
      const code = totpCode(user.secret, 1);
      const results = await Promise.all(Array.from({ length: 10 }, () => complete({ mfa_token: token, totp: code })));
      expect(results.filter((res) => res.status === 200)).toHaveLength(1);
      // The others were not counted as wrong codes: the user is not locked.
      expect((await passwordLogin(user.username, user.password)).body.error).toBe('mfa_required');
    });
  });

  describe('step-up: recent authentication', () => {
    it('answers 401 insufficient_user_authentication with max_age when the login is older than 5 minutes', async () => {
      const user = await userWithTotp();
      const { payload } = decodeJwt(user.token);
      const { iat: _iat, exp: _exp, ...claims } = payload;
      const stale = signWithServerKey(t, { ...claims, auth_time: Math.floor(Date.now() / 1000) - 600 });
      const res = (await t.http().delete('/api/v1/users/me/mfa/totp').set(bearer(stale))) as Res;
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ status: 401, path: '/api/v1/users/me/mfa/totp' });
      expect(res.body).toMatchObject({ error: 'insufficient_user_authentication', max_age: 300 });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="gatehouse", error="insufficient_user_authentication",.*max_age=300/);
      const codes = (await t.http().post('/api/v1/users/me/mfa/recovery-codes').set(bearer(stale))) as Res;
      expect(codes.status).toBe(401);
      expect(codes.body.error).toBe('insufficient_user_authentication');
      // Adding a factor too: a stolen token must not become a factor of the thief's.
      expect((await t.http().post('/api/v1/users/me/mfa/totp').set(bearer(stale))).body.error).toBe('insufficient_user_authentication');
      expect((await t.http().post('/api/v1/users/me/passkeys/options').set(bearer(stale))).body.error).toBe(
        'insufficient_user_authentication',
      );
      // And an administrator's reset (of anyone's factors, their own included).
      const adminClaims = decodeJwt(await adminToken(t)).payload;
      const { iat: _aiat, exp: _aexp, ...adminRest } = adminClaims;
      const staleAdmin = signWithServerKey(t, { ...adminRest, auth_time: Math.floor(Date.now() / 1000) - 600 });
      expect((await t.http().delete(`/api/v1/users/${user.id}/mfa`).set(bearer(staleAdmin))).body.error).toBe(
        'insufficient_user_authentication',
      );
      // A token without auth_time at all is not recent either.
      const none = signWithServerKey(t, { ...claims, auth_time: undefined });
      expect((await t.http().delete('/api/v1/users/me/mfa/totp').set(bearer(none))).status).toBe(401);
    });

    it('regenerates recovery codes and removes TOTP after a fresh login; each change ends the other sessions', async () => {
      const user = await userWithTotp();
      const fresh = await complete({ mfa_token: await mfaToken(user.username, user.password), totp: totpCode(user.secret, 1) });
      const other = await complete({ mfa_token: await mfaToken(user.username, user.password), recovery_code: user.codes[1] });
      const token = fresh.body.token.access_token as string;
      const regenerated = await t.http().post('/api/v1/users/me/mfa/recovery-codes').set(bearer(token));
      expect(regenerated.status).toBe(200);
      expect(regenerated.body.recoveryCodes).toHaveLength(10);
      expect((await me(other.body.token.access_token)).status).toBe(401);
      // The old set stopped working.
      const old = await complete({ mfa_token: await mfaToken(user.username, user.password), recovery_code: user.codes[2] });
      expect(old.status).toBe(401);
      const removed = await t.http().delete('/api/v1/users/me/mfa/totp').set(bearer(token));
      expect(removed.status).toBe(204);
      expect((await t.http().get('/api/v1/users/me/mfa').set(bearer(token))).body).toMatchObject({
        totp: { enabled: false },
        recoveryCodes: { remaining: 0 },
        methods: [],
      });
      expect((await passwordLogin(user.username, user.password)).status).toBe(200);
      expect((await auditEvents(t, 'mfa.recovery_codes_generated')).some((event) => event.userId === user.id)).toBe(true);
      expect((await auditEvents(t, 'mfa.totp_removed')).some((event) => event.userId === user.id)).toBe(true);
    });
  });

  it('limits passwordless sign-in options per client IP (each one is a stored challenge)', async () => {
    const results = await Promise.all(Array.from({ length: 70 }, () => t.http().post('/authenticate/passkey/options')));
    expect(results.filter((res) => res.status === 200).length).toBeLessThanOrEqual(60);
    const limited = results.filter((res) => res.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(10);
    expect(Number(limited[0].headers['retry-after'])).toBeGreaterThan(0);
    const ok = results.find((res) => res.status === 200);
    expect(ok?.body).toMatchObject({
      rpId: 'localhost',
      userVerification: 'required',
      challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
  });

  it('documents the flow in the OpenAPI document Swagger UI shows', async () => {
    const doc = (await t.http().get('/docs-json')).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    for (const path of [
      '/authenticate/mfa',
      '/authenticate/mfa/webauthn-options',
      '/authenticate/passkey/options',
      '/authenticate/passkey/verify',
    ]) {
      expect(doc.paths[path]?.post).toBeDefined();
    }
    expect(JSON.stringify(doc.paths['/authenticate/login'].post.responses['401'])).toContain('mfa_required');
    expect(doc.paths['/api/v1/users/me/mfa/totp'].post).toBeDefined();
    expect(doc.paths['/api/v1/users/{id}/mfa'].delete).toBeDefined();
  });

  describe('administrators', () => {
    it('reset a user’s factors: audited, the user’s sessions end, the password alone logs in again', async () => {
      const user = await userWithTotp();
      const admin = await adminToken(t);
      const status = () => t.http().get(`/api/v1/users/${user.id}/mfa`).set(bearer(admin));
      const before = await status();
      expect(before.status).toBe(200);
      expect(before.headers['cache-control']).toBe('no-store');
      expect(before.body).toMatchObject({ totp: { enabled: true }, recoveryCodes: { remaining: 10 }, passkeys: 0 });
      expect(JSON.stringify(before.body)).not.toMatch(/secret/i);
      const res = await t.http().delete(`/api/v1/users/${user.id}/mfa`).set(bearer(admin));
      expect(res.status).toBe(204);
      expect((await status()).body).toMatchObject({ totp: { enabled: false }, recoveryCodes: { remaining: 0 }, passkeys: 0, methods: [] });
      expect((await t.http().get(`/api/v1/users/${randomUUID()}/mfa`).set(bearer(admin))).status).toBe(404);
      expect((await me(user.token)).status).toBe(401);
      expect((await passwordLogin(user.username, user.password)).status).toBe(200);
      const [event] = (await auditEvents(t, 'mfa.reset')).filter((e) => e.userId === user.id);
      expect(event).toBeDefined();
      // Only administrators.
      const { access_token: plain } = await login(t, user.username, user.password);
      expect((await t.http().delete(`/api/v1/users/${user.id}/mfa`).set(bearer(plain))).status).toBe(403);
      expect((await t.http().get(`/api/v1/users/${user.id}/mfa`).set(bearer(plain))).status).toBe(403);
    });
  });
});

describeE2E('MFA_REQUIRED_ROLES', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ MFA_REQUIRED_ROLES: 'INTROSPECT' });
  });
  afterAll(() => t.close());

  it('gives a user of such a role without a factor a session that may only enrol one', async () => {
    const user = await createUser(t, { roles: ['USER', 'INTROSPECT'] });
    const res = await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password));
    expect(res.status).toBe(200);
    const token = res.body.token.access_token as string;
    expect(decodeJwt(token).payload.restriction).toBe('mfa_enrolment');
    const bearer = { Authorization: `Bearer ${token}` };
    const blocked = await t.http().get('/api/v1/users/me/sessions').set(bearer);
    expect(blocked.status).toBe(403);
    expect(blocked.body.error).toBe('mfa_enrolment_required');
    expect(blocked.body.message).toMatch(/second factor/);
    expect((await t.http().post('/authenticate/introspect').set(bearer).send({ token })).status).toBe(403);
    // To anyone else the restricted session is not active: a resource server must not take it for a full login.
    const admin = {
      Authorization: `Bearer ${(await t.http().post('/authenticate/login').set('Authorization', basic(ADMIN.username, ADMIN.password))).body.token.access_token}`,
    };
    expect((await t.http().post('/authenticate/introspect').set(admin).send({ token })).body).toEqual({ active: false });
    expect((await t.http().post('/authenticate/introspect').set(admin).send({ token: res.body.token.refresh_token })).body).toEqual({
      active: false,
    });
    expect((await t.http().get('/authenticate/me').set(bearer)).status).toBe(200);
    const started = await t.http().post('/api/v1/users/me/mfa/totp').set(bearer);
    expect(started.status).toBe(201);
    const confirmed = await t
      .http()
      .post('/api/v1/users/me/mfa/totp/confirm')
      .set(bearer)
      .send({ code: totpCode(started.body.secret) });
    expect(confirmed.status).toBe(200);
    // From now on a login needs the factor.
    const next = await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password));
    expect(next.status).toBe(401);
    expect(next.body.error).toBe('mfa_required');
    const done = await t
      .http()
      .post('/authenticate/mfa')
      .send({ mfa_token: next.body.mfa_token, totp: totpCode(started.body.secret, 1) });
    expect(done.status).toBe(200);
    expect(decodeJwt(done.body.token.access_token).payload).not.toHaveProperty('restriction');
    expect(
      (
        await t
          .http()
          .get('/api/v1/users/me/sessions')
          .set({ Authorization: `Bearer ${done.body.token.access_token}` })
      ).status,
    ).toBe(200);
  });

  it('leaves users of other roles alone', async () => {
    const res = await t.http().post('/authenticate/login').set('Authorization', basic(ADMIN.username, ADMIN.password));
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.token.access_token).payload).not.toHaveProperty('restriction');
  });
});
