import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { TestApp, createTestApp } from '../support/test-app';
import { adminToken, basic, createUser, expectErrorBody, login } from '../support/auth-helpers';
import { describeE2E } from '../support/test-database';

describeE2E('Adversarial inputs', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    // Fuzzing makes many failed logins from one address: keep the brute-force limits out of the way.
    t = await createTestApp({ LOGIN_IP_MAX_FAILURES: '1000000', LOGIN_MAX_FAILURES: '1000' });
    admin = await adminToken(t);
  });
  afterAll(() => t.close());

  const userCount = async () => (await t.http().get('/api/v1/users?limit=1').auth(admin, { type: 'bearer' })).body.total as number;

  describe('malformed Basic headers', () => {
    it.each([
      ['no colon', `Basic ${Buffer.from('adminpassword').toString('base64')}`],
      ['bad base64', 'Basic %%%%'],
      ['empty user', `Basic ${Buffer.from(':x').toString('base64')}`],
      ['empty everything', `Basic ${Buffer.from(':').toString('base64')}`],
      ['non-UTF-8', `Basic ${Buffer.from([0x61, 0x3a, 0xc3, 0x28]).toString('base64')}`],
      ['very long', `Basic ${Buffer.from(`admin:${'x'.repeat(10_000)}`).toString('base64')}`],
      ['two schemes', `Basic ${Buffer.from('admin:x').toString('base64')} Basic ${Buffer.from('admin:y').toString('base64')}`],
      ['a NUL byte', `Basic ${Buffer.from('admin\u0000:admin-password-for-tests').toString('base64')}`],
    ])('answers %s with 401 and a Basic challenge', async (_case, header) => {
      const res = await t.http().post('/authenticate/login').set('Authorization', header);
      expect(res.status).toBe(401);
      expectErrorBody(res.body, 401, '/authenticate/login');
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="gatehouse"/);
    });
  });

  describe('injection and look-alike usernames', () => {
    it.each(["admin' --", "admin' OR '1'='1", 'admin"; DROP TABLE users; --', 'ADMİN', 'аdmin', 'admin\u200b', '%61dmin', 'admin%00'])(
      'does not let %j log in as admin',
      async (username) => {
        const res = await t.http().post('/authenticate/login').set('Authorization', basic(username, 'admin-password-for-tests'));
        expect(res.status).toBe(401);
        expect(res.body.message).toBe('Invalid username or password');
      },
    );

    it.each(["x' OR 1=1 --", 'аdmin', 'ad\u200bmin', 'a\u0000b', 'x'.repeat(65), ''])(
      'refuses to create a user named %j (400)',
      async (username) => {
        const before = await userCount();
        const res = await t.http().post('/api/v1/users').auth(admin, { type: 'bearer' }).send({ username, password: 'a-fine-password-1' });
        expect(res.status).toBe(400);
        expect(res.body.message).toMatch(/username/);
        expect(await userCount()).toBe(before);
      },
    );
  });

  describe('mass assignment', () => {
    it.each([
      { roles: ['ADMIN'] },
      { enabled: false },
      { id: randomUUID() },
      { passwordHash: 'x' },
      { username: 'renamed' },
      { createdAt: '2000-01-01' },
    ])('refuses %j in a self-update, changing nothing', async (body) => {
      const user = await createUser(t);
      const { access_token } = await login(t, user.username, user.password);
      const res = await t.http().patch('/api/v1/users/me').auth(access_token, { type: 'bearer' }).send(body);
      expect(res.status).toBe(400);
      const after = (await t.http().get(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' })).body;
      expect(after).toMatchObject({
        id: user.id,
        username: user.username,
        enabled: true,
        roles: [{ id: expect.any(String), name: 'USER' }],
      });
    });

    it('refuses id, passwordHash and timestamps in an admin create', async () => {
      for (const extra of [{ id: randomUUID() }, { passwordHash: '$argon2id$…' }, { createdAt: '2000-01-01' }]) {
        const res = await t
          .http()
          .post('/api/v1/users')
          .auth(admin, { type: 'bearer' })
          .send({ username: `mass-${randomUUID().slice(0, 8)}`, password: 'a-fine-password-1', ...extra });
        expect(res.status).toBe(400);
      }
    });
  });

  it('keeps every admin route closed to a signed-in non-admin (403) and to anonymous callers (401)', async () => {
    const user = await createUser(t);
    const { access_token } = await login(t, user.username, user.password);
    const id = randomUUID();
    const routes: [string, string][] = [
      ['get', '/api/v1/users'],
      ['post', '/api/v1/users'],
      ['get', `/api/v1/users/${id}`],
      ['patch', `/api/v1/users/${id}`],
      ['delete', `/api/v1/users/${id}`],
      ['get', `/api/v1/users/${id}/sessions`],
      ['delete', `/api/v1/users/${id}/sessions`],
      ['delete', `/api/v1/users/${id}/sessions/${randomUUID()}`],
      ['post', '/api/v1/roles'],
      ['delete', `/api/v1/roles/${id}`],
      ['get', '/api/v1/audit'],
    ];
    for (const [method, path] of routes) {
      const agent = t.http() as unknown as Record<string, (path: string) => ReturnType<TestApp['http']>['get']>;
      const forbidden = await (agent[method](path) as unknown as ReturnType<ReturnType<TestApp['http']>['get']>)
        .auth(access_token, { type: 'bearer' })
        .send({ name: 'X' });
      expect({ route: `${method} ${path}`, status: forbidden.status }).toEqual({ route: `${method} ${path}`, status: 403 });
      expect(forbidden.headers['www-authenticate']).toMatch(/insufficient_scope/);
      const anonymous = await (t.http() as unknown as Record<string, (path: string) => Promise<{ status: number }>>)[method](path);
      expect({ route: `${method} ${path}`, status: anonymous.status }).toEqual({ route: `${method} ${path}`, status: 401 });
    }
  });

  // Refresh replay and the race are attacked in test/refresh.e2e-spec.ts (strict and grace modes).

  describe('property-based fuzzing', () => {
    const json = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
    );

    it('never answers a login body with a 5xx, nor logs anyone in by accident', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({ username: json, password: json }, { requiredKeys: [] }),
          fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 2 }),
          async (body, extra) => {
            const res = await t
              .http()
              .post('/authenticate/login')
              .send({ ...extra, ...body });
            expect(res.status).toBeGreaterThanOrEqual(400);
            expect(res.status).toBeLessThan(500);
            expect(res.body.status).toBe(res.status);
          },
        ),
        { numRuns: 60 },
      );
    }, 180_000);

    it('never answers a user-creation body with a 5xx, and creates nothing when it refuses', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record(
            {
              username: fc.oneof(json, fc.stringMatching(/^[A-Za-z0-9._@-]{1,70}$/)),
              password: fc.oneof(json, fc.string({ minLength: 10, maxLength: 140 })),
              email: json,
              firstName: json,
              enabled: json,
              roles: fc.oneof(json, fc.array(fc.constantFrom('USER', 'ADMIN', 'NOPE', ''), { maxLength: 3 })),
            },
            { requiredKeys: [] },
          ),
          async (body) => {
            const before = await userCount();
            const res = await t.http().post('/api/v1/users').auth(admin, { type: 'bearer' }).send(body);
            expect(res.status).toBeLessThan(500);
            if (res.status === 201) expect(await userCount()).toBe(before + 1);
            else {
              expect(res.status).toBeGreaterThanOrEqual(400);
              expect(res.body.status).toBe(res.status);
              expect(await userCount()).toBe(before);
            }
          },
        ),
        { numRuns: 60 },
      );
    }, 180_000);

    it('never answers arbitrary bearer strings with anything but 401', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'grapheme-ascii', maxLength: 300 }), async (token) => {
          const value = `Bearer ${token}`.replace(/[\r\n]/g, '');
          const res = await t.http().get('/authenticate/me').set('Authorization', value);
          expect(res.status).toBe(401);
          expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
        }),
        { numRuns: 100 },
      );
    }, 180_000);
  });
});
