import { RequireLoginSession } from '../common/decorators/authentication-level.decorator';
import { Controller, Delete, Get, HttpCode, HttpStatus, NotFoundException } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { RequirePermissions } from '../common/decorators/require-permissions.decorator';
import { Permission } from '../common/permissions';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { UuidParam } from '../common/pipes/uuid-param';
import { UsersService } from '../users/users.service';
import { SessionView } from './dto/session.view';
import { SessionsService } from './sessions.service';

@ApiTags('sessions')
@Controller('api/v1/users')
export class SessionsController {
  constructor(
    private readonly sessionsService: SessionsService,
    private readonly users: UsersService,
  ) {}

  @Get('me/sessions')
  @ApiOperation({ summary: 'Your active sessions' })
  @ApiOkResponse({ type: [SessionView] })
  async mine(@CurrentUser() principal: AuthenticatedUser): Promise<SessionView[]> {
    return (await this.sessionsService.listActive(principal.id)).map((s) => SessionView.of(s, principal.sessionId));
  }

  @RequireLoginSession()
  @Delete('me/sessions/:sessionId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End one of your sessions (its tokens stop working)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async endMine(@CurrentUser() principal: AuthenticatedUser, @UuidParam('sessionId') sessionId: string): Promise<void> {
    if (!(await this.sessionsService.revoke(principal.id, sessionId, 'user'))) throw new NotFoundException('Session not found');
  }

  @RequireLoginSession()
  @Delete('me/sessions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End all your sessions but the current one' })
  @ApiNoContentResponse()
  async endOthers(@CurrentUser() principal: AuthenticatedUser): Promise<void> {
    await this.sessionsService.revokeAllForUser(principal.id, principal.sessionId, 'user');
  }

  @Get(':id/sessions')
  @RequirePermissions(Permission.SessionsAdmin)
  @ApiOperation({ summary: 'A user’s active sessions' })
  @ApiOkResponse({ type: [SessionView] })
  @ApiNotFoundResponse()
  async ofUser(@UuidParam() userId: string, @CurrentUser() principal: AuthenticatedUser): Promise<SessionView[]> {
    await this.assertUserExists(userId);
    return (await this.sessionsService.listActive(userId)).map((s) => SessionView.of(s, principal.sessionId));
  }

  @Delete(':id/sessions/:sessionId')
  @RequirePermissions(Permission.SessionsAdmin)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End one session of a user (audited session.revoked)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async endOfUser(
    @UuidParam() userId: string,
    @UuidParam('sessionId') sessionId: string,
    @CurrentUser() principal: AuthenticatedUser,
  ): Promise<void> {
    const user = await this.userOrNotFound(userId);
    if (!(await this.sessionsService.endByAdministrator(user, principal.id, sessionId))) throw new NotFoundException('Session not found');
  }

  @Delete(':id/sessions')
  @RequirePermissions(Permission.SessionsAdmin)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End every session of a user (audited session.revoked)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async endAllOfUser(@UuidParam() userId: string, @CurrentUser() principal: AuthenticatedUser): Promise<void> {
    await this.sessionsService.endByAdministrator(await this.userOrNotFound(userId), principal.id);
  }

  private async assertUserExists(userId: string): Promise<void> {
    if (!(await this.users.exists(userId))) throw new NotFoundException('User not found');
  }

  private async userOrNotFound(userId: string): Promise<{ id: string; username: string }> {
    const user = await this.users.find(userId);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }
}
