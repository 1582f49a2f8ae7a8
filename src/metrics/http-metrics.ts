import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Histogram } from 'prom-client';
import { methodLabel, routeLabel } from './metric-labels';
import { MetricsService } from './metrics.service';

type Observer = Histogram.Internal<'route' | 'method' | 'status'>;

/**
 * Feeds `gatehouse_http_request_duration_seconds` from one Fastify `onResponse` hook on the public
 * listener: every request, including those a guard refused and those no route matched (one
 * `unmatched` route, whatever the URL). The histogram child of each (route, method, status) is made
 * on its first request and kept, so a request costs a Map lookup and one observation.
 */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  private readonly observers = new Map<string, Observer>();

  constructor(
    private readonly metrics: MetricsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    if (!this.metrics.enabled) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      this.record(request, reply);
      done();
    });
  }

  private record(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url;
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let observer = this.observers.get(key);
    if (!observer) {
      observer = this.metrics.httpDuration.labels(routeLabel(route), methodLabel(request.method), String(reply.statusCode));
      this.observers.set(key, observer);
    }
    observer.observe(reply.elapsedTime / 1000);
  }
}
