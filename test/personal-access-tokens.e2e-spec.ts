import { randomUUID } from 'node:crypto';
import { TestApp, createTestApp } from './support/test-app';
import { adminToken, auditEvents, createUser, login } from './support/auth-helpers';
import { describeE2E } from './support/test-database';

/** Personal access tokens: `gth_…`, acting as their user within their scopes (issue 17). */
describeE2E('Personal access tokens', () => {
  let t: TestApp;
  let admin: string;
  let roleId: string;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminToken(t);
    const role = await t.http().post('/api/v1/roles').auth(admin, { type: 'bearer' }).send({ name: 'STAFF' });
    roleId = role.body.id as string;
    await t
      .http()
      .put(`/api/v1/roles/${roleId}/permissions`)
      .auth(admin, { type: 'bearer' })
      .send({ permissions: ['users:read', 'audit:read'] });
  });
  afterAll(() => t.close());

  async function staff(): Promise<{ id: string; username: string; password: string; token: string }> {
    const user = await createUser(t, { roles: ['USER', 'STAFF'] });
    return { ...user, token: (await login(t, user.username, user.password)).access_token };
  }

  async function makeToken(
    sessionToken: string,
    body: Record<string, unknown>,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await t.http().post('/api/v1/users/me/tokens').auth(sessionToken, { type: 'bearer' }).send(body);
    return { status: res.status, body: res.body as Record<string, unknown> };
  }

  it('is shown once, with a recognisable prefix and a checksum, and acts as its user within its scopes', async () => {
    const user = await staff();
    const made = await makeToken(user.token, { name: 'nightly export', scopes: ['users:read'], expiresInDays: 7 });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      id: expect.any(String),
      name: 'nightly export',
      scopes: ['users:read'],
      lastUsedAt: null,
      expired: false,
    });
    const pat = made.body.token as string;
    expect(pat).toMatch(/^gth_[0-9A-Za-z]{38}$/);
    const expiresIn = new Date(made.body.expiresAt as string).getTime() - Date.now();
    expect(Math.round(expiresIn / 86_400_000)).toBe(7);

    const me = await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${pat}`);
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(user.username);
    expect((await t.http().get('/api/v1/users').set('Authorization', `Bearer ${pat}`)).status).toBe(200);
    // audit:read is the user's, but not the token's.
    const refused = await t.http().get('/api/v1/audit').set('Authorization', `Bearer ${pat}`);
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toContain('error="insufficient_scope", error_description="Missing permission: audit:read"');

    // Never stored in clear; listed without the token, with its last use recorded.
    const placeholder = t.databaseUrl.startsWith('sqlite') ? '?' : '$1';
    const rows = (await t
      .dataSource()
      .query(`SELECT token_hash FROM personal_access_tokens WHERE id = ${placeholder}`, [made.body.id])) as { token_hash: string }[];
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(pat.slice(4));
    const list = await t.http().get('/api/v1/users/me/tokens').auth(user.token, { type: 'bearer' });
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      {
        id: made.body.id,
        name: 'nightly export',
        scopes: ['users:read'],
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        expiresAt: made.body.expiresAt,
        expired: false,
      },
    ]);
    expect(JSON.stringify(list.body)).not.toContain(pat);
    expect((await auditEvents(t, 'pat.created'))[0]).toMatchObject({
      userId: user.id,
      details: { tokenId: made.body.id, scopes: ['users:read'] },
    });
  });

  it('refuses a scope wider than the login may use, too long a life, and being made by another token', async () => {
    const user = await staff();
    const wider = await makeToken(user.token, { name: 'x', scopes: ['users:write'] });
    expect(wider.status).toBe(400);
    expect(wider.body).toMatchObject({ error: 'invalid_scope', message: expect.stringContaining('users:write') });
    const tooLong = await makeToken(user.token, { name: 'x', scopes: [], expiresInDays: 366 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toMatch(/PAT_MAX_DAYS/);
    for (const bad of [
      { scopes: [] },
      { name: '', scopes: [] },
      { name: 'x', scopes: ['BAD'] },
      { name: 'x', scopes: [], expiresInDays: 0 },
      { name: 'x', scopes: [], extra: 1 },
    ]) {
      expect((await makeToken(user.token, bad)).status).toBe(400);
    }
    const pat = (await makeToken(user.token, { name: 'x', scopes: ['users:read'] })).body.token as string;
    const chained = await makeToken(pat, { name: 'y', scopes: [] });
    expect(chained.status).toBe(403);
    // A down-scoped login makes tokens only within its own scope.
    const scoped = await t.http().post('/authenticate/login?scope=audit:read').auth(user.username, user.password);
    expect(scoped.status).toBe(200);
    const outside = await makeToken(scoped.body.token.access_token as string, { name: 'x', scopes: ['users:read'] });
    expect(outside.status).toBe(400);
    expect(outside.body.error).toBe('invalid_scope');
  });

  it('is refused at once when revoked (by its user or an administrator), and for a disabled owner; 401 says why', async () => {
    const user = await staff();
    const first = (await makeToken(user.token, { name: 'one', scopes: ['users:read'] })).body;
    const second = (await makeToken(user.token, { name: 'two', scopes: [] })).body;
    const bearer = (token: unknown) => ({ Authorization: `Bearer ${token as string}` });
    expect((await t.http().get('/api/v1/users/me').set(bearer(first.token))).status).toBe(200);

    const revokeFirst = () =>
      t
        .http()
        .delete(`/api/v1/users/me/tokens/${first.id as string}`)
        .auth(user.token, { type: 'bearer' });
    expect((await revokeFirst()).status).toBe(204);
    const revoked = await t.http().get('/api/v1/users/me').set(bearer(first.token));
    expect(revoked.status).toBe(401);
    expect(revoked.body.message).toBe('The personal access token has been revoked');
    expect(revoked.headers['www-authenticate']).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
    expect((await revokeFirst()).status).toBe(404);

    // An administrator lists and revokes any user's tokens.
    const listed = await t.http().get(`/api/v1/users/${user.id}/tokens`).auth(admin, { type: 'bearer' });
    expect(listed.body.map((token: { name: string }) => token.name)).toEqual(['two']);
    expect((await t.http().get(`/api/v1/users/${user.id}/tokens`).auth(user.token, { type: 'bearer' })).status).toBe(403);
    const other = await staff();
    // Another user cannot revoke it.
    expect(
      (
        await t
          .http()
          .delete(`/api/v1/users/me/tokens/${second.id as string}`)
          .auth(other.token, { type: 'bearer' })
      ).status,
    ).toBe(404);
    expect((await t.http().get('/api/v1/users/me').set(bearer(second.token))).status).toBe(200);

    // A disabled owner disables it; enabled again, it works again.
    await t.http().patch(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' }).send({ enabled: false });
    const disabled = await t.http().get('/api/v1/users/me').set(bearer(second.token));
    expect(disabled.status).toBe(401);
    expect(disabled.body.message).toMatch(/owner is disabled/);
    await t.http().patch(`/api/v1/users/${user.id}`).auth(admin, { type: 'bearer' }).send({ enabled: true });
    expect((await t.http().get('/api/v1/users/me').set(bearer(second.token))).status).toBe(200);

    expect(
      (
        await t
          .http()
          .delete(`/api/v1/users/${user.id}/tokens/${second.id as string}`)
          .auth(admin, { type: 'bearer' })
      ).status,
    ).toBe(204);
    expect((await t.http().get('/api/v1/users/me').set(bearer(second.token))).status).toBe(401);
    expect((await auditEvents(t, 'pat.revoked')).slice(0, 2).map((event) => event.details?.tokenId)).toEqual([second.id, first.id]);
  });

  it('cannot change its owner’s account (password, profile, sessions, tokens, factors): 403, whatever its scopes', async () => {
    const user = await staff();
    const pat = (await makeToken(user.token, { name: 'x', scopes: ['users:read'] })).body;
    const bearer = { Authorization: `Bearer ${pat.token as string}` };
    for (const [method, path, body] of [
      ['put', '/api/v1/users/me/password', { currentPassword: user.password, newPassword: 'a-brand-new-password-1' }],
      ['patch', '/api/v1/users/me', { firstName: 'Mallory' }],
      ['delete', '/api/v1/users/me/sessions', undefined],
      ['delete', `/api/v1/users/me/tokens/${pat.id as string}`, undefined],
      ['post', '/api/v1/users/me/tokens', { name: 'y', scopes: [] }],
      ['get', '/api/v1/users/me/mfa', undefined],
      ['post', '/api/v1/users/me/mfa/totp', undefined],
    ] as const) {
      const res = await t.http()[method](path).set(bearer).send(body);
      expect([path, res.status]).toEqual([path, 403]);
    }
    // Reading is fine; and the session, unharmed, still works.
    expect((await t.http().get('/api/v1/users/me').set(bearer)).status).toBe(200);
    expect((await t.http().get('/api/v1/users/me').auth(user.token, { type: 'bearer' })).status).toBe(200);
  });

  it('is revoked by whoever holds it at the RFC 7009 endpoint (a leaked token can be ended by pasting it)', async () => {
    const user = await staff();
    const made = (await makeToken(user.token, { name: 'leaked', scopes: [] })).body;
    const pat = made.token as string;
    const revoke = () => t.http().post('/authenticate/revoke').type('form').send({ token: pat });
    expect((await revoke()).status).toBe(200);
    expect((await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${pat}`)).status).toBe(401);
    expect((await auditEvents(t, 'pat.revoked'))[0]).toMatchObject({ details: { tokenId: made.id, via: 'revocation endpoint' } });
    // Again: nothing left to do, and nothing to tell.
    expect((await revoke()).status).toBe(200);
  });

  it('narrows when its owner loses a permission (the token keeps its scope, the owner’s permissions decide)', async () => {
    const user = await staff();
    const pat = (await makeToken(user.token, { name: 'reader', scopes: ['users:read', 'audit:read'] })).body.token as string;
    const bearer = { Authorization: `Bearer ${pat}` };
    expect((await t.http().get('/api/v1/audit').set(bearer)).status).toBe(200);
    await t
      .http()
      .put(`/api/v1/roles/${roleId}/permissions`)
      .auth(admin, { type: 'bearer' })
      .send({ permissions: ['users:read'] });
    try {
      expect((await t.http().get('/api/v1/audit').set(bearer)).status).toBe(403);
      expect((await t.http().get('/api/v1/users').set(bearer)).status).toBe(200);
    } finally {
      await t
        .http()
        .put(`/api/v1/roles/${roleId}/permissions`)
        .auth(admin, { type: 'bearer' })
        .send({ permissions: ['users:read', 'audit:read'] });
    }
    expect((await t.http().get('/api/v1/audit').set(bearer)).status).toBe(200);
  });

  it('records its last use at most once a minute (not a write per request)', async () => {
    const user = await staff();
    const made = (await makeToken(user.token, { name: 'x', scopes: [] })).body;
    const bearer = { Authorization: `Bearer ${made.token as string}` };
    const placeholder = (n: number) => (t.databaseUrl.startsWith('sqlite') ? '?' : `$${n}`);
    const lastUsed = async () =>
      (
        (await t.dataSource().query(`SELECT last_used_at FROM personal_access_tokens WHERE id = ${placeholder(1)}`, [made.id])) as {
          last_used_at: string | Date | null;
        }[]
      )[0].last_used_at;
    expect(await lastUsed()).toBeNull();
    expect((await t.http().get('/api/v1/users/me').set(bearer)).status).toBe(200);
    // Written behind the request, with other tokens' uses, within about a second.
    for (let waited = 0; (await lastUsed()) === null && waited < 5_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await lastUsed()).not.toBeNull();
    // Put the recorded use 30 s back: further requests within the minute write nothing.
    const earlier = new Date(Date.now() - 30_000);
    await t
      .dataSource()
      .query(`UPDATE personal_access_tokens SET last_used_at = ${placeholder(1)} WHERE id = ${placeholder(2)}`, [
        t.databaseUrl.startsWith('sqlite') ? earlier.toISOString().replace('T', ' ').slice(0, 23) : earlier,
        made.id,
      ]);
    const before = String(await lastUsed());
    for (let i = 0; i < 5; i++) expect((await t.http().get('/api/v1/users/me').set(bearer)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(String(await lastUsed())).toBe(before);
  });

  it('refuses malformed, mistyped and unknown tokens with a 401 that says so', async () => {
    const user = await staff();
    const pat = (await makeToken(user.token, { name: 'x', scopes: [] })).body.token as string;
    const typo = `${pat.slice(0, 10)}${pat[10] === 'a' ? 'b' : 'a'}${pat.slice(11)}`;
    for (const [token, message] of [
      ['gth_short', /malformed/],
      [typo, /malformed/],
      [`${pat}x`, /malformed/],
    ] as const) {
      const res = await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(message);
    }
    // Well-formed (its checksum right) but never issued.
    const { newSecret } = await import('../src/credentials/credential-secrets');
    const forged = await t
      .http()
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${newSecret('gth_')}`);
    expect(forged.status).toBe(401);
    expect(forged.body.message).toBe('The personal access token is not valid');
    expect((await t.http().delete(`/api/v1/users/me/tokens/${randomUUID()}`).auth(user.token, { type: 'bearer' })).status).toBe(404);
  });

  it('is active in introspection with its scope, inactive once revoked', async () => {
    const user = await staff();
    const made = (await makeToken(user.token, { name: 'x', scopes: ['users:read'] })).body;
    const introspect = () =>
      t
        .http()
        .post('/authenticate/introspect')
        .auth(admin, { type: 'bearer' })
        .type('form')
        .send({ token: made.token as string });
    expect((await introspect()).body).toMatchObject({
      active: true,
      sub: user.id,
      username: user.username,
      scope: 'users:read',
      token_type: 'personal_access_token',
    });
    await t
      .http()
      .delete(`/api/v1/users/me/tokens/${made.id as string}`)
      .auth(user.token, { type: 'bearer' });
    expect((await introspect()).body).toEqual({ active: false });
  });
});
