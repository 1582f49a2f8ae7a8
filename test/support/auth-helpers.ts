import type { ConfigType } from '@nestjs/config';
import {
  KeyObject,
  constants,
  createHmac,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
} from 'node:crypto';
import { appConfig } from '../../src/config/app.config';
import { KeyStore } from '../../src/keys/key-store';
import { ADMIN, TestApp } from './test-app';

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export interface TokenBlock {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

export async function login(t: TestApp, username = ADMIN.username, password = ADMIN.password): Promise<TokenBlock> {
  const res = await t.http().post('/authenticate/login').set('Authorization', basic(username, password));
  if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as TokenBlock;
}

export async function adminToken(t: TestApp): Promise<string> {
  return (await login(t)).access_token;
}

let counter = 0;

/** Creates a user through the admin API and returns it with its password. */
export async function createUser(
  t: TestApp,
  options: { username?: string; password?: string; roles?: string[]; enabled?: boolean } = {},
): Promise<{ id: string; username: string; password: string }> {
  const username = options.username ?? `user${++counter}-${randomBytes(3).toString('hex')}`;
  const password = options.password ?? `password-${randomBytes(6).toString('hex')}`;
  const res = await t
    .http()
    .post('/api/v1/users')
    .auth(await adminToken(t), { type: 'bearer' })
    .send({ username, password, roles: options.roles ?? ['USER'], enabled: options.enabled ?? true });
  if (res.status !== 201) throw new Error(`create user failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, username, password };
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
  return { header, payload };
}

/**
 * The server's shared secret as an attacker would try it: the HS512 key itself (generated in
 * DATA_DIR on SQLite, in the database on PostgreSQL); with a key pair, the public key's PEM bytes
 * (the classic algorithm-confusion attack: HS256 keyed with the published key).
 */
export function serverSecret(t: TestApp): Buffer {
  const { alg, key } = t.app.get(KeyStore).signingKey();
  return alg === 'HS512' ? key.export() : Buffer.from(createPublicKey(key).export({ format: 'pem', type: 'spki' }));
}

/** The issuer the server writes into its tokens (JWT_ISSUER). */
export function serverIssuer(t: TestApp): string {
  return t.app.get<ConfigType<typeof appConfig>>(appConfig.KEY).jwt.issuer;
}

/**
 * Signs arbitrary claims the way an insider could: by default with the server's own signing key and
 * algorithm (HS512, or the key pair's), its kid and issuer. `key` as bytes: that HMAC secret for an
 * HS algorithm, or "another key" of the same type for a key-pair algorithm.
 */
export function signWithServerKey(
  t: TestApp,
  claims: Record<string, unknown>,
  options: { algorithm?: string; key?: Buffer | KeyObject; kid?: string | null; header?: Record<string, unknown> } = {},
): string {
  const signer = t.app.get(KeyStore).signingKey();
  const algorithm = options.algorithm ?? signer.alg;
  const now = Math.floor(Date.now() / 1000);
  const issuer = serverIssuer(t);
  const all = { iss: issuer, aud: 'gatehouse', iat: now, exp: now + 300, sid: randomUUID(), roles: ['ADMIN'], ...claims };
  // A claim given as undefined is left out of the token.
  const payload = Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
  let key: KeyObject;
  if (algorithm.startsWith('HS'))
    key = createSecretKey(options.key instanceof KeyObject ? options.key.export() : (options.key ?? serverSecret(t)));
  else if (options.key instanceof KeyObject) key = options.key;
  else if (options.key) key = anotherKeyLike(signer.key);
  else key = signer.key;
  // By default the server key's kid, as Gatehouse's own tokens carry; null leaves it out.
  const header = { alg: algorithm, typ: 'JWT', ...(options.kid === null ? {} : { kid: options.kid ?? signer.kid }), ...options.header };
  return compactJws(header, payload, key);
}

/** A JWS in compact form, signed by hand (any header, any algorithm, with any key: tests forge on purpose). */
export function compactJws(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  const data = Buffer.from(input);
  const alg = String(header.alg);
  const bits = alg.slice(2);
  let signature: Buffer;
  if (alg.startsWith('HS')) signature = createHmac(`sha${bits}`, key).update(data).digest();
  else if (alg.startsWith('RS')) signature = sign(`sha${bits}`, data, key);
  else if (alg.startsWith('PS'))
    signature = sign(`sha${bits}`, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 });
  else if (alg.startsWith('ES')) signature = sign(`sha${bits}`, data, { key, dsaEncoding: 'ieee-p1363' });
  else if (alg === 'EdDSA') signature = sign(null, data, key);
  else throw new Error(`cannot sign ${alg}`);
  return `${input}.${signature.toString('base64url')}`;
}

/** A fresh private key of the same type as `key` (for "signed with another key"). */
function anotherKeyLike(key: KeyObject): KeyObject {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey;
    case 'ec':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    default:
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }
}

/** An unsigned `alg: none` token with the given claims. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}

/** Asserts the project's error body. */
export function expectErrorBody(body: Record<string, unknown>, status: number, path: string): void {
  expect(body).toEqual({
    timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
    status,
    error: expect.any(String),
    code: expect.stringMatching(/^[a-z][a-z_]*$/),
    message: expect.any(String),
    path,
  });
}

export interface AuditEventRow {
  type: string;
  userId: string | null;
  username: string | null;
  actorId?: string | null;
  details: Record<string, unknown> | null;
}

/** The newest audit events of one type (read through the admin API, as an operator would). */
export async function auditEvents(t: TestApp, type: string): Promise<AuditEventRow[]> {
  const res = await t
    .http()
    .get(`/api/v1/audit?type=${type}&limit=200`)
    .auth(await adminToken(t), { type: 'bearer' });
  if (res.status !== 200) throw new Error(`audit query failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items as AuditEventRow[];
}
