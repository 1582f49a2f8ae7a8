import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFederationConfig } from './federation.config';

describe('loadFederationConfig', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gatehouse-federation-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is empty by default, with "/" as the only post-login redirect', () => {
    expect(loadFederationConfig({}, dir)).toEqual({ providers: [], postLoginRedirects: ['/'], publicUrl: undefined });
  });

  it('reads a YAML file with defaults for every claim not mapped', () => {
    const file = join(dir, 'oidc.yaml');
    writeFileSync(
      file,
      [
        'providers:',
        '  keycloak:',
        '    issuer: https://sso.example.org/realms/research/',
        '    clientId: gatehouse',
        '    clientSecret: s3cret',
        '    claims:',
        '      roles: realm_access.roles',
        '      enabled: active',
        '    serviceAccounts:',
        '      claim: azp',
        'postLoginRedirects: [/, /app]',
      ].join('\n'),
    );
    const config = loadFederationConfig({ OIDC_CONFIG: file, PUBLIC_URL: 'https://auth.example.org/' }, dir);
    expect(config.publicUrl).toBe('https://auth.example.org');
    expect(config.postLoginRedirects).toEqual(['/', '/app']);
    expect(config.providers).toEqual([
      {
        name: 'keycloak',
        issuer: 'https://sso.example.org/realms/research',
        clientId: 'gatehouse',
        clientSecret: 's3cret',
        scopes: 'openid profile email',
        claims: { username: 'preferred_username', systemId: 'sub', email: 'email', firstName: 'given_name', lastName: 'family_name', roles: 'realm_access.roles', enabled: 'active' },
        serviceAccounts: {
          claim: 'azp',
          audience: ['gatehouse'],
          publicKeyPem: undefined,
          jwksUri: undefined,
          jwksCooldownSeconds: 60,
          algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'EdDSA'],
        },
      },
    ]);
  });

  it('reads providers from environment variables, and a PEM file under DATA_DIR/oidc', () => {
    mkdirSync(join(dir, 'oidc'));
    writeFileSync(join(dir, 'oidc', 'google.pem'), '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
    const config = loadFederationConfig(
      {
        OIDC_PROVIDERS: 'google',
        OIDC_GOOGLE_ISSUER: 'https://accounts.google.com',
        OIDC_GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com',
        OIDC_GOOGLE_CLAIM_USERNAME: 'email',
        OIDC_GOOGLE_SERVICE_ACCOUNT_CLAIM: 'email',
        OIDC_GOOGLE_AUDIENCE: 'https://api.example.org',
        OIDC_POST_LOGIN_REDIRECTS: '/,/dashboard',
      },
      dir,
    );
    expect(config.postLoginRedirects).toEqual(['/', '/dashboard']);
    expect(config.providers[0]).toMatchObject({
      name: 'google',
      claims: { username: 'email', systemId: 'sub' },
      serviceAccounts: { claim: 'email', audience: ['https://api.example.org'], publicKeyPem: expect.stringContaining('BEGIN PUBLIC KEY') },
    });
  });

  it('accepts snake_case keys, a scope list, and flat service-account settings (serviceAccountClaim)', () => {
    const file = join(dir, 'oidc.json');
    writeFileSync(
      file,
      JSON.stringify({
        providers: [{ name: 'okta', issuer: 'https://x.okta.com', client_id: 'a', client_secret: 'b', scopes: ['openid', 'email'], serviceAccountClaim: 'azp', audience: 'api', jwksUri: 'https://x.okta.com/keys' }],
      }),
    );
    expect(loadFederationConfig({ OIDC_CONFIG: file }, dir).providers[0]).toMatchObject({
      name: 'okta',
      clientId: 'a',
      clientSecret: 'b',
      scopes: 'openid email',
      serviceAccounts: { claim: 'azp', audience: ['api'], jwksUri: 'https://x.okta.com/keys' },
    });
  });

  it('accepts a file that is just the map of providers, with snake_case claim keys', () => {
    const file = join(dir, 'oidc.yaml');
    writeFileSync(file, ['keycloak:', '  issuer: https://sso.example.org/realms/r', '  clientId: g', '  claimMapping:', '    system_id: oid', '    first_name: given'].join('\n'));
    const [provider] = loadFederationConfig({ OIDC_CONFIG: file }, dir).providers;
    expect(provider).toMatchObject({ name: 'keycloak', claims: { systemId: 'oid', firstName: 'given', username: 'preferred_username' } });
  });

  it.each([
    [{ providers: { Bad_Name: { issuer: 'https://x', clientId: 'a' } } }, /provider names/],
    [{ providers: { a: { issuer: 'not a url', clientId: 'a' } } }, /issuer must be an http/],
    [{ providers: { a: { issuer: 'https://x' } } }, /clientId \(for login\) or serviceAccounts/],
    [{ providers: { a: { issuer: 'https://x', clientId: 'a', claims: { nickname: 'x' } } } }, /unknown claim mapping "nickname"/],
    [{ providers: { a: { issuer: 'https://x', clientId: 'a', serviceAccounts: { claim: 'azp', algorithms: ['HS256'] } } } }, /HS256 are not allowed/],
    [{ providers: { a: { issuer: 'https://x', serviceAccounts: { claim: 'azp' } } } }, /audience/],
  ])('refuses %j with a one-line message', (content, message) => {
    const file = join(dir, 'oidc.json');
    writeFileSync(file, JSON.stringify(content));
    expect(() => loadFederationConfig({ OIDC_CONFIG: file }, dir)).toThrow(message);
  });

  it('accepts inline JSON in OIDC_CONFIG', () => {
    const inline = JSON.stringify({ providers: { kc: { issuer: 'https://sso.example.org', clientId: 'g' } } });
    expect(loadFederationConfig({ OIDC_CONFIG: inline }, dir).providers[0]).toMatchObject({ name: 'kc', clientId: 'g' });
    expect(() => loadFederationConfig({ OIDC_CONFIG: '{ nope' }, dir)).toThrow(/OIDC_CONFIG is not valid JSON/);
  });

  it('names the file when it cannot be read or parsed', () => {
    expect(() => loadFederationConfig({ OIDC_CONFIG: join(dir, 'missing.json') }, dir)).toThrow(/OIDC_CONFIG cannot read/);
    writeFileSync(join(dir, 'broken.json'), '{ nope');
    expect(() => loadFederationConfig({ OIDC_CONFIG: join(dir, 'broken.json') }, dir)).toThrow(/broken.json is not valid/);
  });
});
