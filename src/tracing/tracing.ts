import type { FastifyInstance } from 'fastify';

/** Attribute values as OpenTelemetry takes them (declared here so this file loads no OpenTelemetry module). */
export type SpanAttributes = Record<string, string | number | boolean>;

export interface SpanOptions {
  /** A client span (a call to a database); internal otherwise. */
  client?: boolean;
  /** Only when there is a span to hang it under (a query of a traced request, not a background poll). */
  requireParent?: boolean;
}

/**
 * What the rest of Gatehouse may ask of tracing. Implemented by `sdk.ts`, which is loaded (with every
 * OpenTelemetry package) only when tracing is on; this file loads nothing, so with tracing off a
 * caller's whole cost is `activeTracing()` returning undefined.
 */
export interface Tracing {
  /**
   * Runs `work` in a new span, child of the active one, and ends the span when `work` returns or the
   * promise it returns settles (so a synchronous caller stays synchronous). An error sets the span's
   * status and `error.type`, never its message, which may quote input.
   */
  span<T>(name: string, attributes: SpanAttributes, work: () => T, options?: SpanOptions): T;
  /** Names the HTTP span by the route template and links the request id; flushes spans when the server closes. */
  instrumentFastify(fastify: FastifyInstance): void;
  /** `trace_id` and `span_id` of the active span, for log lines (empty outside a span). */
  logFields(): Record<string, string>;
}

let active: Tracing | undefined;

/** The tracing in force, or undefined when it is off (OTEL_EXPORTER_OTLP_ENDPOINT unset): callers then skip it. */
export function activeTracing(): Tracing | undefined {
  return active;
}

/** Called once by sdk.ts after the provider is registered. */
export function setActiveTracing(tracing: Tracing): void {
  active = tracing;
}

/**
 * `work` in a span when tracing is on and a request is being traced (start-up and background work
 * make no root spans); just `work()` otherwise. For paths where a closure costs nothing worth counting.
 */
export function traced<T>(name: string, work: () => T, attributes: SpanAttributes = {}): T {
  return active ? active.span(name, attributes, work, { requireParent: true }) : work();
}
