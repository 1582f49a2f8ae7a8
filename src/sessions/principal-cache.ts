import type { Identity } from '../common/interfaces/authenticated-user';

/** What the bearer guard needs to know about a token's session, as last read from the database. */
export type SessionCheck =
  | ({ ok: true } & Identity)
  | { ok: false; reason: 'unknown-session' | 'revoked' | 'expired' | 'user-disabled' | 'user-unknown' | 'credentials-changed' };

interface SessionEntry {
  sessionId: string;
  userId: string;
  /** The user's entry, shared by all their sessions (holds their identity). */
  user: UserEntry;
  /** Epoch ms after which the check is stale on its own (the session's expiry as read). */
  validUntil: number;
  /** Set when the session was refused; a good session's answer is its user's identity. */
  refusal?: SessionCheck;
  /** The cache's placement count when this entry last took the newest place (see `get`). */
  placed: number;
  /** Set when the entry leaves the cache: a holder's reference to it (SessionRef) is then stale. */
  dropped?: true;
}

/**
 * A session's cache entry as a caller may keep it beside what it caches itself (the bearer guard keeps
 * it with a verified token): `get` reads it again without a lookup while it is still in the cache.
 */
export type SessionRef = object;

/** Where a caller keeps a session's reference between calls (see `PrincipalCache.get`). */
export interface SessionRefHolder {
  session?: SessionRef;
}

interface UserEntry {
  identity?: SessionCheck;
  sessions: Set<string>;
}

/**
 * The bearer guard's cache of session checks. An entry stays until its session is revoked (an event
 * drops it: RevocationBus) or expires — not for a fixed time, so the cost of revocation does not grow
 * with the number of sessions. It is bounded (the least recently used session goes first, to within
 * half the cache: see `get`), so memory stays flat however many sessions it has seen: at most
 * `maxEntries` sessions, a user's identity (id, name, roles) held once for all their sessions —
 * about 0.6 KB a session, so 50,000 sessions take about 30 MB (measured in principal-cache.spec.ts).
 * "Something about this user changed" drops their sessions without scanning the cache.
 */
export class PrincipalCache {
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly byUser = new Map<string, UserEntry>();
  /** Entries placed at the newest end so far (set, or moved there by a hit). */
  private placements = 0;

  constructor(private readonly maxEntries = 50_000) {}

  /**
   * The session's check, or undefined (not cached, or stale). With a `holder` (always the same one
   * for the same session id), the entry found is kept in it, and the next call reads that entry
   * without a lookup for as long as it stays in the cache.
   */
  get(sessionId: string, now = Date.now(), holder?: SessionRefHolder): SessionCheck | undefined {
    let entry = holder?.session as SessionEntry | undefined;
    if (!entry || entry.dropped || entry.sessionId !== sessionId) {
      entry = this.sessions.get(sessionId);
      // Kept only while in the cache: a holder never keeps a dropped entry (and its user's) alive.
      if (holder) holder.session = entry;
      if (!entry) return undefined;
    }
    if (entry.validUntil <= now) {
      this.dropSession(sessionId);
      if (holder) holder.session = undefined;
      return undefined;
    }
    // Least recently used goes first: a hit moves the entry to the newest end (Maps keep insertion
    // order), but only once it has fallen into the older half. Moving it on every hit cost a delete and
    // a set per request, and V8 keeps deleted entries in their bucket's chain until the table is
    // rebuilt, so re-adding a busy session's key walked thousands of them: one client reusing its token
    // paid about 20 µs a request. An entry used at least once per maxEntries / 2 placements is never evicted.
    if (!this.isRecent(entry)) {
      this.sessions.delete(sessionId);
      entry.placed = ++this.placements;
      this.sessions.set(sessionId, entry);
    }
    return entry.refusal ?? entry.user.identity;
  }

  set(sessionId: string, userId: string, check: SessionCheck, validUntil: number): void {
    // The same session read again (while revocations are not trusted, every request reads afresh) is
    // updated where it stands when it is recent: dropping and re-adding it would churn the table as a
    // hit once did (see `get`).
    const current = this.sessions.get(sessionId);
    if (current?.userId === userId && this.isRecent(current)) {
      current.validUntil = validUntil;
      current.refusal = check.ok ? undefined : check;
      if (check.ok) current.user.identity = check;
      return;
    }
    this.add(sessionId, userId, check, validUntil);
  }

  /** Placed within the last half of the cache's bound: in its newer half. */
  private isRecent(entry: SessionEntry): boolean {
    return this.placements - entry.placed < this.maxEntries / 2;
  }

  private add(sessionId: string, userId: string, check: SessionCheck, validUntil: number): void {
    this.dropSession(sessionId);
    while (this.sessions.size >= this.maxEntries) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.dropSession(oldest);
    }
    let user = this.byUser.get(userId);
    if (!user) this.byUser.set(userId, (user = { sessions: new Set() }));
    if (check.ok) user.identity = check;
    user.sessions.add(sessionId);
    const placed = ++this.placements;
    this.sessions.set(
      sessionId,
      check.ok ? { sessionId, userId, user, validUntil, placed } : { sessionId, userId, user, validUntil, refusal: check, placed },
    );
  }

  dropSession(sessionId: string): void {
    const entry = this.sessions.get(sessionId);
    if (!entry) return;
    this.sessions.delete(sessionId);
    entry.dropped = true;
    entry.user.sessions.delete(sessionId);
    if (entry.user.sessions.size === 0) this.byUser.delete(entry.userId);
  }

  dropUser(userId: string): void {
    const user = this.byUser.get(userId);
    if (!user) return;
    for (const sessionId of user.sessions) {
      const entry = this.sessions.get(sessionId);
      if (entry) entry.dropped = true;
      this.sessions.delete(sessionId);
    }
    // A held reference may outlive the entry until its next read: keep it small.
    user.sessions.clear();
    this.byUser.delete(userId);
  }

  clear(): void {
    for (const entry of this.sessions.values()) entry.dropped = true;
    for (const user of this.byUser.values()) user.sessions.clear();
    this.sessions.clear();
    this.byUser.clear();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Users with at least one cached session. */
  get users(): number {
    return this.byUser.size;
  }
}
