import { ApiProperty } from '@nestjs/swagger';
import type { Role } from '../entities/role.entity';

export class RoleView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ADMIN' })
  name: string;

  @ApiProperty({ example: 'ADMIN', description: 'The authority a role grants; equal to its name' })
  authority: string;

  @ApiProperty({ nullable: true, type: String })
  description: string | null;

  static of(role: Role): RoleView {
    return { id: role.id, name: role.name, authority: role.name, description: role.description ?? null };
  }
}

/** The short form of a role inside a user. */
export class RoleRef {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'USER' })
  name: string;

  static of(role: Role): RoleRef {
    return { id: role.id, name: role.name };
  }
}
