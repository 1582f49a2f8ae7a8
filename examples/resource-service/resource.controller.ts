import { Controller, Get } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser, Public, Roles } from '@gatehouse/nest';

/** The routes of a service that trusts Gatehouse's tokens: they read exactly as they would inside Gatehouse. */
@Controller()
export class ResourceController {
  @Public()
  @Get('public')
  open(): { ok: true } {
    return { ok: true };
  }

  @Roles('USER')
  @Get('user')
  user(@CurrentUser() user: AuthenticatedUser): AuthenticatedUser {
    return user;
  }

  @Roles('ADMIN')
  @Get('admin')
  admin(@CurrentUser() user: AuthenticatedUser): AuthenticatedUser {
    return user;
  }

  /** The same answer as /public behind @Roles('ADMIN'): the difference between the two is what authentication costs. */
  @Roles('ADMIN')
  @Get('admin/ping')
  adminPing(): { ok: true } {
    return { ok: true };
  }

  /** For load balancers and orchestrators: up, whether or not Gatehouse is. */
  @Public()
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
