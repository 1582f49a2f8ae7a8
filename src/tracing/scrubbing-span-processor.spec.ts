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
  it('hands on a view of the span with the scrubbed attributes, the span itself untouched', () => {
    const ended: ReadableSpan[] = [];
    const next = { onStart: jest.fn(), onEnd: (span: ReadableSpan) => ended.push(span), forceFlush: jest.fn(), shutdown: jest.fn() };
    const span = { name: 'GET /x', attributes: { 'url.query': 'a=b', 'url.path': '/x' }, spanContext: () => ({ traceId: 't' }) };
    new ScrubbingSpanProcessor(next as unknown as SpanProcessor).onEnd(span as unknown as ReadableSpan);
    expect(ended[0].attributes).toEqual({ 'url.path': '/x' });
    expect(ended[0].name).toBe('GET /x');
    expect(ended[0].spanContext()).toEqual({ traceId: 't' });
    expect(span.attributes).toEqual({ 'url.query': 'a=b', 'url.path': '/x' });
  });
});
