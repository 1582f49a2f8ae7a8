import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { UuidEntity } from '../../database/uuid-primary';
import { User } from '../../users/entities/user.entity';

/**
 * One refresh token of a session. Tokens are opaque to clients; only their SHA-256 is stored, so a
 * database leak does not hand out live sessions. All tokens descended from one login share `sessionId`.
 */
@Entity({ name: 'refresh_tokens' })
export class RefreshToken extends UuidEntity {
  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash: string;

  @Index()
  @Column({ name: 'session_id', type: 'varchar', length: 36 })
  sessionId: string;

  @Index()
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  /** Set when the token was exchanged for its successor; presenting it again is reuse. */
  @Column({ name: 'spent_at', type: Date, nullable: true })
  spentAt: Date | null;

  /** Set when the whole session was ended (reuse detected, logout, admin action). */
  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt: Date | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
