import { setTimeout as sleep } from 'node:timers/promises';
import { TOKEN_MESSAGES, UNAVAILABLE_MESSAGES } from './gatehouse-auth.errors';
import type { GatehouseAuthOptions } from './gatehouse-auth.options';
import { SessionIntrospector } from './session-introspector';
import { ProbeApp, expectInvalidToken, expectUnavailable } from './spec-support/app';
import { IntrospectionServer, deadUrl } from './spec-support/servers';
import { AUDIENCE, ISSUER, SECRET, claims, signWithSecret } from './spec-support/tokens';

const CREDENTIALS = { username: 'billing-service', password: 'pa:ss wörd' };

describe(SessionIntrospector.name, () => {
  let gatehouse: IntrospectionServer;
  let probe: ProbeApp;

  const start = (introspection: Partial<NonNullable<GatehouseAuthOptions['introspection']>> = {}) =>
    ProbeApp.start({
      issuer: ISSUER,
      audience: AUDIENCE,
      secret: SECRET,
      introspection: { url: gatehouse.url, credentials: CREDENTIALS, cacheSeconds: 1, ...introspection },
    });

  beforeEach(async () => {
    gatehouse = await IntrospectionServer.start();
  });

  afterEach(async () => {
    await probe?.close();
    await gatehouse.close();
  });

  it('admits a token whose session Gatehouse reports active, asking as RFC 7662 says', async () => {
    probe = await start();
    const token = await signWithSecret();
    expect((await probe.get('/me', token)).status).toBe(200);
    expect(gatehouse.calls).toEqual([
      {
        method: 'POST',
        authorization: `Basic ${Buffer.from('billing-service:pa:ss wörd', 'utf8').toString('base64')}`,
        contentType: 'application/x-www-form-urlencoded',
        token,
      },
    ]);
  });

  it('refuses a token whose session has ended with 401', async () => {
    probe = await start();
    gatehouse.answer = () => ({ active: false });
    expectInvalidToken(await probe.get('/me', await signWithSecret()), TOKEN_MESSAGES.revoked, '/me');
  });

  it('asks once per cacheSeconds per token, and sees a logout once the answer is stale', async () => {
    probe = await start();
    const token = await signWithSecret();
    expect((await probe.get('/me', token)).status).toBe(200);
    gatehouse.answer = () => ({ active: false }); // the user logs out
    expect((await probe.get('/me', token)).status).toBe(200);
    expect(gatehouse.calls).toHaveLength(1);
    await sleep(1_050);
    expectInvalidToken(await probe.get('/me', token), TOKEN_MESSAGES.revoked, '/me');
    expectInvalidToken(await probe.get('/me', token), TOKEN_MESSAGES.revoked, '/me');
    expect(gatehouse.calls).toHaveLength(2);
  });

  it('asks about each token separately', async () => {
    probe = await start();
    const ended = await signWithSecret(claims({ sid: 'ended' }));
    gatehouse.answer = (token) => ({ active: token !== ended });
    expect((await probe.get('/me', await signWithSecret())).status).toBe(200);
    expectInvalidToken(await probe.get('/me', ended), TOKEN_MESSAGES.revoked, '/me');
  });

  it('makes one call for concurrent requests with the same token (single flight)', async () => {
    probe = await start();
    gatehouse.delayMs = 150;
    const token = await signWithSecret();
    const responses = await Promise.all(Array.from({ length: 10 }, () => probe.get('/me', token)));
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    expect(gatehouse.calls).toHaveLength(1);
  });

  it('fails closed with 503 when Gatehouse is unreachable', async () => {
    probe = await start({ url: await deadUrl('/authenticate/introspect') });
    expectUnavailable(await probe.get('/me', await signWithSecret()), UNAVAILABLE_MESSAGES.introspectionUnreachable, '/me');
  });

  it('fails closed with 503 when Gatehouse does not answer in time', async () => {
    probe = await start({ timeoutSeconds: 0.1 });
    gatehouse.delayMs = 500;
    expectUnavailable(await probe.get('/me', await signWithSecret()), UNAVAILABLE_MESSAGES.introspectionUnreachable, '/me');
  });

  it('fails closed with 503 on a non-2xx answer or one without `active`, and asks again next time', async () => {
    probe = await start();
    const token = await signWithSecret();
    gatehouse.answer = () => 500;
    expectUnavailable(await probe.get('/me', token), UNAVAILABLE_MESSAGES.introspectionRefused, '/me');
    gatehouse.answer = () => 401;
    expectUnavailable(await probe.get('/me', token), UNAVAILABLE_MESSAGES.introspectionRefused, '/me');
    gatehouse.answer = () => ({ sub: 'x' });
    expectUnavailable(await probe.get('/me', token), UNAVAILABLE_MESSAGES.introspectionRefused, '/me');
    // A body that reads "active" under an error status (a proxy's, a misrouted call) is not an answer.
    gatehouse.answer = () => ({ active: true });
    gatehouse.status = 502;
    expectUnavailable(await probe.get('/me', token), UNAVAILABLE_MESSAGES.introspectionRefused, '/me');
    gatehouse.status = 200;
    expect((await probe.get('/me', token)).status).toBe(200);
    expect(gatehouse.calls).toHaveLength(5);
  });

  it('verifies the token locally before asking Gatehouse about it', async () => {
    probe = await start();
    const forged = await signWithSecret(claims(), 'HS512', `${SECRET}-not-gatehouse's`);
    expectInvalidToken(await probe.get('/me', forged), TOKEN_MESSAGES.signature, '/me');
    expect(gatehouse.calls).toHaveLength(0);
  });

  it('is not consulted for public routes', async () => {
    probe = await start();
    expect((await probe.get('/public')).status).toBe(200);
    expect(gatehouse.calls).toHaveLength(0);
  });
});
