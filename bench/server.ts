import { Controller, Get, Module } from '@nestjs/common';
import { AppModule } from '../src/app.module';
import { bootstrap } from '../src/bootstrap';
import { CurrentUser } from '../src/common/decorators/current-user.decorator';
import { RequirePermissions } from '../src/common/decorators/require-permissions.decorator';
import { Roles } from '../src/common/decorators/roles.decorator';
import type { AuthenticatedUser } from '../src/common/interfaces/authenticated-user';

/**
 * The "bearer + role" and "bearer + permission" scenarios: GET /authenticate/me's work behind
 * @Roles('ADMIN') or @RequirePermissions('users:read'). Benchmark only.
 */
@Controller('bench')
class BenchController {
  @Get('admin')
  @Roles('ADMIN')
  admin(@CurrentUser() principal: AuthenticatedUser) {
    return { id: principal.id, username: principal.username, roles: principal.roles, exp: principal.tokenExpiresAt };
  }

  @Get('permission')
  @RequirePermissions('users:read')
  permission(@CurrentUser() principal: AuthenticatedUser) {
    return { id: principal.id, username: principal.username, roles: principal.roles, exp: principal.tokenExpiresAt };
  }

  /** The baseline's own answer behind the permission check: the ratio to GET /health/live measures the check alone. */
  @Get('permission/ping')
  @RequirePermissions('users:read')
  permissionPing(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

@Module({ imports: [AppModule], controllers: [BenchController] })
class BenchAppModule {}

/** The production app plus one route, built with it into dist/bench/server.js. */
void bootstrap(BenchAppModule);
