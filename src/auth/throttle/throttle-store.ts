import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

/** A username's failed-login record (Keycloak-style lockout with a growing wait). */
export interface FailureState {
  failures: number;
  lockouts: number;
  /** Epoch milliseconds; 0 when not locked. */
  lockedUntil: number;
}

/** Where login counters live: memory on one instance, Redis when instances must share them. */
export interface ThrottleStore {
  getFailures(key: string): Promise<FailureState | undefined>;
  setFailures(key: string, state: FailureState, ttlSeconds: number): Promise<void>;
  clearFailures(key: string): Promise<void>;
  /** Counts one event in a fixed window that starts with the first event. */
  countInWindow(key: string, windowSeconds: number): Promise<void>;
  /** The count in the current window and the seconds left in it. */
  readWindow(key: string): Promise<{ count: number; ttlSeconds: number }>;
  close(): Promise<void>;
}

interface Entry {
  value: FailureState | number;
  expiresAt: number;
}

/** In-process store, bounded so that a flood of distinct usernames or addresses cannot exhaust memory. */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 100_000) {}

  async getFailures(key: string): Promise<FailureState | undefined> {
    const value = this.read(key);
    return typeof value === 'object' ? { ...value } : undefined;
  }

  async setFailures(key: string, state: FailureState, ttlSeconds: number): Promise<void> {
    this.write(key, { ...state }, Date.now() + ttlSeconds * 1000);
  }

  async clearFailures(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async countInWindow(key: string, windowSeconds: number): Promise<void> {
    const entry = this.live(key);
    if (entry && typeof entry.value === 'number') entry.value += 1;
    else this.write(key, 1, Date.now() + windowSeconds * 1000);
  }

  async readWindow(key: string): Promise<{ count: number; ttlSeconds: number }> {
    const entry = this.live(key);
    if (!entry || typeof entry.value !== 'number') return { count: 0, ttlSeconds: 0 };
    return { count: entry.value, ttlSeconds: Math.ceil((entry.expiresAt - Date.now()) / 1000) };
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private read(key: string): FailureState | number | undefined {
    return this.live(key)?.value;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private write(key: string, value: FailureState | number, expiresAt: number): void {
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) this.evict();
    this.entries.set(key, { value, expiresAt });
  }

  /** Drops expired entries; if none were, the oldest one (Maps iterate in insertion order). */
  private evict(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

/**
 * Redis store: every instance sees the same counters. When Redis fails, the counters of this
 * instance (memory) take over, so logins neither fail nor go unthrottled.
 */
export class RedisThrottleStore implements ThrottleStore {
  private readonly logger = new Logger('LoginThrottle');
  private readonly fallback = new MemoryThrottleStore();

  constructor(private readonly redis: Redis) {}

  getFailures(key: string): Promise<FailureState | undefined> {
    return this.guard(
      async () => {
        const raw = await this.redis.get(key);
        return raw ? (JSON.parse(raw) as FailureState) : undefined;
      },
      () => this.fallback.getFailures(key),
    );
  }

  setFailures(key: string, state: FailureState, ttlSeconds: number): Promise<void> {
    return this.guard(
      async () => void (await this.redis.set(key, JSON.stringify(state), 'EX', ttlSeconds)),
      () => this.fallback.setFailures(key, state, ttlSeconds),
    );
  }

  clearFailures(key: string): Promise<void> {
    return this.guard(
      async () => void (await this.redis.del(key)),
      () => this.fallback.clearFailures(key),
    );
  }

  countInWindow(key: string, windowSeconds: number): Promise<void> {
    return this.guard(
      async () => void (await this.redis.multi().incr(key).expire(key, windowSeconds, 'NX').exec()),
      () => this.fallback.countInWindow(key, windowSeconds),
    );
  }

  readWindow(key: string): Promise<{ count: number; ttlSeconds: number }> {
    return this.guard(
      async () => {
        const [count, ttl] = await Promise.all([this.redis.get(key), this.redis.ttl(key)]);
        return { count: Number(count ?? 0), ttlSeconds: Math.max(0, ttl) };
      },
      () => this.fallback.readWindow(key),
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
