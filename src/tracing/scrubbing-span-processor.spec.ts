import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ScrubbingSpanProcessor, scrubAttributes } from './scrubbing-span-processor';

describe(scrubAttributes.name, () => {
  it('drops query strings, headers and statement parameters, and strips the query from URLs', () => {
    expect(
      scrubAttributes({
        'url.path': '/authenticate/login',
        'url.query': 'validity_secs=60&code=secret',
        'url.full': 'https://idp.example.org/token?code=secret#frag',
        'http.target': '/authenticate/login?password=secret',
        'http.request.header.authorization': ['Bearer secret'],
        'http.response.header.set-cookie': ['refresh=secret'],
        'db.query.text': 'SELECT * FROM users WHERE id = $1',
        'db.query.parameter.0': 'secret',
        'db.postgresql.values': ['secret'],
      }),
    ).toEqual({
      'url.path': '/authenticate/login',
      'url.full': 'https://idp.example.org/token',
      'http.target': '/authenticate/login',
      'db.query.text': 'SELECT * FROM users WHERE id = $1',
    });
  });

  it('returns undefined (no copy) when nothing needs to change', () => {
    expect(scrubAttributes({ 'url.path': '/x', 'url.full': 'http://a/b', 'http.route': '/x' })).toBeUndefined();
  });
});

describe(ScrubbingSpanProcessor.name, () => {
  function processed(span: Record<string, unknown>): { out: ReadableSpan; span: Record<string, unknown> } {
    const ended: ReadableSpan[] = [];
    const next = { onStart: jest.fn(), onEnd: (view: ReadableSpan) => ended.push(view), forceFlush: jest.fn(), shutdown: jest.fn() };
    new ScrubbingSpanProcessor(next as unknown as SpanProcessor).onEnd(span as unknown as ReadableSpan);
    return { out: ended[0], span };
  }

  it('hands on a view of the span with the scrubbed attributes, the span itself untouched', () => {
    const { out, span } = processed({
      name: 'GET /x',
      attributes: { 'url.query': 'a=b', 'url.path': '/x' },
      events: [],
      status: { code: 0 },
      spanContext: () => ({ traceId: 't' }),
    });
    expect(out.attributes).toEqual({ 'url.path': '/x' });
    expect(out.name).toBe('GET /x');
    expect(out.spanContext()).toEqual({ traceId: 't' });
    expect(span.attributes).toEqual({ 'url.query': 'a=b', 'url.path': '/x' });
  });

  it("keeps an error's type and stack but not its message, which may quote input", () => {
    const exception = {
      'exception.type': 'error',
      'exception.message': 'invalid input syntax for type uuid: "secret"',
      'exception.stacktrace': 'at x',
    };
    const { out } = processed({
      name: 'pg.query:SELECT',
      attributes: { 'db.query.text': 'SELECT 1' },
      events: [
        { name: 'exception', attributes: exception, time: [0, 0] },
        { name: 'other', time: [0, 0] },
      ],
      status: { code: 2, message: 'invalid input syntax for type uuid: "secret"' },
    });
    expect(out.events).toEqual([
      { name: 'exception', attributes: { 'exception.type': 'error', 'exception.stacktrace': 'at x' }, time: [0, 0] },
      { name: 'other', time: [0, 0] },
    ]);
    expect(out.status).toEqual({ code: 2 });
    expect(out.attributes).toEqual({ 'db.query.text': 'SELECT 1' });
  });

  it('passes a span with nothing to scrub on as it is', () => {
    const span = { name: 'auth.guard', attributes: {}, events: [], status: { code: 0 } };
    expect(processed(span).out).toBe(span);
  });
});
