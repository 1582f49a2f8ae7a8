import { AllowServiceClients } from '../common/decorators/require-permissions.decorator';
import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Inject, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  ApiBadRequestResponse,
  ApiBasicAuth,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AllowMfaEnrolmentSession } from '../common/decorators/authentication-level.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { NoStore } from '../common/decorators/no-store.decorator';
import { Public } from '../common/decorators/public.decorator';
import { InvalidTokenException } from '../common/exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { appConfig } from '../config/app.config';
import type { User } from '../users/entities/user.entity';
import { AccessTokenBlock, AuthService, TokenBlock } from './auth.service';
import { BasicAuthGuard } from './guards/basic-auth.guard';
import { LoginBodyDto } from './dto/login-body.dto';
import { RefreshGrantDto, RefreshRequestDto } from './dto/refresh-request.dto';
import { LoginQueryDto, TokenQueryDto } from './dto/token-query.dto';
import { LoginView, PrincipalView, TokenView } from './dto/token.view';
import { assertCookieRequestAllowed, clearedRefreshCookie, readRefreshCookie } from './refresh-cookie';
import { extractBearerToken } from './bearer-token';
import { HttpReply, HttpRequest, loginResponse, moveToCookie } from './login-response';

@ApiTags('authentication')
@Controller('authenticate')
export class AuthController {
  constructor(
    private readonly authService: AuthService,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  @Post('login')
  @Public()
  @UseGuards(BasicAuthGuard)
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOperation({
    summary: 'Log in with HTTP Basic credentials (or a JSON body); returns the user and tokens',
    description:
      'When both are sent, the Basic header wins. With ?cookie=true the refresh token is set as an HttpOnly ' +
      'cookie instead of appearing in the body. In Swagger UI use "Authorize" → basic.',
  })
  @ApiBasicAuth('basic')
  @ApiBody({ type: LoginBodyDto, required: false })
  @ApiOkResponse({ type: LoginView })
  @ApiUnauthorizedResponse({
    description:
      'Wrong or unknown credentials (one message for both). Or, for a right password of a user with a second factor: ' +
      'error "mfa_required" with an mfa_token (5 minutes, single use) and the methods; complete with POST /authenticate/mfa.',
    schema: {
      example: {
        timestamp: '2026-11-30T10:00:00.000Z',
        status: 401,
        error: 'mfa_required',
        code: 'mfa_required',
        message: 'A second factor is required: send the mfa_token with a code or a passkey assertion to POST /authenticate/mfa',
        path: '/authenticate/login',
        mfa_token: 'q3J4…',
        methods: ['totp', 'recovery_code', 'webauthn'],
        expires_in: 300,
      },
    },
  })
  @ApiBadRequestResponse({ description: 'validity_secs or cookie is malformed, or the body is malformed' })
  @ApiTooManyRequestsResponse({ description: 'Too many failed logins from this address (Retry-After)' })
  async login(
    @CurrentUser() user: User,
    @Query() query: LoginQueryDto,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) reply: HttpReply,
  ): Promise<LoginView> {
    return loginResponse(this.authService, this.config, user, query, req, reply);
  }

  @Post('refresh')
  @Public()
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOperation({
    summary: 'New tokens from a refresh token (body or cookie; it rotates), or a new access token from a valid one',
    description:
      'Also the RFC 6749 token endpoint: form-encoded grant_type=refresh_token&refresh_token=… works like the JSON body. ' +
      'Sources, in order: refresh_token in the body; the refresh cookie (needs X-Requested-With or an allowed ' +
      'Origin); with BEARER_RENEWAL=true, Authorization: Bearer <unexpired access token> (returns an access token ' +
      'block only, living no longer than the token presented).',
  })
  @ApiBearerAuth('bearer')
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiOkResponse({ type: TokenView })
  @ApiUnauthorizedResponse({ description: 'Unknown, expired, revoked or already-used refresh token; expired access token' })
  @ApiForbiddenResponse({ description: 'Cookie refresh without X-Requested-With or an allowed Origin' })
  async refresh(
    @Body() body: RefreshGrantDto,
    @Query() query: TokenQueryDto,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) reply: HttpReply,
  ): Promise<TokenBlock | AccessTokenBlock> {
    // Read first: two refresh cookies are a 400 whatever else the request carries.
    const fromCookie = readRefreshCookie(req.headers);
    if (body.refresh_token) return this.authService.refresh(body.refresh_token, query.validity_secs, body.scope);
    if (fromCookie) {
      assertCookieRequestAllowed(req.headers, this.config.corsOrigins);
      try {
        return moveToCookie(await this.authService.refresh(fromCookie, query.validity_secs, body.scope), reply);
      } catch (error) {
        if (error instanceof InvalidTokenException) reply.header('Set-Cookie', clearedRefreshCookie());
        throw error;
      }
    }
    const accessToken = extractBearerToken(req);
    if (accessToken && this.config.sessions.bearerRenewal) return this.authService.renew(accessToken, query.validity_secs);
    throw new BadRequestException(
      this.config.sessions.bearerRenewal
        ? 'refresh_token is required: in the body, in the refresh cookie, or renew with Authorization: Bearer <access token>'
        : 'refresh_token is required: in the body or in the refresh cookie (renewal with an access token is off: BEARER_RENEWAL)',
    );
  }

  @Post('logout')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'End the session of a refresh token (body or cookie) or of a bearer access token (even an expired one)',
  })
  @ApiBearerAuth('bearer')
  @ApiNoContentResponse({ description: 'The session has ended (also when it had ended before)' })
  @ApiUnauthorizedResponse({ description: 'No token, or a bearer token that is not Gatehouse’s' })
  async logout(@Body() body: RefreshRequestDto, @Req() req: HttpRequest, @Res({ passthrough: true }) reply: HttpReply): Promise<void> {
    const fromCookie = readRefreshCookie(req.headers);
    if (fromCookie) assertCookieRequestAllowed(req.headers, this.config.corsOrigins);
    const refreshToken = body.refresh_token ?? fromCookie;
    const accessToken = extractBearerToken(req) ?? undefined;
    if (!refreshToken && !accessToken) {
      throw new InvalidTokenException('Send the session’s refresh token, or its access token as Authorization: Bearer');
    }
    await this.authService.logout({ refreshToken, accessToken });
    if (fromCookie) reply.header('Set-Cookie', clearedRefreshCookie());
  }

  @Get('me')
  @AllowMfaEnrolmentSession()
  @AllowServiceClients()
  @ApiOperation({ summary: 'The principal as the server sees it, from the bearer token' })
  @ApiOkResponse({ type: PrincipalView })
  me(@CurrentUser() principal: AuthenticatedUser): PrincipalView {
    return {
      id: principal.id,
      username: principal.username,
      roles: principal.roles,
      permissions: principal.permissions,
      exp: principal.tokenExpiresAt,
      amr: principal.amr,
      ...(principal.authTime !== undefined ? { auth_time: principal.authTime } : {}),
      ...(principal.restriction ? { restriction: principal.restriction } : {}),
    };
  }
}
