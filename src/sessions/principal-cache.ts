import type { Identity } from '../common/interfaces/authenticated-user';

/** What the bearer guard needs to know about a token's session, as last read from the database. */
export type SessionCheck =
  | ({ ok: true } & Identity)
  | { ok: false; reason: 'unknown-session' | 'revoked' | 'expired' | 'user-disabled' | 'user-unknown' | 'credentials-changed' };

interface Entry {
  check: SessionCheck;
  userId: string;
  expiresAt: number;
}

/**
 * A small in-process cache of session checks, so the bearer guard reads the database at most once
 * per session per `ttlMs` (REVOCATION_MAX_LAG). Revocations on this instance drop entries at once;
 * other instances' revocations arrive through the RevocationBus or expire with the entry.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  get(sessionId: string, now = Date.now()): SessionCheck | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry.check;
  }

  set(sessionId: string, userId: string, check: SessionCheck, now = Date.now()): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(sessionId, { check, userId, expiresAt: now + this.ttlMs });
  }

  dropSession(sessionId: string): void {
    this.entries.delete(sessionId);
  }

  dropUser(userId: string): void {
    for (const [sessionId, entry] of this.entries) {
      if (entry.userId === userId) this.entries.delete(sessionId);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
