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
        claims: {
          username: 'preferred_username',
          systemId: 'sub',
          email: 'email',
          firstName: 'given_name',
          lastName: 'family_name',
          roles: 'realm_access.roles',
          enabled: 'active',
        },
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

  it('accepts a provider list with names, and scopes as a list', () => {
    const file = join(dir, 'oidc.json');
    writeFileSync(
      file,
      JSON.stringify({
        providers: [
          {
            name: 'okta',
            issuer: 'https://x.okta.com',
            clientId: 'a',
            clientSecret: 'b',
            scopes: ['openid', 'email'],
            serviceAccounts: { claim: 'azp', audience: 'api', jwksUri: 'https://x.okta.com/keys' },
          },
        ],
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

  it('accepts a file that is just the map of providers', () => {
    const file = join(dir, 'oidc.yaml');
    writeFileSync(
      file,
      [
        'keycloak:',
        '  issuer: https://sso.example.org/realms/r',
        '  clientId: g',
        '  claims:',
        '    systemId: oid',
        '    firstName: given',
      ].join('\n'),
    );
    const [provider] = loadFederationConfig({ OIDC_CONFIG: file }, dir).providers;
    expect(provider).toMatchObject({ name: 'keycloak', claims: { systemId: 'oid', firstName: 'given', username: 'preferred_username' } });
  });

  it.each([
    [
      { providers: { keycloak: { issuer: 'https://x', clientId: 'a', serviceAccounts: { claim: 'azp', jwksUrl: 'https://x/keys' } } } },
      'unknown key `jwksUrl` in the serviceAccounts of provider `keycloak`; did you mean `jwksUri`?',
    ],
    [
      { providers: { okta: { issuer: 'https://x', client_id: 'a' } } },
      'unknown key `client_id` in provider `okta`; did you mean `clientId`?',
    ],
    [
      { providers: { okta: { issuer: 'https://x', clientId: 'a', scope: 'openid' } } },
      'unknown key `scope` in provider `okta`; did you mean `scopes`?',
    ],
    [
      { providers: { kc: { issuer: 'https://x', clientId: 'a', claimMapping: {} } } },
      'unknown key `claimMapping` in provider `kc`; did you mean `claims`?',
    ],
    [
      { providers: { kc: { issuer: 'https://x', clientId: 'a', claims: { first_name: 'given' } } } },
      'unknown key `first_name` in the claims of provider `kc`; did you mean `firstName`?',
    ],
    [
      { providers: { kc: { issuer: 'https://x', serviceAccountClaim: 'azp' } } },
      'unknown key `serviceAccountClaim` in provider `kc`; did you mean `serviceAccounts.claim`?',
    ],
    [
      { providers: { kc: { issuer: 'https://x', clientId: 'a', serviceAccounts: { claim: 'azp', publicKeyPem: 'x' } } } },
      'did you mean `publicKey`?',
    ],
    [
      { providers: {}, post_login_redirects: ['/'] },
      'unknown key `post_login_redirects` at the top level; did you mean `postLoginRedirects`?',
    ],
    [
      { providers: { kc: { issuer: 'https://x', clientId: 'a', frobnicate: true } } },
      'unknown key `frobnicate` in provider `kc` (known: issuer, clientId',
    ],
  ])('refuses %j naming the unknown key and the likely intended one', (content, message) => {
    const file = join(dir, 'oidc.json');
    writeFileSync(file, JSON.stringify(content));
    expect(() => loadFederationConfig({ OIDC_CONFIG: file }, dir)).toThrow(message);
  });

  it.each([
    [{ providers: { Bad_Name: { issuer: 'https://x', clientId: 'a' } } }, /provider names/],
    [{ providers: { a: { issuer: 'not a url', clientId: 'a' } } }, /issuer must be an http/],
    [{ providers: { a: { issuer: 'https://x' } } }, /clientId \(for login\) or serviceAccounts/],
    [
      { providers: { a: { issuer: 'https://x', clientId: 'a', claims: { nickname: 'x' } } } },
      /unknown key `nickname` in the claims of provider `a`/,
    ],
    [
      { providers: { a: { issuer: 'https://x', clientId: 'a', serviceAccounts: { claim: 'azp', algorithms: ['HS256'] } } } },
      /HS256 are not allowed/,
    ],
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
