import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configVariableNames, loadConfig } from './app.config';

describe(loadConfig.name, () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const load = (env: Record<string, string> = {}) => loadConfig({ DATA_DIR: dataDir, ...env });

  it('has safe defaults and a SQLite file in the data directory', () => {
    const config = load();
    expect(config.http).toEqual({ port: 3000, host: '0.0.0.0', bodyLimit: 100 * 1024 });
    expect(config.database).toEqual({ type: 'sqlite', path: join(dataDir, 'gatehouse.sqlite') });
    expect(config.jwt).toMatchObject({
      issuer: 'gatehouse',
      audience: 'gatehouse',
      accessTtl: 300,
      accessMaxTtl: 3600,
      refreshTtl: 1209600,
    });
    expect(config.admin).toEqual({ username: 'admin', password: undefined });
  });

  it('writes nothing: no data directory, no secret file (the key store generates the secret)', () => {
    const missing = join(dataDir, 'not-yet');
    const config = loadConfig({ DATA_DIR: missing });
    expect(config.jwt.secret).toBeUndefined();
    expect(config.dataDir).toBe(missing);
    expect(existsSync(missing)).toBe(false);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('leaves the key to the key store without JWT_SECRET, on SQLite and PostgreSQL', () => {
    expect(load().jwt.secret).toBeUndefined();
    expect(load({ DATABASE_URL: 'postgres://db/gatehouse' }).jwt.secret).toBeUndefined();
  });

  it('signs with HS512 by default and reads the published-key settings', () => {
    expect(load().jwt).toMatchObject({ algorithm: 'HS512', keyPublishDelay: 600, profile: 'jwt', signingKeyFile: undefined });
    expect(load().introspection).toEqual({ ratePerSecond: 200 });
    const asymmetric = load({
      ACCESS_TOKEN_ALG: 'eddsa',
      JWT_ISSUER: 'https://auth.example.org',
      KEY_PUBLISH_DELAY: '0',
      ACCESS_TOKEN_PROFILE: 'rfc9068',
      SIGNING_KEY_FILE: '/run/secrets/key.pem',
    });
    expect(asymmetric.jwt).toMatchObject({
      algorithm: 'EdDSA',
      issuer: 'https://auth.example.org',
      keyPublishDelay: 0,
      profile: 'rfc9068',
      signingKeyFile: '/run/secrets/key.pem',
    });
  });

  it.each([
    [{ ACCESS_TOKEN_ALG: 'HS256' }, /ACCESS_TOKEN_ALG must be one of HS512, EdDSA, ES256, RS256, PS256/],
    [{ ACCESS_TOKEN_ALG: 'RS256' }, /JWT_ISSUER must be an absolute URL .* got "gatehouse"/],
    [{ ACCESS_TOKEN_ALG: 'ES256', JWT_ISSUER: 'https://auth.example.org/?x=1' }, /JWT_ISSUER must be an absolute URL/],
    [{ ACCESS_TOKEN_ALG: 'EdDSA', JWT_ISSUER: 'ftp://auth.example.org' }, /JWT_ISSUER must be an absolute URL/],
    [{ SIGNING_KEY_FILE: '/key.pem' }, /SIGNING_KEY_FILE is for an asymmetric ACCESS_TOKEN_ALG/],
    [{ ACCESS_TOKEN_PROFILE: 'oauth' }, /ACCESS_TOKEN_PROFILE must be one of jwt, rfc9068/],
    [{ KEY_PUBLISH_DELAY: '-1' }, /KEY_PUBLISH_DELAY/],
  ])('refuses %p', (env, message) => {
    expect(() => load(env)).toThrow(message);
  });

  it('reads the session settings', () => {
    expect(load().sessions).toEqual({
      revocationMaxLag: 5,
      reuseGrace: 10,
      refreshCookie: false,
      maxLifetime: 30 * 24 * 3600,
      bearerRenewal: false,
      bearerRenewalMax: 3600,
    });
    expect(
      load({
        REVOCATION_MAX_LAG: '0',
        REFRESH_REUSE_GRACE: '0',
        REFRESH_TOKEN_COOKIE: 'true',
        SESSION_MAX_LIFETIME: '86400',
        BEARER_RENEWAL: 'true',
        BEARER_RENEWAL_MAX: '600',
      }).sessions,
    ).toEqual({ revocationMaxLag: 0, reuseGrace: 0, refreshCookie: true, maxLifetime: 86400, bearerRenewal: true, bearerRenewalMax: 600 });
    expect(load({ CORS_ORIGINS: 'https://app.example.org, http://localhost:5173' }).corsOrigins).toEqual([
      'https://app.example.org',
      'http://localhost:5173',
    ]);
  });

  it('keeps metrics off unless METRICS_PORT is set, on loopback by default, never on the public port', () => {
    expect(load().metrics).toBeUndefined();
    expect(load({ METRICS_HOST: '0.0.0.0' }).metrics).toBeUndefined();
    expect(load({ METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(load({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' }).metrics).toEqual({ port: 9464, host: '10.0.0.5' });
    expect(() => load({ METRICS_PORT: '3000' })).toThrow(/^Invalid configuration: METRICS_PORT must differ from PORT \(3000\)/);
    expect(() => load({ METRICS_PORT: '0' })).toThrow(/METRICS_PORT must be between 1 and 65535/);
    expect(() => load({ METRICS_PORT: 'prometheus' })).toThrow(/METRICS_PORT must be a whole number/);
  });

  it('refuses a JWT_SECRET shorter than 64 bytes with a message naming the variable', () => {
    expect(() => load({ JWT_SECRET: 'too-short' })).toThrow(/^Invalid configuration: JWT_SECRET must be at least 64 bytes/);
  });

  it('uses a long enough JWT_SECRET as is', () => {
    expect(
      load({ JWT_SECRET: 'k'.repeat(64) })
        .jwt.secret!.export()
        .toString(),
    ).toBe('k'.repeat(64));
  });

  it.each([
    ['sqlite::memory:', { type: 'sqlite', path: ':memory:' }],
    ['postgres://user@db:5432/gatehouse', { type: 'postgres', url: 'postgres://user@db:5432/gatehouse' }],
    ['postgresql://db/gatehouse', { type: 'postgres', url: 'postgresql://db/gatehouse' }],
  ])('parses DATABASE_URL=%s', (url, expected) => {
    expect(load({ DATABASE_URL: url, JWT_SECRET: 'k'.repeat(64) }).database).toEqual(expected);
  });

  it.each([
    ['DATABASE_URL', 'mysql://db/x'],
    ['DATABASE_URL', 'sqlite:'],
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['ACCESS_TOKEN_TTL', '0'],
    ['ACCESS_TOKEN_TTL', '7200'],
    ['REFRESH_TOKEN_TTL', '-5'],
    ['BODY_LIMIT', 'lots'],
    ['ADMIN_USERNAME', 'bad name'],
    ['CORS_ORIGINS', 'https://app.example.org/path'],
    ['CORS_ORIGINS', '*'],
    ['REFRESH_TOKEN_COOKIE', 'maybe'],
    ['REDIS_URL', 'http://cache'],
    ['REVOCATION_MAX_LAG', '301'],
    ['LOG_FORMAT', 'xml'],
    ['SMTP_URL', 'http://mail.example.org'],
    ['WEBAUTHN_ORIGINS', 'app.example.org'],
    ['RESET_URL', 'javascript:alert(1)'],
    ['PASSWORD_RESET_TTL', '10'],
  ])('stops on %s=%s with one line naming it', (variable, value) => {
    expect(() => load({ [variable]: value })).toThrow(new RegExp(`^Invalid configuration: ${variable} [^\\n]+$`));
  });

  it('never echoes SMTP_URL (it may hold a password), and refuses MAIL_DEV_LOG in production', () => {
    expect(() => load({ SMTP_URL: 'ftp://user:hunter2@mail' })).toThrow(/^Invalid configuration: SMTP_URL (?!.*hunter2)/);
    expect(() => load({ MAIL_DEV_LOG: 'true', NODE_ENV: 'production' })).toThrow(/MAIL_DEV_LOG/);
    expect(load({ MAIL_DEV_LOG: 'true' }).mail.devLog).toBe(true);
  });

  it('derives the WebAuthn relying party from PUBLIC_URL and refuses an RP id that is not a parent of every origin', () => {
    expect(load({ PUBLIC_URL: 'https://auth.example.org' }).mfa.webauthn).toEqual({
      rpId: 'auth.example.org',
      rpName: 'Gatehouse',
      origins: ['https://auth.example.org'],
    });
    expect(
      load({ WEBAUTHN_ORIGINS: 'https://app.example.org,https://auth.example.org', WEBAUTHN_RP_ID: 'example.org' }).mfa.webauthn.rpId,
    ).toBe('example.org');
    expect(() => load({ WEBAUTHN_ORIGINS: 'https://app.example.org', WEBAUTHN_RP_ID: 'other.org' })).toThrow(/WEBAUTHN_RP_ID/);
    expect(load({ MFA_REQUIRED_ROLES: 'ADMIN, AUDITOR' }).mfa.requiredRoles).toEqual(['ADMIN', 'AUDITOR']);
  });

  it('trusts X-Forwarded-For only from named proxies, and refuses a hop count (it cannot tell a proxy from a client)', () => {
    expect(load({}).trustProxy).toBe(false);
    expect(load({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(load({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(load({ TRUST_PROXY: '10.0.0.5, 10.1.0.0/16' }).trustProxy).toEqual(['10.0.0.5', '10.1.0.0/16']);
    expect(() => load({ TRUST_PROXY: '1' })).toThrow(
      /^Invalid configuration: TRUST_PROXY must name the proxies’ addresses\/CIDRs, not a hop count/,
    );
    expect(() => load({ TRUST_PROXY: '10.0.0.5,2' })).toThrow(/not a hop count/);
    expect(() => load({ TRUST_PROXY: '1/8' })).toThrow(/not a hop count/);
    expect(() => load({ TRUST_PROXY: 'proxy.local' })).toThrow(/^Invalid configuration: TRUST_PROXY must be/);
  });

  it('parses BODY_LIMIT units', () => {
    expect(load({ BODY_LIMIT: '1mb' }).http.bodyLimit).toBe(1024 * 1024);
    expect(load({ BODY_LIMIT: '2048' }).http.bodyLimit).toBe(2048);
  });

  it("reads exactly the variables the README's configuration table lists (so the two cannot drift)", () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const documented = new Set<string>();
    for (const line of section.split('\n').filter((row) => row.startsWith('| `'))) {
      const firstColumn = line.split('|')[1];
      for (const match of firstColumn.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) documented.add(match[1]);
    }
    expect([...documented].sort()).toEqual(configVariableNames());
  });
});
