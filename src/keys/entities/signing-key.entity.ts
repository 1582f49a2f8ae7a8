import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * The generated HS512 key shared by every instance on one PostgreSQL database when JWT_SECRET is not
 * set. Setting JWT_SECRET (from a secret store) keeps the key out of the database; see the README.
 */
@Entity({ name: 'signing_keys' })
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  /** base64url of the key bytes (the HS512 root secret); empty for a key pair. */
  @Column({ type: 'varchar', length: 255 })
  secret: string;

  /** A key pair's JWS algorithm (EdDSA, ES256, RS256, PS256); null for the root secret. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  alg: string | null;

  /** A key pair's private key, PKCS#8 PEM. */
  @Column({ name: 'private_key', type: 'text', nullable: true })
  privateKey: string | null;

  /** When the key pair starts signing (it is published from its creation on). */
  @Column({ name: 'activates_at', type: Date, nullable: true })
  activatesAt: Date | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
