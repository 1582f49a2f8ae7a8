import { randomUUID } from 'node:crypto';
import { TestApp, createTestApp } from './support/test-app';
import { adminToken, basic, createUser, expectErrorBody, login } from './support/auth-helpers';
import { describeE2E } from './support/test-database';

describeE2E('/api/v1/users', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminToken(t);
  });
  afterAll(() => t.close());

  const asAdmin = () => ({
    get: (path: string) => t.http().get(path).auth(admin, { type: 'bearer' }),
    post: (path: string) => t.http().post(path).auth(admin, { type: 'bearer' }),
    patch: (path: string) => t.http().patch(path).auth(admin, { type: 'bearer' }),
    delete: (path: string) => t.http().delete(path).auth(admin, { type: 'bearer' }),
  });

  describe('POST', () => {
    it('creates a user with roles by name: 201, no password in the response', async () => {
      const res = await asAdmin()
        .post('/api/v1/users')
        .send({
          username: 'Carol',
          password: 'carol-password-1',
          email: 'carol@example.org',
          firstName: 'Carol',
          lastName: 'C',
          roles: ['USER', 'ADMIN'],
        });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        username: 'Carol',
        email: 'carol@example.org',
        emailVerified: false,
        locale: null,
        firstName: 'Carol',
        lastName: 'C',
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
      expect(JSON.stringify(res.body)).not.toMatch(/argon2|password/i);
      const loggedIn = await t.http().post('/authenticate/login').set('Authorization', basic('carol', 'carol-password-1'));
      expect(loggedIn.status).toBe(200);
    });

    it('gives new users the USER role when no roles are named', async () => {
      const res = await asAdmin().post('/api/v1/users').send({ username: 'dave', password: 'dave-password-1' });
      expect(res.status).toBe(201);
      expect(res.body.roles.map((role: { name: string }) => role.name)).toEqual(['USER']);
    });

    it('answers 409 for a taken username, whatever its case', async () => {
      await asAdmin().post('/api/v1/users').send({ username: 'erin', password: 'erin-password-1' }).expect(201);
      const res = await asAdmin().post('/api/v1/users').send({ username: 'ERIN', password: 'erin-password-2' });
      expect(res.status).toBe(409);
      expectErrorBody(res.body, 409, '/api/v1/users');
    });

    it('answers 400 naming each invalid field, and creates nothing', async () => {
      const before = (await asAdmin().get('/api/v1/users')).body.total;
      const res = await asAdmin()
        .post('/api/v1/users')
        .send({ username: 'bad name!', password: 'short', email: 'not-an-email', enabled: 'yes' });
      expect(res.status).toBe(400);
      expectErrorBody(res.body, 400, '/api/v1/users');
      for (const field of ['username', 'password', 'email', 'enabled']) expect(res.body.message).toMatch(field);
      expect((await asAdmin().get('/api/v1/users')).body.total).toBe(before);
    });

    it('refuses unknown fields and unknown roles with 400', async () => {
      const extra = await asAdmin()
        .post('/api/v1/users')
        .send({ username: 'frank', password: 'frank-password-1', id: randomUUID(), isAdmin: true });
      expect(extra.status).toBe(400);
      expect(extra.body.message).toMatch(/isAdmin/);
      const role = await asAdmin()
        .post('/api/v1/users')
        .send({ username: 'frank', password: 'frank-password-1', roles: ['GOD'] });
      expect(role.status).toBe(400);
      expect(role.body.message).toMatch(/GOD/);
    });

    it('rejects look-alike Unicode and SQL in usernames with 400', async () => {
      for (const username of ['аdmin' /* Cyrillic а */, "x' OR '1'='1", 'a\u0000b']) {
        const res = await asAdmin().post('/api/v1/users').send({ username, password: 'some-password-1' });
        expect(res.status).toBe(400);
      }
    });
  });

  describe('GET', () => {
    it('lists users a page at a time', async () => {
      await createUser(t);
      await createUser(t);
      const all = await asAdmin().get('/api/v1/users');
      expect(all.status).toBe(200);
      expect(all.body).toEqual({ items: expect.any(Array), page: 1, limit: 20, total: expect.any(Number) });
      expect(all.body.total).toBeGreaterThanOrEqual(3);
      const page = await asAdmin().get('/api/v1/users?page=2&limit=1');
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(1);
      expect(page.body.items[0].id).toBe(all.body.items[1].id);
      expect(page.body).toMatchObject({ page: 2, limit: 1, total: all.body.total });
    });

    it('finds users by part of their username or e-mail, any case, with the total of matches', async () => {
      const tag = randomUUID().slice(0, 8);
      const create = (username: string, email: string | null) =>
        asAdmin().post('/api/v1/users').send({ username, email, password: 'search-password-123' }).expect(201);
      await create(`Srch${tag}a`, null);
      await create(`other${tag}`, `Srch${tag}b@Example.org`);
      await create(`pct${tag}`, `p100%_${tag}@example.org`);
      const names = async (q: string, extra = '') => {
        const res = await asAdmin().get(`/api/v1/users?q=${encodeURIComponent(q)}${extra}`);
        expect(res.status).toBe(200);
        return res.body as { items: { username: string }[]; total: number; limit: number };
      };
      const both = await names(`SRCH${tag}`);
      expect(both.items.map((user) => user.username).sort()).toEqual([`Srch${tag}a`, `other${tag}`].sort());
      expect(both.total).toBe(2);
      const paged = await names(`srch${tag}`, '&limit=1&page=2');
      expect(paged.items).toHaveLength(1);
      expect(paged.total).toBe(2);
      // LIKE's wildcards match only themselves: `%` and `_` are not "anything".
      expect((await names(`100%_${tag}`)).items.map((user) => user.username)).toEqual([`pct${tag}`]);
      expect((await names(`1_0%${tag}`)).total).toBe(0);
      expect((await names(`${tag}%`)).total).toBe(0);
      // A blank search is no search.
      expect((await names('   ')).total).toBe((await names('')).total);
      const tooLong = await asAdmin().get(`/api/v1/users?q=${'x'.repeat(255)}`);
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.message).toMatch(/q must be shorter than or equal to 254/);
      expect((await asAdmin().get('/api/v1/users?q=a&q=b')).status).toBe(400);
    });

    it.each(['page=0', 'limit=0', 'limit=101', 'page=abc', 'limit=1.5', 'sort=name'])('answers 400 for ?%s', async (query) => {
      const res = await asAdmin().get(`/api/v1/users?${query}`);
      expect(res.status).toBe(400);
      expectErrorBody(res.body, 400, '/api/v1/users');
    });

    it('reads one user; 404 for an unknown id, 400 for a malformed one', async () => {
      const user = await createUser(t);
      const res = await asAdmin().get(`/api/v1/users/${user.id}`);
      expect(res.status).toBe(200);
      expect(res.body.username).toBe(user.username);
      const unknownId = randomUUID();
      const missing = await asAdmin().get(`/api/v1/users/${unknownId}`);
      expect(missing.status).toBe(404);
      expectErrorBody(missing.body, 404, `/api/v1/users/${unknownId}`);
      for (const id of ['not-a-uuid', '1', "1'%20OR%20'1'='1", '%00']) {
        const res = await asAdmin().get(`/api/v1/users/${id}`);
        expect([400, 404]).toContain(res.status);
        expect(res.body.status).toBe(res.status);
      }
    });

    it('is for ADMIN only: 403 for a USER, 401 without a token', async () => {
      const user = await createUser(t);
      const { access_token } = await login(t, user.username, user.password);
      for (const [method, path] of [
        ['get', '/api/v1/users'],
        ['post', '/api/v1/users'],
        ['get', `/api/v1/users/${user.id}`],
        ['patch', `/api/v1/users/${user.id}`],
        ['delete', `/api/v1/users/${user.id}`],
      ] as const) {
        const res = await t.http()[method](path).auth(access_token, { type: 'bearer' }).send({});
        expect(res.status).toBe(403);
        expect((await t.http()[method](path)).status).toBe(401);
      }
    });
  });

  describe('PATCH and DELETE', () => {
    it('updates names, email, enabled, roles and password', async () => {
      const user = await createUser(t);
      const res = await asAdmin()
        .patch(`/api/v1/users/${user.id}`)
        .send({ firstName: 'New', lastName: 'Name', email: 'new@example.org', roles: ['ADMIN'], password: 'a-brand-new-password' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ firstName: 'New', lastName: 'Name', email: 'new@example.org' });
      expect(res.body.roles.map((role: { name: string }) => role.name)).toEqual(['ADMIN']);
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password))).status).toBe(401);
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, 'a-brand-new-password'))).status).toBe(
        200,
      );
    });

    it('never changes the username, and 404s an unknown user', async () => {
      const user = await createUser(t);
      expect((await asAdmin().patch(`/api/v1/users/${user.id}`).send({ username: 'renamed' })).status).toBe(400);
      expect((await asAdmin().patch(`/api/v1/users/${randomUUID()}`).send({ firstName: 'x' })).status).toBe(404);
    });

    it('deletes a user: 204, then 404, and their refresh tokens die', async () => {
      const user = await createUser(t);
      const { refresh_token } = await login(t, user.username, user.password);
      expect((await asAdmin().delete(`/api/v1/users/${user.id}`)).status).toBe(204);
      expect((await asAdmin().get(`/api/v1/users/${user.id}`)).status).toBe(404);
      expect((await asAdmin().delete(`/api/v1/users/${user.id}`)).status).toBe(404);
      expect((await t.http().post('/authenticate/refresh').send({ refresh_token })).status).toBe(401);
    });

    it('keeps an admin from locking themselves out', async () => {
      const me = (await asAdmin().get('/api/v1/users/me')).body;
      expect((await asAdmin().delete(`/api/v1/users/${me.id}`)).status).toBe(409);
      expect((await asAdmin().patch(`/api/v1/users/${me.id}`).send({ enabled: false })).status).toBe(409);
      expect(
        (
          await asAdmin()
            .patch(`/api/v1/users/${me.id}`)
            .send({ roles: ['USER'] })
        ).status,
      ).toBe(409);
    });
  });

  describe('/me', () => {
    it('reads and updates your own profile', async () => {
      const user = await createUser(t);
      const { access_token } = await login(t, user.username, user.password);
      const me = await t.http().get('/api/v1/users/me').auth(access_token, { type: 'bearer' });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: user.id, username: user.username, enabled: true });
      const res = await t
        .http()
        .patch('/api/v1/users/me')
        .auth(access_token, { type: 'bearer' })
        .send({ firstName: 'Me', lastName: 'Myself', email: 'me@example.org' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ firstName: 'Me', lastName: 'Myself', email: 'me@example.org' });
    });

    it.each([
      { roles: ['ADMIN'] },
      { enabled: false },
      { id: '00000000-0000-4000-8000-000000000000' },
      { password: 'new-password-123' },
      { username: 'x' },
    ])('refuses to let users change %j about themselves (400, nothing changed)', async (body) => {
      const user = await createUser(t);
      const { access_token } = await login(t, user.username, user.password);
      const res = await t.http().patch('/api/v1/users/me').auth(access_token, { type: 'bearer' }).send(body);
      expect(res.status).toBe(400);
      expectErrorBody(res.body, 400, '/api/v1/users/me');
      const after = await asAdmin().get(`/api/v1/users/${user.id}`);
      expect(after.body).toMatchObject({ id: user.id, username: user.username, enabled: true });
      expect(after.body.roles.map((role: { name: string }) => role.name)).toEqual(['USER']);
    });
  });
});
