import { IsNull, Not } from 'typeorm';
import { RefreshToken } from '../src/sessions/entities/refresh-token.entity';
import { hashToken } from '../src/sessions/refresh-token.service';
import { TestApp, createTestApp } from './support/test-app';
import { adminToken, createUser, decodeJwt, expectErrorBody, login } from './support/auth-helpers';
import { describeE2E } from './support/test-database';

describeE2E('POST /authenticate/refresh', () => {
  let t: TestApp;

  beforeAll(async () => {
    // No reuse grace here: every replay of a spent token is treated as theft.
    t = await createTestApp({ REFRESH_REUSE_GRACE: '0' });
  });
  afterAll(() => t.close());

  const refresh = (refresh_token: unknown) => t.http().post('/authenticate/refresh').send({ refresh_token });

  async function expectRefused(refreshToken: string, message: RegExp) {
    const res = await refresh(refreshToken);
    expect(res.status).toBe(401);
    expectErrorBody(res.body, 401, '/authenticate/refresh');
    expect(res.body.message).toMatch(message);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
  }

  it('returns a new token block and rotates the refresh token', async () => {
    const first = await login(t);
    const res = await refresh(first.refresh_token);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 300,
      refresh_token: expect.any(String),
      refresh_expires_in: 1209600,
    });
    expect(res.body.refresh_token).not.toBe(first.refresh_token);
    expect(res.body.access_token).not.toBe(first.access_token);
    // Same session, fresh token id.
    const before = decodeJwt(first.access_token).payload;
    const after = decodeJwt(res.body.access_token).payload;
    expect(after.sid).toBe(before.sid);
    expect(after.jti).not.toBe(before.jti);
    expect((await t.http().get('/authenticate/me').auth(res.body.access_token, { type: 'bearer' })).status).toBe(200);
  });

  it('treats a spent token as stolen: 401, and the whole session is revoked', async () => {
    const first = await login(t);
    const second = (await refresh(first.refresh_token)).body;
    const third = (await refresh(second.refresh_token)).body;
    expect(third.refresh_token).toEqual(expect.any(String));
    await expectRefused(first.refresh_token, /already used/i);
    // The legitimate holder's newest token died with the session.
    await expectRefused(third.refresh_token, /session .*ended/i);
  });

  it('lets exactly one of concurrent exchanges of the same token win when there is no grace', async () => {
    const { refresh_token } = await login(t);
    const results = await Promise.all([refresh(refresh_token), refresh(refresh_token), refresh(refresh_token)]);
    // The first exchange wins; the others are replays and end the session (which may also refuse
    // the winner's answer if it comes after): never more than one success.
    expect(results.filter((res) => res.status === 200).length).toBeLessThanOrEqual(1);
    expect(results.filter((res) => res.status === 401).length).toBeGreaterThanOrEqual(2);
    // No duplicate successors: the family holds the spent token and exactly one successor.
    const { sessionId } = await t
      .dataSource()
      .getRepository(RefreshToken)
      .findOneByOrFail({ spentAt: Not(IsNull()), tokenHash: hashToken(refresh_token) });
    expect(await t.dataSource().getRepository(RefreshToken).countBy({ sessionId })).toBe(2);
  });

  it('does not touch other sessions of the same user when one is revoked', async () => {
    const a = await login(t);
    const b = await login(t);
    await refresh(a.refresh_token);
    await expectRefused(a.refresh_token, /already used/i);
    expect((await refresh(b.refresh_token)).status).toBe(200);
  });

  it('rejects an unknown refresh token', () => expectRefused('x'.repeat(43), /not valid/i));

  it('rejects an access token presented as a refresh token', async () => {
    const { access_token } = await login(t);
    await expectRefused(access_token, /not valid/i);
  });

  it('rejects an expired refresh token', async () => {
    const { refresh_token } = await login(t);
    // Only this token: the other tests' tokens in the table stay as they are.
    await t
      .dataSource()
      .getRepository(RefreshToken)
      .update({ tokenHash: hashToken(refresh_token) }, { expiresAt: new Date(Date.now() - 1000) });
    await expectRefused(refresh_token, /expired/i);
  });

  it('refuses to refresh for a user who was disabled since', async () => {
    const user = await createUser(t);
    const { refresh_token } = await login(t, user.username, user.password);
    await t
      .http()
      .patch(`/api/v1/users/${user.id}`)
      .auth(await adminToken(t), { type: 'bearer' })
      .send({ enabled: false })
      .expect(200);
    await expectRefused(refresh_token, /ended/i);
  });

  it('stores only a hash of the refresh token', async () => {
    const { refresh_token } = await login(t);
    const rows = await t.dataSource().getRepository(RefreshToken).find();
    expect(rows.some((row) => row.tokenHash === refresh_token)).toBe(false);
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.tokenHash))).toBe(true);
  });

  it.each([
    ['no body', undefined],
    ['a number', 12345],
    ['an empty string', ''],
  ])('answers 400 naming refresh_token for %s', async (_case, value) => {
    const res = value === undefined ? await t.http().post('/authenticate/refresh').send({}) : await refresh(value);
    expect(res.status).toBe(400);
    expectErrorBody(res.body, 400, '/authenticate/refresh');
    expect(res.body.message).toMatch(/refresh_token/);
  });

  it('accepts validity_secs on refresh too', async () => {
    const { refresh_token } = await login(t);
    const res = await t.http().post('/authenticate/refresh?validity_secs=30').send({ refresh_token });
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBe(30);
  });
});

describeE2E('POST /authenticate/refresh with the reuse grace (two tabs)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ REFRESH_REUSE_GRACE: '2' });
  });
  afterAll(() => t.close());

  const refresh = (refresh_token: string) => t.http().post('/authenticate/refresh').send({ refresh_token });

  it('gives concurrent exchanges of one token the same successor, and the session survives', async () => {
    const { refresh_token } = await login(t);
    const results = await Promise.all([refresh(refresh_token), refresh(refresh_token), refresh(refresh_token)]);
    expect(results.map((res) => res.status)).toEqual([200, 200, 200]);
    const successors = new Set(results.map((res) => res.body.refresh_token as string));
    expect(successors.size).toBe(1);
    const [successor] = [...successors];
    expect(successor).not.toBe(refresh_token);
    const next = await refresh(successor);
    expect(next.status).toBe(200);
    expect((await t.http().get('/authenticate/me').auth(next.body.access_token, { type: 'bearer' })).status).toBe(200);
  });

  it('answers only the immediate predecessor of the live token within the grace: an older one is reuse', async () => {
    const { refresh_token: r0 } = await login(t);
    const r1 = (await refresh(r0)).body.refresh_token as string;
    const r2 = await refresh(r1);
    expect(r2.status).toBe(200);
    // r1 is the live token's predecessor: a second tab presenting it gets r2 again.
    expect((await refresh(r1)).body.refresh_token).toBe(r2.body.refresh_token);
    // r0 is two steps behind: reuse, and the whole session ends.
    const replay = await refresh(r0);
    expect(replay.status).toBe(401);
    expect(replay.body.message).toMatch(/already used/);
    expect((await refresh(r2.body.refresh_token)).status).toBe(401);
    expect((await t.http().get('/authenticate/me').auth(r2.body.access_token, { type: 'bearer' })).status).toBe(401);
  });

  it('treats a replay after the grace as theft and ends the session', async () => {
    const { refresh_token } = await login(t);
    const first = await refresh(refresh_token);
    expect(first.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const replay = await refresh(refresh_token);
    expect(replay.status).toBe(401);
    expect(replay.body.message).toMatch(/already used/);
    expect((await refresh(first.body.refresh_token)).status).toBe(401);
    expect((await t.http().get('/authenticate/me').auth(first.body.access_token, { type: 'bearer' })).status).toBe(401);
  });
});

describeE2E('SESSION_MAX_LIFETIME: refreshes slide the expiry up to an absolute end', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SESSION_MAX_LIFETIME: '4', REFRESH_TOKEN_TTL: '3600' });
  });
  afterAll(() => t.close());

  const refresh = (refresh_token: string) => t.http().post('/authenticate/refresh').send({ refresh_token });

  it('says the truth in refresh_expires_in and refuses to refresh past the session’s start plus the maximum', async () => {
    const first = await login(t);
    expect(first.refresh_expires_in).toBeLessThanOrEqual(4);
    expect(first.expires_in).toBeLessThanOrEqual(4);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const second = await refresh(first.refresh_token);
    expect(second.status).toBe(200);
    // Not another hour: what is left of the four seconds.
    expect(second.body.refresh_expires_in).toBeLessThanOrEqual(3);
    expect(second.body.expires_in).toBeLessThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const late = await refresh(second.body.refresh_token);
    expect(late.status).toBe(401);
    expect(late.body.message).toMatch(/expired/);
  });
});
