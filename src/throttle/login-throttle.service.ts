import { HttpException, HttpStatus, Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { createHash, randomUUID } from 'node:crypto';
import { appConfig } from '../config/app.config';
import { normalizeUsername } from '../common/credentials';
import { MetricsService } from '../metrics/metrics.service';
import { MemoryThrottleStore, Outcome, RedisThrottleStore, Reservation, ThrottleStore } from './throttle-store';

const ALLOWED: Reservation = { kind: 'allowed' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 429 for an address past LOGIN_IP_MAX_FAILURES, with Retry-After (RFC 6585 §4). */
export class TooManyFailedLoginsException extends HttpException {
  readonly headers: Record<string, string>;

  constructor(retryAfterSeconds: number) {
    super('Too many failed logins from this address; try again later', HttpStatus.TOO_MANY_REQUESTS);
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

/**
 * One password check under the throttle, begun before the password is verified:
 * - `ip-blocked`: the address is past its limit (answer 429 with `retryAfter`);
 * - `locked`: the username is locked; verify nothing real (a dummy verification keeps the timing);
 * - `allowed`: verify, then settle the outcome — `abandoned` when the check could not be made (the
 *   database failed); settling a failure returns the seconds of the lock it started (else 0).
 */
/** 429 for a limited request (password-reset e-mails, …), with Retry-After. */
export class TooManyRequestsException extends HttpException {
  readonly headers: Record<string, string>;

  constructor(message: string, retryAfterSeconds: number) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

type PasswordAttempt =
  | { kind: 'ip-blocked'; retryAfter: number }
  | { kind: 'locked'; lockedFor: number }
  | { kind: 'allowed'; settle(outcome: Outcome): Promise<number> };

/** The outcome of `LoginThrottleService.guard`: refused (429 or locked), or checked — `lockedNow` > 0 when this failure locked the name. */
export type GuardedCheck =
  { kind: 'ip-blocked'; retryAfter: number } | { kind: 'locked'; lockedFor: number } | { kind: 'checked'; ok: boolean; lockedNow: number };

/** How long a check waits for the outcome of those in flight before it gives up (then: refused). */
const MAX_WAIT_MS = 30_000;
const POLL_MS = 20;

/**
 * Brute-force defence for every check of a password (login, and the current password of a password
 * change) — OWASP ASVS 6.3.1, Authentication Cheat Sheet:
 * - per username: after LOGIN_MAX_FAILURES failures the name is locked for LOGIN_LOCK_SECONDS, and
 *   every further lock doubles the wait up to LOGIN_LOCK_MAX_SECONDS; a success resets it. Unknown
 *   usernames are counted the same way, so a lock reveals nothing about which accounts exist.
 * - per client IP: only failures count (a busy office behind one address can still sign in);
 *   past LOGIN_IP_MAX_FAILURES within LOGIN_IP_WINDOW the address gets 429 until the window ends.
 *
 * Slots are taken atomically **before** the password is verified, and a check may start only while
 * the failures counted plus the checks in flight stay under the limit; the rest wait for those
 * outcomes. So however many guesses arrive at once, at most LOGIN_MAX_FAILURES of them per lock
 * window (and LOGIN_IP_MAX_FAILURES per address window) ever reach the password hash, a correct
 * password arriving after them is refused like any locked login, a burst raises the lock once, and
 * concurrent correct logins of one account all succeed (a few at a time).
 */
@Injectable()
export class LoginThrottleService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LoginThrottleService.name);
  private store: ThrottleStore = new MemoryThrottleStore();

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.redisUrl) return;
    const redis = new Redis(this.config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    redis.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}`));
    this.store = new RedisThrottleStore(redis);
    this.metrics.observeRedis('throttle', () => redis.status === 'ready');
    await redis.connect().catch((error: Error) => this.logger.warn(`Redis unavailable (${error.message}); counting logins in memory`));
  }

  /** After the HTTP server has drained, so in-flight logins still reach the counters. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  /**
   * Runs one password check under the throttle: `check` says whether the password was right (it is
   * given `false` when the attempt is refused and must verify nothing real). An exception from
   * `check` gives the slots back uncounted.
   */
  async guard(username: string, ip: string | undefined, check: (allowed: boolean) => Promise<boolean>): Promise<GuardedCheck> {
    const attempt = await this.begin(username, ip);
    if (attempt.kind === 'ip-blocked') return attempt;
    if (attempt.kind === 'locked') {
      await check(false);
      return attempt;
    }
    let ok: boolean;
    try {
      ok = await check(true);
    } catch (error) {
      await attempt.settle('abandoned');
      throw error;
    }
    return { kind: 'checked', ok, lockedNow: await attempt.settle(ok ? 'success' : 'failure') };
  }

  /** Forgets a username's failures and lock: its owner just proved themself another way (a password reset by e-mail). */
  async clearLock(username: string): Promise<void> {
    await this.store.clearUser(userKey(username));
  }

  /**
   * Counts a request in `bucket` for `subject` (an e-mail address, a client IP) and throws 429 with
   * Retry-After once more than `max` arrived in the window (shared through Redis when set).
   */
  async limit(bucket: string, subject: string, max: number, windowSeconds: number, message: string): Promise<void> {
    const key = `gatehouse:limit:${bucket}:${createHash('sha256').update(subject).digest('hex').slice(0, 32)}`;
    const result = await this.store.hit(key, max, windowSeconds, Date.now());
    if (!result.allowed) throw new TooManyRequestsException(message, result.retryAfter);
  }

  /**
   * Takes the address's and then the username's slot for one password check (see PasswordAttempt).
   * When every slot left is held by checks in flight, waits for them: their outcome decides whether
   * this one may run (a success) or is refused (failures that locked).
   */
  private async begin(username: string, ip: string | undefined): Promise<PasswordAttempt> {
    const { maxFailures, lockSeconds, lockMaxSeconds, failureResetSeconds, ipMaxFailures, ipWindowSeconds } = this.config.login;
    const policy = { maxFailures, lockSeconds, lockMaxSeconds, failureResetSeconds };
    const user = userKey(username);
    const address = ip ? ipKey(ip) : undefined;
    const id = randomUUID();
    const settleIp = (outcome: Outcome) =>
      address ? this.store.settleIp(address, id, outcome, ipWindowSeconds, Date.now()) : Promise.resolve();
    const deadline = Date.now() + MAX_WAIT_MS;
    for (;;) {
      const last = Date.now() >= deadline;
      const ipSlot = address ? await this.store.reserveIp(address, id, ipMaxFailures, Date.now()) : ALLOWED;
      if (ipSlot.kind === 'refused') return { kind: 'ip-blocked', retryAfter: ipSlot.seconds };
      if (ipSlot.kind === 'wait') {
        if (last) return { kind: 'ip-blocked', retryAfter: 1 };
        await sleep(POLL_MS);
        continue;
      }
      const userSlot = await this.store.reserveUser(user, id, policy, Date.now());
      if (userSlot.kind === 'allowed') {
        return {
          kind: 'allowed',
          settle: async (outcome) => {
            const lockedNow = await this.store.settleUser(user, id, outcome, policy, Date.now());
            await settleIp(outcome);
            return lockedNow;
          },
        };
      }
      if (userSlot.kind === 'refused' || last) {
        // A login refused by the lock is a failure from that address all the same.
        await settleIp('failure');
        return { kind: 'locked', lockedFor: userSlot.kind === 'refused' ? userSlot.seconds : 1 };
      }
      // The address's slot is not held while this check waits for the username's.
      await settleIp('abandoned');
      await sleep(POLL_MS);
    }
  }
}

/** Usernames are hashed so that the counters (in Redis, perhaps) do not hold them in clear. */
function userKey(username: string): string {
  return `gatehouse:throttle:user:${createHash('sha256').update(normalizeUsername(username)).digest('hex').slice(0, 32)}`;
}

/**
 * IPv4 addresses count one by one; IPv6 ones by their /64, the smallest block a customer is usually
 * given (RFC 6177) — otherwise one host could rotate through 2^64 addresses, each with a fresh limit.
 */
export function ipKey(ip: string): string {
  return `gatehouse:throttle:ip:${ip.includes(':') && !ip.startsWith('::ffff:') ? ipv6Prefix64(ip) : ip}`;
}

function ipv6Prefix64(ip: string): string {
  const [head, tail] = ip.split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => (parseInt(group, 16) || 0).toString(16))
    .join(':')}::/64`;
}
