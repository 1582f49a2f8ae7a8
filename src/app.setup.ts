import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from './config/app.config';

/** Fastify options shared by main.ts and the e2e app factory. */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimit,
    // Client IPs come from the socket; X-Forwarded-For is not trusted unless configured.
    trustProxy: false,
    // Request ids come from the server, never from a client header.
    requestIdHeader: false,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
  });
  // Bodies are JSON only: without this, text/plain would reach the handlers as a string (→ 415 now).
  adapter.getInstance().removeContentTypeParser('text/plain');
  return adapter;
}

/**
 * Options for NestFactory.create / createNestApplication. Nest's own body parsers (form-urlencoded)
 * stay off: Fastify's JSON parser is the only one, so every other content type is a 415.
 */
export const appOptions = { bodyParser: false } as const;

/** What every app instance needs beyond the module graph: Swagger UI and shutdown hooks. */
export function configureApp(app: INestApplication): void {
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Gatehouse')
      .setDescription(
        'Authentication backend. Log in at POST /authenticate/login with "Authorize" → basic, ' +
          'copy token.access_token into "Authorize" → bearer, then try the protected routes.',
      )
      .setVersion('0.1.0')
      .addBasicAuth({ type: 'http', scheme: 'basic', description: 'Username and password, for /authenticate/login' }, 'basic')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access_token from login or refresh' }, 'bearer')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
