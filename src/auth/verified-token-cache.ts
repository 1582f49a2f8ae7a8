import { hash } from 'node:crypto';

/** What a verified access token said, kept so the next request with the same token skips re-verification. */
export interface VerifiedToken {
  sub: string;
  sid: string;
  /** Seconds since the epoch. */
  exp: number;
  amr?: string[];
  authTime?: number;
  restriction?: string;
  /** The token's scope, resolved (a `scope_ref` too); undefined for a token from before permissions. */
  scope?: string[];
  /**
   * The permissions last granted for it, and the identity they were computed from: while the
   * session check returns the same identity object (nothing about the user changed), they hold.
   */
  granted?: { of: object; permissions: string[] };
}

/** The cache key of a token: its SHA-256 (44 characters instead of the ~700 of a token held 50,000 times). */
function keyOf(token: string): string {
  return hash('sha256', token, 'base64');
}

/**
 * A bounded cache of access tokens that passed full verification (signature, algorithm, claims),
 * keyed by the SHA-256 of the whole token string: the same bytes cannot carry a different
 * signature, and another token with the same digest would take a second preimage of SHA-256. An entry
 * is only trusted before the token's own `exp` (plus CLOCK_TOLERANCE); revocation is still checked
 * on every hit by the caller. Oldest entries are evicted first.
 */
export class VerifiedTokenCache<T extends { exp: number } = VerifiedToken> {
  private readonly entries = new Map<string, T>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly clockToleranceSeconds = 0,
  ) {}

  get(token: string, nowMs = Date.now()): T | undefined {
    const key = keyOf(token);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // RFC 7519 §4.1.4: invalid at or after exp (same rule as jsonwebtoken, which verified it).
    if (nowMs >= (entry.exp + this.clockToleranceSeconds) * 1000) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(token: string, verified: T): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(keyOf(token), verified);
  }

  get size(): number {
    return this.entries.size;
  }
}
