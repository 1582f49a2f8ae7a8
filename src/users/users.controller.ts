import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AllowMfaEnrolmentSession, RequireLoginSession } from '../common/decorators/authentication-level.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { RequirePermissions } from '../common/decorators/require-permissions.decorator';
import { Permission } from '../common/permissions';
import { UuidParam } from '../common/pipes/uuid-param';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { ChangePasswordDto } from './dto/change-password.dto';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQuery } from './dto/list-users.query';
import { UpdateProfileDto, UpdateUserDto } from './dto/update-user.dto';
import { UserPage, UserView } from './dto/user.view';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBadRequestResponse({ description: 'Validation failed; the message names the fields' })
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly usersService: UsersService) {}

  @Get('me')
  @AllowMfaEnrolmentSession()
  @ApiOperation({ summary: 'Your own profile' })
  @ApiOkResponse({ type: UserView })
  async me(@CurrentUser() principal: AuthenticatedUser): Promise<UserView> {
    return UserView.of(await this.usersService.findById(principal.id));
  }

  @RequireLoginSession()
  @Patch('me')
  @ApiOperation({
    summary: 'Update your own names, language and email (not roles, enabled or username)',
    description:
      'A new e-mail address needs a login within the last 5 minutes (401 insufficient_user_authentication, max_age=300): ' +
      'reset links go to it, so a stolen access token must not be able to redirect them.',
  })
  @ApiOkResponse({ type: UserView })
  async updateMe(@CurrentUser() principal: AuthenticatedUser, @Body() dto: UpdateProfileDto): Promise<UserView> {
    return UserView.of(await this.usersService.updateProfile(principal.id, dto, principal.authTime));
  }

  @RequireLoginSession()
  @Put('me/password')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Change your password; every other session of yours ends' })
  @ApiNoContentResponse()
  @ApiUnauthorizedResponse({ description: 'The current password is wrong' })
  @ApiTooManyRequestsResponse({ description: 'Too many failed logins from this address (Retry-After)' })
  async changePassword(@CurrentUser() principal: AuthenticatedUser, @Body() dto: ChangePasswordDto): Promise<void> {
    await this.usersService.changeOwnPassword(principal.id, dto.currentPassword, dto.newPassword, principal.sessionId);
  }

  @Get()
  @RequirePermissions(Permission.UsersRead)
  @ApiOperation({
    summary: 'List users, a page at a time; `q` keeps those whose username or e-mail contains it',
    description: 'Oldest first. `total` counts every user that matches `q` (all users without it).',
  })
  @ApiOkResponse({ type: UserPage })
  async list(@Query() query: ListUsersQuery): Promise<UserPage> {
    const page = await this.usersService.list(query.page, query.limit, query.q);
    return { ...page, items: page.items.map(UserView.of) };
  }

  @Post()
  @RequirePermissions(Permission.UsersWrite)
  @ApiOperation({ summary: 'Create a user (roles by name; USER when omitted)' })
  @ApiCreatedResponse({ type: UserView })
  @ApiConflictResponse({ description: 'The username is taken (case-insensitively)' })
  async create(@Body() dto: CreateUserDto, @CurrentUser() principal: AuthenticatedUser): Promise<UserView> {
    return UserView.of(await this.usersService.create(dto, principal));
  }

  @Get(':id')
  @RequirePermissions(Permission.UsersRead)
  @ApiOperation({ summary: 'Read a user' })
  @ApiOkResponse({ type: UserView })
  @ApiNotFoundResponse()
  async findOne(@UuidParam() id: string): Promise<UserView> {
    return UserView.of(await this.usersService.findById(id));
  }

  @Patch(':id')
  @RequirePermissions(Permission.UsersWrite)
  @ApiOperation({ summary: 'Update a user: names, email, enabled, roles, password' })
  @ApiOkResponse({ type: UserView })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The change would lock you out of your own account' })
  async update(@UuidParam() id: string, @Body() dto: UpdateUserDto, @CurrentUser() principal: AuthenticatedUser): Promise<UserView> {
    return UserView.of(await this.usersService.update(id, dto, principal));
  }

  @Delete(':id')
  @RequirePermissions(Permission.UsersWrite)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a user and all their sessions' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'You cannot delete your own account' })
  async remove(@UuidParam() id: string, @CurrentUser() principal: AuthenticatedUser): Promise<void> {
    await this.usersService.remove(id, principal);
  }
}
