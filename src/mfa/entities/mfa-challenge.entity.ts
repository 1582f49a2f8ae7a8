import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A short-lived, single-use challenge, stored as the SHA-256 of its value: the `mfa_token` between a
 * password and its second factor, or a WebAuthn challenge (registration, login). In the database so
 * that any instance can complete what another started.
 */
@Entity({ name: 'mfa_challenges' })
export class MfaChallenge {
  @PrimaryColumn({ name: 'id_hash', type: 'varchar', length: 64 })
  idHash: string;

  @Column({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId: string | null;

  /** JSON: what completing the challenge needs (the login's method and amr, the passkey's name, …). */
  @Column({ type: 'text', nullable: true })
  data: string | null;

  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  @Column({ name: 'used_at', type: Date, nullable: true })
  usedAt: Date | null;
}
