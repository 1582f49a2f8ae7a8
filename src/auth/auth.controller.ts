import { Body, Controller, Get, Header, HttpCode, HttpStatus, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBasicAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Authenticated } from '../common/decorators/authenticated.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { Public } from '../common/decorators/public.decorator';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { UserView } from '../users/dto/user.view';
import type { User } from '../users/entities/user.entity';
import { AuthService } from './auth.service';
import { BasicAuthGuard } from './basic-auth.guard';
import { LoginBodyDto } from './dto/login-body.dto';
import { RefreshRequestDto } from './dto/refresh-request.dto';
import { TokenQueryDto } from './dto/token-query.dto';
import { LoginView, PrincipalView, TokenView } from './dto/token.view';

@ApiTags('authentication')
@Controller('authenticate')
export class AuthController {
  constructor(private readonly authService: AuthService) {}

  @Post('login')
  @Public()
  @UseGuards(BasicAuthGuard)
  @HttpCode(HttpStatus.OK)
  // RFC 6749 §5.1: token responses must not be cached.
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    summary: 'Log in with HTTP Basic credentials (or a JSON body); returns the user and tokens',
    description: 'When both are sent, the Basic header wins. Use "Authorize" → basic in Swagger UI.',
  })
  @ApiBasicAuth('basic')
  @ApiBody({ type: LoginBodyDto, required: false })
  @ApiOkResponse({ type: LoginView })
  @ApiUnauthorizedResponse({ description: 'Wrong or unknown credentials (one message for both)' })
  @ApiBadRequestResponse({ description: 'validity_secs is not a positive integer, or the body is malformed' })
  async login(@CurrentUser() user: User, @Query() query: TokenQueryDto): Promise<LoginView> {
    const token = await this.authService.login(user, query.validity_secs);
    return { user: UserView.of(user), token };
  }

  @Post('refresh')
  @Public()
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({ summary: 'Exchange a refresh token for new tokens; the refresh token rotates' })
  @ApiOkResponse({ type: TokenView })
  @ApiUnauthorizedResponse({ description: 'Unknown, expired, revoked or already-used refresh token' })
  refresh(@Body() body: RefreshRequestDto, @Query() query: TokenQueryDto): Promise<TokenView> {
    return this.authService.refresh(body.refresh_token, query.validity_secs);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The principal as the server sees it, from the bearer token' })
  @ApiOkResponse({ type: PrincipalView })
  me(@CurrentUser() principal: AuthenticatedUser): PrincipalView {
    return { id: principal.id, username: principal.username, roles: principal.roles, exp: principal.tokenExpiresAt };
  }
}
