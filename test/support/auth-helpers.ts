import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
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

/** The server's HS512 key (generated: in DATA_DIR on SQLite, in the database on PostgreSQL). */
export function serverSecret(t: TestApp): Buffer {
  return t.app.get(KeyStore).signingKey().key.export();
}

/** Signs arbitrary claims with the server's own key, to forge tokens the way an insider could. */
export function signWithServerKey(
  t: TestApp,
  claims: Record<string, unknown>,
  options: { algorithm?: jwt.Algorithm; key?: Buffer; kid?: string | null; header?: Record<string, unknown> } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const all = { iss: 'gatehouse', aud: 'gatehouse', iat: now, exp: now + 300, sid: randomUUID(), roles: ['ADMIN'], ...claims };
  // A claim given as undefined is left out of the token.
  const payload = Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
  return jwt.sign(payload, createSecretKey(options.key ?? serverSecret(t)), {
    algorithm: options.algorithm ?? 'HS512',
    // jsonwebtoken adds iat by itself; a test that leaves iat out means it.
    noTimestamp: 'iat' in claims && claims.iat === undefined,
    // By default the server key's kid, as Gatehouse's own tokens carry; null leaves it out.
    ...(options.kid === null ? {} : { keyid: options.kid ?? t.app.get(KeyStore).signingKey().kid }),
    ...(options.header ? { header: { alg: options.algorithm ?? 'HS512', ...options.header } as jwt.JwtHeader } : {}),
  });
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
    message: expect.any(String),
    path,
  });
}

export interface AuditEventRow {
  type: string;
  userId: string | null;
  username: string | null;
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
