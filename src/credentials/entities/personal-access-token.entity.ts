import { Column, CreateDateColumn, Entity, Index } from 'typeorm';
import { UuidEntity } from '../../database/uuid-primary';

/**
 * A personal access token: an opaque `gth_…` credential a user makes for a script, acting as them
 * within its scopes. Only its SHA-256 is stored; the token itself is shown once.
 */
@Entity({ name: 'personal_access_tokens' })
export class PersonalAccessToken extends UuidEntity {
  @Index()
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true, select: false })
  tokenHash: string;

  /** Sorted permission names; at use, narrowed further to what the owner holds then. */
  @Column({ type: 'simple-json' })
  scopes: string[];

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  /** Written at most once a minute per token (not on every request). */
  @Column({ name: 'last_used_at', type: Date, nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt: Date | null;
}
