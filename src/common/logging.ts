import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import pino, { Logger as Pino } from 'pino';
import pinoPretty from 'pino-pretty';

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
 * The process's one logger: pino, JSON lines on stdout, secrets redacted. Lines are written in
 * batches (a 4 KB buffer, flushed at least every second and at shutdown) rather than one write per
 * line: a request log line per request would otherwise be a system call per request. `sync` keeps
 * one write per line (tests that read the output line by line may want it). `mixin` adds fields to
 * every line (with tracing on: the active trace_id and span_id).
 */
export function createLogger(level: string, options: { sync?: boolean; pretty?: boolean; mixin?: () => object } = {}): Pino {
  if (options.pretty) return createPrettyLogger(level, options.mixin);
  const destination = pino.destination({ dest: 1, sync: options.sync ?? false, minLength: options.sync ? 0 : 4096 });
  const mixin = options.mixin;
  const logger = pino({ level, mixin, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
  // The request line is built from a fixed set of fields that never holds a secret (no headers but
  // the user agent, no query string, no body), so it skips redaction — which is most of what a
  // redacting logger costs per line.
  requestLoggers.set(logger, pino({ level, mixin }, destination));
  if (!options.sync) {
    const timer = setInterval(() => destination.flush(), 1000);
    timer.unref();
    process.once('exit', () => {
      clearInterval(timer);
      destination.flushSync();
    });
  }
  return logger;
}

/**
 * For a person at a terminal (LOG_FORMAT=pretty, or `auto` on a TTY): pino-pretty in this thread,
 * one colourised line per entry (`HH:MM:ss LEVEL [context] message`), the same redaction. Slower than
 * JSON lines (formatting per line): meant for development, not production.
 */
function createPrettyLogger(level: string, mixin?: () => object): Pino {
  const stream = pinoPretty({
    colorize: process.stdout.isTTY === true,
    sync: true,
    translateTime: 'SYS:HH:MM:ss',
    // A request is one line: "request completed POST /authenticate/login 401 95ms (id …)".
    ignore: 'pid,hostname,context,req,res,responseTime',
    messageFormat:
      '{if context}[{context}] {end}{msg}{if req.method} {req.method} {req.path} {res.statusCode} {responseTime}ms (id {req.id}){end}',
    hideObject: false,
  });
  const logger = pino({ level, mixin, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream);
  requestLoggers.set(logger, pino({ level, mixin }, stream));
  return logger;
}

/** The redaction-free logger for request lines, sharing each app logger's destination. */
const requestLoggers = new WeakMap<Pino, Pino>();

/** Flushes what the logger has buffered (at shutdown). */
export function flushLogger(logger: Pino): void {
  const stream = (logger as Pino & { [pino.symbols.streamSym]?: { flushSync?: () => void } })[pino.symbols.streamSym];
  try {
    stream?.flushSync?.();
  } catch {
    // nothing buffered, or the stream is closed
  }
}

/**
 * One JSON line per request, written when the response is sent (Fastify's onResponse hook — no
 * middleware layer, no child logger per request): its id (also sent as X-Request-Id and stored with
 * audit events), method, path (never the query string, which is no place for secrets, but…), client
 * address and user agent, status and time. 5xx at `error`, 4xx at `warn`, the rest at `info`;
 * nothing is built when that level is off.
 */
export function logRequests(fastify: FastifyInstance, appLogger: Pino): void {
  const logger = requestLoggers.get(appLogger) ?? appLogger;
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (logger.isLevelEnabled(level)) {
      const userAgent = request.headers['user-agent'];
      logger[level](
        {
          req: {
            id: request.id,
            method: request.method,
            path: request.raw.url?.split('?')[0],
            remoteAddress: request.raw.socket?.remoteAddress,
            userAgent,
          },
          res: { statusCode: status },
          responseTime: Math.round(reply.elapsedTime),
        },
        'request completed',
      );
    }
    done();
  });
}

/** Nest's own log calls (`new Logger('Context').log(…)`) as pino lines with a `context` field. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Pino) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack?, context?).
    const context = rest.length > 1 ? rest[rest.length - 1] : rest.length === 1 && !isStack(rest[0]) ? rest[0] : undefined;
    const stack = rest.length > 0 && isStack(rest[0]) ? rest[0] : undefined;
    this.logger.error({ context, ...(stack ? { stack } : {}) }, text(message));
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: 'info' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const context = rest.length > 0 ? rest[rest.length - 1] : undefined;
    this.logger[level]({ context }, text(message));
  }
}

function isStack(value: unknown): boolean {
  return typeof value === 'string' && /\n\s+at /.test(value);
}

function text(message: unknown): string {
  return typeof message === 'string' ? message : message instanceof Error ? message.message : JSON.stringify(message);
}
