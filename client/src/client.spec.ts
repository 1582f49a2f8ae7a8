import { createGatehouseClient, GatehouseClient, GatehouseClientOptions, GatehouseError } from './index';

/**
 * A scripted Gatehouse for the library's unit tests: unsigned tokens (the client never verifies,
 * only reads `exp`), a controllable clock, and counters for what the client sent.
 */
class FakeGatehouse {
  clock = 1_700_000_000_000;
  accessTtl = 60;
  refreshes = 0;
  logins = 0;
  apiCalls: { token: string | null; body: string }[] = [];
  /** Tokens the API rejects with invalid_token (revoked on the server, say). */
  rejected = new Set<string>();
  refuseRefresh = false;
  refreshDelayMs = 0;
  private serial = 0;
  currentRefresh = 'refresh-0';

  token(): string {
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const payload = {
      sub: 'u-1',
      preferred_username: 'ada',
      roles: ['ADMIN', 'USER'],
      exp: Math.floor(this.clock / 1000) + this.accessTtl,
      n: ++this.serial,
    };
    return `${b64({ alg: 'HS512', typ: 'JWT' })}.${b64(payload)}.signature`;
  }

  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
    if (url.pathname === '/authenticate/login') {
      this.logins++;
      const expected = `Basic ${Buffer.from('ada:pässwörd-long-enough').toString('base64')}`;
      if (request.headers.get('authorization') !== expected) return json(401, { status: 401, message: 'Invalid credentials' });
      const cookie = url.searchParams.get('cookie') === 'true';
      return json(200, {
        user: { id: 'u-1' },
        token: { access_token: this.token(), expires_in: this.accessTtl, ...(cookie ? {} : { refresh_token: this.currentRefresh }) },
      });
    }
    if (url.pathname === '/authenticate/refresh') {
      this.refreshes++;
      const body = await request.text();
      if (this.refreshDelayMs) await new Promise((resolve) => setTimeout(resolve, this.refreshDelayMs));
      if (this.refuseRefresh)
        return json(401, { status: 401, message: 'The refresh token was revoked' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      if (body) {
        if ((JSON.parse(body) as { refresh_token: string }).refresh_token !== this.currentRefresh) return json(401, { message: 'reused' });
        this.currentRefresh = `refresh-${this.refreshes}`;
        return json(200, { access_token: this.token(), expires_in: this.accessTtl, refresh_token: this.currentRefresh });
      }
      return json(200, { access_token: this.token(), expires_in: this.accessTtl });
    }
    if (url.pathname === '/authenticate/logout') return new Response(null, { status: 204 });
    const auth = request.headers.get('authorization');
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : null;
    this.apiCalls.push({ token, body: await request.text() });
    if (!token) return json(401, { message: 'No token' }, { 'www-authenticate': 'Bearer realm="gatehouse", error="invalid_token"' });
    const exp = (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number }).exp;
    if (this.rejected.has(token) || exp * 1000 <= this.clock) {
      return json(
        401,
        { message: 'The access token has expired' },
        { 'www-authenticate': 'Bearer realm="gatehouse", error="invalid_token"' },
      );
    }
    return json(200, { ok: true });
  };
}

const API = 'https://gatehouse.test/api/v1/things';

function setup(overrides: Partial<GatehouseClientOptions> = {}) {
  const server = new FakeGatehouse();
  const expired = jest.fn();
  const client: GatehouseClient = createGatehouseClient({
    baseUrl: 'https://gatehouse.test/',
    cookieMode: false,
    refreshSkewSeconds: 30,
    fetch: server.fetch,
    now: () => server.clock,
    onSessionExpired: expired,
    ...overrides,
  });
  return { server, client, expired };
}

describe('@gatehouse/client', () => {
  it('logs in with UTF-8 Basic credentials and X-Requested-With, and reads the user from the token', async () => {
    const { server, client } = setup();
    const seen: Request[] = [];
    const spy = jest.fn((input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Request(input, init));
      return server.fetch(input, init);
    });
    const spied = createGatehouseClient({ baseUrl: 'https://gatehouse.test', cookieMode: false, fetch: spy });
    const user = await spied.login('ada', 'pässwörd-long-enough', { validitySecs: 120 });
    expect(user).toEqual({ id: 'u-1', username: 'ada', roles: ['ADMIN', 'USER'] });
    expect(seen[0].headers.get('x-requested-with')).toBe('XMLHttpRequest');
    expect(new URL(seen[0].url).searchParams.get('validity_secs')).toBe('120');
    expect(new URL(seen[0].url).searchParams.get('cookie')).toBe('false');
    expect(spied.hasRole('ADMIN')).toBe(true);
    expect(spied.hasRole('AUDITOR')).toBe(false);
    await expect(client.login('ada', 'wrong')).rejects.toEqual(new GatehouseError('Invalid credentials', 401));
    expect(client.user()).toBeNull();
  });

  it('refreshes before a request only when the token expires within the skew', async () => {
    const { server, client } = setup();
    await client.login('ada', 'pässwörd-long-enough');
    const first = client.accessToken();
    server.clock += 20_000; // 40 s left, skew 30 s: no refresh
    expect((await client.fetch(API)).status).toBe(200);
    expect(server.refreshes).toBe(0);
    expect(server.apiCalls[0].token).toBe(first);
    server.clock += 15_000; // 25 s left: refresh first, then send the new token
    expect((await client.fetch(API)).status).toBe(200);
    expect(server.refreshes).toBe(1);
    expect(server.apiCalls[1].token).not.toBe(first);
    expect(server.apiCalls[1].token).toBe(client.accessToken());
  });

  it('shares one refresh among 20 concurrent calls', async () => {
    const { server, client } = setup();
    await client.login('ada', 'pässwörd-long-enough');
    server.clock += 59_000;
    server.refreshDelayMs = 20;
    const responses = await Promise.all(Array.from({ length: 20 }, () => client.fetch(API)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(server.refreshes).toBe(1);
    expect(new Set(server.apiCalls.map((call) => call.token)).size).toBe(1);
    expect(server.apiCalls[0].token).toBe(client.accessToken());
  });

  it('after a 401 invalid_token, refreshes once and retries once, with the same body', async () => {
    const { server, client } = setup();
    await client.login('ada', 'pässwörd-long-enough');
    server.rejected.add(client.accessToken()!);
    const response = await client.fetch(API, { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(200);
    expect(server.refreshes).toBe(1);
    expect(server.apiCalls.map((call) => call.body)).toEqual(['payload', 'payload']);
  });

  it('does not retry a second time when the retried call is refused too', async () => {
    const { server, client } = setup();
    await client.login('ada', 'pässwörd-long-enough');
    const always = server.fetch;
    server.fetch = async (input, init) => {
      const response = await always(input, init);
      return new Request(input, init).url === API
        ? new Response('{}', { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } })
        : response;
    };
    const client2 = createGatehouseClient({
      baseUrl: 'https://gatehouse.test',
      cookieMode: false,
      fetch: server.fetch,
      now: () => server.clock,
    });
    await client2.login('ada', 'pässwörd-long-enough');
    expect((await client2.fetch(API)).status).toBe(401);
    expect(server.refreshes).toBe(1);
  });

  it('on a refused refresh: no loop, the original 401 returned, onSessionExpired fired once', async () => {
    const { server, client, expired } = setup();
    await client.login('ada', 'pässwörd-long-enough');
    server.rejected.add(client.accessToken()!);
    server.refuseRefresh = true;
    const responses = await Promise.all(Array.from({ length: 5 }, () => client.fetch(API)));
    expect(responses.map((r) => r.status)).toEqual(Array(5).fill(401));
    expect(server.refreshes).toBe(1);
    expect(expired).toHaveBeenCalledTimes(1);
    // Later calls neither refresh nor fire again until the next login.
    expect((await client.fetch(API)).status).toBe(401);
    server.clock += 120_000;
    expect((await client.fetch(API)).status).toBe(401);
    expect(server.refreshes).toBe(1);
    expect(expired).toHaveBeenCalledTimes(1);
    expect(client.user()).toBeNull();
    server.refuseRefresh = false;
    await client.login('ada', 'pässwörd-long-enough');
    expect((await client.fetch(API)).status).toBe(200);
  });

  it('fires onSessionExpired once when the token expires and the refresh is refused', async () => {
    const { server, client, expired } = setup();
    await client.login('ada', 'pässwörd-long-enough');
    server.refuseRefresh = true;
    server.clock += 3_600_000;
    await Promise.all([client.fetch(API), client.fetch(API), client.fetch(API)]);
    expect(server.refreshes).toBe(1);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it('rotates an in-memory refresh token when cookieMode is false', async () => {
    const { server, client } = setup();
    await client.login('ada', 'pässwörd-long-enough');
    expect(await client.refresh({ force: true })).toBe(true);
    expect(await client.refresh({ force: true })).toBe(true);
    expect(server.refreshes).toBe(2);
    expect(server.currentRefresh).toBe('refresh-2');
  });

  it('after logout, the next call finds the session gone and fires onSessionExpired', async () => {
    const { server, client, expired } = setup({ cookieMode: false });
    await client.login('ada', 'pässwörd-long-enough');
    await client.logout();
    expect(client.user()).toBeNull();
    const response = await client.fetch(API);
    expect(response.status).toBe(401);
    expect(server.apiCalls[0].token).toBeNull();
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it('resuming with no session (a first page load) is refused quietly: no onSessionExpired', async () => {
    const { server, client, expired } = setup({ cookieMode: true });
    server.refuseRefresh = true;
    expect(await client.refresh()).toBe(false);
    expect(server.refreshes).toBe(1);
    expect(expired).not.toHaveBeenCalled();
    client.close(); // cookie mode listens to other tabs (BroadcastChannel exists in Node too)
  });

  it('sends the token only to Gatehouse and the listed API origins', async () => {
    const { server, client } = setup({ bearerOrigins: ['https://gatehouse.test', 'https://api.example.org'] });
    await client.login('ada', 'pässwörd-long-enough');
    await client.fetch('https://api.example.org/v1/things');
    await client.fetch('https://cdn.elsewhere.example/script.js');
    expect(server.apiCalls.map((call) => call.token === client.accessToken())).toEqual([true, false]);
    expect(server.apiCalls[1].token).toBeNull();
    const defaults = setup();
    await defaults.client.login('ada', 'pässwörd-long-enough');
    await defaults.client.fetch('https://api.example.org/v1/things');
    expect(defaults.server.apiCalls[0].token).toBeNull();
  });

  it('reports a server error on refresh without ending the session', async () => {
    const { server, client, expired } = setup();
    await client.login('ada', 'pässwörd-long-enough');
    const normal = server.fetch;
    const failing = createGatehouseClient({
      baseUrl: 'https://gatehouse.test',
      cookieMode: false,
      now: () => server.clock,
      onSessionExpired: expired,
      fetch: async (input, init) =>
        new Request(input, init).url.includes('/refresh')
          ? new Response('{"message":"Database unavailable"}', { status: 503 })
          : normal(input, init),
    });
    await failing.login('ada', 'pässwörd-long-enough');
    server.clock += 59_000;
    await expect(failing.fetch(API)).rejects.toEqual(new GatehouseError('Database unavailable', 503));
    expect(expired).not.toHaveBeenCalled();
    expect(failing.user()).not.toBeNull();
  });
});
