import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestApp, createTestApp } from './support/test-app';
import { adminToken } from './support/auth-helpers';
import { describeOnce } from './support/test-database';
import { TOKEN_REASON } from '../src/common/openapi/openapi-document';

const ROOT = join(__dirname, '..');
const REDOCLY = join(ROOT, 'node_modules', '.bin', 'redocly');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

interface Operation {
  operationId: string;
  security?: Record<string, string[]>[];
  requestBody?: unknown;
  parameters?: { in: string; name: string }[];
  responses: Record<string, { description?: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
}
interface Document {
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, { type?: string }> }> };
}
interface Problem {
  ruleId: string;
  severity: string;
  message: string;
  location: { pointer?: string }[];
}

function operations(document: Document): { method: string; path: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ method, path, operation: item[method] })),
  );
}

/** Runs the Redocly CLI from node_modules on the document, with the repository's redocly.yaml. */
function redoclyLint(document: Document): { totals: { errors: number; warnings: number }; problems: Problem[] } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const run = spawnSync(REDOCLY, ['lint', '--format=json', `--config=${join(ROOT, 'redocly.yaml')}`, file], {
      cwd: ROOT,
      encoding: 'utf8',
      // No telemetry or update check: the lint runs offline.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      timeout: 120_000,
    });
    if (run.error) throw new Error(`could not run ${REDOCLY}: ${run.error.message}`);
    try {
      return JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: Problem[] };
    } catch {
      throw new Error(`redocly lint printed no JSON report (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A request to the operation with its path parameters filled in (UUIDs no row has) and no body. */
function requestTo(t: TestApp, method: string, path: string) {
  const url = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
  return t.http()[method as 'get'](url);
}

describeOnce('The OpenAPI document at /docs-json', () => {
  let t: TestApp;
  let document: Document;
  /** "METHOD /path" of the operations the global bearer guard refuses without a token, found by calling each one. */
  const guarded = new Set<string>();

  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.http().get('/docs-json');
    expect(res.status).toBe(200);
    document = res.body as Document;
    for (const { method, path } of operations(document)) {
      const answer = await requestTo(t, method, path);
      if (answer.status === 401 && /^Missing bearer token/.test(String(answer.body?.message)))
        guarded.add(`${method.toUpperCase()} ${path}`);
    }
  }, 60_000);
  afterAll(() => t?.close());

  it('passes Redocly’s recommended ruleset (redocly.yaml) with no errors and no warnings', () => {
    const report = redoclyLint(document);
    const shown = report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`);
    expect(shown).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 120_000);

  it('names the server: "/" when neither PUBLIC_URL nor a URL issuer is configured', () => {
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('gives every operation a unique, URL-safe operationId', () => {
    const ids = operations(document).map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
  });

  it('documents a success response on every operation, and the ErrorBody schema on every 4xx and 5xx', () => {
    const schema = document.components.schemas.ErrorBody;
    expect(schema.required).toEqual(expect.arrayContaining(['timestamp', 'status', 'error', 'code', 'message', 'path']));
    expect(schema.properties).toMatchObject({
      timestamp: { type: 'string' },
      status: { type: 'integer' },
      error: { type: 'string' },
      message: { type: 'string' },
      path: { type: 'string' },
      code: { type: 'string' },
    });
    for (const { method, path, operation } of operations(document)) {
      const success = Object.keys(operation.responses).filter((status) => /^[23]/.test(status));
      expect({ operation: `${method} ${path}`, success: success.length > 0 }).toEqual({ operation: `${method} ${path}`, success: true });
      for (const [status, response] of Object.entries(operation.responses).filter(([s]) => /^[45]/.test(s))) {
        expect({ at: `${method} ${path} ${status}`, schema: response.content?.['application/json']?.schema }).toEqual({
          at: `${method} ${path} ${status}`,
          schema: expect.objectContaining({ $ref: '#/components/schemas/ErrorBody' }),
        });
      }
    }
  });

  it('matches what the server answers: real error bodies have the ErrorBody fields', async () => {
    const schema = document.components.schemas.ErrorBody;
    const token = await adminToken(t);
    const errors = [
      await t.http().get('/api/v1/users'),
      await t.http().get('/api/v1/users/00000000-0000-4000-8000-000000000000').auth(token, { type: 'bearer' }),
      await t.http().post('/api/v1/users').auth(token, { type: 'bearer' }).send({ username: '' }),
    ];
    expect(errors.map((res) => res.status)).toEqual([401, 404, 400]);
    for (const res of errors) {
      for (const name of schema.required ?? []) expect(res.body).toHaveProperty([name]);
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        if (res.body[name] === undefined) continue;
        expect({ name, type: typeof res.body[name] }).toEqual({ name, type: property.type === 'integer' ? 'number' : property.type });
      }
    }
  });

  it('marks exactly the routes the bearer guard refuses as protected, each with its 401, and the others public', () => {
    for (const { method, path, operation } of operations(document)) {
      const at = `${method.toUpperCase()} ${path}`;
      const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
      if (guarded.has(at)) {
        expect({ at, schemes, has401: '401' in operation.responses }).toEqual({
          at,
          schemes: expect.arrayContaining(['bearer']),
          has401: true,
        });
      } else {
        // Public: [] when nothing is needed, else the credentials the route checks itself (Basic on login, …).
        const unauthorized = operation.responses['401']?.description ?? '';
        expect({ at, security: operation.security, guardsReason: unauthorized.includes(TOKEN_REASON) }).toEqual({
          at,
          security: expect.any(Array),
          guardsReason: false,
        });
      }
    }
    // The probe did find both kinds.
    expect(guarded.size).toBeGreaterThan(30);
    expect(operations(document).filter(({ operation }) => operation.security?.length === 0).length).toBeGreaterThan(10);
  });

  it('offers the personal-access-token scheme exactly where a personal access token is accepted', async () => {
    const token = await adminToken(t);
    const me = await t.http().get('/authenticate/me').auth(token, { type: 'bearer' });
    const created = await t
      .http()
      .post('/api/v1/users/me/tokens')
      .auth(token, { type: 'bearer' })
      .send({ name: 'openapi test', scopes: me.body.permissions as string[] });
    expect(created.status).toBe(201);
    const pat = created.body.token as string;
    let refusedSomewhere = false;
    for (const { method, path, operation } of operations(document)) {
      const at = `${method.toUpperCase()} ${path}`;
      const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
      if (!guarded.has(at)) {
        // A public route that checks credentials itself and names the scheme (introspection) accepts one.
        if (schemes.includes('personal-access-token')) {
          const res = await requestTo(t, method, path).auth(pat, { type: 'bearer' });
          expect({ at, status: res.status, accepted: ![401, 403].includes(res.status) }).toMatchObject({ at, accepted: true });
        }
        continue;
      }
      const res = await requestTo(t, method, path).auth(pat, { type: 'bearer' });
      const refused = res.status === 403 && /needs a login session/.test(String(res.body?.message));
      refusedSomewhere ||= refused;
      expect({ at, documented: schemes.includes('personal-access-token') }).toEqual({ at, documented: !refused });
    }
    expect(refusedSomewhere).toBe(true);
  }, 60_000);
});

// Its own app: two apps in one process would share passport's strategies.
describeOnce('The OpenAPI document with PUBLIC_URL set', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ PUBLIC_URL: 'https://auth.gatehouse.test/' });
  }, 60_000);
  afterAll(() => t?.close());

  it('names PUBLIC_URL as the first server, then "/", and still passes the lint', async () => {
    const document = (await t.http().get('/docs-json')).body as Document;
    expect(document.servers?.map((server) => server.url)).toEqual(['https://auth.gatehouse.test', '/']);
    expect(redoclyLint(document).totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 120_000);
});
