import { randomBytes } from 'node:crypto';
import { TestApp, createTestApp } from '../support/test-app';
import { adminToken, basic, createUser, expectErrorBody, login } from '../support/auth-helpers';
import { describeE2E, testDbKind } from '../support/test-database';

/** Authorization invariants that must hold whatever the spelling of an id or the timing of requests. */
describeE2E('Authorization invariants', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ LOGIN_IP_MAX_FAILURES: '100000' });
  });
  afterAll(() => t.close());

  const as = (token: string) => ({
    get: (path: string) => t.http().get(path).auth(token, { type: 'bearer' }),
    patch: (path: string) => t.http().patch(path).auth(token, { type: 'bearer' }),
    delete: (path: string) => t.http().delete(path).auth(token, { type: 'bearer' }),
  });

  /** The token of an administrator who is still one (the tests below demote and delete administrators). */
  let current: string;
  beforeAll(async () => {
    current = await adminToken(t);
  });

  async function newAdmin(): Promise<{ id: string; token: string }> {
    const username = `admin-${randomBytes(4).toString('hex')}`;
    const password = `password-${randomBytes(6).toString('hex')}`;
    const res = await t
      .http()
      .post('/api/v1/users')
      .auth(current, { type: 'bearer' })
      .send({ username, password, roles: ['ADMIN', 'USER'] });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, token: (await login(t, username, password)).access_token };
  }

  /** Leaves `a` and `b` the only enabled administrators. */
  async function onlyAdmins(a: { id: string; token: string }, b: { id: string }): Promise<void> {
    for (const id of await enabledAdminsVia(a.token)) {
      if (id !== a.id && id !== b.id)
        expect(
          (
            await as(a.token)
              .patch(`/api/v1/users/${id}`)
              .send({ roles: ['USER'] })
          ).status,
        ).toBe(200);
    }
  }

  it('compares ids as ids: an upper-case spelling of your own id is still you (409, nothing changed)', async () => {
    const me = await newAdmin();
    const upper = me.id.toUpperCase();
    expect((await as(me.token).delete(`/api/v1/users/${upper}`)).status).toBe(409);
    expect((await as(me.token).patch(`/api/v1/users/${upper}`).send({ enabled: false })).status).toBe(409);
    expect(
      (
        await as(me.token)
          .patch(`/api/v1/users/${upper}`)
          .send({ roles: ['USER'] })
      ).status,
    ).toBe(409);
    const after = await as(me.token).get(`/api/v1/users/${upper}`);
    expect(after.status).toBe(200);
    expect(after.body.id).toBe(me.id);
    expect(after.body.enabled).toBe(true);
    expect(after.body.roles.map((role: { name: string }) => role.name)).toContain('ADMIN');
  });

  it('finds sessions by an upper-case id too', async () => {
    const me = await newAdmin();
    const res = await as(me.token).get(`/api/v1/users/${me.id.toUpperCase()}/sessions`);
    expect(res.status).toBe(200);
    expect(res.body.length).toBeGreaterThan(0);
  });

  it('refuses an administrator’s own password change through PATCH: 400, pointing to PUT /me/password', async () => {
    const user = await createUser(t, { roles: ['ADMIN', 'USER'] });
    const { access_token } = await login(t, user.username, user.password);
    const res = await as(access_token).patch(`/api/v1/users/${user.id}`).send({ password: 'a-brand-new-password-1' });
    expect(res.status).toBe(400);
    expectErrorBody(res.body, 400, `/api/v1/users/${user.id}`);
    expect(res.body.message).toContain('PUT /api/v1/users/me/password');
    expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password))).status).toBe(200);
  });

  it('keeps at least one enabled ADMIN when two administrators disable each other at the same moment', async () => {
    let conflicts = 0;
    for (let round = 0; round < 5; round++) {
      // Only these two are administrators: every other one is demoted first.
      const a = await newAdmin();
      const b = await newAdmin();
      await onlyAdmins(a, b);
      const [byA, byB] = await Promise.all([
        as(a.token).patch(`/api/v1/users/${b.id}`).send({ enabled: false }),
        as(b.token).patch(`/api/v1/users/${a.id}`).send({ enabled: false }),
      ]);
      // The loser is refused by the invariant (409) — or, if the winner's change landed before the
      // loser's request passed the guard, by its ended session (401). Never both 200.
      expect([byA.status, byB.status].filter((status) => status === 200)).toHaveLength(1);
      const loser = byA.status === 200 ? byB : byA;
      expect([401, 409]).toContain(loser.status);
      if (loser.status === 409) expect(loser.body.message).toMatch(/last enabled ADMIN/);
      conflicts += loser.status === 409 ? 1 : 0;
      const survivor = byA.status === 200 ? a : b;
      expect(await enabledAdminsVia(survivor.token)).toEqual([survivor.id]);
      current = survivor.token;
    }
    // On PostgreSQL the requests really run side by side: the invariant, not a revoked session,
    // refused at least one of them. (On SQLite one process runs each of these requests to its end
    // before the next — its queries never leave the event loop — so the race is PostgreSQL's.)
    if (testDbKind() === 'postgres') expect(conflicts).toBeGreaterThan(0);
  });

  it('keeps at least one enabled ADMIN when two administrators delete or demote each other at the same moment', async () => {
    for (const [first, second] of [
      [{ method: 'delete' }, { method: 'delete' }],
      [{ method: 'patch', body: { roles: ['USER'] } }, { method: 'delete' }],
    ] as const) {
      const a = await newAdmin();
      const b = await newAdmin();
      await onlyAdmins(a, b);
      const send = (token: string, target: string, action: { method: 'delete' } | { method: 'patch'; body: object }) =>
        action.method === 'delete'
          ? as(token).delete(`/api/v1/users/${target}`)
          : as(token).patch(`/api/v1/users/${target}`).send(action.body);
      const results = await Promise.all([send(a.token, b.id, first), send(b.token, a.id, second)]);
      expect(results.map((res) => res.status).filter((status) => status === 409 || status === 401)).toHaveLength(1);
      const survivor = results[0].status >= 400 ? b : a;
      expect(await enabledAdminsVia(survivor.token)).toEqual([survivor.id]);
      current = survivor.token;
    }
  });

  async function enabledAdminsVia(token: string): Promise<string[]> {
    const res = await as(token).get('/api/v1/users?limit=100');
    expect(res.status).toBe(200);
    return (res.body.items as { id: string; enabled: boolean; roles: { name: string }[] }[])
      .filter((user) => user.enabled && user.roles.some((role) => role.name === 'ADMIN'))
      .map((user) => user.id);
  }
});

/** Changes racing each other: the last write must not undo another request's (the attacks of a black-box review). */
describeE2E('Concurrent changes to one user', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp({ LOGIN_IP_MAX_FAILURES: '100000', LOGIN_MAX_FAILURES: '1000' });
    admin = await adminToken(t);
  });
  afterAll(() => t.close());

  const profile = (token: string, i: number) =>
    t
      .http()
      .patch('/api/v1/users/me')
      .auth(token, { type: 'bearer' })
      .send({ firstName: `name-${i}` });

  it('a deleted user stays deleted although their own profile updates were in flight', async () => {
    for (let round = 0; round < 6; round++) {
      const user = await createUser(t, { roles: ['ADMIN', 'USER'] });
      const { access_token } = await login(t, user.username, user.password);
      const results = await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => profile(access_token, i)),
        t.http().delete(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' }),
        ...Array.from({ length: 5 }, (_, i) => profile(access_token, i + 5)),
      ]);
      expect(results.map((res) => res.status)).not.toContain(500);
      expect(results[5].status).toBe(204);
      expect((await t.http().get(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' })).status).toBe(404);
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password))).status).toBe(401);
    }
  });

  it('an administrator’s disable or demotion is not undone by the user’s own concurrent profile update', async () => {
    for (let round = 0; round < 6; round++) {
      const user = await createUser(t, { roles: ['ADMIN', 'USER'] });
      const { access_token } = await login(t, user.username, user.password);
      const change = round % 2 ? { enabled: false } : { roles: ['USER'] };
      await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => profile(access_token, i)),
        t.http().patch(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' }).send(change),
        ...Array.from({ length: 5 }, (_, i) => profile(access_token, i + 5)),
      ]);
      const after = (await t.http().get(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' })).body;
      if ('enabled' in change) expect(after.enabled).toBe(false);
      else expect(after.roles.map((role: { name: string }) => role.name)).toEqual(['USER']);
    }
  });

  it('a login with the old password that races a password change gets no lasting session', async () => {
    for (const by of ['self', 'admin'] as const) {
      for (let round = 0; round < 4; round++) {
        const user = await createUser(t);
        const { access_token } = await login(t, user.username, user.password);
        const newPassword = `changed-${round}-password-x`;
        const change =
          by === 'self'
            ? t
                .http()
                .put('/api/v1/users/me/password')
                .auth(access_token, { type: 'bearer' })
                .send({ currentPassword: user.password, newPassword })
            : t.http().patch(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' }).send({ password: newPassword });
        const logins = Array.from({ length: 4 }, () =>
          t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password)),
        );
        const [changed, ...results] = await Promise.all([change, ...logins]);
        expect([200, 204]).toContain(changed.status);
        for (const res of results.filter((r) => r.status === 200)) {
          // Whatever the order, a session started with the old password is not usable after the change.
          expect((await t.http().get('/authenticate/me').auth(res.body.token.access_token, { type: 'bearer' })).status).toBe(401);
          expect((await t.http().post('/authenticate/refresh').send({ refresh_token: res.body.token.refresh_token })).status).toBe(401);
        }
        if (by === 'self') expect((await t.http().get('/authenticate/me').auth(access_token, { type: 'bearer' })).status).toBe(200);
      }
    }
  });

  it('answers logins racing the deletion of their user without a 500', async () => {
    for (let round = 0; round < 4; round++) {
      const user = await createUser(t);
      const results = await Promise.all([
        ...Array.from({ length: 6 }, () => t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password))),
        t.http().delete(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' }),
      ]);
      expect(results.map((res) => res.status)).not.toContain(500);
    }
  });
});
