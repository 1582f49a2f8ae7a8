import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { NoStore } from '../common/decorators/no-store.decorator';
import { RequirePermissions } from '../common/decorators/require-permissions.decorator';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { Permission } from '../common/permissions';
import { UuidParam } from '../common/pipes/uuid-param';
import { ClientsService } from './clients.service';
import { CreateClientDto, RotateSecretDto, UpdateClientDto } from './dto/credentials.dto';
import { ClientSecretView, ClientView } from './dto/credentials.view';

@ApiTags('service clients')
@RequirePermissions(Permission.ClientsAdmin)
@Controller('api/v1/clients')
export class ClientsController {
  constructor(private readonly clients: ClientsService) {}

  @Post()
  @NoStore()
  @ApiOperation({
    summary: 'Register a service client (its secret is shown once)',
    description:
      'The client gets tokens at POST /oauth/token with grant_type=client_credentials. You can give it only permissions you hold.',
  })
  @ApiCreatedResponse({ type: ClientSecretView })
  async create(@CurrentUser() principal: AuthenticatedUser, @Body() dto: CreateClientDto): Promise<ClientSecretView> {
    const { client, secret } = await this.clients.create(principal, dto);
    return { ...ClientView.of(client), client_secret: secret };
  }

  @Get()
  @ApiOperation({ summary: 'List service clients' })
  @ApiOkResponse({ type: [ClientView] })
  async list(): Promise<ClientView[]> {
    return (await this.clients.list()).map(ClientView.of);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a service client' })
  @ApiOkResponse({ type: ClientView })
  @ApiNotFoundResponse()
  async get(@UuidParam() id: string): Promise<ClientView> {
    return ClientView.of(await this.clients.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename, change the scopes of, or disable a client (live tokens follow at once)' })
  @ApiOkResponse({ type: ClientView })
  @ApiNotFoundResponse()
  async update(@CurrentUser() principal: AuthenticatedUser, @UuidParam() id: string, @Body() dto: UpdateClientDto): Promise<ClientView> {
    return ClientView.of(await this.clients.update(principal, id, dto));
  }

  @Post(':id/secret')
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOperation({
    summary: 'Rotate the client’s secret (the new one is shown once)',
    description: 'The previous secret keeps working for graceSeconds (default CLIENT_SECRET_ROTATION_GRACE), then stops.',
  })
  @ApiOkResponse({ type: ClientSecretView })
  @ApiNotFoundResponse()
  async rotate(
    @CurrentUser() principal: AuthenticatedUser,
    @UuidParam() id: string,
    @Body() dto: RotateSecretDto,
  ): Promise<ClientSecretView> {
    const { secret } = await this.clients.rotateSecret(principal, id, dto.graceSeconds);
    return { ...ClientView.of(await this.clients.get(id)), client_secret: secret };
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a client: its secret stops working and its tokens are refused' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async remove(@CurrentUser() principal: AuthenticatedUser, @UuidParam() id: string): Promise<void> {
    await this.clients.remove(principal, id);
  }
}
