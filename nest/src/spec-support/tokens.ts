import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { JWK, JWTPayload, KeyLike } from 'jose';
import { createHash, createHmac, randomUUID } from 'node:crypto';

/** What the specs' Gatehouse would write into JWT_ISSUER and JWT_AUDIENCE. */
export const ISSUER = 'http://127.0.0.1:3000';
export const AUDIENCE = 'gatehouse';
/** An HS512 secret as long as RFC 7518 §3.2 asks (64 bytes). */
export const SECRET = 'a-shared-secret-for-the-specs-only-it-is-sixty-four-bytes-long!!';

/** A key pair as Gatehouse holds it: the private half signs, the public JWK is published. */
export interface TestKey {
  kid: string;
  alg: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  /** The public key as the JWKS publishes it (kid, alg, use). */
  jwk: JWK;
}

export async function generateTestKey(alg: 'EdDSA' | 'ES256' | 'RS256' | 'PS256', kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** The claims of a Gatehouse access token for a USER, valid for five minutes. */
export function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: randomUUID(),
    preferred_username: 'alice',
    roles: ['USER'],
    sid: randomUUID(),
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    ...overrides,
  };
}

/** The claims of a service client's access token (client credentials grant): no session, name or roles. */
export function clientClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  const clientId = randomUUID();
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: clientId,
    client_id: clientId,
    gty: 'client_credentials',
    scope: 'patients:read',
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    ...overrides,
  };
}

/** A `scope_ref` as Gatehouse writes it for a scope of over 50 permissions: base64url SHA-256. */
export function scopeRef(permissions: string[]): string {
  return createHash('sha256').update(permissions.join(' ')).digest('base64url');
}

/** Signs claims as Gatehouse would (header `{ alg, kid, typ: 'JWT' }`); `header` adds or replaces header members. */
export function sign(key: TestKey, payload: JWTPayload = claims(), header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey);
}

/** Signs claims with the shared secret (HS512 unless `alg` says otherwise). */
export function signWithSecret(payload: JWTPayload = claims(), alg = 'HS512', secret = SECRET): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, kid: 'shared', typ: 'JWT' }).sign(Buffer.from(secret, 'utf8'));
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token put together by hand, for what no honest library signs (alg none, HMAC with a public key). */
export function forge(header: Record<string, unknown>, payload: JWTPayload, signature = ''): string {
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

/** The RFC 8725 §2.1 key-confusion attack: HS256 keyed with the public key the verifier trusts. */
export function hmacWithPublicKey(key: TestKey, payload: JWTPayload): string {
  const signingInput = `${encode({ alg: 'HS256', kid: key.kid, typ: 'JWT' })}.${encode(payload)}`;
  const publicKeyBytes = JSON.stringify(key.jwk);
  return `${signingInput}.${createHmac('sha256', publicKeyBytes).update(signingInput).digest('base64url')}`;
}
