import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

/**
 * A route's metadata (handler first, then its controller), read once per route and remembered:
 * decorators never change after start-up, and the guards ask on every request.
 */
export function routeMetadata<T>(reflector: Reflector, key: string): (context: ExecutionContext) => T | undefined {
  const known = new WeakMap<object, { value: T | undefined }>();
  return (context) => {
    const handler = context.getHandler();
    let entry = known.get(handler);
    if (!entry) {
      entry = { value: reflector.getAllAndOverride<T | undefined>(key, [handler, context.getClass()]) };
      known.set(handler, entry);
    }
    return entry.value;
  };
}
