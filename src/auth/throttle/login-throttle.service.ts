import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { appConfig } from '../../config/app.config';
import { normalizeUsername } from '../../users/entities/user.entity';
import { FailureState, MemoryThrottleStore, RedisThrottleStore, ThrottleStore } from './throttle-store';

/**
 * Brute-force defence for password logins (OWASP ASVS 6.3, Authentication Cheat Sheet):
 * - per username: after LOGIN_MAX_FAILURES failures the name is locked for LOGIN_LOCK_SECONDS, and
 *   every further lock doubles the wait up to LOGIN_LOCK_MAX_SECONDS; a success resets it. Unknown
 *   usernames are counted the same way, so a lock reveals nothing about which accounts exist.
 * - per client IP: only failures count (a busy office behind one address can still sign in);
 *   past LOGIN_IP_MAX_FAILURES within LOGIN_IP_WINDOW the address gets 429 until the window ends.
 */
@Injectable()
export class LoginThrottleService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LoginThrottleService.name);
  private store: ThrottleStore = new MemoryThrottleStore();

  constructor(@Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.redisUrl) return;
    const redis = new Redis(this.config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    redis.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}`));
    this.store = new RedisThrottleStore(redis);
    await redis.connect().catch((error: Error) => this.logger.warn(`Redis unavailable (${error.message}); counting logins in memory`));
  }

  /** After the HTTP server has drained, so in-flight logins still reach the counters. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  /** Seconds until the address may try again, or 0 when it may try now. */
  async ipRetryAfter(ip: string | undefined): Promise<number> {
    if (!ip) return 0;
    const { count, ttlSeconds } = await this.store.readWindow(ipKey(ip));
    return count >= this.config.login.ipMaxFailures ? Math.max(1, ttlSeconds) : 0;
  }

  /** Seconds the username stays locked, or 0. */
  async lockedFor(username: string): Promise<number> {
    const state = await this.store.getFailures(userKey(username));
    const remaining = state ? Math.ceil((state.lockedUntil - Date.now()) / 1000) : 0;
    return Math.max(0, remaining);
  }

  /** Counts a failed login; returns the lock in seconds when this failure locked the username. */
  async recordFailure(username: string, ip: string | undefined): Promise<number> {
    const { maxFailures, lockSeconds, lockMaxSeconds, failureResetSeconds, ipWindowSeconds } = this.config.login;
    if (ip) await this.store.countInWindow(ipKey(ip), ipWindowSeconds);
    const key = userKey(username);
    const state: FailureState = (await this.store.getFailures(key)) ?? { failures: 0, lockouts: 0, lockedUntil: 0 };
    state.failures += 1;
    let lockedFor = 0;
    if (state.failures >= maxFailures) {
      state.lockouts += 1;
      lockedFor = Math.min(lockSeconds * 2 ** (state.lockouts - 1), lockMaxSeconds);
      state.lockedUntil = Date.now() + lockedFor * 1000;
      // The next failure after the lock ends locks again, for twice as long.
      state.failures = maxFailures - 1;
    }
    await this.store.setFailures(key, state, Math.max(failureResetSeconds, lockedFor));
    return lockedFor;
  }

  async recordSuccess(username: string): Promise<void> {
    await this.store.clearFailures(userKey(username));
  }
}

/** Usernames are hashed so that the counters (in Redis, perhaps) do not hold them in clear. */
function userKey(username: string): string {
  return `gatehouse:login:user:${createHash('sha256').update(normalizeUsername(username)).digest('hex').slice(0, 32)}`;
}

function ipKey(ip: string): string {
  return `gatehouse:login:ip:${ip}`;
}
