import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HistogramSeries } from './instruments';
import { methodLabel, routeLabel } from './metric-labels';
import { MetricsService } from './metrics.service';

/**
 * Feeds `gatehouse_http_request_duration_seconds` from one Fastify `onResponse` hook on the public
 * listener: every request, including those a guard refused and those no route matched (one
 * `unmatched` route, whatever the URL). The histogram series of each (route, method, status) is made
 * on its first request and kept, so a request costs a Map lookup and one observation.
 */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  /** route template → method → status → series. */
  private readonly series = new Map<string | undefined, Map<string, Map<number, HistogramSeries>>>();

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
    // Keyed by the labels (not the raw method), so the maps are as bounded as the series; nested
    // maps of strings the router and the method set already hold, so a request builds no key.
    const method = methodLabel(request.method);
    const status = reply.statusCode;
    let byMethod = this.series.get(route);
    if (!byMethod) this.series.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (!series) byStatus.set(status, (series = this.metrics.httpSeries(routeLabel(route), method, String(status))));
    series.observe(reply.elapsedTime / 1000);
  }
}
