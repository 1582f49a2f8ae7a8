import { Body, Controller, HttpCode, HttpStatus, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { LoginQueryDto } from '../auth/dto/token-query.dto';
import { LoginView } from '../auth/dto/token.view';
import { HttpReply, HttpRequest, clientInfo, sessionResponse } from '../auth/login-response';
import { NoStore } from '../common/decorators/no-store.decorator';
import { Public } from '../common/decorators/public.decorator';
import { appConfig } from '../config/app.config';
import { MfaLoginDto, MfaTokenDto, PasskeyLoginDto } from './dto/mfa.dto';
import { MfaLoginService } from './mfa-login.service';

@ApiTags('authentication')
@Controller('authenticate')
export class MfaLoginController {
  constructor(
    private readonly logins: MfaLoginService,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  @Post('mfa')
  @Public()
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOperation({
    summary: 'Second step of a login: the mfa_token and one factor (totp, recovery_code or webauthn); returns the user and tokens',
    description:
      'After a correct password, a user with a second factor gets 401 {error: "mfa_required", mfa_token, methods, expires_in} ' +
      'instead of tokens. Send the mfa_token here with a code within 5 minutes; ?validity_secs and ?cookie work as for the login. ' +
      'A wrong code counts toward the username’s lock like a wrong password; the mfa_token stays usable until it expires or succeeds.',
  })
  @ApiOkResponse({ type: LoginView })
  @ApiUnauthorizedResponse({ description: 'invalid_mfa_token (log in again) or invalid_second_factor (try again)' })
  @ApiTooManyRequestsResponse({ description: 'Too many failed logins from this address' })
  async complete(
    @Body() body: MfaLoginDto,
    @Query() query: LoginQueryDto,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) reply: HttpReply,
  ): Promise<LoginView> {
    const { mfa_token: mfaToken, ...factor } = body;
    const { user, token } = await this.logins.complete(mfaToken, factor, clientInfo(req), query.validity_secs, query.scope);
    return sessionResponse(this.config, user, token, query, reply);
  }

  @Post('mfa/webauthn-options')
  @Public()
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOperation({
    summary: 'WebAuthn options for completing a login with a passkey as the second factor (pass them to navigator.credentials.get)',
  })
  @ApiOkResponse({ description: 'PublicKeyCredentialRequestOptionsJSON listing the user’s passkeys' })
  @ApiUnauthorizedResponse({ description: 'invalid_mfa_token' })
  webauthnOptions(@Body() body: MfaTokenDto): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.logins.webauthnOptions(body.mfa_token);
  }

  @Post('passkey/options')
  @Public()
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOperation({ summary: 'WebAuthn options for a passwordless login with a passkey (discoverable credential)' })
  @ApiOkResponse({ description: 'PublicKeyCredentialRequestOptionsJSON' })
  @ApiTooManyRequestsResponse({ description: 'More than 60 a minute from this address' })
  passkeyOptions(@Req() req: HttpRequest): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.logins.passkeyOptions(req.ip);
  }

  @Post('passkey/verify')
  @Public()
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOperation({
    summary: 'Log in with a passkey’s assertion; returns the user and tokens like a password login (amr: hwk/swk, user, mfa)',
  })
  @ApiOkResponse({ type: LoginView })
  @ApiUnauthorizedResponse({ description: 'invalid_passkey: unknown passkey, wrong origin, bad signature, used or expired challenge' })
  async passkeyLogin(
    @Body() body: PasskeyLoginDto,
    @Query() query: LoginQueryDto,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) reply: HttpReply,
  ): Promise<LoginView> {
    const { user, token } = await this.logins.passkeyLogin(body.response, clientInfo(req), query.validity_secs, query.scope);
    return sessionResponse(this.config, user, token, query, reply);
  }
}
