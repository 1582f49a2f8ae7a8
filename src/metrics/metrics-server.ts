import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { appConfig } from '../config/app.config';
import { MetricsService } from './metrics.service';

/**
 * The metrics listener: a plain node:http server on METRICS_HOST:METRICS_PORT that answers
 * `GET /metrics` in Prometheus' text format and nothing else. It is not the public Fastify server,
 * so no route, guard or proxy in front of Gatehouse can expose it by mistake; it starts with the
 * application and stops with it.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  /** Start-up fails when the port cannot be bound: an operator who asked for metrics gets them or an error. */
  async onApplicationBootstrap(): Promise<void> {
    const listen = this.config.metrics;
    if (!listen) return;
    const server = createServer((request, response) => void this.answer(request, response));
    const shown = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
    await new Promise<void>((resolve, reject) => {
      // One line naming the settings, not Node's error dump (EADDRINUSE, EADDRNOTAVAIL, ENOTFOUND).
      const refuse = (error: NodeJS.ErrnoException) =>
        reject(new Error(`The metrics listener cannot bind ${shown} (METRICS_HOST:METRICS_PORT): ${error.code ?? error.message}`));
      server.once('error', refuse);
      server.listen(listen.port, listen.host, () => {
        server.off('error', refuse);
        resolve();
      });
    });
    this.server = server;
    this.logger.log(`Metrics on http://${shown}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Prometheus keeps its connection open between scrapes: it must not hold the shutdown up.
      server.closeAllConnections();
    });
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') return plain(response, 404, 'Not found: metrics are at /metrics\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return plain(response, 405, 'Method not allowed\n');
    }
    try {
      const body = await this.metrics.registry.metrics();
      response.writeHead(200, { 'Content-Type': this.metrics.registry.contentType, 'Cache-Control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      // A collector failed: say so in the log, not in the body (which a scraper may show).
      this.logger.error(`Collecting metrics failed: ${(error as Error).message}`);
      plain(response, 500, 'Collecting metrics failed\n');
    }
  }
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(text);
}
