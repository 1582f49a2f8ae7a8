import type { GatehouseAuthOptions } from '@gatehouse/nest';

export interface ResourceServiceConfig {
  port: number;
  host: string;
  auth: GatehouseAuthOptions;
}

type Env = Record<string, string | undefined>;

/** The one place the environment is read; a bad value stops the service before it listens. */
export function readConfig(env: Env = process.env): ResourceServiceConfig {
  const issuer = read(env, 'GATEHOUSE_ISSUER');
  if (!issuer) throw new Error('GATEHOUSE_ISSUER is required: Gatehouse JWT_ISSUER, e.g. http://127.0.0.1:3000');
  const introspectionUrl = read(env, 'GATEHOUSE_INTROSPECTION_URL');
  return {
    port: readNumber(env, 'PORT', 3001),
    host: read(env, 'HOST') ?? '127.0.0.1',
    auth: {
      issuer,
      audience: read(env, 'GATEHOUSE_AUDIENCE') ?? 'gatehouse',
      jwksUri: read(env, 'GATEHOUSE_JWKS_URI') ?? `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
      // How often an unknown kid may refetch the key set, and how long the set is trusted without one.
      jwksCooldownSeconds: readNumber(env, 'GATEHOUSE_JWKS_COOLDOWN_SECONDS', 30),
      jwksCacheMaxAgeSeconds: readNumber(env, 'GATEHOUSE_JWKS_CACHE_MAX_AGE_SECONDS', 300),
      // Optional: without it a logout is seen when the access token expires (see nest/README.md).
      introspection: introspectionUrl
        ? {
            url: introspectionUrl,
            credentials: {
              username: read(env, 'GATEHOUSE_INTROSPECTION_USERNAME') ?? '',
              password: read(env, 'GATEHOUSE_INTROSPECTION_PASSWORD') ?? '',
            },
            cacheSeconds: readNumber(env, 'GATEHOUSE_INTROSPECTION_CACHE_SECONDS', 30),
          }
        : undefined,
    },
  };
}

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function readNumber(env: Env, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number; got "${raw}"`);
  return value;
}
