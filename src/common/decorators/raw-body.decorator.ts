import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/**
 * The parsed body as the client sent it, past the global ValidationPipe (a custom parameter): for
 * endpoints whose RFC says how to treat unknown parameters (the OAuth token endpoint ignores them).
 */
export const RawBody = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): unknown => ctx.switchToHttp().getRequest<{ body?: unknown }>().body,
);
