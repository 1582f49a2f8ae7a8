import { Column, CreateDateColumn, Entity, JoinTable, ManyToMany, UpdateDateColumn } from 'typeorm';
import { UuidEntity } from '../../database/uuid-primary';
import { Role } from '../../roles/entities/role.entity';

@Entity({ name: 'users' })
export class User extends UuidEntity {
  /** As the user typed it; uniqueness is enforced on `usernameNormalized`. */
  @Column({ type: 'varchar', length: 64 })
  username: string;

  /** Lower-cased username with a unique index: usernames are unique regardless of case. */
  @Column({ name: 'username_normalized', type: 'varchar', length: 64, unique: true })
  usernameNormalized: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  /** Whether the owner proved they receive mail at `email` (a verification link, or an administrator); reset links go only to such an address. */
  @Column({ name: 'email_verified', type: 'boolean', default: false })
  emailVerified: boolean;

  /** The user's language for e-mail (a BCP 47 tag such as `en` or `pt-BR`); null: English. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  locale: string | null;

  @Column({ name: 'first_name', type: 'varchar', length: 100, nullable: true })
  firstName: string | null;

  @Column({ name: 'last_name', type: 'varchar', length: 100, nullable: true })
  lastName: string | null;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** argon2id PHC string; null for users who cannot log in with a password. Never leaves the service layer. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true, select: false })
  passwordHash: string | null;

  /** The OpenID Connect provider (its short name) this user first logged in through; null for local users. */
  @Column({ name: 'identity_provider', type: 'varchar', length: 40, nullable: true })
  identityProvider: string | null;

  /** The provider's stable id for the user (the `systemId` claim, `sub` by default). Set once, never changed. */
  @Column({ name: 'system_id', type: 'varchar', length: 255, nullable: true })
  systemId: string | null;

  @ManyToMany(() => Role, { eager: false })
  @JoinTable({
    name: 'user_roles',
    joinColumn: { name: 'user_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'role_id', referencedColumnName: 'id' },
  })
  roles: Role[];

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;
}
