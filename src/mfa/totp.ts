import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD = 30;
const TOTP_DIGITS = 6;

export function newTotpSecret(): string {
  // 160 bits: RFC 4226 §4 recommends it for HMAC-SHA-1.
  return new Secret({ size: 20 }).base32;
}

function totpOf(secretBase32: string, label = 'user', issuer = 'Gatehouse'): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD, secret: Secret.fromBase32(secretBase32) });
}

export function otpauthUri(secretBase32: string, username: string, issuer: string): string {
  return totpOf(secretBase32, username, issuer).toString();
}

/**
 * The time step `code` is valid for, allowing one step of drift either way (RFC 6238 §5.2), or
 * undefined. Replay is the caller's business: a step is spent once (MfaRepository.useTotpStep).
 */
export function totpStepOf(secretBase32: string, code: string, now = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totpOf(secretBase32).validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return undefined;
  return Math.floor(now / 1000 / TOTP_PERIOD) + delta;
}
