import {
  browserWebAuthn,
  createGatehouseClient,
  GatehouseClient,
  GatehouseClientOptions,
  GatehouseError,
  WebAuthnAuthenticationResponseJSON,
  WebAuthnCeremonies,
  WebAuthnRegistrationResponseJSON,
} from './index';

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
  /** Requests to the second-factor, passkey and registration routes: path, query and JSON body. */
  mfaCalls: { path: string; query: Record<string, string>; body: Record<string, unknown>; auth: string | null }[] = [];
  mfaTokenLive = true;
  /** Requests to the reset and verification routes: path, JSON body, and what came with them. */
  recoveryCalls: { path: string; body: Record<string, unknown>; auth: string | null; credentials: RequestCredentials }[] = [];
  /** Reset links that still work; the MFA one belongs to a user with a second factor. */
  liveLinks = new Set(['reset-token-1', 'reset-token-mfa', 'verify-token-1']);
  forgotLimited = false;

  token(): string {
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const payload = {
      sub: 'u-1',
      preferred_username: 'ada',
      roles: ['ADMIN', 'USER'],
      scope: 'audit:read users:read',
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
    const cookie = url.searchParams.get('cookie') === 'true';
    const signedIn = () =>
      json(200, {
        user: { id: 'u-1' },
        token: { access_token: this.token(), expires_in: this.accessTtl, ...(cookie ? {} : { refresh_token: this.currentRefresh }) },
      });
    if (url.pathname === '/authenticate/login') {
      this.logins++;
      const authorization = request.headers.get('authorization');
      // grace has a second factor: the password step answers 401 mfa_required (as src/mfa does).
      if (authorization === `Basic ${Buffer.from('grace:second-factor-user').toString('base64')}`) {
        return json(
          401,
          {
            status: 401,
            error: 'mfa_required',
            message: 'A second factor is required',
            mfa_token: 'mfa-token-1',
            methods: ['totp', 'recovery_code', 'webauthn'],
            expires_in: 300,
          },
          { 'www-authenticate': 'MFA realm="gatehouse"' },
        );
      }
      const expected = `Basic ${Buffer.from('ada:pässwörd-long-enough').toString('base64')}`;
      if (authorization !== expected) return json(401, { status: 401, error: 'Unauthorized', message: 'Invalid credentials' });
      return signedIn();
    }
    if (
      url.pathname.startsWith('/authenticate/mfa') ||
      url.pathname.startsWith('/authenticate/passkey') ||
      url.pathname.includes('/passkeys')
    ) {
      const text = await request.text();
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      this.mfaCalls.push({
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body,
        auth: request.headers.get('authorization'),
      });
      const requestOptions = { challenge: 'Y2hhbGxlbmdl', rpId: 'gatehouse.test', userVerification: 'required' };
      if (url.pathname.startsWith('/authenticate/mfa') && (body.mfa_token !== 'mfa-token-1' || !this.mfaTokenLive)) {
        return json(401, { status: 401, error: 'invalid_mfa_token', message: 'The mfa_token is unknown, expired or already used' });
      }
      if (url.pathname === '/authenticate/mfa/webauthn-options') return json(200, requestOptions);
      if (url.pathname === '/authenticate/mfa') {
        const webauthn = body.webauthn as { id?: string } | undefined;
        if (body.totp === '123456' || body.recovery_code === 'ABCD-EFGH-JKMN' || webauthn?.id === 'cred-1') return signedIn();
        return json(401, { status: 401, error: 'invalid_second_factor', message: 'The code or passkey is not valid' });
      }
      if (url.pathname === '/authenticate/passkey/options') return json(200, requestOptions);
      if (url.pathname === '/authenticate/passkey/verify') {
        if ((body.response as { id?: string }).id === 'cred-1') return signedIn();
        return json(401, { status: 401, error: 'invalid_passkey', message: 'The passkey could not be verified' });
      }
      if (!request.headers.get('authorization')) return json(401, { status: 401, message: 'No token' });
      if (url.pathname === '/api/v1/users/me/passkeys/options') {
        return json(200, {
          rp: { id: 'gatehouse.test', name: 'Gatehouse' },
          user: { id: 'dS0x', name: 'ada', displayName: 'ada' },
          challenge: 'cmVnaXN0ZXI',
          pubKeyCredParams: [{ alg: -7, type: 'public-key' }],
        });
      }
      if (url.pathname === '/api/v1/users/me/passkeys') {
        const passkey = { id: 'p-1', name: body.name, deviceType: 'singleDevice', backedUp: false, createdAt: 'now', lastUsedAt: null };
        return json(201, { passkey, recoveryCodes: ['ABCD-EFGH-JKMN'] });
      }
    }
    if (url.pathname.startsWith('/authenticate/password/') || url.pathname === '/authenticate/email/verify') {
      const body = JSON.parse(await request.text()) as Record<string, unknown>;
      this.recoveryCalls.push({ path: url.pathname, body, auth: request.headers.get('authorization'), credentials: request.credentials });
      const invalidLink = () =>
        json(400, { status: 400, error: 'invalid_link', message: 'The link is invalid, expired or already used; ask for a new one' });
      if (url.pathname === '/authenticate/password/forgot') {
        if (this.forgotLimited) {
          return json(
            429,
            { status: 429, error: 'Too Many Requests', message: 'Too many password-reset requests' },
            { 'retry-after': '1800' },
          );
        }
        return json(202, { message: 'If an account matches …' });
      }
      const token = body.token as string;
      if (!this.liveLinks.has(token)) return invalidLink();
      if (url.pathname === '/authenticate/email/verify') {
        this.liveLinks.delete(token);
        return new Response(null, { status: 204 });
      }
      if ((body.newPassword as string).length < 12) {
        return json(400, { status: 400, error: 'Bad Request', message: 'newPassword must be at least 12 characters' });
      }
      if (token === 'reset-token-mfa') {
        if (body.totp === undefined && body.recovery_code === undefined) {
          return json(401, {
            status: 401,
            error: 'mfa_required',
            message: 'This account has a second factor',
            methods: ['totp', 'recovery_code'],
          });
        }
        if (body.totp !== '123456' && body.recovery_code !== 'ABCD-EFGH-JKMN') {
          return json(401, { status: 401, error: 'invalid_second_factor', message: 'The code is not valid' });
        }
      }
      this.liveLinks.delete(token);
      return new Response(null, { status: 204 });
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
    const user = await spied.login('ada', 'pässwörd-long-enough', { validitySecs: 120, scope: 'users:read' });
    expect(user).toEqual({ id: 'u-1', username: 'ada', roles: ['ADMIN', 'USER'] });
    expect(seen[0].headers.get('x-requested-with')).toBe('XMLHttpRequest');
    expect(new URL(seen[0].url).searchParams.get('validity_secs')).toBe('120');
    expect(new URL(seen[0].url).searchParams.get('scope')).toBe('users:read');
    expect(spied.hasPermission('users:read')).toBe(true);
    expect(spied.hasPermission('users:write')).toBe(false);
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

  it('a sign-out in another tab (cookie mode) ends this tab at once: token gone, onSessionExpired fired once', async () => {
    const here = setup({ cookieMode: true });
    const there = setup({ cookieMode: true });
    try {
      await here.client.login('ada', 'pässwörd-long-enough');
      expect(await there.client.refresh()).toBe(true); // the other tab resumed the same session from the cookie
      await there.client.logout();
      // BroadcastChannel delivers on a later turn of the event loop.
      for (let i = 0; i < 50 && here.expired.mock.calls.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(here.expired).toHaveBeenCalledTimes(1);
      expect(here.client.accessToken()).toBeNull();
      expect(here.client.user()).toBeNull();
      expect(there.expired).not.toHaveBeenCalled(); // the tab that signed out knows; it is not told its session expired
    } finally {
      here.client.close();
      there.client.close();
    }
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

  describe('second factors and passkeys', () => {
    /** WebAuthn ceremonies that answer with fixed JSON and record the options they were given. */
    function fakeWebAuthn(id = 'cred-1') {
      const seen: unknown[] = [];
      const ceremonies: WebAuthnCeremonies = {
        authenticate: async (options) => {
          seen.push(options);
          return {
            id,
            rawId: id,
            type: 'public-key',
            response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
            clientExtensionResults: {},
          } satisfies WebAuthnAuthenticationResponseJSON;
        },
        register: async (options) => {
          seen.push(options);
          return {
            id,
            rawId: id,
            type: 'public-key',
            response: { clientDataJSON: 'e30', attestationObject: 'AA' },
            clientExtensionResults: {},
          } satisfies WebAuthnRegistrationResponseJSON;
        },
      };
      return { ceremonies, seen };
    }

    it('without { mfa: true }, a user with a second factor is still refused, now with the code mfa_required', async () => {
      const { client } = setup();
      await expect(client.login('grace', 'second-factor-user')).rejects.toEqual(
        new GatehouseError('A second factor is required', 401, 'mfa_required'),
      );
      // The status text of an ordinary error is not a code.
      const wrong = await client.login('ada', 'wrong').catch((error: unknown) => error);
      expect(wrong).toMatchObject({ status: 401, code: undefined });
      expect(client.user()).toBeNull();
    });

    it('with { mfa: true }, resolves to the user when the password is enough', async () => {
      const { client } = setup();
      const step = await client.login('ada', 'pässwörd-long-enough', { mfa: true });
      expect(step).toEqual({ mfaRequired: false, user: { id: 'u-1', username: 'ada', roles: ['ADMIN', 'USER'] } });
      expect(client.accessToken()).not.toBeNull();
    });

    it('with { mfa: true }, resolves to a second-factor step and completes it with a TOTP code, keeping the login query', async () => {
      const { server, client } = setup();
      const step = await client.login('grace', 'second-factor-user', { mfa: true, validitySecs: 120 });
      if (!step.mfaRequired) throw new Error('expected a second-factor step');
      expect(step.methods).toEqual(['totp', 'recovery_code', 'webauthn']);
      expect(step.expiresAt.getTime()).toBe(server.clock + 300_000);
      expect(client.user()).toBeNull();
      const user = await step.complete('123 456');
      expect(user).toMatchObject({ id: 'u-1', username: 'ada' });
      expect(server.mfaCalls).toEqual([
        {
          path: '/authenticate/mfa',
          query: { cookie: 'false', validity_secs: '120' },
          body: { mfa_token: 'mfa-token-1', totp: '123456' },
          auth: null,
        },
      ]);
      // The session is held as after a password login: the refresh token too (cookieMode false).
      expect(await client.refresh({ force: true })).toBe(true);
      expect(server.currentRefresh).toBe('refresh-1');
    });

    it('sends anything but six digits as a recovery code, and a wrong code can be tried again', async () => {
      const { server, client } = setup();
      const step = await client.login('grace', 'second-factor-user', { mfa: true });
      if (!step.mfaRequired) throw new Error('expected a second-factor step');
      await expect(step.complete('654321')).rejects.toEqual(
        new GatehouseError('The code or passkey is not valid', 401, 'invalid_second_factor'),
      );
      await expect(step.complete(' ABCD-EFGH-JKMN ')).resolves.toMatchObject({ username: 'ada' });
      expect(server.mfaCalls.map((call) => call.body)).toEqual([
        { mfa_token: 'mfa-token-1', totp: '654321' },
        { mfa_token: 'mfa-token-1', recovery_code: 'ABCD-EFGH-JKMN' },
      ]);
    });

    it('reports an expired mfa_token as invalid_mfa_token (log in again)', async () => {
      const { server, client } = setup();
      const step = await client.login('grace', 'second-factor-user', { mfa: true });
      if (!step.mfaRequired) throw new Error('expected a second-factor step');
      server.mfaTokenLive = false;
      const failure = await step.complete('123456').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(GatehouseError);
      expect(failure).toMatchObject({ status: 401, code: 'invalid_mfa_token' });
      expect(client.user()).toBeNull();
    });

    it("complete('passkey') asks for the options with the mfa_token, runs the ceremony and sends the assertion", async () => {
      const { ceremonies, seen } = fakeWebAuthn();
      const { server, client } = setup({ webauthn: ceremonies });
      const step = await client.login('grace', 'second-factor-user', { mfa: true });
      if (!step.mfaRequired) throw new Error('expected a second-factor step');
      await expect(step.complete('passkey')).resolves.toMatchObject({ username: 'ada' });
      expect(seen).toEqual([{ challenge: 'Y2hhbGxlbmdl', rpId: 'gatehouse.test', userVerification: 'required' }]);
      expect(server.mfaCalls.map((call) => [call.path, call.body])).toEqual([
        ['/authenticate/mfa/webauthn-options', { mfa_token: 'mfa-token-1' }],
        ['/authenticate/mfa', { mfa_token: 'mfa-token-1', webauthn: expect.objectContaining({ id: 'cred-1', type: 'public-key' }) }],
      ]);
      expect(client.accessToken()).not.toBeNull();
    });

    it('loginWithPasskey runs a passwordless ceremony and starts the session with the login query', async () => {
      const { ceremonies, seen } = fakeWebAuthn();
      const { server, client } = setup({ webauthn: ceremonies });
      await expect(client.loginWithPasskey({ validitySecs: 90 })).resolves.toEqual({
        id: 'u-1',
        username: 'ada',
        roles: ['ADMIN', 'USER'],
      });
      expect(seen).toHaveLength(1);
      expect(server.mfaCalls.map((call) => [call.path, call.query])).toEqual([
        ['/authenticate/passkey/options', {}],
        ['/authenticate/passkey/verify', { cookie: 'false', validity_secs: '90' }],
      ]);
      expect(server.mfaCalls[1].body).toEqual({ response: expect.objectContaining({ id: 'cred-1' }) });
      // An unknown passkey is refused with the server's code, and no session is held.
      const other = setup({ webauthn: fakeWebAuthn('unknown').ceremonies });
      await expect(other.client.loginWithPasskey()).rejects.toMatchObject({ status: 401, code: 'invalid_passkey' });
      expect(other.client.user()).toBeNull();
    });

    it('a cancelled passkey prompt rejects with the browser error and sends nothing more', async () => {
      const cancelled = new Error('The operation either timed out or was not allowed.');
      cancelled.name = 'NotAllowedError';
      const { server, client } = setup({
        webauthn: { authenticate: () => Promise.reject(cancelled), register: () => Promise.reject(cancelled) },
      });
      await expect(client.loginWithPasskey()).rejects.toBe(cancelled);
      expect(server.mfaCalls.map((call) => call.path)).toEqual(['/authenticate/passkey/options']);
    });

    it('registerPasskey registers for the signed-in user with the bearer token and returns the recovery codes', async () => {
      const { ceremonies, seen } = fakeWebAuthn();
      const { server, client } = setup({ webauthn: ceremonies });
      await expect(client.registerPasskey('Laptop')).rejects.toMatchObject({ status: 401 });
      await client.login('ada', 'pässwörd-long-enough');
      server.mfaCalls = [];
      const registered = await client.registerPasskey('Laptop');
      expect(registered).toEqual({
        passkey: { id: 'p-1', name: 'Laptop', deviceType: 'singleDevice', backedUp: false, createdAt: 'now', lastUsedAt: null },
        recoveryCodes: ['ABCD-EFGH-JKMN'],
      });
      expect(seen).toEqual([expect.objectContaining({ challenge: 'cmVnaXN0ZXI', user: { id: 'dS0x', name: 'ada', displayName: 'ada' } })]);
      expect(server.mfaCalls.map((call) => [call.path, call.auth])).toEqual([
        ['/api/v1/users/me/passkeys/options', `Bearer ${client.accessToken()}`],
        ['/api/v1/users/me/passkeys', `Bearer ${client.accessToken()}`],
      ]);
      expect(server.mfaCalls[1].body).toEqual({ name: 'Laptop', response: expect.objectContaining({ id: 'cred-1' }) });
    });
  });

  describe('password reset and e-mail verification', () => {
    it('forgotPassword sends only the field it was given, without cookie or bearer, and resolves on 202', async () => {
      const { server, client } = setup({ cookieMode: true });
      await client.login('ada', 'pässwörd-long-enough');
      // A username may contain '@': the caller says which it is, the client does not guess.
      await expect(client.forgotPassword({ username: 'ada@home' })).resolves.toBeUndefined();
      await expect(client.forgotPassword({ email: 'ada@example.org' })).resolves.toBeUndefined();
      expect(server.recoveryCalls).toEqual([
        { path: '/authenticate/password/forgot', body: { username: 'ada@home' }, auth: null, credentials: 'omit' },
        { path: '/authenticate/password/forgot', body: { email: 'ada@example.org' }, auth: null, credentials: 'omit' },
      ]);
      // The session this client holds is not touched.
      expect(client.user()).toMatchObject({ username: 'ada' });
      client.close();
    });

    it('forgotPassword reports a 429 with the seconds to wait', async () => {
      const { server, client } = setup();
      server.forgotLimited = true;
      const failure = await client.forgotPassword({ username: 'ada' }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(GatehouseError);
      expect(failure).toMatchObject({ status: 429, code: undefined, retryAfter: 1800, message: 'Too many password-reset requests' });
    });

    it('resetPassword sends the token and the new password once; a used link is invalid_link', async () => {
      const { server, client } = setup();
      await expect(client.resetPassword('reset-token-1', 'a-new-long-password')).resolves.toBeUndefined();
      expect(server.recoveryCalls).toEqual([
        {
          path: '/authenticate/password/reset',
          body: { token: 'reset-token-1', newPassword: 'a-new-long-password' },
          auth: null,
          credentials: 'omit',
        },
      ]);
      await expect(client.resetPassword('reset-token-1', 'a-new-long-password')).rejects.toEqual(
        new GatehouseError('The link is invalid, expired or already used; ask for a new one', 400, 'invalid_link'),
      );
    });

    it('resetPassword reports a password the policy refuses with the server’s message and no code', async () => {
      const { client } = setup();
      const failure = await client.resetPassword('reset-token-1', 'short').catch((error: unknown) => error);
      expect(failure).toMatchObject({ status: 400, code: undefined, message: 'newPassword must be at least 12 characters' });
    });

    it('resetPassword surfaces mfa_required with the methods; the call is repeated with a code, as a string or explicitly', async () => {
      const { server, client } = setup();
      const first = await client.resetPassword('reset-token-mfa', 'a-new-long-password').catch((error: unknown) => error);
      expect(first).toBeInstanceOf(GatehouseError);
      expect(first).toMatchObject({ status: 401, code: 'mfa_required', methods: ['totp', 'recovery_code'] });
      await expect(client.resetPassword('reset-token-mfa', 'a-new-long-password', '654 321')).rejects.toMatchObject({
        status: 401,
        code: 'invalid_second_factor',
      });
      await expect(client.resetPassword('reset-token-mfa', 'a-new-long-password', { totp: '111111' })).rejects.toMatchObject({
        code: 'invalid_second_factor',
      });
      await expect(
        client.resetPassword('reset-token-mfa', 'a-new-long-password', { recoveryCode: ' ABCD-EFGH-JKMN ' }),
      ).resolves.toBeUndefined();
      expect(server.recoveryCalls.map((call) => call.body)).toEqual([
        { token: 'reset-token-mfa', newPassword: 'a-new-long-password' },
        { token: 'reset-token-mfa', newPassword: 'a-new-long-password', totp: '654321' },
        { token: 'reset-token-mfa', newPassword: 'a-new-long-password', totp: '111111' },
        { token: 'reset-token-mfa', newPassword: 'a-new-long-password', recovery_code: 'ABCD-EFGH-JKMN' },
      ]);
    });

    it('verifyEmail confirms with the token once; a used or unknown one is invalid_link', async () => {
      const { server, client } = setup();
      await expect(client.verifyEmail('verify-token-1')).resolves.toBeUndefined();
      expect(server.recoveryCalls[0]).toEqual({
        path: '/authenticate/email/verify',
        body: { token: 'verify-token-1' },
        auth: null,
        credentials: 'omit',
      });
      await expect(client.verifyEmail('verify-token-1')).rejects.toMatchObject({ status: 400, code: 'invalid_link' });
    });
  });

  // Compile-time check (npm run typecheck): @simplewebauthn/browser fits the `webauthn` option as it is.
  const viaSimpleWebAuthn = (lib: typeof import('@simplewebauthn/browser')): WebAuthnCeremonies => ({
    authenticate: (optionsJSON) => lib.startAuthentication({ optionsJSON }),
    register: (optionsJSON) => lib.startRegistration({ optionsJSON }),
  });
  void viaSimpleWebAuthn;

  describe(browserWebAuthn.name, () => {
    const bytes = (...values: number[]) => new Uint8Array(values).buffer;
    const globals = globalThis as { navigator?: unknown; PublicKeyCredential?: unknown };
    afterEach(() => {
      delete globals.navigator;
      delete globals.PublicKeyCredential;
    });

    /** A navigator.credentials that records what it was given and answers with `credential`. */
    function fakeNavigator(credential: object | null) {
      const calls: { get: CredentialRequestOptions[]; create: CredentialCreationOptions[] } = { get: [], create: [] };
      globals.navigator = {
        credentials: {
          get: async (options: CredentialRequestOptions) => (calls.get.push(options), credential),
          create: async (options: CredentialCreationOptions) => (calls.create.push(options), credential),
        },
      };
      return calls;
    }

    it('converts options to bytes and the assertion back to base64url where the browser has no JSON helpers', async () => {
      const calls = fakeNavigator({
        id: 'AQI',
        rawId: bytes(1, 2),
        type: 'public-key',
        authenticatorAttachment: 'platform',
        response: { clientDataJSON: bytes(123, 125), authenticatorData: bytes(0xfb, 0xff), signature: bytes(9), userHandle: bytes(117) },
        getClientExtensionResults: () => ({}),
      });
      const assertion = await browserWebAuthn().authenticate({
        challenge: '-_8',
        allowCredentials: [{ id: 'AQI', type: 'public-key', transports: ['internal'] }],
        userVerification: 'preferred',
      });
      const publicKey = calls.get[0].publicKey!;
      expect(new Uint8Array(publicKey.challenge as ArrayBuffer)).toEqual(new Uint8Array([0xfb, 0xff]));
      expect(new Uint8Array(publicKey.allowCredentials![0].id as ArrayBuffer)).toEqual(new Uint8Array([1, 2]));
      expect(publicKey.allowCredentials![0].transports).toEqual(['internal']);
      expect(publicKey.userVerification).toBe('preferred');
      expect(calls.get[0].signal).toBeInstanceOf(AbortSignal);
      expect(assertion).toEqual({
        id: 'AQI',
        rawId: 'AQI',
        type: 'public-key',
        response: { clientDataJSON: 'e30', authenticatorData: '-_8', signature: 'CQ', userHandle: 'dQ' },
        authenticatorAttachment: 'platform',
        clientExtensionResults: {},
      });
    });

    it('converts registration options and the new credential where the browser has no JSON helpers', async () => {
      const calls = fakeNavigator({
        id: 'AQI',
        rawId: bytes(1, 2),
        type: 'public-key',
        response: {
          clientDataJSON: bytes(123, 125),
          attestationObject: bytes(0xa0),
          getTransports: () => ['internal', 'hybrid'],
          getPublicKeyAlgorithm: () => -7,
        },
        getClientExtensionResults: () => ({ credProps: { rk: true } }),
      });
      const created = await browserWebAuthn().register({
        rp: { id: 'gatehouse.test', name: 'Gatehouse' },
        user: { id: 'dS0x', name: 'ada', displayName: 'ada' },
        challenge: 'AAEC',
        pubKeyCredParams: [{ alg: -7, type: 'public-key' }],
        excludeCredentials: [{ id: 'BQY', type: 'public-key' }],
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      });
      const publicKey = calls.create[0].publicKey!;
      expect(new Uint8Array(publicKey.challenge as ArrayBuffer)).toEqual(new Uint8Array([0, 1, 2]));
      expect(new TextDecoder().decode(publicKey.user.id as ArrayBuffer)).toBe('u-1');
      expect(new Uint8Array(publicKey.excludeCredentials![0].id as ArrayBuffer)).toEqual(new Uint8Array([5, 6]));
      expect(publicKey.rp).toEqual({ id: 'gatehouse.test', name: 'Gatehouse' });
      expect(publicKey.authenticatorSelection).toEqual({ residentKey: 'required', userVerification: 'required' });
      expect(created).toEqual({
        id: 'AQI',
        rawId: 'AQI',
        type: 'public-key',
        response: { clientDataJSON: 'e30', attestationObject: 'oA', transports: ['internal', 'hybrid'], publicKeyAlgorithm: -7 },
        clientExtensionResults: { credProps: { rk: true } },
      });
    });

    it("uses the browser's own JSON helpers where it has them", async () => {
      const parsed = { challenge: bytes(7) };
      const parse = jest.fn(() => parsed);
      globals.PublicKeyCredential = { parseRequestOptionsFromJSON: parse };
      const json = { id: 'x', rawId: 'x', type: 'public-key', response: {}, clientExtensionResults: {} };
      const calls = fakeNavigator({ toJSON: () => json });
      const options = { challenge: 'Bw' };
      await expect(browserWebAuthn().authenticate(options)).resolves.toBe(json);
      expect(parse).toHaveBeenCalledWith(options);
      expect(calls.get[0].publicKey).toBe(parsed);
    });

    it('starting a ceremony cancels the one still waiting, and a browser without WebAuthn is reported', async () => {
      const signals: AbortSignal[] = [];
      globals.navigator = {
        credentials: {
          get: (options: CredentialRequestOptions) => {
            signals.push(options.signal!);
            return new Promise(() => undefined);
          },
        },
      };
      const webauthn = browserWebAuthn();
      void webauthn.authenticate({ challenge: 'AA' });
      void webauthn.authenticate({ challenge: 'AA' });
      expect(signals.map((signal) => signal.aborted)).toEqual([true, false]);
      delete globals.navigator;
      await expect(webauthn.authenticate({ challenge: 'AA' })).rejects.toMatchObject({ code: 'webauthn_unsupported' });
    });
  });
});
