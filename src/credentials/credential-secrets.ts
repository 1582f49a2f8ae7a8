import { createHash, hash, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Random characters per secret: 32 of 62 symbols, about 190 bits. */
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;

/** Gatehouse's own prefixes, so secret scanners can spot a leaked credential (and tell which kind). */
export const PAT_PREFIX = 'gth_';
export const CLIENT_SECRET_PREFIX = 'gthcs_';

/**
 * A new opaque credential: prefix, 32 random base62 characters (uniform: `randomInt` rejects bias),
 * and a 6-character checksum over them — a typo or a truncated copy is refused without a lookup,
 * and scanners can tell a real token from a look-alike offline.
 */
export function newSecret(prefix: string): string {
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) random += BASE62[randomInt(62)];
  return `${prefix}${random}${checksum(prefix, random)}`;
}

/** Whether the text has the shape of a credential with this prefix and a checksum that matches. */
export function isWellFormedSecret(text: string, prefix: string): boolean {
  if (text.length !== prefix.length + RANDOM_LENGTH + CHECKSUM_LENGTH || !text.startsWith(prefix)) return false;
  const body = text.slice(prefix.length);
  if (!/^[0-9A-Za-z]+$/.test(body)) return false;
  return checksum(prefix, body.slice(0, RANDOM_LENGTH)) === body.slice(RANDOM_LENGTH);
}

/** SHA-256 (hex) of a high-entropy credential: how it is stored and looked up (no salt needed at 190 bits). */
export function secretDigest(secret: string): string {
  // One-shot: cheaper than a Hash object on the bearer guard's path.
  return hash('sha256', secret, 'hex');
}

function checksum(prefix: string, random: string): string {
  const digest = createHash('sha256').update(`${prefix}${random}`).digest();
  let value = digest.readUIntBE(0, 6);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out += BASE62[value % 62];
    value = Math.floor(value / 62);
  }
  return out;
}
