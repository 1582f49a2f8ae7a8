import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post, Put } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { RequirePermissions } from '../common/decorators/require-permissions.decorator';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { Permission } from '../common/permissions';
import { UuidParam } from '../common/pipes/uuid-param';
import { CreateRoleDto } from './dto/create-role.dto';
import { RoleView } from './dto/role.view';
import { SetPermissionsDto } from './dto/set-permissions.dto';
import { UpdateRoleDto } from './dto/update-role.dto';
import { RolesService } from './roles.service';

@ApiTags('roles')
@Controller('api/v1')
export class RolesController {
  constructor(private readonly rolesService: RolesService) {}

  @Get(['roles', 'role'])
  @ApiOperation({ summary: 'List roles (any signed-in user); /api/v1/role is an alias' })
  @ApiOkResponse({ type: [RoleView] })
  async list(): Promise<RoleView[]> {
    return (await this.rolesService.list()).map(RoleView.of);
  }

  @Post('roles')
  @RequirePermissions(Permission.RolesWrite)
  @ApiOperation({ summary: 'Create a role (audited role.created)' })
  @ApiCreatedResponse({ type: RoleView })
  @ApiConflictResponse({ description: 'A role with that name exists' })
  async create(@Body() dto: CreateRoleDto, @CurrentUser() principal: AuthenticatedUser): Promise<RoleView> {
    return RoleView.of(await this.rolesService.create(dto, principal.id));
  }

  @Patch('roles/:id')
  @RequirePermissions(Permission.RolesWrite)
  @ApiOperation({ summary: 'Change a role’s description (its name never changes: tokens carry it)' })
  @ApiOkResponse({ type: RoleView })
  @ApiNotFoundResponse()
  async update(@UuidParam() id: string, @Body() dto: UpdateRoleDto, @CurrentUser() principal: AuthenticatedUser): Promise<RoleView> {
    return RoleView.of(await this.rolesService.describe(id, dto.description, principal.id));
  }

  @Put('roles/:id/permissions')
  @RequirePermissions(Permission.RolesWrite)
  @ApiOperation({
    summary: 'Replace the permissions a role grants',
    description:
      'Live tokens of its users lose a removed permission within REVOCATION_MAX_LAG; new ones appear in tokens issued afterwards.',
  })
  @ApiOkResponse({ type: RoleView })
  @ApiNotFoundResponse()
  async setPermissions(
    @UuidParam() id: string,
    @Body() dto: SetPermissionsDto,
    @CurrentUser() principal: AuthenticatedUser,
  ): Promise<RoleView> {
    return RoleView.of(await this.rolesService.setPermissions(id, dto.permissions, principal.id));
  }

  @Delete('roles/:id')
  @RequirePermissions(Permission.RolesWrite)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a role (not ADMIN or USER); users holding it lose it (audited role.deleted)' })
  @ApiNoContentResponse()
  @ApiConflictResponse({ description: 'The role is built in' })
  async remove(@UuidParam() id: string, @CurrentUser() principal: AuthenticatedUser): Promise<void> {
    await this.rolesService.remove(id, principal.id);
  }
}
