import type { AuthenticatedUser } from './authenticated-user';

/**
 * Verified tokens remembered at most (a token and its principal take about 1 KB, 2 KB with a long
 * scope: 10,000 → 10 to 20 MB). The principal holds the token's permissions already split, so no
 * request parses its `scope` again.
 */
export const VERIFIED_TOKENS_CACHED = 10_000;

/**
 * A bounded cache of access tokens that passed full verification (signature, algorithm, claims),
 * keyed by the whole token string: the same bytes cannot carry another signature or other claims.
 * An entry is trusted only before the token's own `exp` (plus the clock tolerance), so the signature
 * check stays off the hot path without extending any token's life. The oldest entry is evicted first
 * (FIFO): a flood of distinct valid tokens costs verifications, never unbounded memory.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, AuthenticatedUser>();

  constructor(
    private readonly maxEntries = VERIFIED_TOKENS_CACHED,
    private readonly clockToleranceSeconds = 0,
  ) {}

  get(token: string, nowMs = Date.now()): AuthenticatedUser | undefined {
    const user = this.entries.get(token);
    if (!user) return undefined;
    // RFC 7519 §4.1.4: invalid at or after exp (the rule jose applied when it verified the token).
    if (nowMs >= (user.tokenExpiresAt + this.clockToleranceSeconds) * 1000) {
      this.entries.delete(token);
      return undefined;
    }
    return user;
  }

  set(token: string, user: AuthenticatedUser): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, user);
  }

  get size(): number {
    return this.entries.size;
  }
}
