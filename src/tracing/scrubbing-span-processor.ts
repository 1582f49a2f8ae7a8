import type { Attributes, Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * Attributes that never leave the process, whatever an instrumentation records: query strings (a
 * client may put anything there), request and response headers (Authorization, Cookie,
 * X-JWT-Assertion, Set-Cookie) and statement parameters (passwords' hashes, token hashes, e-mail
 * addresses). The instrumentations are configured not to record them in the first place (sdk.ts);
 * this is the one place that guarantees it, for every span.
 */
const DROPPED =
  /^(url\.query$|http\.(request|response)\.header\.|db\.query\.parameter\.|db\.postgresql\.values$|db\.statement\.parameters$)/;

/** URL attributes kept without their query string and fragment (userinfo is already replaced by the HTTP instrumentation). */
const URLS = new Set(['url.full', 'http.url', 'http.target']);

/** The attributes as they may be exported, or undefined when nothing needs to change (the common case: no copy). */
export function scrubAttributes(attributes: Attributes): Attributes | undefined {
  let scrubbed: Attributes | undefined;
  for (const [key, value] of Object.entries(attributes)) {
    const drop = DROPPED.test(key);
    const url = !drop && URLS.has(key) && typeof value === 'string' ? stripQuery(value) : value;
    if (drop || url !== value) {
      scrubbed ??= { ...attributes };
      if (drop) delete scrubbed[key];
      else scrubbed[key] = url;
    }
  }
  return scrubbed;
}

function stripQuery(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * Error messages may quote input (PostgreSQL's "invalid input syntax for type uuid: …" quotes the
 * value it could not parse): exception events keep their type and stack but lose their message, and
 * a span's status keeps its code but loses its message.
 */
function scrubEvents(events: ReadableSpan['events']): ReadableSpan['events'] | undefined {
  if (!events.some((event) => event.attributes?.['exception.message'] !== undefined)) return undefined;
  return events.map((event) => {
    if (event.attributes?.['exception.message'] === undefined) return event;
    const { 'exception.message': _message, ...attributes } = event.attributes;
    return { ...event, attributes };
  });
}

/** Hands every ended span on to `next` (the batch exporter) with its attributes, events and status scrubbed. */
export class ScrubbingSpanProcessor implements SpanProcessor {
  constructor(private readonly next: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const overrides: PropertyDescriptorMap = {};
    const attributes = scrubAttributes(span.attributes);
    if (attributes) overrides.attributes = { value: attributes, enumerable: true };
    const events = scrubEvents(span.events);
    if (events) overrides.events = { value: events, enumerable: true };
    if (span.status.message) overrides.status = { value: { code: span.status.code }, enumerable: true };
    // A view of the ended span with other values where needed; the span itself is not touched.
    this.next.onEnd(Object.keys(overrides).length > 0 ? (Object.create(span, overrides) as ReadableSpan) : span);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
