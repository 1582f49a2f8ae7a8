import type { SessionRef } from '../sessions/principal-cache';

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
  /** The session's entry in the session-check cache, read again without a lookup (SessionsService.checkCached). */
  session?: SessionRef;
}

/**
 * The cache key of a token: its signature (the part after the last dot). The entry keeps the whole
 * token, and a hit needs the presented token to equal it: a signature under an altered header or
 * payload finds the entry but not a match. Hashing the ~700 characters instead (SHA-256) cost about
 * 1 µs a request; the signature is ~86 characters and the comparison a memory compare.
 */
function keyOf(token: string): string {
  const dot = token.lastIndexOf('.');
  return dot < 0 ? token : token.slice(dot + 1);
}

interface Entry<T> {
  /** The whole token that was verified (only this exact string is a hit). */
  token: string;
  verified: T;
}

/**
 * A bounded cache of access tokens that passed full verification (signature, algorithm, claims),
 * found by their signature and matched on the whole token string: only the very bytes that were
 * verified are a hit. An entry is only trusted before the token's own `exp` (plus CLOCK_TOLERANCE);
 * revocation is still checked on every hit by the caller. Oldest entries are evicted first.
 */
export class VerifiedTokenCache<T extends { exp: number } = VerifiedToken> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly clockToleranceSeconds = 0,
  ) {}

  get(token: string, nowMs = Date.now()): T | undefined {
    const key = keyOf(token);
    const entry = this.entries.get(key);
    // The same signature under other bytes is not this entry (and does not disturb it).
    if (!entry || entry.token !== token) return undefined;
    // RFC 7519 §4.1.4: invalid at or after exp (same rule as jsonwebtoken, which verified it).
    if (nowMs >= (entry.verified.exp + this.clockToleranceSeconds) * 1000) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.verified;
  }

  set(token: string, verified: T): void {
    const key = keyOf(token);
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { token, verified });
  }

  get size(): number {
    return this.entries.size;
  }
}
