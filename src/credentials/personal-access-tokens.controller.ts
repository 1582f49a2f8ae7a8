import { RequireLoginSession } from '../common/decorators/authentication-level.decorator';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { NoStore } from '../common/decorators/no-store.decorator';
import { RequirePermissions } from '../common/decorators/require-permissions.decorator';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { Permission } from '../common/permissions';
import { UuidParam } from '../common/pipes/uuid-param';
import { CreatePersonalAccessTokenDto } from './dto/credentials.dto';
import { CreatedPersonalAccessTokenView, PersonalAccessTokenView } from './dto/credentials.view';
import { PersonalAccessTokensService } from './personal-access-tokens.service';

@ApiTags('personal access tokens')
@Controller('api/v1/users')
export class PersonalAccessTokensController {
  constructor(private readonly tokens: PersonalAccessTokensService) {}

  @RequireLoginSession()
  @Post('me/tokens')
  @NoStore()
  @ApiOperation({
    summary: 'Make a personal access token (shown once)',
    description:
      'An opaque gth_… token for scripts, acting as you within `scopes` (a subset of what your login may use). ' +
      'Only a login session makes tokens — not another token or a client. Send it as Authorization: Bearer gth_…',
  })
  @ApiCreatedResponse({ type: CreatedPersonalAccessTokenView })
  async create(
    @CurrentUser() principal: AuthenticatedUser,
    @Body() dto: CreatePersonalAccessTokenDto,
  ): Promise<CreatedPersonalAccessTokenView> {
    const { token, record } = await this.tokens.create(principal, dto);
    return { ...PersonalAccessTokenView.of(record), token };
  }

  @Get('me/tokens')
  @ApiOperation({ summary: 'Your personal access tokens (never the tokens themselves)' })
  @ApiOkResponse({ type: [PersonalAccessTokenView] })
  async list(@CurrentUser() principal: AuthenticatedUser): Promise<PersonalAccessTokenView[]> {
    return (await this.tokens.list(principal.id)).map(PersonalAccessTokenView.of);
  }

  @RequireLoginSession()
  @Delete('me/tokens/:tokenId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke one of your personal access tokens (refused everywhere at once)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async revoke(@CurrentUser() principal: AuthenticatedUser, @UuidParam('tokenId') tokenId: string): Promise<void> {
    await this.tokens.revoke(principal.id, tokenId, principal.id);
  }

  @Get(':id/tokens')
  @RequirePermissions(Permission.SessionsAdmin)
  @ApiOperation({ summary: 'A user’s personal access tokens' })
  @ApiOkResponse({ type: [PersonalAccessTokenView] })
  async listOfUser(@UuidParam() userId: string): Promise<PersonalAccessTokenView[]> {
    return (await this.tokens.list(userId)).map(PersonalAccessTokenView.of);
  }

  @Delete(':id/tokens/:tokenId')
  @RequirePermissions(Permission.SessionsAdmin)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke a user’s personal access token' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async revokeOfUser(
    @UuidParam() userId: string,
    @UuidParam('tokenId') tokenId: string,
    @CurrentUser() principal: AuthenticatedUser,
  ): Promise<void> {
    await this.tokens.revoke(userId, tokenId, principal.id);
  }
}
