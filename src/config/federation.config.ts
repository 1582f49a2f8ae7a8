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
  const bareMap =
    !('providers' in raw) &&
    Object.values(raw).length > 0 &&
    Object.values(raw).every((v) => !!v && typeof v === 'object' && 'issuer' in (v as Raw));
  const rawProviders = Array.isArray(raw) ? raw : bareMap ? raw : (raw.providers ?? {});
  const entries: [string, Raw][] = Array.isArray(rawProviders)
    ? rawProviders.map((p: Raw) => [String(p?.name ?? ''), p])
    : Object.entries(rawProviders as Record<string, Raw>);
  if (!bareMap && !Array.isArray(raw)) assertKnownKeys(raw, TOP_LEVEL_KEYS, 'at the top level');
  const providers = entries.map(([name, p]) => parseProvider(name, p ?? {}, dataDir, Array.isArray(rawProviders)));
  const fileRedirects = raw.postLoginRedirects as string[] | string | undefined;
  const redirects = readEnv(env, 'OIDC_POST_LOGIN_REDIRECTS')?.split(',') ??
    (typeof fileRedirects === 'string' ? fileRedirects.split(',') : fileRedirects) ?? ['/'];
  const publicUrl = (readEnv(env, 'PUBLIC_URL') ?? (raw.publicUrl as string | undefined))?.replace(/\/+$/, '');
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+(\/.*)?$/.test(publicUrl))
    throw new ConfigError('PUBLIC_URL', `must be an http(s) URL, got "${publicUrl}"`);
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
  const names =
    readEnv(env, 'OIDC_PROVIDERS')
      ?.split(',')
      .map((n) => n.trim())
      .filter(Boolean) ?? [];
  const providers: Record<string, Raw> = {};
  for (const name of names) {
    const prefix = `OIDC_${name.toUpperCase().replace(/-/g, '_')}_`;
    const get = (key: string) => readEnv(env, prefix + key);
    const claims: Raw = {};
    for (const [key, variable] of Object.entries({
      username: 'USERNAME',
      systemId: 'SYSTEM_ID',
      email: 'EMAIL',
      firstName: 'FIRST_NAME',
      lastName: 'LAST_NAME',
      roles: 'ROLES',
      enabled: 'ENABLED',
    })) {
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
        ? {
            claim: serviceAccountClaim,
            audience: get('AUDIENCE')?.split(','),
            publicKey: get('PUBLIC_KEY'),
            jwksUri: get('JWKS_URI'),
            jwksCooldownSeconds: get('JWKS_COOLDOWN'),
          }
        : undefined,
    };
  }
  return { providers };
}

/** The one spelling of every setting (the README's), where it may appear. */
const PROVIDER_KEYS = ['issuer', 'clientId', 'clientSecret', 'scopes', 'claims', 'serviceAccounts'];
const CLAIM_KEYS = ['username', 'systemId', 'email', 'firstName', 'lastName', 'roles', 'enabled'];
const SERVICE_ACCOUNT_KEYS = ['claim', 'audience', 'publicKey', 'jwksUri', 'jwksCooldownSeconds', 'algorithms'];
const TOP_LEVEL_KEYS = ['providers', 'postLoginRedirects', 'publicUrl'];

/** Spellings other tools use for the same setting, for a better "did you mean". */
const KNOWN_ALIASES: Record<string, string> = {
  jwksurl: 'jwksUri',
  publickeypem: 'publicKey',
  pem: 'publicKey',
  claimmapping: 'claims',
  mapping: 'claims',
  scope: 'scopes',
  issuerurl: 'issuer',
  serviceaccountclaim: 'serviceAccounts.claim',
  audience: 'serviceAccounts.audience',
  jwksuri: 'serviceAccounts.jwksUri',
  publickey: 'serviceAccounts.publicKey',
};

/**
 * Refuses any key but the documented ones, naming it, where it is, and the key that was most likely
 * meant: a misspelt setting must stop start-up, not be silently ignored (or half-honoured).
 */
function assertKnownKeys(raw: Raw, allowed: string[], where: string): void {
  for (const key of Object.keys(raw)) {
    if (allowed.includes(key)) continue;
    const hint = suggestion(key, allowed);
    throw new ConfigError(
      'OIDC_CONFIG',
      `unknown key \`${key}\` ${where}${hint ? `; did you mean \`${hint}\`?` : ` (known: ${allowed.join(', ')})`}`,
    );
  }
}

function suggestion(key: string, allowed: string[]): string | undefined {
  const folded = key.toLowerCase().replace(/[_-]/g, '');
  const same = allowed.find((candidate) => candidate.toLowerCase() === folded);
  if (same) return same;
  const alias = KNOWN_ALIASES[folded];
  if (alias && (allowed.includes(alias) || alias.includes('.'))) return alias;
  const scored = allowed.map((candidate) => ({ candidate, distance: editDistance(folded, candidate.toLowerCase()) }));
  const best = scored.sort((a, b) => a.distance - b.distance)[0];
  return best && best.distance <= Math.max(2, Math.floor(best.candidate.length / 3)) ? best.candidate : undefined;
}

/** Levenshtein distance (small strings only: configuration keys). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function parseProvider(name: string, raw: Raw, dataDir: string, listForm: boolean): OidcProviderConfig {
  const where = `OIDC provider "${name}"`;
  const { name: _listName, ...p } = raw;
  assertKnownKeys(listForm ? p : raw, PROVIDER_KEYS, `in provider \`${name}\``);
  if (p.claims !== undefined && (typeof p.claims !== 'object' || p.claims === null))
    throw new ConfigError('OIDC_CONFIG', `${where}: claims must be an object`);
  if (p.claims) assertKnownKeys(p.claims as Raw, CLAIM_KEYS, `in the claims of provider \`${name}\``);
  if (p.serviceAccounts) assertKnownKeys(p.serviceAccounts as Raw, SERVICE_ACCOUNT_KEYS, `in the serviceAccounts of provider \`${name}\``);
  if (!NAME.test(name)) throw new ConfigError('OIDC_CONFIG', `provider names are lower-case letters, digits and "-", got "${name}"`);
  const issuer = typeof p.issuer === 'string' ? p.issuer.replace(/\/+$/, '') : '';
  if (!/^https?:\/\//.test(issuer)) throw new ConfigError('OIDC_CONFIG', `${where}: issuer must be an http(s) URL`);
  const clientId = optionalString(p.clientId);
  const claims = { ...DEFAULT_CLAIMS, ...stringMap(p.claims, where) };
  const scopes = Array.isArray(p.scopes) ? p.scopes.map(String).join(' ') : p.scopes;
  const sa = p.serviceAccounts as Raw | undefined;
  let serviceAccounts: ServiceAccountConfig | undefined;
  if (sa) {
    const claim = optionalString(sa.claim);
    if (!claim) throw new ConfigError('OIDC_CONFIG', `${where}: serviceAccounts.claim is required`);
    const audience = Array.isArray(sa.audience)
      ? sa.audience.map(String)
      : (optionalString(sa.audience)?.split(',') ?? (clientId ? [clientId] : []));
    if (audience.length === 0) throw new ConfigError('OIDC_CONFIG', `${where}: serviceAccounts.audience (or clientId) is required`);
    const algorithms = Array.isArray(sa.algorithms) ? sa.algorithms.map(String) : PROVIDER_ALGORITHMS;
    const refused = algorithms.filter((alg) => !PROVIDER_ALGORITHMS.includes(alg));
    if (refused.length)
      throw new ConfigError('OIDC_CONFIG', `${where}: algorithms ${refused.join(', ')} are not allowed (asymmetric only)`);
    const cooldown = Number(sa.jwksCooldownSeconds ?? 60);
    if (!Number.isFinite(cooldown) || cooldown < 0 || cooldown > 86_400)
      throw new ConfigError('OIDC_CONFIG', `${where}: jwksCooldownSeconds must be 0..86400`);
    serviceAccounts = {
      claim,
      audience,
      publicKeyPem: optionalString(sa.publicKey) ?? readPemFile(join(dataDir, 'oidc', `${name}.pem`)),
      jwksUri: optionalString(sa.jwksUri),
      jwksCooldownSeconds: cooldown,
      algorithms,
    };
  }
  if (!clientId && !serviceAccounts) throw new ConfigError('OIDC_CONFIG', `${where}: clientId (for login) or serviceAccounts is required`);
  return {
    name,
    issuer,
    clientId,
    clientSecret: optionalString(p.clientSecret),
    scopes: optionalString(scopes) ?? 'openid profile email',
    claims,
    serviceAccounts,
  };
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
  for (const [key, claim] of Object.entries(value as Raw)) {
    if (typeof claim !== 'string' || !claim) throw new ConfigError('OIDC_CONFIG', `${where}: claims.${key} must be a claim name`);
    out[key] = claim;
  }
  return out;
}
