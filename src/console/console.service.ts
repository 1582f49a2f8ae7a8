import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config';

/**
 * The console's Content-Security-Policy: its own script and stylesheet only (no inline script, no
 * inline style), images from itself or data: URLs (the TOTP QR code), requests to this origin only,
 * never framed. Stricter than the API's (helmet's default allows inline styles for Swagger UI).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * dist/console, built by `npm run build` (console/build.js). Compiled, this file is dist/src/console/;
 * run from the sources (tests, ts-node) it is src/console/ (where ../../console holds the sources).
 */
export function consoleRoot(): string {
  const besideBuild = join(__dirname, '..', '..', 'console');
  return existsSync(join(besideBuild, 'app.js')) ? besideBuild : join(__dirname, '..', '..', 'dist', 'console');
}

/**
 * Registers @fastify/static for the console under /console/ (and /console → /console/). The API's
 * security headers come from the global onRequest hook (app.setup.ts); this scope replaces the CSP
 * with the console's and keeps X-Frame-Options: DENY.
 */
@Injectable()
export class ConsoleService implements OnModuleInit {
  private readonly logger = new Logger('Console');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  onModuleInit(): void {
    // The command line (src/cli) starts the same modules without an HTTP server: nothing to serve.
    if (!this.config.console || !this.adapterHost.httpAdapter) return;
    const root = consoleRoot();
    if (!existsSync(join(root, 'index.html'))) {
      this.logger.warn(`The console is not built (${root} has no index.html): run npm run build`);
      return;
    }
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    void fastify.register(
      async (scope) => {
        scope.addHook('onRequest', (_request, reply, done) => {
          void reply.header('content-security-policy', CONSOLE_CSP).header('x-frame-options', 'DENY');
          done();
        });
        // /console → /console/ (relative URLs in index.html resolve under /console/).
        scope.route({
          method: ['GET', 'HEAD'],
          url: '',
          prefixTrailingSlash: 'no-slash',
          handler: (_request, reply) => reply.redirect('/console/', 301),
        });
        await scope.register(fastifyStatic, {
          root,
          prefix: '/',
          index: ['index.html'],
          wildcard: true,
          // index.html is revalidated each time, so a new build is picked up at once.
          cacheControl: true,
          maxAge: 0,
        });
      },
      { prefix: '/console' },
    );
  }
}
