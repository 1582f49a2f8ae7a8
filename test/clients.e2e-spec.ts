import { Issuer, errors } from 'openid-client';
import { ADMIN } from './support/test-app';
import { ServerProcess, startGatehouseProcess } from './support/server-process';
import { decodeJwt } from './support/auth-helpers';
import { describeE2E } from './support/test-database';

interface Created {
  client_id: string;
  client_secret: string;
  name: string;
  scopes: string[];
}

/**
 * Service clients and the OAuth 2 client credentials grant (RFC 6749 §4.4), against a real server
 * process with an unmodified OAuth client library (openid-client), as a service would use it.
 */
describeE2E('Service clients and POST /oauth/token', () => {
  let server: ServerProcess & { stop(): Promise<void> };
  let admin: string;

  beforeAll(async () => {
    server = await startGatehouseProcess({ LOGIN_MAX_FAILURES: '50' });
    admin = await adminLogin();
  }, 90_000);
  afterAll(() => server?.stop());

  async function adminLogin(query = ''): Promise<string> {
    const res = await fetch(`${server.url}/authenticate/login${query}`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` },
    });
    return ((await res.json()) as { token: { access_token: string } }).token.access_token;
  }

  async function api(
    method: string,
    path: string,
    body?: unknown,
    token = admin,
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  async function register(scopes: string[], name = 'billing-service'): Promise<Created> {
    const res = await api('POST', '/api/v1/clients', { name, scopes });
    expect(res.status).toBe(201);
    return res.body as Created;
  }

  async function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  }

  const basicOf = (id: string, secret: string) => ({
    Authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
  });

  it('registers a client (secret shown once, never listed) and openid-client gets a token with grant()', async () => {
    const created = await register(['users:read', 'introspect']);
    expect(created).toMatchObject({
      client_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'billing-service',
      scopes: ['introspect', 'users:read'],
    });
    expect(created.client_secret).toMatch(/^gthcs_[0-9A-Za-z]{38}$/);
    const listed = await api('GET', '/api/v1/clients');
    expect(JSON.stringify(listed.body)).not.toContain(created.client_secret);
    expect(listed.body.find((client: { client_id: string }) => client.client_id === created.client_id)).not.toHaveProperty('client_secret');

    const issuer = await Issuer.discover(server.url);
    expect(issuer.metadata).toMatchObject({
      token_endpoint: `${server.url}/oauth/token`,
      grant_types_supported: expect.arrayContaining(['client_credentials']),
      token_endpoint_auth_methods_supported: expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    });
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      const client = new issuer.Client({
        client_id: created.client_id,
        client_secret: created.client_secret,
        token_endpoint_auth_method: method,
      });
      const set = await client.grant({ grant_type: 'client_credentials' });
      expect(set.token_type).toBe('Bearer');
      expect(set.expires_in).toBe(300);
      expect(set.scope).toBe('introspect users:read');
      expect(set.refresh_token).toBeUndefined();
      const claims = decodeJwt(set.access_token!).payload;
      expect(claims).toMatchObject({
        sub: created.client_id,
        client_id: created.client_id,
        scope: 'introspect users:read',
        gty: 'client_credentials',
      });
      expect(claims).not.toHaveProperty('sid');
      // The token works on the API within its scope: users:read yes, users:write no, and a client has no roles.
      expect((await api('GET', '/api/v1/users', undefined, set.access_token)).status).toBe(200);
      const write = await api('POST', '/api/v1/roles', { name: 'NOPE' }, set.access_token);
      expect(write.status).toBe(403);
      expect(write.headers.get('www-authenticate')).toContain('scope="roles:write"');
      // And introspects, as a resource server would.
      const introspected = await fetch(`${server.url}/authenticate/introspect`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${set.access_token}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: set.access_token! }).toString(),
      });
      expect(await introspected.json()).toMatchObject({ active: true, client_id: created.client_id, scope: 'introspect users:read' });
    }
    const response = await tokenRequest({ grant_type: 'client_credentials' }, basicOf(created.client_id, created.client_secret));
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(response.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
  });

  it('introspects as an OAuth client with its secret (client_secret_basic, RFC 7662 §2.1) when it holds introspect', async () => {
    const resourceServer = await register(['introspect'], 'resource-server');
    const other = await register(['users:read'], 'no-introspection');
    const issuer = await Issuer.discover(server.url);
    const userToken = await adminLogin();
    const client = new issuer.Client({
      client_id: resourceServer.client_id,
      client_secret: resourceServer.client_secret,
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(await client.introspect(userToken)).toMatchObject({ active: true, username: ADMIN.username, token_type: 'Bearer' });
    const refused = new issuer.Client({
      client_id: other.client_id,
      client_secret: other.client_secret,
      token_endpoint_auth_method: 'client_secret_basic',
    });
    await expect(refused.introspect(userToken)).rejects.toMatchObject({ response: { statusCode: 403 } });
    const wrong = new issuer.Client({
      client_id: resourceServer.client_id,
      client_secret: 'gthcs_wrong',
      token_endpoint_auth_method: 'client_secret_basic',
    });
    await expect(wrong.introspect(userToken)).rejects.toMatchObject({ response: { statusCode: 401 } });
  });

  it('acts only through its permissions: routes for users (no permission required) refuse a client with 403', async () => {
    const created = await register(['users:read']);
    const token = (await tokenRequest({ grant_type: 'client_credentials' }, basicOf(created.client_id, created.client_secret))).body
      .access_token as string;
    for (const [method, path] of [
      ['GET', '/api/v1/users/me'],
      ['GET', '/api/v1/roles'],
      ['GET', '/api/v1/users/me/sessions'],
      ['GET', '/api/v1/users/me/tokens'],
      ['POST', '/api/v1/users/me/tokens'],
      ['GET', '/api/v1/users/me/mfa'],
    ]) {
      const res = await api(method, path, method === 'POST' ? { name: 'x', scopes: [] } : undefined, token);
      expect([path, res.status]).toEqual([path, 403]);
      expect(res.body.message).toMatch(/Service clients may call only routes that require a permission/);
    }
    const me = await api('GET', '/authenticate/me', undefined, token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: created.client_id, username: created.name, roles: [], permissions: ['users:read'] });
  });

  it('asks for a subset of its scopes; more is 400 invalid_scope', async () => {
    const created = await register(['users:read', 'audit:read']);
    const auth = basicOf(created.client_id, created.client_secret);
    const narrow = await tokenRequest({ grant_type: 'client_credentials', scope: 'audit:read' }, auth);
    expect(narrow.status).toBe(200);
    expect(narrow.body.scope).toBe('audit:read');
    expect((await api('GET', '/api/v1/users', undefined, narrow.body.access_token as string)).status).toBe(403);
    const wider = await tokenRequest({ grant_type: 'client_credentials', scope: 'audit:read users:write' }, auth);
    expect(wider.status).toBe(400);
    expect(wider.body).toMatchObject({ error: 'invalid_scope', error_description: expect.stringContaining('users:write') });
  });

  it('answers RFC 6749 §5.2 errors: invalid_client 401 with a Basic challenge, unsupported_grant_type, invalid_request', async () => {
    const created = await register(['users:read']);
    // One character changed (a fixed replacement would leave 1 secret in 64 unchanged: it failed so once in CI).
    const secret = created.client_secret;
    const wrong = await tokenRequest(
      { grant_type: 'client_credentials' },
      basicOf(created.client_id, `${secret.slice(0, -1)}${secret.endsWith('x') ? 'y' : 'x'}`),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="gatehouse", charset="UTF-8"');
    expect(wrong.body).toMatchObject({ error: 'invalid_client', error_description: expect.any(String) });
    const unknown = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: '00000000-0000-4000-8000-000000000000',
      client_secret: created.client_secret,
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_client');
    expect((await tokenRequest({ grant_type: 'client_credentials' })).body.error).toBe('invalid_client');
    const password = await tokenRequest(
      { grant_type: 'password', username: 'admin', password: 'x' },
      basicOf(created.client_id, created.client_secret),
    );
    expect(password.status).toBe(400);
    expect(password.body.error).toBe('unsupported_grant_type');
    expect((await tokenRequest({}, basicOf(created.client_id, created.client_secret))).body.error).toBe('invalid_request');
    // Lists are space-separated strings in OAuth: scope[]=… would be ignored as unknown and give more than asked.
    const arrayStyle = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...basicOf(created.client_id, created.client_secret) },
      body: 'grant_type=client_credentials&scope[]=users:read',
    });
    expect(arrayStyle.status).toBe(400);
    expect(((await arrayStyle.json()) as { error: string }).error).toBe('invalid_request');
    const repeated = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...basicOf(created.client_id, created.client_secret) },
      body: 'grant_type=client_credentials&scope=users:read&scope=users:read',
    });
    expect(repeated.status).toBe(400);
    expect(await repeated.json()).toMatchObject({ error: 'invalid_request', message: 'The form parameter scope is repeated' });
    const both = await tokenRequest(
      { grant_type: 'client_credentials', client_id: created.client_id, client_secret: created.client_secret },
      basicOf(created.client_id, created.client_secret),
    );
    expect(both.status).toBe(400);
    expect(both.body.error).toBe('invalid_request');
    // A wrong secret through the library: an OPError the service can read.
    const issuer = await Issuer.discover(server.url);
    const client = new issuer.Client({
      client_id: created.client_id,
      client_secret: 'gthcs_wrong',
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const failure = await client.grant({ grant_type: 'client_credentials' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(errors.OPError);
    expect(failure).toMatchObject({ error: 'invalid_client' });
  });

  it('rotates the secret: the old one works during the grace period, then not; every change is audited', async () => {
    const created = await register(['users:read']);
    const rotated = await api('POST', `/api/v1/clients/${created.client_id}/secret`, { graceSeconds: 2 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.client_secret).not.toBe(created.client_secret);
    expect(rotated.body.previousSecretExpiresAt).toEqual(expect.any(String));
    const grant = (secret: string) => tokenRequest({ grant_type: 'client_credentials' }, basicOf(created.client_id, secret));
    expect((await grant(created.client_secret)).status).toBe(200);
    expect((await grant(rotated.body.client_secret)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await grant(created.client_secret)).status).toBe(401);
    expect((await grant(rotated.body.client_secret)).status).toBe(200);
    // No grace: the old secret ends at once.
    const again = await api('POST', `/api/v1/clients/${created.client_id}/secret`, { graceSeconds: 0 });
    expect((await grant(rotated.body.client_secret)).status).toBe(401);
    expect((await grant(again.body.client_secret)).status).toBe(200);

    const audit = await api('GET', `/api/v1/audit?limit=200`);
    const types = (audit.body.items as { type: string; details: { clientId?: string } }[])
      .filter((event) => event.details?.clientId === created.client_id)
      .map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['client.created', 'client.secret_rotated', 'client.token_issued', 'client.auth_failed']));
  });

  it('disabling, narrowing or deleting a client reaches its live tokens at once', async () => {
    const created = await register(['users:read', 'audit:read']);
    const token = (await tokenRequest({ grant_type: 'client_credentials' }, basicOf(created.client_id, created.client_secret))).body
      .access_token as string;
    expect((await api('GET', '/api/v1/audit', undefined, token)).status).toBe(200);
    expect((await api('PATCH', `/api/v1/clients/${created.client_id}`, { scopes: ['users:read'] })).status).toBe(200);
    expect((await api('GET', '/api/v1/audit', undefined, token)).status).toBe(403);
    expect((await api('GET', '/api/v1/users', undefined, token)).status).toBe(200);
    await api('PATCH', `/api/v1/clients/${created.client_id}`, { enabled: false });
    const disabled = await api('GET', '/api/v1/users', undefined, token);
    expect(disabled.status).toBe(401);
    expect(disabled.body.message).toMatch(/client is disabled/);
    expect((await tokenRequest({ grant_type: 'client_credentials' }, basicOf(created.client_id, created.client_secret))).status).toBe(401);
    await api('PATCH', `/api/v1/clients/${created.client_id}`, { enabled: true });
    expect((await api('GET', '/api/v1/users', undefined, token)).status).toBe(200);
    expect((await api('DELETE', `/api/v1/clients/${created.client_id}`)).status).toBe(204);
    expect((await api('GET', '/api/v1/users', undefined, token)).status).toBe(401);
    expect((await api('GET', `/api/v1/clients/${created.client_id}`)).status).toBe(404);
  });

  it('only holders of clients:admin register clients, and only with permissions they hold (or roles:write)', async () => {
    const scoped = await adminLogin('?scope=users:read');
    expect((await api('POST', '/api/v1/clients', { name: 'x', scopes: [] }, scoped)).status).toBe(403);
    // An ADMIN holds roles:write, so it may give any permission, an application's too.
    expect((await api('POST', '/api/v1/clients', { name: 'x', scopes: ['patients:read'] })).status).toBe(201);
    // A client administrator without roles:write gives only what they hold.
    const role = await api('POST', '/api/v1/roles', { name: 'CLIENT_ADMIN' });
    await api('PUT', `/api/v1/roles/${role.body.id}/permissions`, { permissions: ['clients:admin', 'users:read'] });
    const password = 'client-admin-password-1';
    expect((await api('POST', '/api/v1/users', { username: 'client-admin', password, roles: ['USER', 'CLIENT_ADMIN'] })).status).toBe(201);
    const login = await fetch(`${server.url}/authenticate/login`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`client-admin:${password}`).toString('base64')}` },
    });
    const clientAdmin = ((await login.json()) as { token: { access_token: string } }).token.access_token;
    const escalation = await api('POST', '/api/v1/clients', { name: 'x', scopes: ['audit:read'] }, clientAdmin);
    expect(escalation.status).toBe(403);
    expect(escalation.body.message).toMatch(/permissions you do not hold/);
    expect((await api('POST', '/api/v1/clients', { name: 'x', scopes: ['users:read'] }, clientAdmin)).status).toBe(201);
    // Nor take over a client holding more: no new secret, no disabling, no deleting.
    const stronger = await register(['audit:read', 'users:read'], 'stronger');
    for (const [method, path, body] of [
      ['POST', `/api/v1/clients/${stronger.client_id}/secret`, { graceSeconds: 0 }],
      ['PATCH', `/api/v1/clients/${stronger.client_id}`, { enabled: false }],
      ['DELETE', `/api/v1/clients/${stronger.client_id}`, undefined],
    ] as const) {
      const res = await api(method, path, body, clientAdmin);
      expect([method, res.status]).toEqual([method, 403]);
      expect(res.body.message).toMatch(/administer a client holding permissions you do not hold/);
    }
    expect((await tokenRequest({ grant_type: 'client_credentials' }, basicOf(stronger.client_id, stronger.client_secret))).status).toBe(
      200,
    );
    for (const bad of [{ scopes: [] }, { name: 'x', scopes: ['Bad Scope'] }, { name: 'x', scopes: 'users:read' }]) {
      expect((await api('POST', '/api/v1/clients', bad)).status).toBe(400);
    }
  });

  it('still renews a session with the refresh_token grant at the same endpoint', async () => {
    const login = await fetch(`${server.url}/authenticate/login`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` },
    });
    const { token } = (await login.json()) as { token: { refresh_token: string } };
    const renewed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: token.refresh_token, client_id: 'gatehouse' });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
    // Client credentials are not needed for a session's refresh, but wrong ones are refused.
    const wrongClient = await tokenRequest(
      { grant_type: 'refresh_token', refresh_token: renewed.body.refresh_token as string },
      basicOf('00000000-0000-4000-8000-000000000000', 'gthcs_wrong'),
    );
    expect(wrongClient.status).toBe(401);
    expect(wrongClient.body.error).toBe('invalid_client');
    const unknown = await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'A'.repeat(43) });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: 'invalid_grant', error_description: 'The refresh token is not valid' });
  });
});
