import { Column, CreateDateColumn, Entity, Index } from 'typeorm';
import { UuidEntity } from '../../database/uuid-primary';

/**
 * One login: started by SessionsService.startSession (password or delegated login), kept alive by refresh-token rotation, ended by logout,
 * reuse detection or an administrator. Access tokens name it in their `sid` claim, and the bearer
 * guard refuses tokens of an ended session.
 */
@Entity({ name: 'sessions' })
export class Session extends UuidEntity {
  @Index()
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  /** The last login or refresh of the session (not every API call: that would be a write per request). */
  @Column({ name: 'last_used_at', type: Date })
  lastUsedAt: Date;

  /** When the newest refresh token expires; access tokens of the session never outlive it. */
  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  /** How the session was started: `password`, `oidc:<provider>`. */
  @Column({ name: 'auth_method', type: 'varchar', length: 64, nullable: true })
  authMethod: string | null;

  /** RFC 8176 authentication method references, comma-separated (`pwd`; a provider's own `amr`). */
  @Column({ type: 'varchar', length: 255, nullable: true })
  amr: string | null;

  /** The fingerprint of the password the session was started with (null: not a password login); it ends when that changes. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  credential: string | null;

  /** What the session may do: null (everything its roles allow) or `mfa_enrolment` (only enrol a second factor: MFA_REQUIRED_ROLES). */
  @Column({ type: 'varchar', length: 32, nullable: true })
  restriction: string | null;

  /** The permissions the login asked for, space-separated (a down-scoped session); null: all the user's permissions. */
  @Column({ type: 'text', nullable: true })
  scope: string | null;
}
