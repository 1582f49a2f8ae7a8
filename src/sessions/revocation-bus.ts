import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { appConfig } from '../config/app.config';
import { MetricsService } from '../metrics/metrics.service';
import { LoggedRevocation, RevocationEvent, RevocationsRepository, SHARED_REVOCATION_KINDS } from './revocations.repository';

export type { RevocationEvent } from './revocations.repository';

const REDIS_CHANNEL = 'gatehouse:revocations';
/** A poll looks this far back before its last look: a revocation committed late is still seen. */
const POLL_OVERLAP_MS = 5_000;
/** Log entries are kept this long at least (an instance that lost the database longer starts afresh). */
const LOG_RETENTION_SECONDS = 3600;

/**
 * Carries revocations between processes, so each one's session-check cache (kept until a session is
 * revoked or expires) stays true:
 * - at once on the instance that revoked;
 * - on PostgreSQL, to every instance by LISTEN/NOTIFY — and by Redis pub/sub too when REDIS_URL is set;
 * - as the safety net, each instance polls the revocation log twice per REVOCATION_MAX_LAG with one
 *   query ("what was revoked since my last look"), and after the LISTEN connection comes back.
 * On a SQLite file the log is kept and polled the same way (no NOTIFY there): the operators' command
 * line is another process writing the same file, and the server learns of its changes from the poll.
 * The cache is only trusted while the last successful poll is less than REVOCATION_MAX_LAG old
 * (`trustedUntil`): an instance that cannot reach the log reads sessions afresh instead of serving
 * checks that may be stale. (An in-memory SQLite database has one process: nothing to carry.)
 */
@Injectable()
export class RevocationBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationBus.name);
  private readonly handlers: ((event: RevocationEvent) => void)[] = [];
  private readonly lagMs: number;
  private publisher?: Redis;
  private subscriber?: Redis;
  private poller?: NodeJS.Timeout;
  private polling?: Promise<void>;
  /** The database time of the last successful poll (what the next one asks "since"). */
  private lastLook: Date | null = null;
  private lastPruned = 0;
  /** Log ids applied recently (by whichever route came first), so each event applies once. */
  private readonly applied = new Map<string, number>();
  private trusted = Number.POSITIVE_INFINITY;
  private eventsApplied = 0;

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly log: RevocationsRepository,
    private readonly metrics: MetricsService,
  ) {
    this.lagMs = config.sessions.revocationMaxLag * 1000;
  }

  /**
   * How many events this instance has applied. A cache owner reads it before a database read and
   * keeps the answer only if it is unchanged after: an event that arrived in between may announce a
   * change the read did not see, and its drop ran before there was anything to drop.
   */
  get generation(): number {
    return this.eventsApplied;
  }

  /** Until when (epoch ms) cached session checks may be trusted. */
  get trustedUntil(): number {
    return this.trusted;
  }

  async onModuleInit(): Promise<void> {
    if (this.log.shared) {
      // Until the first poll has caught up, nothing cached is trusted.
      this.trusted = 0;
      this.log.listen(
        (event) => this.deliver(event),
        () => void this.poll(),
      );
      if (this.lagMs > 0) {
        this.poller = setInterval(() => void this.poll(), Math.max(250, this.lagMs / 2));
        this.poller.unref();
      }
    }
    await this.connectRedis();
  }

  /** After the HTTP server has drained (Nest closes it before shutdown hooks): in-flight requests keep Redis. */
  async onApplicationShutdown(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    await this.polling;
    this.publisher?.disconnect();
    this.subscriber?.disconnect();
  }

  onEvent(handler: (event: RevocationEvent) => void): void {
    this.handlers.push(handler);
  }

  /** Applies the event here at once, and tells the other instances. */
  async publish(event: RevocationEvent): Promise<void> {
    this.apply(event);
    if (!this.log.shared && !this.publisher) return;
    let logId: string | undefined;
    if (this.log.shared) {
      logId = await this.log.append(event);
      this.remember(logId);
    }
    if (this.publisher?.status !== 'ready') return;
    try {
      await this.publisher.publish(REDIS_CHANNEL, JSON.stringify({ ...event, logId }));
    } catch (error) {
      this.logger.warn(`Could not publish a revocation: ${(error as Error).message}`);
    }
  }

  /** One look at the log: everything since the last look (with an overlap), and prune now and then. */
  poll(): Promise<void> {
    this.polling ??= (async () => {
      try {
        const since = this.lastLook ? new Date(this.lastLook.getTime() - POLL_OVERLAP_MS) : null;
        const started = Date.now();
        const { now, events } = await this.log.since(since ?? new Date(Date.now() - POLL_OVERLAP_MS));
        for (const event of events) this.deliver(event);
        // A gap longer than the log keeps: some revocations may be gone from it, so start afresh.
        if (this.lastLook && now.getTime() - this.lastLook.getTime() > LOG_RETENTION_SECONDS * 1000) this.apply({ kind: 'all', id: '' });
        this.lastLook = now;
        this.trusted = started + Math.max(this.lagMs, 0);
        if (Date.now() - this.lastPruned > 60_000) {
          this.lastPruned = Date.now();
          await this.log.prune(Math.max(LOG_RETENTION_SECONDS, (this.lagMs / 1000) * 10));
        }
        this.forgetApplied();
      } catch (error) {
        this.logger.warn(`Revocation poll failed (${(error as Error).message}); sessions are read afresh until it succeeds`);
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  private async connectRedis(): Promise<void> {
    if (!this.config.redisUrl) return;
    const options = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false };
    this.publisher = new Redis(this.config.redisUrl, options);
    this.subscriber = new Redis(this.config.redisUrl, { ...options, enableOfflineQueue: true });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}`));
    }
    const { publisher, subscriber } = this;
    this.metrics.observeRedis('revocations_publisher', () => publisher.status === 'ready');
    this.metrics.observeRedis('revocations_subscriber', () => subscriber.status === 'ready');
    this.subscriber.on('message', (_channel: string, message: string) => {
      try {
        this.deliver(JSON.parse(message) as RevocationEvent & { logId?: string });
      } catch {
        // not ours
      }
    });
    try {
      await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
      await this.subscriber.subscribe(REDIS_CHANNEL);
    } catch (error) {
      this.logger.warn(`Redis unavailable (${(error as Error).message}); revocations travel through the database alone`);
    }
  }

  /** An event from another instance (NOTIFY, Redis or the poll): applied once. */
  private deliver(event: RevocationEvent & { logId?: string }): void {
    if (!SHARED_REVOCATION_KINDS.includes(event.kind) || typeof event.id !== 'string') return;
    if (event.logId) {
      if (this.applied.has(event.logId)) return;
      this.remember(event.logId);
    }
    this.apply({ kind: event.kind, id: event.id });
  }

  private apply(event: RevocationEvent): void {
    this.eventsApplied++;
    for (const handler of this.handlers) handler(event);
  }

  private remember(logId: string): void {
    this.applied.set(logId, Date.now());
  }

  /** Ids older than the poll's overlap cannot come back from a poll; notifications come at once. */
  private forgetApplied(): void {
    const horizon = Date.now() - POLL_OVERLAP_MS * 4;
    for (const [id, at] of this.applied) {
      if (at >= horizon) break;
      this.applied.delete(id);
    }
  }
}

export type { LoggedRevocation };
