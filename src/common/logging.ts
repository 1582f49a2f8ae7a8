import type { Params } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where secrets could appear in a log line; they are replaced, never written. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-jwt-assertion"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.refresh_token',
  '*.access_token',
];

/**
 * Structured JSON logs (pino): one line per request with its id (also sent as X-Request-Id and
 * stored with audit events), method, path, status and time; tokens, cookies and passwords redacted.
 */
export function loggerParams(logLevel: string): Params {
  return {
    pinoHttp: {
      level: logLevel,
      genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? randomUUID(),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // The query string is left out: it is no place for secrets, but if a client put one there anyway…
      serializers: {
        req: (req: { id?: string; method?: string; url?: string; remoteAddress?: string; headers?: Record<string, unknown> }) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
          remoteAddress: req.remoteAddress,
          userAgent: req.headers?.['user-agent'],
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
        error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    },
  };
}
