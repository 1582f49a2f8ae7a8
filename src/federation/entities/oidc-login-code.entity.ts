import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The one-time code the callback hands to the frontend (in the redirect's fragment) for
 * POST /authenticate/oidc/token: it names the session the callback started. Stored as a SHA-256;
 * single use; valid for a minute.
 */
@Entity({ name: 'oidc_login_codes' })
export class OidcLoginCode {
  @PrimaryColumn({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ name: 'session_id', type: 'varchar', length: 36 })
  sessionId: string;

  @Column({ type: 'varchar', length: 40 })
  provider: string;

  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;
}
