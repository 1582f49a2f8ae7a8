import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { AuthenticatedUser } from './authenticated-user';

/** The principal the bearer guard set on the request (`request.user`). */
export const CurrentUser = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): AuthenticatedUser => ctx.switchToHttp().getRequest<{ user: AuthenticatedUser }>().user,
);
