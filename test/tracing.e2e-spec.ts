import { join } from 'node:path';
import { basic } from './support/auth-helpers';
import { startGatehouseProcess } from './support/server-process';
import { ADMIN } from './support/test-app';
import { describeE2E, describeOnce, testDbKind } from './support/test-database';
import { AttributeValue, OtlpReceiver, ReceivedSpan, startOtlpReceiver } from './tracing-otlp';

/**
 * OpenTelemetry tracing (docs/operations.md#tracing), against a real OTLP/HTTP endpoint: a receiver
 * in this process decodes the protobuf a Gatehouse process exports. On PostgreSQL with Redis
 * (REDIS_URL) as well as on SQLite.
 */

const PROBE = join(__dirname, 'tracing-load-probe.js');
const PROBE_LINE = '[opentelemetry module loaded]';
const inCI = /^(true|1)$/i.test(process.env.CI ?? '');
const redisUrl = testDbKind() === 'postgres' ? process.env.REDIS_URL : undefined;

type Server = Awaited<ReturnType<typeof startGatehouseProcess>>;

interface Exchange {
  requestId: string;
  status: number;
  body: Record<string, unknown>;
}

async function request(server: Server, method: string, path: string, authorization: string): Promise<Exchange> {
  const response = await fetch(`${server.url}${path}`, { method, headers: { authorization } });
  return {
    requestId: response.headers.get('x-request-id') ?? '',
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** Every string anywhere in a span (attribute values, event attributes, status message, resource). */
function stringsOf(span: ReceivedSpan): string[] {
  const out: string[] = [span.name, span.status.message];
  const walk = (value: AttributeValue) => {
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.entries(value).forEach(([key, inner]) => (out.push(key), walk(inner)));
  };
  for (const attributes of [span.attributes, span.resource, ...span.events.map((event) => event.attributes)]) {
    for (const [key, value] of Object.entries(attributes)) {
      out.push(key);
      walk(value);
    }
  }
  return out;
}

/** The HTTP server span of the request the client saw as `requestId`. */
const serverSpanOf = (spans: ReceivedSpan[], requestId: string) =>
  spans.find((span) => span.kind === 2 && span.attributes['gatehouse.request_id'] === requestId);

/** The spans under `root` (its descendants, following parent ids). */
function descendantsOf(spans: ReceivedSpan[], root: ReceivedSpan): ReceivedSpan[] {
  const inTrace = spans.filter((span) => span.traceId === root.traceId);
  const ids = new Set([root.spanId]);
  const out: ReceivedSpan[] = [];
  for (let grew = true; grew;) {
    grew = false;
    for (const span of inTrace) {
      if (!ids.has(span.spanId) && ids.has(span.parentSpanId)) {
        ids.add(span.spanId);
        out.push(span);
        grew = true;
      }
    }
  }
  return out;
}

describeE2E('OpenTelemetry tracing to an OTLP/HTTP endpoint', () => {
  let receiver: OtlpReceiver;
  let server: Server;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    server = await startGatehouseProcess({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=test-collector-key',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--require ${PROBE}`,
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    });
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  if (testDbKind() === 'postgres' && !redisUrl && inCI) {
    it('has Redis (REDIS_URL) to trace', () => {
      throw new Error('Redis (REDIS_URL) is required in CI (CI=true) for the Redis spans');
    });
  }

  it('exports the spans of a login and a bearer request: HTTP by route, guard, argon2, database, Redis — and no secret', async () => {
    const login = await request(server, 'POST', '/authenticate/login?validity_secs=120', basic(ADMIN.username, ADMIN.password));
    expect(login.status).toBe(200);
    const { access_token: accessToken, refresh_token: refreshToken } = login.body.token as Record<string, string>;
    const me = await request(server, 'GET', '/authenticate/me', `Bearer ${accessToken}`);
    expect(me.status).toBe(200);
    const refused = await request(server, 'GET', '/api/v1/users', 'Bearer not-a-token');
    expect(refused.status).toBe(401);
    const unknown = await request(server, 'GET', '/no-such-route/4f1c2b', `Bearer ${accessToken}`);
    expect(unknown.status).toBe(404);

    const spans = await receiver.waitFor((received) =>
      [login, me, refused, unknown].every((exchange) => serverSpanOf(received, exchange.requestId) !== undefined),
    );

    // HTTP server spans: named by method and route template, with the request id the client saw.
    const loginSpan = serverSpanOf(spans, login.requestId)!;
    expect(loginSpan.name).toBe('POST /authenticate/login');
    expect(loginSpan.attributes['http.route']).toBe('/authenticate/login');
    expect(loginSpan.attributes['http.response.status_code']).toBe(200);
    expect(loginSpan.attributes['url.path']).toBe('/authenticate/login');
    const meSpan = serverSpanOf(spans, me.requestId)!;
    expect(meSpan.name).toBe('GET /authenticate/me');
    expect(meSpan.attributes['http.route']).toBe('/authenticate/me');
    expect(serverSpanOf(spans, refused.requestId)!.name).toBe('GET /api/v1/users');
    // No route, no template: the method alone (a raw URL would make every unknown path a span name of its own).
    expect(serverSpanOf(spans, unknown.requestId)).toMatchObject({ name: 'GET', attributes: { 'http.response.status_code': 404 } });
    expect(serverSpanOf(spans, unknown.requestId)!.attributes['http.route']).toBeUndefined();
    expect(loginSpan.resource['service.name']).toBe('gatehouse');

    // The password check in the login's trace; the guard's span in the bearer request's (and in the refused one's, as an error).
    const underLogin = descendantsOf(spans, loginSpan);
    expect(underLogin.filter((span) => span.name === 'argon2.verify')).toHaveLength(1);
    const guard = descendantsOf(spans, meSpan).find((span) => span.name === 'auth.guard');
    expect(guard).toMatchObject({ kind: 1, status: { code: 0 } });
    const refusedGuard = descendantsOf(spans, serverSpanOf(spans, refused.requestId)!).find((span) => span.name === 'auth.guard');
    expect(refusedGuard?.status.code).toBe(2);
    expect(refusedGuard?.attributes['error.type']).toEqual(expect.any(String));

    // Database queries of the login, with the statement and never its parameters.
    const system = testDbKind() === 'postgres' ? 'postgresql' : 'sqlite';
    // (On PostgreSQL connecting and the pool's checkouts are spans too, without a statement.)
    const prefix = system === 'sqlite' ? 'sqlite.query:' : 'pg.query:';
    const queries = underLogin.filter((span) => span.attributes['db.system.name'] === system && span.name.startsWith(prefix));
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      expect(query.kind).toBe(3);
      expect(query.attributes['db.query.text']).toEqual(
        expect.stringMatching(/^\s*(SELECT|INSERT|UPDATE|DELETE|BEGIN|COMMIT|START|SAVEPOINT|RELEASE|WITH)/i),
      );
    }
    expect(queries.some((query) => /INSERT INTO "?sessions"?/i.test(String(query.attributes['db.query.text'])))).toBe(true);

    // Redis (the login throttle), the command name only.
    if (redisUrl) {
      const redis = underLogin.filter((span) => span.attributes['db.system.name'] === 'redis');
      expect(redis.length).toBeGreaterThan(0);
      for (const command of redis) expect(command.attributes['db.query.text']).toBe(command.name);
    }

    // No secret anywhere: not the password, the tokens, the Authorization headers, the query string.
    const secrets = [
      ADMIN.password,
      accessToken,
      refreshToken,
      accessToken.split('.')[2],
      basic(ADMIN.username, ADMIN.password).slice('Basic '.length),
      'Bearer',
      'not-a-token',
      'validity_secs',
    ];
    const everything = spans.flatMap(stringsOf);
    for (const secret of secrets) expect(everything.filter((value) => value.includes(secret))).toEqual([]);
    expect(everything.filter((value) => /header|cookie|authorization|url\.query/i.test(value))).toEqual([]);

    // The standard exporter variables are the SDK's: the header configured reached the collector.
    expect(receiver.requests.every((received) => received.headers['x-collector-key'] === 'test-collector-key')).toBe(true);
    // The probe sees the OpenTelemetry packages this process loaded (the check below relies on it).
    expect(server.output()).toContain(`${PROBE_LINE} @opentelemetry/sdk-trace-node`);
  });

  it("puts the request's trace id into its log line", async () => {
    const me = await request(server, 'POST', '/authenticate/login', basic(ADMIN.username, ADMIN.password));
    const spans = await receiver.waitFor((received) => serverSpanOf(received, me.requestId) !== undefined);
    const span = serverSpanOf(spans, me.requestId)!;
    const deadline = Date.now() + 5000;
    let line: Record<string, unknown> | undefined;
    while (!line && Date.now() < deadline) {
      // Request lines are written in batches, flushed at least every second.
      await new Promise((resolve) => setTimeout(resolve, 200));
      line = server
        .output()
        .split('\n')
        .filter((text) => text.startsWith('{'))
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((entry) => (entry.req as { id?: string } | undefined)?.id === me.requestId);
    }
    expect(line).toMatchObject({ msg: 'request completed', trace_id: span.traceId, span_id: span.spanId });
  });
});

describeOnce('OpenTelemetry tracing: off unless configured, flushed at shutdown', () => {
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver?.close());

  it('loads no OpenTelemetry module and exports nothing without OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    // Other OpenTelemetry variables (meant for other programs, or a half-done configuration) change nothing.
    const server = await startGatehouseProcess({
      OTEL_SERVICE_NAME: 'gatehouse-untraced',
      OTEL_TRACES_SAMPLER: 'always_on',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=unused',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      NODE_OPTIONS: `--require ${PROBE}`,
    });
    try {
      const login = await request(server, 'POST', '/authenticate/login', basic(ADMIN.username, ADMIN.password));
      const { access_token: accessToken } = login.body.token as Record<string, string>;
      expect((await request(server, 'GET', '/authenticate/me', `Bearer ${accessToken}`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Only the API package may be there: prom-client requires it at load (for exemplars), and
      // without an SDK it records nothing. No SDK, exporter or instrumentation (nothing patched).
      const loaded = server
        .output()
        .split('\n')
        .filter((line) => line.startsWith(PROBE_LINE))
        .map((line) => line.slice(PROBE_LINE.length).trim());
      expect(loaded.filter((module) => module !== '@opentelemetry/api')).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('sends the spans still batched when the process is stopped (SIGTERM)', async () => {
    // A batch delay longer than the test: only the flush at shutdown can deliver the login's spans.
    const server = await startGatehouseProcess({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    let login: Exchange | undefined;
    try {
      login = await request(server, 'POST', '/authenticate/login', basic(ADMIN.username, ADMIN.password));
      expect(login.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.spans).toEqual([]);
    } finally {
      await server.stop();
    }
    expect(serverSpanOf(receiver.spans, login!.requestId)?.name).toBe('POST /authenticate/login');
    expect(receiver.spans.some((span) => span.name === 'argon2.verify')).toBe(true);
  }, 90_000);
});
