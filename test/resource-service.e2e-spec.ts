import { ChildProcess, spawn } from 'node:child_process';
import { constants, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ADMIN } from './support/test-app';
import { decodeJwt } from './support/auth-helpers';
import { call, loginAt } from './support/cluster';
import { ServerProcess, startGatehouseProcess } from './support/server-process';
import { describeE2E, testAlgorithm, testDbKind } from './support/test-database';

const ROOT = join(__dirname, '..');
/** The key-pair algorithm: the project's, or EdDSA (the issue's configuration) in the HS512 projects. */
const PAIR_ALG = testAlgorithm() === 'HS512' ? 'EdDSA' : testAlgorithm();
const INTROSPECTION_CACHE_SECONDS = 1;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Service {
  url: string;
  child: ChildProcess;
}

/** examples/resource-service as its own process (ts-node from the sources, as `npm run example:resource-service`). */
async function startResourceService(env: Record<string, string>): Promise<Service> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'examples/resource-service/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the resource service did not start:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const started = /Resource service on (http:\/\/\S+),/.exec(output);
      if (started) {
        clearTimeout(timer);
        resolve(started[1]);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the resource service exited with ${code}:\n${output}`));
    });
  });
  return { url, child };
}

async function stopService(service: Service | undefined): Promise<void> {
  if (!service || service.child.exitCode !== null) return;
  const exited = new Promise((resolve) => service.child.once('exit', resolve));
  service.child.kill('SIGTERM');
  await exited;
}

/**
 * examples/resource-service (the @gatehouse/nest module) against a real Gatehouse process signing
 * with a key pair: both are separate processes talking HTTP, as in a deployment.
 */
describeE2E(`A resource service verifying Gatehouse tokens (${PAIR_ALG})`, () => {
  let gatehouse: ServerProcess & { stop(): Promise<void>; dataDir: string; databaseUrl: string };
  let local: Service;
  let introspecting: Service;
  let user: { username: string; password: string };

  beforeAll(async () => {
    gatehouse = await startGatehouseProcess({ ACCESS_TOKEN_ALG: PAIR_ALG, KEY_PUBLISH_DELAY: '2' });
    const admin = await loginAt(gatehouse.url);
    user = { username: 'resource-user', password: 'resource-user-password' };
    const service = { username: 'resource-service', password: 'resource-service-password' };
    for (const [account, roles] of [
      [user, ['USER']],
      [service, ['INTROSPECT']],
    ] as const) {
      expect((await call(gatehouse.url, 'POST', '/api/v1/users', { token: admin.access_token, body: { ...account, roles } })).status).toBe(
        201,
      );
    }
    const common = { GATEHOUSE_ISSUER: gatehouse.url, GATEHOUSE_JWKS_COOLDOWN_SECONDS: '1' };
    [local, introspecting] = await Promise.all([
      startResourceService(common),
      startResourceService({
        ...common,
        GATEHOUSE_INTROSPECTION_URL: `${gatehouse.url}/authenticate/introspect`,
        GATEHOUSE_INTROSPECTION_USERNAME: service.username,
        GATEHOUSE_INTROSPECTION_PASSWORD: service.password,
        GATEHOUSE_INTROSPECTION_CACHE_SECONDS: String(INTROSPECTION_CACHE_SECONDS),
      }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stopService(local), stopService(introspecting)]);
    await gatehouse?.stop();
  });

  const get = async (service: Service, path: string, token?: string) => {
    const res = await fetch(`${service.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, challenge: res.headers.get('www-authenticate') };
  };

  /** Gatehouse's own signing key, read where Gatehouse keeps it (to forge tokens an insider could). */
  async function gatehouseKey(kid: string): Promise<string> {
    if (testDbKind() === 'sqlite') return readFileSync(join(gatehouse.dataDir, 'signing-keys', `${kid}.pem`), 'utf8');
    const client = new Client({ connectionString: gatehouse.databaseUrl });
    await client.connect();
    try {
      return (await client.query('SELECT private_key FROM signing_keys WHERE id = $1', [kid])).rows[0].private_key as string;
    } finally {
      await client.end();
    }
  }

  function forge(header: Record<string, unknown>, payload: Record<string, unknown>, pem: string): string {
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const alg = String(header.alg);
    const digest = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`;
    const signature = sign(digest, Buffer.from(input), {
      key: pem,
      ...(alg.startsWith('PS') ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : {}),
      ...(alg.startsWith('ES') ? { dsaEncoding: 'ieee-p1363' as const } : {}),
    });
    return `${input}.${signature.toString('base64url')}`;
  }

  it('accepts a Gatehouse token on the USER route, refuses the ADMIN route to a user, and lets an admin in', async () => {
    const tokens = await loginAt(gatehouse.url, user.username, user.password);
    for (const service of [local, introspecting]) {
      expect(await get(service, '/public')).toMatchObject({ status: 200 });
      const me = await get(service, '/user', tokens.access_token);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ username: user.username, roles: ['USER'] });
      expect((await get(service, '/admin', tokens.access_token)).status).toBe(403);
      expect((await get(service, '/admin', (await loginAt(gatehouse.url)).access_token)).status).toBe(200);
    }
  });

  it('answers a missing, tampered, expired or foreign-issuer token with Gatehouse’s 401 body and WWW-Authenticate', async () => {
    const tokens = await loginAt(gatehouse.url, user.username, user.password);
    const { header, payload } = decodeJwt(tokens.access_token);
    const pem = await gatehouseKey(header.kid as string);
    const now = Math.floor(Date.now() / 1000);
    const [h, , s] = tokens.access_token.split('.');
    const other = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const refused = {
      none: undefined,
      tampered: `${h}.${Buffer.from(JSON.stringify({ ...payload, roles: ['ADMIN'] })).toString('base64url')}.${s}`,
      expired: forge(header, { ...payload, iat: now - 600, exp: now - 300 }, pem),
      'foreign issuer (signed with Gatehouse’s key)': forge(header, { ...payload, iss: 'https://evil.example' }, pem),
      'another audience': forge(header, { ...payload, aud: 'another-service' }, pem),
      'foreign key': forge({ ...header, alg: 'EdDSA' }, payload, other),
    };
    for (const [name, token] of Object.entries(refused)) {
      for (const service of [local, introspecting]) {
        const res = await get(service, '/user', token);
        expect({ name, status: res.status }).toEqual({ name, status: 401 });
        expect(res.body).toMatchObject({ status: 401, error: 'Unauthorized', path: '/user', message: expect.any(String) });
        expect(res.challenge).toMatch(token ? /^Bearer realm="gatehouse", error="invalid_token"/ : /^Bearer realm="gatehouse"/);
      }
    }
    // The control: the genuine token, signed the same way, goes through.
    expect((await get(local, '/user', forge(header, payload, pem))).status).toBe(200);
  });

  it('picks up a key rotation on Gatehouse without a restart', async () => {
    const before = await loginAt(gatehouse.url);
    expect((await get(local, '/admin', before.access_token)).status).toBe(200);
    const rotated = await call(gatehouse.url, 'POST', '/api/v1/keys/rotate', { token: before.access_token });
    expect(rotated.status).toBe(201);
    await sleep(Math.max(0, Date.parse(rotated.body.activatesAt) - Date.now() + 200));
    const after = await loginAt(gatehouse.url);
    expect(decodeJwt(after.access_token).header.kid).toBe(rotated.body.kid);
    await sleep(1100); // the service's JWKS cooldown (GATEHOUSE_JWKS_COOLDOWN_SECONDS=1) since its last fetch
    for (const service of [local, introspecting]) {
      expect((await get(service, '/admin', after.access_token)).status).toBe(200);
      // Tokens of the old key still work there too.
      expect((await get(service, '/admin', before.access_token)).status).toBe(200);
    }
  });

  it(`with introspection, refuses a token within cacheSeconds (${INTROSPECTION_CACHE_SECONDS} s) of its logout at Gatehouse`, async () => {
    const tokens = await loginAt(gatehouse.url, user.username, user.password);
    expect((await get(introspecting, '/user', tokens.access_token)).status).toBe(200);
    expect((await call(gatehouse.url, 'POST', '/authenticate/logout', { token: tokens.access_token })).status).toBe(204);
    const loggedOutAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - loggedOutAt < 5000) {
      status = (await get(introspecting, '/user', tokens.access_token)).status;
      if (status === 200) await sleep(100);
    }
    expect(status).toBe(401);
    expect(Date.now() - loggedOutAt).toBeLessThanOrEqual(INTROSPECTION_CACHE_SECONDS * 1000 + 500);
    const refused = await get(introspecting, '/user', tokens.access_token);
    expect(refused.body.message).toMatch(/revoked/);
    // Without introspection the service cannot know before the token expires: the trade-off documented.
    expect((await get(local, '/user', tokens.access_token)).status).toBe(200);
  });

  it('takes bearer tokens only: Basic credentials are a 401 there', async () => {
    const res = await fetch(`${introspecting.url}/user`, {
      headers: { authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` },
    });
    expect(res.status).toBe(401);
  });
});
