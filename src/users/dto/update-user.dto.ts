import { OmitType, PartialType, PickType } from '@nestjs/swagger';
import { CreateUserDto } from './create-user.dto';

/** What an administrator may change about any user: everything but the username. */
export class UpdateUserDto extends PartialType(OmitType(CreateUserDto, ['username'] as const)) {}

/** What users may change about themselves: never their roles, `enabled` or (here) password. */
export class UpdateProfileDto extends PickType(UpdateUserDto, ['email', 'firstName', 'lastName'] as const) {}
