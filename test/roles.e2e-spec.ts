import { randomUUID } from 'node:crypto';
import { TestApp, createTestApp } from './support/test-app';
import { adminToken, auditEvents, createUser, expectErrorBody, login } from './support/auth-helpers';
import { describeE2E } from './support/test-database';

describeE2E('/api/v1/roles', () => {
  let t: TestApp;
  let admin: string;
  let userToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminToken(t);
    const user = await createUser(t);
    userToken = (await login(t, user.username, user.password)).access_token;
  });
  afterAll(() => t.close());

  it.each(['/api/v1/roles', '/api/v1/role'])('GET %s lists roles for any signed-in user', async (path) => {
    const res = await t.http().get(path).auth(userToken, { type: 'bearer' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      expect.arrayContaining([
        { id: expect.any(String), name: 'ADMIN', authority: 'ADMIN', description: expect.any(String), permissions: expect.any(Array) },
        { id: expect.any(String), name: 'USER', authority: 'USER', description: expect.any(String), permissions: [] },
      ]),
    );
    expect((await t.http().get(path)).status).toBe(401);
  });

  it('refuses a role whose name differs from an existing one only in case (409)', async () => {
    for (const name of ['Admin', 'admin', 'user']) {
      const res = await t.http().post('/api/v1/roles').auth(admin, { type: 'bearer' }).send({ name });
      expect(res.status).toBe(409);
      expectErrorBody(res.body, 409, '/api/v1/roles');
    }
  });

  it('creates and deletes a role (ADMIN only)', async () => {
    const created = await t
      .http()
      .post('/api/v1/roles')
      .auth(admin, { type: 'bearer' })
      .send({ name: 'AUDITOR', description: 'Reads logs' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'AUDITOR',
      authority: 'AUDITOR',
      description: 'Reads logs',
      permissions: [],
    });
    const user = await createUser(t, { roles: ['USER', 'AUDITOR'] });
    const deleted = await t.http().delete(`/api/v1/roles/${created.body.id}`).auth(admin, { type: 'bearer' });
    expect(deleted.status).toBe(204);
    const list = await t.http().get('/api/v1/roles').auth(admin, { type: 'bearer' });
    expect(list.body.map((role: { name: string }) => role.name)).not.toContain('AUDITOR');
    const holder = await t.http().get(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' });
    expect(holder.body.roles.map((role: { name: string }) => role.name)).toEqual(['USER']);
  });

  it('changes a role’s description, never its name (PATCH, roles:write)', async () => {
    const created = await t.http().post('/api/v1/roles').auth(admin, { type: 'bearer' }).send({ name: 'EDITOR', description: 'Old' });
    const patch = (body: object, token = admin) =>
      t.http().patch(`/api/v1/roles/${created.body.id}`).auth(token, { type: 'bearer' }).send(body);
    const changed = await patch({ description: '  Edits pages ' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'EDITOR', description: 'Edits pages' });
    // A body without the field changes nothing.
    expect((await patch({})).body).toMatchObject({ name: 'EDITOR', description: 'Edits pages' });
    expect((await patch({ description: '' })).body.description).toBeNull();
    expect((await patch({ description: null })).body.description).toBeNull();
    const list = (await t.http().get('/api/v1/roles').auth(admin, { type: 'bearer' })).body as {
      name: string;
      description: string | null;
    }[];
    expect(list.find((role) => role.name === 'EDITOR')?.description).toBeNull();
    const renamed = await patch({ name: 'OTHER' });
    expect(renamed.status).toBe(400);
    expect(renamed.body.message).toMatch(/property name should not exist/);
    const tooLong = await patch({ description: 'x'.repeat(256) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toMatch(/description must be shorter than or equal to 255/);
    expect((await patch({ description: 'bell\u0007' })).status).toBe(400);
    expect((await patch({ description: 'x' }, userToken)).status).toBe(403);
    expect((await t.http().patch(`/api/v1/roles/${randomUUID()}`).auth(admin, { type: 'bearer' }).send({ description: 'x' })).status).toBe(
      404,
    );
  });

  it('audits creating, describing and deleting a role, with the administrator as actor', async () => {
    const adminId = (await t.http().get('/authenticate/me').auth(admin, { type: 'bearer' })).body.id as string;
    const created = await t.http().post('/api/v1/roles').auth(admin, { type: 'bearer' }).send({ name: 'AUDITED_ROLE' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await t.http().patch(`/api/v1/roles/${id}`).auth(admin, { type: 'bearer' }).send({ description: 'Now described' });
    // Nothing changed, nothing recorded.
    await t.http().patch(`/api/v1/roles/${id}`).auth(admin, { type: 'bearer' }).send({ description: 'Now described' });
    expect((await t.http().delete(`/api/v1/roles/${id}`).auth(admin, { type: 'bearer' })).status).toBe(204);
    const of = async (type: string) => (await auditEvents(t, type)).filter((event) => JSON.stringify(event.details).includes(id));
    expect(await of('role.created')).toEqual([
      expect.objectContaining({ actorId: adminId, details: expect.objectContaining({ role: 'AUDITED_ROLE' }) }),
    ]);
    expect(await of('role.updated')).toEqual([
      expect.objectContaining({ actorId: adminId, details: expect.objectContaining({ description: 'Now described' }) }),
    ]);
    expect(await of('role.deleted')).toEqual([
      expect.objectContaining({ actorId: adminId, details: expect.objectContaining({ role: 'AUDITED_ROLE' }) }),
    ]);
  });

  it('answers 409 for a duplicate name and for deleting a built-in role', async () => {
    const dup = await t.http().post('/api/v1/roles').auth(admin, { type: 'bearer' }).send({ name: 'USER' });
    expect(dup.status).toBe(409);
    expectErrorBody(dup.body, 409, '/api/v1/roles');
    const roles = (await t.http().get('/api/v1/roles').auth(admin, { type: 'bearer' })).body as { id: string; name: string }[];
    const adminRole = roles.find((role) => role.name === 'ADMIN')!;
    expect((await t.http().delete(`/api/v1/roles/${adminRole.id}`).auth(admin, { type: 'bearer' })).status).toBe(409);
  });

  it('answers 400 for an invalid role and 404/400 for unknown/malformed ids', async () => {
    const bad = await t.http().post('/api/v1/roles').auth(admin, { type: 'bearer' }).send({ name: 'has space' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/name/);
    expect((await t.http().delete(`/api/v1/roles/${randomUUID()}`).auth(admin, { type: 'bearer' })).status).toBe(404);
    expect((await t.http().delete('/api/v1/roles/nope').auth(admin, { type: 'bearer' })).status).toBe(400);
  });

  it('is closed to non-admins: 403', async () => {
    expect((await t.http().post('/api/v1/roles').auth(userToken, { type: 'bearer' }).send({ name: 'X' })).status).toBe(403);
    expect((await t.http().delete(`/api/v1/roles/${randomUUID()}`).auth(userToken, { type: 'bearer' })).status).toBe(403);
  });
});
