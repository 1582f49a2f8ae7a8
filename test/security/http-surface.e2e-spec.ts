import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { TestApp, createTestApp } from '../support/test-app';
import { adminToken, expectErrorBody, login } from '../support/auth-helpers';
import { describeE2E } from '../support/test-database';

/** Sends raw bytes and returns the raw response (for requests no HTTP client would send). */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let response = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('data', (chunk) => (response += chunk.toString()));
    socket.on('close', () => resolve(response));
    socket.on('error', (error) => (response ? resolve(response) : reject(error)));
    setTimeout(() => socket.destroy(), 3000);
  });
}

function bodyOf(raw: string): Record<string, unknown> {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

/** Errors the HTTP layer produces before any route runs, and inputs that would make a route recurse. */
describeE2E('HTTP surface under hostile input', () => {
  let t: TestApp;
  let admin: string;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminToken(t);
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  const nested = (depth: number) => `{"username":${'['.repeat(depth)}1${']'.repeat(depth)}}`;

  it.each([
    ['post', '/authenticate/login', false],
    ['post', '/authenticate/refresh', false],
    ['post', '/api/v1/users', true],
    ['patch', '/api/v1/users/me', true],
    ['post', '/api/v1/roles', true],
  ] as const)('refuses a JSON body nested 2,000 deep with 400 on %s %s, before validation', async (method, path, authenticated) => {
    let req = t.http()[method](path).set('Content-Type', 'application/json');
    if (authenticated) req = req.auth(admin, { type: 'bearer' });
    const res = await req.send(nested(2000));
    expect(res.status).toBe(400);
    expectErrorBody(res.body, 400, path);
    expect(res.body.message).toMatch(/nested too deeply/);
  });

  it('draws the line at 32 levels (brackets inside strings do not count)', async () => {
    const send = (body: string) =>
      t.http().patch('/api/v1/users/me').auth(admin, { type: 'bearer' }).set('Content-Type', 'application/json').send(body);
    expect((await send(nested(33))).body.message).toMatch(/nested too deeply/);
    const shallow = await send(nested(31));
    expect(shallow.status).toBe(400);
    expect(shallow.body.message).not.toMatch(/nested too deeply/);
    const inString = await send(JSON.stringify({ firstName: '['.repeat(60) + '{'.repeat(60) }));
    expect(inString.status).toBe(400); // too long a name, but not "nested"
    expect(inString.body.message).not.toMatch(/nested too deeply/);
  });

  it('answers a malformed URL in the one error body, with the security headers', async () => {
    const res = await t.http().get('/%');
    expect(res.status).toBe(400);
    expectErrorBody(res.body, 400, '/%');
    expect(res.body.code).toBe('bad_request'); // ours, not Fastify's internal FST_ERR_BAD_URL
    expect(res.body).not.toHaveProperty('statusCode');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('answers an over-long path parameter with 414 in the one error body', async () => {
    const res = await t
      .http()
      .get(`/api/v1/users/${'a'.repeat(300)}`)
      .auth(admin, { type: 'bearer' });
    expect(res.status).toBe(414);
    expect(res.body).toMatchObject({ status: 414, error: 'URI Too Long' });
    expect(res.body).not.toHaveProperty('statusCode');
  });

  it('answers an unknown route with 404 in the one error body, never echoing markup from the path', async () => {
    const raw = await rawRequest(port, 'GET /nope/<script>alert(1)</script> HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(raw.startsWith('HTTP/1.1 404')).toBe(true);
    const body = bodyOf(raw);
    expect(body).toMatchObject({ status: 404, error: 'Not Found' });
    expect(JSON.stringify(body)).not.toMatch(/[<>]/);
    expect(body.path).toBe('/nope/%3Cscript%3Ealert(1)%3C/script%3E');
  });

  it('answers oversized headers (431) and a URL past the header limit in the one error body', async () => {
    for (const request of [
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`,
      `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    ]) {
      const raw = await rawRequest(port, request);
      expect(raw.startsWith('HTTP/1.1 431')).toBe(true);
      expect(raw).toMatch(/\r\nX-Frame-Options: DENY\r\n/i);
      expect(bodyOf(raw)).toMatchObject({ status: 431, error: 'Request Header Fields Too Large' });
      expect(bodyOf(raw)).not.toHaveProperty('statusCode');
    }
  });

  it('answers a request that is not HTTP, or badly framed, in the one error body', async () => {
    for (const request of [
      'GARBAGE\r\n\r\n',
      'POST /authenticate/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n',
    ]) {
      const raw = await rawRequest(port, request);
      expect(raw.startsWith('HTTP/1.1 400')).toBe(true);
      expect(bodyOf(raw)).toMatchObject({ status: 400, error: 'Bad Request' });
      expect(bodyOf(raw)).not.toHaveProperty('statusCode');
    }
  });

  it('answers what Node itself would answer (no Host, an unknown Expect, CONNECT) in the one error body', async () => {
    const noHost = await rawRequest(port, 'GET /health/live HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(noHost.startsWith('HTTP/1.1 400')).toBe(true);
    expect(noHost).toMatch(/\r\nx-frame-options: DENY\r\n/i);
    expect(bodyOf(noHost)).toMatchObject({ status: 400, message: expect.stringMatching(/Host/) });
    const expectation = await rawRequest(
      port,
      'POST /authenticate/login HTTP/1.1\r\nHost: x\r\nExpect: 100-banana\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
    );
    expect(expectation.startsWith('HTTP/1.1 417')).toBe(true);
    expect(expectation).toMatch(/\r\nx-frame-options: DENY\r\n/i);
    expect(bodyOf(expectation)).toMatchObject({ status: 417, error: 'Expectation Failed' });
    const connect = await rawRequest(port, 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n');
    expect(connect.startsWith('HTTP/1.1 405')).toBe(true);
    expect(bodyOf(connect)).toMatchObject({ status: 405 });
  });

  it('answers those in RFC 9457 Problem Details too when asked, never cached', async () => {
    const expectation = await rawRequest(
      port,
      'POST /authenticate/login HTTP/1.1\r\nHost: x\r\nAccept: application/problem+json\r\nExpect: foo\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
    expect(expectation.startsWith('HTTP/1.1 417')).toBe(true);
    expect(expectation).toMatch(/\r\ncontent-type: application\/problem\+json; charset=utf-8\r\n/i);
    expect(expectation).toMatch(/\r\ncache-control: no-store\r\n/i);
    expect(bodyOf(expectation)).toMatchObject({ type: 'about:blank', status: 417, code: 'expectation_failed' });
    const connect = await rawRequest(
      port,
      'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\nAccept: application/problem+json\r\n\r\n',
    );
    expect(connect).toMatch(/\r\ncontent-type: application\/problem\+json; charset=utf-8\r\n/i);
    expect(bodyOf(connect)).toMatchObject({ type: 'about:blank', status: 405, code: 'method_not_allowed' });
  });

  it.each(['1e3', '0x10', '1.0', ' 1', '+1', '1_000', 'Infinity'])(
    'refuses page=%s: numbers in queries are plain decimal integers',
    async (value) => {
      for (const path of ['/api/v1/users', '/api/v1/audit']) {
        const res = await t.http().get(path).query({ page: value }).auth(admin, { type: 'bearer' });
        expect(res.status).toBe(400);
        const limited = await t.http().get(path).query({ limit: value }).auth(admin, { type: 'bearer' });
        expect(limited.status).toBe(400);
      }
    },
  );

  it.each(['2009-W01-1', '2009-123', '20240101', '2024-13-01', '2024-02-30T25:00Z', 'yesterday'])(
    'refuses the audit time %s: dates are calendar dates or date-times',
    async (value) => {
      const res = await t.http().get('/api/v1/audit').query({ from: value }).auth(admin, { type: 'bearer' });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/from must be an ISO 8601 date/);
    },
  );

  it('still reads plain page and limit numbers', async () => {
    const res = await t.http().get('/api/v1/users?page=1&limit=5').auth(admin, { type: 'bearer' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 1, limit: 5 });
  });

  it('refuses a NUL or control character in a JSON login or a new user with 400, on every database alike', async () => {
    const { access_token } = await login(t);
    for (const body of [
      { username: 'adm\u0000in', password: 'whatever-password' },
      { username: 'admin', password: 'pass\u0000word-password' },
      { username: 'admin\u0007', password: 'whatever-password' },
      { username: 'admin', password: 'line\nbreak-password' },
    ]) {
      const res = await t.http().post('/authenticate/login').send(body);
      expect(res.status).toBe(400);
      expectErrorBody(res.body, 400, '/authenticate/login');
    }
    for (const body of [
      { username: 'nul\u0000user', password: 'a-fine-password-1' },
      { username: 'fine-user', password: 'a-fine\u0000password-1' },
      { username: 'fine-user', password: 'a-fine\u001bpassword-1' },
      { username: 'fine-user', password: 'a-fine-password-\ud800' },
    ]) {
      const res = await t.http().post('/api/v1/users').auth(access_token, { type: 'bearer' }).send(body);
      expect(res.status).toBe(400);
    }
    expect(
      (await t.http().get('/api/v1/users?limit=100').auth(access_token, { type: 'bearer' })).body.items.map(
        (u: { username: string }) => u.username,
      ),
    ).not.toContain('fine-user');
    // The same for names, e-mail and role descriptions (PostgreSQL refused a NUL, SQLite stored it).
    for (const body of [{ firstName: 'Na\u0000me' }, { lastName: 'Na\u0007me' }, { email: 'a\u0000@example.org' }]) {
      const res = await t.http().patch('/api/v1/users/me').auth(access_token, { type: 'bearer' }).send(body);
      expect(res.status).toBe(400);
    }
    const role = await t
      .http()
      .post('/api/v1/roles')
      .auth(access_token, { type: 'bearer' })
      .send({ name: 'NULLISH', description: 'a\u0000b' });
    expect(role.status).toBe(400);
  });
});
