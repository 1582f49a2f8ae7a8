import { Column, CreateDateColumn, Entity } from 'typeorm';
import { UuidEntity } from '../../database/uuid-primary';

/** A passkey: the public key of a WebAuthn credential a user registered, with its signature counter. */
@Entity({ name: 'webauthn_credentials' })
export class WebAuthnCredential extends UuidEntity {
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  /** The credential id, base64url (as the authenticator reports it). */
  @Column({ name: 'credential_id', type: 'varchar', length: 1024 })
  credentialId: string;

  /** The COSE public key, base64url. */
  @Column({ name: 'public_key', type: 'text' })
  publicKey: string;

  @Column({ type: 'bigint', default: 0 })
  counter: string | number;

  /** Comma-separated AuthenticatorTransport values (`internal`, `usb`, `hybrid`, …). */
  @Column({ type: 'varchar', length: 255, nullable: true })
  transports: string | null;

  /** `singleDevice` (a hardware-bound key: amr hwk) or `multiDevice` (a synced passkey: amr swk). */
  @Column({ name: 'device_type', type: 'varchar', length: 16 })
  deviceType: string;

  @Column({ name: 'backed_up', type: 'boolean' })
  backedUp: boolean;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: Date, nullable: true })
  lastUsedAt: Date | null;
}
