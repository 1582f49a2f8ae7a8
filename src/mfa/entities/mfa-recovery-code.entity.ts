import { Column, CreateDateColumn, Entity } from 'typeorm';
import { UuidEntity } from '../../database/uuid-primary';

/** One recovery code: stored as a keyed hash, spent once. */
@Entity({ name: 'mfa_recovery_codes' })
export class MfaRecoveryCode extends UuidEntity {
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @Column({ name: 'used_at', type: Date, nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
