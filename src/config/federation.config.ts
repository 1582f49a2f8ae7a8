import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { ConfigError } from './config.error';
import { Env, readEnv } from './env-parsers';

/** Which claim (a dotted path such as `realm_access.roles`) feeds which user field. */
export interface ClaimMapping {
  username: string;
  systemId: string;
  email: string;
  firstName: string;
  lastName: string;
  roles: string;
  /** No default: unless mapped, the provider does not enable or disable users. */
  enabled?: string;
}

export interface ServiceAccountConfig {
  /** The claim whose value names the local user a service token acts as (e.g. `azp`, `preferred_username`). */
  claim: string;
  /** Accepted `aud` values; default: the client id. */
  audience: string[];
  /** A PEM public key from configuration; else DATA_DIR/oidc/<provider>.pem; else the JWKS. */
  publicKeyPem?: string;
  /** Default: the provider's `jwks_uri` from discovery. */
  jwksUri?: string;
  /** An unknown `kid` refetches the JWKS at most this often (seconds). */
  jwksCooldownSeconds: number;
  algorithms: string[];
}

export interface OidcProviderConfig {
  /** Short name used in URLs: /authenticate/oidc/<name>/login. */
  name: string;
  issuer: string;
  /** Needed for delegated login; a provider used only for service tokens may leave it out. */
  clientId?: string;
  clientSecret?: string;
  scopes: string;
  claims: ClaimMapping;
  serviceAccounts?: ServiceAccountConfig;
}

export interface FederationConfig {
  providers: OidcProviderConfig[];
  /** Paths (or absolute URLs) a login may return to; `redirect` must be one of them exactly. */
  postLoginRedirects: string[];
  /**
   * Gatehouse as the browser sees it (PUBLIC_URL): the callback URL registered at the provider is
   * built from it. Unset: taken from each login request's Host (fine for development; set it in production).
   */
  publicUrl?: string;
}

/** Asymmetric algorithms only (RFC 8725 §3.1): a provider's token is never checked with a shared secret. */
export const PROVIDER_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'EdDSA'];

const DEFAULT_CLAIMS: ClaimMapping = {
  username: 'preferred_username',
  systemId: 'sub',
  email: 'email',
  firstName: 'given_name',
  lastName: 'family_name',
  roles: 'roles',
};

const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

type Raw = Record<string, unknown>;

/**
 * Providers come from OIDC_CONFIG (a JSON or YAML file) or from environment variables
 * (OIDC_PROVIDERS=keycloak,google and OIDC_<NAME>_ISSUER, …); see the README.
 */
export function loadFederationConfig(env: Env, dataDir: string): FederationConfig {
  const file = readEnv(env, 'OIDC_CONFIG');
  const raw: Raw = file ? readConfigFile(file) : fromEnv(env);
  // `providers` as a map or a list; or the whole file is the map (every value has an issuer).
  const bareMap = !('providers' in raw) && Object.values(raw).length > 0 && Object.values(raw).every((v) => !!v && typeof v === 'object' && 'issuer' in (v as Raw));
  const rawProviders = Array.isArray(raw) ? raw : bareMap ? raw : (raw.providers ?? {});
  const entries: [string, Raw][] = Array.isArray(rawProviders)
    ? rawProviders.map((p: Raw) => [String(p?.name ?? ''), p])
    : Object.entries(rawProviders as Record<string, Raw>);
  const providers = entries.map(([name, p]) => parseProvider(name, p ?? {}, dataDir));
  const fileRedirects = (raw.postLoginRedirects ?? raw.post_login_redirects) as string[] | string | undefined;
  const redirects = readEnv(env, 'OIDC_POST_LOGIN_REDIRECTS')?.split(',') ?? (typeof fileRedirects === 'string' ? fileRedirects.split(',') : fileRedirects) ?? ['/'];
  const publicUrl = (readEnv(env, 'PUBLIC_URL') ?? ((raw.publicUrl ?? raw.public_url) as string | undefined))?.replace(/\/+$/, '');
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+(\/.*)?$/.test(publicUrl)) throw new ConfigError('PUBLIC_URL', `must be an http(s) URL, got "${publicUrl}"`);
  return { providers, postLoginRedirects: redirects.map((r) => r.trim()).filter(Boolean), publicUrl };
}

function readConfigFile(path: string): Raw {
  // Inline JSON is accepted too (handy in container environments): OIDC_CONFIG='{"providers": …}'.
  if (/^[[{]/.test(path)) {
    try {
      return JSON.parse(path) as Raw;
    } catch (error) {
      throw new ConfigError('OIDC_CONFIG', `is not valid JSON: ${(error as Error).message}`);
    }
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('OIDC_CONFIG', `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? loadYaml(text) : JSON.parse(text);
    if (!parsed || typeof parsed !== 'object') throw new Error('expected an object with "providers"');
    return parsed as Raw;
  } catch (error) {
    throw new ConfigError('OIDC_CONFIG', `${path} is not valid: ${(error as Error).message}`);
  }
}

function fromEnv(env: Env): Raw {
  const names = readEnv(env, 'OIDC_PROVIDERS')?.split(',').map((n) => n.trim()).filter(Boolean) ?? [];
  const providers: Record<string, Raw> = {};
  for (const name of names) {
    const prefix = `OIDC_${name.toUpperCase().replace(/-/g, '_')}_`;
    const get = (key: string) => readEnv(env, prefix + key);
    const claims: Raw = {};
    for (const [key, variable] of Object.entries({ username: 'USERNAME', systemId: 'SYSTEM_ID', email: 'EMAIL', firstName: 'FIRST_NAME', lastName: 'LAST_NAME', roles: 'ROLES', enabled: 'ENABLED' })) {
      const value = get(`CLAIM_${variable}`);
      if (value) claims[key] = value;
    }
    const serviceAccountClaim = get('SERVICE_ACCOUNT_CLAIM');
    providers[name] = {
      issuer: get('ISSUER'),
      clientId: get('CLIENT_ID'),
      clientSecret: get('CLIENT_SECRET'),
      scopes: get('SCOPES'),
      claims,
      serviceAccounts: serviceAccountClaim
        ? { claim: serviceAccountClaim, audience: get('AUDIENCE')?.split(','), publicKey: get('PUBLIC_KEY'), jwksUri: get('JWKS_URI'), jwksCooldownSeconds: get('JWKS_COOLDOWN') }
        : undefined,
    };
  }
  return { providers };
}

/**
 * Accepted spellings: camelCase as documented, snake_case (`client_id`), `claimMapping`/`mapping` for
 * `claims`, scopes as a list, and the service-account settings flat on the provider
 * (`serviceAccountClaim`, `publicKey`, `jwksUri`, `audience`) instead of in `serviceAccounts`.
 */
function normalize(p: Raw): Raw {
  const pick = (...keys: string[]) => keys.map((key) => p[key]).find((value) => value !== undefined);
  const flatAccountClaim = pick('serviceAccountClaim', 'service_account_claim');
  const nested = pick('serviceAccounts', 'service_accounts') as Raw | undefined;
  const scopes = pick('scopes', 'scope');
  return {
    issuer: pick('issuer', 'issuerUrl', 'issuer_url'),
    clientId: pick('clientId', 'client_id'),
    clientSecret: pick('clientSecret', 'client_secret'),
    scopes: Array.isArray(scopes) ? scopes.join(' ') : scopes,
    claims: pick('claims', 'claimMapping', 'claim_mapping', 'mapping'),
    serviceAccounts:
      nested ??
      (flatAccountClaim
        ? {
            claim: flatAccountClaim,
            audience: pick('audience'),
            publicKey: pick('publicKey', 'public_key', 'publicKeyPem', 'pem'),
            jwksUri: pick('jwksUri', 'jwks_uri', 'jwksUrl', 'jwks_url'),
            jwksCooldownSeconds: pick('jwksCooldownSeconds'),
          }
        : undefined),
  };
}

function parseProvider(name: string, raw: Raw, dataDir: string): OidcProviderConfig {
  const where = `OIDC provider "${name}"`;
  const p = normalize(raw);
  if (!NAME.test(name)) throw new ConfigError('OIDC_CONFIG', `provider names are lower-case letters, digits and "-", got "${name}"`);
  const issuer = typeof p.issuer === 'string' ? p.issuer.replace(/\/+$/, '') : '';
  if (!/^https?:\/\//.test(issuer)) throw new ConfigError('OIDC_CONFIG', `${where}: issuer must be an http(s) URL`);
  const clientId = optionalString(p.clientId);
  const claims = { ...DEFAULT_CLAIMS, ...stringMap(p.claims, where) };
  const sa = p.serviceAccounts as Raw | undefined;
  let serviceAccounts: ServiceAccountConfig | undefined;
  if (sa) {
    const claim = optionalString(sa.claim);
    if (!claim) throw new ConfigError('OIDC_CONFIG', `${where}: serviceAccounts.claim is required`);
    const audience = Array.isArray(sa.audience) ? sa.audience.map(String) : optionalString(sa.audience)?.split(',') ?? (clientId ? [clientId] : []);
    if (audience.length === 0) throw new ConfigError('OIDC_CONFIG', `${where}: serviceAccounts.audience (or clientId) is required`);
    const algorithms = Array.isArray(sa.algorithms) ? sa.algorithms.map(String) : PROVIDER_ALGORITHMS;
    const refused = algorithms.filter((alg) => !PROVIDER_ALGORITHMS.includes(alg));
    if (refused.length) throw new ConfigError('OIDC_CONFIG', `${where}: algorithms ${refused.join(', ')} are not allowed (asymmetric only)`);
    const cooldown = Number(sa.jwksCooldownSeconds ?? 60);
    if (!Number.isFinite(cooldown) || cooldown < 0 || cooldown > 86_400) throw new ConfigError('OIDC_CONFIG', `${where}: jwksCooldownSeconds must be 0..86400`);
    serviceAccounts = {
      claim,
      audience,
      publicKeyPem: optionalString(sa.publicKey ?? sa.publicKeyPem ?? sa.pem) ?? readPemFile(join(dataDir, 'oidc', `${name}.pem`)),
      jwksUri: optionalString(sa.jwksUri ?? sa.jwksUrl ?? sa.jwks_uri),
      jwksCooldownSeconds: cooldown,
      algorithms,
    };
  }
  if (!clientId && !serviceAccounts) throw new ConfigError('OIDC_CONFIG', `${where}: clientId (for login) or serviceAccounts is required`);
  return { name, issuer, clientId, clientSecret: optionalString(p.clientSecret), scopes: optionalString(p.scopes) ?? 'openid profile email', claims, serviceAccounts };
}

function readPemFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function stringMap(value: unknown, where: string): Partial<ClaimMapping> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') throw new ConfigError('OIDC_CONFIG', `${where}: claims must be an object`);
  const out: Record<string, string> = {};
  const snake: Record<string, string> = { system_id: 'systemId', first_name: 'firstName', last_name: 'lastName' };
  for (const [given, claim] of Object.entries(value as Raw)) {
    const key = snake[given] ?? given;
    if (!['username', 'systemId', 'email', 'firstName', 'lastName', 'roles', 'enabled'].includes(key)) {
      throw new ConfigError('OIDC_CONFIG', `${where}: unknown claim mapping "${key}"`);
    }
    if (typeof claim !== 'string' || !claim) throw new ConfigError('OIDC_CONFIG', `${where}: claims.${key} must be a claim name`);
    out[key] = claim;
  }
  return out;
}
