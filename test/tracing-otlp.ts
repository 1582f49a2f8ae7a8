import { IncomingHttpHeaders, Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A small OTLP/HTTP trace receiver for test/tracing.e2e-spec.ts: accepts `POST /v1/traces` with an
 * `application/x-protobuf` ExportTraceServiceRequest, as a collector would, and decodes it.
 *
 * The decoder is written here from the OTLP protocol's message definitions
 * (opentelemetry/proto/collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
 * common/v1/common.proto, resource/v1/resource.proto — field numbers quoted below): the
 * OpenTelemetry JS packages of this line no longer ship a protobuf runtime or generated code
 * (@opentelemetry/otlp-transformer writes protobuf by hand and reads only responses), and an
 * independent decoder is the better witness of what went over the wire anyway.
 */

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, AttributeValue>;
  events: { name: string; attributes: Record<string, AttributeValue> }[];
  /** Status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: Record<string, AttributeValue>;
  scope: string;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Every request received, with its headers (to check OTEL_EXPORTER_OTLP_HEADERS arrived). */
  requests: { path: string; headers: IncomingHttpHeaders }[];
  /** Resolves with the spans once `ready(spans)` holds (polling), or rejects after `timeoutMs`. */
  waitFor(ready: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ path: request.url ?? '', headers: request.headers });
      if (request.method !== 'POST' || request.url !== '/v1/traces' || request.headers['content-type'] !== 'application/x-protobuf') {
        response.writeHead(415).end();
        return;
      }
      try {
        spans.push(...decodeExportTraceServiceRequest(Buffer.concat(chunks)));
      } catch (error) {
        response.writeHead(400).end(String(error));
        return;
      }
      // An empty ExportTraceServiceResponse: everything accepted.
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    async waitFor(ready, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!ready(spans)) {
        if (Date.now() > deadline) throw new Error(`the spans expected did not arrive; got: ${spans.map((span) => span.name).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return spans;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// --- protobuf wire format -------------------------------------------------------------------

interface Field {
  number: number;
  /** Wire type 0 (varint) as a bigint, 1 (fixed64) and 5 (fixed32) as raw bytes, 2 (length-delimited) as bytes. */
  value: bigint | Buffer;
}

function fields(buffer: Buffer): Field[] {
  const out: Field[] = [];
  let position = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (position >= buffer.length) throw new Error('truncated varint');
      const byte = buffer[position++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  const take = (length: number): Buffer => {
    if (position + length > buffer.length) throw new Error('truncated field');
    const bytes = buffer.subarray(position, position + length);
    position += length;
    return bytes;
  };
  while (position < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wireType = key & 7;
    if (wireType === 0) out.push({ number, value: varint() });
    else if (wireType === 1) out.push({ number, value: take(8) });
    else if (wireType === 2) out.push({ number, value: take(Number(varint())) });
    else if (wireType === 5) out.push({ number, value: take(4) });
    else throw new Error(`unexpected wire type ${wireType}`);
  }
  return out;
}

const bytesOf = (field: Field): Buffer => field.value as Buffer;
const stringOf = (field: Field): string => bytesOf(field).toString('utf8');
const numberOf = (field: Field): number => Number(field.value as bigint);

/** opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; } */
export function decodeExportTraceServiceRequest(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of fields(body).filter((field) => field.number === 1)) {
    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
    const parts = fields(bytesOf(resourceSpans));
    const resourceField = parts.find((field) => field.number === 1);
    // Resource { repeated KeyValue attributes = 1; }
    const resource = resourceField ? keyValues(fields(bytesOf(resourceField)).filter((field) => field.number === 1)) : {};
    for (const scopeSpans of parts.filter((field) => field.number === 2)) {
      // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }; InstrumentationScope { string name = 1; }
      const scopeParts = fields(bytesOf(scopeSpans));
      const scopeField = scopeParts.find((field) => field.number === 1);
      const scopeName = scopeField ? fields(bytesOf(scopeField)).find((field) => field.number === 1) : undefined;
      const scope = scopeName ? stringOf(scopeName) : '';
      for (const span of scopeParts.filter((field) => field.number === 2)) spans.push({ ...decodeSpan(bytesOf(span)), resource, scope });
    }
  }
  return spans;
}

/**
 * Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; SpanKind kind = 6;
 * repeated KeyValue attributes = 9; repeated Event events = 11; Status status = 15; }
 */
function decodeSpan(buffer: Buffer): Omit<ReceivedSpan, 'resource' | 'scope'> {
  const span: Omit<ReceivedSpan, 'resource' | 'scope'> = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    attributes: {},
    events: [],
    status: { code: 0, message: '' },
  };
  const attributes: Field[] = [];
  for (const field of fields(buffer)) {
    if (field.number === 1) span.traceId = bytesOf(field).toString('hex');
    else if (field.number === 2) span.spanId = bytesOf(field).toString('hex');
    else if (field.number === 4) span.parentSpanId = bytesOf(field).toString('hex');
    else if (field.number === 5) span.name = stringOf(field);
    else if (field.number === 6) span.kind = numberOf(field);
    else if (field.number === 9) attributes.push(field);
    else if (field.number === 11) {
      // Event { string name = 2; repeated KeyValue attributes = 3; }
      const parts = fields(bytesOf(field));
      const name = parts.find((part) => part.number === 2);
      span.events.push({ name: name ? stringOf(name) : '', attributes: keyValues(parts.filter((part) => part.number === 3)) });
    } else if (field.number === 15) {
      // Status { string message = 2; StatusCode code = 3; }
      for (const part of fields(bytesOf(field))) {
        if (part.number === 2) span.status.message = stringOf(part);
        if (part.number === 3) span.status.code = numberOf(part);
      }
    }
  }
  span.attributes = keyValues(attributes);
  return span;
}

/** KeyValue { string key = 1; AnyValue value = 2; } */
function keyValues(list: Field[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const entry of list) {
    let key = '';
    let value: AttributeValue = null;
    for (const part of fields(bytesOf(entry))) {
      if (part.number === 1) key = stringOf(part);
      if (part.number === 2) value = anyValue(bytesOf(part));
    }
    out[key] = value;
  }
  return out;
}

/**
 * AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
 * double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
 */
function anyValue(buffer: Buffer): AttributeValue {
  const [field] = fields(buffer);
  if (!field) return null;
  switch (field.number) {
    case 1:
      return stringOf(field);
    case 2:
      return (field.value as bigint) !== 0n;
    case 3:
      return Number(BigInt.asIntN(64, field.value as bigint));
    case 4:
      return bytesOf(field).readDoubleLE(0);
    case 5: // ArrayValue { repeated AnyValue values = 1; }
      return fields(bytesOf(field))
        .filter((part) => part.number === 1)
        .map((part) => anyValue(bytesOf(part)));
    case 6: // KeyValueList { repeated KeyValue values = 1; }
      return keyValues(fields(bytesOf(field)).filter((part) => part.number === 1));
    case 7:
      return bytesOf(field).toString('base64');
    default:
      throw new Error(`unknown AnyValue field ${field.number}`);
  }
}
