import { hash } from '@node-rs/argon2';
import { User } from '../src/users/entities/user.entity';
import { TestApp, createTestApp } from './support/test-app';
import { adminToken, basic, createUser, expectErrorBody, login } from './support/auth-helpers';
import { describeE2E } from './support/test-database';

describeE2E('Audit log and password policy', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ LOGIN_MAX_FAILURES: '2', REFRESH_REUSE_GRACE: '0' });
    admin = await adminToken(t);
  });
  afterAll(() => t.close());

  const audit = (query: string) => t.http().get(`/api/v1/audit?${query}`).auth(admin, { type: 'bearer' });

  it('records the security events of a user’s life, with IP and user agent, never secrets', async () => {
    const user = await createUser(t);
    const since = new Date().toISOString();
    await t
      .http()
      .post('/authenticate/login')
      .set('Authorization', basic(user.username, 'wrong-password-x'))
      .set('User-Agent', 'AuditTest/1');
    await t.http().post('/authenticate/login').set('Authorization', basic(user.username, 'wrong-password-y')); // locks
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password)); // still locked (60 s)
    await t.http().patch(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' }).send({ password: 'reset-by-admin-123' }).expect(200);
    const tokens = await login(t, 'admin', 'admin-password-for-tests');
    const second = (await t.http().post('/authenticate/refresh').send({ refresh_token: tokens.refresh_token })).body;
    await t.http().post('/authenticate/refresh').send({ refresh_token: tokens.refresh_token }); // reuse
    await t.http().post('/authenticate/logout').send({ refresh_token: second.refresh_token });
    await t
      .http()
      .patch(`/api/v1/users/${user.id}`)
      .auth(admin, { type: 'bearer' })
      .send({ roles: ['USER', 'ADMIN'] })
      .expect(200);
    await t.http().patch(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' }).send({ enabled: false }).expect(200);

    const res = await audit(`userId=${user.id}&from=${encodeURIComponent(since)}&limit=200`);
    expect(res.status).toBe(200);
    const types = (res.body.items as { type: string }[]).map((event) => event.type);
    for (const type of ['login.failure', 'login.locked', 'password.reset', 'user.roles_changed', 'user.disabled'])
      expect(types).toContain(type);
    const failure = res.body.items.find(
      (event: { type: string; userAgent: string }) => event.type === 'login.failure' && event.userAgent === 'AuditTest/1',
    );
    expect(failure).toMatchObject({ username: user.username, ip: expect.stringMatching(/127\.0\.0\.1/), requestId: expect.any(String) });
    const roles = res.body.items.find((event: { type: string }) => event.type === 'user.roles_changed');
    expect(roles.details).toEqual({ from: 'USER', to: 'ADMIN,USER' });

    const adminEvents = (await audit('limit=200')).body.items as { type: string }[];
    for (const type of ['login.success', 'token.refresh', 'token.reuse_detected', 'session.logout', 'user.created']) {
      expect(adminEvents.map((event) => event.type)).toContain(type);
    }
    const everything = JSON.stringify((await audit('limit=200')).body);
    for (const secret of [user.password, 'reset-by-admin-123', 'admin-password-for-tests', tokens.refresh_token, tokens.access_token]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('filters by type and time, pages, and validates the query', async () => {
    const res = await audit('type=login.success&limit=2');
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(2);
    expect(res.body.items.every((event: { type: string }) => event.type === 'login.success')).toBe(true);
    expect(res.body).toMatchObject({ page: 1, limit: 2, total: expect.any(Number) });
    const future = await audit(`from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.body.items).toEqual([]);
    for (const query of ['type=nope', 'userId=x', 'from=yesterday', 'limit=1000']) {
      const bad = await audit(query);
      expect(bad.status).toBe(400);
      expectErrorBody(bad.body, 400, '/api/v1/audit');
    }
  });

  it('exports the filtered events as CSV, every page, newest first, formulas neutralised', async () => {
    const user = await createUser(t);
    const since = new Date().toISOString();
    for (const password of ['wrong-password-1', 'wrong-password-2'])
      await t.http().post('/authenticate/login').set('Authorization', basic(user.username, password)).set('User-Agent', '@evil "agent"');
    const json = (await audit(`userId=${user.id}&from=${encodeURIComponent(since)}&limit=1`)).body;
    expect(json.total).toBeGreaterThanOrEqual(2);

    const res = await t
      .http()
      .get(`/api/v1/audit?userId=${user.id}&from=${encodeURIComponent(since)}&limit=1&page=1`)
      .set('Accept', 'text/csv')
      .auth(admin, { type: 'bearer' })
      .buffer(true)
      .parse((response, done) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        response.on('end', () => done(null, text));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="gatehouse-audit-[0-9TZ-]+\.csv"$/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.vary).toMatch(/Accept/);
    const body = res.body as string;
    const lines = body.split('\r\n');
    expect(lines[0]).toBe('timestamp,type,userId,username,actorId,actor,ip,userAgent,requestId,details');
    expect(lines.at(-1)).toBe('');
    // Every matching event, not one page: `limit=1` is ignored.
    expect(lines.length - 2).toBe(json.total);
    const first = lines[1].split('","');
    expect(first[0]).toBe(`"${json.items[0].timestamp}`);
    expect(first[1]).toBe(json.items[0].type);
    expect(first[3]).toBe(user.username);
    // A user agent a spreadsheet would run as a formula stays text.
    expect(body).toContain(`"'@evil ""agent"""`);
    expect(body).not.toMatch(/(^|,)"[=+\-@]/m);

    const bad = await t.http().get('/api/v1/audit?type=nope').set('Accept', 'text/csv').auth(admin, { type: 'bearer' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/type must be one of/);
  });

  it('is for ADMIN only', async () => {
    const user = await createUser(t);
    const { access_token } = await login(t, user.username, user.password);
    expect((await t.http().get('/api/v1/audit').auth(access_token, { type: 'bearer' })).status).toBe(403);
    expect((await t.http().get('/api/v1/audit').set('Accept', 'text/csv').auth(access_token, { type: 'bearer' })).status).toBe(403);
    expect((await t.http().get('/api/v1/audit')).status).toBe(401);
  });

  describe('password policy', () => {
    it.each([
      ['too short', 'short-pw', /at least 12/],
      ['too long', 'x'.repeat(129), /at most 128/],
      ['common', 'password1234', /too common/],
      ['common in another case', 'QWERTYUIOP123', /too common/],
      ['the username', 'policy-user-name', /username/],
    ])('refuses a %s password on create, naming the field', async (_case, password, message) => {
      const res = await t.http().post('/api/v1/users').auth(admin, { type: 'bearer' }).send({ username: 'policy-user-name', password });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/password/);
      expect(res.body.message).toMatch(message);
    });

    it('applies on admin update and on own change', async () => {
      const user = await createUser(t);
      const update = await t.http().patch(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' }).send({ password: 'password1234' });
      expect(update.status).toBe(400);
      const { access_token } = await login(t, user.username, user.password);
      const change = await t
        .http()
        .put('/api/v1/users/me/password')
        .auth(access_token, { type: 'bearer' })
        .send({ currentPassword: user.password, newPassword: user.username });
      expect(change.status).toBe(400);
      expect(change.body.message).toMatch(/newPassword/);
    });

    it('upgrades a hash made with weaker argon2 parameters at the next login', async () => {
      const user = await createUser(t);
      const weak = await hash(user.password, { algorithm: 2, memoryCost: 4096, timeCost: 1, parallelism: 1 });
      await t.dataSource().getRepository(User).update({ id: user.id }, { passwordHash: weak });
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password))).status).toBe(200);
      const row = await t
        .dataSource()
        .getRepository(User)
        .createQueryBuilder('u')
        .addSelect('u.passwordHash')
        .where('u.id = :id', { id: user.id })
        .getOneOrFail();
      expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password))).status).toBe(200);
    });
  });
});
