import { Injectable, Logger } from '@nestjs/common';
import { DatabaseHealth } from '../database/database-health';
import { Probe } from './probe';
import { RedisHealth } from './redis-health';

/** How long one readiness check waits for a dependency before calling it down. */
export const READINESS_TIMEOUT_MS = 2000;

export interface ReadinessChecks {
  /** The database answers a query. */
  database: 'up' | 'down';
  /** Every migration of this build is applied (`unknown` when the database does not answer). */
  migrations: 'up' | 'pending' | 'unknown';
  /** Redis answers a PING; `disabled` without REDIS_URL. */
  redis: 'up' | 'down' | 'disabled';
}

export interface Readiness {
  ready: boolean;
  checks: ReadinessChecks;
  /** What is wrong, for the 503's message ("database down; redis down"). */
  failures: string[];
}

/**
 * Readiness: may this instance take traffic? Each call checks every dependency again, in parallel,
 * each within READINESS_TIMEOUT_MS (see Probe); nothing is cached between calls. A change of state
 * is logged once (not every probe).
 */
@Injectable()
export class ReadinessService {
  private readonly logger = new Logger(ReadinessService.name);
  private readonly databaseProbe: Probe<boolean>;
  private readonly migrationsProbe: Probe<string[] | undefined>;
  private readonly redisProbe: Probe<boolean>;
  private lastReady?: boolean;

  constructor(
    database: DatabaseHealth,
    private readonly redis: RedisHealth,
  ) {
    this.databaseProbe = new Probe(() => database.ping(), READINESS_TIMEOUT_MS, false);
    this.migrationsProbe = new Probe<string[] | undefined>(() => database.pendingMigrations(), READINESS_TIMEOUT_MS, undefined);
    this.redisProbe = new Probe(() => redis.ping().then(() => true), READINESS_TIMEOUT_MS, false);
  }

  async check(): Promise<Readiness> {
    const [databaseUp, pending, redisUp] = await Promise.all([
      this.databaseProbe.run(),
      this.migrationsProbe.run(),
      this.redis.configured ? this.redisProbe.run() : Promise.resolve(undefined),
    ]);
    const failures: string[] = [];
    let migrations: ReadinessChecks['migrations'] = 'unknown';
    if (!databaseUp) failures.push('database down');
    else if (pending === undefined) {
      // The database answers but its migrations table cannot be read: no schema of ours yet.
      migrations = 'pending';
      failures.push('migrations not applied');
    } else if (pending.length > 0) {
      migrations = 'pending';
      failures.push(`${pending.length} migration${pending.length === 1 ? '' : 's'} pending`);
    } else migrations = 'up';
    if (redisUp === false) failures.push('redis down');
    const checks: ReadinessChecks = {
      database: databaseUp ? 'up' : 'down',
      migrations,
      redis: redisUp === undefined ? 'disabled' : redisUp ? 'up' : 'down',
    };
    const ready = failures.length === 0;
    this.logTransition(ready, failures, pending);
    return { ready, checks, failures };
  }

  private logTransition(ready: boolean, failures: string[], pending: string[] | undefined): void {
    if (ready === this.lastReady) return;
    if (ready) {
      if (this.lastReady === false) this.logger.log('Ready again: every dependency answers');
    } else {
      const names = pending && pending.length > 0 ? ` (${pending.join(', ')})` : '';
      this.logger.warn(`Not ready: ${failures.join('; ')}${names}`);
    }
    this.lastReady = ready;
  }
}
