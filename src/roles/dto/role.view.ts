import { ApiProperty } from '@nestjs/swagger';
import type { Role } from '../entities/role.entity';
import { rolePermissions } from '../role-names';

export class RoleView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ADMIN' })
  name: string;

  @ApiProperty({ example: 'ADMIN', description: 'The authority a role grants; equal to its name' })
  authority: string;

  @ApiProperty({ nullable: true, type: String })
  description: string | null;

  @ApiProperty({
    example: ['patients:read'],
    description: 'What the role grants, including what a built-in role implies (ADMIN holds every built-in permission)',
  })
  permissions: string[];

  static of(role: Role): RoleView {
    return {
      id: role.id,
      name: role.name,
      authority: role.name,
      description: role.description ?? null,
      permissions: rolePermissions(role),
    };
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
