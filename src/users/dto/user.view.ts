import { ApiProperty } from '@nestjs/swagger';
import { RoleRef } from '../../roles/dto/role.view';
import type { User } from '../entities/user.entity';

/** A user as the API shows it: never the password hash. */
export class UserView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'alice' })
  username: string;

  @ApiProperty({ nullable: true, type: String })
  email: string | null;

  @ApiProperty({ description: 'Whether the owner confirmed the address (a verification link, or an administrator)' })
  emailVerified: boolean;

  @ApiProperty({ nullable: true, type: String, description: 'Language of e-mail' })
  locale: string | null;

  @ApiProperty({ nullable: true, type: String })
  firstName: string | null;

  @ApiProperty({ nullable: true, type: String })
  lastName: string | null;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ nullable: true, type: String, description: 'The OpenID Connect provider the user came from; null for local users' })
  identityProvider: string | null;

  @ApiProperty({ nullable: true, type: String, description: "The provider's id for the user (set once, never changed)" })
  systemId: string | null;

  @ApiProperty({ type: [RoleRef] })
  roles: RoleRef[];

  @ApiProperty()
  createdAt: string;

  @ApiProperty()
  updatedAt: string;

  static of(user: User): UserView {
    return {
      id: user.id,
      username: user.username,
      email: user.email ?? null,
      emailVerified: Boolean(user.emailVerified),
      locale: user.locale ?? null,
      firstName: user.firstName ?? null,
      lastName: user.lastName ?? null,
      enabled: user.enabled,
      identityProvider: user.identityProvider ?? null,
      systemId: user.systemId ?? null,
      roles: (user.roles ?? []).map(RoleRef.of).sort((a, b) => a.name.localeCompare(b.name)),
      createdAt: new Date(user.createdAt).toISOString(),
      updatedAt: new Date(user.updatedAt).toISOString(),
    };
  }
}

export class UserPage {
  @ApiProperty({ type: [UserView] })
  items: UserView[];

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 20 })
  limit: number;

  @ApiProperty({ example: 1, description: 'Number of users in all pages' })
  total: number;
}
