import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/decorators/authenticated.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { UuidParam } from '../common/pipes/uuid-param';
import { CreateRoleDto } from './dto/create-role.dto';
import { RoleView } from './dto/role.view';
import { BuiltInRole } from './role-names';
import { RolesService } from './roles.service';

@ApiTags('roles')
@Authenticated()
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
  @Roles(BuiltInRole.Admin)
  @ApiOperation({ summary: 'Create a role' })
  @ApiConflictResponse({ description: 'A role with that name exists' })
  async create(@Body() dto: CreateRoleDto): Promise<RoleView> {
    return RoleView.of(await this.rolesService.create(dto));
  }

  @Delete('roles/:id')
  @Roles(BuiltInRole.Admin)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a role (not ADMIN or USER); users holding it lose it' })
  @ApiNoContentResponse()
  @ApiConflictResponse({ description: 'The role is built in' })
  async remove(@UuidParam() id: string): Promise<void> {
    await this.rolesService.remove(id);
  }
}
