import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * The generated HS512 key shared by every instance on one PostgreSQL database when JWT_SECRET is not
 * set. Setting JWT_SECRET (from a secret store) keeps the key out of the database; see the README.
 */
@Entity({ name: 'signing_keys' })
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  /** base64url of the key bytes. */
  @Column({ type: 'varchar', length: 255 })
  secret: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
