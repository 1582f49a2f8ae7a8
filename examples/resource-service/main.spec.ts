import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { IntrospectionServer, JwksServer } from '../../nest/src/spec-support/servers';
import { ISSUER, TestKey, claims, generateTestKey, sign } from '../../nest/src/spec-support/tokens';

const ROOT = join(__dirname, '..', '..');

/**
 * The example as it is meant to be run: its own process, started with ts-node from a fresh clone
 * (nothing built), against a JWKS and an introspection endpoint standing in for Gatehouse.
 */
describe('examples/resource-service', () => {
  let key: TestKey;
  let jwks: JwksServer;
  let gatehouse: IntrospectionServer;
  let service: ChildProcess;
  let url: string;

  beforeAll(async () => {
    key = await generateTestKey('EdDSA', 'key-1');
    jwks = await JwksServer.start([key.jwk]);
    gatehouse = await IntrospectionServer.start();
    service = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'examples/resource-service/main.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: '0',
        GATEHOUSE_ISSUER: ISSUER,
        GATEHOUSE_JWKS_URI: jwks.url,
        GATEHOUSE_INTROSPECTION_URL: gatehouse.url,
        GATEHOUSE_INTROSPECTION_USERNAME: 'resource-service',
        GATEHOUSE_INTROSPECTION_PASSWORD: 'secret',
        GATEHOUSE_INTROSPECTION_CACHE_SECONDS: '0',
      },
    });
    url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const read = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const started = /Resource service on (http:\/\/\S+),/.exec(output);
        if (started) resolve(started[1]);
      };
      service.stdout?.on('data', read);
      service.stderr?.on('data', read);
      service.once('exit', (code) => reject(new Error(`the example exited with ${code}:\n${output}`)));
    });
  }, 30_000);

  afterAll(async () => {
    if (service.exitCode === null) {
      const exited = new Promise((resolve) => service.once('exit', resolve));
      service.kill('SIGTERM');
      await exited;
    }
    await gatehouse.close();
    await jwks.close();
  });

  const get = async (path: string, token?: string) => {
    const response = await fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it('answers /health and /public without a token', async () => {
    expect(await get('/health')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get('/public')).toEqual({ status: 200, body: { ok: true } });
  });

  it('returns the principal on /user to a USER, and refuses /admin to them', async () => {
    const payload = claims({ roles: ['USER'] });
    const token = await sign(key, payload);
    expect(await get('/user', token)).toEqual({
      status: 200,
      body: { id: payload.sub, username: 'alice', roles: ['USER'], permissions: [], sessionId: payload.sid, tokenExpiresAt: payload.exp },
    });
    expect((await get('/admin', token)).status).toBe(403);
    expect((await get('/admin', await sign(key, claims({ roles: ['ADMIN'] })))).status).toBe(200);
    expect((await get('/admin/ping', token)).status).toBe(403);
    expect((await get('/admin/ping', await sign(key, claims({ roles: ['ADMIN'] })))).status).toBe(200);
  });

  it('refuses a request without a token, and a token whose session Gatehouse says has ended', async () => {
    expect((await get('/user')).status).toBe(401);
    gatehouse.answer = () => ({ active: false });
    expect(await get('/user', await sign(key))).toMatchObject({
      status: 401,
      body: { message: 'The access token was revoked: its session has ended' },
    });
  });
});
