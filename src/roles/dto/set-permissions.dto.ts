import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Matches } from 'class-validator';
import { MAX_PERMISSIONS, PERMISSION_PATTERN } from '../../common/permissions';

export class SetPermissionsDto {
  @ApiProperty({
    example: ['patients:read', 'patients:write'],
    description:
      'The whole list (it replaces the role’s): lower-case letters, digits and _ . : - , at most 64 characters each. ' +
      'Built-in roles keep the permissions they imply (ADMIN: every built-in one; INTROSPECT: introspect) whatever is sent.',
  })
  @IsArray()
  @ArrayMaxSize(MAX_PERMISSIONS)
  @IsString({ each: true })
  @Matches(PERMISSION_PATTERN, { each: true, message: 'each permission must hold 1–64 lower-case letters, digits, "_", ".", ":" or "-"' })
  permissions: string[];
}
