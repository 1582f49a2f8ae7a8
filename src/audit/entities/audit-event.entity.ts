import { Column, Entity, Index } from 'typeorm';
import { UuidEntity } from '../../database/uuid-primary';

/** One security-relevant event. Never holds passwords or tokens. */
@Entity({ name: 'audit_events' })
export class AuditEvent extends UuidEntity {
  @Index()
  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  @Index()
  @Column({ type: 'varchar', length: 40 })
  type: string;

  /** The user the event is about (kept after the user is deleted). */
  @Index()
  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId: string | null;

  /** As typed at login (for failures of unknown users too), or the user's name. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  username: string | null;

  /** The administrator or user who acted, when not the subject. */
  @Column({ name: 'actor_id', type: 'varchar', length: 36, nullable: true })
  actorId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  /** Small JSON object with event details (e.g. roles before and after). */
  @Column({ type: 'varchar', length: 1000, nullable: true })
  details: string | null;
}
