import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, Validate } from 'class-validator';
import { BasicSafe } from '../../common/credentials';

export class CreateRoleDto {
  @ApiProperty({ example: 'AUDITOR', description: 'Letters, digits, `_`, `-` and `.`; starts with a letter' })
  @IsString()
  @Matches(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, {
    message: 'name must start with a letter and hold at most 64 letters, digits, "_", "-" or "."',
  })
  name: string;

  @ApiPropertyOptional({ example: 'Reads the audit log' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Validate(BasicSafe)
  description?: string;
}
