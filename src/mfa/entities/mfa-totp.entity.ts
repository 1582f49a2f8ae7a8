import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A user's TOTP authenticator: the secret (encrypted), whether enrolment was confirmed, the last time step used. */
@Entity({ name: 'mfa_totp' })
export class MfaTotp {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  /** AES-256-GCM under a key derived from the root secret (MfaSecrets); never returned after enrolment. */
  @Column({ type: 'varchar', length: 255 })
  secret: string;

  @Column({ name: 'confirmed_at', type: Date, nullable: true })
  confirmedAt: Date | null;

  /** The last 30-second step a code was accepted for: a code is good once (RFC 6238 §5.2). */
  @Column({ name: 'last_step', type: 'bigint', default: 0 })
  lastStep: string | number;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
