import type request from 'supertest';
import { BUILT_IN_PERMISSIONS } from '../src/common/permissions';
import { ADMIN, TestApp, createTestApp } from './support/test-app';
import { adminToken, auditEvents, basic, createUser, decodeJwt, login, signWithServerKey } from './support/auth-helpers';
import { describeE2E } from './support/test-database';

/** Permissions on roles, scope in access tokens, @RequirePermissions (issue 17). */
describeE2E('Permissions and scopes', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminToken(t);
  });
  afterAll(() => t.close());

  async function createRole(name: string, permissions: string[]): Promise<string> {
    const created = await t.http().post('/api/v1/roles').auth(admin, { type: 'bearer' }).send({ name });
    expect(created.status).toBe(201);
    const set = await t.http().put(`/api/v1/roles/${created.body.id}/permissions`).auth(admin, { type: 'bearer' }).send({ permissions });
    expect(set.status).toBe(200);
    return created.body.id as string;
  }

  async function loginWith(username: string, password: string, query = ''): Promise<request.Response> {
    return t.http().post(`/authenticate/login${query}`).set('Authorization', basic(username, password));
  }

  it('lists permissions on roles: ADMIN holds every built-in one, and nothing existing changes for it', async () => {
    const roles = (await t.http().get('/api/v1/roles').auth(admin, { type: 'bearer' })).body as { name: string; permissions: string[] }[];
    expect(roles.find((role) => role.name === 'ADMIN')?.permissions).toEqual([...BUILT_IN_PERMISSIONS].sort());
    expect(roles.find((role) => role.name === 'INTROSPECT')?.permissions).toEqual(['introspect']);
    expect(roles.find((role) => role.name === 'USER')?.permissions).toEqual([]);
    const token = decodeJwt(admin).payload;
    expect((token.scope as string).split(' ')).toEqual([...BUILT_IN_PERMISSIONS].sort());
    expect((await t.http().get('/api/v1/users').auth(admin, { type: 'bearer' })).status).toBe(200);
    expect((await t.http().get('/api/v1/audit').auth(admin, { type: 'bearer' })).status).toBe(200);
  });

  it('PUT /api/v1/roles/{id}/permissions replaces the list, validates each name, and is audited', async () => {
    const id = await createRole('CLINICIAN', ['patients:read', 'patients:write', 'patients:read']);
    const role = (await t.http().get('/api/v1/roles').auth(admin, { type: 'bearer' })).body.find((r: { id: string }) => r.id === id);
    expect(role.permissions).toEqual(['patients:read', 'patients:write']);
    expect((await auditEvents(t, 'role.permissions_changed'))[0]).toMatchObject({
      details: { roleId: id, added: ['patients:read', 'patients:write'], removed: [] },
    });
    for (const bad of [['Patients:Read'], ['has space'], ['x'.repeat(65)], [''], 'patients:read', [42]]) {
      const res = await t.http().put(`/api/v1/roles/${id}/permissions`).auth(admin, { type: 'bearer' }).send({ permissions: bad });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/permission/);
    }
    const unchanged = (await t.http().get('/api/v1/roles').auth(admin, { type: 'bearer' })).body.find((r: { id: string }) => r.id === id);
    expect(unchanged.permissions).toEqual(['patients:read', 'patients:write']);
    // ADMIN keeps what it implies whatever is sent.
    const adminRole = (await t.http().get('/api/v1/roles').auth(admin, { type: 'bearer' })).body.find(
      (r: { name: string }) => r.name === 'ADMIN',
    );
    const kept = await t.http().put(`/api/v1/roles/${adminRole.id}/permissions`).auth(admin, { type: 'bearer' }).send({ permissions: [] });
    expect(kept.body.permissions).toEqual([...BUILT_IN_PERMISSIONS].sort());
  });

  it('@RequirePermissions: a role with audit:read opens the audit log; without it, 403 insufficient_scope naming the permission', async () => {
    await createRole('AUDITOR', ['audit:read']);
    const auditor = await createUser(t, { roles: ['USER', 'AUDITOR'] });
    const plain = await createUser(t);
    const auditorToken = (await login(t, auditor.username, auditor.password)).access_token;
    const plainToken = (await login(t, plain.username, plain.password)).access_token;
    expect((await t.http().get('/api/v1/audit').auth(auditorToken, { type: 'bearer' })).status).toBe(200);
    const refused = await t.http().get('/api/v1/audit').auth(plainToken, { type: 'bearer' });
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", error_description="Missing permission: audit:read", scope="audit:read"',
    );
    expect(refused.body).toEqual({
      timestamp: expect.any(String),
      status: 403,
      error: 'insufficient_scope',
      code: 'insufficient_scope',
      message: 'Missing permission: audit:read',
      path: '/api/v1/audit',
    });
    // audit:read is not users:read.
    expect((await t.http().get('/api/v1/users').auth(auditorToken, { type: 'bearer' })).status).toBe(403);
  });

  it('a login may ask for a subset (a down-scoped token); asking for more than the user holds is 400 invalid_scope', async () => {
    const scoped = await loginWith(ADMIN.username, ADMIN.password, '?scope=users:read');
    expect(scoped.status).toBe(200);
    expect(scoped.body.token.scope).toBe('users:read');
    const token = scoped.body.token.access_token as string;
    expect(decodeJwt(token).payload.scope).toBe('users:read');
    expect((await t.http().get('/api/v1/users').auth(token, { type: 'bearer' })).status).toBe(200);
    const write = await t.http().post('/api/v1/users').auth(token, { type: 'bearer' }).send({ username: 'nobody', password: 'x' });
    expect(write.status).toBe(403);
    expect(write.headers['www-authenticate']).toContain('scope="users:write"');
    expect((await t.http().get('/api/v1/audit').auth(token, { type: 'bearer' })).status).toBe(403);

    const user = await createUser(t);
    const wider = await loginWith(user.username, user.password, '?scope=users:read');
    expect(wider.status).toBe(400);
    expect(wider.body).toMatchObject({ error: 'invalid_scope', message: expect.stringContaining('users:read') });
    expect(wider.body.token).toBeUndefined();
    const malformed = await loginWith(user.username, user.password, '?scope=BAD%20scope');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toBe('invalid_scope');
  });

  it('refresh keeps the scope, may narrow it, and never widens it (400, the refresh token still usable)', async () => {
    const scoped = (await loginWith(ADMIN.username, ADMIN.password, '?scope=users:read%20audit:read')).body.token;
    expect(scoped.scope).toBe('audit:read users:read');
    const kept = await t.http().post('/authenticate/refresh').send({ refresh_token: scoped.refresh_token });
    expect(kept.status).toBe(200);
    expect(kept.body.scope).toBe('audit:read users:read');
    const widened = await t.http().post('/authenticate/refresh').send({ refresh_token: kept.body.refresh_token, scope: 'users:write' });
    expect(widened.status).toBe(400);
    expect(widened.body.error).toBe('invalid_scope');
    const narrowed = await t
      .http()
      .post('/authenticate/refresh')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: kept.body.refresh_token, scope: 'audit:read' });
    expect(narrowed.status).toBe(200);
    expect(decodeJwt(narrowed.body.access_token).payload.scope).toBe('audit:read');
    expect((await t.http().get('/api/v1/users').auth(narrowed.body.access_token, { type: 'bearer' })).status).toBe(403);
    // The session's grant is unchanged: the next refresh without scope has both again.
    const again = await t.http().post('/authenticate/refresh').send({ refresh_token: narrowed.body.refresh_token });
    expect(again.body.scope).toBe('audit:read users:read');
  });

  it('removing a permission from a role reaches a live token (and its introspection) at once; adding one reaches new tokens', async () => {
    const roleId = await createRole('READER', ['users:read']);
    const reader = await createUser(t, { roles: ['USER', 'READER'] });
    const token = (await login(t, reader.username, reader.password)).access_token;
    expect((await t.http().get('/api/v1/users').auth(token, { type: 'bearer' })).status).toBe(200);
    await t
      .http()
      .put(`/api/v1/roles/${roleId}/permissions`)
      .auth(admin, { type: 'bearer' })
      .send({ permissions: ['audit:read'] });
    expect((await t.http().get('/api/v1/users').auth(token, { type: 'bearer' })).status).toBe(403);
    // The live token's scope did not have audit:read: a new login has it.
    expect((await t.http().get('/api/v1/audit').auth(token, { type: 'bearer' })).status).toBe(403);
    const fresh = (await login(t, reader.username, reader.password)).access_token;
    expect((await t.http().get('/api/v1/audit').auth(fresh, { type: 'bearer' })).status).toBe(200);
    const introspected = await t.http().post('/authenticate/introspect').auth(admin, { type: 'bearer' }).type('form').send({ token });
    // Active, but its scope (users:read) is gone from the user: nothing left to list.
    expect(introspected.body).toMatchObject({ active: true });
    expect(introspected.body).not.toHaveProperty('scope');
    const freshly = await t.http().post('/authenticate/introspect').auth(admin, { type: 'bearer' }).type('form').send({ token: fresh });
    expect(freshly.body).toMatchObject({ active: true, scope: 'audit:read' });
    // Deleting the role takes it from live tokens too.
    await t.http().delete(`/api/v1/roles/${roleId}`).auth(admin, { type: 'bearer' });
    expect((await t.http().get('/api/v1/audit').auth(fresh, { type: 'bearer' })).status).toBe(403);
  });

  it('a role with more than 50 permissions: the token carries scope_ref, which the guard and introspection resolve', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `module-${String(i).padStart(2, '0')}:read`);
    await createRole('BROAD', [...many, 'audit:read']);
    const broad = await createUser(t, { roles: ['USER', 'BROAD'] });
    const token = (await login(t, broad.username, broad.password)).access_token;
    const { payload } = decodeJwt(token);
    expect(payload.scope).toBeUndefined();
    expect(payload.scope_ref).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(token.length).toBeLessThan(1000);
    expect((await t.http().get('/api/v1/audit').auth(token, { type: 'bearer' })).status).toBe(200);
    expect((await t.http().get('/api/v1/users').auth(token, { type: 'bearer' })).status).toBe(403);
    const me = await t.http().get('/authenticate/me').auth(token, { type: 'bearer' });
    expect(me.body.permissions).toHaveLength(61);
    const introspected = await t.http().post('/authenticate/introspect').auth(admin, { type: 'bearer' }).type('form').send({ token });
    expect(introspected.body.scope.split(' ')).toHaveLength(61);
    // A reference no server stored: refused.
    const forged = { ...payload, scope_ref: 'A'.repeat(43) };
    const res = await t.http().get('/authenticate/me').auth(signWithServerKey(t, forged), { type: 'bearer' });
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/unknown scope/);
  });

  it('no escalation: users:write alone cannot make anyone an ADMIN or change an ADMIN', async () => {
    await createRole('HELPDESK', ['users:read', 'users:write']);
    const helpdesk = await createUser(t, { roles: ['USER', 'HELPDESK'] });
    const token = (await login(t, helpdesk.username, helpdesk.password)).access_token;
    const self = await t
      .http()
      .patch(`/api/v1/users/${helpdesk.id}`)
      .auth(token, { type: 'bearer' })
      .send({ roles: ['ADMIN'] });
    expect(self.status).toBe(403);
    expect(self.body.message).toMatch(/permissions you do not hold/);
    const made = await t
      .http()
      .post('/api/v1/users')
      .auth(token, { type: 'bearer' })
      .send({ username: 'would-be-admin', password: 'a-long-password-123', roles: ['ADMIN'] });
    expect(made.status).toBe(403);
    const users = (await t.http().get('/api/v1/users?limit=100').auth(token, { type: 'bearer' })).body.items as {
      id: string;
      username: string;
    }[];
    const adminId = users.find((user) => user.username === ADMIN.username)!.id;
    const takeover = await t
      .http()
      .patch(`/api/v1/users/${adminId}`)
      .auth(token, { type: 'bearer' })
      .send({ password: 'taken-over-123456' });
    expect(takeover.status).toBe(403);
    expect((await t.http().delete(`/api/v1/users/${adminId}`).auth(token, { type: 'bearer' })).status).toBe(403);
    // Nor strip an administrator's second factors (half a takeover).
    const reset = await t.http().delete(`/api/v1/users/${adminId}/mfa`).auth(token, { type: 'bearer' });
    expect(reset.status).toBe(403);
    expect(reset.body.message).toMatch(/administer a user holding permissions you do not hold/);
    // Within its own permissions it works.
    const plain = await t
      .http()
      .post('/api/v1/users')
      .auth(token, { type: 'bearer' })
      .send({ username: 'made-by-helpdesk', password: 'a-long-password-123', roles: ['USER'] });
    expect(plain.status).toBe(201);
    // Their own roles: no ADMIN role to lose, so no 409 — the no-escalation rule decides.
    const own = await t
      .http()
      .patch(`/api/v1/users/${helpdesk.id}`)
      .auth(token, { type: 'bearer' })
      .send({ roles: ['USER', 'HELPDESK'] });
    expect(own.status).toBe(200);
    await login(t, ADMIN.username, ADMIN.password);
  });
});
