import { ApiPropertyOptional, OmitType, PartialType, PickType } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { CreateUserDto } from './create-user.dto';

/** What an administrator may change about any user: everything but the username. */
export class UpdateUserDto extends PartialType(OmitType(CreateUserDto, ['username'] as const)) {
  @ApiPropertyOptional({
    description: 'Mark the e-mail address verified (audited) or not; a changed address is unverified unless this says true',
  })
  @IsOptional()
  @IsBoolean()
  emailVerified?: boolean;
}

/** What users may change about themselves: never their roles, `enabled`, verification or (here) password. */
export class UpdateProfileDto extends PickType(UpdateUserDto, ['email', 'firstName', 'lastName', 'locale'] as const) {}
