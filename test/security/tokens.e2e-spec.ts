import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TestApp, createTestApp } from '../support/test-app';
import { adminToken, decodeJwt, expectErrorBody, login, serverIssuer, signWithServerKey, unsignedToken } from '../support/auth-helpers';
import { describeE2E, itWithSharedSecret } from '../support/test-database';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describeE2E('Adversarial tokens (RFC 8725)', () => {
  let t: TestApp;
  let adminId: string;
  let genuine: string;
  let kid: string;

  beforeAll(async () => {
    t = await createTestApp();
    genuine = await adminToken(t);
    adminId = decodeJwt(genuine).payload.sub as string;
    kid = decodeJwt(genuine).header.kid as string;
  });
  afterAll(() => t.close());

  async function refused(token: string, message?: RegExp, path = '/api/v1/users') {
    const res = await t.http().get(path).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expectErrorBody(res.body, 401, path);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="gatehouse", error="invalid_token", error_description="[^"]*"$/);
    if (message) expect(res.body.message).toMatch(message);
  }

  const claims = () => ({
    sub: adminId,
    sid: decodeJwt(genuine).payload.sid,
    iss: serverIssuer(t),
    aud: 'gatehouse',
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 300,
    roles: ['ADMIN'],
  });

  it('accepts the genuine token (control)', async () => {
    expect((await t.http().get('/api/v1/users').auth(genuine, { type: 'bearer' })).status).toBe(200);
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg %s', async (alg) => {
    await refused(`${b64({ alg, typ: 'JWT', kid })}.${b64(claims())}.`);
  });

  it.each(['HS256', 'HS384'] as const)('refuses %s even with the server key', async (algorithm) => {
    await refused(signWithServerKey(t, claims(), { algorithm }), /algorithm/);
  });

  it('compares alg exactly: "hs512" is not HS512', async () => {
    const [, payload, signature] = genuine.split('.');
    await refused(`${b64({ alg: 'hs512', typ: 'JWT', kid })}.${payload}.${signature}`);
  });

  it.each(['RS256', 'ES256', 'PS256'] as const)('refuses %s tokens (and never treats the HMAC key as a public key)', async (algorithm) => {
    const { privateKey } =
      algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    await refused(jwt.sign(claims(), privateKey, { algorithm, keyid: kid }));
  });

  it('refuses a stripped signature, a tampered payload and escalated roles', async () => {
    const [header, payload, signature] = genuine.split('.');
    await refused(`${header}.${payload}.`);
    const user = decodeJwt(genuine).payload;
    await refused(`${header}.${b64({ ...user, sub: randomUUID() })}.${signature}`, /signature/);
    await refused(`${header}.${b64({ ...user, roles: ['ADMIN', 'ROOT'] })}.${signature}`, /signature/);
  });

  it('refuses expired, not-yet-valid, wrong-issuer, wrong-audience and incomplete tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(signWithServerKey(t, { ...claims(), exp: now - 1 }), /expired/);
    await refused(signWithServerKey(t, { ...claims(), nbf: now + 60 }), /not valid yet/);
    await refused(signWithServerKey(t, { ...claims(), iss: 'https://evil.example' }), /issuer/);
    await refused(signWithServerKey(t, { ...claims(), aud: 'another-service' }), /audience/);
    for (const missing of ['exp', 'iat', 'iss', 'aud', 'sub', 'sid']) {
      await refused(signWithServerKey(t, { ...claims(), [missing]: undefined }));
    }
  });

  it.each([
    ['unknown', 'not-a-key'],
    ['a path', '../../../../etc/passwd'],
    ['SQL', "' OR '1'='1"],
    ['a shell command', '$(touch /tmp/pwned)'],
    ['a number', 42],
  ])('refuses a kid that is %s, looking nothing up', async (_case, badKid) => {
    const token = signWithServerKey(t, claims(), { kid: null, header: { kid: badKid } });
    await refused(token, /unknown key/);
  });

  it('never fetches or trusts jku, x5u or an embedded jwk', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const attackerKey = randomBytes(64);
    await refused(jwt.sign(claims(), privateKey, { algorithm: 'RS256', header: { alg: 'RS256', jwk, kid } as jwt.JwtHeader }));
    await refused(signWithServerKey(t, claims(), { key: attackerKey, header: { jku: 'http://127.0.0.1:1/jwks.json' } }), /signature/);
    await refused(signWithServerKey(t, claims(), { key: attackerKey, header: { x5u: 'http://127.0.0.1:1/cert.pem' } }), /signature/);
  });

  it('refuses oversized tokens before parsing them', async () => {
    await refused(`${genuine.split('.')[0]}.${'A'.repeat(5000)}.${genuine.split('.')[2]}`, /too large/);
  });

  it.each([
    ['standard base64 characters', () => genuine.replace(/-/g, '+').replace(/_/g, '/') + '+/='],
    ['a character outside base64url', () => genuine.slice(0, 20) + '!' + genuine.slice(21)],
    ['two segments', () => genuine.split('.').slice(0, 2).join('.')],
    ['four segments', () => `${genuine}.AAAA`],
    ['a header that is not JSON', () => `${b64('not json')}.${genuine.split('.')[1]}.${genuine.split('.')[2]}`],
    ['a JSON array header', () => `${b64([1])}.${genuine.split('.')[1]}.${genuine.split('.')[2]}`],
    ['whitespace inside', () => genuine.replace('.', ' .')],
  ])('refuses a token with %s as malformed', async (_case, make) => {
    const token = make();
    if (/^[\x21-\x7e]+$/.test(token) && !token.includes(' ')) await refused(token, /malformed|invalid|signature/);
    else {
      const res = await t.http().get('/api/v1/users').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(401);
    }
  });

  it('refuses duplicate JSON keys smuggled in a forged payload', async () => {
    const header = b64({ alg: decodeJwt(genuine).header.alg, typ: 'JWT', kid });
    const payload = Buffer.from(
      `{"sub":"${randomUUID()}","sub":"${adminId}","iss":"${serverIssuer(t)}","aud":"gatehouse","exp":9999999999,"iat":1,"sid":"${randomUUID()}"}`,
    ).toString('base64url');
    const signature = genuine.split('.')[2];
    await refused(`${header}.${payload}.${signature}`, /signature/);
  });

  it('never accepts a refresh token as an access token, nor an access token as a refresh token', async () => {
    const tokens = await login(t);
    await refused(tokens.refresh_token);
    const res = await t.http().post('/authenticate/refresh').send({ refresh_token: tokens.access_token });
    expect(res.status).toBe(401);
    expect((await t.http().post('/authenticate/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(200);
  });

  it('refuses an unsigned token even with the right kid', async () => {
    await refused(unsignedToken({ ...claims(), kid }));
  });

  it('refuses a token whose sub or sid is spelled in upper case (ids are compared as written by Gatehouse)', async () => {
    await refused(signWithServerKey(t, { ...claims(), sid: String(claims().sid).toUpperCase() }), /session/);
    await refused(signWithServerKey(t, { ...claims(), sub: adminId.toUpperCase() }), /subject/);
  });

  it('refuses a token with a crit header: Gatehouse understands no extension (RFC 7515 §4.1.11)', async () => {
    await refused(signWithServerKey(t, claims(), { header: { kid, crit: ['exp'] } }), /crit/);
    await refused(signWithServerKey(t, claims(), { header: { kid, crit: [] } }), /crit/);
  });

  it('refuses a token issued in the future, or living longer than ACCESS_TOKEN_MAX_TTL', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(signWithServerKey(t, { ...claims(), iat: now + 60, exp: now + 300 }), /issued in the future/);
    await refused(signWithServerKey(t, { ...claims(), iat: now - 10, exp: now + 3600 }), /lives longer/);
    // The same checks for logout, which accepts an expired token but not a forged one.
    const forged = signWithServerKey(t, { ...claims(), iat: now + 60, exp: now + 300 });
    expect((await t.http().post('/authenticate/logout').auth(forged, { type: 'bearer' })).status).toBe(401);
  });
});

describeE2E('Key rotation and clock tolerance', () => {
  const OLD = 'old-secret-'.padEnd(72, 'o');
  const NEW = 'new-secret-'.padEnd(72, 'n');

  itWithSharedSecret('keeps tokens of JWT_SECRET_PREVIOUS valid during a rotation, and refuses them after', async () => {
    const t = await createTestApp({ JWT_SECRET: OLD });
    try {
      const before = await login(t);
      await t.restart({ JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD });
      expect((await t.http().get('/authenticate/me').auth(before.access_token, { type: 'bearer' })).status).toBe(200);
      const after = await login(t);
      expect(decodeJwt(after.access_token).header.kid).not.toBe(decodeJwt(before.access_token).header.kid);
      await t.restart({ JWT_SECRET: NEW });
      const res = await t.http().get('/authenticate/me').auth(before.access_token, { type: 'bearer' });
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/unknown key/);
      expect((await t.http().get('/authenticate/me').auth(after.access_token, { type: 'bearer' })).status).toBe(200);
      // Sessions survive the rotation: the refresh token still works.
      expect((await t.http().post('/authenticate/refresh').send({ refresh_token: before.refresh_token })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('gives no leeway by default and CLOCK_TOLERANCE seconds when configured', async () => {
    const t = await createTestApp({ CLOCK_TOLERANCE: '30' });
    try {
      const admin = await adminToken(t);
      const { sub, sid } = decodeJwt(admin).payload;
      const now = Math.floor(Date.now() / 1000);
      const justExpired = signWithServerKey(t, { sub, sid, iat: now - 100, exp: now - 5 });
      expect((await t.http().get('/authenticate/me').auth(justExpired, { type: 'bearer' })).status).toBe(200);
      const longExpired = signWithServerKey(t, { sub, sid, iat: now - 100, exp: now - 40 });
      expect((await t.http().get('/authenticate/me').auth(longExpired, { type: 'bearer' })).status).toBe(401);
    } finally {
      await t.close();
    }
  });
});
