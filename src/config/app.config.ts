import { KeyObject, createSecretKey } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { registerAs } from '@nestjs/config';
import { USERNAME_MESSAGE, USERNAME_PATTERN } from '../common/credentials';
import { ConfigError } from './config.error';
import { Env, readBool, readEnv, readInt, readSize } from './env-parsers';
import { FederationConfig, loadFederationConfig } from './federation.config';
import { TracingConfig, loadTracingConfig } from './tracing.config';

export type DatabaseConfig =
  | { type: 'sqlite'; path: string } // path is ':memory:' or an absolute file path
  | { type: 'postgres'; url: string };

export interface AppConfig {
  http: { port: number; host: string; bodyLimit: number };
  /**
   * The Prometheus listener (METRICS_PORT, METRICS_HOST): `GET /metrics` on a port of its own, never
   * on the public one. Undefined: metrics are off (no listener, no per-request work).
   */
  metrics?: { port: number; host: string };
  dataDir: string;
  database: DatabaseConfig;
  jwt: {
    /**
     * JWT_SECRET as a KeyObject (jsonwebtoken otherwise tries to parse a string secret as PEM on every
     * call). Undefined when unset: the key store then generates one (keys/key-store.ts).
     */
    secret?: KeyObject;
    /** Older keys (JWT_SECRET_PREVIOUS), accepted for verification only during a rotation. */
    previousSecrets: KeyObject[];
    /** Seconds of leeway for exp/nbf (CLOCK_TOLERANCE); 0: a token is invalid at exp. */
    clockTolerance: number;
    issuer: string;
    audience: string;
    accessTtl: number;
    accessMaxTtl: number;
    refreshTtl: number;
    /** The JWS algorithm of access tokens (ACCESS_TOKEN_ALG): HS512, or an asymmetric one whose public keys are published. */
    algorithm: AccessTokenAlgorithm;
    /** A PEM private key to sign with (SIGNING_KEY_FILE) instead of generated, rotatable keys. */
    signingKeyFile?: string;
    /** Seconds a new key is published before it signs (KEY_PUBLISH_DELAY), so verifiers' caches pick it up. */
    keyPublishDelay: number;
    /** `jwt` (typ JWT) or `rfc9068` (typ at+jwt and client_id, RFC 9068). */
    profile: 'jwt' | 'rfc9068';
  };
  introspection: {
    /** Introspection requests per caller per second (INTROSPECTION_RATE_LIMIT). */
    ratePerSecond: number;
  };
  admin: { username: string; password?: string };
  sessions: {
    /** Seconds within which a revocation reaches every instance (cache lifetime of a checked session). */
    revocationMaxLag: number;
    /** Seconds during which a spent refresh token still yields its successor (two tabs refreshing). */
    reuseGrace: number;
    /** Deliver refresh tokens in an HttpOnly cookie by default. */
    refreshCookie: boolean;
    /** No refresh extends a session past its start plus this many seconds (SESSION_MAX_LIFETIME, ASVS 7.3.2 / 10.4.8). */
    maxLifetime: number;
    /** Renewal with only an access token (the OpenPCM compatibility path); off by default. */
    bearerRenewal: boolean;
    /** Seconds after the login within which a chain of bearer renewals ends. */
    bearerRenewalMax: number;
  };
  login: {
    /** Failed logins before a username is locked (Keycloak-style, with a growing wait). */
    maxFailures: number;
    /** First lock duration in seconds; each further lock doubles it, up to lockMaxSeconds. */
    lockSeconds: number;
    lockMaxSeconds: number;
    /** Seconds after the last failure when a username's failure count is forgotten. */
    failureResetSeconds: number;
    /** Failed logins from one client IP within ipWindowSeconds before it gets 429. */
    ipMaxFailures: number;
    ipWindowSeconds: number;
  };
  /** Fastify's trustProxy: false (client IP from the socket), true, or the proxies' addresses/CIDRs. */
  trustProxy: boolean | string[];
  passwordMinLength: number;
  /** Concurrent argon2 computations (each takes a core and 19 MiB); more wait their turn. */
  passwordHashConcurrency: number;
  logLevel: string;
  /** LOG_FORMAT: `json` (one JSON line per entry, for production), `pretty` (readable), or `auto` (pretty when stdout is a terminal). */
  logFormat: 'json' | 'pretty' | 'auto';
  /** Origins allowed by CORS (with credentials); empty: no CORS headers at all. */
  corsOrigins: string[];
  /** Optional Redis for instant cross-instance revocation. */
  redisUrl?: string;
  /** External OpenID Connect providers (delegated login, service-account tokens). */
  federation: FederationConfig;
  mfa: MfaConfig;
  mail: MailConfig;
  recovery: RecoveryConfig;
  /** Personal access tokens and service clients (docs/api-credentials.md). */
  credentials: {
    /** PAT_MAX_DAYS: the longest a personal access token may live. */
    patMaxDays: number;
    /** CLIENT_SECRET_ROTATION_GRACE: seconds a client's previous secret still works after a rotation (default). */
    clientSecretGrace: number;
  };
  /** OpenTelemetry tracing; undefined (off) unless an OTLP endpoint is set (docs/operations.md#tracing). */
  tracing?: TracingConfig;
  /** CONSOLE: serve the web console at /console/ (docs/console.md); false answers 404 there. */
  console: boolean;
}

/** Outgoing e-mail (docs/email.md). Without SMTP_URL (and without MAIL_DEV_LOG) the e-mail flows are off. */
export interface MailConfig {
  /** `smtp://user:pass@host:587` or `smtps://…`; never logged. */
  smtpUrl?: string;
  from: string;
  /** Development only: write messages (with their links) to the log instead of sending them. */
  devLog: boolean;
  /** A directory with template overrides (`<locale>/<name>.txt|.html|.subject`). */
  templatesDir?: string;
  /** Delay before the first retry of a failed send; doubles for the next. */
  retryDelayMs: number;
}

/** Password reset and e-mail verification links. */
export interface RecoveryConfig {
  resetUrl: string;
  verifyUrl: string;
  /** Seconds a reset link lives (PASSWORD_RESET_TTL). */
  resetTtl: number;
  /** Seconds a verification link lives. */
  verifyTtl: number;
  /** Reset requests per account name or address per hour, and per client IP per hour. */
  perAddressPerHour: number;
  perIpPerHour: number;
}

/** Multi-factor login (docs/mfa.md). */
export interface MfaConfig {
  /** MFA_REQUIRED_ROLES: users holding any of these roles must use a second factor; without one, their sessions may only enrol one. */
  requiredRoles: string[];
  /** The WebAuthn relying party: its id (a registrable domain of every origin), its name, and the origins passkeys are used from. */
  webauthn: { rpId: string; rpName: string; origins: string[] };
}

/** The algorithms Gatehouse can sign its access tokens with (EdDSA is Ed25519). */
export const ACCESS_TOKEN_ALGORITHMS = ['HS512', 'EdDSA', 'ES256', 'RS256', 'PS256'] as const;
export type AccessTokenAlgorithm = (typeof ACCESS_TOKEN_ALGORITHMS)[number];

/** RFC 7518 §3.2: an HS512 key must be at least as long as the hash output (512 bits). */
export const MIN_SECRET_BYTES = 64;

const DAY = 24 * 60 * 60;

/**
 * Reads and validates every setting once, at start-up. Nothing else in the app reads process.env.
 * Pure: it creates no directory and writes no file (the key store, the database module and the
 * first-admin bootstrap do, when they need to); it reads only the OIDC_CONFIG file the environment names.
 */
export function loadConfig(env: Env): AppConfig {
  const dataDir = resolve(readEnv(env, 'DATA_DIR') ?? './data');
  const accessMaxTtl = readInt(env, 'ACCESS_TOKEN_MAX_TTL', 3600, 1, DAY);
  const accessTtl = readInt(env, 'ACCESS_TOKEN_TTL', 300, 1, DAY);
  if (accessTtl > accessMaxTtl) {
    throw new ConfigError('ACCESS_TOKEN_TTL', `(${accessTtl}) must not exceed ACCESS_TOKEN_MAX_TTL (${accessMaxTtl})`);
  }
  const database = parseDatabaseUrl(readEnv(env, 'DATABASE_URL'), dataDir);
  const algorithm = readChoice(env, 'ACCESS_TOKEN_ALG', ACCESS_TOKEN_ALGORITHMS, 'HS512');
  const port = readInt(env, 'PORT', 3000, 0, 65535);
  const federation = loadFederationConfig(env, dataDir);
  return {
    http: {
      port,
      host: readEnv(env, 'HOST') ?? '0.0.0.0',
      bodyLimit: readSize(env, 'BODY_LIMIT', '100kb'),
    },
    metrics: readMetrics(env, port),
    dataDir,
    database,
    jwt: {
      secret: readSecret(env),
      previousSecrets: readPreviousSecrets(env),
      clockTolerance: readInt(env, 'CLOCK_TOLERANCE', 0, 0, 300),
      issuer: readIssuer(env, algorithm),
      audience: readEnv(env, 'JWT_AUDIENCE') ?? 'gatehouse',
      accessTtl,
      accessMaxTtl,
      refreshTtl: readInt(env, 'REFRESH_TOKEN_TTL', 14 * DAY, 60, 366 * DAY),
      algorithm,
      signingKeyFile: readSigningKeyFile(env, algorithm),
      keyPublishDelay: readInt(env, 'KEY_PUBLISH_DELAY', 600, 0, DAY),
      profile: readChoice(env, 'ACCESS_TOKEN_PROFILE', ['jwt', 'rfc9068'] as const, 'jwt'),
    },
    introspection: {
      ratePerSecond: readInt(env, 'INTROSPECTION_RATE_LIMIT', 200, 1, 1_000_000),
    },
    admin: {
      username: readAdminUsername(env),
      password: env.ADMIN_PASSWORD || undefined,
    },
    sessions: {
      revocationMaxLag: readInt(env, 'REVOCATION_MAX_LAG', 5, 0, 300),
      reuseGrace: readInt(env, 'REFRESH_REUSE_GRACE', 10, 0, 300),
      refreshCookie: readBool(env, 'REFRESH_TOKEN_COOKIE', false),
      maxLifetime: readInt(env, 'SESSION_MAX_LIFETIME', 30 * DAY, 1, 366 * DAY),
      bearerRenewal: readBool(env, 'BEARER_RENEWAL', false),
      bearerRenewalMax: readInt(env, 'BEARER_RENEWAL_MAX', 3600, 1, 30 * DAY),
    },
    login: {
      maxFailures: readInt(env, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
      lockSeconds: readInt(env, 'LOGIN_LOCK_SECONDS', 60, 1, DAY),
      lockMaxSeconds: readInt(env, 'LOGIN_LOCK_MAX_SECONDS', 900, 1, 7 * DAY),
      failureResetSeconds: readInt(env, 'LOGIN_FAILURE_RESET', 12 * 60 * 60, 60, 7 * DAY),
      ipMaxFailures: readInt(env, 'LOGIN_IP_MAX_FAILURES', 100, 1, 1_000_000),
      ipWindowSeconds: readInt(env, 'LOGIN_IP_WINDOW', 900, 1, DAY),
    },
    trustProxy: readTrustProxy(env),
    passwordMinLength: readInt(env, 'PASSWORD_MIN_LENGTH', 12, 8, 128),
    // One core is left to the event loop, so a login storm cannot starve every other request.
    passwordHashConcurrency: readInt(env, 'PASSWORD_HASH_CONCURRENCY', Math.max(1, availableParallelism() - 1), 1, 64),
    logLevel: readLogLevel(env),
    logFormat: readChoice(env, 'LOG_FORMAT', ['auto', 'json', 'pretty'] as const, 'auto'),
    corsOrigins: readOrigins(env),
    redisUrl: readRedisUrl(env),
    federation,
    mail: readMail(env),
    recovery: readRecovery(env, federation.publicUrl, port),
    mfa: {
      requiredRoles: readList(env, 'MFA_REQUIRED_ROLES'),
      webauthn: readWebAuthn(env, federation.publicUrl, port),
    },
    credentials: {
      patMaxDays: readInt(env, 'PAT_MAX_DAYS', 365, 1, 3650),
      clientSecretGrace: readInt(env, 'CLIENT_SECRET_ROTATION_GRACE', 3600, 0, 30 * DAY),
    },
    tracing: loadTracingConfig(env),
    console: readBool(env, 'CONSOLE', true),
  };
}

export const appConfig = registerAs('app', () => loadConfig(process.env));

/**
 * The names of every environment variable the configuration reads — the schema's variables (the
 * per-provider `OIDC_<NAME>_…` ones aside, read only for providers named in OIDC_PROVIDERS). Found
 * by running loadConfig on an environment that records what is asked of it, so the list cannot
 * drift from the parser; a test compares it with the README's configuration table.
 */
export function configVariableNames(): string[] {
  const read = new Set<string>();
  const recorder = new Proxy({} as Env, {
    get: (_target, name) => {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  loadConfig(recorder);
  return [...read].sort();
}

/**
 * JWT_ISSUER, `iss` of every token. With published keys other services discover Gatehouse by it
 * (RFC 8414: an https URL; http://localhost for development), so an asymmetric algorithm needs a URL.
 */
function readIssuer(env: Env, algorithm: AccessTokenAlgorithm): string {
  const issuer = readEnv(env, 'JWT_ISSUER') ?? 'gatehouse';
  if (algorithm !== 'HS512' && !isAbsoluteUrl(issuer)) {
    throw new ConfigError(
      'JWT_ISSUER',
      `must be an absolute URL such as https://auth.example.org (or http://localhost:3000 in development) when ACCESS_TOKEN_ALG is ${algorithm}: other services discover the keys by it; got "${issuer}"`,
    );
  }
  return issuer;
}

function readSigningKeyFile(env: Env, algorithm: AccessTokenAlgorithm): string | undefined {
  const file = readEnv(env, 'SIGNING_KEY_FILE');
  if (file !== undefined && algorithm === 'HS512') {
    throw new ConfigError(
      'SIGNING_KEY_FILE',
      'is for an asymmetric ACCESS_TOKEN_ALG (EdDSA, ES256, RS256, PS256); HS512 signs with JWT_SECRET',
    );
  }
  return file;
}

/** An http(s) URL with a host and nothing after the path (RFC 8414 §2: no query or fragment). */
export function isAbsoluteUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.host !== '' && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = readEnv(env, name);
  if (raw === undefined) return fallback;
  const match = choices.find((choice) => choice.toLowerCase() === raw.toLowerCase());
  if (!match) throw new ConfigError(name, `must be one of ${choices.join(', ')}, got "${raw}"`);
  return match;
}

function readAdminUsername(env: Env): string {
  const username = readEnv(env, 'ADMIN_USERNAME') ?? 'admin';
  if (!USERNAME_PATTERN.test(username)) throw new ConfigError('ADMIN_USERNAME', USERNAME_MESSAGE.replace(/^username /, ''));
  return username;
}

function parseDatabaseUrl(raw: string | undefined, dataDir: string): DatabaseConfig {
  if (raw === undefined) return { type: 'sqlite', path: join(dataDir, 'gatehouse.sqlite') };
  if (/^postgres(ql)?:\/\//i.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL');
    }
    return { type: 'postgres', url: raw };
  }
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length);
    if (path === '') throw new ConfigError('DATABASE_URL', 'needs a path after sqlite: (or sqlite::memory:)');
    if (path === ':memory:') return { type: 'sqlite', path };
    return { type: 'sqlite', path: isAbsolute(path) ? path : resolve(path) };
  }
  throw new ConfigError('DATABASE_URL', 'must start with sqlite: or postgres://');
}

function readOrigins(env: Env, name = 'CORS_ORIGINS'): string[] {
  const raw = readEnv(env, name);
  if (raw === undefined) return [];
  return raw.split(',').map((origin) => {
    const trimmed = origin.trim();
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      throw new ConfigError(name, `holds "${trimmed}", which is not an origin such as https://app.example.org`);
    }
    if (!/^https?:$/.test(url.protocol) || url.origin !== trimmed.replace(/\/$/, '')) {
      throw new ConfigError(name, `holds "${trimmed}", which is not an origin such as https://app.example.org`);
    }
    return url.origin;
  });
}

function readMail(env: Env): MailConfig {
  const smtpUrl = readEnv(env, 'SMTP_URL');
  if (smtpUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(smtpUrl);
    } catch {
      url = undefined;
    }
    // The value itself is never echoed: it may hold the SMTP password.
    if (!url || !/^smtps?:$/.test(url.protocol) || !url.hostname) {
      throw new ConfigError('SMTP_URL', 'must be smtp://[user:password@]host[:port] or smtps://…');
    }
  }
  const devLog = readBool(env, 'MAIL_DEV_LOG', false);
  if (devLog && env.NODE_ENV === 'production') {
    throw new ConfigError(
      'MAIL_DEV_LOG',
      'writes reset links to the log and is for development only; it cannot be on with NODE_ENV=production',
    );
  }
  const templatesDir = readEnv(env, 'MAIL_TEMPLATES_DIR');
  return {
    smtpUrl,
    from: readEnv(env, 'MAIL_FROM') ?? 'Gatehouse <no-reply@localhost>',
    devLog,
    templatesDir: templatesDir === undefined ? undefined : resolve(templatesDir),
    retryDelayMs: readInt(env, 'MAIL_RETRY_DELAY_MS', 2000, 0, 600_000),
  };
}

function readRecovery(env: Env, publicUrl: string | undefined, port: number): RecoveryConfig {
  const base = publicUrl ?? `http://localhost:${port}`;
  const link = (name: string, path: string) => {
    const value = readEnv(env, name) ?? `${base}${path}`;
    if (!/^https?:\/\/[^/]+/.test(value)) throw new ConfigError(name, `must be an http(s) URL, got "${value}"`);
    return value;
  };
  return {
    resetUrl: link('RESET_URL', '/reset-password'),
    verifyUrl: link('EMAIL_VERIFY_URL', '/verify-email'),
    resetTtl: readInt(env, 'PASSWORD_RESET_TTL', 1800, 60, DAY),
    verifyTtl: readInt(env, 'EMAIL_VERIFY_TTL', 2 * DAY, 60, 30 * DAY),
    perAddressPerHour: readInt(env, 'PASSWORD_RESET_RATE_LIMIT', 3, 1, 1000),
    perIpPerHour: readInt(env, 'PASSWORD_RESET_IP_RATE_LIMIT', 20, 1, 100_000),
  };
}

/** A comma-separated list, blanks dropped. */
function readList(env: Env, name: string): string[] {
  return (readEnv(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/**
 * The WebAuthn relying party. Origins: WEBAUTHN_ORIGINS, else PUBLIC_URL's origin, else
 * http://localhost:PORT (browsers allow WebAuthn on http only for localhost). RP id: WEBAUTHN_RP_ID,
 * else the first origin's host name; it must be that host or a parent domain of every origin's host.
 */
function readWebAuthn(env: Env, publicUrl: string | undefined, port: number): MfaConfig['webauthn'] {
  const configured = readOrigins(env, 'WEBAUTHN_ORIGINS');
  const origins = configured.length > 0 ? configured : [publicUrl ? new URL(publicUrl).origin : `http://localhost:${port}`];
  const rpId = (readEnv(env, 'WEBAUTHN_RP_ID') ?? new URL(origins[0]).hostname).toLowerCase();
  for (const origin of origins) {
    const host = new URL(origin).hostname;
    if (host !== rpId && !host.endsWith(`.${rpId}`)) {
      throw new ConfigError('WEBAUTHN_RP_ID', `"${rpId}" is neither the host of ${origin} nor a parent domain of it`);
    }
  }
  return { rpId, rpName: readEnv(env, 'WEBAUTHN_RP_NAME') ?? 'Gatehouse', origins };
}

function readPreviousSecrets(env: Env): KeyObject[] {
  const raw = readEnv(env, 'JWT_SECRET_PREVIOUS');
  if (raw === undefined) return [];
  return raw.split(',').map((secret, index) => {
    const bytes = Buffer.from(secret.trim(), 'utf8');
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new ConfigError('JWT_SECRET_PREVIOUS', `entry ${index + 1} must be at least ${MIN_SECRET_BYTES} bytes (got ${bytes.length})`);
    }
    return createSecretKey(bytes);
  });
}

function readTrustProxy(env: Env): boolean | string[] {
  const raw = readEnv(env, 'TRUST_PROXY');
  if (raw === undefined || /^(false|0|no|off)$/i.test(raw)) return false;
  if (/^(true|yes|on)$/i.test(raw)) return true;
  const entries = raw.split(',').map((entry) => entry.trim());
  // Fastify 5.12 trusts nobody for a hop count (it cannot tell the proxy from a client that sends
  // X-Forwarded-For itself), and a bare number in a list would be read as an IPv4 address
  // (2 = 0.0.0.2): refused here rather than left to look as if it worked.
  if (entries.some((entry) => /^\d+(\/\d+)?$/.test(entry))) {
    throw new ConfigError(
      'TRUST_PROXY',
      'must name the proxies’ addresses/CIDRs, not a hop count (which cannot tell the proxy from a client sending X-Forwarded-For)',
    );
  }
  if (entries.some((entry) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(entry))) {
    throw new ConfigError('TRUST_PROXY', 'must be true, false, or comma-separated proxy addresses/CIDRs');
  }
  return entries;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function readLogLevel(env: Env): string {
  const level = (readEnv(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(level)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/**
 * METRICS_PORT (unset: metrics off) and METRICS_HOST (default loopback: the scraper runs beside the
 * server or reaches it through a private network, never the public listener).
 */
function readMetrics(env: Env, publicPort: number): AppConfig['metrics'] {
  const host = readEnv(env, 'METRICS_HOST') ?? '127.0.0.1';
  if (readEnv(env, 'METRICS_PORT') === undefined) return undefined;
  const port = readInt(env, 'METRICS_PORT', 0, 1, 65535);
  if (port === publicPort) {
    throw new ConfigError('METRICS_PORT', `must differ from PORT (${publicPort}): metrics are never served on the public listener`);
  }
  return { port, host };
}

function readRedisUrl(env: Env): string | undefined {
  const raw = readEnv(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  if (!/^rediss?:\/\//.test(raw)) throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  return raw;
}

function readSecret(env: Env): KeyObject | undefined {
  const configured = readEnv(env, 'JWT_SECRET');
  if (configured === undefined) return undefined;
  const bytes = Buffer.from(configured, 'utf8');
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new ConfigError(
      'JWT_SECRET',
      `must be at least ${MIN_SECRET_BYTES} bytes for HS512 (got ${bytes.length}); unset it to generate one`,
    );
  }
  return createSecretKey(bytes);
}
