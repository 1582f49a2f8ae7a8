import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who is calling, for the audit log and the logs: set once per request by the HTTP layer, or once
 * per command by the operators' command line (`actor: 'cli'`).
 */
export interface RequestContext {
  requestId: string;
  ip?: string;
  userAgent?: string;
  /** Set by the command line only (never from anything a client sends): the audit log says `actor: cli`. */
  actor?: 'cli';
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext(context: RequestContext, next: () => void): void {
  storage.run(context, next);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
