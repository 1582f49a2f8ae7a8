import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * The token of a link sent by e-mail (a password reset, an address verification): stored as its
 * SHA-256, single use, bound to what it may change — the fingerprint of the password hash it
 * replaces, or the SHA-256 of the address it confirms — so a change since makes it useless.
 */
@Entity({ name: 'account_tokens' })
export class AccountToken {
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ type: 'varchar', length: 64 })
  binding: string;

  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  @Column({ name: 'used_at', type: Date, nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
