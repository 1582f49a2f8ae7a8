import { SpanKind, SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import { RPCType, getRPCMetadata } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { TracingConfig } from '../config/tracing.config';
import { ScrubbingSpanProcessor } from './scrubbing-span-processor';
import { SpanAttributes, SpanOptions, Tracing, setActiveTracing } from './tracing';

/**
 * Paths not traced: load balancers' health probes and Prometheus' scrapes (of the metrics listener)
 * arrive every few seconds from every checker and would drown the traces of real requests.
 */
const UNTRACED_PATHS = /^\/(health(\/|$|\?)|metrics($|\?))/;

/**
 * The OpenTelemetry SDK, loaded only when tracing is on (start.ts). Spans go through a
 * BatchSpanProcessor (OTEL_BSP_* tune it) to the OTLP/HTTP protobuf exporter, which reads the
 * endpoint, headers, timeout and compression from the standard variables itself; the sampler comes
 * from OTEL_TRACES_SAMPLER / _ARG (default parentbased_always_on, so a caller's sampling decision
 * in `traceparent` is followed).
 */
export function startTracing(config: TracingConfig): void {
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': config.serviceName }))
    // OTEL_RESOURCE_ATTRIBUTES (deployment.environment, service.instance.id, …).
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new ScrubbingSpanProcessor(new BatchSpanProcessor(new OTLPTraceExporter()))],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // No header becomes an attribute (the default, stated so it stays so): Authorization, Cookie,
        // X-JWT-Assertion and Set-Cookie carry credentials. Query strings are dropped by the scrubber.
        headersToSpanAttributes: {
          server: { requestHeaders: [], responseHeaders: [] },
          client: { requestHeaders: [], responseHeaders: [] },
        },
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.test(request.url ?? ''),
        // Outgoing calls (OpenID Connect providers, JWKS) are traced within a request only.
        requireParentforOutgoingSpans: true,
      }),
      // The statement text only: its parameters (enhancedDatabaseReporting) are never recorded.
      // Background work (revocation polling, LISTEN) is not traced: only queries of a traced request.
      new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
      // The command name only, never its arguments (keys name users and addresses; values are counters and ids).
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
  const tracer = provider.getTracer('gatehouse');

  function span<T>(name: string, attributes: SpanAttributes, work: () => T, options: SpanOptions = {}): T {
    const parent = context.active();
    if (options.requireParent && !trace.getSpan(parent)) return work();
    const current = tracer.startSpan(name, { kind: options.client ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes }, parent);
    let result: T;
    try {
      result = context.with(trace.setSpan(parent, current), work);
    } catch (error) {
      end(current, error);
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => {
          current.end();
          return value;
        },
        (error: unknown) => {
          end(current, error);
          throw error;
        },
      ) as T;
    }
    current.end();
    return result;
  }

  function instrumentFastify(fastify: FastifyInstance): void {
    // The route template (`/api/v1/users/:id`, never the raw URL with its ids) names the HTTP span:
    // the HTTP instrumentation reads it from the request's RPC metadata when the response ends.
    fastify.addHook('onRequest', (request, _reply, done) => {
      const metadata = getRPCMetadata(context.active());
      if (metadata?.type === RPCType.HTTP) {
        const route = request.routeOptions.url;
        if (route !== undefined) metadata.route = route;
        // The id the client sees in X-Request-Id and the audit log stores: one search finds the trace.
        metadata.span.setAttribute('gatehouse.request_id', request.id);
      }
      done();
    });
    // Spans still batched are sent before the process exits (SIGTERM → app.close() → here).
    fastify.addHook('onClose', () => provider.shutdown());
  }

  function logFields(): Record<string, string> {
    const active = trace.getSpan(context.active())?.spanContext();
    return active ? { trace_id: active.traceId, span_id: active.spanId } : {};
  }

  setActiveTracing({ span, instrumentFastify, logFields });
}

function end(span: Span, error: unknown): void {
  const type = error instanceof Error ? error.constructor.name : typeof error;
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
