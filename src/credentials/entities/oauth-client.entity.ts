import { Column, CreateDateColumn, Entity } from 'typeorm';
import { UuidEntity } from '../../database/uuid-primary';

/**
 * A service client (OAuth 2 client credentials, RFC 6749 §4.4): its id is the `client_id`, its
 * secret is stored argon2-hashed; after a rotation the previous secret works until
 * `previousSecretExpiresAt`.
 */
@Entity({ name: 'oauth_clients' })
export class OAuthClient extends UuidEntity {
  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** The permissions the client may ask for (and holds), sorted. */
  @Column({ type: 'simple-json' })
  scopes: string[];

  @Column({ name: 'secret_hash', type: 'varchar', length: 255, select: false })
  secretHash: string;

  @Column({ name: 'previous_secret_hash', type: 'varchar', length: 255, nullable: true, select: false })
  previousSecretHash: string | null;

  @Column({ name: 'previous_secret_expires_at', type: Date, nullable: true })
  previousSecretExpiresAt: Date | null;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ name: 'created_by', type: 'varchar', length: 36, nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'secret_rotated_at', type: Date, nullable: true })
  secretRotatedAt: Date | null;
}
