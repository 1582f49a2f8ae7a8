import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TestApp, createTestApp } from './support/test-app';
import { adminToken, basic, createUser, expectErrorBody, login } from './support/auth-helpers';
import { describeE2E, itWithSharedSecret, testDbKind } from './support/test-database';

describeE2E('The app around the modules', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ BODY_LIMIT: '2kb' });
  });
  afterAll(() => t.close());

  it('GET /health is public and reports the database', async () => {
    const res = await t.http().get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: 'up' });
    expect((await t.http().get('/health/live')).body).toEqual({ status: 'ok' });
  });

  it('answers an unknown route with 404 in the error format (even without a token)', async () => {
    const res = await t.http().get('/no/such/route?token=secret');
    expect(res.status).toBe(404);
    expectErrorBody(res.body, 404, '/no/such/route');
  });

  it('answers a body over BODY_LIMIT with 413, changing nothing', async () => {
    const res = await t
      .http()
      .post('/api/v1/users')
      .auth(await adminToken(t), { type: 'bearer' })
      .send({ username: 'big', password: 'x'.repeat(4096) });
    expect(res.status).toBe(413);
    expectErrorBody(res.body, 413, '/api/v1/users');
  });

  it('answers malformed JSON with 400 and no parser internals', async () => {
    const res = await t.http().post('/authenticate/refresh').set('Content-Type', 'application/json').send('{"refresh_token": ');
    expect(res.status).toBe(400);
    expectErrorBody(res.body, 400, '/authenticate/refresh');
    expect(res.body.message).not.toMatch(/at position|stack|node_modules/i);
  });

  it('never leaks a stack trace or a hash in an error', async () => {
    const res = await t.http().post('/authenticate/login').set('Authorization', basic('admin', 'x'));
    expect(JSON.stringify(res.body)).not.toMatch(/\bat \w+ \(|argon2|\/src\//);
  });

  describe('OpenAPI and Swagger UI', () => {
    it('serves the OpenAPI 3 document with basic, bearer and personal-access-token security schemes', async () => {
      const res = await t.http().get('/docs-json');
      expect(res.status).toBe(200);
      expect(res.body.openapi).toMatch(/^3\./);
      expect(res.body.components.securitySchemes).toEqual({
        basic: expect.objectContaining({ type: 'http', scheme: 'basic' }),
        bearer: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
        'personal-access-token': expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'gth_…' }),
      });
      const paths = res.body.paths as Record<string, Record<string, { security?: unknown[] }>>;
      expect(paths['/authenticate/login'].post.security).toEqual([{ basic: [] }]);
      // Either scheme: a session's access token or a personal access token.
      expect(paths['/api/v1/users'].get.security).toEqual([{ bearer: [] }, { 'personal-access-token': [] }]);
      for (const path of ['/authenticate/refresh', '/authenticate/me', '/api/v1/users/{id}', '/api/v1/roles', '/api/v1/role', '/health']) {
        expect(paths).toHaveProperty([path]);
      }
    });

    it('serves Swagger UI at /docs', async () => {
      const res = await t.http().get('/docs').redirects(1);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text).toMatch(/swagger-ui/i);
    });

    it('makes Swagger UI authorize the bearer scheme after a login there', async () => {
      const res = await t.http().get('/docs/swagger-ui-init.js');
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/responseInterceptor/);
      expect(res.text).toMatch(/preauthorizeApiKey\('bearer'/);
      // The generated script must still be valid JavaScript.
      expect(() => new Function(res.text)).not.toThrow();
    });
  });

  it('lists every route with its protection (a new public route is a visible change)', async () => {
    const doc = (await t.http().get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const unauthenticated: string[] = [];
    for (const route of routes) {
      const [method, path] = route.split(' ');
      const url = path.replace('{id}', '00000000-0000-4000-8000-000000000000');
      const res = await t.http()[method.toLowerCase() as 'get'](url);
      if (res.status !== 401 || route === 'POST /authenticate/login') unauthenticated.push(route);
    }
    expect(unauthenticated.sort()).toEqual(
      [
        'GET /health',
        'GET /health/live',
        'GET /health/ready',
        'GET /health/started',
        'POST /authenticate/login',
        'POST /authenticate/refresh',
        // RFC 7009: revocation answers 200 to anyone holding a token (or not).
        'POST /authenticate/revoke',
        // Public keys and RFC 8414 metadata (404 under HS512 with a non-URL issuer, never 401).
        'GET /.well-known/jwks.json',
        'GET /.well-known/oauth-authorization-server',
        'GET /.well-known/openid-configuration',
        // Delegated login: the browser arrives here without a token by design.
        'GET /authenticate/oidc',
        'GET /authenticate/oidc/{provider}/login',
        'GET /authenticate/oidc/{provider}/callback',
        'POST /authenticate/oidc/token',
        // The second step of a login (the mfa_token is the credential) and passwordless passkey login.
        'POST /authenticate/mfa',
        'POST /authenticate/mfa/webauthn-options',
        'POST /authenticate/passkey/options',
        'POST /authenticate/passkey/verify',
        // Account recovery: the reset and verification links' tokens are the credentials; a forgotten password has none.
        'POST /authenticate/password/forgot',
        'POST /authenticate/password/reset',
        'POST /authenticate/email/verify',
        // The OAuth token endpoint: the client authenticates in the request (Basic or client_secret_post).
        'POST /oauth/token',
      ].sort(),
    );
  });
});

describeE2E('Restart and first start', () => {
  it('keeps users, the secret and refresh tokens across a restart', async () => {
    const t = await createTestApp();
    try {
      const user = await createUser(t);
      const tokens = await login(t, user.username, user.password);
      await t.restart();
      // The old access token still verifies: the generated secret was reused.
      expect((await t.http().get('/authenticate/me').auth(tokens.access_token, { type: 'bearer' })).status).toBe(200);
      expect((await t.http().post('/authenticate/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(200);
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password))).status).toBe(200);
      // Seeding ran once: still one admin.
      const list = await t
        .http()
        .get('/api/v1/users?limit=100')
        .auth(await adminToken(t), { type: 'bearer' });
      expect(list.body.items.filter((u: { username: string }) => u.username === 'admin')).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it('generates the secret (a 0600 file on SQLite, shared in the database on PostgreSQL) and the first admin password', async () => {
    const t = await createTestApp({ ADMIN_PASSWORD: '' });
    try {
      const secretFile = join(t.dataDir, 'jwt-secret');
      const passwordFile = join(t.dataDir, 'initial-admin-password');
      if (testDbKind() === 'sqlite') {
        expect(statSync(secretFile).mode & 0o777).toBe(0o600);
        expect(Buffer.from(readFileSync(secretFile, 'utf8').trim(), 'base64url').length).toBeGreaterThanOrEqual(64);
      } else {
        expect(existsSync(secretFile)).toBe(false);
        const [row] = await t.dataSource().query('SELECT secret FROM signing_keys');
        expect(Buffer.from(row.secret, 'base64url').length).toBeGreaterThanOrEqual(64);
      }
      expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
      const password = readFileSync(passwordFile, 'utf8').trim();
      expect(password.length).toBeGreaterThanOrEqual(20);
      const res = await t.http().post('/authenticate/login').set('Authorization', basic('admin', password));
      expect(res.status).toBe(200);
      expect(res.body.user.roles.map((role: { name: string }) => role.name)).toEqual(['ADMIN', 'USER']);
    } finally {
      await t.close();
    }
  });

  itWithSharedSecret('uses JWT_SECRET when set: tokens signed by one instance verify on another with the same secret', async () => {
    const JWT_SECRET = 'a'.repeat(32) + 'b'.repeat(32) + 'c'.repeat(8);
    const t = await createTestApp({ JWT_SECRET });
    try {
      expect(existsSync(join(t.dataDir, 'jwt-secret'))).toBe(false);
      const tokens = await login(t);
      await t.restart({ JWT_SECRET: 'z'.repeat(72) });
      expect((await t.http().get('/authenticate/me').auth(tokens.access_token, { type: 'bearer' })).status).toBe(401);
      await t.restart({ JWT_SECRET });
      expect((await t.http().get('/authenticate/me').auth(tokens.access_token, { type: 'bearer' })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describeE2E('Content types', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])('answers a %s body with 415', async (type) => {
    const res = await t.http().post('/authenticate/login').set('Content-Type', type).send('username=a&password=b');
    expect(res.status).toBe(415);
    expectErrorBody(res.body, 415, '/authenticate/login');
  });

  it.each(['text/plain', 'application/xml'])('answers a %s body on the OAuth endpoints with 415', async (type) => {
    for (const path of ['/authenticate/refresh', '/authenticate/introspect', '/authenticate/revoke']) {
      const res = await t.http().post(path).set('Content-Type', type).send('token=abc');
      expect(res.status).toBe(415);
      expectErrorBody(res.body, 415, path);
    }
  });

  it('takes a form-encoded body on the OAuth endpoints (RFC 6749 convention) and refuses a repeated parameter', async () => {
    const bad = await t.http().post('/authenticate/refresh').type('form').send('grant_type=refresh_token&refresh_token=abc');
    expect(bad.status).toBe(401);
    const repeated = await t.http().post('/authenticate/revoke').type('form').send('token=a&token=b');
    expect(repeated.status).toBe(400);
    expectErrorBody(repeated.body, 400, '/authenticate/revoke');
  });
});

describeE2E('HTTP surface', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('sends security headers, a request id, and no X-Powered-By', async () => {
    const res = await t.http().get('/health');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    // Nothing here is meant to be framed (clickjacking).
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const other = await t.http().get('/health').set('X-Request-Id', 'client-chosen');
    expect(other.headers['x-request-id']).not.toBe('client-chosen');
  });

  it('sends exactly these security headers, byte for byte, on every response', async () => {
    const expected = {
      'content-security-policy':
        "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'none';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-site',
      'origin-agent-cluster': '?1',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-dns-prefetch-control': 'off',
      'x-download-options': 'noopen',
      'x-frame-options': 'DENY',
      'x-permitted-cross-domain-policies': 'none',
      'x-xss-protection': '0',
    };
    for (const res of [
      await t.http().get('/health/live'),
      await t.http().get('/api/v1/users'),
      await t.http().get('/nope'),
      await t.http().get('/docs'),
    ]) {
      for (const [name, value] of Object.entries(expected)) expect([name, res.headers[name]]).toEqual([name, value]);
    }
  });

  it('keeps the security headers on errors', async () => {
    const res = await t.http().get('/api/v1/users');
    expect(res.status).toBe(401);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
