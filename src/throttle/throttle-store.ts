import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

/** The username lock's settings, as the store needs them. */
export interface LockPolicy {
  maxFailures: number;
  lockSeconds: number;
  lockMaxSeconds: number;
  failureResetSeconds: number;
}

/**
 * The answer to "may this password check start now?":
 * - `allowed`: a slot was taken for it (settle it when the check is done);
 * - `wait`: every slot left is held by checks still running — ask again shortly, their outcome decides;
 * - `refused`: locked (username) or over the limit (address) for `seconds` more.
 */
export type Reservation = { kind: 'allowed' } | { kind: 'wait' } | { kind: 'refused'; seconds: number };

/** How a check ended: `abandoned` gives the slot back without counting (it never verified anything). */
export type Outcome = 'success' | 'failure' | 'abandoned';

/**
 * How long a slot is held at most. A process that dies mid-check cannot hold it for ever; a check
 * waits for the password hash at most this long under any sane load.
 */
export const IN_FLIGHT_TTL_MS = 120_000;

/**
 * Where login counters live: memory on one instance, Redis when instances must share them.
 *
 * A check takes a slot **before** the password is verified, and it may only start while failures
 * counted plus checks in flight stay under the limit. So however many guesses arrive at once, no more
 * of them reach the password hash than the limit lets fail; the rest wait for the outcome of those
 * running (a success frees the way, failures lock). Each step is atomic: a synchronous update in
 * memory, one Lua script in Redis.
 */
export interface ThrottleStore {
  reserveUser(key: string, attemptId: string, policy: LockPolicy, nowMs: number): Promise<Reservation>;
  /** Records the outcome; returns the seconds of the lock this failure started, else 0. */
  settleUser(key: string, attemptId: string, outcome: Outcome, policy: LockPolicy, nowMs: number): Promise<number>;
  reserveIp(key: string, attemptId: string, max: number, nowMs: number): Promise<Reservation>;
  /** A failure counts in the address's window, which starts with its first failure. */
  settleIp(key: string, attemptId: string, outcome: Outcome, windowSeconds: number, nowMs: number): Promise<void>;
  /** Forgets a name's failures and lock (a password reset by e-mail proved the owner). */
  clearUser(key: string): Promise<void>;
  /**
   * Counts one request against a fixed window that starts with the first: allowed while the count
   * stays within `max`; otherwise the seconds until the window ends. Count and check are one step.
   */
  hit(key: string, max: number, windowSeconds: number, nowMs: number): Promise<{ allowed: true } | { allowed: false; retryAfter: number }>;
  close(): Promise<void>;
}

/** The lock that the `lockouts`-th lock of a name lasts: doubling, capped (Keycloak-style). */
export function lockSecondsFor(lockouts: number, policy: LockPolicy): number {
  return Math.min(policy.lockSeconds * 2 ** (lockouts - 1), policy.lockMaxSeconds);
}

interface Entry {
  /** Failures counted (since the last success or lock, for a username; in the window, for an address). */
  failures: number;
  lockouts: number;
  /** Epoch milliseconds; 0 when not locked. */
  lockedUntil: number;
  /** Checks in flight: attempt id → when its slot lapses. */
  inFlight: Map<string, number>;
  /** When the failure count is forgotten (the username's reset time, the address's window end). */
  expiresAt: number;
}

/** In-process store, bounded so that a flood of distinct usernames or addresses cannot exhaust memory. */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 100_000) {}

  // Each method reads and writes without awaiting in between: atomic on the event loop.
  async reserveUser(key: string, attemptId: string, policy: LockPolicy, nowMs: number): Promise<Reservation> {
    const entry = this.entry(key, nowMs);
    if (entry.lockedUntil > nowMs) return { kind: 'refused', seconds: Math.ceil((entry.lockedUntil - nowMs) / 1000) };
    return this.take(entry, attemptId, policy.maxFailures, nowMs);
  }

  async settleUser(key: string, attemptId: string, outcome: Outcome, policy: LockPolicy, nowMs: number): Promise<number> {
    const entry = this.entry(key, nowMs);
    entry.inFlight.delete(attemptId);
    if (outcome === 'success') Object.assign(entry, { failures: 0, lockouts: 0, lockedUntil: 0 });
    if (outcome !== 'failure') return 0;
    entry.failures += 1;
    let lockedNow = 0;
    if (entry.failures >= policy.maxFailures) {
      entry.lockouts += 1;
      lockedNow = lockSecondsFor(entry.lockouts, policy);
      entry.lockedUntil = nowMs + lockedNow * 1000;
      // The first failure after the lock ends locks again, for twice as long.
      entry.failures = policy.maxFailures - 1;
    }
    entry.expiresAt = nowMs + Math.max(policy.failureResetSeconds, lockedNow) * 1000;
    return lockedNow;
  }

  async reserveIp(key: string, attemptId: string, max: number, nowMs: number): Promise<Reservation> {
    const entry = this.entry(key, nowMs);
    if (entry.failures >= max) return { kind: 'refused', seconds: Math.max(1, Math.ceil((entry.expiresAt - nowMs) / 1000)) };
    return this.take(entry, attemptId, max, nowMs);
  }

  async settleIp(key: string, attemptId: string, outcome: Outcome, windowSeconds: number, nowMs: number): Promise<void> {
    const entry = this.entry(key, nowMs);
    entry.inFlight.delete(attemptId);
    if (outcome !== 'failure') return;
    if (entry.failures === 0) entry.expiresAt = nowMs + windowSeconds * 1000;
    entry.failures += 1;
  }

  async clearUser(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async hit(
    key: string,
    max: number,
    windowSeconds: number,
    nowMs: number,
  ): Promise<{ allowed: true } | { allowed: false; retryAfter: number }> {
    const entry = this.entry(key, nowMs);
    if (entry.failures === 0) entry.expiresAt = nowMs + windowSeconds * 1000;
    if (entry.failures >= max) return { allowed: false, retryAfter: Math.max(1, Math.ceil((entry.expiresAt - nowMs) / 1000)) };
    entry.failures += 1;
    return { allowed: true };
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private take(entry: Entry, attemptId: string, max: number, nowMs: number): Reservation {
    for (const [id, lapses] of entry.inFlight) if (lapses <= nowMs) entry.inFlight.delete(id);
    if (entry.failures + entry.inFlight.size >= max) return { kind: 'wait' };
    entry.inFlight.set(attemptId, nowMs + IN_FLIGHT_TTL_MS);
    return { kind: 'allowed' };
  }

  /** The key's entry, a fresh one when it has none or its counts have lapsed (in-flight checks are kept). */
  private entry(key: string, nowMs: number): Entry {
    let entry = this.entries.get(key);
    if (entry && entry.expiresAt <= nowMs && entry.lockedUntil <= nowMs) {
      Object.assign(entry, { failures: 0, lockouts: 0, lockedUntil: 0, expiresAt: Number.MAX_SAFE_INTEGER });
    }
    if (!entry) {
      if (this.entries.size >= this.maxEntries) this.evict(nowMs);
      entry = { failures: 0, lockouts: 0, lockedUntil: 0, inFlight: new Map(), expiresAt: Number.MAX_SAFE_INTEGER };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Drops entries with nothing left to remember; if none were, the oldest one (Maps iterate in insertion order). */
  private evict(nowMs: number): void {
    for (const [key, entry] of this.entries) {
      const idle = entry.inFlight.size === 0 && entry.lockedUntil <= nowMs && (entry.failures === 0 || entry.expiresAt <= nowMs);
      if (idle) this.entries.delete(key);
    }
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

// The same steps in Lua: Redis runs a script atomically, so every instance shares one count.
// KEYS[1] holds the counts (a hash for a username, a counter for an address), KEYS[2] the sorted set
// of checks in flight (score: when the slot lapses).
const TAKE_SLOT = `
local function take(now, id, max, failures)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if failures + redis.call('ZCARD', KEYS[2]) >= max then return {1, 0} end
  redis.call('ZADD', KEYS[2], now + ${IN_FLIGHT_TTL_MS}, id)
  redis.call('PEXPIRE', KEYS[2], ${IN_FLIGHT_TTL_MS})
  return {0, 0}
end`;

const RESERVE_USER = `${TAKE_SLOT}
local now = tonumber(ARGV[1])
local lockedUntil = tonumber(redis.call('HGET', KEYS[1], 'lockedUntil') or '0')
if lockedUntil > now then return {2, math.ceil((lockedUntil - now) / 1000)} end
return take(now, ARGV[2], tonumber(ARGV[3]), tonumber(redis.call('HGET', KEYS[1], 'failures') or '0'))`;

const SETTLE_USER = `
local now, outcome = tonumber(ARGV[1]), ARGV[3]
local max, lockSeconds, lockMax, reset = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('ZREM', KEYS[2], ARGV[2])
if outcome == 'success' then redis.call('DEL', KEYS[1]) end
if outcome ~= 'failure' then return 0 end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local lockedNow = 0
if failures >= max then
  local lockouts = redis.call('HINCRBY', KEYS[1], 'lockouts', 1)
  lockedNow = math.min(lockSeconds * 2 ^ (lockouts - 1), lockMax)
  redis.call('HSET', KEYS[1], 'lockedUntil', now + lockedNow * 1000, 'failures', max - 1)
end
redis.call('EXPIRE', KEYS[1], math.max(reset, lockedNow))
return lockedNow`;

const RESERVE_IP = `${TAKE_SLOT}
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= tonumber(ARGV[3]) then return {2, math.max(1, redis.call('TTL', KEYS[1]))} end
return take(tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), failures)`;

const SETTLE_IP = `
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] == 'failure' and redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 0`;

/**
 * Redis store: every instance sees the same counters. When Redis fails, the counters of this
 * instance (memory) take over, so logins neither fail nor go unthrottled.
 */
export class RedisThrottleStore implements ThrottleStore {
  private readonly logger = new Logger('LoginThrottle');
  private readonly fallback = new MemoryThrottleStore();

  constructor(private readonly redis: Redis) {}

  reserveUser(key: string, attemptId: string, policy: LockPolicy, nowMs: number): Promise<Reservation> {
    return this.guard(
      async () => reservation(await this.redis.eval(RESERVE_USER, 2, ...keys(key), nowMs, attemptId, policy.maxFailures)),
      () => this.fallback.reserveUser(key, attemptId, policy, nowMs),
    );
  }

  settleUser(key: string, attemptId: string, outcome: Outcome, policy: LockPolicy, nowMs: number): Promise<number> {
    const { maxFailures, lockSeconds, lockMaxSeconds, failureResetSeconds } = policy;
    return this.guard(
      async () =>
        Number(
          await this.redis.eval(
            SETTLE_USER,
            2,
            ...keys(key),
            nowMs,
            attemptId,
            outcome,
            maxFailures,
            lockSeconds,
            lockMaxSeconds,
            failureResetSeconds,
          ),
        ),
      () => this.fallback.settleUser(key, attemptId, outcome, policy, nowMs),
    );
  }

  reserveIp(key: string, attemptId: string, max: number, nowMs: number): Promise<Reservation> {
    return this.guard(
      async () => reservation(await this.redis.eval(RESERVE_IP, 2, ...keys(key), nowMs, attemptId, max)),
      () => this.fallback.reserveIp(key, attemptId, max, nowMs),
    );
  }

  settleIp(key: string, attemptId: string, outcome: Outcome, windowSeconds: number, nowMs: number): Promise<void> {
    return this.guard(
      async () => void (await this.redis.eval(SETTLE_IP, 2, ...keys(key), attemptId, outcome, windowSeconds)),
      () => this.fallback.settleIp(key, attemptId, outcome, windowSeconds, nowMs),
    );
  }

  clearUser(key: string): Promise<void> {
    return this.guard(
      async () => {
        await this.redis.del(...keys(key));
        await this.fallback.clearUser(key);
      },
      () => this.fallback.clearUser(key),
    );
  }

  hit(key: string, max: number, windowSeconds: number, nowMs: number): Promise<{ allowed: true } | { allowed: false; retryAfter: number }> {
    return this.guard(
      async () => {
        const [count, ttlMs] = (await this.redis.eval(HIT, 1, `{${key}}:hits`, windowSeconds * 1000)) as [number, number];
        return count <= max ? { allowed: true as const } : { allowed: false as const, retryAfter: Math.max(1, Math.ceil(ttlMs / 1000)) };
      },
      () => this.fallback.hit(key, max, windowSeconds, nowMs),
    );
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private async guard<T>(work: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    if (this.redis.status !== 'ready') return fallback();
    try {
      return await work();
    } catch (error) {
      this.logger.warn(`Redis failed (${(error as Error).message}); using this instance's counters`);
      return fallback();
    }
  }
}

/** One more hit in a window that starts with the first (PEXPIRE only then): the count and the window's time left. */
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }`;

/** The counts and the in-flight set of one name, in one hash slot (`{…}`) so that a Redis cluster can run the scripts. */
function keys(key: string): [string, string] {
  return [`{${key}}:counts`, `{${key}}:in-flight`];
}

function reservation(reply: unknown): Reservation {
  const [code, seconds] = reply as [number, number];
  if (code === 0) return { kind: 'allowed' };
  if (code === 1) return { kind: 'wait' };
  return { kind: 'refused', seconds: Math.max(1, seconds) };
}
