import { BadRequestException, Body, Controller, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { NoStore } from '../common/decorators/no-store.decorator';
import { Public } from '../common/decorators/public.decorator';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { ForgotPasswordDto, ResetPasswordDto, VerifyEmailDto } from './dto/recovery.dto';
import { RecoveryService } from './recovery.service';
import { ValidationFailedException } from '../common/validation';

/** The one answer to a reset request, whatever it names. */
const FORGOT_ANSWER = { message: 'If an account matches and has a verified e-mail address, a link to reset its password is on its way' };

@ApiTags('recovery')
@Controller()
export class RecoveryController {
  constructor(private readonly recovery: RecoveryService) {}

  @Post('authenticate/password/forgot')
  @Public()
  @HttpCode(HttpStatus.ACCEPTED)
  @NoStore()
  @ApiOperation({
    summary: 'Ask for a password-reset link by username or verified e-mail address',
    description:
      '202 with the same body, at once, whether or not an account matches (no enumeration). The link goes only to a ' +
      'verified address and lives PASSWORD_RESET_TTL seconds. Limited per name/address and per client IP.',
  })
  @ApiAcceptedResponse({ schema: { example: FORGOT_ANSWER } })
  @ApiTooManyRequestsResponse({ description: 'Too many requests for this name/address or from this IP (Retry-After)' })
  @ApiNotFoundResponse({ description: 'E-mail is not configured on this server' })
  async forgot(@Body() dto: ForgotPasswordDto, @Req() req: { ip?: string }): Promise<typeof FORGOT_ANSWER> {
    if ((dto.username === undefined) === (dto.email === undefined))
      throw new ValidationFailedException('Send exactly one of username or email');
    await this.recovery.forgot(dto.username !== undefined ? { username: dto.username } : { email: dto.email as string }, req.ip);
    return FORGOT_ANSWER;
  }

  @Post('authenticate/password/reset')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Set a new password with the token of a reset link; every session of the user ends',
    description: 'A user with a second factor also sends totp or recovery_code (401 mfa_required with the methods otherwise).',
  })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: 'invalid_link (unknown, expired, used, or the password changed since), or the password policy' })
  @ApiUnauthorizedResponse({ description: 'mfa_required / invalid_second_factor' })
  @ApiTooManyRequestsResponse({ description: 'Too many failed second factors from this address (Retry-After)' })
  async reset(@Body() dto: ResetPasswordDto, @Req() req: { ip?: string }): Promise<void> {
    await this.recovery.reset(dto.token, dto.newPassword, { totp: dto.totp, recovery_code: dto.recovery_code }, req.ip);
  }

  @Post('authenticate/email/verify')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Confirm an e-mail address with the token of a verification link' })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: 'invalid_link (unknown, expired, used, or the address changed since)' })
  async verifyEmail(@Body() dto: VerifyEmailDto): Promise<void> {
    await this.recovery.verifyEmail(dto.token);
  }

  @Post('api/v1/users/me/email/verification')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Send a new verification link to your unverified e-mail address' })
  @ApiAcceptedResponse({ description: 'A link is on its way' })
  @ApiTooManyRequestsResponse({ description: 'Too many verification e-mails for this account (Retry-After)' })
  @ApiBadRequestResponse({ description: 'You have no e-mail address, or it is already verified' })
  @ApiNotFoundResponse({ description: 'E-mail is not configured on this server' })
  async resend(@CurrentUser() principal: AuthenticatedUser): Promise<void> {
    await this.recovery.resendVerification(principal.id);
  }
}
