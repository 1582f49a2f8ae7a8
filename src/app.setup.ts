import { randomUUID } from 'node:crypto';
import type { Logger as Pino } from 'pino';
import { SECURITY_HEADERS, hardenHttpSurface, hardenNodeServer, onClientError, onFrameworkError, requireHost } from './common/http-surface';
import { PinoNestLogger, flushLogger, logRequests } from './common/logging';
import { runWithRequestContext } from './common/request-context';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from './config/app.config';
import { FORM_ENCODED_ROUTES } from './auth/form-encoded-routes';
import { ErrorBodySchema } from './common/openapi/error-body.schema';
import {
  BEARER_SCHEME,
  PAT_SCHEME,
  completeDocument,
  describeRoutes,
  documentServers,
  operationId,
} from './common/openapi/openapi-document';
import { activeTracing } from './tracing/tracing';

/** Fastify options shared by main.ts and the e2e app factory. `logger` gets one line per request. */
export function createHttpAdapter(config: AppConfig, logger: Pino): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimit,
    // Request ids come from the server, never from a client header.
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    trustProxy: config.trustProxy,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // Errors of the router and of Node's HTTP parser answer in the one error body too.
    frameworkErrors: onFrameworkError,
    clientErrorHandler: onClientError,
    // A missing Host reaches the framework, which answers it in the one error body (requireHost).
    http: { requireHostHeader: false },
  });
  const fastify = adapter.getInstance();
  // First, so the HTTP span gets its route and request id even when a later hook refuses the request.
  activeTracing()?.instrumentFastify(fastify);
  // Bodies are JSON (text/plain → 415), nested at most MAX_JSON_DEPTH deep; forms only on the OAuth endpoints.
  hardenHttpSurface(fastify, FORM_ENCODED_ROUTES);
  hardenNodeServer(fastify.server);
  logRequests(fastify, logger);
  fastify.addHook('onClose', (_instance, done) => {
    flushLogger(logger);
    done();
  });
  // Who is calling, for the audit log and the logs; the id is echoed so a client can quote it.
  // Client IPs come from the socket unless TRUST_PROXY names the proxies in front of us.
  fastify.addHook('onRequest', (request, reply, done) => {
    (request.raw as { id?: string }).id = request.id;
    void reply.headers(SECURITY_HEADERS).header('X-Request-Id', request.id);
    const missingHost = requireHost(request);
    if (missingHost) return done(missingHost);
    const userAgent = request.headers['user-agent'];
    runWithRequestContext(
      { requestId: request.id, ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : undefined },
      done,
    );
  });
  return adapter;
}

/**
 * Options for NestFactory.create / createNestApplication: Nest's own log lines go to `logger` too.
 * Nest's own body parsers (form-urlencoded) stay off: Fastify's JSON parser is the only one, so
 * every other content type is a 415.
 */
export function appOptions(logger: Pino) {
  return { bodyParser: false, logger: new PinoNestLogger(logger) } as const;
}

/** What every app instance needs beyond the module graph: CORS, Swagger UI, shutdown hooks. */
export async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  app.enableShutdownHooks();
  if (config.corsOrigins.length > 0) {
    // Only listed origins, with credentials (the refresh cookie); the browser may read the challenge.
    app.enableCors({
      origin: config.corsOrigins,
      credentials: true,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Requested-With'],
      exposedHeaders: ['WWW-Authenticate', 'Retry-After'],
      maxAge: 600,
    });
  }
  const generated = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Gatehouse')
      .setDescription(
        'Authentication backend. Log in at POST /authenticate/login with "Authorize" → basic, ' +
          'copy token.access_token into "Authorize" → bearer, then try the protected routes.',
      )
      .setVersion('0.1.0')
      .setLicense('MIT', 'https://opensource.org/licenses/MIT')
      .addBasicAuth(
        {
          type: 'http',
          scheme: 'basic',
          description:
            'Username and password (POST /authenticate/login; introspection by a service account), or a service client’s ' +
            'client_id and secret (POST /oauth/token, introspection)',
        },
        'basic',
      )
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The access_token from login or refresh (or a service client’s, from POST /oauth/token)',
        },
        BEARER_SCHEME,
      )
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'gth_…',
          description: 'A personal access token (POST /api/v1/users/me/tokens): acts as its user within its scopes',
        },
        PAT_SCHEME,
      )
      .build(),
    { operationIdFactory: operationId, extraModels: [ErrorBodySchema] },
  );
  // Security, 4xx responses and the error schema from what the guards read (docs/api.md).
  const document = completeDocument(generated, describeRoutes(app), documentServers(config.federation.publicUrl, config.jwt.issuer));
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    // persistAuthorization off: Swagger UI would keep the Basic credentials (the password) in localStorage.
    swaggerOptions: { persistAuthorization: false, responseInterceptor: authorizeFromTokenResponse },
  });
}

interface SwaggerResponse {
  url: string;
  status: number;
  body?: { token?: { access_token?: unknown }; access_token?: unknown };
}

/**
 * Runs in the browser, inside Swagger UI (serialised with toString): after a successful login or
 * refresh, the new access token is put into "Authorize → bearer" so the developer can try the
 * protected routes at once.
 */
function authorizeFromTokenResponse(response: SwaggerResponse): SwaggerResponse {
  if (response.status === 200 && /\/authenticate\/(login|refresh)(\?|$)/.test(response.url)) {
    const token = response.body?.token?.access_token ?? response.body?.access_token;
    const ui = (globalThis as { ui?: { preauthorizeApiKey(name: string, value: string): void } }).ui;
    if (typeof token === 'string' && ui) ui.preauthorizeApiKey('bearer', token);
  }
  return response;
}
