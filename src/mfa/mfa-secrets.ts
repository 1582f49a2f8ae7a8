import { Injectable } from '@nestjs/common';
import { KeyObject, createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { KeyStore } from '../keys/key-store';

const TOTP_KEY_PURPOSE = 'gatehouse mfa totp secret v1';
const RECOVERY_KEY_PURPOSE = 'gatehouse mfa recovery code v1';
/** Crockford-like base32 without look-alikes (no 0/O, 1/I/L): easy to read out and type. */
const RECOVERY_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const RECOVERY_GROUPS = 3;
const RECOVERY_GROUP_LENGTH = 4;
export const RECOVERY_CODE_COUNT = 10;

/**
 * The mfa module's cryptography, all with keys derived from the root secret (HKDF, KeyStore): TOTP
 * secrets are encrypted at rest (AES-256-GCM, bound to their user), recovery codes and challenges
 * are stored only as hashes.
 */
@Injectable()
export class MfaSecrets {
  private totpKey?: KeyObject;
  private recoveryKey?: KeyObject;

  constructor(private readonly keys: KeyStore) {}

  encryptTotpSecret(userId: string, secretBase32: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.totp(), iv).setAAD(Buffer.from(userId));
    const sealed = Buffer.concat([cipher.update(secretBase32, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), sealed.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  decryptTotpSecret(userId: string, stored: string): string {
    const [version, iv, sealed, tag] = stored.split('.');
    if (version !== 'v1' || !iv || !sealed || !tag) throw new Error('Unknown TOTP secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.totp(), Buffer.from(iv, 'base64url')).setAAD(Buffer.from(userId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** Ten fresh recovery codes (`XXXX-XXXX-XXXX`, about 59 bits each). */
  newRecoveryCodes(): string[] {
    return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
      Array.from({ length: RECOVERY_GROUPS }, () =>
        Array.from({ length: RECOVERY_GROUP_LENGTH }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join(''),
      ).join('-'),
    );
  }

  /** A recovery code's stored form: keyed, so a copy of the table alone cannot be searched offline. Spaces, dashes and case do not matter. */
  hashRecoveryCode(code: string): string {
    const normalized = code.toUpperCase().replace(/[\s-]/g, '');
    return createHmac('sha256', this.recovery()).update(normalized).digest('hex');
  }

  private totp(): KeyObject {
    return (this.totpKey ??= this.keys.deriveKey(TOTP_KEY_PURPOSE));
  }

  private recovery(): KeyObject {
    return (this.recoveryKey ??= this.keys.deriveKey(RECOVERY_KEY_PURPOSE));
  }
}

/** A challenge's or an mfa_token's stored form. */
export function hashChallenge(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
