import { KeyObject, createSecretKey } from 'node:crypto';
import { GatehouseAuthConfigError } from './gatehouse-auth.errors';

/** Checking each token's session at Gatehouse (RFC 7662 token introspection). */
export interface GatehouseIntrospectionOptions {
  /** Gatehouse's introspection endpoint, e.g. `https://auth.example.org/authenticate/introspect`. */
  url: string;
  /** The service account this service authenticates with (HTTP Basic). */
  credentials: { username: string; password: string };
  /**
   * How long Gatehouse's answer about one token is reused, in seconds (fractions allowed): a logout is
   * seen at most this late. 0 asks on every request. Default 30.
   */
  cacheSeconds?: number;
  /** How long to wait for Gatehouse's answer before failing with 503, in seconds. Default 5. */
  timeoutSeconds?: number;
}

export interface GatehouseAuthOptions {
  /** Gatehouse's JWT_ISSUER, e.g. `https://auth.example.org`: every token's `iss` must equal it. */
  issuer: string;
  /** Gatehouse's JWT_AUDIENCE (`gatehouse` by default): every token's `aud` must contain it. */
  audience: string;
  /**
   * Where Gatehouse publishes its public keys, usually `${issuer}/.well-known/jwks.json`. Set this
   * or `secret`, not both.
   */
  jwksUri?: string;
  /** Gatehouse's JWT_SECRET (HS512), for deployments that share a secret instead of publishing keys. */
  secret?: string | Uint8Array;
  /**
   * The JWS algorithms accepted (RFC 8725 §3.1: pinned, never read from the token). Default
   * `['EdDSA', 'ES256', 'RS256', 'PS256']` with `jwksUri`, `['HS512']` with `secret`.
   */
  algorithms?: string[];
  /** Seconds of leeway for `exp`, `nbf` and `iat` between this host's clock and Gatehouse's. Default 0. */
  clockTolerance?: number;
  /** The realm of `WWW-Authenticate` challenges. Default `gatehouse`. */
  realm?: string;
  /** Seconds after a JWKS fetch during which an unknown `kid` does not trigger another. Default 30. */
  jwksCooldownSeconds?: number;
  /** Seconds a fetched JWKS is used before it is fetched again. Default 300. */
  jwksCacheMaxAgeSeconds?: number;
  /** Also ask Gatehouse whether each token's session is still active (see README, "Revocation"). */
  introspection?: GatehouseIntrospectionOptions;
}

/** The options after validation, in the form the guards use. */
export interface ResolvedGatehouseAuthOptions {
  issuer: string;
  audience: string;
  algorithms: string[];
  clockTolerance: number;
  realm: string;
  keys: { kind: 'jwks'; uri: URL; cooldownMs: number; cacheMaxAgeMs: number } | { kind: 'secret'; secret: KeyObject };
  introspection?: { url: URL; authorization: string; cacheMs: number; timeoutMs: number };
}

/** The injection token of the resolved options. */
export const GATEHOUSE_AUTH_OPTIONS = Symbol('GATEHOUSE_AUTH_OPTIONS');

/** Algorithms of published key pairs. HS* never: an attacker knows the public key (RFC 8725 §2.1). */
const ASYMMETRIC_ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const DEFAULT_ASYMMETRIC = ['EdDSA', 'ES256', 'RS256', 'PS256'];
/** HMAC algorithms and the bytes of their hash: RFC 7518 §3.2 asks a key at least that long. */
const HMAC_KEY_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };

/**
 * Validates the options once, at start-up, and throws a GatehouseAuthConfigError naming what is
 * wrong: a misconfigured verifier must not start and then refuse (or worse, accept) every token.
 */
export function resolveOptions(options: GatehouseAuthOptions): ResolvedGatehouseAuthOptions {
  if (typeof options !== 'object' || options === null) throw new GatehouseAuthConfigError('options are required');
  const issuer = requireText(options.issuer, 'issuer', "Gatehouse's JWT_ISSUER, e.g. https://auth.example.org");
  const audience = requireText(options.audience, 'audience', "Gatehouse's JWT_AUDIENCE, e.g. gatehouse");
  const hasJwks = options.jwksUri !== undefined;
  const hasSecret = options.secret !== undefined;
  if (hasJwks === hasSecret) {
    throw new GatehouseAuthConfigError(
      hasJwks
        ? 'set either jwksUri (Gatehouse publishes its keys) or secret (Gatehouse signs with HS512), not both'
        : 'set jwksUri (e.g. `${issuer}/.well-known/jwks.json`) when Gatehouse publishes its keys, or secret when it signs with HS512',
    );
  }
  const clockTolerance = options.clockTolerance ?? 0;
  requireNumber(clockTolerance, 'clockTolerance', 0, 300);
  const realm = options.realm ?? 'gatehouse';
  // The realm is written inside a quoted string of the challenge (RFC 7235 §2.2).
  if (typeof realm !== 'string' || !/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/.test(realm)) {
    throw new GatehouseAuthConfigError('realm must be printable ASCII without " and \\');
  }

  let keys: ResolvedGatehouseAuthOptions['keys'];
  let algorithms: string[];
  if (hasJwks) {
    algorithms = resolveAlgorithms(options.algorithms, DEFAULT_ASYMMETRIC, ASYMMETRIC_ALGORITHMS, 'with jwksUri');
    const cooldownSeconds = options.jwksCooldownSeconds ?? 30;
    const cacheMaxAgeSeconds = options.jwksCacheMaxAgeSeconds ?? 300;
    requireNumber(cooldownSeconds, 'jwksCooldownSeconds', 0, 86_400);
    requireNumber(cacheMaxAgeSeconds, 'jwksCacheMaxAgeSeconds', 0, 86_400);
    keys = {
      kind: 'jwks',
      uri: requireHttpUrl(options.jwksUri, 'jwksUri'),
      cooldownMs: cooldownSeconds * 1000,
      cacheMaxAgeMs: cacheMaxAgeSeconds * 1000,
    };
  } else {
    algorithms = resolveAlgorithms(options.algorithms, ['HS512'], Object.keys(HMAC_KEY_BYTES), 'with secret');
    const bytes = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : options.secret;
    if (!(bytes instanceof Uint8Array)) throw new GatehouseAuthConfigError('secret must be a string or bytes');
    const needed = Math.max(...algorithms.map((alg) => HMAC_KEY_BYTES[alg]));
    if (bytes.length < needed) {
      throw new GatehouseAuthConfigError(`secret must be at least ${needed} bytes for ${algorithms.join(', ')} (RFC 7518 §3.2)`);
    }
    keys = { kind: 'secret', secret: createSecretKey(bytes) };
  }

  return { issuer, audience, algorithms, clockTolerance, realm, keys, introspection: resolveIntrospection(options.introspection) };
}

function resolveIntrospection(options: GatehouseIntrospectionOptions | undefined): ResolvedGatehouseAuthOptions['introspection'] {
  if (options === undefined) return undefined;
  const url = requireHttpUrl(options.url, 'introspection.url');
  const username = requireText(options.credentials?.username, 'introspection.credentials.username', 'a Gatehouse service account');
  const password = requireText(options.credentials?.password, 'introspection.credentials.password', "the service account's password");
  // RFC 7617 §2: the user-id ends at the first colon, so it cannot contain one.
  if (username.includes(':')) throw new GatehouseAuthConfigError('introspection.credentials.username cannot contain ":" (RFC 7617 §2)');
  const cacheSeconds = options.cacheSeconds ?? 30;
  const timeoutSeconds = options.timeoutSeconds ?? 5;
  requireNumber(cacheSeconds, 'introspection.cacheSeconds', 0, 86_400);
  requireNumber(timeoutSeconds, 'introspection.timeoutSeconds', 0.001, 300);
  return {
    url,
    // Computed once: the header is the same on every call (RFC 7617 §2.1, UTF-8).
    authorization: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`,
    cacheMs: cacheSeconds * 1000,
    timeoutMs: timeoutSeconds * 1000,
  };
}

function resolveAlgorithms(given: string[] | undefined, defaults: string[], allowed: string[], mode: string): string[] {
  if (given === undefined) return defaults;
  if (!Array.isArray(given) || given.length === 0) throw new GatehouseAuthConfigError('algorithms must be a non-empty list');
  const refused = given.filter((alg) => !allowed.includes(alg));
  if (refused.length > 0) {
    throw new GatehouseAuthConfigError(`algorithms ${refused.join(', ')} cannot be used ${mode}; choose among ${allowed.join(', ')}`);
  }
  return [...new Set(given)];
}

function requireText(value: unknown, name: string, hint: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new GatehouseAuthConfigError(`${name} is required (${hint})`);
  return value;
}

function requireNumber(value: unknown, name: string, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new GatehouseAuthConfigError(`${name} must be a number of seconds between ${min} and ${max}`);
  }
}

function requireHttpUrl(value: unknown, name: string): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new GatehouseAuthConfigError(`${name} must be an absolute http(s) URL; got ${JSON.stringify(value)}`);
  }
  return url;
}
