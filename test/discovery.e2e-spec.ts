import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Issuer } from 'openid-client';
import { ADMIN } from './support/test-app';
import { call, loginAt } from './support/cluster';
import { ServerProcess, startGatehouseProcess } from './support/server-process';
import { describeE2E, testAlgorithm } from './support/test-database';

/** The key-pair algorithm: the project's, or EdDSA in the HS512 projects. */
const PAIR_ALG = testAlgorithm() === 'HS512' ? 'EdDSA' : testAlgorithm();

/**
 * Discovery as outside clients use it, unchanged: openid-client finds the metadata, jose verifies
 * tokens with the remote key set, and openid-client introspects and revokes with its own requests.
 * Gatehouse runs as a real process, its issuer its own URL.
 */
describeE2E(`Discovery and JWKS for outside clients (${PAIR_ALG})`, () => {
  let server: ServerProcess & { stop(): Promise<void> };
  let issuerUrl: string;
  const service = { username: 'resource-service', password: 'service-password-for-tests' };

  beforeAll(async () => {
    server = await startGatehouseProcess({ ACCESS_TOKEN_ALG: PAIR_ALG, KEY_PUBLISH_DELAY: '60' });
    issuerUrl = server.url;
    const admin = await loginAt(server.url);
    const created = await call(server.url, 'POST', '/api/v1/users', {
      token: admin.access_token,
      body: { ...service, roles: ['INTROSPECT'] },
    });
    expect(created.status).toBe(201);
  }, 90_000);
  afterAll(() => server?.stop());

  it('openid-client discovers the issuer and its endpoints, and only what Gatehouse supports', async () => {
    const issuer = await Issuer.discover(issuerUrl);
    expect(issuer.metadata).toMatchObject({
      issuer: issuerUrl,
      jwks_uri: `${issuerUrl}/.well-known/jwks.json`,
      token_endpoint: `${issuerUrl}/oauth/token`,
      introspection_endpoint: `${issuerUrl}/authenticate/introspect`,
      revocation_endpoint: `${issuerUrl}/authenticate/revoke`,
      grant_types_supported: ['client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    });
    expect(issuer.metadata).not.toHaveProperty('authorization_endpoint');
    expect(issuer.metadata).not.toHaveProperty('userinfo_endpoint');
    // The same document at both paths (openid-client adds its defaults to what it read).
    const [oidc, rfc8414] = await Promise.all(
      ['openid-configuration', 'oauth-authorization-server'].map((name) => fetch(`${issuerUrl}/.well-known/${name}`)),
    );
    expect(rfc8414.status).toBe(200);
    expect(await rfc8414.json()).toEqual(await oidc.json());
  });

  it('jose verifies a Gatehouse token with createRemoteJWKSet on the discovered jwks_uri, pinned to the algorithm', async () => {
    const issuer = await Issuer.discover(issuerUrl);
    const jwks = createRemoteJWKSet(new URL(issuer.metadata.jwks_uri as string));
    const tokens = await loginAt(server.url);
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: PAIR_ALG, typ: 'JWT', kid: expect.any(String) });
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: issuerUrl, audience: 'gatehouse', algorithms: [PAIR_ALG] });
    expect(payload).toMatchObject({ preferred_username: ADMIN.username, roles: ['ADMIN', 'USER'] });
    const tampered = tokens.access_token.replace(
      /\.[^.]+\./,
      (part) => `.${Buffer.from(JSON.stringify({ ...payload, roles: ['ROOT'] })).toString('base64url')}.`,
    );
    expect(part(tampered)).not.toBe(part(tokens.access_token));
    await expect(jwtVerify(tampered, jwks, { issuer: issuerUrl, audience: 'gatehouse' })).rejects.toThrow(/signature/);
    const res = await fetch(issuer.metadata.jwks_uri as string);
    expect(res.headers.get('cache-control')).toBe('public, max-age=30');
  });

  it('openid-client introspects with client_secret_basic and revokes (RFC 7662, RFC 7009)', async () => {
    const issuer = await Issuer.discover(issuerUrl);
    const client = new issuer.Client({
      client_id: service.username,
      client_secret: service.password,
      token_endpoint_auth_method: 'client_secret_basic',
      revocation_endpoint_auth_method: 'none',
    });
    const tokens = await loginAt(server.url);
    expect(await client.introspect(tokens.access_token)).toMatchObject({ active: true, username: ADMIN.username, token_type: 'Bearer' });
    expect(await client.introspect(tokens.refresh_token, 'refresh_token')).toMatchObject({ active: true, token_type: 'refresh_token' });
    await client.revoke(tokens.refresh_token, 'refresh_token');
    expect(await client.introspect(tokens.access_token)).toEqual({ active: false });
    expect(await client.introspect(tokens.refresh_token)).toEqual({ active: false });
    const wrong = new issuer.Client({
      client_id: service.username,
      client_secret: 'not-the-secret',
      token_endpoint_auth_method: 'client_secret_basic',
    });
    await expect(wrong.introspect(tokens.access_token)).rejects.toMatchObject({ response: { statusCode: 401 } });
  });

  it('openid-client renews with the refresh_token grant at the token endpoint', async () => {
    const issuer = await Issuer.discover(issuerUrl);
    const client = new issuer.Client({ client_id: 'gatehouse', token_endpoint_auth_method: 'none' });
    const tokens = await loginAt(server.url);
    const renewed = await client.refresh(tokens.refresh_token);
    expect(renewed.access_token).toEqual(expect.any(String));
    expect(renewed.refresh_token).not.toBe(tokens.refresh_token);
    expect(renewed.token_type).toBe('Bearer');
  });
});

describeE2E('Discovery under HS512 with a URL issuer', () => {
  let server: ServerProcess & { stop(): Promise<void> };
  beforeAll(async () => {
    server = await startGatehouseProcess({ ACCESS_TOKEN_ALG: 'HS512' });
  }, 90_000);
  afterAll(() => server?.stop());

  it('serves the metadata with HS512 as the only algorithm, and an empty key set', async () => {
    const issuer = await Issuer.discover(server.url);
    expect(issuer.metadata.issuer).toBe(server.url);
    expect(issuer.metadata).toMatchObject({ access_token_signing_alg_values_supported: ['HS512'] });
    const jwks = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(await jwks.json()).toEqual({ keys: [] });
  });
});

function part(token: string): string {
  return token.split('.')[1];
}
