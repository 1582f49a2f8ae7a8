import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

const SIX_DIGITS = /^\d{6}$/;

export class ConfirmTotpDto {
  @ApiProperty({ example: '123456', description: 'The current 6-digit code from the authenticator app' })
  @IsString()
  @Matches(SIX_DIGITS, { message: 'code must be 6 digits' })
  code: string;
}

export class MfaTokenDto {
  @ApiProperty({ description: 'The mfa_token from the 401 mfa_required answer to the password step' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  mfa_token: string;
}

/** POST /authenticate/mfa: the mfa_token and exactly one second factor. */
export class MfaLoginDto extends MfaTokenDto {
  @ApiPropertyOptional({ example: '123456', description: 'A TOTP code' })
  @IsOptional()
  @IsString()
  @Matches(SIX_DIGITS, { message: 'totp must be 6 digits' })
  totp?: string;

  @ApiPropertyOptional({ example: 'ABCD-EFGH-JKMN', description: 'One of the recovery codes (spent by this use)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  recovery_code?: string;

  @ApiPropertyOptional({
    type: Object,
    description: 'A WebAuthn assertion (the JSON of navigator.credentials.get) to the options of POST /authenticate/mfa/webauthn-options',
  })
  @IsOptional()
  @IsObject()
  webauthn?: AuthenticationResponseJSON;
}

export class PasskeyLoginDto {
  @ApiProperty({
    type: Object,
    description: 'The WebAuthn assertion (navigator.credentials.get) to the options of POST /authenticate/passkey/options',
  })
  @IsObject()
  response: AuthenticationResponseJSON;
}

export class PasskeyNameDto {
  @ApiProperty({ example: 'Laptop', description: 'A name to tell your passkeys apart' })
  @IsString()
  @Matches(/^[^\p{Cc}]{1,64}$/u, { message: 'name must be 1 to 64 characters without control characters' })
  name: string;
}

export class RegisterPasskeyDto extends PasskeyNameDto {
  @ApiProperty({
    type: Object,
    description: 'The WebAuthn attestation (navigator.credentials.create) to the options of POST …/passkeys/options',
  })
  @IsObject()
  response: RegistrationResponseJSON;
}
