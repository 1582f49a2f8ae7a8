import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, Validate } from 'class-validator';
import { BasicSafe } from '../../common/credentials';

/** What may change about a role after its creation besides its permissions: its description (a name is what tokens carry). */
export class UpdateRoleDto {
  @ApiProperty({
    example: 'Reads the audit log',
    nullable: true,
    type: String,
    description: 'null or "" removes it; left out, it stays as it is',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Validate(BasicSafe)
  description?: string | null;
}
