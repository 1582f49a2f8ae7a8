import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A login sent to a provider and not yet back: what the callback must check (nonce, PKCE verifier)
 * and where to return. Keyed by the SHA-256 of `state`; single use; lives a few minutes. In the
 * database rather than in memory so the callback may land on any instance.
 */
@Entity({ name: 'oidc_pending_logins' })
export class OidcPendingLogin {
  @PrimaryColumn({ name: 'state_hash', type: 'varchar', length: 64 })
  stateHash: string;

  @Column({ type: 'varchar', length: 40 })
  provider: string;

  @Column({ type: 'varchar', length: 128 })
  nonce: string;

  @Column({ name: 'code_verifier', type: 'varchar', length: 128 })
  codeVerifier: string;

  @Column({ type: 'varchar', length: 2048 })
  redirect: string;

  /** The callback URL sent to the provider, sent again with the code (they must match). */
  @Column({ name: 'redirect_uri', type: 'varchar', length: 2048 })
  redirectUri: string;

  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;
}
