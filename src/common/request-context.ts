import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is calling, for the audit log and the logs: set once per request by the HTTP layer. */
export interface RequestContext {
  requestId: string;
  ip?: string;
  userAgent?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext(context: RequestContext, next: () => void): void {
  storage.run(context, next);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
