import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength, Validate } from 'class-validator';
import { BasicSafe } from '../../common/credentials';

export class ForgotPasswordDto {
  @ApiPropertyOptional({ example: 'alice', description: 'The username, or …' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  @Validate(BasicSafe)
  username?: string;

  @ApiPropertyOptional({ example: 'alice@example.org', description: '… the verified e-mail address (one of the two)' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  @Validate(BasicSafe)
  email?: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token from the link in the e-mail' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  token: string;

  @ApiProperty({ description: 'The new password (the password policy applies)' })
  @IsString()
  @MaxLength(1024)
  @Validate(BasicSafe)
  newPassword: string;

  @ApiPropertyOptional({ example: '123456', description: 'For a user with a second factor: a TOTP code …' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{6}$/, { message: 'totp must be 6 digits' })
  totp?: string;

  @ApiPropertyOptional({ example: 'ABCD-EFGH-JKMN', description: '… or a recovery code (a reset link alone never bypasses MFA)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  recovery_code?: string;
}

export class VerifyEmailDto {
  @ApiProperty({ description: 'The token from the link in the e-mail' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  token: string;
}
