import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { AllowMfaEnrolmentSession, RequireLoginSession, RequireRecentAuth } from '../common/decorators/authentication-level.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { NoStore } from '../common/decorators/no-store.decorator';
import { RequirePermissions } from '../common/decorators/require-permissions.decorator';
import { Permission } from '../common/permissions';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { UuidParam } from '../common/pipes/uuid-param';
import { ConfirmTotpDto, PasskeyNameDto, RegisterPasskeyDto } from './dto/mfa.dto';
import { MfaStatusView, PasskeyView, RecoveryCodesView, RegisteredPasskeyView, TotpEnrolmentView } from './dto/mfa.view';
import { MfaService } from './mfa.service';
import { PasskeysService } from './passkeys.service';

/**
 * Adding or removing a factor, replacing the recovery codes, and an administrator's reset need an
 * authentication this recent (seconds): a stolen access token must not become a second factor of the
 * thief's (then a reset link plus that factor would take the account).
 */
const RECENT_AUTH_SECONDS = 300;

@ApiTags('mfa')
@ApiBadRequestResponse({ description: 'Validation failed; the message names the fields' })
@RequireLoginSession()
@Controller('api/v1/users')
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly passkeys: PasskeysService,
  ) {}

  @NoStore()
  @Get('me/mfa')
  @AllowMfaEnrolmentSession()
  @ApiOperation({ summary: 'Your second factors: TOTP on or off, recovery codes left, passkeys, and the methods a login can use' })
  @ApiOkResponse({ type: MfaStatusView })
  status(@CurrentUser() principal: AuthenticatedUser): Promise<MfaStatusView> {
    return this.mfa.status(principal.id);
  }

  @NoStore()
  @Post('me/mfa/totp')
  @AllowMfaEnrolmentSession({ maxAge: RECENT_AUTH_SECONDS })
  @ApiOperation({
    summary: 'Start TOTP enrolment: a new secret, its otpauth URI and QR code (shown once; needs a login within 5 minutes)',
    description: 'TOTP is on only after POST /api/v1/users/me/mfa/totp/confirm with a code from the app.',
  })
  @ApiCreatedResponse({ type: TotpEnrolmentView })
  @ApiConflictResponse({ description: 'TOTP is already on' })
  startTotp(@CurrentUser() principal: AuthenticatedUser): Promise<TotpEnrolmentView> {
    return this.mfa.startTotp(principal);
  }

  @NoStore()
  @Post('me/mfa/totp/confirm')
  @HttpCode(HttpStatus.OK)
  @AllowMfaEnrolmentSession({ maxAge: RECENT_AUTH_SECONDS })
  @ApiOperation({
    summary: 'Finish TOTP enrolment with a code from the app; your other sessions end',
    description: 'With your first factor, the answer holds ten recovery codes: shown this once.',
  })
  @ApiOkResponse({ type: RecoveryCodesView })
  @ApiUnauthorizedResponse({ description: 'invalid_code: the code is wrong' })
  @ApiConflictResponse({ description: 'No enrolment is waiting' })
  confirmTotp(@CurrentUser() principal: AuthenticatedUser, @Body() dto: ConfirmTotpDto): Promise<RecoveryCodesView> {
    return this.mfa.confirmTotp(principal, dto.code);
  }

  @Delete('me/mfa/totp')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequireRecentAuth(RECENT_AUTH_SECONDS)
  @ApiOperation({ summary: 'Turn TOTP off (needs a login within 5 minutes); your other sessions end' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'TOTP is not on' })
  async removeTotp(@CurrentUser() principal: AuthenticatedUser): Promise<void> {
    await this.mfa.removeTotp(principal);
  }

  @NoStore()
  @Post('me/mfa/recovery-codes')
  @HttpCode(HttpStatus.OK)
  @RequireRecentAuth(RECENT_AUTH_SECONDS)
  @ApiOperation({ summary: 'Ten new recovery codes (the old ones stop working; needs a login within 5 minutes); your other sessions end' })
  @ApiOkResponse({ type: RecoveryCodesView })
  @ApiConflictResponse({ description: 'No second factor is set up' })
  async regenerateRecoveryCodes(@CurrentUser() principal: AuthenticatedUser): Promise<RecoveryCodesView> {
    return { recoveryCodes: await this.mfa.regenerateRecoveryCodes(principal) };
  }

  @NoStore()
  @Post('me/passkeys/options')
  @HttpCode(HttpStatus.OK)
  @AllowMfaEnrolmentSession({ maxAge: RECENT_AUTH_SECONDS })
  @ApiOperation({ summary: 'WebAuthn options to register a passkey (pass them to navigator.credentials.create)' })
  @ApiOkResponse({ description: 'PublicKeyCredentialCreationOptionsJSON' })
  registrationOptions(@CurrentUser() principal: AuthenticatedUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.passkeys.registrationOptions(principal);
  }

  @NoStore()
  @Post('me/passkeys')
  @AllowMfaEnrolmentSession({ maxAge: RECENT_AUTH_SECONDS })
  @ApiOperation({
    summary: 'Register a passkey from the browser’s answer to the options; your other sessions end',
    description: 'With your first factor, the answer holds ten recovery codes: shown this once.',
  })
  @ApiCreatedResponse({ type: RegisteredPasskeyView })
  async registerPasskey(@CurrentUser() principal: AuthenticatedUser, @Body() dto: RegisterPasskeyDto): Promise<RegisteredPasskeyView> {
    const passkey = await this.passkeys.register(principal, dto.name, dto.response);
    return { passkey, ...(await this.mfa.passkeyAdded(principal, passkey.id)) };
  }

  @Get('me/passkeys')
  @AllowMfaEnrolmentSession()
  @ApiOperation({ summary: 'Your passkeys' })
  @ApiOkResponse({ type: [PasskeyView] })
  listPasskeys(@CurrentUser() principal: AuthenticatedUser): Promise<PasskeyView[]> {
    return this.passkeys.list(principal.id);
  }

  @Patch('me/passkeys/:id')
  @ApiOperation({ summary: 'Rename a passkey' })
  @ApiOkResponse({ type: PasskeyView })
  @ApiNotFoundResponse()
  async renamePasskey(
    @CurrentUser() principal: AuthenticatedUser,
    @UuidParam() id: string,
    @Body() dto: PasskeyNameDto,
  ): Promise<PasskeyView> {
    const passkey = await this.passkeys.rename(principal.id, id, dto.name);
    await this.mfa.passkeyRenamed(principal, id);
    return passkey;
  }

  @Delete('me/passkeys/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequireRecentAuth(RECENT_AUTH_SECONDS)
  @ApiOperation({ summary: 'Remove a passkey (needs a login within 5 minutes); your other sessions end' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async removePasskey(@CurrentUser() principal: AuthenticatedUser, @UuidParam() id: string): Promise<void> {
    await this.passkeys.remove(principal.id, id);
    await this.mfa.passkeyRemoved(principal, id);
  }

  @NoStore()
  @Get(':id/mfa')
  @RequirePermissions(Permission.UsersRead)
  @ApiOperation({
    summary: 'A user’s second factors: TOTP on or off, recovery codes left, passkeys (never a secret)',
    description: 'What an administrator checks before resetting them with DELETE /api/v1/users/{id}/mfa.',
  })
  @ApiOkResponse({ type: MfaStatusView })
  @ApiNotFoundResponse()
  statusOf(@UuidParam() id: string): Promise<MfaStatusView> {
    return this.mfa.statusOf(id);
  }

  @Delete(':id/mfa')
  @RequirePermissions(Permission.UsersWrite)
  @RequireRecentAuth(RECENT_AUTH_SECONDS)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Remove every second factor of a user who lost theirs (audited; needs a login within 5 minutes); that user’s sessions end',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async reset(@UuidParam() id: string, @CurrentUser() principal: AuthenticatedUser): Promise<void> {
    await this.mfa.reset(id, principal);
  }
}
