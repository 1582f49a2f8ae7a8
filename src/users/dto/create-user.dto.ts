import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsOptional, IsString, Matches, MaxLength, Validate } from 'class-validator';
import { IsAcceptablePassword } from './password-policy.validator';
import { BasicSafe, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, USERNAME_MESSAGE, USERNAME_PATTERN } from '../../common/credentials';

export class CreateUserDto {
  @ApiProperty({ example: 'alice', pattern: USERNAME_PATTERN.source })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: USERNAME_MESSAGE })
  username: string;

  @ApiProperty({
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    example: 'correct horse battery staple',
    description: 'At least PASSWORD_MIN_LENGTH (12) characters, not a common password, not the username',
  })
  @IsString()
  @MaxLength(1024)
  @IsAcceptablePassword()
  password: string;

  @ApiPropertyOptional({ example: 'alice@example.org', nullable: true, type: String })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  @Validate(BasicSafe)
  email?: string | null;

  @ApiPropertyOptional({
    example: 'en',
    nullable: true,
    type: String,
    description: 'Language of e-mail (BCP 47, e.g. en, de, pt-BR); English when unset',
  })
  @IsOptional()
  @Matches(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, { message: 'locale must be a language tag such as en, de or pt-BR' })
  locale?: string | null;

  @ApiPropertyOptional({ example: 'Alice', nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Validate(BasicSafe)
  firstName?: string | null;

  @ApiPropertyOptional({ example: 'Liddell', nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Validate(BasicSafe)
  lastName?: string | null;

  @ApiPropertyOptional({ example: true, default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ example: ['USER'], description: 'Role names; USER when omitted on creation' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  roles?: string[];
}
