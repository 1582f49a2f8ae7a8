import type { AddressInfo } from 'node:net';
import { createGatehouseClient, GatehouseError } from '../client/src';
import { ADMIN, TestApp, createTestApp } from './support/test-app';
import { describeE2E } from './support/test-database';

// @gatehouse/client in Node (cookieMode: false: the refresh token is kept in memory) against a real
// Gatehouse over HTTP, on SQLite and on PostgreSQL.
describeE2E('@gatehouse/client in Node', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  it('logs in, calls the API, rotates the refresh token, and notices the end of the session', async () => {
    const expired = jest.fn();
    const client = createGatehouseClient({ baseUrl, cookieMode: false, onSessionExpired: expired });
    const user = await client.login(ADMIN.username, ADMIN.password, { validitySecs: 60 });
    expect(user).toMatchObject({ username: ADMIN.username });
    expect(client.hasRole('ADMIN')).toBe(true);

    const me = await client.fetch(`${baseUrl}/authenticate/me`);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: user.id, username: ADMIN.username });

    const before = client.accessToken();
    expect(await client.refresh({ force: true })).toBe(true);
    expect(await client.refresh({ force: true })).toBe(true);
    expect(client.accessToken()).not.toBe(before);
    expect((await client.fetch(`${baseUrl}/api/v1/users?limit=1`)).status).toBe(200);

    // The session is ended elsewhere (an administrator, another device): the next call refreshes
    // once, is refused, and reports it.
    const sessions = await client.fetch(`${baseUrl}/api/v1/users/me/sessions`);
    const current = ((await sessions.json()) as { id: string; current: boolean }[]).find((session) => session.current)!;
    const ended = await t.http().delete(`/api/v1/users/me/sessions/${current.id}`).set('Authorization', `Bearer ${client.accessToken()}`);
    expect(ended.status).toBe(204);
    const refused = await client.fetch(`${baseUrl}/authenticate/me`);
    expect(refused.status).toBe(401);
    expect(expired).toHaveBeenCalledTimes(1);
    expect(client.user()).toBeNull();
  });

  it('rejects a wrong password with the server status and message', async () => {
    const client = createGatehouseClient({ baseUrl, cookieMode: false });
    const failure = await client.login(ADMIN.username, 'wrong-password').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GatehouseError);
    expect(failure).toMatchObject({ status: 401 });
    expect(client.user()).toBeNull();
  });
});
